//! Your own data (`prepare --from`): a CSV, TSV, JSON Lines or parquet file, one file per
//! split, or a Hugging Face `datasets` parquet export becomes a task. Its registry entry
//! ([`UserTask`]: kind, label names, metrics, text columns) is decided here from the flags and
//! the data, and written into every split's metadata as for a built-in task, so later stages
//! need no flags for it. See docs/data.md, "Your own data".

pub mod flags;
mod format;
pub mod hf;
pub mod labels;
pub mod parquet;
mod splits;
pub mod table;
pub mod text_formats;

use crate::error::{DataError, Result};
use crate::prepare::{PrepareReport, publish};
use crate::registry::{TaskKind, tasks};
use crate::text::sha256_hex;
use fewdims_schema::task::METRICS;
pub use format::Format;
use std::path::{Path, PathBuf};
use table::{RawTable, Wanted};

/// Where a user's data is.
#[derive(Debug, Clone)]
pub enum FromInput {
    /// One file (split 80/10/10 by text hash, as the built-in tasks), or a `datasets` export
    /// folder.
    Path(PathBuf),
    /// One file per split.
    Files {
        train: PathBuf,
        dev: Option<PathBuf>,
        test: Option<PathBuf>,
    },
}

/// Everything `prepare --from` is told.
#[derive(Debug, Clone)]
pub struct FromSpec {
    /// The new task's name (a folder name and a make word; no built-in or GLUE name).
    pub task: String,
    pub input: FromInput,
    /// The config folder of a `datasets` export holding several.
    pub config: Option<String>,
    /// The files' format; `None`: by extension.
    pub format: Option<Format>,
    /// CSV/TSV: `"` quotes fields (RFC 4180); false reads it as an ordinary character.
    pub quoting: bool,
    pub text_a: String,
    pub text_b: Option<String>,
    pub label: String,
    pub id: Option<String>,
    /// The classes in order; labels are these names or indices into them.
    pub label_names: Option<Vec<String>>,
    /// `None`: from the labels (floats make a regression task).
    pub kind: Option<TaskKind>,
    /// `None`: accuracy for classification, pearson and spearman for regression.
    pub metrics: Option<Vec<String>>,
}

impl FromSpec {
    /// A spec with the required parts; everything else is decided from the data.
    pub fn new(task: &str, input: FromInput, text_a: &str, label: &str) -> Self {
        Self {
            task: task.into(),
            input,
            config: None,
            format: None,
            quoting: true,
            text_a: text_a.into(),
            text_b: None,
            label: label.into(),
            id: None,
            label_names: None,
            kind: None,
            metrics: None,
        }
    }

    fn wanted(&self) -> Wanted {
        [
            Some(self.text_a.clone()),
            self.text_b.clone(),
            Some(self.label.clone()),
            self.id.clone(),
        ]
    }
}

/// A user's task's registry entry: [`crate::TaskSpec`]'s fields, owned.
#[derive(Debug, Clone, PartialEq)]
pub struct UserTask {
    pub name: String,
    pub kind: TaskKind,
    pub label_names: Vec<String>,
    pub metrics: Vec<String>,
    pub text_columns: Vec<String>,
    pub description: String,
}

/// A task name must be usable as a folder name and a make word, and must not be (up to case,
/// for case-insensitive file systems) a built-in or GLUE task's.
pub fn check_task_name(name: &str) -> Result<()> {
    let chars_ok = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    let starts_ok = name.starts_with(|c: char| c.is_ascii_alphanumeric());
    if !chars_ok || !starts_ok || name.len() > 64 {
        return Err(DataError::flag(
            "--task",
            format!(
                "`{name}`: use 1 to 64 ASCII letters, digits, `-` and `_`, starting with a letter \
                 or digit (the name becomes a folder and a make word)"
            ),
        ));
    }
    if let Some(t) = tasks().iter().find(|t| t.name.eq_ignore_ascii_case(name)) {
        let what = if t.is_glue() { "GLUE" } else { "built-in" };
        return Err(DataError::flag(
            "--task",
            format!(
                "`{name}` is the {what} task `{}`; name your task otherwise",
                t.name
            ),
        ));
    }
    Ok(())
}

