//! Binary L2 logistic regression on a few columns by Newton's method, batched over samples:
//! each iteration is one blocked pass computing p = sigmoid(X b), the gradient X'(p - y) and the
//! Hessian X' diag(p(1-p)) X with vectorized f32 kernels, then a (k+1)x(k+1) Cholesky solve in
//! f64. Objective: sum of log losses + lambda/2 |w|^2, intercept unpenalized (as scikit-learn,
//! lambda = 1/C).

use crate::fastmath::{dot, sigmoid, sum};
use crate::linalg::solve_spd;

const BLOCK: usize = 512;

/// Solver settings.
#[derive(Debug, Clone, Copy)]
pub struct NewtonOpts {
    /// L2 strength on the weights (1/C).
    pub lambda: f64,
    /// Stop when the largest coefficient change, or its square (the error left after a
    /// Newton step), is below this (features are standardized).
    pub tol: f64,
    pub max_iter: usize,
}

impl Default for NewtonOpts {
    fn default() -> Self {
        Self {
            lambda: 1.0,
            tol: 1e-4,
            max_iter: 50,
        }
    }
}

/// Reusable buffers (one per thread).
#[derive(Debug, Default)]
pub struct Scratch {
    z: Vec<f32>,
    s: Vec<f32>,
    r: Vec<f32>,
    t: Vec<f32>,
    h: Vec<f64>,
    g: Vec<f64>,
    /// Decision values of evaluations.
    pub out: Vec<f32>,
}

/// The intercept-only fit's Newton step, from Gram statistics of centered columns: with
/// p = mean(y), w = (p(1-p) G + lambda I)^-1 X'(y - p), intercept logit(p). Free for any subset
/// once the Gram matrix is known; a close start for Newton. `gram` is k x k, `xty` = X'(y - p).
pub fn gram_start(gram: &[f64], xty: &[f64], p: f64, lambda: f64, beta: &mut [f64]) {
    let k = xty.len();
    let p = p.clamp(1e-6, 1.0 - 1e-6);
    let w = p * (1.0 - p);
    let mut a: Vec<f64> = gram.iter().map(|g| g * w).collect();
    for i in 0..k {
        a[i * k + i] += lambda.max(1e-9 * w);
    }
    let mut b = xty.to_vec();
    beta[0] = (p / (1.0 - p)).ln();
    if solve_spd(&mut a, &mut b, k) {
        beta[1..=k].copy_from_slice(&b);
    } else {
        beta[1..=k].fill(0.0);
    }
}

/// z = b0 + sum_j b_j col_j over rows `a..b`.
#[inline]
fn linear(cols: &[&[f32]], beta: &[f64], a: usize, b: usize, z: &mut [f32]) {
    z.fill(beta[0] as f32);
    for (j, c) in cols.iter().enumerate() {
        let w = beta[j + 1] as f32;
        for (zi, &x) in z.iter_mut().zip(&c[a..b]) {
            *zi += w * x;
        }
    }
}

/// One dim, fused: [sum r, sum r x, sum s, sum s x, sum s x^2]. Separate 4-lane accumulators
/// (not a 2-D array) so LLVM keeps them in vector registers.
#[inline]
fn acc1(x: &[f32], s: &[f32], r: &[f32]) -> [f32; 5] {
    let (mut r0, mut rx, mut s0, mut sx, mut sxx) =
        ([0f32; 4], [0f32; 4], [0f32; 4], [0f32; 4], [0f32; 4]);
    let (xc, xt) = x.as_chunks::<4>();
    let (sc, st) = s.as_chunks::<4>();
    let (rc, rt) = r.as_chunks::<4>();
    for ((x, s), r) in xc.iter().zip(sc).zip(rc) {
        for l in 0..4 {
            let v = s[l] * x[l];
            r0[l] += r[l];
            rx[l] += r[l] * x[l];
            s0[l] += s[l];
            sx[l] += v;
            sxx[l] += v * x[l];
        }
    }
    let mut out = [r0, rx, s0, sx, sxx].map(|a| a.iter().sum::<f32>());
    for ((&x, &s), &r) in xt.iter().zip(st).zip(rt) {
        let add = [r, r * x, s, s * x, s * x * x];
        out.iter_mut().zip(add).for_each(|(o, v)| *o += v);
    }
    out
}

