//! Scoring a task on the current encoder: its readout vectors are computed once per split (the
//! encoder in eval mode), then read by the task's saved head (`head`), by that head re-trained on
//! the train vectors (`retrained`: the encoder is frozen, so training on cached vectors is
//! exact up to the encoder's dropout, which is off), and by a probe re-fit on them (`probe`).

use burn::module::Module;
use burn::nn::loss::{CrossEntropyLossConfig, MseLoss, Reduction};
use burn::optim::{AdamWConfig, GradientsParams};
use burn::tensor::{Device, Tensor, TensorData};
use fewdims_bert::{BertInput, BertModel};
use fewdims_data::{Label, TaskKind, TokenSplit};
use fewdims_probe::search::{Buffers, Prober, best};
use fewdims_probe::{Metric, Problem, Settings};
use fewdims_schema::cross::Mode;
use fewdims_schema::hidden::Labels;
use fewdims_schema::probe::Method;
use fewdims_schema::run::HEAD_PREFIX;

use super::inputs::CrossTask;
use super::matrix::CrossRow;
use super::{CrossConfig, modes};
use crate::TrainError;
use crate::batches::train_batches;
use crate::eval::{BatchTargets, Outputs, Predictions, batch_targets, score, target};
use crate::head::ClassifierHead;
use fewdims_bert::{Readout, eval_in_batches, readout_vector, to_host};
use fewdims_schema::run::PredictionRow;

/// How an earlier task's head is re-trained (`--earlier-heads retrain`).
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct RetrainSettings {
    pub epochs: usize,
    /// Constant AdamW learning rate of the head.
    pub lr: f64,
}

impl Default for RetrainSettings {
    fn default() -> Self {
        Self {
            epochs: 1,
            lr: 1e-3,
        }
    }
}

/// Regularization strengths tried by the probe (logistic C and ridge alpha); best on dev wins.
pub const PROBE_GRID: [f64; 5] = [0.01, 0.1, 1.0, 10.0, 100.0];
/// Up to this many dims the probe is a Newton fit on a Gram subset, above it the full-vector fit:
/// the same family (Newton for two classes, one-vs-rest L-BFGS for more).
const PROBE_NEWTON_MAX_DIMS: usize = 64;

/// Readout vectors of a split, row-major `[n, h]`, in row order.
pub struct Vectors {
    pub n: usize,
    pub h: usize,
    pub data: Vec<f32>,
}

impl Vectors {
    /// Rows `rows` as a `[B, H]` tensor on `device`.
    fn gather(&self, rows: &[usize], device: &Device) -> Tensor<2> {
        let mut out = Vec::with_capacity(rows.len() * self.h);
        for &i in rows {
            out.extend_from_slice(&self.data[i * self.h..(i + 1) * self.h]);
        }
        Tensor::from_data(TensorData::new(out, [rows.len(), self.h]), device)
    }

    /// Columns `dims` only, row-major `[n, dims.len()]`.
    fn select(&self, dims: &[usize]) -> Vec<f32> {
        let mut out = Vec::with_capacity(self.n * dims.len());
        for row in self.data.chunks_exact(self.h) {
            out.extend(dims.iter().map(|&d| row[d]));
        }
        out
    }
}

fn lengths(split: &TokenSplit) -> Vec<usize> {
    (0..split.len()).map(|i| split.row(i).0.len()).collect()
}

/// The readout vectors of every row of `split`: input [N, S] → [N, H], in the evaluation batches
/// of [`crate::eval::predict`] (so a head reading them reproduces its predictions exactly).
pub fn readout_matrix(
    encoder: &BertModel,
    readout: Readout,
    split: &TokenSplit,
    pad_id: u32,
    batch_size: usize,
) -> Vectors {
    let device = encoder.embeddings.word_embeddings.weight.device();
    let h = encoder.embeddings.word_embeddings.weight.dims()[1];
    let data = eval_in_batches(&lengths(split), batch_size, h, |rows| {
        let input = BertInput::from_rows(rows, |i| split.row(i), pad_id, &device);
        to_host(readout_vector(encoder, readout, input))
    });
    Vectors {
        n: split.len(),
        h,
        data,
    }
}

/// A head's outputs from cached vectors, batch by batch as [`crate::eval::predict`].
fn head_outputs(
    head: &ClassifierHead,
    vectors: &Vectors,
    split: &TokenSplit,
    batch_size: usize,
    device: &Device,
) -> Outputs {
    crate::eval::outputs_in_batches(split, batch_size, head.num_outputs(), |rows| {
        head.forward(vectors.gather(rows, device))
    })
}

