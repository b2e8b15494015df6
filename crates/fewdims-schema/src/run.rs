//! The run dir contract: `runs/<id>/` with `model.safetensors`, `config.json`, `run.json`,
//! `metrics.parquet` (one row per epoch, split and metric), `curve.parquet` (the training curve) and
//! `predictions.parquet` (per-item predictions of the best epoch on dev and test).
//!
//! [`RunFile`] is `run.json`, typed: `finetune` writes it and every reader (cross-finetune,
//! probe-dims ablate, the report, make through `report --summary`) reads it with [`RunFile::read`],
//! which refuses a file of another [`FORMAT`].

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::task::TaskKind;
use crate::vocab::{Dims, Freeze, Head, Layer, ReadoutKind};

/// Files inside a run dir.
pub const MODEL_FILE: &str = "model.safetensors";
pub const CONFIG_FILE: &str = "config.json";
pub const RUN_FILE: &str = "run.json";
pub const METRICS_FILE: &str = "metrics.parquet";
pub const CURVE_FILE: &str = "curve.parquet";
pub const PREDICTIONS_FILE: &str = "predictions.parquet";

/// Columns of `metrics.parquet`.
pub const EPOCH: &str = "epoch";
pub const SPLIT: &str = "split";
pub const METRIC: &str = "metric";
pub const VALUE: &str = "value";

/// Columns of `curve.parquet` (and `epoch`).
pub const STEP: &str = "step";
pub const LOSS: &str = "loss";
pub const LEARNING_RATE: &str = "learning_rate";
pub const GRAD_NORM: &str = "grad_norm";

/// Columns of `predictions.parquet` (and `split`): one row per scored item at the best epoch.
pub const IDX: &str = "idx";
pub const LABEL: &str = "label";
pub const PREDICTION: &str = "prediction";
pub const SCORES: &str = "scores";
pub const TOKEN_POS: &str = "token_pos";
pub const TOKEN_ROLE: &str = "token_role";

/// Curve points are taken every this many optimizer steps unless `--log-every` says otherwise:
/// the main job's runs of 94 steps (1,500 rows, batch 16) get 24.
pub const DEFAULT_LOG_EVERY: usize = 4;

/// Head tensors in `model.safetensors` sit under this prefix (`head.out_proj.weight`, ...).
pub const HEAD_PREFIX: &str = "head";
/// The head's 0/1 mask of the selected dims, [H].
pub const HEAD_DIMS_MASK: &str = "head.dims_mask";
/// The hidden layer of an `mlp` head (`.weight` [H', H], `.bias` [H']).
pub const HEAD_DENSE: &str = "head.dense";
/// The output layer (`.weight` [out, in], `.bias` [out]).
pub const HEAD_OUT_PROJ: &str = "head.out_proj";

/// `__metadata__` keys of a run's `model.safetensors`.
pub const META_FORMAT: &str = "format";
pub const META_TASK: &str = "fewdims.task";
pub const META_READOUT: &str = "fewdims.readout";

/// The `format` of the `run.json` this build writes and reads.
pub const FORMAT: &str = "fewdims-run-v1";

/// Errors of reading a `run.json`; each names the file.
#[derive(Debug, thiserror::Error)]
pub enum RunFileError {
    #[error("{}: not a finished run (no {RUN_FILE}); finetune it first", dir.display())]
    Missing { dir: PathBuf },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{}: run.json format {found}, but this build reads {FORMAT}; re-run its finetune (make does for every run of its DAG)",
        path.display()
    )]
    Version { path: PathBuf, found: String },
    #[error("{}: not a valid {FORMAT} run.json: {}{msg}", path.display(), if field.is_empty() || field == "." { String::new() } else { format!("field `{field}`: ") })]
    Json {
        path: PathBuf,
        /// The field at fault (`config.hyper.lr`), when known.
        field: String,
        msg: String,
    },
}