/// Two dims, fused: [sum r, r a, r b, s, s a, s b, s a a, s a b, s b b].
#[inline]
fn acc2(a: &[f32], b: &[f32], s: &[f32], r: &[f32]) -> [f32; 9] {
    let z = [0f32; 4];
    let (mut r0, mut ra, mut rb, mut s0, mut sa, mut sb, mut saa, mut sab, mut sbb) =
        (z, z, z, z, z, z, z, z, z);
    let (ac, at) = a.as_chunks::<4>();
    let (bc, bt) = b.as_chunks::<4>();
    let (sc, st) = s.as_chunks::<4>();
    let (rc, rt) = r.as_chunks::<4>();
    for (((a, b), s), r) in ac.iter().zip(bc).zip(sc).zip(rc) {
        for l in 0..4 {
            let (va, vb) = (s[l] * a[l], s[l] * b[l]);
            r0[l] += r[l];
            ra[l] += r[l] * a[l];
            rb[l] += r[l] * b[l];
            s0[l] += s[l];
            sa[l] += va;
            sb[l] += vb;
            saa[l] += va * a[l];
            sab[l] += va * b[l];
            sbb[l] += vb * b[l];
        }
    }
    let mut out = [r0, ra, rb, s0, sa, sb, saa, sab, sbb].map(|v| v.iter().sum::<f32>());
    for (((&a, &b), &s), &r) in at.iter().zip(bt).zip(st).zip(rt) {
        let add = [
            r,
            r * a,
            r * b,
            s,
            s * a,
            s * b,
            s * a * a,
            s * a * b,
            s * b * b,
        ];
        out.iter_mut().zip(add).for_each(|(o, v)| *o += v);
    }
    out
}

/// Fits `beta` (intercept first; holds the start on entry) to labels `y` in {0, 1}.
/// Returns the number of Newton steps taken.
pub fn newton_binary(
    cols: &[&[f32]],
    y: &[f32],
    opts: &NewtonOpts,
    beta: &mut [f64],
    sc: &mut Scratch,
) -> usize {
    let k = cols.len();
    let d = k + 1;
    let n = y.len();
    for buf in [&mut sc.z, &mut sc.s, &mut sc.r, &mut sc.t] {
        buf.resize(BLOCK, 0.0);
    }
    sc.h.resize(d * d, 0.0);
    sc.g.resize(d, 0.0);
    for it in 0..opts.max_iter {
        sc.h.fill(0.0);
        sc.g.fill(0.0);
        let mut a = 0;
        while a < n {
            let b = (a + BLOCK).min(n);
            let m = b - a;
            let (z, s, r, t) = (
                &mut sc.z[..m],
                &mut sc.s[..m],
                &mut sc.r[..m],
                &mut sc.t[..m],
            );
            linear(cols, beta, a, b, z);
            for ((&zi, si), (ri, &yi)) in z.iter().zip(s.iter_mut()).zip(r.iter_mut().zip(&y[a..b]))
            {
                let p = sigmoid(zi);
                *si = p * (1.0 - p);
                *ri = p - yi;
            }
            match k {
                1 => {
                    let v = acc1(&cols[0][a..b], s, r);
                    let (g, h) = (&mut sc.g, &mut sc.h);
                    g[0] += v[0] as f64;
                    g[1] += v[1] as f64;
                    h[0] += v[2] as f64;
                    h[1] += v[3] as f64;
                    h[3] += v[4] as f64;
                }
                2 => {
                    let v = acc2(&cols[0][a..b], &cols[1][a..b], s, r);
                    let (g, h) = (&mut sc.g, &mut sc.h);
                    for j in 0..3 {
                        g[j] += v[j] as f64;
                    }
                    for (idx, val) in [0, 1, 2, 4, 5, 8].into_iter().zip(&v[3..]) {
                        h[idx] += *val as f64;
                    }
                }
                _ => {
                    sc.g[0] += sum(r) as f64;
                    sc.h[0] += sum(s) as f64;
                    for j in 0..k {
                        let xj = &cols[j][a..b];
                        sc.g[j + 1] += dot(r, xj) as f64;
                        for ((ti, &si), &xi) in t.iter_mut().zip(s.iter()).zip(xj) {
                            *ti = si * xi;
                        }
                        sc.h[j + 1] += sum(t) as f64;
                        for (l, xl) in cols.iter().enumerate().skip(j) {
                            sc.h[(j + 1) * d + l + 1] += dot(t, &xl[a..b]) as f64;
                        }
                    }
                }
            }
            a = b;
        }
        // Symmetrize, add the penalty, solve H step = -(g + lambda w).
        for i in 0..d {
            for j in 0..i {
                sc.h[i * d + j] = sc.h[j * d + i];
            }
        }
        for (j, &bj) in beta.iter().enumerate().skip(1) {
            sc.h[j * d + j] += opts.lambda;
            sc.g[j] += opts.lambda * bj;
        }
        sc.h[0] += 1e-9;
        if !solve_spd(&mut sc.h, &mut sc.g, d) {
            return it;
        }
        // Damp very long steps (near-separable data): at most 4 per coefficient.
        let big = sc.g.iter().fold(0f64, |m, v| m.max(v.abs()));
        let scale = if big > 4.0 { 4.0 / big } else { 1.0 };
        beta.iter_mut()
            .zip(&sc.g)
            .for_each(|(bj, gj)| *bj -= scale * gj);
        // Newton converges quadratically: after a step d the error is about d^2, so a step
        // below sqrt(tol / 10) already leaves less than tol.
        let step = big * scale;
        if step < opts.tol || (scale == 1.0 && step * step < 0.1 * opts.tol) {
            return it + 1;
        }
    }
    opts.max_iter
}

