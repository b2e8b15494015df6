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
                out,
                readout: ReadoutSpec::default(),
                head: Head::Linear,
                freeze: Freeze::None,
                hyper: Hyper::default(),
                resume: false,
                max_train: None,
                quiet: false,
                stop_after: None,
            },
            device: DeviceArgs::default(),
        }
    }
}
