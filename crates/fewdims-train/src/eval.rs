//! Evaluation: predictions of encoder + head on a split, scored by the task's metrics.

use burn::tensor::{Tensor, TensorData};
use fewdims_bert::{BertInput, BertModel};
use fewdims_data::{Label, TaskKind, TokenSplit};
use fewdims_probe::Target;
use fewdims_probe::metrics::{Metric, Pred};

use crate::head::ClassifierHead;
use fewdims_bert::{Readout, eval_in_batches, readout_vector_and_position};
use fewdims_schema::run::{PredictionRow, TokenRole};

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

/// The head's raw outputs on every row of a split, in row order.
#[derive(Clone, Debug)]
pub struct Outputs {
    /// Outputs per row: the number of classes, or 1 for regression.
    pub width: usize,
    /// `[n * width]`, row-major.
    pub values: Vec<f32>,
    /// The position each row's readout read, where it reads one token.
    pub positions: Option<Vec<u32>>,
}

impl Outputs {
    /// Argmax classes (the first of tied maxima), or the regression output.
    pub fn predictions(&self, kind: TaskKind) -> Predictions {
        match kind {
            TaskKind::Regression => Predictions::Scores(self.values.clone()),
            TaskKind::Classification => Predictions::Classes(
                self.values
                    .chunks_exact(self.width.max(1))
                    .map(|row| {
                        let mut best = 0;
                        for (c, v) in row.iter().enumerate() {
                            if *v > row[best] {
                                best = c;
                            }
                        }
                        best as u32
                    })
                    .collect(),
            ),
        }
    }

    /// One [`PredictionRow`] per row of `split` (called `name`: dev or test).
    pub fn rows(&self, name: &str, split: &TokenSplit) -> Vec<PredictionRow> {
        let pred = self.predictions(split.meta.kind);
        (0..split.len())
            .map(|i| PredictionRow {
                split: name.into(),
                idx: split.idx[i],
                label: match split.labels[i] {
                    Label::Class(c) => c as f32,
                    Label::Score(s) => s,
                },
                prediction: match &pred {
                    Predictions::Classes(c) => c[i] as f32,
                    Predictions::Scores(s) => s[i],
                },
                scores: self.values[i * self.width..(i + 1) * self.width].to_vec(),
                token_pos: self.positions.as_ref().map(|p| p[i]),
                token_role: self
                    .positions
                    .as_ref()
                    .map(|p| TokenRole::of(split.row(i).0, p[i] as usize)),
            })
            .collect()
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
    predict_outputs(encoder, head, readout, split, pad_id, batch_size).predictions(split.meta.kind)
}

/// The head's outputs and the readout's positions on every row of `split` (eval mode).
pub fn predict_outputs(
    encoder: &BertModel,
    head: &ClassifierHead,
    readout: Readout,
    split: &TokenSplit,
    pad_id: u32,
    batch_size: usize,
) -> Outputs {
    let device = encoder.embeddings.word_embeddings.weight.device();
    let lengths = lengths(split);
    let width = head.num_outputs();
    let mut positions = Vec::new();
    let mut one_token = true;
    let values = eval_in_batches(&lengths, batch_size, width, |rows| {
        let input = BertInput::from_rows(rows, |i| split.row(i), pad_id, &device);
        let (vector, position) = readout_vector_and_position(encoder, readout, input);
        match position {
            Some(p) => {
                let p: Vec<i64> = p.into_data().convert::<i64>().try_to_vec().expect("int");
                positions.push((rows.to_vec(), p));
            }
            None => one_token = false,
        }
        head.forward(vector)
            .into_data()
            .try_to_vec()
            .expect("f32 outputs")
    });
    let positions = one_token.then(|| {
        let mut out = vec![0u32; split.len()];
        for (rows, p) in positions {
            for (&i, &v) in rows.iter().zip(&p) {
                out[i] = v as u32;
            }
        }
        out
    });
    Outputs {
        width,
        values,
        positions,
    }
}

fn lengths(split: &TokenSplit) -> Vec<usize> {
    (0..split.len()).map(|i| split.row(i).0.len()).collect()
}

/// The head outputs `[B, width]` of every evaluation batch of `split`, in row order (no
/// readout positions).
pub fn outputs_in_batches(
    split: &TokenSplit,
    batch_size: usize,
    width: usize,
    mut outputs: impl FnMut(&[usize]) -> Tensor<2>,
) -> Outputs {
    let values = eval_in_batches(&lengths(split), batch_size, width, |rows| {
        outputs(rows)
            .into_data()
            .try_to_vec::<f32>()
            .expect("f32 outputs")
    });
    Outputs {
        width,
        values,
        positions: None,
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