/// Decision values b0 + sum_j b_j col_j of all rows, into `out`.
pub fn decision(cols: &[&[f32]], beta: &[f64], out: &mut Vec<f32>) {
    let n = cols.first().map_or(0, |c| c.len());
    out.resize(n, 0.0);
    linear(cols, beta, 0, n, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newton_reaches_the_stationary_point() {
        // Two noisy features; check the gradient of the penalized loss is ~0 at the fit.
        let n = 3000;
        let mut state = 12345u64;
        let mut rnd = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 33) as f64 / (1u64 << 31) as f64) - 0.5
        };
        let a: Vec<f32> = (0..n).map(|_| rnd() as f32 * 3.0).collect();
        let b: Vec<f32> = (0..n).map(|_| rnd() as f32 * 3.0).collect();
        let y: Vec<f32> = (0..n)
            .map(|i| {
                if a[i] - 0.5 * b[i] + rnd() as f32 > 0.0 {
                    1.0
                } else {
                    0.0
                }
            })
            .collect();
        let mut sc = Scratch::default();
        for tol in [1e-3, 1e-4, 1e-5, 1e-6] {
            let opts = NewtonOpts {
                lambda: 1.0,
                tol,
                max_iter: 50,
            };
            let mut beta = vec![0.0; 3];
            let it = newton_binary(&[&a, &b], &y, &opts, &mut beta, &mut sc);
            eprintln!("tol {tol}: {it} iterations from zero, {beta:?}");
            assert!(it < 12, "{it} iterations");
        }
        let opts = NewtonOpts {
            lambda: 1.0,
            tol: 1e-6,
            max_iter: 50,
        };
        let mut beta = vec![0.0; 3];
        newton_binary(&[&a, &b], &y, &opts, &mut beta, &mut sc);
        let mut g = [0f64; 3];
        for i in 0..n {
            let z = beta[0] + beta[1] * a[i] as f64 + beta[2] * b[i] as f64;
            let r = 1.0 / (1.0 + (-z).exp()) - y[i] as f64;
            g[0] += r;
            g[1] += r * a[i] as f64;
            g[2] += r * b[i] as f64;
        }
        g[1] += beta[1];
        g[2] += beta[2];
        assert!(g.iter().all(|v| v.abs() < 1e-2), "{g:?} at {beta:?}");
        assert!(beta[1] > 2.0 && beta[2] < -1.0, "{beta:?}");
    }
}
