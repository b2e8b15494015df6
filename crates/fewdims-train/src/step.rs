//! One optimizer step as Hugging Face's Trainer takes it: forward, loss, backward, global-norm
//! clipping, AdamW with Trainer's two parameter groups, and the linear warm-up/decay schedule.
//! `tests/it/trajectory.rs` replays transformers' own steps through it.

use burn::module::{ParamGroup, ParamId};
use burn::nn::loss::{CrossEntropyLossConfig, MseLoss, Reduction};
use burn::nn::{LayerNorm, Linear};
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::tensor::Tensor;
use fewdims_bert::{BertInput, BertModel, Readout};

use crate::adamw::FusedAdamW;
use crate::clip::clip_global_norm;
use crate::eval::BatchTargets;
use crate::head::{ClassifierHead, forward};

/// HF's `TrainingArguments.get_warmup_steps`: `ceil(warmup_ratio * total)`.
pub fn warmup_steps(warmup_ratio: f64, total: usize) -> usize {
    (warmup_ratio * total as f64).ceil() as usize
}

/// The linear warm-up then linear decay schedule, exactly HF's `get_linear_schedule_with_warmup`
/// (whose first step runs at lr 0 when there is a warm-up). `step` counts from 0.
pub fn lr_at(step: usize, total: usize, warmup: usize, peak: f64) -> f64 {
    if step < warmup {
        peak * step as f64 / warmup as f64
    } else {
        peak * (total.saturating_sub(step) as f64 / (total - warmup).max(1) as f64)
    }
}

/// The parameters Trainer leaves out of weight decay (`get_decay_parameter_names`): every bias
/// and every LayerNorm parameter. Embedding tables and linear weights are decayed.
pub fn no_decay_ids(encoder: &BertModel, head: &ClassifierHead) -> Vec<ParamId> {
    let mut ids = Vec::new();
    let mut norm = |n: &LayerNorm| {
        ids.push(n.gamma.id);
        ids.extend(n.beta.as_ref().map(|b| b.id));
    };
    norm(&encoder.embeddings.layer_norm);
    for layer in &encoder.layers {
        norm(&layer.attention.layer_norm);
        norm(&layer.layer_norm);
    }
    let mut linears: Vec<&Linear> = Vec::new();
    for layer in &encoder.layers {
        let a = &layer.attention;
        linears.extend([&a.query, &a.key, &a.value, &a.output]);
        linears.extend([&layer.intermediate, &layer.output]);
    }
    linears.extend(encoder.pooler.as_ref().map(|p| &p.dense));
    linears.extend(head.dense.as_ref());
    linears.push(&head.out_proj);
    ids.extend(linears.iter().filter_map(|l| l.bias.as_ref().map(|b| b.id)));
    ids
}

/// torch's AdamW as Trainer configures it (betas 0.9/0.999, eps 1e-8, decoupled decay, the fused
/// kernel; see `adamw.rs`), with `no_decay` in a second group without decay.
pub fn adamw(weight_decay: f64, no_decay: Vec<ParamId>) -> ModuleOptimizer {
    ModuleOptimizer::from(FusedAdamW::new(weight_decay)).with_group(
        ParamGroup::from_ids(no_decay),
        FusedAdamW::new(0.0),
        None,
    )
}

/// The model being trained (autodiff device, training mode).
pub struct Trainee {
    pub encoder: BertModel,
    pub head: ClassifierHead,
}

/// One optimizer per part, so the head can have its own learning rate.
pub struct Optimizers {
    pub encoder: ModuleOptimizer,
    pub head: ModuleOptimizer,
}

impl Optimizers {
    /// Fresh optimizers for `model`, parameter groups as Trainer's.
    pub fn new(model: &Trainee, weight_decay: f64) -> Self {
        let no_decay = no_decay_ids(&model.encoder, &model.head);
        Self {
            encoder: adamw(weight_decay, no_decay.clone()),
            head: adamw(weight_decay, no_decay),
        }
    }
}

/// What one step measured.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepStats {
    /// The batch's mean loss before the update.
    pub loss: f64,
    /// The global gradient norm before clipping (what Trainer logs as `grad_norm`).
    pub grad_norm: f64,
    /// The encoder's learning rate for this step.
    pub lr: f64,
}

