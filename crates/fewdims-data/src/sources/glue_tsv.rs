//! GLUE's original TSVs: UTF-8, tab-separated, no quoting; a header row naming the columns
//! (except CoLA's train/dev, whose four columns are source, label, original label, sentence).
//! Test files have no label column. Errors count lines from 1.

use super::Loaded;
use super::glue::{GlueRead, check_split_labels, missing_columns, tasks_with_columns};
use crate::error::{DataError, Result};
use crate::registry::{GlueSpec, TaskKind, TaskSpec};
use crate::taskfile::{Item, Label};
use crate::text::{read_bytes, sha256_hex, strict_utf8};
use fewdims_schema::task::UNLABELLED;
use std::path::Path;

/// Where a split's fields are: text positions, label position, id position.
struct Columns {
    text: Vec<usize>,
    label: Option<usize>,
    idx: Option<usize>,
    width: usize,
    label_name: String,
}

/// Reads one TSV split.
pub fn read(spec: &TaskSpec, g: &GlueSpec, path: &Path, split: &str) -> Result<GlueRead> {
    let bytes = read_bytes(path)?;
    let text = strict_utf8(path, &bytes)?;
    let mut lines = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .enumerate()
        .filter(|(_, l)| !l.is_empty());
    let headerless = g.tsv_headerless.filter(|_| !split.starts_with("test"));
    let cols = match headerless {
        Some((label, text)) => {
            check_headerless(spec, path, lines.clone().next().map(|(_, l)| l))?;
            Columns {
                text: vec![text],
                label: Some(label),
                idx: None,
                width: 4,
                label_name: "label".into(),
            }
        }
        None => {
            let header: Vec<String> = match lines.next() {
                Some((_, h)) => h.split('\t').map(|c| c.trim().to_string()).collect(),
                None => {
                    return Err(DataError::EmptySplit {
                        path: path.into(),
                        split: split.into(),
                        why: " (no header)".into(),
                    });
                }
            };
            header_columns(spec, g, path, &header, split)?
        }
    };
    let mut items = Vec::new();
    let mut line_of = Vec::new();
    for (row, (i, line)) in lines.enumerate() {
        let line_no = i + 1;
        let fields: Vec<&str> = line.split('\t').collect();
        if fields.len() != cols.width {
            return Err(DataError::line(
                path,
                line_no,
                format!(
                    "expected {} tab-separated fields, found {}",
                    cols.width,
                    fields.len()
                ),
            ));
        }
        let at = format!("line {line_no}");
        let label = match cols.label {
            Some(p) => parse_label(spec, g, path, &at, &cols.label_name, fields[p])?,
            None if spec.kind == TaskKind::Regression => Label::Score(UNLABELLED as f32),
            None => Label::Class(UNLABELLED),
        };
        let idx = match cols.idx {
            Some(p) => fields[p].trim().parse::<u32>().map_err(|_| {
                DataError::cell(
                    path,
                    at.clone(),
                    g.tsv_idx.unwrap_or("index"),
                    format!("`{}` is not an id in 0..2^32", fields[p]),
                )
            })?,
            None => row as u32,
        };
        let text_a = fields[cols.text[0]].to_string();
        let text_b = cols.text.get(1).map(|&p| fields[p].to_string());
        items.push(Item {
            idx,
            text_a,
            text_b,
            label,
        });
        line_of.push(line_no);
    }
    let labels: Vec<Label> = items.iter().map(|i| i.label).collect();
    let labelled = check_split_labels(spec, path, split, &labels, &|i| {
        format!("line {}", line_of[i])
    })?;
    let loaded = Loaded {
        path: path.into(),
        sha256: sha256_hex(&bytes),
        items,
        repaired_rows: 0,
        notes: Vec::new(),
    };
    Ok(GlueRead { loaded, labelled })
}

/// CoLA's headerless files: a first line that is a header means another task's file.
fn check_headerless(spec: &TaskSpec, path: &Path, first: Option<&str>) -> Result<()> {
    let Some(first) = first else { return Ok(()) };
    let fields: Vec<String> = first.split('\t').map(|c| c.trim().to_string()).collect();
    let others = tasks_with_columns(spec.name, &fields, true);
    if !others.is_empty() {
        return Err(DataError::WrongTask {
            path: path.into(),
            expected: spec.name.into(),
            why: format!(
                "its header {fields:?} is that of GLUE task(s) {}; CoLA's train/dev files have no header",
                others.join(", ")
            ),
        });
    }
    Ok(())
}

fn header_columns(
    spec: &TaskSpec,
    g: &GlueSpec,
    path: &Path,
    header: &[String],
    split: &str,
) -> Result<Columns> {
    let pos = |name: &str| header.iter().position(|h| h == name);
    if g.tsv_text.iter().any(|t| pos(t).is_none()) {
        return Err(missing_columns(path, spec, g.tsv_text, header, true));
    }
    let label = pos(g.tsv_label);
    if label.is_none() && !split.starts_with("test") {
        let others = super::glue::tsv_tasks_with_header(spec.name, header);
        if !others.is_empty() {
            return Err(DataError::WrongTask {
                path: path.into(),
                expected: spec.name.into(),
                why: format!(
                    "its header {header:?} is that of GLUE task(s) {}",
                    others.join(", ")
                ),
            });
        }
        return Err(DataError::column(
            path,
            g.tsv_label,
            format!("missing (the label column); the header has {header:?}"),
        ));
    }
    Ok(Columns {
        text: g
            .tsv_text
            .iter()
            .map(|t| pos(t).expect("checked"))
            .collect(),
        label,
        idx: g.tsv_idx.and_then(pos),
        width: header.len(),
        label_name: g.tsv_label.into(),
    })
}

fn parse_label(
    spec: &TaskSpec,
    g: &GlueSpec,
    path: &Path,
    at: &str,
    column: &str,
    raw: &str,
) -> Result<Label> {
    let raw = raw.trim();
    let bad = |msg: String| DataError::cell(path, at, column, msg);
    match spec.kind {
        TaskKind::Regression => raw
            .parse::<f32>()
            .map(Label::Score)
            .map_err(|_| bad(format!("`{raw}` is not a number"))),
        TaskKind::Classification if g.tsv_label_names => spec
            .label_names
            .iter()
            .position(|n| *n == raw)
            .map(|p| Label::Class(p as i64))
            .ok_or_else(|| {
                bad(format!(
                    "`{raw}` is not one of {}",
                    spec.label_names.join(", ")
                ))
            }),
        TaskKind::Classification => raw.parse::<i64>().map(Label::Class).map_err(|_| {
            bad(format!(
                "`{raw}` is not an integer class label (0..{})",
                spec.label_names.len() - 1
            ))
        }),
    }
}
