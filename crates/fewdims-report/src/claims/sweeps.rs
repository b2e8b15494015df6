//! The claims on the fine-tune sweeps: tokens, dims, layers, freezing.

use super::{Claim, EPS, Thresholds, Verdict, combine, gap_verdict};
use crate::Inputs;
use crate::run_groups::{RunGroup, Sweep, TaskRuns};
use crate::stats::{Stat, num, pts};

fn show(s: &Stat) -> String {
    s.show_n()
}

/// Variants vs a reference, per task; `pick` lists (label, group) variants of a task.
fn versus(
    inp: &Inputs,
    th: &Thresholds,
    sweep: &str,
    pick: impl Fn(&TaskRuns) -> (Option<String>, Vec<(String, String)>),
) -> (String, Verdict) {
    let (mut parts, mut verdicts) = (Vec::new(), Vec::new());
    for task in &inp.tasks {
        let tr = TaskRuns::new(task, &inp.groups);
        let (ref_name, cands) = pick(&tr);
        let find = |n: &str| tr.groups.iter().copied().find(|g| g.base == n);
        let Some(rg) = ref_name.as_deref().and_then(find) else {
            continue;
        };
        let Some((split, rs)) = rg.headline() else {
            continue;
        };
        let metric = rg.main_metric();
        let mut items = Vec::new();
        for (label, name) in &cands {
            let Some(cs) = find(name).and_then(|g| g.stat(split, metric)) else {
                continue;
            };
            let gap = (rs.mean - cs.mean) * 100.0;
            let v = gap_verdict(gap, th);
            verdicts.push(v);
            items.push(format!(
                "{label} {} ({}; {v})",
                show(&cs),
                pts(cs.mean - rs.mean)
            ));
        }
        if !items.is_empty() {
            parts.push(format!(
                "{task} ({metric}, {split}): {} vs {} {}",
                items.join(", "),
                rg.base,
                show(&rs)
            ));
        }
    }
    if parts.is_empty() {
        return (
            format!("no runs to compare: `{sweep}`"),
            Verdict::NotMeasured,
        );
    }
    (parts.join("; "), combine(&verdicts))
}

pub(super) fn token_claim(inp: &Inputs, th: &Thresholds) -> Claim {
    let (ours, verdict) = versus(inp, th, "make sweep-token", |tr| {
        let r = tr.reference().map(|g| g.base.clone());
        let c = tr
            .sweep(Sweep::Token)
            .iter()
            .filter(|g| g.cfg().token != "cls")
            .map(|g| (g.cfg().token.clone(), g.base.clone()))
            .collect();
        (r, c)
    });
    Claim {
        id: "token",
        claim: "non-CLS tokens ≈ CLS",
        paper: "Non-CLS token vectors (max-pooling, other positions, mean) carry information equivalent to CLS.",
        ours,
        verdict,
        rule: format!(
            "each token vs cls: holds within {} pts, partly within {} pts; all tokens and tasks combined",
            th.holds, th.partly
        ),
    }
}

pub(super) fn dims_claim(inp: &Inputs, th: &Thresholds) -> Claim {
    let (ours, verdict) = versus(inp, th, "make sweep-dims", |tr| {
        let r = tr.reference().map(|g| g.base.clone());
        let c = tr
            .sweep(Sweep::Dims)
            .iter()
            .filter(|g| g.cfg().dims != "all" && (2..=3).contains(&g.k()))
            .map(|g| (format!("k={} ({})", g.k(), g.cfg().dims), g.base.clone()))
            .collect();
        (r, c)
    });
    Claim {
        id: "dims",
        claim: "2-3 dims ≈ all dims",
        paper: "Fine-tuning with only 2-3 dimensions of the CLS vector reaching the head is enough for most GLUE tasks.",
        ours,
        verdict,
        rule: format!(
            "each 2- or 3-dim run vs all dims: holds within {} pts, partly within {} pts",
            th.holds, th.partly
        ),
    }
}

