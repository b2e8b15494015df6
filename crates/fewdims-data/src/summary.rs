//! One-line summaries of task and token files: rows, label balance, truncations.

use crate::error::{DataError, Result};
use crate::meta::TaskMeta;
use crate::registry::TaskKind;
use crate::taskfile::{Label, read_task_split};
use crate::tokfile::read_token_split;
use fewdims_schema::{task, token};
use std::path::Path;

/// Label balance: `name=count` per class, or mean/sd/min/max of scores; `unlabelled` if so.
pub fn label_balance(meta: &TaskMeta, labels: &[Label]) -> String {
    if !meta.labelled {
        return "unlabelled".into();
    }
    match meta.kind {
        TaskKind::Classification => {
            let mut counts = vec![0usize; meta.num_classes()];
            for l in labels {
                if let Label::Class(c) = l
                    && let Some(n) = counts.get_mut(*c as usize)
                {
                    *n += 1;
                }
            }
            let pct = |n: usize| 100.0 * n as f64 / labels.len().max(1) as f64;
            let parts: Vec<String> = meta
                .label_names
                .iter()
                .zip(&counts)
                .map(|(name, &n)| format!("{name}={n} ({:.1}%)", pct(n)))
                .collect();
            parts.join(" ")
        }
        TaskKind::Regression => {
            let xs: Vec<f64> = labels
                .iter()
                .filter_map(|l| {
                    if let Label::Score(s) = l {
                        Some(*s as f64)
                    } else {
                        None
                    }
                })
                .collect();
            let n = xs.len().max(1) as f64;
            let mean = xs.iter().sum::<f64>() / n;
            let sd = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt();
            let (lo, hi) = xs
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
                    (a.min(x), b.max(x))
                });
            format!("mean={mean:.2} sd={sd:.2} min={lo:.2} max={hi:.2}")
        }
    }
}

/// A one-line summary of a task or token file (told apart by its `fewdims.format`).
pub fn summarize_file(path: &Path) -> Result<String> {
    let format = crate::pq::read_table(path)?
        .kv
        .get(task::KEY_FORMAT)
        .cloned()
        .unwrap_or_default();
    if format == token::FORMAT {
        let t = read_token_split(path)?;
        let lens: Vec<usize> = t.offsets.windows(2).map(|w| w[1] - w[0]).collect();
        let mean = lens.iter().sum::<usize>() as f64 / lens.len().max(1) as f64;
        Ok(format!(
            "{:<12} {:<8} rows={:<7} truncated={:<6} tokens mean={:.1} max={} (max_len {})  {}",
            t.meta.task,
            t.meta.split,
            t.len(),
            t.tok.truncated,
            mean,
            lens.iter().max().unwrap_or(&0),
            t.tok.max_len,
            label_balance(&t.meta, &t.labels)
        ))
    } else if format == task::FORMAT {
        let s = read_task_split(path)?;
        let labels: Vec<Label> = s.items.iter().map(|i| i.label).collect();
        Ok(format!(
            "{:<12} {:<8} rows={:<7} {}",
            s.meta.task,
            s.meta.split,
            s.items.len(),
            label_balance(&s.meta, &labels)
        ))
    } else {
        Err(DataError::metadata(
            path,
            task::KEY_FORMAT,
            format!("`{format}` is neither a task nor a token file"),
        ))
    }
}
