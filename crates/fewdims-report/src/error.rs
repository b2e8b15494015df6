//! Errors of the report: each names the file and, for tables, the column.

use std::path::PathBuf;

/// Why a report could not be built. Missing inputs are not errors (the section says what is
/// missing); inputs that exist but do not fit their contract are.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{path}: {err}")]
    Io {
        path: PathBuf,
        #[source]
        err: std::io::Error,
    },
    #[error(transparent)]
    Table(#[from] fewdims_tables::TableError),
    #[error(transparent)]
    Run(#[from] fewdims_schema::run::RunFileError),
    #[error("{path}: field `{field}`: expected {expected}")]
    Field {
        path: PathBuf,
        field: String,
        expected: String,
    },
    #[error("{path}: writing CSV: {err}")]
    Csv {
        path: PathBuf,
        #[source]
        err: csv::Error,
    },
    #[error("{path}: drawing the plot: {msg}")]
    Plot { path: PathBuf, msg: String },
}

impl ReportError {
    pub(crate) fn io(path: impl Into<PathBuf>, err: std::io::Error) -> Self {
        ReportError::Io {
            path: path.into(),
            err,
        }
    }
}
