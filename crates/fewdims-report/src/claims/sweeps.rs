//! The claims on the fine-tune sweeps: tokens, dims, freezing. Each variant is compared with its
//! reference by [`gap`] (variant − reference, paired over test items, pooled over seeds).

use super::compare::gap;
use super::{Claim, Test, Thresholds};
use crate::Inputs;
use crate::probes::show_dims;
use crate::run_groups::{RunGroup, Sweep, TaskRuns};
use fewdims_schema::run::TokenRole;

pub(super) fn token_claim(inp: &Inputs, th: &Thresholds) -> Claim {
    let test = Test::Within(th.margin);
    let mut c = Claim::new(
        "token",
        "non-CLS tokens ≈ CLS",
        "Non-CLS token vectors (max-pooling, other positions, mean) carry information equivalent to CLS.",
        test,
        format!(
            "each token − cls, paired bootstrap 95% interval: holds when it lies {}, does not hold when it lies outside",
            test.describe()
        ),
    );
    for task in &inp.tasks {
        let tr = TaskRuns::new(task, &inp.groups);
        let Some(reference) = tr.reference() else {
            continue;
        };
        for g in tr.sweep(Sweep::Token) {
            if g.cfg().token == "cls" {
                continue;
            }
            let what = format!("{} − {}", g.cfg().token, reference.base);
            c.comparisons
                .push(gap(reference, g, what, test, th.resamples));
            if g.cfg().token == "max-norm" {
                c.context.extend(max_norm_picks(g));
            }
        }
    }
    c.finish("make sweep-token")
}

/// How often a max-norm run's readout is `[CLS]`, a `[SEP]` or another token, over its seeds'
/// test (or dev) items, with what that means for the claim.
pub(crate) fn max_norm_picks(g: &RunGroup) -> Option<String> {
    let split = if g.predictions("test").is_some() {
        "test"
    } else {
        "dev"
    };
    let seeds = g.predictions(split)?;
    let (mut n, mut counts) = (0usize, [0usize; 3]);
    for row in seeds.iter().flat_map(|s| s.iter()) {
        let Some(role) = row.token_role else { continue };
        n += 1;
        counts[role as usize] += 1;
    }
    if n == 0 {
        return None;
    }
    let pct = |k: TokenRole| 100.0 * counts[k as usize] as f64 / n as f64;
    let special = pct(TokenRole::Cls) + pct(TokenRole::Sep);
    let meaning = if special >= 90.0 {
        "max-norm almost always reads a special token, so its agreement with CLS says little about ordinary tokens (mean and pos:1 speak for those)"
    } else if special <= 10.0 {
        "max-norm reads ordinary tokens, so its agreement with CLS is evidence that other token vectors carry the task"
    } else {
        "max-norm reads special and ordinary tokens alike, so its agreement with CLS speaks for both only in part"
    };
    Some(format!(
        "{}: max-norm at layer {} reads [CLS] {:.0}%, [SEP] {:.0}%, another token {:.0}% of {split} items ({} seeds): {meaning}",
        g.task,
        g.cfg().layer_index,
        pct(TokenRole::Cls),
        pct(TokenRole::Sep),
        pct(TokenRole::Other),
        g.runs.len()
    ))
}

/// The dims each seed drew, e.g. `[17, 305] / [4, 99]`.
fn draws(g: &RunGroup) -> String {
    let d: Vec<String> = g
        .runs
        .iter()
        .map(|r| {
            let dims: Vec<u16> = r.dims_resolved.iter().map(|&d| d as u16).collect();
            format!("[{}]", show_dims(&dims))
        })
        .collect();
    d.join(" / ")
}

pub(super) fn dims_claim(inp: &Inputs, th: &Thresholds) -> Claim {
    let test = Test::Within(th.margin);
    let mut c = Claim::new(
        "dims",
        "2-3 dims ≈ all dims",
        "Fine-tuning with only 2-3 dimensions of the CLS vector reaching the head is enough for most GLUE tasks.",
        test,
        format!(
            "each 2- or 3-dim run − all dims (each run counted once), paired bootstrap 95% interval: holds when it lies {}",
            test.describe()
        ),
    );
    for task in &inp.tasks {
        let tr = TaskRuns::new(task, &inp.groups);
        let Some(reference) = tr.reference() else {
            continue;
        };
        for g in tr.sweep(Sweep::Dims) {
            if g.cfg().dims == "all" || !(2..=3).contains(&g.k()) {
                continue;
            }
            let what = format!("{} − all", g.cfg().dims);
            let mut cmp = gap(reference, g, what, test, th.resamples);
            let drawn = format!("dims {}", draws(g));
            cmp.note = if cmp.note.is_empty() {
                drawn
            } else {
                format!("{drawn}; {}", cmp.note)
            };
            c.comparisons.push(cmp);
        }
    }
    c.finish("make sweep-dims")
}

pub(super) fn freeze_claim(inp: &Inputs, th: &Thresholds) -> Claim {
    let test = Test::WorseBy(th.clearly_worse);
    let mut c = Claim::new(
        "freeze",
        "the encoder must change (frozen is clearly worse)",
        "A frozen encoder with a 2-layer head is clearly worse than fine-tuning; hidden layers move a lot.",
        test,
        format!(
            "frozen − full fine-tune, paired bootstrap 95% interval: holds when it lies {}, does not hold when it lies above",
            test.describe()
        ),
    );
    for task in &inp.tasks {
        let tr = TaskRuns::new(task, &inp.groups);
        let Some(reference) = tr.freeze_reference() else {
            continue;
        };
        for g in tr.sweep(Sweep::Freeze) {
            if g.cfg().freeze == "none" {
                continue;
            }
            let what = format!(
                "freeze {} + {} head − {}",
                g.cfg().freeze,
                g.cfg().head,
                reference.base
            );
            c.comparisons
                .push(gap(reference, g, what, test, th.resamples));
        }
        if let Some(note) = super::other::cka_note(inp, task) {
            c.context.push(format!("{task}: {note}"));
        }
    }
    c.finish("make sweep-freeze")
}