/// A head's predictions from cached vectors.
fn head_predict(
    head: &ClassifierHead,
    vectors: &Vectors,
    split: &TokenSplit,
    batch_size: usize,
    device: &Device,
) -> Predictions {
    head_outputs(head, vectors, split, batch_size, device).predictions(split.meta.kind)
}

/// What one step scored: the matrix rows, and per evaluated task the per-item predictions of
/// its own saved head (`head` mode) on dev and test.
#[derive(Default)]
pub struct StepScores {
    pub rows: Vec<CrossRow>,
    pub predictions: Vec<(String, Vec<PredictionRow>)>,
}

/// Scores the tasks of a cross run after each step.
pub struct Scorer<'a> {
    config: &'a CrossConfig,
    device: Device,
    pad_id: u32,
}

/// One split of a task with its vectors.
struct Scored<'s> {
    name: &'static str,
    split: &'s TokenSplit,
    vectors: Vectors,
}

impl<'a> Scorer<'a> {
    pub fn new(config: &'a CrossConfig, device: &Device, pad_id: u32) -> Self {
        Self {
            config,
            device: device.clone(),
            pad_id,
        }
    }

    /// Every row of step `step` (whose encoder is `encoder`, eval mode) for `tasks` (steps 0..=step).
    pub fn step(
        &self,
        step: usize,
        encoder: &BertModel,
        tasks: &[CrossTask],
    ) -> Result<StepScores, TrainError> {
        let trained = &tasks[step].info.task;
        let bs = self.config.hyper.eval_batch_size;
        let mut rows = Vec::new();
        let mut predictions = Vec::new();
        for t in tasks {
            let modes = modes(self.config, step, t.step);
            let readout = Readout {
                layer: t.info.layer_index,
                token: t.info.readout.token,
            };
            let vectors = |s: &TokenSplit| readout_matrix(encoder, readout, s, self.pad_id, bs);
            let eval: Vec<Scored> = std::iter::once(("dev", &t.dev))
                .chain(t.test.as_ref().map(|s| ("test", s)))
                .map(|(name, split)| Scored {
                    name,
                    split,
                    vectors: vectors(split),
                })
                .collect();
            let train = (modes.len() > 1).then(|| vectors(&t.train));
            let mut push = |mode: Mode, split: &str, scores: Vec<(String, f64)>| {
                rows.extend(scores.into_iter().map(|(metric, value)| CrossRow {
                    step: step as u32,
                    trained_task: trained.clone(),
                    eval_task: t.info.task.clone(),
                    mode,
                    split: split.to_string(),
                    metric,
                    value,
                }));
            };
            for mode in modes {
                match mode {
                    Mode::Head | Mode::Retrained => {
                        let head = match mode {
                            Mode::Head => self.saved_head(t, &self.device)?,
                            _ => {
                                self.retrain(t, train.as_ref().expect("train vectors"), &eval[0])?
                            }
                        };
                        let mut own = Vec::new();
                        for s in &eval {
                            let out = head_outputs(&head, &s.vectors, s.split, bs, &self.device);
                            if mode == Mode::Head {
                                own.extend(out.rows(s.name, s.split));
                            }
                            let pred = out.predictions(s.split.meta.kind);
                            push(
                                mode,
                                s.name,
                                score(&t.info.metrics, &pred, &target(s.split)),
                            );
                        }
                        if mode == Mode::Head {
                            predictions.push((t.info.task.clone(), own));
                        }
                    }
                    Mode::Probe => {
                        let fit = probe(t, train.as_ref().expect("train vectors"), &eval)?;
                        for (name, scores) in fit {
                            push(mode, name, scores);
                        }
                    }
                }
            }
        }
        Ok(StepScores { rows, predictions })
    }

    fn saved_head(&self, t: &CrossTask, device: &Device) -> Result<ClassifierHead, TrainError> {
        ClassifierHead::from_tensors(&t.head, HEAD_PREFIX, t.head_dropout, device).map_err(|e| {
            TrainError::Invalid(format!(
                "{}: head of task `{}`: {e}",
                t.info.dir.display(),
                t.info.task
            ))
        })
    }

