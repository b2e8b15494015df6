//! Paired bootstrap intervals over test items (and seeds): every claim's interval comes from here.
//!
//! A comparison has *arms* (a reference, a variant, the layers of a sweep): each arm is the
//! predictions of its seeds on the items every arm scored. One replicate draws the items with
//! replacement, once for all arms (the pairing), and, for each arm with several seeds, its seeds
//! with replacement; an arm's value is the mean metric of its drawn seeds on the drawn items. A
//! statistic of the arm values (a gap, a slope, a spread) is computed per replicate; the 95%
//! interval is its 2.5 and 97.5 percentiles (percentile bootstrap, Efron & Tibshirani 1993, ch. 13).

use fewdims_probe::Target;
use fewdims_probe::metrics::{Metric, Pred};
use fewdims_schema::run::PredictionRow;
use fewdims_schema::task::TaskKind;

/// Replicates per interval.
pub const RESAMPLES: usize = 2000;
/// The seed of the resampling stream: the same inputs give the same interval.
pub const STREAM_SEED: u64 = 0x5EED_B007;

/// One arm: per seed, its prediction on each shared item.
#[derive(Clone, Debug, PartialEq)]
pub enum Arm {
    Classes(Vec<Vec<u32>>),
    Scores(Vec<Vec<f32>>),
}

impl Arm {
    pub fn seeds(&self) -> usize {
        match self {
            Arm::Classes(s) => s.len(),
            Arm::Scores(s) => s.len(),
        }
    }
}

/// Arms aligned on the items they all scored (sorted by `idx`).
#[derive(Clone, Debug, PartialEq)]
pub struct Aligned {
    pub idx: Vec<u32>,
    pub target: Target,
    pub arms: Vec<Arm>,
}

/// Why arms could not be aligned.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum AlignError {
    #[error("an arm has no seed with predictions")]
    NoPredictions,
    #[error("no item is scored by every run")]
    NoSharedItems,
    #[error("item {idx} has label {a} in one run and {b} in another: not the same test split")]
    LabelMismatch { idx: u32, a: f32, b: f32 },
}

impl Aligned {
    /// Aligns arms given as per-seed prediction rows of one split.
    pub fn new(
        kind: TaskKind,
        classes: usize,
        arms: &[Vec<&[PredictionRow]>],
    ) -> Result<Self, AlignError> {
        if arms.iter().any(|a| a.is_empty()) {
            return Err(AlignError::NoPredictions);
        }
        let mut shared: Option<std::collections::BTreeMap<u32, f32>> = None;
        for rows in arms.iter().flatten() {
            let here: std::collections::BTreeMap<u32, f32> =
                rows.iter().map(|r| (r.idx, r.label)).collect();
            shared = Some(match shared {
                None => here,
                Some(s) => {
                    let mut kept = std::collections::BTreeMap::new();
                    for (idx, a) in s {
                        if let Some(&b) = here.get(&idx) {
                            if a != b {
                                return Err(AlignError::LabelMismatch { idx, a, b });
                            }
                            kept.insert(idx, a);
                        }
                    }
                    kept
                }
            });
        }
        let shared = shared.unwrap_or_default();
        if shared.is_empty() {
            return Err(AlignError::NoSharedItems);
        }
        let idx: Vec<u32> = shared.keys().copied().collect();
        let pick = |rows: &[PredictionRow]| -> Vec<f32> {
            let by: std::collections::HashMap<u32, f32> =
                rows.iter().map(|r| (r.idx, r.prediction)).collect();
            idx.iter().map(|i| by[i]).collect()
        };
        let arms = arms
            .iter()
            .map(|seeds| {
                let preds = seeds.iter().map(|rows| pick(rows));
                match kind {
                    TaskKind::Classification => Arm::Classes(
                        preds
                            .map(|p| p.iter().map(|&c| c as u32).collect())
                            .collect(),
                    ),
                    TaskKind::Regression => Arm::Scores(preds.collect()),
                }
            })
            .collect();
        let labels = shared.values().copied();
        let target = match kind {
            TaskKind::Classification => Target::Classes {
                y: labels.map(|c| c as u32).collect(),
                classes,
            },
            TaskKind::Regression => Target::Scores(labels.collect()),
        };
        Ok(Aligned { idx, target, arms })
    }

    /// Appends the constant arm that always predicts the most frequent class (ties: the lowest
    /// id); `None` for regression, whose constant prediction has no correlation.
    pub fn with_majority_arm(mut self) -> Option<(Self, usize)> {
        let Target::Classes { y, classes } = &self.target else {
            return None;
        };
        let mut counts = vec![0usize; (*classes).max(1)];
        for &c in y {
            if let Some(n) = counts.get_mut(c as usize) {
                *n += 1;
            }
        }
        let majority = (0..counts.len())
            .rev()
            .max_by_key(|&c| counts[c])
            .unwrap_or(0) as u32;
        self.arms.push(Arm::Classes(vec![vec![majority; y.len()]]));
        let at = self.arms.len() - 1;
        Some((self, at))
    }

