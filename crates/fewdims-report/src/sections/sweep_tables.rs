//! The sweep tables: one row per run config, test (and MNLI's test_mm) and dev of each metric.

use crate::run_groups::RunGroup;
use crate::stats::{csv_num, show_opt};

/// MNLI's mismatched dev, which fine-tunes score with `--also-test` beside `test` (the matched
/// dev): shown in the sweep tables where a run has it, never judged by the claims.
pub const MISMATCHED: &str = "test_mm";

/// The CSV columns of every sweep table: one row per (run config, metric). The `test_mm`
/// columns are empty for tasks without a mismatched split.
pub(crate) const CSV_HEADERS: [&str; 18] = [
    "task",
    "run",
    "seeds",
    "non_finite",
    "token",
    "layer",
    "layer_index",
    "k",
    "dims",
    "head",
    "freeze",
    "metric",
    "test_mean",
    "test_sd",
    "dev_mean",
    "dev_sd",
    "test_mm_mean",
    "test_mm_sd",
];

pub(crate) fn csv_rows(g: &RunGroup) -> Vec<Vec<String>> {
    let c = g.cfg();
    c.metrics
        .iter()
        .map(|m| {
            let (t, d, mm) = (g.stat("test", m), g.stat("dev", m), g.stat(MISMATCHED, m));
            vec![
                g.task.clone(),
                g.base.clone(),
                g.runs.len().to_string(),
                g.non_finite().to_string(),
                c.token.clone(),
                c.layer.clone(),
                c.layer_index.to_string(),
                g.k().to_string(),
                c.dims.clone(),
                c.head.clone(),
                c.freeze.clone(),
                m.clone(),
                csv_num(t.map(|s| s.mean)),
                csv_num(t.and_then(|s| s.sd)),
                csv_num(d.map(|s| s.mean)),
                csv_num(d.and_then(|s| s.sd)),
                csv_num(mm.map(|s| s.mean)),
                csv_num(mm.and_then(|s| s.sd)),
            ]
        })
        .collect()
}

/// Whether any run of `groups` scored MNLI's mismatched dev.
pub(crate) fn has_mismatched(groups: &[&RunGroup]) -> bool {
    groups
        .iter()
        .any(|g| g.stat(MISMATCHED, g.main_metric()).is_some())
}

/// The markdown table of one task's groups: config, then test (test_mm where a run has it) and
/// dev of each metric.
pub(crate) fn md_rows(groups: &[&RunGroup]) -> (Vec<String>, Vec<Vec<String>>) {
    let metrics = groups
        .first()
        .map(|g| g.cfg().metrics.clone())
        .unwrap_or_default();
    let mm = has_mismatched(groups);
    let mut headers: Vec<String> = [
        "run", "seeds", "token", "layer", "dims (k)", "head", "freeze",
    ]
    .map(String::from)
    .to_vec();
    for m in &metrics {
        headers.push(format!("{m} test"));
        if mm {
            headers.push(format!("{m} {MISMATCHED}"));
        }
        headers.push(format!("{m} dev"));
    }
    let rows = groups
        .iter()
        .map(|g| {
            let c = g.cfg();
            let mut r = vec![
                g.base.clone(),
                g.seeds_cell(),
                c.token.clone(),
                c.layer_index.to_string(),
                format!("{} ({})", c.dims, g.k()),
                c.head.clone(),
                c.freeze.clone(),
            ];
            for m in &metrics {
                r.push(show_opt(g.stat("test", m)));
                if mm {
                    r.push(show_opt(g.stat(MISMATCHED, m)));
                }
                r.push(show_opt(g.stat("dev", m)));
            }
            r
        })
        .collect();
    (headers, rows)
}
