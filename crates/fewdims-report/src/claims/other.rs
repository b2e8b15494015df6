//! The claims on cross-fine-tuning and the probe view (best pair − full vector of a fine-tuned
//! encoder's probe table, resampled from the predictions file beside it).

use fewdims_probe::Metric;
use fewdims_schema::probe::Method;
use fewdims_schema::task::TaskKind;

use super::compare::{Comparison, Setup, above_baseline};
use super::{Claim, Test, Thresholds, Verdict};
use crate::Inputs;
use crate::bootstrap::{Aligned, interval};
use crate::cross::CrossTable;
use crate::probes::{ProbeRow, ProbeTable, show_dims};
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

/// Best pair − full vector of probe table `p` at (layer, readout), paired on the items both
/// probes scored (from the predictions file beside the table), judged by `test`.
fn probe_gap(p: &ProbeTable, pair: &ProbeRow, full: &ProbeRow, th: &Thresholds) -> Comparison {
    let test = Test::Within(th.margin);
    let split = if p.predictions_of(full, "test").is_some() {
        "test"
    } else {
        "dev"
    };
    let (pv, fv) = (p.value(pair), p.value(full));
    let mut c = Comparison {
        task: p.task.clone(),
        what: format!(
            "{}: best pair [{}] − full vector (layer {}, {})",
            p.id,
            show_dims(&pair.dims),
            pair.layer,
            pair.readout
        ),
        split: split.into(),
        metric: p.main_metric().into(),
        seeds: "1 vs 1".into(),
        interval: None,
        test,
        verdict: Verdict::NotMeasured,
        note: format!("pair {} vs full {}", num(pv), num(fv)),
    };
    let (Some(f), Some(pp), Some(m)) = (
        p.predictions_of(full, split),
        p.predictions_of(pair, split),
        Metric::parse(p.main_metric()),
    ) else {
        c.split = p.headline_split().into();
        let why = if p.predictions.is_some() {
            "the predictions file beside the probe table holds no rows of these probes (not \
             written with this table)"
        } else {
            "no per-item predictions beside the probe table (made before probe-dims wrote \
             `<task>.predictions.parquet`)"
        };
        c.note = format!(
            "{} ({}, point estimates); no interval: {why}: re-run `{MAKE_PROBES}`",
            c.note,
            pts(pv - fv)
        );
        return c;
    };
    // Class ids are 0..classes; the labels and answers seen bound them.
    let classes = f
        .iter()
        .chain(&pp)
        .map(|r| r.label.max(r.prediction) as usize + 1)
        .max()
        .unwrap_or(0);
    let classes = if m.kind() == TaskKind::Regression {
        0
    } else {
        classes
    };
    let aligned = match Aligned::new(m.kind(), classes, &[vec![&f[..]], vec![&pp[..]]]) {
        Ok(al) => al,
        Err(e) => {
            c.note = e.to_string();
            return c;
        }
    };
    let s = Setup {
        aligned,
        metric: m,
        metric_name: p.main_metric().into(),
        split,
    };
    c.interval = interval(&s.aligned, m, th.resamples, |v| v[1] - v[0]);
    c.verdict = match (&c.interval, above_baseline(&s, 0, th.resamples)) {
        (None, _) => {
            c.note = "the metric is undefined on this split".into();
            Verdict::NotMeasured
        }
        (Some(_), Err(note)) => {
            c.note = note.replace("the reference", "the full-vector probe");
            Verdict::NoSignal
        }
        (Some(iv), Ok(())) => test.judge(iv),
    };
    c
}

pub(super) fn probe_claim(inp: &Inputs, th: &Thresholds) -> Claim {
    let test = Test::Within(th.margin);
    let mut c = Claim::new(
        "probe",
        "after fine-tuning, a pair of dims ≈ the whole vector (probe view)",
        "A few dims carry the task after fine-tuning (the effective-dims search re-tests found dims in pairs).",
        test,
        format!(
            "best-pair probe − full-vector probe on a fine-tuned encoder's hidden states (top layer, cls; the pair chosen on dev among all pairs, both scored on test), paired bootstrap 95% interval over the test items: holds when it lies {}, does not hold when it lies wholly outside ±{} pts; no signal when the full-vector probe is not above the majority baseline. The pretrained encoder's gap and the same probes on permuted labels (selectivity, and the best pairs chance reaches) are shown beside it, not judged",
            test.describe(),
            th.margin
        ),
    );
    let mut seen = false;
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
            seen = true;
            let gap = probe_gap(p, pair, full, th);
            if p.id == "pretrained" {
                // Before fine-tuning: context for the claim, not a part of it.
                c.context.push(match gap.interval {
                    Some(_) => format!(
                        "{task}, {}: {} ({}, {}; before fine-tuning, not judged)",
                        gap.what,
                        gap.interval_cell(),
                        gap.metric,
                        gap.split
                    ),
                    None => format!(
                        "{task}, {} ({}, {}): {}",
                        gap.what, gap.metric, gap.split, gap.note
                    ),
                });
            } else {
                c.comparisons.push(gap);
            }
            c.context.extend(selectivity(inp, p, layer, &ro));
        }
    }
    let parts: Vec<Verdict> = c.comparisons.iter().map(|x| x.verdict).collect();
    c.verdict = super::combine(&parts);
    if c.comparisons.is_empty() {
        c.missing = Some(if seen {
            format!(
                "no fine-tuned encoder's probe table, only the pretrained one's: `{MAKE_PROBES}` with a `<task>-<run>` id in PROBE_IDS"
            )
        } else {
            format!(
                "no probe tables: `{MAKE_PROBES}` (a fine-tuned encoder's table needs a `<task>-<run>` id in PROBE_IDS)"
            )
        });
    }
    c
}