    /// The task's saved head, trained further on the train vectors (AdamW, constant lr, seeded
    /// batches, the head's own dropout); the best epoch on dev is kept. Returns it in eval mode.
    fn retrain(
        &self,
        t: &CrossTask,
        train: &Vectors,
        dev: &Scored,
    ) -> Result<ClassifierHead, TrainError> {
        let hp = &self.config.hyper;
        let settings = self.config.retrain;
        let ad = self.device.clone().autodiff();
        let mut head = self.saved_head(t, &ad)?;
        let mut opt = AdamWConfig::new()
            .with_weight_decay(hp.weight_decay as f32)
            .with_epsilon(1e-8)
            .init();
        let flat = vec![0usize; train.n];
        let mut best_head: Option<(f64, ClassifierHead)> = None;
        let dev_target = target(dev.split);
        for epoch in 0..settings.epochs.max(1) {
            ad.seed(hp.seed.wrapping_add(epoch as u64));
            for batch in train_batches(&flat, hp.batch_size, hp.seed, epoch) {
                let out = head.forward(train.gather(&batch, &ad));
                let loss: Tensor<1> = match batch_targets(&t.train, &batch, &ad) {
                    BatchTargets::Classes(y) => {
                        CrossEntropyLossConfig::new().init(&ad).forward(out, y)
                    }
                    BatchTargets::Scores(y) => {
                        MseLoss::new().forward(out, y, Reduction::Mean).reshape([1])
                    }
                };
                let value = loss.clone().into_scalar::<f32>();
                if !value.is_finite() {
                    return Err(TrainError::Invalid(format!(
                        "re-training the head of `{}`: the loss became {value}; lower --retrain-lr",
                        t.info.task
                    )));
                }
                let mut grads = loss.backward();
                let grads = GradientsParams::from_module(&mut grads, &head);
                head = opt.step(settings.lr, head, grads);
            }
            let eval = head.valid();
            let pred = head_predict(
                &eval,
                &dev.vectors,
                dev.split,
                hp.eval_batch_size,
                &self.device,
            );
            let main = score(&t.info.metrics, &pred, &dev_target)
                .first()
                .map_or(f64::NAN, |m| m.1);
            if best_head.as_ref().is_none_or(|(b, _)| main > *b) {
                best_head = Some((main, eval));
            }
        }
        Ok(best_head.expect("at least one epoch").1)
    }
}

fn labels(split: &TokenSplit) -> Labels {
    match split.meta.kind {
        TaskKind::Classification => Labels::Classes(
            split
                .labels
                .iter()
                .map(|l| match *l {
                    Label::Class(c) => c,
                    Label::Score(s) => s as i64,
                })
                .collect(),
        ),
        TaskKind::Regression => Labels::Scores(
            split
                .labels
                .iter()
                .map(|l| match *l {
                    Label::Score(s) => s,
                    Label::Class(c) => c as f32,
                })
                .collect(),
        ),
    }
}

/// A probe (logistic for classes, ridge for scores) on the task's own dims of the train vectors,
/// its strength chosen on dev from [`PROBE_GRID`]; scores per eval split.
fn probe(
    t: &CrossTask,
    train: &Vectors,
    eval: &[Scored],
) -> Result<Vec<(&'static str, Vec<(String, f64)>)>, TrainError> {
    let dims = &t.info.dims;
    let k = dims.len();
    let (names, metrics): (Vec<String>, Vec<Metric>) = t
        .info
        .metrics
        .iter()
        .filter_map(|n| Metric::parse(n).map(|m| (n.clone(), m)))
        .unzip();
    let x = |v: &Vectors| v.select(dims);
    let (xtr, ltr) = (x(train), labels(&t.train));
    let (xdev, ldev) = (x(&eval[0].vectors), labels(eval[0].split));
    let test = eval.get(1).map(|s| (x(&s.vectors), labels(s.split)));
    let problem = Problem::new(
        (xtr.as_slice(), &ltr),
        (xdev.as_slice(), &ldev),
        test.as_ref().map(|(x, l)| (x.as_slice(), l)),
        k,
        metrics,
        t.train.meta.num_classes(),
    )?;
    let all: Vec<usize> = (0..k).collect();
    let fits: Vec<_> = PROBE_GRID
        .iter()
        .map(|&g| {
            let settings = Settings {
                c: g,
                alpha: g,
                ..Settings::default()
            };
            let prober = Prober::new(&problem, settings);
            if k <= PROBE_NEWTON_MAX_DIMS {
                prober.subset(Method::Full, &all, &mut Buffers::default())
            } else {
                prober.full()
            }
        })
        .collect();
    let fit = best(&fits).expect("a non-empty grid");
    let named = |values: &[f64]| -> Vec<(String, f64)> {
        names.iter().cloned().zip(values.iter().copied()).collect()
    };
    let mut out = vec![("dev", named(&fit.dev))];
    if test.is_some() {
        out.push(("test", named(&fit.test)));
    }
    Ok(out)
}
