//! The hidden-state contract: `hidden/<id>/<task>/<split>.safetensors`.
//!
//! Tensors (little-endian, C order):
//! - one F32 tensor per readout, named by the readout (`cls`, `max-norm`, `mean`, `pos:N`,
//!   `pooler`), shape `[N, L+1, H]`: layer 0 is the embeddings output, layer l the output of
//!   encoder layer l. `pooler` has one layer: `[N, 1, H]`.
//! - `label` `[N]`: I64 class index for classification (-1 = unlabelled), F32 for regression.
//! - `idx` `[N]` U32: the item ids of the token parquet, in file order.
//! - optional full per-token states: `tokens` F32 `[T, L+1, H]`, every real token of every item
//!   (special tokens included, padding excluded), items one after another in file order, and
//!   `offsets` U64 `[N+1]`: item i owns rows `offsets[i]..offsets[i+1]` of `tokens`.
//!
//! `__metadata__` keys are the `META_*` constants. The tensors lie in the order readouts (as
//! listed in `readouts`), `label`, `idx`, `tokens`, `offsets`; readers must not rely on it.
//!
//! Write with [`HiddenWriter`] (streams batches to disk, memory flat in N) or
//! [`HiddenStates::write`]; read with [`HiddenReader`] (header first, one readout or one layer at
//! a time) or [`HiddenStates::read`]. Both validate everything against the contract.

mod layout;
mod meta;
mod read;
mod write;

use std::path::{Path, PathBuf};

pub use layout::{HiddenBatch, LabelSlice, TokenBatch};
pub use meta::HiddenMeta;
pub use read::HiddenReader;
pub use write::HiddenWriter;

use crate::task::TaskKind;
pub use crate::task::{KIND_CLASSIFICATION, KIND_REGRESSION, METRICS};

/// Tensor: labels `[N]`.
pub const TENSOR_LABEL: &str = "label";
/// Tensor: item ids `[N]` U32.
pub const TENSOR_IDX: &str = "idx";
/// Tensor: per-token states `[T, L+1, H]` (optional).
pub const TENSOR_TOKENS: &str = "tokens";
/// Tensor: per-item row offsets into `tokens`, `[N+1]` U64 (present iff `tokens` is).
pub const TENSOR_OFFSETS: &str = "offsets";

/// Metadata: model name.
pub const META_MODEL: &str = "model";
/// Metadata: task name.
pub const META_TASK: &str = "task";
/// Metadata: split name.
pub const META_SPLIT: &str = "split";
/// Metadata: comma-separated readout names, in tensor order.
pub const META_READOUTS: &str = "readouts";
/// Metadata: number of encoder layers L (tensors hold L+1).
pub const META_NUM_LAYERS: &str = "num_layers";
/// Metadata: hidden size H.
pub const META_HIDDEN_SIZE: &str = "hidden_size";
/// Metadata: `classification` or `regression`.
pub const META_KIND: &str = "kind";
/// Metadata: comma-separated metric names; the first is the selection metric.
pub const META_METRICS: &str = "metrics";
/// Metadata: JSON array of class names (`[]` for regression).
pub const META_LABEL_NAMES: &str = "label_names";
/// Metadata: the model dir or run dir the states came from.
pub const META_SOURCE: &str = "source";

/// The file of one split: `<root>/<id>/<task>/<split>.safetensors`.
pub fn hidden_path(root: impl AsRef<Path>, id: &str, task: &str, split: &str) -> PathBuf {
    root.as_ref()
        .join(id)
        .join(task)
        .join(format!("{split}.safetensors"))
}

/// Whether `name` is a readout of the vocabulary ([`crate::vocab::ReadoutKind`]), spelled canonically.
pub fn is_readout(name: &str) -> bool {
    name.parse::<crate::vocab::ReadoutKind>()
        .is_ok_and(|t| t.to_string() == name)
}

/// Whether readout `name` is read at the last layer only (the pooler; see `vocab::ReadoutKind`).
pub fn is_last_layer_only(name: &str) -> bool {
    name.parse::<crate::vocab::ReadoutKind>()
        .is_ok_and(|k| k.spec().last_layer_only)
}

/// How many layers readout `name` holds in a file of `layers` (= L+1) layers (1 for a
/// last-layer-only kind such as the pooler; see `vocab::ReadoutKind`).
pub fn readout_layers(name: &str, layers: usize) -> usize {
    name.parse::<crate::vocab::ReadoutKind>()
        .map_or(layers, |k| k.layers_in_file(layers))
}

