//! Least-squares probes for regression: ridge (alpha/2 |w|^2, intercept unpenalized, as
//! scikit-learn's Ridge) on standardized (train-centered) features, so the intercept is mean(y)
//! and the weights solve (X'X + alpha I) w = X'(y - mean y).

use ndarray::{Array1, ArrayView2};

use crate::linalg::solve_spd;

/// Weights of a ridge fit from Gram statistics: `gram` k x k (X'X of the chosen dims), `xty` k.
pub fn from_gram(gram: &[f64], xty: &[f64], alpha: f64) -> Vec<f64> {
    let k = xty.len();
    let mut a = gram.to_vec();
    for i in 0..k {
        a[i * k + i] += alpha.max(1e-9);
    }
    let mut b = xty.to_vec();
    if solve_spd(&mut a, &mut b, k) {
        b
    } else {
        vec![0.0; k]
    }
}

/// A full-vector ridge fit: prediction = x . w + b.
#[derive(Debug, Clone)]
pub struct FullRidge {
    pub w: Array1<f64>,
    pub b: f64,
}

impl FullRidge {
    /// Fits on row-major, train-centered features `x` `[n, h]`.
    pub fn fit(x: ArrayView2<f64>, y: &[f32], alpha: f64) -> Self {
        let mean = y.iter().map(|&v| v as f64).sum::<f64>() / y.len().max(1) as f64;
        let yc = Array1::from_iter(y.iter().map(|&v| v as f64 - mean));
        let gram = x.t().dot(&x);
        let xty = x.t().dot(&yc);
        let w = from_gram(
            gram.as_slice().expect("contiguous"),
            xty.as_slice().expect("contiguous"),
            alpha,
        );
        Self {
            w: Array1::from_vec(w),
            b: mean,
        }
    }

    pub fn predict(&self, x: ArrayView2<f64>) -> Vec<f32> {
        (x.dot(&self.w) + self.b)
            .iter()
            .map(|&v| v as f32)
            .collect()
    }
}
