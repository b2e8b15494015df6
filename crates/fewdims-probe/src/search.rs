//! The probe modes on one problem (one layer of one readout): full vector, single dims, all
//! pairs, greedy forward selection and backward elimination. Fit on train, select on dev (the
//! first metric), report every metric on dev and test. With three or more classes every mode,
//! the full vector too, is one-vs-rest (a binary model per class, argmax of decision values).
//!
//! Subsets share one precomputation: the train Gram matrix X'X and X'y (per class). Ridge on a
//! subset is then a k x k solve; logistic Newton starts from the intercept-only model's first
//! Newton step, which the Gram statistics also give, and needs a few passes over the rows.
//! Subsets run in parallel with rayon.

use std::sync::OnceLock;

use fewdims_schema::probe::Method;
use rayon::prelude::*;

use crate::data::{Problem, Split, Target};
use crate::lbfgs::{FullLogit, LbfgsOpts};
use crate::logistic::{NewtonOpts, Scratch, decision, gram_start, newton_binary, predict_binary};
use crate::metrics::Pred;
use crate::ridge::from_gram;

mod predict;
pub use predict::{Predicted, target_values};

/// Probe settings.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Inverse L2 strength of logistic probes (scikit-learn's C).
    pub c: f64,
    /// L2 strength of ridge probes (scikit-learn's alpha).
    pub alpha: f64,
    /// Newton stopping tolerance (largest coefficient change, standardized units).
    pub tol: f64,
    pub max_iter: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            c: 1.0,
            alpha: 1.0,
            tol: 1e-4,
            max_iter: 50,
        }
    }
}

/// One probe's scores: `dev[m]`, `test[m]` for each metric of the problem.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeResult {
    pub method: Method,
    /// The dims read (empty for `full`).
    pub dims: Vec<u16>,
    /// Number of dims read.
    pub k: u16,
    pub dev: Vec<f64>,
    pub test: Vec<f64>,
}

/// Progress callback: called with the number of probes just finished.
pub type Progress<'a> = &'a (dyn Fn(u64) + Sync);

/// Gram statistics of the train split.
#[derive(Debug)]
struct Stats {
    h: usize,
    gram: Vec<f64>,
    /// Per model (one binary model, one per class for one-vs-rest, one ridge): X'(y - mean y).
    xty: Vec<Vec<f64>>,
    ybar: Vec<f64>,
    /// 0/1 targets per model (classification).
    y01: Vec<Vec<f32>>,
}

/// Per-thread buffers.
#[derive(Debug, Default)]
pub struct Buffers {
    newton: Scratch,
    gram: Vec<f64>,
    xty: Vec<f64>,
    betas: Vec<Vec<f64>>,
    z: Vec<Vec<f32>>,
    classes: Vec<u32>,
}

impl Buffers {
    /// The last `subset` fit's models (binary, one per class, or ridge), intercept first.
    pub fn coefficients(&self) -> &[Vec<f64>] {
        &self.betas
    }
}

/// Runs probes on one problem.
#[derive(Debug)]
pub struct Prober<'a> {
    p: &'a Problem,
    s: Settings,
    stats: OnceLock<Stats>,
}

/// Whether dev score `a` beats `b` on the selection metric (NaN loses).
fn better(a: &ProbeResult, b: &ProbeResult) -> bool {
    let (x, y) = (a.dev[0], b.dev[0]);
    x > y || (y.is_nan() && !x.is_nan())
}

/// The best of `rs` by dev selection metric (the first on ties).
pub fn best(rs: &[ProbeResult]) -> Option<&ProbeResult> {
    rs.iter()
        .fold(None, |acc: Option<&ProbeResult>, r| match acc {
            Some(a) if !better(r, a) => Some(a),
            _ => Some(r),
        })
}

impl<'a> Prober<'a> {
    pub fn new(p: &'a Problem, s: Settings) -> Self {
        Self {
            p,
            s,
            stats: OnceLock::new(),
        }
    }

    pub fn problem(&self) -> &Problem {
        self.p
    }

