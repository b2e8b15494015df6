//! The finetune and cross-finetune stages: BERT with any readout (layer, token, dims), a linear
//! or MLP head and any freezing, trained with AdamW on any backend. Writes a run dir per
//! `shared/DESIGN.md`; [`cross`] chains runs over several tasks and scores each after each step.

pub mod adamw;
pub mod batches;
pub mod checkpoint;
pub mod clip;
pub mod cross;
pub mod eval;
pub mod finetune;
pub mod finetune_config;
pub mod freeze;
pub mod head;
pub mod progress;
pub mod step;
pub mod train;

use std::path::{Path, PathBuf};

pub use cross::{CrossConfig, CrossSummary, cross_finetune};
pub use finetune::{RunSummary, finetune};
pub use finetune_config::{FinetuneConfig, Hyper, HyperFlags, ReadoutSpec};

/// Errors of a finetune or cross-finetune.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Data(#[from] fewdims_data::DataError),
    #[error(transparent)]
    Table(#[from] fewdims_tables::TableError),
    #[error(transparent)]
    Tensors(#[from] fewdims_schema::tensors::TensorFileError),
    #[error(transparent)]
    RunFile(#[from] fewdims_schema::run::RunFileError),
    #[error(transparent)]
    Bert(#[from] fewdims_bert::BertError),
    #[error(transparent)]
    Probe(#[from] fewdims_probe::ProbeError),
    #[error(transparent)]
    Device(#[from] fewdims_backend::DeviceError),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the loss became {value} at epoch {}, step {step}: lower the learning rate or check the data; no run dir was written", epoch + 1)]
    NonFinite {
        epoch: usize,
        step: usize,
        value: f64,
    },
    #[error("stopped after epoch {epochs} as asked; `--resume` continues from {}", dir.display())]
    Interrupted { epochs: usize, dir: PathBuf },
    #[error("{}: another finetune is writing this run dir (it holds {}); wait for it, or stop it", out.display(), lock.display())]
    Locked { out: PathBuf, lock: PathBuf },
    #[error("checkpoint {}: {reason}", dir.display())]
    Checkpoint { dir: PathBuf, reason: String },
}

/// A busy run dir keeps finetune's own message; other lock failures are I/O errors of the lock.
impl From<fewdims_schema::LockError> for TrainError {
    fn from(e: fewdims_schema::LockError) -> Self {
        match e {
            fewdims_schema::LockError::Busy { out, lock } => TrainError::Locked { out, lock },
            fewdims_schema::LockError::Io { lock, source, .. } => {
                TrainError::Io { path: lock, source }
            }
            fewdims_schema::LockError::NotWritable(e) => TrainError::Io {
                path: e.dir,
                source: e.err,
            },
        }
    }
}

impl TrainError {
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        TrainError::Io {
            path: path.into(),
            source,
        }
    }
}
