//! A label planted in dims 3 and 17 is found: best pair, greedy's first two, and elimination
//! from 3 dims keeps both. Classification (binary and 3-class) and regression. The full-vector
//! probe is the subsets' model family.

use crate::common;

use common::Rng;
use fewdims_probe::search::{Buffers, backward_start, best};
use fewdims_probe::{Metric, Prober, Problem, Settings};
use fewdims_schema::hidden::Labels;
use fewdims_schema::probe::Method;

const H: usize = 24;

/// Row-major [n, H] features with distinct scales and offsets (standardization must cope),
/// and a latent score s = x3 + x17 (+ noise).
fn features(rng: &mut Rng, n: usize) -> (Vec<f32>, Vec<f64>, Vec<f64>) {
    let mut x = rng.normals(n * H);
    for (i, v) in x.iter_mut().enumerate() {
        let d = i % H;
        *v = *v * (1.0 + d as f32) + d as f32 * 3.0;
    }
    let a: Vec<f64> = (0..n)
        .map(|i| ((x[i * H + 3] - 9.0) / 4.0) as f64)
        .collect();
    let b: Vec<f64> = (0..n)
        .map(|i| ((x[i * H + 17] - 51.0) / 18.0) as f64)
        .collect();
    (x, a, b)
}

fn problem(kind: &str, seed: u64) -> Problem {
    let mut rng = Rng::new(seed);
    let mut make = |n: usize| {
        let (x, a, b) = features(&mut rng, n);
        let labels = match kind {
            "binary" => Labels::Classes(
                (0..n)
                    .map(|i| (a[i] + b[i] + 0.3 * rng.normal() > 0.0) as i64)
                    .collect(),
            ),
            "three" => Labels::Classes(
                (0..n)
                    .map(|i| {
                        let s = [a[i], b[i], -(a[i] + b[i]) * 0.7];
                        (0..3).fold(0, |m, c| if s[c] > s[m] { c } else { m }) as i64
                    })
                    .collect(),
            ),
            _ => Labels::Scores(
                (0..n)
                    .map(|i| (a[i] - 2.0 * b[i] + 0.3 * rng.normal()) as f32)
                    .collect(),
            ),
        };
        (x, labels)
    };
    let (tr, dv, te) = (make(2000), make(600), make(600));
    let (metrics, classes) = match kind {
        "binary" => (vec![Metric::Accuracy, Metric::F1, Metric::Mcc], 2),
        "three" => (vec![Metric::Accuracy, Metric::Mcc], 3),
        _ => (vec![Metric::Pearson, Metric::Spearman], 1),
    };
    Problem::new(
        (&tr.0[..], &tr.1),
        (&dv.0[..], &dv.1),
        Some((&te.0[..], &te.1)),
        H,
        metrics,
        classes,
    )
    .unwrap()
}

fn check(kind: &str, min_dev: f64) {
    let p = problem(kind, 7);
    let prober = Prober::new(&p, Settings::default());
    let none = |_: u64| {};
    let pairs = prober.pairs(&none);
    assert_eq!(pairs.len(), H * (H - 1) / 2);
    let top = best(&pairs).unwrap();
    assert_eq!(top.dims, vec![3, 17], "{kind}: best pair {top:?}");
    assert!(
        top.dev[0] > min_dev && top.test[0] > min_dev,
        "{kind}: {top:?}"
    );
    // Clearly ahead of every pair without both dims.
    let runner_up = pairs
        .iter()
        .filter(|r| r.dims != [3, 17])
        .map(|r| r.dev[0])
        .fold(f64::MIN, f64::max);
    assert!(
        top.dev[0] > runner_up + 0.05,
        "{kind}: {} vs {runner_up}",
        top.dev[0]
    );

    let singles = prober.single(&none);
    let start = backward_start(&singles, &pairs, 3);
    assert_eq!(start.len(), 3);
    let back = prober.backward(&start, &none);
    assert_eq!(back.len(), 1 + 3 + 2, "{kind}: 3 dims, 3 pairs, 2 singles");
    let kept2 = best(
        &back
            .iter()
            .filter(|r| r.k == 2)
            .cloned()
            .collect::<Vec<_>>(),
    )
    .unwrap()
    .dims
    .clone();
    assert_eq!(kept2, vec![3, 17], "{kind}: elimination from {start:?}");
    // Starting from a set that holds them plus noise dims also keeps them.
    let back = prober.backward(&[0, 3, 17], &none);
    let kept2 = best(
        &back
            .iter()
            .filter(|r| r.k == 2)
            .cloned()
            .collect::<Vec<_>>(),
    )
    .unwrap()
    .dims
    .clone();
    assert_eq!(kept2, vec![3, 17]);

    let greedy = prober.greedy(3, &none);
    let mut first2 = greedy[1].dims.clone();
    first2.sort();
    assert_eq!(first2, vec![3, 17], "{kind}: greedy {greedy:?}");
    assert!(greedy.iter().all(|r| r.method == Method::Greedy));

    let full = prober.full();
    assert_eq!(full.k as usize, H);
    assert!(full.dev[0] > min_dev - 0.05, "{kind}: full {full:?}");
}

#[test]
fn planted_pair_binary() {
    check("binary", 0.85);
}

#[test]
fn planted_pair_three_classes() {
    check("three", 0.8);
}

#[test]
fn planted_pair_regression() {
    check("regression", 0.9);
}

/// The full-vector probe and a subset probe on every dim fit the same model (one binary model, or
/// one per class one-vs-rest): two solvers, one family, so the report compares like with like.
#[test]
fn full_probe_is_the_subsets_family() {
    for kind in ["binary", "three"] {
        let p = problem(kind, 11);
        let prober = Prober::new(&p, Settings::default());
        let fit = prober.full_logit().unwrap();
        let mut buf = Buffers::default();
        let all: Vec<usize> = (0..H).collect();
        let sub = prober.subset(Method::Full, &all, &mut buf);
        let models = buf.coefficients();
        assert_eq!(models.len(), fit.b.len(), "{kind}: models");
        for (k, m) in models.iter().enumerate() {
            let w = fit.w.column(k);
            let full = std::iter::once(fit.b[k]).chain(w.iter().copied());
            for (j, (a, b)) in m.iter().zip(full).enumerate() {
                assert!(
                    (a - b).abs() <= 1e-3 * b.abs().max(1.0),
                    "{kind}: model {k} coefficient {j}: subset {a} vs full {b}"
                );
            }
        }
        let full = prober.full();
        for (a, b) in full
            .dev
            .iter()
            .chain(&full.test)
            .zip(sub.dev.iter().chain(&sub.test))
        {
            assert!(
                (a - b).abs() <= 0.005,
                "{kind}: full {full:?} vs subset {sub:?}"
            );
        }
    }
}