/// One step's settings: learning rates of encoder and head, and the clipping norm.
#[derive(Clone, Copy, Debug)]
pub struct StepSettings {
    pub lr: f64,
    pub head_lr: f64,
    pub max_grad_norm: Option<f64>,
}

/// One training step on `input` ([B, S]) with `targets` ([B]). A non-finite loss is returned as
/// `Err(loss)` before any update.
pub fn train_step(
    model: Trainee,
    optim: &mut Optimizers,
    readout: Readout,
    input: BertInput,
    targets: BatchTargets,
    settings: StepSettings,
) -> Result<(Trainee, StepStats), f64> {
    let Trainee {
        mut encoder,
        mut head,
    } = model;
    let out = forward(&encoder, &head, readout, input);
    let device = out.device();
    let loss: Tensor<1> = match targets {
        BatchTargets::Classes(y) => CrossEntropyLossConfig::new().init(&device).forward(out, y),
        BatchTargets::Scores(y) => MseLoss::new().forward(out, y, Reduction::Mean).reshape([1]),
    };
    let loss_value = loss.clone().into_scalar::<f32>() as f64;
    if !loss_value.is_finite() {
        return Err(loss_value);
    }
    let mut grads = loss.backward();
    let mut enc_grads = GradientsParams::from_module(&mut grads, &encoder);
    let mut head_grads = GradientsParams::from_module(&mut grads, &head);
    let grad_norm = clip_global_norm(
        &mut [(&mut enc_grads, &encoder), (&mut head_grads, &head)],
        settings.max_grad_norm,
    );
    if !enc_grads.is_empty() {
        encoder = optim.encoder.step(settings.lr, encoder, enc_grads);
    }
    head = optim.head.step(settings.head_lr, head, head_grads);
    Ok((
        Trainee { encoder, head },
        StepStats {
            loss: loss_value,
            grad_norm,
            lr: settings.lr,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_warms_up_then_decays_to_zero() {
        assert_eq!(lr_at(0, 100, 10, 1.0), 0.0);
        assert!((lr_at(5, 100, 10, 1.0) - 0.5).abs() < 1e-12);
        assert!((lr_at(10, 100, 10, 1.0) - 1.0).abs() < 1e-12);
        assert!((lr_at(55, 100, 10, 1.0) - 0.5).abs() < 1e-12);
        assert_eq!(lr_at(100, 100, 10, 1.0), 0.0);
        assert!((lr_at(0, 100, 0, 2.0) - 2.0).abs() < 1e-12);
    }

    #[test]
    fn warm_up_rounds_up_as_transformers() {
        // HF: math.ceil(num_training_steps * warmup_ratio); rounding would give 1 and 12.
        assert_eq!(warmup_steps(0.04, 30), 2);
        assert_eq!(warmup_steps(0.1, 125), 13);
        assert_eq!(warmup_steps(0.1, 30), 3);
        assert_eq!(warmup_steps(0.0, 30), 0);
    }
}

#[cfg(test)]
mod group_tests {
    use super::*;
    use crate::clip::ModuleIds;
    use crate::head::ClassifierHeadConfig;
    use fewdims_bert::BertConfig;
    use fewdims_schema::vocab::Head;

    #[test]
    fn no_decay_is_every_bias_and_layer_norm_and_nothing_else() {
        let device = fewdims_testkit::flex().select().unwrap().device;
        let encoder = BertConfig::tiny(fewdims_testkit::VOCAB).init(true, &device);
        let head = ClassifierHeadConfig {
            hidden_size: 32,
            num_outputs: 2,
            kind: Head::Mlp,
            dims: vec![0, 1],
            dropout: 0.1,
            init_std: 0.02,
        }
        .init(&device);
        let no_decay = no_decay_ids(&encoder, &head);
        // In BERT and the head, the rank-1 parameters are exactly the biases and LayerNorm
        // weights (the head's dims mask aside: it is never trained).
        let want: std::collections::HashSet<ParamId> = encoder
            .param_ids()
            .into_iter()
            .chain(head.param_ids())
            .filter(|&(id, rank)| rank == 1 && id != head.dims_mask.id)
            .map(|(id, _)| id)
            .collect();
        let got: std::collections::HashSet<ParamId> = no_decay.iter().copied().collect();
        assert_eq!(got.len(), no_decay.len(), "no duplicates");
        assert_eq!(got, want);
        assert!(!no_decay.contains(&encoder.embeddings.word_embeddings.weight.id));
    }
}