/// Errors reading or writing hidden-state files; each names the file and what was expected.
#[derive(Debug, thiserror::Error)]
pub enum HiddenError {
    #[error("{path}: {err}")]
    Io { path: PathBuf, err: std::io::Error },
    #[error("{path}: not a valid safetensors file: {msg}")]
    Format { path: PathBuf, msg: String },
    #[error("{path}: __metadata__ `{key}`: {msg}")]
    Meta {
        path: PathBuf,
        key: String,
        msg: String,
    },
    #[error("{path}: tensor `{tensor}`: expected {expected}, found {found}")]
    Tensor {
        path: PathBuf,
        tensor: String,
        expected: String,
        found: String,
    },
    #[error("{path}: tensor `{tensor}` is missing (expected {expected})")]
    Missing {
        path: PathBuf,
        tensor: String,
        expected: String,
    },
    #[error("{path}: {msg}")]
    Invalid { path: PathBuf, msg: String },
}

/// Labels of a split.
#[derive(Debug, Clone, PartialEq)]
pub enum Labels {
    /// Class indices; -1 marks an unlabelled item.
    Classes(Vec<i64>),
    /// Regression scores.
    Scores(Vec<f32>),
}

impl Labels {
    pub fn len(&self) -> usize {
        match self {
            Labels::Classes(v) => v.len(),
            Labels::Scores(v) => v.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn as_slice(&self) -> LabelSlice<'_> {
        match self {
            Labels::Classes(v) => LabelSlice::Classes(v),
            Labels::Scores(v) => LabelSlice::Scores(v),
        }
    }
}

/// Full per-token states: `data` is `[T, L+1, H]`, item i owns rows `offsets[i]..offsets[i+1]`.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenStates {
    pub offsets: Vec<u64>,
    pub data: Vec<f32>,
}

/// A whole hidden-state file in memory.
#[derive(Debug, Clone, PartialEq)]
pub struct HiddenStates {
    pub meta: HiddenMeta,
    /// `(name, data)` in `meta.readouts` order; data is `[n, readout_layers(name, layers), hidden]`.
    pub readouts: Vec<(String, Vec<f32>)>,
    pub n: usize,
    /// L+1.
    pub layers: usize,
    pub hidden: usize,
    pub labels: Labels,
    pub idx: Vec<u32>,
    pub tokens: Option<TokenStates>,
}

impl HiddenStates {
    /// Writes the file atomically (temp file beside it, renamed on success).
    pub fn write(&self, path: impl AsRef<Path>) -> Result<(), HiddenError> {
        let path = path.as_ref();
        let bad = |msg: String| HiddenError::Invalid {
            path: path.into(),
            msg,
        };
        if self.layers != self.meta.layers() || self.hidden != self.meta.hidden_size {
            return Err(bad(format!(
                "layers/hidden ({}, {}) disagree with metadata ({}, {})",
                self.layers,
                self.hidden,
                self.meta.layers(),
                self.meta.hidden_size
            )));
        }
        let names: Vec<&str> = self.readouts.iter().map(|(n, _)| n.as_str()).collect();
        if names
            != self
                .meta
                .readouts
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>()
        {
            return Err(bad(format!(
                "readouts {names:?} differ from metadata {:?}",
                self.meta.readouts
            )));
        }
        let data: Vec<&[f32]> = self.readouts.iter().map(|(_, d)| d.as_slice()).collect();
        let lens: Option<Vec<usize>> = match &self.tokens {
            Some(t) if t.offsets.len() != self.n + 1 => {
                return Err(bad(format!(
                    "token offsets hold {} entries, expected {}",
                    t.offsets.len(),
                    self.n + 1
                )));
            }
            Some(t) => Some(
                t.offsets
                    .windows(2)
                    .map(|w| w[1].saturating_sub(w[0]) as usize)
                    .collect(),
            ),
            None => None,
        };
        let mut w = HiddenWriter::create(path, self.meta.clone(), self.n, lens.as_deref())?;
        let tokens = self
            .tokens
            .as_ref()
            .zip(lens.as_ref())
            .map(|(t, lens)| TokenBatch {
                lens,
                data: &t.data,
            });
        w.push(&HiddenBatch {
            readouts: &data,
            labels: self.labels.as_slice(),
            idx: &self.idx,
            tokens,
        })?;
        w.finish()
    }

    /// Reads and validates a whole file.
    pub fn read(path: impl AsRef<Path>) -> Result<Self, HiddenError> {
        HiddenReader::open(path)?.read_all()
    }

    /// The `[n, hidden]` slice-out of one layer of one readout (None if absent).
    pub fn layer(&self, readout: &str, layer: usize) -> Option<Vec<f32>> {
        let (_, data) = self.readouts.iter().find(|(n, _)| n == readout)?;
        let nl = readout_layers(readout, self.layers);
        if layer >= nl {
            return None;
        }
        let h = self.hidden;
        Some(
            (0..self.n)
                .flat_map(|i| &data[(i * nl + layer) * h..(i * nl + layer + 1) * h])
                .copied()
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests;
