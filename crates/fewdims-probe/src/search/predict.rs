//! Per-item predictions of a probe on dev and test, for the few probes whose items the report
//! resamples (the full vector, the best single dim, the best pair): the full vector's come with
//! its fit, a selected subset is refitted once (cheap) rather than keeping every subset's output.

use fewdims_schema::probe::Method;
use ndarray::Array2;

use super::{Buffers, ProbeResult, Prober};
use crate::data::{Split, Target};
use crate::lbfgs::FullLogit;
use crate::metrics::Pred;
use crate::ridge::FullRidge;

/// A probe's output on the problem's dev and test rows (the labelled items, in file order):
/// the predicted class id, or the regression output.
#[derive(Debug, Clone, PartialEq)]
pub struct Predicted {
    pub dev: Vec<f32>,
    /// None when the problem has no (labelled) test split.
    pub test: Option<Vec<f32>>,
}

/// A split's targets as f32: class ids, or the regression targets.
pub fn target_values(t: &Target) -> Vec<f32> {
    match t {
        Target::Classes { y, .. } => y.iter().map(|&c| c as f32).collect(),
        Target::Scores(y) => y.clone(),
    }
}

/// A full-vector fit: logistic (one-vs-rest for 3+ classes) or ridge.
enum Fit {
    Logit(FullLogit),
    Ridge(FullRidge),
}

fn values(p: Pred) -> Vec<f32> {
    match p {
        Pred::Classes(c) => c.iter().map(|&c| c as f32).collect(),
        Pred::Scores(s) => s.to_vec(),
    }
}

impl Prober<'_> {
    /// The full-vector probe (logistic as `full_logit`, or ridge, on all dims) with its
    /// predictions, which its scores are computed from.
    pub fn full_predicted(&self) -> (ProbeResult, Predicted) {
        let arr = |s: &Split| -> Array2<f64> { s.x.to_array() };
        let fit = match &self.p.train.target {
            Target::Classes { .. } => Fit::Logit(self.full_logit().expect("a classification task")),
            Target::Scores(y) => {
                Fit::Ridge(FullRidge::fit(arr(&self.p.train).view(), y, self.s.alpha))
            }
        };
        let predict = |s: &Split| match &fit {
            Fit::Logit(f) => values(Pred::Classes(&f.predict(arr(s).view()))),
            Fit::Ridge(f) => f.predict(arr(s).view()),
        };
        let pred = Predicted {
            dev: predict(&self.p.dev),
            test: self.p.test.as_ref().map(predict),
        };
        let result = ProbeResult {
            method: Method::Full,
            dims: vec![],
            k: self.p.h() as u16,
            dev: self.score_values(&pred.dev, &self.p.dev),
            test: match (&pred.test, &self.p.test) {
                (Some(p), Some(s)) => self.score_values(p, s),
                _ => vec![f64::NAN; self.p.metrics.len()],
            },
        };
        (result, pred)
    }

    /// Fits the probe on `dims` again (a selected one) and returns it with its predictions.
    pub fn subset_predicted(&self, method: Method, dims: &[usize]) -> (ProbeResult, Predicted) {
        let mut buf = Buffers::default();
        let result = self.subset(method, dims, &mut buf);
        let mut on = |s: &Split| values(self.predict(dims, s, &mut buf));
        let dev = on(&self.p.dev);
        let test = self.p.test.as_ref().map(on);
        (result, Predicted { dev, test })
    }

    /// Scores f32 predictions (class ids or outputs) of `split`, per metric.
    fn score_values(&self, pred: &[f32], split: &Split) -> Vec<f64> {
        match split.target {
            Target::Classes { .. } => {
                let c: Vec<u32> = pred.iter().map(|&v| v as u32).collect();
                self.score(Pred::Classes(&c), split)
            }
            Target::Scores(_) => self.score(Pred::Scores(pred), split),
        }
    }
}
