//! GLUE in the Hugging Face parquet layout: text columns per task, `label` (ClassLabel int64,
//! or float32 for STS-B; -1 in test splits) and `idx`.

use super::Loaded;
use super::glue::{GlueRead, check_split_labels, missing_columns, tasks_with_label_names, to_idx};
use crate::error::{DataError, Result};
use crate::pq::read_table;
use crate::registry::{GlueSpec, TaskKind, TaskSpec};
use crate::taskfile::{Item, Label};
use crate::text::{sha256_file, sha256_hex};
use std::path::{Path, PathBuf};

/// Reads the shards of one split (normally one file).
pub fn read(spec: &TaskSpec, _g: &GlueSpec, files: &[PathBuf], split: &str) -> Result<GlueRead> {
    let mut items = Vec::new();
    let mut labels_all = Vec::new();
    let mut shas = Vec::new();
    for path in files {
        let start = items.len();
        read_file(spec, path, &mut items)?;
        let labels: Vec<Label> = items[start..].iter().map(|i: &Item| i.label).collect();
        labels_all.push(check_split_labels(spec, path, split, &labels, &|i| {
            format!("row {i}")
        })?);
        shas.push(sha256_file(path)?);
    }
    if labels_all.iter().any(|&l| l != labels_all[0]) {
        return Err(DataError::source(
            &files[0],
            format!("split `{split}`: some shards are labelled, others not"),
        ));
    }
    let (path, sha256) = if files.len() == 1 {
        (files[0].clone(), shas.remove(0))
    } else {
        (
            files[0].with_file_name(format!("{split}-*.parquet")),
            sha256_hex(shas.join("\n").as_bytes()),
        )
    };
    let loaded = Loaded {
        path,
        sha256,
        items,
        repaired_rows: 0,
        notes: Vec::new(),
    };
    Ok(GlueRead {
        loaded,
        labelled: labels_all[0],
    })
}

fn read_file(spec: &TaskSpec, path: &Path, items: &mut Vec<Item>) -> Result<()> {
    let table = read_table(path)?;
    let columns = table.columns();
    let want = spec.text_columns;
    if want.iter().any(|w| !columns.iter().any(|c| c == w)) {
        return Err(missing_columns(path, spec, want, &columns, false));
    }
    check_hf_label_names(spec, path, &table.kv)?;
    let text_a = table.strings(path, want[0])?;
    let text_b = match want.get(1) {
        Some(b) => Some(table.strings(path, b)?),
        None => None,
    };
    let labels: Vec<Option<Label>> = match spec.kind {
        TaskKind::Classification => table
            .ints(path, "label")?
            .into_iter()
            .map(|v| v.map(Label::Class))
            .collect(),
        TaskKind::Regression => table
            .floats(path, "label")?
            .into_iter()
            .map(|v| v.map(|s| Label::Score(s as f32)))
            .collect(),
    };
    let idx = table.ints(path, "idx")?;
    for (i, label) in labels.into_iter().enumerate() {
        let row = format!("row {i}");
        let null = |col: &str| DataError::cell(path, row.clone(), col, "is null");
        let a = text_a[i].clone().ok_or_else(|| null(want[0]))?;
        let b = match &text_b {
            Some(col) => Some(col[i].clone().ok_or_else(|| null(want[1]))?),
            None => None,
        };
        let label = label.ok_or_else(|| null("label"))?;
        let idx = to_idx(path, &row, "idx", idx[i].ok_or_else(|| null("idx"))?)?;
        items.push(Item {
            idx,
            text_a: a,
            text_b: b,
            label,
        });
    }
    Ok(())
}

/// Files written by `datasets` carry their features in the `huggingface` metadata entry; when
/// the ClassLabel names there are not this task's, the file belongs to another task.
fn check_hf_label_names(
    spec: &TaskSpec,
    path: &Path,
    kv: &std::collections::HashMap<String, String>,
) -> Result<()> {
    let Some(raw) = kv.get("huggingface") else {
        return Ok(());
    };
    let Ok(json) = serde_json::from_str::<serde_json::Value>(raw) else {
        return Ok(());
    };
    let features = json
        .pointer("/info/features/label")
        .or_else(|| json.pointer("/features/label"));
    let Some(names) = features
        .and_then(|f| f.get("names"))
        .and_then(|n| n.as_array())
    else {
        return Ok(());
    };
    let names: Vec<String> = names
        .iter()
        .filter_map(|n| n.as_str().map(str::to_string))
        .collect();
    if names
        .iter()
        .map(String::as_str)
        .eq(spec.label_names.iter().copied())
    {
        return Ok(());
    }
    let others = tasks_with_label_names(&names);
    let whose = if others.is_empty() {
        String::new()
    } else {
        format!(", those of GLUE task(s) {}", others.join(", "))
    };
    Err(DataError::WrongTask {
        path: path.into(),
        expected: spec.name.into(),
        why: format!(
            "its label names are {names:?}{whose}; `{}` has {:?}",
            spec.name, spec.label_names
        ),
    })
}