    fn stats(&self) -> &Stats {
        self.stats.get_or_init(|| {
            let x = self.p.train.x.to_array();
            let h = x.ncols();
            let gram = x.t().dot(&x).into_raw_vec_and_offset().0;
            let targets: Vec<Vec<f32>> = match &self.p.train.target {
                Target::Scores(y) => vec![y.clone()],
                Target::Classes { y, classes } => {
                    let models = if *classes <= 2 {
                        vec![1]
                    } else {
                        (0..*classes as u32).collect()
                    };
                    models
                        .iter()
                        .map(|&c| y.iter().map(|&v| (v == c) as u8 as f32).collect())
                        .collect()
                }
            };
            let ybar: Vec<f64> = targets
                .iter()
                .map(|t| t.iter().map(|&v| v as f64).sum::<f64>() / t.len() as f64)
                .collect();
            let xty = targets
                .iter()
                .zip(&ybar)
                .map(|(t, &m)| {
                    let yc = ndarray::Array1::from_iter(t.iter().map(|&v| v as f64 - m));
                    x.t().dot(&yc).to_vec()
                })
                .collect();
            let y01 = if matches!(self.p.train.target, Target::Classes { .. }) {
                targets
            } else {
                vec![]
            };
            Stats {
                h,
                gram,
                xty,
                ybar,
                y01,
            }
        })
    }

    /// Scores of predictions on a split, per metric.
    fn score(&self, pred: Pred, split: &Split) -> Vec<f64> {
        self.p
            .metrics
            .iter()
            .map(|m| m.score(pred, &split.target))
            .collect()
    }