/// Optimisation hyperparameters (defaults documented in docs/finetune.md).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Hyper {
    pub epochs: usize,
    pub batch_size: usize,
    pub eval_batch_size: usize,
    /// Peak learning rate of the encoder (linear warm-up, then linear decay to 0).
    pub lr: f64,
    /// Peak learning rate of the head; `None` = `lr`.
    pub head_lr: Option<f64>,
    pub weight_decay: f64,
    /// Fraction of all steps spent warming up.
    pub warmup_ratio: f64,
    /// Clip the global gradient norm (as `torch.nn.utils.clip_grad_norm_`); `None` = no clipping.
    pub max_grad_norm: Option<f64>,
    /// Dropout on the head's input; `None` = the model's `hidden_dropout_prob`.
    pub head_dropout: Option<f64>,
    pub seed: u64,
}

impl Default for Hyper {
    fn default() -> Self {
        Self {
            epochs: 3,
            batch_size: 32,
            eval_batch_size: 128,
            lr: 5e-5,
            head_lr: None,
            weight_decay: 0.01,
            warmup_ratio: 0.1,
            max_grad_norm: Some(1.0),
            head_dropout: None,
            seed: 42,
        }
    }
}

/// The readout that feeds the head: the flags as given (`-1`, `random:2`), resolved in
/// [`RunFile::layer_index`] and [`RunFile::dims_resolved`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReadoutSpec {
    #[serde(with = "as_text")]
    pub layer: Layer,
    #[serde(with = "as_text")]
    pub token: ReadoutKind,
    #[serde(with = "as_text")]
    pub dims: Dims,
}

impl Default for ReadoutSpec {
    fn default() -> Self {
        Self {
            layer: Layer(-1),
            token: ReadoutKind::Cls,
            dims: Dims::All,
        }
    }
}

/// The settings of a finetune as `run.json` keeps them (`config`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunConfig {
    /// A model dir (HF layout) or a run dir of an earlier finetune.
    pub model: PathBuf,
    pub train: PathBuf,
    pub dev: PathBuf,
    pub test: Option<PathBuf>,
    /// More labelled report splits, scored like `test` and named by their split metadata
    /// (MNLI's `test_mm`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also_test: Vec<PathBuf>,
    /// The run dir written (`runs/<id>`).
    pub out: PathBuf,
    pub readout: ReadoutSpec,
    #[serde(with = "as_text")]
    pub head: Head,
    #[serde(with = "as_text")]
    pub freeze: Freeze,
    pub hyper: Hyper,
    pub resume: bool,
    /// Trained on a seeded subsample of this many rows.
    pub max_train: Option<usize>,
    pub quiet: bool,
    pub stop_after: Option<usize>,
    /// A training-curve point every this many steps.
    #[serde(default = "default_log_every")]
    pub log_every: usize,
    /// A resumable checkpoint every this many steps (besides every epoch's end).
    #[serde(default)]
    pub save_every: Option<usize>,
}

fn default_log_every() -> usize {
    DEFAULT_LOG_EVERY
}

impl RunConfig {
    /// True when both configs give the same result (progress and resume flags aside).
    pub fn same_result(&self, other: &RunConfig) -> bool {
        let strip = |c: &RunConfig| RunConfig {
            quiet: false,
            resume: false,
            stop_after: None,
            save_every: None,
            ..c.clone()
        };
        strip(self) == strip(other)
    }
}

/// One row of `metrics.parquet`, and of `run.json`'s `final` (NaN is written as `null`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricRow {
    pub epoch: usize,
    pub split: String,
    pub metric: String,
    #[serde(deserialize_with = "nan_from_null")]
    pub value: f64,
}

/// One point of a run's training curve (`curve.parquet`): the mean training loss over the steps
/// since the previous point, and the learning rate and pre-clipping gradient norm of the last
/// of them (as Trainer logs `loss`, `learning_rate` and `grad_norm`). `step` counts from 1.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CurveRow {
    pub step: usize,
    pub epoch: usize,
    pub loss: f64,
    pub learning_rate: f64,
    #[serde(deserialize_with = "nan_from_null")]
    pub grad_norm: f64,
}

/// Wall time of the training loop.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Timings {
    pub train_seconds: f64,
    pub train_examples_per_second: f64,
}

