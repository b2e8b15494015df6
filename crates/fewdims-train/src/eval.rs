//! Evaluation: predictions of encoder + head on a split, scored by the task's metrics.

use burn::tensor::{Tensor, TensorData};
use fewdims_bert::{BertInput, BertModel};
use fewdims_data::{Label, TaskKind, TokenSplit};
use fewdims_probe::Target;
use fewdims_probe::metrics::{Metric, Pred};

use crate::head::ClassifierHead;
use crate::head::forward;
use fewdims_bert::Readout;
use fewdims_bert::eval_in_batches;

/// Predictions in row order.
#[derive(Clone, Debug)]
pub enum Predictions {
    Classes(Vec<u32>),
    Scores(Vec<f32>),
}

/// The metric target of a split (labels as the probes crate wants them).
pub fn target(split: &TokenSplit) -> Target {
    match split.meta.kind {
        TaskKind::Classification => Target::Classes {
            y: split
                .labels
                .iter()
                .map(|l| match l {
                    Label::Class(c) => *c as u32,
                    Label::Score(s) => *s as u32,
                })
                .collect(),
            classes: split.meta.num_classes(),
        },
        TaskKind::Regression => Target::Scores(
            split
                .labels
                .iter()
                .map(|l| match l {
                    Label::Score(s) => *s,
                    Label::Class(c) => *c as f32,
                })
                .collect(),
        ),
    }
}

/// Runs the (non-autodiff, eval-mode) model on every row of `split`.
pub fn predict(
    encoder: &BertModel,
    head: &ClassifierHead,
    readout: Readout,
    split: &TokenSplit,
    pad_id: u32,
    batch_size: usize,
) -> Predictions {
    let device = encoder.embeddings.word_embeddings.weight.device();
    predictions(split, batch_size, |rows| {
        let input = BertInput::from_rows(rows, |i| split.row(i), pad_id, &device);
        forward(encoder, head, readout, input)
    })
}

/// Predictions from the head outputs `[B, C]` of every evaluation batch of `split`: argmax
/// classes, or the regression output.
pub fn predictions(
    split: &TokenSplit,
    batch_size: usize,
    mut outputs: impl FnMut(&[usize]) -> Tensor<2>,
) -> Predictions {
    let lengths: Vec<usize> = (0..split.len()).map(|i| split.row(i).0.len()).collect();
    if split.meta.kind == TaskKind::Regression {
        Predictions::Scores(eval_in_batches(&lengths, batch_size, 1, |rows| {
            outputs(rows).into_data().try_to_vec().expect("f32 scores")
        }))
    } else {
        Predictions::Classes(eval_in_batches(&lengths, batch_size, 1, |rows| {
            let best: Vec<i64> = outputs(rows)
                .argmax(1)
                .into_data()
                .convert::<i64>()
                .try_to_vec()
                .expect("int argmax");
            best.into_iter().map(|c| c as u32).collect()
        }))
    }
}

/// Every metric of the task on these predictions, by name.
pub fn score(metrics: &[String], predictions: &Predictions, target: &Target) -> Vec<(String, f64)> {
    metrics
        .iter()
        .filter_map(|name| Metric::parse(name).map(|m| (name, m)))
        .map(|(name, m)| {
            let pred = match predictions {
                Predictions::Classes(c) => Pred::Classes(c),
                Predictions::Scores(s) => Pred::Scores(s),
            };
            (name.clone(), m.score(pred, target))
        })
        .collect()
}

/// Labels of a batch as a tensor: class ids [B] (Int) or scores [B, 1].
pub enum BatchTargets {
    Classes(Tensor<1, burn::tensor::Int>),
    Scores(Tensor<2>),
}

/// Builds the targets of rows `batch` on `device`.
pub fn batch_targets(
    split: &TokenSplit,
    batch: &[usize],
    device: &burn::tensor::Device,
) -> BatchTargets {
    let n = batch.len();
    match split.meta.kind {
        TaskKind::Classification => {
            let y: Vec<i64> = batch
                .iter()
                .map(|&i| match split.labels[i] {
                    Label::Class(c) => c,
                    Label::Score(s) => s as i64,
                })
                .collect();
            BatchTargets::Classes(Tensor::from_data(TensorData::new(y, [n]), device))
        }
        TaskKind::Regression => {
            let y: Vec<f32> = batch
                .iter()
                .map(|&i| match split.labels[i] {
                    Label::Score(s) => s,
                    Label::Class(c) => c as f32,
                })
                .collect();
            BatchTargets::Scores(Tensor::from_data(TensorData::new(y, [n, 1]), device))
        }
    }
}