/// The metrics: `given` checked against the kind (f1 is binary F1 of class 1, so two classes),
/// or the kind's default.
pub fn resolve_metrics(
    given: Option<&[String]>,
    kind: TaskKind,
    classes: usize,
) -> Result<Vec<String>> {
    let Some(given) = given else {
        return Ok(match kind {
            TaskKind::Classification => vec!["accuracy".into()],
            TaskKind::Regression => vec!["pearson".into(), "spearman".into()],
        });
    };
    let bad = |msg: String| Err(DataError::flag("--metrics", msg));
    if given.is_empty() {
        return bad("names no metric".into());
    }
    for (i, m) in given.iter().enumerate() {
        if !METRICS.contains(&m.as_str()) {
            return bad(format!(
                "unknown metric `{m}`; known: {}",
                METRICS.join(", ")
            ));
        }
        if !kind.metrics().contains(&m.as_str()) {
            return bad(format!(
                "`{m}` does not apply to a {} task (use {}, or set --kind)",
                kind.as_str(),
                kind.metrics().join(", ")
            ));
        }
        if m == "f1" && classes != 2 {
            return bad(format!(
                "f1 is binary (class 1); this task has {classes} classes"
            ));
        }
        if given[..i].contains(m) {
            return bad(format!("`{m}` is named twice"));
        }
    }
    Ok(given.to_vec())
}

/// One labelled split as read: our name, its files (shards), and provenance.
#[derive(Debug)]
pub(crate) struct ReadSplit {
    pub ours: &'static str,
    pub tables: Vec<RawTable>,
    pub source: PathBuf,
    pub sha256: String,
}

/// Prepares a user's task into `out/<task>/{train,dev,test}.parquet`; nothing is written on
/// error.
pub fn prepare_from(spec: &FromSpec, out: &Path) -> Result<PrepareReport> {
    check_task_name(&spec.task)?;
    check_columns(spec)?;
    // Unknown metric names fail before a long read; the kind is checked once decided.
    if let Some(m) = spec
        .metrics
        .iter()
        .flatten()
        .find(|m| !METRICS.contains(&m.as_str()))
    {
        let msg = format!("unknown metric `{m}`; known: {}", METRICS.join(", "));
        return Err(DataError::flag("--metrics", msg));
    }
    let (read, mut notes, what) = read_input(spec)?;
    let labels = labels::decide(
        spec.kind,
        spec.label_names.as_deref(),
        &read[0].tables,
        &spec.label,
    )?;
    let metrics = resolve_metrics(spec.metrics.as_deref(), labels.kind, labels.names.len())?;
    notes.push(match labels.kind {
        TaskKind::Classification => format!(
            "{} classes from {}: {}",
            labels.names.len(),
            labels.origin,
            labels.names.join(", ")
        ),
        TaskKind::Regression => format!("regression: {}", labels.origin),
    });
    let mut text_columns = vec![spec.text_a.clone()];
    text_columns.extend(spec.text_b.clone());
    let task = UserTask {
        name: spec.task.clone(),
        kind: labels.kind,
        label_names: labels.names.clone(),
        metrics,
        text_columns,
        description: format!(
            "your own data: {what}; label `{}`, {}",
            spec.label, labels.origin
        ),
    };
    let mut splits = splits::arrange(&task, read, &labels, &spec.wanted(), &mut notes)?;
    // Named classes (--label-names, ClassLabel) may be absent from train: say so.
    let mut in_train = vec![false; labels.names.len()];
    for i in &splits[0].items {
        if let crate::taskfile::Label::Class(c) = i.label {
            in_train[c as usize] = true;
        }
    }
    let absent: Vec<&str> = (0..in_train.len())
        .filter(|&c| !in_train[c])
        .map(|c| labels.names[c].as_str())
        .collect();
    if !absent.is_empty() {
        notes.push(format!(
            "class(es) with no train rows: {}",
            absent.join(", ")
        ));
    }
    for s in &mut splits {
        s.meta.notes = notes.clone();
    }
    publish(&task.name, out, &splits, notes, 0)
}