    /// Predicts `split` from the fitted subset models in `buf`.
    fn predict<'b>(&self, dims: &[usize], split: &Split, buf: &'b mut Buffers) -> Pred<'b> {
        let cols: Vec<&[f32]> = dims.iter().map(|&d| split.x.col(d)).collect();
        let models = buf.betas.len();
        buf.z.resize_with(models, Vec::new);
        match split.target {
            Target::Classes { .. } if models == 1 => {
                predict_binary(&cols, &buf.betas[0], &mut buf.z[0], &mut buf.classes);
                Pred::Classes(&buf.classes)
            }
            Target::Classes { .. } => {
                for m in 0..models {
                    decision(&cols, &buf.betas[m], &mut buf.z[m]);
                }
                let z = &buf.z;
                buf.classes.clear();
                buf.classes.extend((0..split.x.n).map(|i| {
                    (1..models).fold(0, |b, m| if z[m][i] > z[b][i] { m } else { b }) as u32
                }));
                Pred::Classes(&buf.classes)
            }
            Target::Scores(_) => {
                decision(&cols, &buf.betas[0], &mut buf.z[0]);
                Pred::Scores(&buf.z[0])
            }
        }
    }

    /// Predicts `split` from the fitted subset models in `buf` and scores it.
    fn eval(&self, dims: &[usize], split: Option<&Split>, buf: &mut Buffers) -> Vec<f64> {
        let Some(split) = split else {
            return vec![f64::NAN; self.p.metrics.len()];
        };
        let pred = self.predict(dims, split, buf);
        self.score(pred, split)
    }

    /// Fits a probe on `dims` of train and scores it on dev and test.
    pub fn subset(&self, method: Method, dims: &[usize], buf: &mut Buffers) -> ProbeResult {
        let st = self.stats();
        let k = dims.len();
        buf.gram.clear();
        for &i in dims {
            buf.gram.extend(dims.iter().map(|&j| st.gram[i * st.h + j]));
        }
        let models = st.xty.len();
        buf.betas.resize_with(models, Vec::new);
        for m in 0..models {
            buf.xty.clear();
            buf.xty.extend(dims.iter().map(|&i| st.xty[m][i]));
            let beta = &mut buf.betas[m];
            beta.resize(k + 1, 0.0);
            if st.y01.is_empty() {
                beta[0] = st.ybar[m];
                beta[1..].copy_from_slice(&from_gram(&buf.gram, &buf.xty, self.s.alpha));
            } else if st.ybar[m] <= 0.0 || st.ybar[m] >= 1.0 {
                // A class absent from train (or alone in it): a constant model, nothing to fit.
                beta.fill(0.0);
                beta[0] = if st.ybar[m] <= 0.0 { -30.0 } else { 30.0 };
            } else {
                let opts = NewtonOpts {
                    lambda: 1.0 / self.s.c,
                    tol: self.s.tol,
                    max_iter: self.s.max_iter,
                };
                gram_start(&buf.gram, &buf.xty, st.ybar[m], opts.lambda, beta);
                let cols: Vec<&[f32]> = dims.iter().map(|&d| self.p.train.x.col(d)).collect();
                newton_binary(&cols, &st.y01[m], &opts, beta, &mut buf.newton);
            }
        }
        let dev = self.eval(dims, Some(&self.p.dev), buf);
        let test = self.eval(dims, self.p.test.as_ref(), buf);
        ProbeResult {
            method,
            dims: dims.iter().map(|&d| d as u16).collect(),
            k: k as u16,
            dev,
            test,
        }
    }

    /// Runs `subset` on every dim set of `sets` in parallel.
    pub fn many(
        &self,
        method: Method,
        sets: &[Vec<usize>],
        progress: Progress,
    ) -> Vec<ProbeResult> {
        self.stats();
        sets.par_iter()
            .with_min_len(64)
            .map_init(Buffers::default, |buf, dims| {
                let r = self.subset(method, dims, buf);
                progress(1);
                r
            })
            .collect()
    }

    /// The full-vector logistic fit on train, in the subsets' family: one model when binary, one
    /// per class one-vs-rest for three or more. None for a regression task.
    pub fn full_logit(&self) -> Option<FullLogit> {
        let Target::Classes { y, classes } = &self.p.train.target else {
            return None;
        };
        let opts = LbfgsOpts {
            lambda: 1.0 / self.s.c,
            ..LbfgsOpts::default()
        };
        let x = self.p.train.x.to_array();
        Some(FullLogit::fit(x.view(), y, *classes, &opts))
    }

    /// The full-vector probe (logistic as `full_logit`, or ridge, on all dims).
    pub fn full(&self) -> ProbeResult {
        self.full_predicted().0
    }

    /// One probe per dim.
    pub fn single(&self, progress: Progress) -> Vec<ProbeResult> {
        let sets: Vec<Vec<usize>> = (0..self.p.h()).map(|d| vec![d]).collect();
        self.many(Method::Single, &sets, progress)
    }

    /// Every pair of dims, (0,1), (0,2), ..., (h-2,h-1).
    pub fn pairs(&self, progress: Progress) -> Vec<ProbeResult> {
        let h = self.p.h();
        let sets: Vec<Vec<usize>> = (0..h)
            .flat_map(|i| (i + 1..h).map(move |j| vec![i, j]))
            .collect();
        self.many(Method::Pair, &sets, progress)
    }

    /// Greedy forward selection up to `k` dims: at each step, add the dim whose probe scores best
    /// on dev. Rows list dims in the order they were added.
    pub fn greedy(&self, k: usize, progress: Progress) -> Vec<ProbeResult> {
        let mut chosen: Vec<usize> = vec![];
        let mut path = vec![];
        for _ in 0..k.min(self.p.h()) {
            let sets: Vec<Vec<usize>> = (0..self.p.h())
                .filter(|d| !chosen.contains(d))
                .map(|d| chosen.iter().copied().chain([d]).collect())
                .collect();
            let rs = self.many(Method::Greedy, &sets, progress);
            let b = best(&rs).expect("a candidate").clone();
            chosen.push(*b.dims.last().expect("a dim") as usize);
            path.push(b);
        }
        path
    }

    /// Backward elimination from `start`: score the set, then repeatedly try every set with one
    /// dim dropped and keep the best, down to one dim. Returns every set tried (dims sorted).
    pub fn backward(&self, start: &[usize], progress: Progress) -> Vec<ProbeResult> {
        let mut cur: Vec<usize> = start.to_vec();
        cur.sort_unstable();
        cur.dedup();
        let mut out = self.many(Method::Backward, std::slice::from_ref(&cur), progress);
        while cur.len() > 1 {
            let sets: Vec<Vec<usize>> = (0..cur.len())
                .map(|i| {
                    cur.iter()
                        .enumerate()
                        .filter(|&(j, _)| j != i)
                        .map(|(_, &d)| d)
                        .collect()
                })
                .collect();
            let rs = self.many(Method::Backward, &sets, progress);
            cur = best(&rs)
                .expect("a candidate")
                .dims
                .iter()
                .map(|&d| d as usize)
                .collect();
            out.extend(rs);
        }
        out
    }
}

/// The paper's start set for elimination: the best pair's dims (if pairs ran), then the best
/// single dims not yet in, up to `size` dims.
pub fn backward_start(singles: &[ProbeResult], pairs: &[ProbeResult], size: usize) -> Vec<usize> {
    let mut start: Vec<usize> = best(pairs)
        .map(|r| r.dims.iter().map(|&d| d as usize).collect())
        .unwrap_or_default();
    let mut order: Vec<&ProbeResult> = singles.iter().collect();
    order.sort_by(|a, b| {
        b.dev[0]
            .partial_cmp(&a.dev[0])
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    for r in order {
        if start.len() >= size {
            break;
        }
        let d = r.dims[0] as usize;
        if !start.contains(&d) {
            start.push(d);
        }
    }
    start.truncate(size.max(1));
    start
}
