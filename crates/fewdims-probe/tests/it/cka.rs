//! CKA(X, X) = 1, CKA(X, XQ) = 1 for orthogonal Q, CKA against independent noise is near 0.

use crate::common;

use common::Rng;
use fewdims_probe::cka::{linear_cka, mean_cosine};

/// A random orthogonal h x h matrix (Gram-Schmidt of Gaussian columns), row-major.
fn orthogonal(rng: &mut Rng, h: usize) -> Vec<f64> {
    let mut q: Vec<Vec<f64>> = vec![];
    while q.len() < h {
        let mut v: Vec<f64> = (0..h).map(|_| rng.normal()).collect();
        for u in &q {
            let d: f64 = v.iter().zip(u).map(|(a, b)| a * b).sum();
            v.iter_mut().zip(u).for_each(|(a, b)| *a -= d * b);
        }
        let norm = v.iter().map(|a| a * a).sum::<f64>().sqrt();
        if norm > 1e-6 {
            q.push(v.into_iter().map(|a| a / norm).collect());
        }
    }
    (0..h * h).map(|k| q[k % h][k / h]).collect()
}

fn matmul(x: &[f32], q: &[f64], n: usize, h: usize) -> Vec<f32> {
    let mut out = vec![0f32; n * h];
    for i in 0..n {
        for j in 0..h {
            out[i * h + j] = (0..h)
                .map(|k| x[i * h + k] as f64 * q[k * h + j])
                .sum::<f64>() as f32;
        }
    }
    out
}

#[test]
fn cka_identities() {
    let mut rng = Rng::new(3);
    let (n, h) = (3000, 16);
    // Anisotropic features with a mean offset.
    let x: Vec<f32> = (0..n * h)
        .map(|i| (rng.normal() * (1.0 + (i % h) as f64) + 2.0) as f32)
        .collect();
    let same = linear_cka(&x, &x, n, h, h);
    assert!((same - 1.0).abs() < 1e-9, "{same}");
    let q = orthogonal(&mut rng, h);
    let rotated = linear_cka(&x, &matmul(&x, &q, n, h), n, h, h);
    assert!((rotated - 1.0).abs() < 1e-5, "{rotated}");
    let scaled: Vec<f32> = x.iter().map(|v| v * 3.5 - 1.0).collect();
    assert!((linear_cka(&x, &scaled, n, h, h) - 1.0).abs() < 1e-6);
    let noise = rng.normals(n * 24);
    let indep = linear_cka(&x, &noise, n, h, 24);
    assert!(indep < 0.03, "{indep}");
    assert!((mean_cosine(&x, &x, n, h) - 1.0).abs() < 1e-9);
    // Fewer items than dims takes the kernel path; same value for X vs X.
    let small = linear_cka(&x[..8 * h], &x[..8 * h], 8, h, h);
    assert!((small - 1.0).abs() < 1e-9);
    // The kernel path (n < h) agrees with the feature-space formula computed here.
    let y: Vec<f32> = matmul(&x, &q, n, h)
        .iter()
        .zip(&noise)
        .map(|(a, b)| a + 5.0 * b)
        .collect();
    let m = 10;
    let center = |v: &[f32]| -> Vec<f64> {
        let mut c: Vec<f64> = v[..m * h].iter().map(|&a| a as f64).collect();
        for j in 0..h {
            let mean = (0..m).map(|i| c[i * h + j]).sum::<f64>() / m as f64;
            (0..m).for_each(|i| c[i * h + j] -= mean);
        }
        c
    };
    let (xc, yc) = (center(&x), center(&y));
    let cross = |a: &[f64], b: &[f64]| -> f64 {
        let mut s = 0.0;
        for j in 0..h {
            for k in 0..h {
                let v: f64 = (0..m).map(|i| a[i * h + j] * b[i * h + k]).sum();
                s += v * v;
            }
        }
        s
    };
    let want = cross(&yc, &xc) / (cross(&xc, &xc).sqrt() * cross(&yc, &yc).sqrt());
    let got = linear_cka(&x[..m * h], &y[..m * h], m, h, h);
    assert!((got - want).abs() < 1e-6, "{got} vs {want}");
}
