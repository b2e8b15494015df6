//! Tests of the Newton kernels and fits.

use super::*;

/// Two noisy features and a third, and labels from a - b/2 + noise.
fn noisy(n: usize) -> (Vec<f32>, Vec<f32>, Vec<f32>, Vec<f32>) {
    let mut rnd = crate::testutil::uniform(12345);
    let mut col = |scale: f32| -> Vec<f32> { (0..n).map(|_| rnd() as f32 * scale).collect() };
    let (a, b, c, e) = (col(3.0), col(3.0), col(1.0), col(1.0));
    let y = (0..n)
        .map(|i| (a[i] - 0.5 * b[i] + e[i] > 0.0) as u8 as f32)
        .collect();
    (a, b, c, y)
}

#[test]
fn fused_sums_match_the_general_pass() {
    let (a, b, _, y) = noisy(500);
    let beta = [0.3, -0.7, 0.4];
    let mut sc = Scratch::default();
    for buf in [&mut sc.z, &mut sc.s, &mut sc.r, &mut sc.t] {
        buf.resize(BLOCK, 0.0);
    }
    let w = beta.map(|v| v as f32);
    for k in [1, 2] {
        let cols: Vec<&[f32]> = [&a[..], &b[..]][..k].to_vec();
        let d = k + 1;
        sc.g = vec![0.0; d];
        sc.h = vec![0.0; d * d];
        sums_k::<false>(&cols, &y, &beta[..d], (0, y.len()), &mut sc);
        // The fused kernels' outputs, in the general pass's (g, upper h) order.
        let (fused, general): (Vec<f32>, Vec<f64>) = if k == 1 {
            let v = sums1::<false>(&a, &y, [w[0], w[1]]);
            (
                v.to_vec(),
                vec![sc.g[0], sc.g[1], sc.h[0], sc.h[1], sc.h[3]],
            )
        } else {
            let v = sums2::<false>(&a, &b, &y, w);
            let (g, h) = (&sc.g, &sc.h);
            (
                v.to_vec(),
                vec![g[0], g[1], g[2], h[0], h[1], h[2], h[4], h[5], h[8]],
            )
        };
        for (f, g) in fused.iter().zip(&general) {
            assert!(
                (*f as f64 - g).abs() < 1e-3 * (1.0 + g.abs()),
                "k {k}: {fused:?} vs {general:?}"
            );
        }
    }
}

#[test]
fn dispatched_fit_matches_the_baseline_build() {
    // Here the dispatched fit runs the AVX2 + FMA build where the CPU has it.
    let (a, b, c, y) = noisy(3000);
    let opts = NewtonOpts {
        lambda: 1.0,
        tol: 1e-6,
        max_iter: 50,
    };
    let mut sc = Scratch::default();
    for k in 1..=3 {
        let cols: Vec<&[f32]> = [&a[..], &b[..], &c[..]][..k].to_vec();
        let mut fast = vec![0.0; k + 1];
        newton_binary(&cols, &y, &opts, &mut fast, &mut sc);
        let mut base = vec![0.0; k + 1];
        let sc = &mut sc;
        Newton {
            cols: &cols,
            y: &y,
            opts: &opts,
            beta: &mut base,
            sc,
        }
        .run::<false>();
        let diff = fast
            .iter()
            .zip(&base)
            .fold(0f64, |m, (x, y)| m.max((x - y).abs()));
        assert!(
            diff < 1e-4,
            "k {k} ({}): {fast:?} vs {base:?}",
            crate::simd::level()
        );
    }
}

#[test]
fn newton_reaches_the_stationary_point() {
    // Two noisy features; check the gradient of the penalized loss is ~0 at the fit.
    let n = 3000;
    let (a, b, _, y) = noisy(n);
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
