//! Probes on cached hidden states (`hidden/<id>/<task>/<split>.safetensors`): which layers,
//! readouts and dimensions carry a task. Plain f32/f64 math, parallel with rayon, no burn.
//!
//! - [`data`]: loads a layer of a readout for train/dev/test and standardizes it (train stats).
//! - [`logistic`], [`lbfgs`], [`ridge`]: the probes (batched Newton for a few dims, dense Newton
//!   or L-BFGS for the full vector; one-vs-rest for three or more classes, in every mode).
//! - [`search`]: the modes (full, single, all pairs, greedy forward, backward elimination).
//! - [`ablate()`]: a fine-tuned head (linear or mlp) with subsets of its dims zeroed, no refit.
//! - [`cka`]: linear CKA and mean cosine between two files of the same items.
//! - [`probe_dims`]: the `probe-dims` stage; [`ablate::ablate_run`]: its `--methods ablate`.
//! - [`probe_rows`]: probe results into probe-table rows (the tables: `fewdims_tables`).

pub mod ablate;
pub mod cka;
pub mod data;
mod fastmath;
pub mod lbfgs;
mod linalg;
pub mod logistic;
pub mod metrics;
pub mod probe_dims;
pub mod probe_rows;
pub mod rep_change;
pub mod ridge;
pub mod search;
pub mod simd;
#[cfg(test)]
mod testutil;

pub use ablate::{AblateResult, FcHead, LinearHead, ablate, ablate_head};
pub use data::{Matrix, Problem, Split, Target};
pub use metrics::Metric;
pub use search::{ProbeResult, Prober, Settings};

use std::path::PathBuf;

/// Errors of the probe library.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error(transparent)]
    Hidden(#[from] fewdims_schema::hidden::HiddenError),
    #[error("{a} and {b} do not fit together: {msg}")]
    Mismatch { a: PathBuf, b: PathBuf, msg: String },
    #[error("{path}: {err}")]
    Io { path: PathBuf, err: std::io::Error },
    #[error(transparent)]
    Table(#[from] fewdims_tables::TableError),
    #[error(transparent)]
    RunFile(#[from] fewdims_schema::run::RunFileError),
    #[error(transparent)]
    Tensors(#[from] fewdims_schema::tensors::TensorFileError),
    #[error("{0}")]
    Invalid(String),
}

/// Hex sha256 of a file, for the provenance metadata of output tables.
pub fn file_sha256(path: &std::path::Path) -> Result<String, ProbeError> {
    use sha2::{Digest, Sha256};
    use std::io::Read;
    let io = |e| ProbeError::Io {
        path: path.into(),
        err: e,
    };
    let mut f = std::fs::File::open(path).map_err(io)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}
