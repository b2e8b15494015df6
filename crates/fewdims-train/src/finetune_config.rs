//! A finetune's settings, validated against the task and the model before any work starts:
//! the settings `run.json` keeps ([`RunConfig`]), and the device.

use std::path::PathBuf;

use fewdims_backend::DeviceArgs;
use fewdims_schema::run::RunConfig;
pub use fewdims_schema::run::{Hyper, ReadoutSpec};
use fewdims_schema::vocab::{Freeze, Head};

/// Everything a finetune needs; reads as its [`RunConfig`] (`config.hyper`, `config.out`, ...).
#[derive(Clone, Debug)]
pub struct FinetuneConfig {
    pub run: RunConfig,
    pub device: DeviceArgs,
}

impl std::ops::Deref for FinetuneConfig {
    type Target = RunConfig;
    fn deref(&self) -> &RunConfig {
        &self.run
    }
}

impl std::ops::DerefMut for FinetuneConfig {
    fn deref_mut(&mut self) -> &mut RunConfig {
        &mut self.run
    }
}

impl FinetuneConfig {
    /// Defaults for everything but the paths.
    pub fn new(model: PathBuf, train: PathBuf, dev: PathBuf, out: PathBuf) -> Self {
        Self {
            run: RunConfig {
                model,
                train,
                dev,
                test: None,
                also_test: Vec::new(),
                out,
                readout: ReadoutSpec::default(),
                head: Head::Linear,
                freeze: Freeze::None,
                hyper: Hyper::default(),
                resume: false,
                max_train: None,
                quiet: false,
                stop_after: None,
                log_every: fewdims_schema::run::DEFAULT_LOG_EVERY,
                save_every: None,
            },
            device: DeviceArgs::default(),
        }
    }
}

/// `finetune`'s hyperparameter flags, defaulting to [`Hyper::default`].
#[derive(Clone, Debug, clap::Args)]
pub struct HyperFlags {
    #[arg(long, default_value_t = Hyper::default().epochs)]
    pub epochs: usize,
    #[arg(long, default_value_t = Hyper::default().batch_size)]
    pub batch_size: usize,
    #[arg(long, default_value_t = Hyper::default().eval_batch_size)]
    pub eval_batch_size: usize,
    /// Peak learning rate (linear warm-up and decay).
    #[arg(long, default_value_t = Hyper::default().lr)]
    pub lr: f64,
    /// Peak learning rate of the head [default: --lr].
    #[arg(long)]
    pub head_lr: Option<f64>,
    #[arg(long, default_value_t = Hyper::default().weight_decay)]
    pub weight_decay: f64,
    #[arg(long, default_value_t = Hyper::default().warmup_ratio)]
    pub warmup_ratio: f64,
    /// Clip the global gradient norm; 0 turns clipping off.
    #[arg(long, default_value_t = 1.0)]
    pub max_grad_norm: f64,
    /// Dropout on the head input [default: the model's hidden_dropout_prob].
    #[arg(long)]
    pub head_dropout: Option<f64>,
    #[arg(long, default_value_t = Hyper::default().seed)]
    pub seed: u64,
}

impl HyperFlags {
    /// The hyperparameters (`--max-grad-norm 0` turns clipping off).
    pub fn hyper(&self) -> Hyper {
        Hyper {
            epochs: self.epochs,
            batch_size: self.batch_size,
            eval_batch_size: self.eval_batch_size,
            lr: self.lr,
            head_lr: self.head_lr,
            weight_decay: self.weight_decay,
            warmup_ratio: self.warmup_ratio,
            max_grad_norm: clip_norm(self.max_grad_norm),
            head_dropout: self.head_dropout,
            seed: self.seed,
        }
    }
}

/// `--max-grad-norm N`: clipping at N, or none for N <= 0.
pub fn clip_norm(n: f64) -> Option<f64> {
    (n > 0.0).then_some(n)
}
