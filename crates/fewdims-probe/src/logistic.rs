//! Binary L2 logistic regression on a few columns by Newton's method, batched over samples:
//! each iteration is one blocked pass computing p = sigmoid(X b), the gradient X'(p - y) and the
//! Hessian X' diag(p(1-p)) X with vectorized f32 kernels (fused into one loop for one or two
//! dims, AVX2 + FMA where the CPU has them), then a (k+1)x(k+1) Cholesky solve in f64.
//! Objective: sum of log losses + lambda/2 |w|^2, intercept unpenalized (as scikit-learn,
//! lambda = 1/C).

use crate::fastmath::{dot, sigmoid, sum};
use crate::linalg::solve_spd;
use crate::simd::{Kernel, dispatch, fma};

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
#[inline(always)]
fn linear<const F: bool>(cols: &[&[f32]], beta: &[f64], a: usize, b: usize, z: &mut [f32]) {
    z.fill(beta[0] as f32);
    for (j, c) in cols.iter().enumerate() {
        let w = beta[j + 1] as f32;
        for (zi, &x) in z.iter_mut().zip(&c[a..b]) {
            *zi = fma::<F>(w, x, *zi);
        }
    }
}

/// The Newton weight p(1-p) and residual p - y at decision value `z`.
#[inline(always)]
fn weight_residual<const F: bool>(z: f32, y: f32) -> (f32, f32) {
    let p = sigmoid::<F>(z);
    (p - p * p, p - y)
}

/// One dim, fused with p = sigmoid(w0 + w1 x): [sum r, r x, s, s x, s x^2]. Separate 8-lane
/// accumulators (not a 2-D array) so LLVM keeps them in vector registers.
#[inline(always)]
fn sums1<const F: bool>(x: &[f32], y: &[f32], w: [f32; 2]) -> [f32; 5] {
    let f = fma::<F>;
    let z = [0f32; 8];
    let (mut r0, mut rx, mut s0, mut sx, mut sxx) = (z, z, z, z, z);
    let (xc, xt) = x.as_chunks::<8>();
    let (yc, yt) = y.as_chunks::<8>();
    for (x, y) in xc.iter().zip(yc) {
        for l in 0..8 {
            let (s, r) = weight_residual::<F>(f(w[1], x[l], w[0]), y[l]);
            let v = s * x[l];
            r0[l] += r;
            rx[l] = f(r, x[l], rx[l]);
            s0[l] += s;
            sx[l] += v;
            sxx[l] = f(v, x[l], sxx[l]);
        }
    }
    let mut out = [r0, rx, s0, sx, sxx].map(|a| a.iter().sum::<f32>());
    for (&x, &y) in xt.iter().zip(yt) {
        let (s, r) = weight_residual::<F>(f(w[1], x, w[0]), y);
        let add = [r, r * x, s, s * x, s * x * x];
        out.iter_mut().zip(add).for_each(|(o, v)| *o += v);
    }
    out
}

/// Two dims, fused with p = sigmoid(w0 + w1 a + w2 b):
/// [sum r, r a, r b, s, s a, s b, s a a, s a b, s b b].
#[inline(always)]
fn sums2<const F: bool>(a: &[f32], b: &[f32], y: &[f32], w: [f32; 3]) -> [f32; 9] {
    let f = fma::<F>;
    let z = [0f32; 8];
    let (mut r0, mut ra, mut rb, mut s0, mut sa, mut sb, mut saa, mut sab, mut sbb) =
        (z, z, z, z, z, z, z, z, z);
    let (ac, at) = a.as_chunks::<8>();
    let (bc, bt) = b.as_chunks::<8>();
    let (yc, yt) = y.as_chunks::<8>();
    for ((a, b), y) in ac.iter().zip(bc).zip(yc) {
        for l in 0..8 {
            let (s, r) = weight_residual::<F>(f(w[2], b[l], f(w[1], a[l], w[0])), y[l]);
            let (va, vb) = (s * a[l], s * b[l]);
            r0[l] += r;
            ra[l] = f(r, a[l], ra[l]);
            rb[l] = f(r, b[l], rb[l]);
            s0[l] += s;
            sa[l] += va;
            sb[l] += vb;
            saa[l] = f(va, a[l], saa[l]);
            sab[l] = f(va, b[l], sab[l]);
            sbb[l] = f(vb, b[l], sbb[l]);
        }
    }
    let mut out = [r0, ra, rb, s0, sa, sb, saa, sab, sbb].map(|v| v.iter().sum::<f32>());
    for ((&a, &b), &y) in at.iter().zip(bt).zip(yt) {
        let (s, r) = weight_residual::<F>(f(w[2], b, f(w[1], a, w[0])), y);
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

/// Any number of dims: gradient and upper Hessian of rows `a..b` added to `g`, `h` (d = k + 1).
#[inline(always)]
fn sums_k<const F: bool>(
    cols: &[&[f32]],
    y: &[f32],
    beta: &[f64],
    (a, b): (usize, usize),
    sc: &mut Scratch,
) {
    let k = cols.len();
    let d = k + 1;
    let m = b - a;
    let (z, s, r, t) = (
        &mut sc.z[..m],
        &mut sc.s[..m],
        &mut sc.r[..m],
        &mut sc.t[..m],
    );
    linear::<F>(cols, beta, a, b, z);
    for ((&zi, si), (ri, &yi)) in z.iter().zip(s.iter_mut()).zip(r.iter_mut().zip(&y[a..b])) {
        (*si, *ri) = weight_residual::<F>(zi, yi);
    }
    sc.g[0] += sum(r) as f64;
    sc.h[0] += sum(s) as f64;
    for j in 0..k {
        let xj = &cols[j][a..b];
        sc.g[j + 1] += dot::<F>(r, xj) as f64;
        for ((ti, &si), &xi) in t.iter_mut().zip(s.iter()).zip(xj) {
            *ti = si * xi;
        }
        sc.h[j + 1] += sum(t) as f64;
        for (l, xl) in cols.iter().enumerate().skip(j) {
            sc.h[(j + 1) * d + l + 1] += dot::<F>(t, &xl[a..b]) as f64;
        }
    }
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
    dispatch(Newton {
        cols,
        y,
        opts,
        beta,
        sc,
    })
}

struct Newton<'a> {
    cols: &'a [&'a [f32]],
    y: &'a [f32],
    opts: &'a NewtonOpts,
    beta: &'a mut [f64],
    sc: &'a mut Scratch,
}