    pub fn len(&self) -> usize {
        self.idx.len()
    }

    pub fn is_empty(&self) -> bool {
        self.idx.is_empty()
    }
}

/// A statistic with its 95% percentile interval, in the metric's units.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Interval {
    /// The statistic on all items and seeds.
    pub estimate: f64,
    pub lo: f64,
    pub hi: f64,
    /// Items resampled.
    pub items: usize,
}

/// splitmix64: a small, portable stream (the interval must not change across platforms).
struct Stream(u64);

impl Stream {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// The metric of one seed's predictions on the items `draw` (indices into the aligned items).
fn metric_on(metric: Metric, al: &Aligned, arm: &Arm, seed: usize, draw: &[usize]) -> f64 {
    match (arm, &al.target) {
        (Arm::Classes(s), Target::Classes { y, classes }) => {
            let p: Vec<u32> = draw.iter().map(|&i| s[seed][i]).collect();
            let y: Vec<u32> = draw.iter().map(|&i| y[i]).collect();
            let t = Target::Classes {
                y,
                classes: *classes,
            };
            metric.score(Pred::Classes(&p), &t)
        }
        (Arm::Scores(s), Target::Scores(y)) => {
            let p: Vec<f32> = draw.iter().map(|&i| s[seed][i]).collect();
            let t = Target::Scores(draw.iter().map(|&i| y[i]).collect());
            metric.score(Pred::Scores(&p), &t)
        }
        _ => f64::NAN,
    }
}

/// Each arm's value: the mean metric over `seeds[arm]` on the items `draw`.
fn arm_values(metric: Metric, al: &Aligned, draw: &[usize], seeds: &[Vec<usize>]) -> Vec<f64> {
    al.arms
        .iter()
        .zip(seeds)
        .map(|(arm, picked)| {
            let sum: f64 = picked
                .iter()
                .map(|&s| metric_on(metric, al, arm, s, draw))
                .sum();
            sum / picked.len() as f64
        })
        .collect()
}

/// The interval of `stat(arm values)`; `None` when the estimate is not finite or more than 1%
/// of the replicates are not (a metric undefined on many resamples).
pub fn interval(
    al: &Aligned,
    metric: Metric,
    resamples: usize,
    stat: impl Fn(&[f64]) -> f64,
) -> Option<Interval> {
    let n = al.len();
    let all: Vec<usize> = (0..n).collect();
    let every_seed: Vec<Vec<usize>> = al.arms.iter().map(|a| (0..a.seeds()).collect()).collect();
    let estimate = stat(&arm_values(metric, al, &all, &every_seed));
    if !estimate.is_finite() || n == 0 {
        return None;
    }
    let mut rng = Stream(STREAM_SEED ^ n as u64);
    let mut values = Vec::with_capacity(resamples);
    let mut draw = vec![0usize; n];
    for _ in 0..resamples {
        for d in draw.iter_mut() {
            *d = rng.below(n);
        }
        let seeds: Vec<Vec<usize>> = al
            .arms
            .iter()
            .map(|a| (0..a.seeds()).map(|_| rng.below(a.seeds())).collect())
            .collect();
        values.push(stat(&arm_values(metric, al, &draw, &seeds)));
    }
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if finite.len() * 100 < resamples * 99 {
        return None;
    }
    let mut v = finite;
    v.sort_by(f64::total_cmp);
    Some(Interval {
        estimate,
        lo: quantile(&v, 0.025),
        hi: quantile(&v, 0.975),
        items: n,
    })
}

/// The q-quantile of sorted values, linearly interpolated (numpy's default).
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let (i, frac) = (pos.floor() as usize, pos - pos.floor());
    match sorted.get(i + 1) {
        Some(next) => sorted[i] + frac * (next - sorted[i]),
        None => sorted[i],
    }
}

