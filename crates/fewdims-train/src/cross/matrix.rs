//! The outputs of a cross-finetune: `cross.parquet` (the long-format matrix), `cross.json`
//! (settings and steps) and the task x step table printed at the end.

use std::path::Path;

use fewdims_backend::Selected;
use fewdims_schema::cross::{self as schema, Mode};
use serde_json::{Value, json};

use super::inputs::Plan;
use super::score::PROBE_GRID;
use super::{CrossConfig, CrossSummary};
use crate::TrainError;

pub use fewdims_tables::cross::CrossRow;

/// The settings object (`cross.json`'s `settings`, the parquet's [`schema::META_SETTINGS`]).
pub fn settings_json(config: &CrossConfig, selected: &Selected) -> Value {
    json!({
        "hyper": config.hyper,
        "max_train": config.max_train,
        "earlier_heads": config.earlier_heads.to_string(),
        "retrain": config.retrain,
        "refit_probe": config.refit_probe,
        "probe_grid": PROBE_GRID,
        "backend": selected.backend.to_string(),
        "device": selected.device_name,
    })
}

/// Writes `cross.json`: settings, tasks, and per step its task, run dir and resolved settings.
pub fn write_json(
    config: &CrossConfig,
    summary: &CrossSummary,
    plan: &Plan,
    settings: &Value,
) -> Result<(), TrainError> {
    let steps: Vec<Value> = summary
        .steps
        .iter()
        .zip(&plan.tasks)
        .map(|(s, t)| {
            json!({
                "step": s.step,
                "task": s.task,
                "run_dir": s.run_dir,
                "reused": s.reused,
                "splits": t.info.splits,
                "readout": t.info.readout,
                "head": t.info.head.to_string(),
                "freeze": t.info.freeze.to_string(),
                "layer_index": t.info.layer_index,
                "dims": t.info.dims,
                "max_train": t.info.max_train,
                "train_seconds": s.train_seconds,
                "eval_seconds": s.eval_seconds,
            })
        })
        .collect();
    let doc = json!({
        "from": config.from,
        "tasks": summary.tasks,
        "settings": settings,
        "steps": steps,
        "rows": summary.rows.len(),
        "git_revision": crate::finetune::git_revision(),
    });
    let path = config.out.join(schema::CROSS_FILE);
    let bytes = serde_json::to_vec_pretty(&doc).expect("json");
    fewdims_schema::write_atomic(&path, &bytes).map_err(|e| TrainError::io(&path, e))
}

/// Writes `cross.parquet` atomically (one row per step, eval task, mode, split and metric).
pub fn write_parquet(
    path: &Path,
    summary: &CrossSummary,
    settings: &Value,
) -> Result<(), TrainError> {
    let meta = vec![
        (schema::META_TASKS.to_string(), summary.tasks.join(",")),
        (schema::META_SETTINGS.to_string(), settings.to_string()),
    ];
    Ok(fewdims_tables::cross::write(path, &summary.rows, &meta)?)
}

/// The value shown for a task in a mode after a step: its first metric, test (dev without test).
fn headline<'r>(rows: &'r [CrossRow], step: usize, task: &str, mode: Mode) -> Option<&'r CrossRow> {
    let of = |split: &str| {
        rows.iter().find(|r| {
            r.step as usize == step && r.eval_task == task && r.mode == mode && r.split == split
        })
    };
    of("test").or_else(|| of("dev"))
}

/// The line printed after a step.
pub fn progress_line(
    step: usize,
    total: usize,
    task: &str,
    reused: bool,
    seconds: f64,
    rows: &[CrossRow],
) -> String {
    let how = match (step, reused) {
        (0, _) => "the starting run".to_string(),
        (_, true) => "reused a finished step dir".to_string(),
        _ => format!("trained in {seconds:.0} s"),
    };
    let mut tasks: Vec<&str> = Vec::new();
    for r in rows {
        if !tasks.contains(&r.eval_task.as_str()) {
            tasks.push(&r.eval_task);
        }
    }
    let scores: Vec<String> = tasks
        .iter()
        .filter_map(|t| headline(rows, step, t, Mode::Head))
        .map(|r| format!("{} {} {} {:.4}", r.eval_task, r.split, r.metric, r.value))
        .collect();
    format!(
        "step {step}/{total} ({task}): {how}; head: {}",
        scores.join(", ")
    )
}

/// One task x step block per mode present: each task's first metric, test (dev without test).
pub fn render(summary: &CrossSummary) -> String {
    let mut out = String::new();
    for mode in [Mode::Head, Mode::Retrained, Mode::Probe] {
        if !summary.rows.iter().any(|r| r.mode == mode) {
            continue;
        }
        let mut header = vec![format!("{} (metric, split)", mode.as_str())];
        header.extend(
            summary
                .steps
                .iter()
                .map(|s| format!("{}:{}", s.step, s.task)),
        );
        let mut table = vec![header];
        for task in &summary.tasks {
            let mut line = vec![String::new()];
            for s in &summary.steps {
                match headline(&summary.rows, s.step, task, mode) {
                    Some(r) => {
                        if line[0].is_empty() {
                            line[0] = format!("{task} ({}, {})", r.metric, r.split);
                        }
                        line.push(format!("{:.4}", r.value));
                    }
                    None => line.push("-".into()),
                }
            }
            if line[0].is_empty() {
                continue;
            }
            table.push(line);
        }
        let widths: Vec<usize> = (0..table[0].len())
            .map(|c| {
                table
                    .iter()
                    .map(|l| l[c].chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        for line in &table {
            let cells: Vec<String> = line
                .iter()
                .enumerate()
                .map(|(c, cell)| match c {
                    0 => format!("{cell:<w$}", w = widths[c]),
                    _ => format!("{cell:>w$}", w = widths[c]),
                })
                .collect();
            out.push_str(cells.join("  ").trim_end());
            out.push('\n');
        }
        out.push('\n');
    }
    out
}
