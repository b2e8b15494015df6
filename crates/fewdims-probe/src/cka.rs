//! Representation change between two sets of vectors of the same items: linear CKA (Kornblith
//! et al. 2019) and the mean per-item cosine.
//!
//! CKA(X, Y) = |Yc' Xc|_F^2 / (|Xc' Xc|_F |Yc' Yc|_F) with column-centered Xc, Yc; invariant to
//! orthogonal transforms and isotropic scaling, 1 for X against itself.

use ndarray::{Array2, ArrayView2, Axis};

fn centered(x: &[f32], n: usize, h: usize) -> Array2<f64> {
    let mut a = Array2::from_shape_fn((n, h), |(i, j)| x[i * h + j] as f64);
    let mean = a.mean_axis(Axis(0)).expect("n > 0");
    a -= &mean;
    a
}

fn fro2(a: ArrayView2<f64>) -> f64 {
    a.iter().map(|v| v * v).sum()
}

/// Linear CKA of row-major `x` `[n, hx]` and `y` `[n, hy]`; NaN if either is constant.
pub fn linear_cka(x: &[f32], y: &[f32], n: usize, hx: usize, hy: usize) -> f64 {
    assert_eq!(x.len(), n * hx, "x holds n x hx values");
    assert_eq!(y.len(), n * hy, "y holds n x hy values");
    if n == 0 {
        return f64::NAN;
    }
    let (xc, yc) = (centered(x, n, hx), centered(y, n, hy));
    // With fewer items than dims, the n x n kernels are cheaper; the value is the same.
    let (kxy, kxx, kyy) = if n < hx.max(hy) {
        let (kx, ky) = (xc.dot(&xc.t()), yc.dot(&yc.t()));
        let dot: f64 = kx.iter().zip(ky.iter()).map(|(a, b)| a * b).sum();
        (dot, fro2(kx.view()), fro2(ky.view()))
    } else {
        (
            fro2(yc.t().dot(&xc).view()),
            fro2(xc.t().dot(&xc).view()),
            fro2(yc.t().dot(&yc).view()),
        )
    };
    kxy / (kxx.sqrt() * kyy.sqrt())
}

/// Mean over items of cos(x_i, y_i) for row-major `[n, h]` inputs (zero vectors count as 0).
pub fn mean_cosine(x: &[f32], y: &[f32], n: usize, h: usize) -> f64 {
    if n == 0 || x.len() != n * h || y.len() != n * h {
        return f64::NAN;
    }
    let total: f64 = x
        .chunks_exact(h)
        .zip(y.chunks_exact(h))
        .map(|(a, b)| {
            let (mut ab, mut aa, mut bb) = (0f64, 0f64, 0f64);
            for (&u, &v) in a.iter().zip(b) {
                ab += u as f64 * v as f64;
                aa += u as f64 * u as f64;
                bb += v as f64 * v as f64;
            }
            if aa == 0.0 || bb == 0.0 {
                0.0
            } else {
                ab / (aa * bb).sqrt()
            }
        })
        .sum();
    total / n as f64
}
