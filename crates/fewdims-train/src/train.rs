//! The finetune loop: [`train_step`]s over seeded, length-bucketed batches, a training-curve
//! point every `log_every` steps, dev evaluation and best-epoch selection after each epoch, and
//! step checkpoints that `--resume` continues from exactly.

use std::time::Instant;

use burn::module::Module;
use fewdims_bert::{BertInput, BertModel, Readout};
use fewdims_data::TokenSplit;
use fewdims_schema::run::{CurveRow, PredictionRow};

use crate::TrainError;
use crate::batches::train_batches;
use crate::checkpoint::{Checkpoint, TrainState};
use crate::eval::{batch_targets, predict_outputs, score, target};
use crate::finetune_config::FinetuneConfig;
use crate::freeze::apply_freeze;
use crate::head::ClassifierHead;
use crate::progress::Progress;
use crate::step::{Optimizers, StepSettings, Trainee, lr_at, train_step, warmup_steps};

pub use fewdims_schema::run::MetricRow;

/// What the loop hands back to the run writer.
pub struct Trained {
    pub best_encoder: BertModel,
    pub best_head: ClassifierHead,
    pub best_epoch: usize,
    /// The best epoch's predictions on dev and test.
    pub predictions: Vec<PredictionRow>,
    pub non_finite_dev_epochs: Vec<usize>,
    pub rows: Vec<MetricRow>,
    pub curve: Vec<CurveRow>,
    pub train_seconds: f64,
    pub examples_per_second: f64,
}

/// Everything the loop needs, already validated.
pub struct LoopInput<'a> {
    pub config: &'a FinetuneConfig,
    pub model: Trainee,
    pub readout: Readout,
    pub train: &'a TokenSplit,
    pub dev: &'a TokenSplit,
    pub test: Option<&'a TokenSplit>,
    /// More report splits, scored under their own split names (MNLI's `test_mm`).
    pub also_test: &'a [TokenSplit],
    pub pad_id: u32,
    pub checkpoint: Checkpoint,
}

/// The dropout seed of step `step`: every step reseeds, so a resumed run draws what an
/// uninterrupted one would.
fn step_seed(seed: u64, step: usize) -> u64 {
    seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ step as u64
}

