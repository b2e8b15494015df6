//! The cross-fine-tuning section: per cross run and mode, the task x step matrix (mean over seeds).

use crate::doc::{Doc, file_safe};
use crate::plot::heatmap;
use crate::sections::MAKE_CROSS;
use crate::stats::{csv_num, show_opt};
use crate::{Inputs, ReportError};

/// Cross-fine-tuning: per cross run and mode, rows = evaluated task, columns = after step k.
pub fn write_cross(doc: &mut Doc, inp: &Inputs) -> Result<(), ReportError> {
    doc.h2("Cross-fine-tuning");
    doc.para(
        "Fine-tune on one task, then on the next: each task's score after every later step. \
         `head`: the task's own head, frozen since it was trained, on the current encoder; \
         `retrained`: that head re-fit with the encoder frozen; `probe`: a probe re-fit on the readout.",
    );
    if inp.cross.is_empty() {
        doc.missing(
            "Cross-fine-tuning",
            &format!(
                "no `cross.parquet` under `{}`",
                inp.runs_root.join("cross").display()
            ),
            MAKE_CROSS,
        );
        return Ok(());
    }
    let mut csv = Vec::new();
    for t in &inp.cross {
        let split = t.headline_split();
        let steps = t.steps();
        let tasks = t.eval_tasks();
        let cols: Vec<String> = steps
            .iter()
            .map(|(s, task)| format!("after {s}: {task}"))
            .collect();
        for mode in t.modes() {
            doc.h3(&format!(
                "{}: mode {mode} ({split}, mean over {} seed(s))",
                t.name,
                t.sources.len()
            ));
            let mut rows = Vec::new();
            let mut values = Vec::new();
            for task in &tasks {
                let metric = t.metric_of(task, inp.main_metric(task)).unwrap_or_default();
                let stats: Vec<_> = steps
                    .iter()
                    .map(|(s, _)| t.stat(*s, task, mode, split, &metric))
                    .collect();
                let mut row = vec![format!("{task} ({metric})")];
                row.extend(stats.iter().map(|s| show_opt(*s)));
                rows.push(row);
                let vals: Vec<Option<f64>> = stats.iter().map(|s| s.map(|s| s.mean)).collect();
                values.push(vals);
            }
            let mut headers = vec!["eval task"];
            headers.extend(cols.iter().map(String::as_str));
            doc.table(&headers, &rows);
            let title = format!("cross-fine-tuning {}: mode {mode}, {split}", t.name);
            let row_labels: Vec<String> = rows.iter().map(|r| r[0].clone()).collect();
            let svg = heatmap(
                &title,
                "after training step",
                "evaluated task",
                &cols,
                &row_labels,
                &values,
            );
            doc.svg(
                &format!("cross_{}_{}", file_safe(&t.name), mode),
                &title,
                svg,
            )?;
        }
        for r in &t.rows {
            csv.push(vec![
                t.name.clone(),
                t.sources[r.source].0.clone(),
                r.step.to_string(),
                r.trained_task.clone(),
                r.eval_task.clone(),
                r.mode.as_str().to_string(),
                r.split.clone(),
                r.metric.clone(),
                csv_num(Some(r.value)),
            ]);
        }
    }
    let headers = [
        "cross",
        "source",
        "step",
        "trained_task",
        "eval_task",
        "mode",
        "split",
        "metric",
        "value",
    ];
    doc.csv("cross", &headers, &csv)
}
