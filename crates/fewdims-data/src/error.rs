//! Errors of the data stages. Each names the file and, where it can, the column and row.

use std::path::{Path, PathBuf};

/// Result alias of this crate.
pub type Result<T, E = DataError> = std::result::Result<T, E>;

/// What went wrong, and where.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: parquet: {source}", path.display())]
    Parquet {
        path: PathBuf,
        source: parquet::errors::ParquetError,
    },
    #[error("{}: arrow: {source}", path.display())]
    Arrow {
        path: PathBuf,
        source: arrow::error::ArrowError,
    },
    #[error("{}: column `{column}`: {msg}", path.display())]
    Column {
        path: PathBuf,
        column: String,
        msg: String,
    },
    #[error("{}: {row}, column `{column}`: {msg}", path.display())]
    Cell {
        path: PathBuf,
        row: String,
        column: String,
        msg: String,
    },
    #[error("{}: line {line}: {msg}", path.display())]
    Line {
        path: PathBuf,
        line: usize,
        msg: String,
    },
    #[error("{}: split `{split}` has no rows{why}", path.display())]
    EmptySplit {
        path: PathBuf,
        split: String,
        why: String,
    },
    #[error("{}: this file does not belong to task `{expected}`: {why}", path.display())]
    WrongTask {
        path: PathBuf,
        expected: String,
        why: String,
    },
    #[error("{}: metadata key `{key}`: {msg}", path.display())]
    Metadata {
        path: PathBuf,
        key: String,
        msg: String,
    },
    #[error("{}: tokenizer: {msg}", path.display())]
    Tokenizer { path: PathBuf, msg: String },
    #[error("{}: {msg}", path.display())]
    Source { path: PathBuf, msg: String },
    #[error("{flag}: {msg}")]
    Flag { flag: String, msg: String },
    #[error("unknown task `{name}`; known tasks: {known}")]
    UnknownTask { name: String, known: String },
}

impl DataError {
    /// An I/O error on `path`.
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_path_buf(),
            source,
        }
    }
    /// A parquet error on `path`.
    pub fn parquet(path: &Path, source: parquet::errors::ParquetError) -> Self {
        Self::Parquet {
            path: path.to_path_buf(),
            source,
        }
    }
    /// An arrow error on `path`.
    pub fn arrow(path: &Path, source: arrow::error::ArrowError) -> Self {
        Self::Arrow {
            path: path.to_path_buf(),
            source,
        }
    }
    /// A problem with a whole column.
    pub fn column(path: &Path, column: &str, msg: impl Into<String>) -> Self {
        Self::Column {
            path: path.to_path_buf(),
            column: column.into(),
            msg: msg.into(),
        }
    }
    /// A problem with one value; `row` reads e.g. "row 12" (parquet, 0-based) or "line 13".
    pub fn cell(path: &Path, row: impl Into<String>, column: &str, msg: impl Into<String>) -> Self {
        Self::Cell {
            path: path.to_path_buf(),
            row: row.into(),
            column: column.into(),
            msg: msg.into(),
        }
    }
    /// A problem with one line of a text file (1-based).
    pub fn line(path: &Path, line: usize, msg: impl Into<String>) -> Self {
        Self::Line {
            path: path.to_path_buf(),
            line,
            msg: msg.into(),
        }
    }
    /// Any other problem with a source file or folder.
    pub fn source(path: &Path, msg: impl Into<String>) -> Self {
        Self::Source {
            path: path.to_path_buf(),
            msg: msg.into(),
        }
    }
    /// A flag whose value cannot be used (`--task`, `--metrics`, ...).
    pub fn flag(flag: &str, msg: impl Into<String>) -> Self {
        Self::Flag {
            flag: flag.into(),
            msg: msg.into(),
        }
    }
    /// A missing or malformed metadata entry.
    pub fn metadata(path: &Path, key: &str, msg: impl Into<String>) -> Self {
        Self::Metadata {
            path: path.to_path_buf(),
            key: key.into(),
            msg: msg.into(),
        }
    }
}
