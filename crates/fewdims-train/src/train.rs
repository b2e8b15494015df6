//! The finetune loop: AdamW, linear warm-up/decay, global-norm clipping, per-epoch dev
//! evaluation, best-epoch selection, per-epoch checkpoints and `--resume`.

use std::time::Instant;

use burn::module::Module;
use burn::nn::loss::{CrossEntropyLossConfig, MseLoss, Reduction};
use burn::optim::{AdamWConfig, GradientsParams};
use burn::tensor::Tensor;
use fewdims_bert::{BertInput, BertModel};
use fewdims_data::TokenSplit;

use crate::TrainError;
use crate::batches::train_batches;
use crate::checkpoint::{Checkpoint, EpochState};
use crate::clip::clip_global_norm;
use crate::eval::{BatchTargets, batch_targets, predict, score, target};
use crate::finetune_config::FinetuneConfig;
use crate::head::ClassifierHead;
use crate::head::forward;
use crate::progress::Progress;
use fewdims_bert::Readout;

pub use fewdims_schema::run::MetricRow;

/// What the loop hands back to the run writer.
pub struct Trained {
    pub best_encoder: BertModel,
    pub best_head: ClassifierHead,
    pub best_epoch: usize,
    pub rows: Vec<MetricRow>,
    pub train_seconds: f64,
    pub examples_per_second: f64,
}

/// The linear warm-up then linear decay schedule, exactly HF's `get_linear_schedule_with_warmup`
/// (whose first step runs at lr 0 when there is a warm-up).
pub fn lr_at(step: usize, total: usize, warmup: usize, peak: f64) -> f64 {
    if step < warmup {
        peak * step as f64 / warmup as f64
    } else {
        peak * (total.saturating_sub(step) as f64 / (total - warmup).max(1) as f64)
    }
}

/// Everything the loop needs, already validated.
pub struct LoopInput<'a> {
    pub config: &'a FinetuneConfig,
    pub encoder: BertModel,
    pub head: ClassifierHead,
    pub readout: Readout,
    pub train: &'a TokenSplit,
    pub dev: &'a TokenSplit,
    pub test: Option<&'a TokenSplit>,
    pub pad_id: u32,
    pub checkpoint: Checkpoint,
}

