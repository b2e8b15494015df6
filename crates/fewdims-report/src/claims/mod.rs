//! "The paper's claims, measured": each claim is one or more comparisons, each a paired
//! bootstrap interval over test items (and seeds) judged against a margin in points
//! (1 point = 0.01 of the metric). `sweeps` judges the fine-tune sweeps, `layers` the layer-wise
//! sweep, `other` cross-fine-tuning and the probe view. The rules: `docs/report.md`.

mod compare;
mod layers;
mod other;
mod sweeps;
pub mod verdict;

pub use compare::Comparison;
pub use verdict::{Test, Verdict, combine};

use crate::Inputs;

/// The margins of the verdicts, in points of the metric (1 point = 0.01).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Thresholds {
    /// "≈" claims hold when the gap's interval lies within ±margin.
    pub margin: f64,
    /// Freezing: the frozen encoder is "clearly worse" when the gap's interval lies below −this.
    pub clearly_worse: f64,
    /// Bootstrap replicates per interval.
    pub resamples: usize,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            margin: 2.0,
            clearly_worse: 5.0,
            resamples: crate::bootstrap::RESAMPLES,
        }
    }
}

/// One row of the claims table.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Claim {
    pub id: &'static str,
    pub claim: &'static str,
    pub paper: &'static str,
    /// The test every comparison of the claim is judged by.
    pub test: Test,
    pub comparisons: Vec<Comparison>,
    /// Shown beside the comparisons: what the claim rests on (a chain, a baseline layer).
    pub context: Vec<String>,
    /// What to run when nothing was measured.
    pub missing: Option<String>,
    pub verdict: Verdict,
    /// How the verdict follows from the numbers.
    pub rule: String,
}

impl Claim {
    pub(crate) fn new(
        id: &'static str,
        claim: &'static str,
        paper: &'static str,
        test: Test,
        rule: String,
    ) -> Self {
        Claim {
            id,
            claim,
            paper,
            test,
            comparisons: Vec::new(),
            context: Vec::new(),
            missing: None,
            verdict: Verdict::NotMeasured,
            rule,
        }
    }

    /// Sets the verdict from the comparisons; `make` is what to run when there are none.
    pub(crate) fn finish(mut self, make: &str) -> Self {
        let parts: Vec<Verdict> = self.comparisons.iter().map(|c| c.verdict).collect();
        self.verdict = combine(&parts);
        if self.comparisons.is_empty() {
            self.missing = Some(format!("no runs to compare: `{make}`"));
        }
        self
    }

    /// The "our numbers" cell: every comparison, then the context.
    pub fn ours(&self) -> String {
        let mut lines: Vec<String> = self.comparisons.iter().map(Comparison::line).collect();
        lines.extend(self.context.iter().cloned());
        if let Some(m) = &self.missing {
            lines.push(m.clone());
        }
        lines.join("; ")
    }

    /// Seeds per arm over the comparisons, e.g. `3 vs 3`, or `3 vs 3 – 1 vs 1` when they differ.
    pub fn seeds(&self) -> String {
        let mut s: Vec<&str> = self.comparisons.iter().map(|c| c.seeds.as_str()).collect();
        s.sort();
        s.dedup();
        match s.as_slice() {
            [] => "–".into(),
            [one] => one.to_string(),
            many => format!("{} – {}", many[0], many[many.len() - 1]),
        }
    }
}

/// Every claim, in the paper's order.
pub(crate) fn claims(inp: &Inputs, th: &Thresholds) -> Vec<Claim> {
    vec![
        sweeps::token_claim(inp, th),
        sweeps::dims_claim(inp, th),
        layers::trend_claim(inp, th),
        layers::upper_claim(inp, th),
        sweeps::freeze_claim(inp, th),
        other::cross_claim(inp, th),
        other::probe_claim(inp, th),
    ]
}
