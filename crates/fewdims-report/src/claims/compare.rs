//! One comparison of a claim: run groups aligned on the items they all scored, a bootstrap
//! interval of a statistic of them, the reference checked against the majority baseline, and
//! the verdict of the claim's test.

use fewdims_probe::Metric;

use super::verdict::{Test, Verdict};
use crate::bootstrap::{Aligned, Interval, interval};
use crate::run_groups::RunGroup;

/// One comparison (one row of the claims detail table).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Comparison {
    pub task: String,
    /// What is compared, e.g. `max-norm − cls`.
    pub what: String,
    pub split: String,
    pub metric: String,
    /// Seeds per arm, e.g. `3 vs 3`.
    pub seeds: String,
    /// The statistic and its 95% interval, in metric units (shown in points).
    pub interval: Option<Interval>,
    pub test: Test,
    pub verdict: Verdict,
    /// Why there is no verdict, what was drawn, or a caveat.
    pub note: String,
}

impl Comparison {
    /// `+1.2 [−0.4, +2.9] pts`, or `–`.
    pub fn interval_cell(&self) -> String {
        match &self.interval {
            Some(iv) => format!(
                "{:+.1} [{:+.1}, {:+.1}] pts",
                iv.estimate * 100.0,
                iv.lo * 100.0,
                iv.hi * 100.0
            ),
            None => "–".into(),
        }
    }

    /// One line: `movie, max-norm − cls: +0.3 [−1.9, +2.4] pts (accuracy, test, seeds 3 vs 3): holds`.
    pub fn line(&self) -> String {
        let note = if self.note.is_empty() {
            String::new()
        } else {
            format!("; {}", self.note)
        };
        format!(
            "{}, {}: {} ({}, {}, seeds {}{note}): {}",
            self.task,
            self.what,
            self.interval_cell(),
            self.metric,
            self.split,
            self.seeds,
            self.verdict
        )
    }
}

/// The split a comparison reports on: test when every seed of every group has test
/// predictions, else dev (GLUE, a task without a labelled test split).
fn report_split(groups: &[&RunGroup]) -> &'static str {
    if groups.iter().all(|g| g.predictions("test").is_some()) {
        "test"
    } else {
        "dev"
    }
}

/// Groups aligned on one split, for one metric.
pub(crate) struct Setup {
    pub aligned: Aligned,
    pub metric: Metric,
    pub metric_name: String,
    pub split: &'static str,
}

/// Aligns `groups` (the arms, in order) on their report split; `Err` says why not.
pub(crate) fn setup(groups: &[&RunGroup]) -> Result<Setup, String> {
    let first = groups.first().ok_or("no runs")?;
    let split = report_split(groups);
    let metric_name = first.main_metric().to_string();
    let metric = Metric::parse(&metric_name).ok_or(format!("unknown metric `{metric_name}`"))?;
    let mut arms = Vec::new();
    for g in groups {
        arms.push(g.predictions(split).ok_or_else(|| {
            format!(
                "no per-item predictions in `{}` (a run written before predictions.parquet): re-run it",
                g.base
            )
        })?);
    }
    let cfg = first.cfg();
    let aligned = Aligned::new(cfg.kind, cfg.classes, &arms).map_err(|e| e.to_string())?;
    Ok(Setup {
        aligned,
        metric,
        metric_name,
        split,
    })
}

/// `Err(note)` when arm `at`'s interval against the majority baseline (its own correlation with
/// the target, for regression) does not lie above 0.
pub(crate) fn above_baseline(s: &Setup, at: usize, resamples: usize) -> Result<(), String> {
    let check = match s.aligned.clone().with_majority_arm() {
        Some((al, maj)) => interval(&al, s.metric, resamples, |v| v[at] - v[maj]),
        None => interval(&s.aligned, s.metric, resamples, |v| v[at]),
    };
    match check {
        Some(iv) if iv.lo > 0.0 => Ok(()),
        Some(iv) => Err(format!(
            "the reference is not above the majority baseline ({:+.1} [{:+.1}, {:+.1}] pts)",
            iv.estimate * 100.0,
            iv.lo * 100.0,
            iv.hi * 100.0
        )),
        None => Err("the reference's score is undefined on this split".into()),
    }
}

/// `variant − reference` on the items both scored, judged by `test`.
pub(crate) fn gap(
    reference: &RunGroup,
    variant: &RunGroup,
    what: String,
    test: Test,
    resamples: usize,
) -> Comparison {
    let seeds = format!("{} vs {}", variant.runs.len(), reference.runs.len());
    let mut c = Comparison {
        task: reference.task.clone(),
        what,
        split: "test".into(),
        metric: reference.main_metric().into(),
        seeds,
        interval: None,
        test,
        verdict: Verdict::NotMeasured,
        note: String::new(),
    };
    let s = match setup(&[reference, variant]) {
        Ok(s) => s,
        Err(note) => {
            c.note = note;
            return c;
        }
    };
    c.split = s.split.into();
    c.metric = s.metric_name.clone();
    c.interval = interval(&s.aligned, s.metric, resamples, |v| v[1] - v[0]);
    c.verdict = match (&c.interval, above_baseline(&s, 0, resamples)) {
        (None, _) => {
            c.note = "the metric is undefined on this split".into();
            Verdict::NotMeasured
        }
        (Some(_), Err(note)) => {
            c.note = note;
            Verdict::NoSignal
        }
        (Some(iv), Ok(())) => test.judge(iv),
    };
    c
}
