//! What a task's splits are, where that is not the plain 80/10/10 split: GLUE's `test` is GLUE's
//! dev and its `dev` is held out of GLUE's train; your own task's `test` may be the dev file you
//! gave. `prepare` writes this as notes into every task file (`fewdims.notes`, e.g. "`test` is
//! GLUE's `dev` split"), `tokenize` carries them into the token files, and a run's `run.json`
//! names the token files it read. The report reads them back so it can say on what it reports.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::Path;

use fewdims_schema::run::RunFile;
use fewdims_schema::task::{KEY_NOTES, SPLITS};
use parquet::file::reader::{FileReader, SerializedFileReader};

use crate::run_groups::RunGroup;

/// The notes of `notes` that say what a split is: they start with a split name in backticks
/// followed by ` is ` ("`test` is GLUE's `dev` split", "`dev` is 12 rows of train held out ...").
pub fn split_notes(notes: &[String]) -> Vec<String> {
    notes
        .iter()
        .filter(|n| SPLITS.iter().any(|s| n.starts_with(&format!("`{s}` is "))))
        .cloned()
        .collect()
}

/// `fewdims.notes` of a parquet file (task or token file); `None` when the file is missing,
/// unreadable or has no notes: the report then says nothing about its splits.
pub fn file_notes(path: &Path) -> Option<Vec<String>> {
    let reader = SerializedFileReader::new(File::open(path).ok()?).ok()?;
    let kv = reader.metadata().file_metadata().key_value_metadata()?;
    let value = kv.iter().find(|e| e.key == KEY_NOTES)?.value.as_deref()?;
    serde_json::from_str(value).ok()
}

/// Per task, the split notes of the data its first run read (the test file, else dev): every
/// split of a task carries the same notes, so one file tells them all. Tasks without such notes
/// (the built-in ones) are left out.
pub fn task_split_notes(groups: &[RunGroup]) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    for g in groups {
        if out.contains_key(&g.task) {
            continue;
        }
        let Some(run) = g.runs.first() else { continue };
        let Some(dir) = run.path.parent() else {
            continue;
        };
        let Ok(file) = RunFile::read(dir) else {
            continue;
        };
        let data = file.config.test.as_deref().unwrap_or(&file.config.dev);
        let notes = file_notes(data)
            .map(|n| split_notes(&n))
            .unwrap_or_default();
        if !notes.is_empty() {
            out.insert(g.task.clone(), notes);
        }
    }
    out
}

/// The report's paragraph on them (empty when no task has any).
pub fn markdown(notes: &BTreeMap<String, Vec<String>>) -> String {
    if notes.is_empty() {
        return String::new();
    }
    let mut md = String::from(
        "**What the splits are.** These tasks are not split 80/10/10: `test` (every number \
         below is on it) and `dev` (selection: best epoch, probe C, dims) are, as `prepare` \
         noted in the task files:\n\n",
    );
    for (task, lines) in notes {
        md += &format!("- `{task}`: {}.\n", lines.join("; "));
    }
    md + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_notes_on_a_split_are_kept() {
        let notes: Vec<String> = [
            "GLUE Tsv layout in /g/SST-2",
            "`test` is GLUE's `dev` split",
            "`dev` is 9 rows of GLUE's train held out by text hash (10%; selection), `train` the other 71",
            "`testing` is not a split",
            "2 classes from the labels",
        ]
        .map(String::from)
        .to_vec();
        let kept = split_notes(&notes);
        assert_eq!(kept, [notes[1].clone(), notes[2].clone()]);
        let md = markdown(&BTreeMap::from([("sst2".to_string(), kept)]));
        assert!(
            md.contains("- `sst2`: `test` is GLUE's `dev` split; `dev` is 9 rows"),
            "{md}"
        );
        assert_eq!(markdown(&BTreeMap::new()), "");
    }
}