impl Kernel for Newton<'_> {
    type Output = usize;
    #[inline(always)]
    fn run<const F: bool>(self) -> usize {
        let Newton {
            cols,
            y,
            opts,
            beta,
            sc,
        } = self;
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
            let w: Vec<f32> = beta.iter().map(|&v| v as f32).collect();
            for a in (0..n).step_by(BLOCK) {
                let b = (a + BLOCK).min(n);
                let (g, h) = (&mut sc.g, &mut sc.h);
                match k {
                    1 => {
                        let v = sums1::<F>(&cols[0][a..b], &y[a..b], [w[0], w[1]]);
                        g[0] += v[0] as f64;
                        g[1] += v[1] as f64;
                        h[0] += v[2] as f64;
                        h[1] += v[3] as f64;
                        h[3] += v[4] as f64;
                    }
                    2 => {
                        let v = sums2::<F>(
                            &cols[0][a..b],
                            &cols[1][a..b],
                            &y[a..b],
                            [w[0], w[1], w[2]],
                        );
                        for j in 0..3 {
                            g[j] += v[j] as f64;
                        }
                        for (idx, val) in [0, 1, 2, 4, 5, 8].into_iter().zip(&v[3..]) {
                            h[idx] += *val as f64;
                        }
                    }
                    _ => sums_k::<F>(cols, y, beta, (a, b), sc),
                }
            }
            if let Some(done) = newton_step(&mut sc.h, &mut sc.g, beta, opts) {
                return if done { it + 1 } else { it };
            }
        }
        opts.max_iter
    }
}

/// Symmetrizes `h`, adds the penalty, solves H step = -(g + lambda w) and applies the (damped)
/// step. None: go on; Some(true): converged; Some(false): H was not positive definite.
fn newton_step(h: &mut [f64], g: &mut [f64], beta: &mut [f64], opts: &NewtonOpts) -> Option<bool> {
    let d = beta.len();
    for i in 0..d {
        for j in 0..i {
            h[i * d + j] = h[j * d + i];
        }
    }
    for (j, &bj) in beta.iter().enumerate().skip(1) {
        h[j * d + j] += opts.lambda;
        g[j] += opts.lambda * bj;
    }
    h[0] += 1e-9;
    if !solve_spd(h, g, d) {
        return Some(false);
    }
    // Damp very long steps (near-separable data): at most 4 per coefficient.
    let big = g.iter().fold(0f64, |m, v| m.max(v.abs()));
    let scale = if big > 4.0 { 4.0 / big } else { 1.0 };
    beta.iter_mut()
        .zip(g.iter())
        .for_each(|(bj, gj)| *bj -= scale * gj);
    // Newton converges quadratically: after a step d the error is about d^2, so a step
    // below sqrt(tol / 10) already leaves less than tol.
    let step = big * scale;
    (step < opts.tol || (scale == 1.0 && step * step < 0.1 * opts.tol)).then_some(true)
}

/// Decision values b0 + sum_j b_j col_j of all rows, into `out`.
pub fn decision(cols: &[&[f32]], beta: &[f64], out: &mut Vec<f32>) {
    let n = cols.first().map_or(0, |c| c.len());
    out.resize(n, 0.0);
    dispatch(Decision {
        cols,
        beta,
        out,
        classes: None,
    });
}

/// Binary predictions (decision value > 0) of all rows, into `classes`; `z` is scratch.
pub fn predict_binary(cols: &[&[f32]], beta: &[f64], z: &mut Vec<f32>, classes: &mut Vec<u32>) {
    let n = cols.first().map_or(0, |c| c.len());
    z.resize(n, 0.0);
    classes.resize(n, 0);
    dispatch(Decision {
        cols,
        beta,
        out: z,
        classes: Some(classes),
    });
}

struct Decision<'a> {
    cols: &'a [&'a [f32]],
    beta: &'a [f64],
    out: &'a mut [f32],
    classes: Option<&'a mut [u32]>,
}

impl Kernel for Decision<'_> {
    type Output = ();
    #[inline(always)]
    fn run<const F: bool>(self) {
        let n = self.out.len();
        linear::<F>(self.cols, self.beta, 0, n, self.out);
        if let Some(classes) = self.classes {
            for (c, &z) in classes.iter_mut().zip(self.out.iter()) {
                *c = (z > 0.0) as u32;
            }
        }
    }
}

#[cfg(test)]
mod tests;