/// Trains and returns the best epoch's model (by the task's first dev metric).
pub fn train_loop(input: LoopInput<'_>) -> Result<Trained, TrainError> {
    let LoopInput {
        config,
        mut encoder,
        mut head,
        readout,
        train,
        dev,
        test,
        pad_id,
        checkpoint,
    } = input;
    let hp = &config.hyper;
    let device = encoder.embeddings.word_embeddings.weight.device();
    let adamw = || {
        AdamWConfig::new()
            .with_weight_decay(hp.weight_decay as f32)
            .with_epsilon(1e-8)
    };
    let mut enc_opt = adamw().init();
    let mut head_opt = adamw().init();
    let lengths: Vec<usize> = (0..train.len()).map(|i| train.row(i).0.len()).collect();
    let steps_per_epoch = train.len().div_ceil(hp.batch_size);
    let total = steps_per_epoch * hp.epochs;
    let warmup = (hp.warmup_ratio * total as f64).round() as usize;
    let main_metric = dev
        .meta
        .metrics
        .first()
        .cloned()
        .unwrap_or_else(|| "accuracy".into());
    let (dev_target, test_target) = (target(dev), test.map(target));

    let mut state = EpochState::default();
    if config.resume {
        if let Some((s, enc, hd, eo, ho)) = checkpoint.load(&device, enc_opt, head_opt)? {
            (state, encoder, head, enc_opt, head_opt) = (s, enc, hd, eo, ho);
        } else {
            (enc_opt, head_opt) = (adamw().init(), adamw().init());
        }
    }
    let (mut best_encoder, mut best_head) = (encoder.valid(), head.valid());
    if state.epochs_done > 0 {
        (best_encoder, best_head) = checkpoint.load_best(&device)?;
    }
    let mut train_time = std::time::Duration::ZERO;
    let mut seen = 0usize;
    let profile = std::env::var_os("FEWDIMS_PROFILE").is_some();
    let progress = Progress::new(total as u64, config.quiet);
    progress.set_position((state.epochs_done * steps_per_epoch) as u64);
    for epoch in state.epochs_done..hp.epochs {
        device.seed(hp.seed.wrapping_add(epoch as u64));
        let epoch_start = Instant::now();
        for (b, batch) in train_batches(&lengths, hp.batch_size, hp.seed, epoch)
            .iter()
            .enumerate()
        {
            let step = epoch * steps_per_epoch + b;
            let t0 = Instant::now();
            let rows: Vec<(&[u32], &[u8])> = batch.iter().map(|&i| train.row(i)).collect();
            let ids: Vec<&[u32]> = rows.iter().map(|r| r.0).collect();
            let types: Vec<&[u8]> = rows.iter().map(|r| r.1).collect();
            let out = forward(
                &encoder,
                &head,
                readout,
                BertInput::from_sequences(&ids, &types, pad_id, &device),
            );
            let loss: Tensor<1> = match batch_targets(train, batch, &device) {
                BatchTargets::Classes(y) => {
                    CrossEntropyLossConfig::new().init(&device).forward(out, y)
                }
                BatchTargets::Scores(y) => {
                    MseLoss::new().forward(out, y, Reduction::Mean).reshape([1])
                }
            };
            let loss_value = loss.clone().into_scalar::<f32>() as f64;
            let t_fwd = Instant::now();
            if !loss_value.is_finite() {
                return Err(TrainError::NonFinite {
                    epoch,
                    step,
                    value: loss_value,
                });
            }
            let mut grads = loss.backward();
            let mut enc_grads = GradientsParams::from_module(&mut grads, &encoder);
            let mut head_grads = GradientsParams::from_module(&mut grads, &head);
            clip_global_norm(
                &mut [(&mut enc_grads, &encoder), (&mut head_grads, &head)],
                hp.max_grad_norm,
            );
            let t_bwd = Instant::now();
            let lr = lr_at(step, total, warmup, hp.lr);
            let head_lr = lr_at(step, total, warmup, hp.head_lr.unwrap_or(hp.lr));
            if !enc_grads.is_empty() {
                encoder = enc_opt.step(lr, encoder, enc_grads);
            }
            head = head_opt.step(head_lr, head, head_grads);
            seen += batch.len();
            if profile {
                eprintln!(
                    "step {step}: forward {:?}, backward+clip {:?}, optimizer {:?}",
                    t_fwd - t0,
                    t_bwd - t_fwd,
                    t_bwd.elapsed()
                );
            }
            progress.step(
                loss_value,
                seen as f64 / (train_time + epoch_start.elapsed()).as_secs_f64(),
                epoch + 1,
                hp.epochs,
            );
        }
        train_time += epoch_start.elapsed();
        let (enc_eval, head_eval) = (encoder.valid(), head.valid());
        let mut rows = Vec::new();
        let dev_pred = predict(
            &enc_eval,
            &head_eval,
            readout,
            dev,
            pad_id,
            hp.eval_batch_size,
        );
        for (metric, value) in score(&dev.meta.metrics, &dev_pred, &dev_target) {
            rows.push(MetricRow {
                epoch: epoch + 1,
                split: "dev".into(),
                metric,
                value,
            });
        }
        if let (Some(test), Some(tt)) = (test, test_target.as_ref()) {
            let pred = predict(
                &enc_eval,
                &head_eval,
                readout,
                test,
                pad_id,
                hp.eval_batch_size,
            );
            for (metric, value) in score(&test.meta.metrics, &pred, tt) {
                rows.push(MetricRow {
                    epoch: epoch + 1,
                    split: "test".into(),
                    metric,
                    value,
                });
            }
        }
        let dev_main = rows
            .iter()
            .find(|r| r.split == "dev" && r.metric == main_metric)
            .map(|r| r.value)
            .unwrap_or(f64::NAN);
        progress.println(format!(
            "epoch {}/{}: dev {main_metric} {dev_main:.4}",
            epoch + 1,
            hp.epochs
        ));
        let improved = state.best_epoch == 0 || dev_main > state.best_value;
        if improved {
            (state.best_epoch, state.best_value) = (epoch + 1, dev_main);
            (best_encoder, best_head) = (enc_eval, head_eval);
        }
        state.rows.extend(rows);
        state.epochs_done = epoch + 1;
        checkpoint.save(
            &state,
            &encoder,
            &head,
            &enc_opt,
            &head_opt,
            improved.then_some((&best_encoder, &best_head)),
        )?;
        if config.stop_after == Some(state.epochs_done) && state.epochs_done < hp.epochs {
            return Err(TrainError::Interrupted {
                epochs: state.epochs_done,
                dir: checkpoint.dir.clone(),
            });
        }
    }
    progress.finish();
    let secs = train_time.as_secs_f64();
    Ok(Trained {
        best_encoder,
        best_head,
        best_epoch: state.best_epoch,
        rows: state.rows,
        train_seconds: secs,
        examples_per_second: seen as f64 / secs.max(1e-9),
    })
}

#[cfg(test)]
mod tests {
    use super::lr_at;

    #[test]
    fn schedule_warms_up_then_decays_to_zero() {
        assert_eq!(lr_at(0, 100, 10, 1.0), 0.0);
        assert!((lr_at(5, 100, 10, 1.0) - 0.5).abs() < 1e-12);
        assert!((lr_at(10, 100, 10, 1.0) - 1.0).abs() < 1e-12);
        assert!((lr_at(55, 100, 10, 1.0) - 0.5).abs() < 1e-12);
        assert_eq!(lr_at(100, 100, 10, 1.0), 0.0);
        assert!((lr_at(0, 100, 0, 2.0) - 2.0).abs() < 1e-12);
    }
}
