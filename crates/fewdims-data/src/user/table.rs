//! The columns a user names, as read from one file: one [`Cell`] per named column and row, where
//! each row is, and the file's provenance. The readers ([`super::text_formats`],
//! [`super::parquet`]) fill it; [`super::labels`] turns it into items.

use crate::error::{DataError, Result};
use std::path::{Path, PathBuf};

/// Where a row is, for errors: text files count lines from 1, parquet rows from 0 (as the
/// built-in sources do).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum At {
    Line(usize),
    Row(usize),
}

impl std::fmt::Display for At {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            At::Line(n) => write!(f, "line {n}"),
            At::Row(n) => write!(f, "row {n}"),
        }
    }
}

/// One value as read. CSV/TSV give only text; JSON and parquet keep their types.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// The key is absent from this JSON line (or the column was not asked for).
    Missing,
    Null,
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

impl Cell {
    /// The value as label text: trimmed, `None` when missing, null or blank.
    pub fn text(&self) -> Option<String> {
        match self {
            Cell::Text(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
            Cell::Int(i) => Some(i.to_string()),
            Cell::Float(f) => Some(f.to_string()),
            Cell::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// The value as an integer (integer text counts; floats do not).
    pub fn int(&self) -> Option<i64> {
        match self {
            Cell::Int(i) => Some(*i),
            Cell::Text(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// The value as a finite number.
    pub fn float(&self) -> Option<f64> {
        let f = match self {
            Cell::Int(i) => *i as f64,
            Cell::Float(f) => *f,
            Cell::Text(s) => s.trim().parse().ok()?,
            _ => return None,
        };
        f.is_finite().then_some(f)
    }

    /// The value for an error message.
    pub fn describe(&self) -> String {
        match self {
            Cell::Missing => "missing".into(),
            Cell::Null => "null".into(),
            Cell::Text(s) => format!("`{s}`"),
            Cell::Int(i) => format!("the number {i}"),
            Cell::Float(f) => format!("the number {f}"),
            Cell::Bool(b) => format!("the boolean {b}"),
        }
    }
}

/// Positions in [`RawRow::cells`].
pub const TEXT_A: usize = 0;
pub const TEXT_B: usize = 1;
pub const LABEL: usize = 2;
pub const ID: usize = 3;

/// The flag that names each column, by position, for errors.
pub const FLAGS: [&str; 4] = ["--text-a", "--text-b", "--label", "--id"];

/// The source column names the user gave, by position (`None`: not asked for).
pub type Wanted = [Option<String>; 4];

/// One row: its place in the file and its cells, by position.
#[derive(Debug, Clone)]
pub struct RawRow {
    pub at: At,
    pub cells: [Cell; 4],
}

/// The named columns of one file.
#[derive(Debug, Clone)]
pub struct RawTable {
    pub path: PathBuf,
    pub sha256: String,
    pub rows: Vec<RawRow>,
    /// Class names of the label column from `datasets`' ClassLabel metadata, if any.
    pub class_names: Option<Vec<String>>,
    /// Written by `datasets` (it has the `huggingface` metadata): -1 marks a hidden label.
    pub from_datasets: bool,
}

impl RawTable {
    /// The rows of a text file (CSV, TSV, JSON Lines) whose bytes are `bytes`: no class names.
    pub fn of_text(path: &Path, bytes: &[u8], rows: Vec<RawRow>) -> Self {
        Self {
            path: path.into(),
            sha256: crate::text::sha256_hex(bytes),
            rows,
            class_names: None,
            from_datasets: false,
        }
    }
}

/// Where each wanted column is in `columns`; an absent one is an error naming the flag and
/// listing the columns there are (with a hint when the header looks split on the wrong byte).
pub fn positions(path: &Path, columns: &[String], wanted: &Wanted) -> Result<[Option<usize>; 4]> {
    let mut out = [None; 4];
    for (k, name) in wanted.iter().enumerate() {
        let Some(name) = name else { continue };
        let found: Vec<usize> = (0..columns.len())
            .filter(|&i| columns[i] == *name)
            .collect();
        match found.as_slice() {
            [i] => out[k] = Some(*i),
            [] => {
                let hint = match columns {
                    [one] if one.contains([',', '\t', ';', '|']) => {
                        " (one column only: is the file separated by another character? CSV is read with `,`, \
                         TSV with tabs: see --file-format)"
                    }
                    _ => "",
                };
                return Err(DataError::column(
                    path,
                    name,
                    format!(
                        "absent (named by {}); the file has columns {columns:?}{hint}",
                        FLAGS[k]
                    ),
                ));
            }
            _ => {
                return Err(DataError::column(
                    path,
                    name,
                    format!("appears {} times in the header", found.len()),
                ));
            }
        }
    }
    Ok(out)
}

/// The error for a file with no rows at all.
pub fn empty_file(path: &Path, what: &str) -> DataError {
    DataError::source(path, format!("{what}; a task needs rows"))
}