/// `run.json`: a finished run's settings, data sizes, resolved readout and best-epoch scores.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunFile {
    /// Always [`FORMAT`].
    pub format: String,
    pub config: RunConfig,
    pub seed: u64,
    pub backend: String,
    pub device: String,
    pub git_revision: String,
    pub task: String,
    #[serde(with = "kind_text")]
    pub kind: TaskKind,
    /// Metric names; the first is the selection metric.
    pub metrics: Vec<String>,
    pub label_names: Vec<String>,
    pub num_train: usize,
    pub num_dev: usize,
    /// `None` when the test split is missing or unlabelled (not scored).
    pub num_test: Option<usize>,
    /// The resolved layer (0 = embeddings) and dims.
    pub layer_index: usize,
    pub dims_resolved: Vec<usize>,
    /// The epoch of the best finite dev score; the last epoch when no epoch had one.
    pub best_epoch: usize,
    /// Epochs whose dev score (first metric) was NaN or infinite: never selected.
    #[serde(default)]
    pub non_finite_dev_epochs: Vec<usize>,
    /// The best epoch's dev (and test) metrics.
    #[serde(rename = "final")]
    pub final_metrics: Vec<MetricRow>,
    pub timings: Timings,
}

impl RunFile {
    /// Reads `<dir>/run.json`; refuses a missing file, another format or a malformed field.
    pub fn read(dir: &Path) -> Result<Self, RunFileError> {
        let path = dir.join(RUN_FILE);
        if !path.is_file() {
            return Err(RunFileError::Missing { dir: dir.into() });
        }
        let bytes = std::fs::read(&path).map_err(|source| RunFileError::Io {
            path: path.clone(),
            source,
        })?;
        Self::parse(&path, &bytes)
    }

    /// Parses the bytes of `path` (named in errors).
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<Self, RunFileError> {
        let json = |err: serde_json::Error| RunFileError::Json {
            path: path.into(),
            field: String::new(),
            msg: err.to_string(),
        };
        let value: serde_json::Value = serde_json::from_slice(bytes).map_err(json)?;
        let found = match value.get("format") {
            Some(serde_json::Value::String(f)) if f == FORMAT => None,
            Some(serde_json::Value::String(f)) => Some(format!("`{f}`")),
            Some(other) => Some(format!("{other} (not a string)")),
            None => Some("(none: written before formats were versioned)".into()),
        };
        if let Some(found) = found {
            return Err(RunFileError::Version {
                path: path.into(),
                found,
            });
        }
        // Deserialized from the bytes, so an error names the field (`config.hyper.lr`) and line.
        let de = &mut serde_json::Deserializer::from_slice(bytes);
        serde_path_to_error::deserialize(de).map_err(|e| RunFileError::Json {
            path: path.into(),
            field: e.path().to_string(),
            msg: e.into_inner().to_string(),
        })
    }

    /// Pretty JSON, as written to `run.json`.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(self).expect("run.json serializes")
    }

    /// The value of `metric` on `split` at the best epoch, if the run has it.
    pub fn score(&self, split: &str, metric: &str) -> Option<f64> {
        self.final_metrics
            .iter()
            .find(|r| r.split == split && r.metric == metric)
            .map(|r| r.value)
    }
}

fn nan_from_null<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

/// Flag values (`Layer`, `ReadoutKind`, `Dims`, `Head`, `Freeze`) as their flag text.
mod as_text {
    use std::fmt::Display;
    use std::str::FromStr;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<T: Display, S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(v)
    }

    pub fn deserialize<'de, T, D>(d: D) -> Result<T, D::Error>
    where
        T: FromStr,
        T::Err: Display,
        D: Deserializer<'de>,
    {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// [`TaskKind`] as its name (`classification`, `regression`).
mod kind_text {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::task::TaskKind;

    pub fn serialize<S: Serializer>(v: &TaskKind, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(v.as_str())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<TaskKind, D::Error> {
        let s = String::deserialize(d)?;
        TaskKind::parse(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown task kind `{s}`")))
    }
}

mod predictions;
pub use predictions::{PredictionRow, TokenRole};

#[cfg(test)]
mod tests;
