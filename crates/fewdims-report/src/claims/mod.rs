//! "The paper's claims, measured": one row per claim, with a verdict computed from the numbers
//! by the documented rules (thresholds in points: 1 point = 0.01 of the metric).
//! `sweeps` judges the fine-tune sweeps, `other` cross-fine-tuning and the probe view.

mod other;
mod sweeps;

use crate::Inputs;

/// Thresholds of the verdicts, in points of the metric (1 point = 0.01).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Thresholds {
    /// A variant "holds" when it is at most this far below its reference.
    pub holds: f64,
    /// ... and "holds partly" when at most this far below.
    pub partly: f64,
    /// Freezing: the frozen encoder is "clearly worse" when at least this far below.
    pub clearly_worse: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            holds: 2.0,
            partly: 5.0,
            clearly_worse: 5.0,
        }
    }
}

/// How a claim fares against the numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Holds,
    HoldsPartly,
    DoesNotHold,
    NotMeasured,
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Verdict::Holds => "holds",
            Verdict::HoldsPartly => "holds partly",
            Verdict::DoesNotHold => "does not hold",
            Verdict::NotMeasured => "not measured",
        })
    }
}

/// Verdicts of several comparisons (tasks, variants) as one: all hold → holds, none holds even
/// partly → does not hold, else holds partly; unmeasured parts are ignored.
pub fn combine(vs: &[Verdict]) -> Verdict {
    let m: Vec<Verdict> = vs
        .iter()
        .copied()
        .filter(|v| *v != Verdict::NotMeasured)
        .collect();
    if m.is_empty() {
        Verdict::NotMeasured
    } else if m.iter().all(|v| *v == Verdict::Holds) {
        Verdict::Holds
    } else if m.iter().all(|v| *v == Verdict::DoesNotHold) {
        Verdict::DoesNotHold
    } else {
        Verdict::HoldsPartly
    }
}

/// Slack for comparing differences of rounded scores with thresholds (0.8 − 0.78 is 2.0000000000000018).
pub(crate) const EPS: f64 = 1e-9;

/// `gap` = reference − variant, in points: ≤ holds → holds, ≤ partly → holds partly.
pub fn gap_verdict(gap: f64, th: &Thresholds) -> Verdict {
    if gap <= th.holds + EPS {
        Verdict::Holds
    } else if gap <= th.partly + EPS {
        Verdict::HoldsPartly
    } else {
        Verdict::DoesNotHold
    }
}

/// One row of the claims table.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Claim {
    pub id: &'static str,
    pub claim: &'static str,
    pub paper: &'static str,
    /// Our numbers, per task, from the files.
    pub ours: String,
    pub verdict: Verdict,
    /// How the verdict follows from the numbers.
    pub rule: String,
}

/// Every claim, in the paper's order.
pub(crate) fn claims(inp: &Inputs, th: &Thresholds) -> Vec<Claim> {
    vec![
        sweeps::token_claim(inp, th),
        sweeps::dims_claim(inp, th),
        sweeps::layer_claim(inp, th),
        sweeps::freeze_claim(inp, th),
        other::cross_claim(inp, th),
        other::probe_claim(inp, th),
    ]
}
