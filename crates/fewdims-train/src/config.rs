//! A finetune's settings, validated against the task and the model before any work starts.

use std::path::PathBuf;

use fewdims_backend::DeviceArgs;
use fewdims_schema::vocab::{Dims, Freeze, Head, Layer, Token};
use serde::{Deserialize, Serialize};

/// Optimisation hyperparameters (defaults documented in docs/finetune.md). Read back from a
/// run's `run.json` (missing fields take the defaults).
#[derive(Clone, Debug, Serialize, Deserialize)]
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

/// The readout that feeds the head.
#[derive(Clone, Debug, Serialize)]
pub struct ReadoutSpec {
    #[serde(serialize_with = "as_string")]
    pub layer: Layer,
    #[serde(serialize_with = "as_string")]
    pub token: Token,
    #[serde(serialize_with = "as_string")]
    pub dims: Dims,
}

impl Default for ReadoutSpec {
    fn default() -> Self {
        Self {
            layer: Layer(-1),
            token: Token::Cls,
            dims: Dims::All,
        }
    }
}

fn as_string<T: std::fmt::Display, S: serde::Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

/// Everything a finetune needs.
#[derive(Clone, Debug, Serialize)]
pub struct FinetuneConfig {
    /// A model dir (HF layout) or a run dir of an earlier finetune.
    pub model: PathBuf,
    pub train: PathBuf,
    pub dev: PathBuf,
    pub test: Option<PathBuf>,
    /// The run dir to write (`runs/<id>`).
    pub out: PathBuf,
    pub readout: ReadoutSpec,
    #[serde(serialize_with = "as_string")]
    pub head: Head,
    #[serde(serialize_with = "as_string")]
    pub freeze: Freeze,
    pub hyper: Hyper,
    #[serde(skip)]
    pub device: DeviceArgs,
    /// Continue from the last epoch checkpoint of an interrupted run.
    pub resume: bool,
    /// Train on a seeded subsample of this many rows.
    pub max_train: Option<usize>,
    /// No progress bar (logs only).
    pub quiet: bool,
    /// Stop (as if killed) after this many epochs, leaving the checkpoint for `--resume`.
    pub stop_after: Option<usize>,
}

impl FinetuneConfig {
    /// Defaults for everything but the paths.
    pub fn new(model: PathBuf, train: PathBuf, dev: PathBuf, out: PathBuf) -> Self {
        Self {
            model,
            train,
            dev,
            test: None,
            out,
            readout: ReadoutSpec::default(),
            head: Head::Linear,
            freeze: Freeze::None,
            hyper: Hyper::default(),
            device: DeviceArgs::default(),
            resume: false,
            max_train: None,
            quiet: false,
            stop_after: None,
        }
    }
}
