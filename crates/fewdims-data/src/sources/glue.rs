//! GLUE: finding a task's files in either layout, and telling when a file is another task's.

use super::Loaded;
use crate::error::{DataError, Result};
use crate::registry::{GlueSpec, GlueSplit, Source, TaskSpec, tasks};
use std::path::{Path, PathBuf};

/// The two layouts GLUE is distributed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Hugging Face `nyu-mll/glue`: `<task>/<split>-00000-of-00001.parquet`.
    HfParquet,
    /// The original `glue_data/<TASK>/<split>.tsv`.
    Tsv,
}

/// A task's folder and its layout.
#[derive(Debug, Clone)]
pub struct Located {
    pub layout: Layout,
    pub dir: PathBuf,
}

/// One split as read: items, provenance, and whether it has labels (GLUE test splits do not).
#[derive(Debug)]
pub struct GlueRead {
    pub loaded: Loaded,
    pub labelled: bool,
}

/// Finds the task's files under `source`: `source/<hf>/`, `source/<TSV>/`, `source/glue_data/<TSV>/`
/// or `source` itself; Hugging Face parquet is preferred when both are there.
pub fn locate(g: &GlueSpec, source: &Path) -> Result<Located> {
    let train = &g.splits[0];
    for dir in [source.join(g.hf_dir), source.to_path_buf()] {
        if !hf_files(&dir, train).is_empty() {
            return Ok(Located {
                layout: Layout::HfParquet,
                dir,
            });
        }
    }
    for dir in [
        source.join(g.tsv_dir),
        source.join("glue_data").join(g.tsv_dir),
        source.to_path_buf(),
    ] {
        if dir.join(format!("{}.tsv", train.tsv)).is_file() {
            return Ok(Located {
                layout: Layout::Tsv,
                dir,
            });
        }
    }
    Err(DataError::source(
        source,
        format!(
            "no GLUE files found: looked for {hf}/{h}-00000-of-00001.parquet and {tsv}/{t}.tsv (or glue_data/{tsv}/{t}.tsv)",
            hf = g.hf_dir,
            h = train.hf,
            tsv = g.tsv_dir,
            t = train.tsv
        ),
    ))
}

/// The parquet shards of one split in the Hugging Face layout, sorted.
pub fn hf_files(dir: &Path, split: &GlueSplit) -> Vec<PathBuf> {
    let prefix = format!("{}-", split.hf);
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            name.starts_with(&prefix) && name.ends_with(".parquet")
        })
        .collect();
    files.sort();
    files
}

/// Reads one split (named by GLUE's name in errors and checks); its file must be there.
pub fn read_split(
    spec: &TaskSpec,
    g: &GlueSpec,
    at: &Located,
    split: &GlueSplit,
) -> Result<GlueRead> {
    let read = match at.layout {
        Layout::HfParquet => {
            let files = hf_files(&at.dir, split);
            if files.is_empty() {
                None
            } else {
                Some(super::glue_hf::read(spec, g, &files, split.glue)?)
            }
        }
        Layout::Tsv => {
            let file = at.dir.join(format!("{}.tsv", split.tsv));
            if file.is_file() {
                Some(super::glue_tsv::read(spec, g, &file, split.glue)?)
            } else {
                None
            }
        }
    };
    read.ok_or_else(|| {
        let want = match at.layout {
            Layout::HfParquet => format!("{}-00000-of-00001.parquet", split.hf),
            Layout::Tsv => format!("{}.tsv", split.tsv),
        };
        DataError::source(
            &at.dir,
            format!("missing GLUE split `{}`: no {want}", split.glue),
        )
    })
}

/// GLUE tasks other than `expected` whose text columns all appear in `columns`.
pub fn tasks_with_columns(expected: &str, columns: &[String], tsv: bool) -> Vec<&'static str> {
    tasks()
        .iter()
        .filter(|t| t.name != expected)
        .filter(|t| match &t.source {
            Source::Glue(g) => {
                let want: &[&str] = if tsv { g.tsv_text } else { t.text_columns };
                !want.is_empty() && want.iter().all(|w| columns.iter().any(|c| c == w))
            }
            _ => false,
        })
        .map(|t| t.name)
        .collect()
}

/// GLUE tasks other than `expected` whose TSV text and label columns all appear in `header`.
pub fn tsv_tasks_with_header(expected: &str, header: &[String]) -> Vec<&'static str> {
    tasks_with_columns(expected, header, true)
        .into_iter()
        .filter(
            |name| match &crate::registry::task(name).map(|t| &t.source) {
                Ok(Source::Glue(g)) => header.iter().any(|h| h == g.tsv_label),
                _ => false,
            },
        )
        .collect()
}

/// GLUE tasks whose class names are exactly `names`.
pub fn tasks_with_label_names(names: &[String]) -> Vec<&'static str> {
    tasks()
        .iter()
        .filter(|t| {
            t.is_glue()
                && t.label_names.len() == names.len()
                && t.label_names.iter().zip(names).all(|(a, b)| a == b)
        })
        .map(|t| t.name)
        .collect()
}

/// The error for a file whose text columns are missing: another task's file, or a renamed column.
pub fn missing_columns(
    path: &Path,
    spec: &TaskSpec,
    want: &[&str],
    columns: &[String],
    tsv: bool,
) -> DataError {
    let others = tasks_with_columns(spec.name, columns, tsv);
    let missing: Vec<&&str> = want
        .iter()
        .filter(|w| !columns.iter().any(|c| c == *w))
        .collect();
    if others.is_empty() {
        DataError::column(
            path,
            missing[0],
            format!(
                "missing; task `{}` expects columns {want:?}, the file has {columns:?}",
                spec.name
            ),
        )
    } else {
        DataError::WrongTask {
            path: path.into(),
            expected: spec.name.into(),
            why: format!(
                "it has columns {columns:?}, which are those of GLUE task(s) {}",
                others.join(", ")
            ),
        }
    }
}

/// Converts a raw id to u32, naming the row when it does not fit.
pub fn to_idx(path: &Path, row: &str, column: &str, raw: i64) -> Result<u32> {
    u32::try_from(raw)
        .map_err(|_| DataError::cell(path, row, column, format!("id {raw} is not in 0..2^32")))
}

/// Validates a split's labels against `spec`: classes in range, scores in the task's range,
/// and -1 only in a test split where every label is -1 (then it is unlabelled).
/// Returns whether the split is labelled; `row` renders a row for errors.
pub fn check_split_labels(
    spec: &TaskSpec,
    path: &Path,
    split: &str,
    labels: &[crate::taskfile::Label],
    row: &dyn Fn(usize) -> String,
) -> Result<bool> {
    use crate::taskfile::{Label, check_labels};
    if labels.is_empty() {
        return Err(DataError::EmptySplit {
            path: path.into(),
            split: split.into(),
            why: String::new(),
        });
    }
    let labelled = !(split.starts_with("test") && labels.iter().all(|l| l.is_unlabelled()));
    let mut meta = crate::meta::TaskMeta::new(spec, split, path, "");
    meta.labelled = labelled;
    check_labels(path, &meta, labels, row)?;
    if let (true, Some((lo, hi))) = (labelled, spec.score_range) {
        for (i, l) in labels.iter().enumerate() {
            if let Label::Score(s) = l
                && !(lo..=hi).contains(s)
            {
                return Err(DataError::cell(
                    path,
                    row(i),
                    "label",
                    format!("score {s} is outside {lo}..{hi}"),
                ));
            }
        }
    }
    Ok(labelled)
}
