//! The claims on cross-fine-tuning and the probe view.

use super::{Claim, EPS, Thresholds, Verdict, combine, gap_verdict};
use crate::Inputs;
use crate::sections::{MAKE_CROSS, MAKE_PROBES};
use crate::stats::{Stat, num, pts};
use fewdims_schema::probe::Method;

pub(super) fn cross_claim(inp: &Inputs, th: &Thresholds) -> Claim {
    let (mut parts, mut verdicts) = (Vec::new(), Vec::new());
    for t in &inp.cross {
        let split = t.headline_split();
        let steps = t.steps();
        let Some(&(last, _)) = steps.last() else {
            continue;
        };
        for (s, task) in &steps {
            if *s == last || steps.iter().any(|(s2, t2)| t2 == task && s2 < s) {
                continue;
            }
            let Some(metric) = t.metric_of(task, inp.main_metric(task)) else {
                continue;
            };
            let cell = |step: u32, mode: &str| t.stat(step, task, mode, split, &metric);
            let (Some(before), Some(after)) = (cell(*s, "head"), cell(last, "head")) else {
                continue;
            };
            let drop = (before.mean - after.mean) * 100.0;
            let recovered: Vec<(&str, Stat)> = ["retrained", "probe"]
                .into_iter()
                .filter_map(|m| cell(last, m).map(|v| (m, v)))
                .collect();
            let rescued = recovered
                .iter()
                .any(|(_, v)| (before.mean - v.mean) * 100.0 <= th.holds + EPS);
            let v = match gap_verdict(drop, th) {
                Verdict::DoesNotHold if rescued => Verdict::HoldsPartly,
                v => v,
            };
            verdicts.push(v);
            let rec: String = recovered
                .iter()
                .map(|(m, x)| format!(", {m} {}", x.show()))
                .collect();
            parts.push(format!(
                "{} {task} ({metric}, {split}): {} after step {s} → {} with its head after step {last} ({}{rec}; {v})",
                t.name,
                before.show_n(),
                after.show_n(),
                pts(after.mean - before.mean)
            ));
        }
    }
    let (ours, verdict) = if parts.is_empty() {
        (
            format!("no cross-fine-tuning matrix: `{}`", MAKE_CROSS),
            Verdict::NotMeasured,
        )
    } else {
        (parts.join("; "), combine(&verdicts))
    };
    Claim {
        id: "cross",
        claim: "BERT holds several tasks at once",
        paper: "After fine-tuning on task A then B, A still scores well: the encoder has room for several tasks.",
        ours,
        verdict,
        rule: format!(
            "drop of task A (own head) from right after A to after the last step: ≤ {} pts holds, ≤ {} pts (or a retrained head/probe within {} pts) partly",
            th.holds, th.partly, th.holds
        ),
    }
}

pub(super) fn probe_claim(inp: &Inputs, th: &Thresholds) -> Claim {
    let (mut parts, mut verdicts) = (Vec::new(), Vec::new());
    for task in &inp.tasks {
        let mut tables: Vec<_> = inp.probes.iter().filter(|p| &p.task == task).collect();
        tables.sort_by_key(|p| {
            (
                p.id != "pretrained",
                p.id != format!("{task}-cls"),
                p.id.clone(),
            )
        });
        for p in tables {
            let (Some(layer), Some(ro)) = (p.last_layer(), p.focus_readout()) else {
                continue;
            };
            let (Some(pair), Some(full)) = (
                p.best(layer, &ro, Method::Pair),
                p.best(layer, &ro, Method::Full),
            ) else {
                continue;
            };
            let (pv, fv) = (p.value(pair), p.value(full));
            let fine_tuned = p.id != "pretrained";
            let v = if fine_tuned {
                gap_verdict((fv - pv) * 100.0, th)
            } else {
                Verdict::NotMeasured
            };
            verdicts.push(v);
            let tag = if fine_tuned {
                format!("; {v}")
            } else {
                String::new()
            };
            parts.push(format!(
                "{} on {task} (layer {layer}, {ro}, {}, {}): best pair [{}] {} vs full {} ({}{tag})",
                p.id, p.main_metric(), p.headline_split(), crate::probes::show_dims(&pair.dims), num(pv), num(fv), pts(pv - fv)
            ));
        }
    }
    let mut ours = if parts.is_empty() {
        "no probe tables".to_string()
    } else {
        parts.join("; ")
    };
    if !verdicts.iter().any(|v| *v != Verdict::NotMeasured) {
        ours += &format!(
            " (a fine-tuned encoder's probe table is needed: `{}` with PROBE_IDS=<task>-cls)",
            MAKE_PROBES
        );
    }
    Claim {
        id: "probe",
        claim: "after fine-tuning, a pair of dims ≈ the whole vector (probe view)",
        paper: "A few dims carry the task after fine-tuning (the effective-dims search re-tests found dims in pairs).",
        ours,
        verdict: combine(&verdicts),
        rule: format!(
            "fine-tuned encoders only: full-vector probe − best-pair probe (last layer, cls): ≤ {} pts holds, ≤ {} pts partly",
            th.holds, th.partly
        ),
    }
}