/// Test hook: a pause after every step (ms), so a test can kill a run in the middle.
fn step_delay() -> Option<std::time::Duration> {
    std::env::var("FEWDIMS_TEST_STEP_DELAY_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map(std::time::Duration::from_millis)
}

/// Trains and returns the best epoch's model (by the task's first dev metric; a NaN or
/// infinite score is never best).
pub fn train_loop(input: LoopInput<'_>) -> Result<Trained, TrainError> {
    let LoopInput {
        config,
        mut model,
        readout,
        train,
        dev,
        test,
        also_test,
        pad_id,
        checkpoint,
    } = input;
    let hp = &config.hyper;
    let device = model.encoder.embeddings.word_embeddings.weight.device();
    let mut optim = Optimizers::new(&model, hp.weight_decay);
    let lengths: Vec<usize> = (0..train.len()).map(|i| train.row(i).0.len()).collect();
    let steps_per_epoch = train.len().div_ceil(hp.batch_size);
    let total = steps_per_epoch * hp.epochs;
    let warmup = warmup_steps(hp.warmup_ratio, total);
    let main_metric = dev
        .meta
        .metrics
        .first()
        .cloned()
        .unwrap_or_else(|| "accuracy".into());
    let (dev_target, test_target) = (target(dev), test.map(target));
    let also_targets: Vec<_> = also_test.iter().map(target).collect();
    let progress = Progress::new(total as u64, config.quiet);

    let mut state = TrainState::new(config.run.clone());
    if config.resume {
        if let Some(r) = checkpoint.load(&config.run, &device, hp.weight_decay)? {
            (state, model, optim) = (r.state, r.model, r.optim);
            // Records keep values, not which parameters are frozen.
            model.encoder = apply_freeze(model.encoder, config.freeze);
            progress.println(format!(
                "resuming {} after step {} of {total}",
                config.out.display(),
                state.steps_done
            ));
        }
    }
    let (mut best_encoder, mut best_head, mut best_predictions) = if state.best_epoch > 0 {
        checkpoint.load_best(state.best_epoch, &device)?
    } else {
        (model.encoder.valid(), model.head.valid(), Vec::new())
    };
    progress.set_position(state.steps_done as u64);
    let delay = step_delay();
    for epoch in state.steps_done / steps_per_epoch..hp.epochs {
        let batches = train_batches(&lengths, hp.batch_size, hp.seed, epoch);
        for (b, batch) in batches.iter().enumerate() {
            let step = epoch * steps_per_epoch + b;
            if step < state.steps_done {
                continue;
            }
            let t0 = Instant::now();
            device.seed(step_seed(hp.seed, step));
            let rows: Vec<(&[u32], &[u8])> = batch.iter().map(|&i| train.row(i)).collect();
            let ids: Vec<&[u32]> = rows.iter().map(|r| r.0).collect();
            let types: Vec<&[u8]> = rows.iter().map(|r| r.1).collect();
            let settings = StepSettings {
                lr: lr_at(step, total, warmup, hp.lr),
                head_lr: lr_at(step, total, warmup, hp.head_lr.unwrap_or(hp.lr)),
                max_grad_norm: hp.max_grad_norm,
            };
            let stats;
            (model, stats) = train_step(
                model,
                &mut optim,
                readout,
                BertInput::from_sequences(&ids, &types, pad_id, &device),
                batch_targets(train, batch, &device),
                settings,
            )
            .map_err(|value| TrainError::NonFinite { epoch, step, value })?;
            state.steps_done = step + 1;
            state.examples_seen += batch.len();
            state.train_seconds += t0.elapsed().as_secs_f64();
            state.window.sum += stats.loss;
            state.window.steps += 1;
            if state.steps_done % config.log_every == 0 || state.steps_done == total {
                let window = std::mem::take(&mut state.window);
                state.curve.push(CurveRow {
                    step: state.steps_done,
                    epoch: epoch + 1,
                    loss: window.sum / window.steps as f64,
                    learning_rate: stats.lr,
                    grad_norm: stats.grad_norm,
                });
            }
            progress.step(
                stats.loss,
                state.examples_seen as f64 / state.train_seconds.max(1e-9),
                epoch + 1,
                hp.epochs,
            );
            let epoch_end = b + 1 == batches.len();
            if !epoch_end && config.save_every.is_some_and(|n| state.steps_done % n == 0) {
                checkpoint.save(&state, &model, &optim, None)?;
            }
            if let Some(d) = delay {
                std::thread::sleep(d);
            }
        }
        let (enc_eval, head_eval) = (model.encoder.valid(), model.head.valid());
        let (mut rows, mut predictions) = (Vec::new(), Vec::new());
        let mut scored = |split: &TokenSplit, name: &str, tgt| {
            let out = predict_outputs(
                &enc_eval,
                &head_eval,
                readout,
                split,
                pad_id,
                hp.eval_batch_size,
            );
            predictions.extend(out.rows(name, split));
            let pred = out.predictions(split.meta.kind);
            for (metric, value) in score(&split.meta.metrics, &pred, tgt) {
                rows.push(MetricRow {
                    epoch: epoch + 1,
                    split: name.into(),
                    metric,
                    value,
                });
            }
        };
        scored(dev, "dev", &dev_target);
        if let (Some(test), Some(tt)) = (test, test_target.as_ref()) {
            scored(test, "test", tt);
        }
        for (split, tt) in also_test.iter().zip(&also_targets) {
            scored(split, &split.meta.split, tt);
        }
        let dev_main = rows
            .iter()
            .find(|r| r.split == "dev" && r.metric == main_metric)
            .map_or(f64::NAN, |r| r.value);
        let finite = dev_main.is_finite();
        progress.println(format!(
            "epoch {}/{}: dev {main_metric} {dev_main:.4}{}",
            epoch + 1,
            hp.epochs,
            if finite {
                ""
            } else {
                " (not finite: never selected)"
            }
        ));
        let improved = finite && state.best_value.is_none_or(|best| dev_main > best);
        if !finite {
            state.non_finite_dev_epochs.push(epoch + 1);
        }
        if improved {
            (state.best_epoch, state.best_value) = (epoch + 1, Some(dev_main));
            (best_encoder, best_head, best_predictions) = (enc_eval, head_eval, predictions);
        } else if state.best_epoch == 0 && epoch + 1 == hp.epochs {
            // No finite dev score yet at the last epoch: the run keeps this one (below).
            best_predictions = predictions;
        }
        state.rows.extend(rows);
        checkpoint.save(
            &state,
            &model,
            &optim,
            improved.then_some((&best_encoder, &best_head, best_predictions.as_slice())),
        )?;
        if config.stop_after == Some(epoch + 1) && epoch + 1 < hp.epochs {
            return Err(TrainError::Interrupted {
                epochs: epoch + 1,
                dir: checkpoint.dir.clone(),
            });
        }
    }
    progress.finish();
    if state.best_epoch == 0 {
        // No epoch had a finite dev score: the run keeps its last epoch, and says so.
        state.best_epoch = hp.epochs;
        (best_encoder, best_head) = (model.encoder.valid(), model.head.valid());
    }
    Ok(Trained {
        best_encoder,
        best_head,
        best_epoch: state.best_epoch,
        predictions: best_predictions,
        non_finite_dev_epochs: state.non_finite_dev_epochs,
        rows: state.rows,
        curve: state.curve,
        train_seconds: state.train_seconds,
        examples_per_second: state.examples_seen as f64 / state.train_seconds.max(1e-9),
    })
}
