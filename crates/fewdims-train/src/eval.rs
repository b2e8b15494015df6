//! Evaluation: predictions of encoder + head on a split, scored by the task's metrics.

use burn::tensor::{Tensor, TensorData};
use fewdims_bert::{BertInput, BertModel};
use fewdims_data::{Kind, Label, TokenSplit};
use fewdims_probe::Target;
use fewdims_probe::metrics::{Metric, Pred};

use crate::batches::eval_batches;
use crate::head::ClassifierHead;
use crate::model::{Readout, forward};

/// Predictions in row order.
#[derive(Clone, Debug)]
pub enum Predictions {
    Classes(Vec<u32>),
    Scores(Vec<f32>),
}

/// The metric target of a split (labels as the probes crate wants them).
pub fn target(split: &TokenSplit) -> Target {
    match split.meta.kind {
        Kind::Classification => Target::Classes {
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
        Kind::Regression => Target::Scores(
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
    let lengths: Vec<usize> = (0..split.len()).map(|i| split.row(i).0.len()).collect();
    let regression = split.meta.kind == Kind::Regression;
    let mut classes = vec![0u32; split.len()];
    let mut scores = vec![0f32; split.len()];
    for batch in eval_batches(&lengths, batch_size) {
        let rows: Vec<(&[u32], &[u8])> = batch.iter().map(|&i| split.row(i)).collect();
        let ids: Vec<&[u32]> = rows.iter().map(|r| r.0).collect();
        let types: Vec<&[u8]> = rows.iter().map(|r| r.1).collect();
        let out = forward(
            encoder,
            head,
            readout,
            BertInput::from_sequences(&ids, &types, pad_id, &device),
        );
        if regression {
            let values: Vec<f32> = out.into_data().try_to_vec().expect("f32 scores");
            for (&i, v) in batch.iter().zip(values) {
                scores[i] = v;
            }
        } else {
            let best: Vec<i64> = out
                .argmax(1)
                .into_data()
                .convert::<i64>()
                .try_to_vec()
                .expect("int argmax");
            for (&i, c) in batch.iter().zip(best) {
                classes[i] = c as u32;
            }
        }
    }
    if regression {
        Predictions::Scores(scores)
    } else {
        Predictions::Classes(classes)
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
        Kind::Classification => {
            let y: Vec<i64> = batch
                .iter()
                .map(|&i| match split.labels[i] {
                    Label::Class(c) => c,
                    Label::Score(s) => s as i64,
                })
                .collect();
            BatchTargets::Classes(Tensor::from_data(TensorData::new(y, [n]), device))
        }
        Kind::Regression => {
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