/// Least-squares slope of `ys` against `xs`.
pub fn slope(xs: &[f64], ys: &[f64]) -> f64 {
    let n = xs.len() as f64;
    let (mx, my) = (xs.iter().sum::<f64>() / n, ys.iter().sum::<f64>() / n);
    let sxy: f64 = xs.iter().zip(ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    let sxx: f64 = xs.iter().map(|x| (x - mx).powi(2)).sum();
    sxy / sxx
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(preds: &[f32], labels: &[f32]) -> Vec<PredictionRow> {
        preds
            .iter()
            .zip(labels)
            .enumerate()
            .map(|(i, (&p, &l))| PredictionRow {
                split: "test".into(),
                idx: i as u32,
                label: l,
                prediction: p,
                scores: vec![],
                token_pos: None,
                token_role: None,
            })
            .collect()
    }

    #[test]
    fn aligns_on_shared_items_and_refuses_other_labels() {
        let a = rows(&[1.0, 0.0, 1.0], &[1.0, 0.0, 0.0]);
        let mut b = rows(&[0.0, 0.0], &[1.0, 0.0]);
        b[1].idx = 2;
        b[1].label = 0.0;
        let al = Aligned::new(TaskKind::Classification, 2, &[vec![&a], vec![&b]]).unwrap();
        assert_eq!(al.idx, vec![0, 2]);
        assert_eq!(al.arms[0], Arm::Classes(vec![vec![1, 1]]));
        b[1].label = 1.0;
        let e = Aligned::new(TaskKind::Classification, 2, &[vec![&a], vec![&b]]).unwrap_err();
        assert!(matches!(e, AlignError::LabelMismatch { idx: 2, .. }), "{e}");
        let none: Vec<&[PredictionRow]> = vec![];
        assert_eq!(
            Aligned::new(TaskKind::Classification, 2, &[none]).unwrap_err(),
            AlignError::NoPredictions
        );
    }

    /// 1,000 items; the reference is wrong on 20% of them, the variant on the same items except
    /// `fixed` tenths of them (a paired design: accuracy 0.8 vs 0.8 + 0.02 · fixed).
    fn two_arms(fixed: usize) -> Aligned {
        let n = 1000;
        let labels: Vec<f32> = (0..n).map(|i| (i % 2) as f32).collect();
        let answer = |i: usize, wrong: bool| if wrong { 1.0 - labels[i] } else { labels[i] };
        let r: Vec<f32> = (0..n).map(|i| answer(i, i % 10 < 2)).collect();
        let v: Vec<f32> = (0..n)
            .map(|i| answer(i, i % 10 < 2 && (i / 10) % 10 >= fixed))
            .collect();
        let (ra, va) = (rows(&r, &labels), rows(&v, &labels));
        Aligned::new(TaskKind::Classification, 2, &[vec![&ra], vec![&va]]).unwrap()
    }

    #[test]
    fn identical_arms_give_a_zero_interval_and_a_real_gap_excludes_zero() {
        let same = two_arms(0);
        let iv = interval(&same, Metric::Accuracy, 500, |v| v[1] - v[0]).unwrap();
        assert_eq!((iv.estimate, iv.lo, iv.hi), (0.0, 0.0, 0.0));
        let better = two_arms(5);
        let iv = interval(&better, Metric::Accuracy, 500, |v| v[1] - v[0]).unwrap();
        assert!(
            (iv.estimate - 0.1).abs() < 1e-12 && iv.lo > 0.07 && iv.hi < 0.13,
            "{iv:?}"
        );
        assert!(iv.lo <= iv.estimate && iv.estimate <= iv.hi);
        // Deterministic: the same inputs give the same interval.
        assert_eq!(
            iv,
            interval(&better, Metric::Accuracy, 500, |v| v[1] - v[0]).unwrap()
        );
    }

    #[test]
    fn the_interval_covers_the_binomial_spread() {
        // One arm of accuracy 0.8 on 1,000 items: sd = sqrt(.8 * .2 / 1000) = 0.0126, so the
        // 95% interval is about ±0.025 around 0.8.
        let al = two_arms(0);
        let iv = interval(&al, Metric::Accuracy, 2000, |v| v[0]).unwrap();
        assert!((iv.estimate - 0.8).abs() < 1e-12);
        let half = (iv.hi - iv.lo) / 2.0;
        assert!((half - 0.0248).abs() < 0.004, "{iv:?}");
    }

    #[test]
    fn the_majority_arm_is_a_constant() {
        let labels = [0.0, 1.0, 1.0, 2.0];
        let r = rows(&[0.0, 1.0, 1.0, 2.0], &labels);
        let al = Aligned::new(TaskKind::Classification, 3, &[vec![&r]]).unwrap();
        let (al, at) = al.with_majority_arm().unwrap();
        assert_eq!(al.arms[at], Arm::Classes(vec![vec![1, 1, 1, 1]]));
        let iv = interval(&al, Metric::Accuracy, 200, |v| v[0] - v[at]).unwrap();
        assert!((iv.estimate - 0.5).abs() < 1e-12);
        let reg = Aligned::new(TaskKind::Regression, 0, &[vec![&r]]).unwrap();
        assert!(reg.with_majority_arm().is_none());
    }

    #[test]
    fn quantiles_and_slopes() {
        assert_eq!(quantile(&[0.0, 1.0, 2.0, 3.0], 0.5), 1.5);
        assert_eq!(quantile(&[5.0], 0.975), 5.0);
        assert!((slope(&[1.0, 2.0, 3.0], &[2.0, 4.0, 6.0]) - 2.0).abs() < 1e-12);
    }
}
