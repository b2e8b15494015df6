//! The file formats of your own data, told by flag or by extension.

use crate::error::{DataError, Result};
use std::path::Path;

/// The file formats read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Tsv,
    Jsonl,
    Parquet,
}

impl Format {
    /// `csv`, `tsv`, `jsonl` or `parquet`.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "csv" => Format::Csv,
            "tsv" => Format::Tsv,
            "jsonl" => Format::Jsonl,
            "parquet" => Format::Parquet,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Tsv => "tsv",
            Format::Jsonl => "jsonl",
            Format::Parquet => "parquet",
        }
    }

    /// The format by extension: `.csv`; `.tsv`, `.tab`; `.jsonl`, `.ndjson`, `.json`;
    /// `.parquet`, `.pq`.
    pub fn detect(path: &Path) -> Result<Self> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        Ok(match ext.as_str() {
            "csv" => Format::Csv,
            "tsv" | "tab" => Format::Tsv,
            "jsonl" | "ndjson" | "json" => Format::Jsonl,
            "parquet" | "pq" => Format::Parquet,
            "gz" | "bz2" | "xz" | "zst" | "zip" => {
                return Err(DataError::source(
                    path,
                    "is compressed; decompress it first",
                ));
            }
            _ => {
                return Err(DataError::source(
                    path,
                    format!(
                        "cannot tell the format from the extension `{ext}`; pass --file-format \
                         csv|tsv|jsonl|parquet"
                    ),
                ));
            }
        })
    }
}
