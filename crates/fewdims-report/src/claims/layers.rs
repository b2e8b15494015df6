//! The layer claim, as the paper states it, in two rows: "lower layers contribute less" (the
//! slope over layers 1..L) and "upper layers differ little" (the spread among the top third).
//! Layer 0 reads the embeddings, where CLS is the same vector for every input: it is shown as the
//! chance baseline and kept out of both.

use super::compare::{Comparison, Setup, above_baseline, setup};
use super::{Claim, Test, Thresholds, Verdict};
use crate::Inputs;
use crate::bootstrap::{interval, slope};
use crate::run_groups::{RunGroup, Sweep, TaskRuns};
use crate::stats::num;

/// A task's layer sweep: layer 0 apart, layers 1..L in order.
struct LayerRuns<'a> {
    task: String,
    zero: Option<&'a RunGroup>,
    layers: Vec<&'a RunGroup>,
}

fn layer_runs<'a>(inp: &'a Inputs, task: &str) -> LayerRuns<'a> {
    let tr = TaskRuns::new(task, &inp.groups);
    let mut groups = tr.sweep(Sweep::Layer);
    groups.sort_by_key(|g| g.cfg().layer_index);
    groups.dedup_by_key(|g| g.cfg().layer_index);
    let zero = groups.iter().copied().find(|g| g.cfg().layer_index == 0);
    groups.retain(|g| g.cfg().layer_index > 0);
    LayerRuns {
        task: task.into(),
        zero,
        layers: groups,
    }
}

/// The layer-0 line of the claim's context.
fn zero_note(lr: &LayerRuns) -> Option<String> {
    let g = lr.zero?;
    let (split, s) = g.headline()?;
    Some(format!(
        "{}: layer 0 (embeddings; CLS is one vector for every input) {} {} on {split}: the chance baseline, left out",
        lr.task,
        g.main_metric(),
        num(s.mean)
    ))
}

/// A comparison of the layers of one task by `stat` of their arm values (in layer order).
fn layer_comparison(
    lr: &LayerRuns,
    what: String,
    test: Test,
    resamples: usize,
    stat: impl Fn(&[f64]) -> f64,
) -> Comparison {
    let seeds: Vec<usize> = lr.layers.iter().map(|g| g.runs.len()).collect();
    let mut c = Comparison {
        task: lr.task.clone(),
        what,
        split: "test".into(),
        metric: lr.layers[0].main_metric().into(),
        seeds: format!(
            "{}-{} per layer",
            seeds.iter().min().unwrap_or(&0),
            seeds.iter().max().unwrap_or(&0)
        ),
        interval: None,
        test,
        verdict: Verdict::NotMeasured,
        note: String::new(),
    };
    let s: Setup = match setup(&lr.layers) {
        Ok(s) => s,
        Err(note) => {
            c.note = note;
            return c;
        }
    };
    c.split = s.split.into();
    c.metric = s.metric_name.clone();
    c.interval = interval(&s.aligned, s.metric, resamples, stat);
    let top = lr.layers.len() - 1;
    c.verdict = match (&c.interval, above_baseline(&s, top, resamples)) {
        (None, _) => {
            c.note = "the metric is undefined on this split".into();
            Verdict::NotMeasured
        }
        (Some(_), Err(note)) => {
            c.note = note.replace("the reference", "the top layer");
            Verdict::NoSignal
        }
        (Some(iv), Ok(())) => test.judge(iv),
    };
    c
}

fn layer_list(lr: &LayerRuns) -> String {
    let l: Vec<String> = lr
        .layers
        .iter()
        .map(|g| g.cfg().layer_index.to_string())
        .collect();
    l.join(",")
}

pub(super) fn trend_claim(inp: &Inputs, th: &Thresholds) -> Claim {
    let test = Test::Positive;
    let mut c = Claim::new(
        "layer",
        "lower layers contribute less",
        "With 2 dims of the CLS vector of hidden layer l, lower layers contribute less.",
        test,
        "least-squares slope of the score over layers 1..L (points per layer; layer 0 left out as the chance baseline), paired bootstrap 95% interval: holds when it lies above 0, does not hold when it lies at or below 0".into(),
    );
    for task in &inp.tasks {
        let lr = layer_runs(inp, task);
        c.context.extend(zero_note(&lr));
        if lr.layers.len() < 2 {
            continue;
        }
        let xs: Vec<f64> = lr
            .layers
            .iter()
            .map(|g| g.cfg().layer_index as f64)
            .collect();
        let what = format!("slope over layers {} (per layer)", layer_list(&lr));
        c.comparisons
            .push(layer_comparison(&lr, what, test, th.resamples, move |v| {
                slope(&xs, v)
            }));
    }
    c.finish("make sweep-layer")
}

/// How many of layers 1..L form the top third (at least 2).
pub(crate) fn top_third(layers: usize) -> usize {
    layers.div_ceil(3).max(2).min(layers)
}

pub(super) fn upper_claim(inp: &Inputs, th: &Thresholds) -> Claim {
    let test = Test::Below(th.margin);
    let mut c = Claim::new(
        "upper-layers",
        "upper layers differ little",
        "With 2 dims of the CLS vector of hidden layer l, upper layers differ little.",
        test,
        format!(
            "best − worst of the top third of layers 1..L (at least 2 layers), paired bootstrap 95% interval: holds when it lies {}, does not hold when it lies at or above {} pts",
            test.describe(),
            th.margin
        ),
    );
    for task in &inp.tasks {
        let mut lr = layer_runs(inp, task);
        if lr.layers.len() < 2 {
            continue;
        }
        let keep = top_third(lr.layers.len());
        lr.layers.drain(..lr.layers.len() - keep);
        let what = format!("spread of layers {}", layer_list(&lr));
        c.comparisons
            .push(layer_comparison(&lr, what, test, th.resamples, |v| {
                let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let min = v.iter().copied().fold(f64::INFINITY, f64::min);
                max - min
            }));
    }
    c.finish("make sweep-layer")
}
