//! The claims on cross-fine-tuning and the probe view.

use fewdims_probe::Metric;
use fewdims_schema::probe::Method;
use fewdims_schema::task::TaskKind;

use super::compare::Comparison;
use super::{Claim, Test, Thresholds, Verdict};
use crate::Inputs;
use crate::bootstrap::{Aligned, interval};
use crate::cross::CrossTable;
use crate::probes::ProbeTable;
use crate::sections::{MAKE_CROSS, MAKE_PROBES};
use crate::stats::{num, pts};

/// Last-layer CKA of the CLS readout between the pretrained and a fine-tuned encoder of `task`.
pub(super) fn cka_note(inp: &Inputs, task: &str) -> Option<String> {
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

/// `task`'s own head after step `last` − after step `s` (when it was trained), per item.
fn cross_gap(
    t: &CrossTable,
    task: &str,
    s: u32,
    last: u32,
    metric: &str,
    th: &Thresholds,
) -> Comparison {
    let test = Test::NotWorseBy(th.margin);
    let split = if t.predictions(s, task, "test").is_some() {
        "test"
    } else {
        "dev"
    };
    let mut c = Comparison {
        task: task.into(),
        what: format!("{}: after step {last} − after step {s}", t.name),
        split: split.into(),
        metric: metric.into(),
        seeds: format!("{0} vs {0}", t.sources.len()),
        interval: None,
        test,
        verdict: Verdict::NotMeasured,
        note: String::new(),
    };
    let (Some(before), Some(after), Some(m)) = (
        t.predictions(s, task, split),
        t.predictions(last, task, split),
        Metric::parse(metric),
    ) else {
        c.note = "no per-item predictions in the cross dir (made before predictions/ existed): re-run it".into();
        return c;
    };
    let kind = m.kind();
    let classes = before
        .iter()
        .flat_map(|r| r.iter().map(|p| p.label.max(p.prediction) as usize + 1))
        .max()
        .unwrap_or(0);
    let classes = if kind == TaskKind::Regression {
        0
    } else {
        classes
    };
    let al = match Aligned::new(kind, classes, &[before, after]) {
        Ok(al) => al,
        Err(e) => {
            c.note = e.to_string();
            return c;
        }
    };
    c.interval = interval(&al, m, th.resamples, |v| v[1] - v[0]);
    let baseline = match al.clone().with_majority_arm() {
        Some((al, maj)) => interval(&al, m, th.resamples, |v| v[0] - v[maj]),
        None => interval(&al, m, th.resamples, |v| v[0]),
    };
    c.verdict = match (&c.interval, baseline) {
        (None, _) => Verdict::NotMeasured,
        (Some(_), b) if b.is_none_or(|b| b.lo <= 0.0) => {
            c.note = "task A right after its own step is not above the majority baseline".into();
            Verdict::NoSignal
        }
        (Some(iv), _) => test.judge(iv),
    };
    c
}

pub(super) fn cross_claim(inp: &Inputs, th: &Thresholds) -> Claim {
    let test = Test::NotWorseBy(th.margin);
    let mut c = Claim::new(
        "cross",
        "BERT holds several tasks at once",
        "After fine-tuning on task A then B, A still scores well: the encoder has room for several tasks.",
        test,
        format!(
            "task A with its own head: after the last step − right after A's own step, paired bootstrap 95% interval: holds when it lies {}, does not hold when it lies below −{} pts",
            test.describe(),
            th.margin
        ),
    );
    for t in &inp.cross {
        let steps = t.steps();
        let Some(&(last, _)) = steps.last() else {
            continue;
        };
        let chain: Vec<&str> = steps.iter().map(|(_, task)| task.as_str()).collect();
        c.context
            .push(format!("chain {}: {}", t.name, chain.join(" → ")));
        for (s, task) in &steps {
            if *s == last || steps.iter().any(|(s2, t2)| t2 == task && s2 < s) {
                continue;
            }
            let Some(metric) = t.metric_of(task, inp.main_metric(task)) else {
                continue;
            };
            c.comparisons
                .push(cross_gap(t, task, *s, last, &metric, th));
            let split = t.headline_split();
            for mode in ["retrained", "probe"] {
                if let Some(v) = t.stat(last, task, mode, split, &metric) {
                    c.context.push(format!(
                        "{} {task} after step {last}, {mode}: {} ({split}, no interval)",
                        t.name,
                        v.show_n()
                    ));
                }
            }
        }
    }
    c.finish(MAKE_CROSS)
}

/// The control tables of `p` (permuted labels, same id and task): selectivity of the full,
/// best-single and best-pair probes (task − mean control), and the best pair beside the best
/// pairs that chance reaches.
fn selectivity(inp: &Inputs, p: &ProbeTable, layer: i32, ro: &str) -> Option<String> {
    let controls: Vec<&(u64, ProbeTable)> = inp
        .controls
        .iter()
        .filter(|(_, c)| c.id == p.id && c.task == p.task)
        .collect();
    if controls.is_empty() {
        return None;
    }
    let best = |t: &ProbeTable, m: Method| t.best(layer, ro, m).map(|r| t.value(r));
    let mut parts = Vec::new();
    for (name, m) in [
        ("full", Method::Full),
        ("single", Method::Single),
        ("pair", Method::Pair),
    ] {
        let Some(real) = best(p, m) else { continue };
        let chance: Vec<f64> = controls.iter().filter_map(|(_, c)| best(c, m)).collect();
        if chance.is_empty() {
            continue;
        }
        let mean = chance.iter().sum::<f64>() / chance.len() as f64;
        parts.push(format!("{name} {}", pts(real - mean)));
    }
    let pairs: Vec<String> = controls
        .iter()
        .filter_map(|(_, c)| best(c, Method::Pair).map(num))
        .collect();
    Some(format!(
        "{} on {}: selectivity (task − permuted-label control, {} permutations): {}; the best pair {} vs the best pairs of permuted labels {}",
        p.id,
        p.task,
        controls.len(),
        parts.join(", "),
        best(p, Method::Pair).map_or("–".into(), num),
        pairs.join(", ")
    ))
}

pub(super) fn probe_claim(inp: &Inputs, th: &Thresholds) -> Claim {
    let test = Test::Within(th.margin);
    let mut c = Claim::new(
        "probe",
        "after fine-tuning, a pair of dims ≈ the whole vector (probe view)",
        "A few dims carry the task after fine-tuning (the effective-dims search re-tests found dims in pairs).",
        test,
        "best-pair probe − full-vector probe (last layer, cls), beside the same probes on permuted labels (selectivity, and the best pairs chance reaches). Probe tables hold no per-item predictions yet, so there is no interval and no verdict: the numbers are shown only".into(),
    );
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
            c.context.push(format!(
                "{} on {task} (layer {layer}, {ro}, {}, {}): best pair [{}] {} vs full {} ({}; point estimates)",
                p.id, p.main_metric(), p.headline_split(), crate::probes::show_dims(&pair.dims),
                num(pv), num(fv), pts(pv - fv)
            ));
            c.context.extend(selectivity(inp, p, layer, &ro));
        }
    }
    if c.context.is_empty() {
        c.missing = Some(format!(
            "no probe tables: `{MAKE_PROBES}` (a fine-tuned encoder's table needs PROBE_IDS=<task>-cls)"
        ));
    }
    c.verdict = Verdict::NotMeasured;
    c
}