fn check_columns(spec: &FromSpec) -> Result<()> {
    let wanted = spec.wanted();
    for (k, name) in wanted.iter().enumerate() {
        let Some(name) = name else { continue };
        if name.is_empty() {
            return Err(DataError::flag(table::FLAGS[k], "names no column"));
        }
        if let Some(j) = (0..k).find(|&j| wanted[j].as_ref() == Some(name)) {
            return Err(DataError::flag(
                table::FLAGS[k],
                format!("`{name}` is also {}", table::FLAGS[j]),
            ));
        }
    }
    Ok(())
}

/// Reads every labelled split; returns them (train first), notes, and a one-line description.
fn read_input(spec: &FromSpec) -> Result<(Vec<ReadSplit>, Vec<String>, String)> {
    let wanted = spec.wanted();
    let mut notes = Vec::new();
    let one = |ours: &'static str, path: &Path| -> Result<ReadSplit> {
        let format = match spec.format {
            Some(f) => f,
            None => Format::detect(path)?,
        };
        let table = match format {
            Format::Csv => text_formats::read_delimited(path, b',', spec.quoting, &wanted)?,
            Format::Tsv => text_formats::read_delimited(path, b'\t', spec.quoting, &wanted)?,
            Format::Jsonl => text_formats::read_jsonl(path, &wanted)?,
            Format::Parquet => parquet::read_parquet(path, &wanted)?,
        };
        Ok(ReadSplit {
            ours,
            source: path.into(),
            sha256: table.sha256.clone(),
            tables: vec![table],
        })
    };
    if spec.config.is_some() && !matches!(&spec.input, FromInput::Path(p) if p.is_dir()) {
        return Err(DataError::flag(
            "--config",
            "applies to a `datasets` export folder (--from DIR)",
        ));
    }
    let mut read = Vec::new();
    let what = match &spec.input {
        FromInput::Path(dir) if dir.is_dir() => {
            if spec.format.is_some_and(|f| f != Format::Parquet) {
                return Err(DataError::flag(
                    "--file-format",
                    "a folder is read as a `datasets` parquet export",
                ));
            }
            let export = hf::locate(dir, spec.config.as_deref())?;
            let names: Vec<String> = export
                .splits
                .iter()
                .map(|s| format!("{} -> {}", s.hf, s.ours))
                .collect();
            notes.push(format!(
                "`datasets` export in {}: {}",
                export.dir.display(),
                names.join(", ")
            ));
            if !export.ignored.is_empty() {
                notes.push(format!(
                    "split(s) {} not read (no fewdims meaning)",
                    export.ignored.join(", ")
                ));
            }
            for s in &export.splits {
                let tables = s
                    .files
                    .iter()
                    .map(|f| parquet::read_parquet(f, &wanted))
                    .collect::<Result<Vec<_>>>()?;
                let shas: Vec<&str> = tables.iter().map(|t| t.sha256.as_str()).collect();
                let sha256 = if shas.len() == 1 {
                    shas[0].to_string()
                } else {
                    sha256_hex(shas.join("\n").as_bytes())
                };
                read.push(ReadSplit {
                    ours: s.ours,
                    tables,
                    source: s.source.clone(),
                    sha256,
                });
            }
            format!("the `datasets` export {}", export.dir.display())
        }
        FromInput::Path(file) => {
            read.push(one("train", file)?);
            format!("{} (one file)", file.display())
        }
        FromInput::Files { train, dev, test } => {
            read.push(one("train", train)?);
            for (ours, path) in [("dev", dev), ("test", test)] {
                if let Some(p) = path {
                    read.push(one(ours, p)?);
                }
            }
            format!("{} (one file per split)", train.display())
        }
    };
    // Hidden test labels (-1 everywhere, as `datasets` writes them): not read, as for GLUE.
    if let Some(i) = read
        .iter()
        .position(|r| r.ours == "test" && labels::is_unlabelled(&r.tables))
    {
        let r = read.remove(i);
        notes.push(format!(
            "`test` ({}) has hidden labels (all -1): not read, as GLUE's test files",
            r.source.display()
        ));
    }
    Ok((read, notes, what))
}