pub(super) fn layer_claim(inp: &Inputs, th: &Thresholds) -> Claim {
    let (mut parts, mut verdicts) = (Vec::new(), Vec::new());
    for task in &inp.tasks {
        let tr = TaskRuns::new(task, &inp.groups);
        let mut groups: Vec<&RunGroup> = tr.sweep(Sweep::Layer);
        groups.sort_by_key(|g| g.cfg().layer_index);
        groups.dedup_by_key(|g| g.cfg().layer_index);
        let Some((split, _)) = groups.first().and_then(|g| g.headline()) else {
            continue;
        };
        let metric = groups[0].main_metric().to_string();
        let pts_: Vec<(usize, Stat)> = groups
            .iter()
            .filter_map(|g| g.stat(split, &metric).map(|s| (g.cfg().layer_index, s)))
            .collect();
        if pts_.len() < 2 {
            continue;
        }
        let half = pts_.len() / 2;
        let mean = |s: &[(usize, Stat)]| s.iter().map(|p| p.1.mean).sum::<f64>() / s.len() as f64;
        let rise = (mean(&pts_[pts_.len() - half..]) - mean(&pts_[..half])) * 100.0;
        let best = pts_
            .iter()
            .max_by(|a, b| a.1.mean.total_cmp(&b.1.mean))
            .unwrap();
        let v = if rise >= th.holds - EPS {
            Verdict::Holds
        } else if rise > EPS {
            Verdict::HoldsPartly
        } else {
            Verdict::DoesNotHold
        };
        verdicts.push(v);
        let seq: Vec<String> = pts_
            .iter()
            .map(|(l, s)| format!("L{l} {}", num(s.mean)))
            .collect();
        let n = pts_.iter().map(|p| p.1.n).min().unwrap_or(0);
        parts.push(format!(
            "{task} ({metric}, {split}, {} dims of CLS, n≥{n}): {}; upper half − lower half {:+.1} pts; best layer {}",
            groups[0].k(), seq.join(", "), rise, best.0
        ));
    }
    let (ours, verdict) = if parts.is_empty() {
        (
            "no layer-wise runs: `make sweep-layer`".to_string(),
            Verdict::NotMeasured,
        )
    } else {
        (parts.join("; "), combine(&verdicts))
    };
    Claim {
        id: "layer",
        claim: "later layers are better",
        paper: "With 2 dims of the CLS vector of hidden layer l, lower layers contribute less; upper layers differ little.",
        ours,
        verdict,
        rule: format!(
            "mean of the upper half of the layers − mean of the lower half: ≥ {} pts holds, > 0 partly, else does not hold",
            th.holds
        ),
    }
}

/// Last-layer CKA of the CLS readout between the pretrained and a fine-tuned encoder of `task`.
fn cka_note(inp: &Inputs, task: &str) -> Option<String> {
    let t = inp
        .cka
        .iter()
        .find(|t| t.task == task && t.b().starts_with(&format!("{task}-")))?;
    let r = t
        .rows
        .iter()
        .filter(|r| r.readout == "cls")
        .max_by_key(|r| r.layer)?;
    Some(format!(
        "CKA {} at layer {} (cls) = {}",
        t.pair.replace("_vs_", " vs "),
        r.layer,
        num(r.cka)
    ))
}

pub(super) fn freeze_claim(inp: &Inputs, th: &Thresholds) -> Claim {
    let (mut parts, mut verdicts) = (Vec::new(), Vec::new());
    for task in &inp.tasks {
        let tr = TaskRuns::new(task, &inp.groups);
        let frozen: Vec<&RunGroup> = tr
            .sweep(Sweep::Freeze)
            .into_iter()
            .filter(|g| g.cfg().freeze != "none")
            .collect();
        let (Some(rg), false) = (tr.freeze_reference(), frozen.is_empty()) else {
            continue;
        };
        let Some((split, rs)) = rg.headline() else {
            continue;
        };
        let metric = rg.main_metric();
        let mut items = Vec::new();
        for g in frozen {
            let Some(fs) = g.stat(split, metric) else {
                continue;
            };
            let gap = (rs.mean - fs.mean) * 100.0;
            let v = if gap >= th.clearly_worse - EPS {
                Verdict::Holds
            } else if gap >= th.holds - EPS {
                Verdict::HoldsPartly
            } else {
                Verdict::DoesNotHold
            };
            verdicts.push(v);
            items.push(format!(
                "{} (freeze {}, {} head) {} ({}; {v})",
                g.base,
                g.cfg().freeze,
                g.cfg().head,
                show(&fs),
                pts(fs.mean - rs.mean)
            ));
        }
        if !items.is_empty() {
            let note = cka_note(inp, task)
                .map(|n| format!("; {n}"))
                .unwrap_or_default();
            parts.push(format!(
                "{task} ({metric}, {split}): {} vs {} {}{note}",
                items.join(", "),
                rg.base,
                show(&rs)
            ));
        }
    }
    let (ours, verdict) = if parts.is_empty() {
        (
            "no frozen-encoder runs: `make sweep-freeze`".to_string(),
            Verdict::NotMeasured,
        )
    } else {
        (parts.join("; "), combine(&verdicts))
    };
    Claim {
        id: "freeze",
        claim: "the encoder must change (frozen is clearly worse)",
        paper: "A frozen encoder with a 2-layer head is clearly worse than fine-tuning; hidden layers move a lot.",
        ours,
        verdict,
        rule: format!(
            "full fine-tune − frozen: ≥ {} pts holds, ≥ {} pts partly, else does not hold",
            th.clearly_worse, th.holds
        ),
    }
}
