//! The parquet result tables of fewdims, each with one row type, one writer and one reader:
//! [`probe`] (`probes/<id>/<task>.parquet`), [`probe_predictions`] (its headline probes' per-item
//! output, `probes/<id>/<task>.predictions.parquet`), [`cka`] (`probes/cka/...`), [`cross`]
//! (`runs/cross/<name>/cross.parquet`), [`run_metrics`] (a run's `metrics.parquet`), [`curve`]
//! (a run's `curve.parquet`) and [`predictions`] (a run's `predictions.parquet`). Column names
//! and meanings are the contracts of `fewdims_schema`. Writes are atomic (temp file, rename).

pub mod cka;
pub mod cross;
pub mod curve;
mod io;
pub mod predictions;
pub mod probe;
pub mod probe_predictions;
pub mod run_metrics;

use std::collections::BTreeMap;
use std::path::PathBuf;

pub use io::{Closed, Compression, RowWriter, commit_together};

/// Why a table could not be written or read; names the file and, where it applies, the column.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: not a readable parquet table: {source}", path.display())]
    Parquet {
        path: PathBuf,
        source: parquet::errors::ParquetError,
    },
    #[error("{}: writing the parquet table: {source}", path.display())]
    ParquetWrite {
        path: PathBuf,
        source: parquet::errors::ParquetError,
    },
    #[error("{}: {msg}", path.display())]
    Invalid { path: PathBuf, msg: String },
    #[error("{}: column `{column}`: {msg}", path.display())]
    Column {
        path: PathBuf,
        column: String,
        msg: String,
    },
}

/// A table as read back: its rows in file order and its file-level key-value metadata.
#[derive(Clone, Debug, PartialEq)]
pub struct Table<R> {
    pub rows: Vec<R>,
    pub meta: BTreeMap<String, String>,
}

impl<R> Table<R> {
    /// A metadata value, if the file has it.
    pub fn meta(&self, key: &str) -> Option<&str> {
        self.meta.get(key).map(String::as_str)
    }
}
