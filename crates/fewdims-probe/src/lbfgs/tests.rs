//! Unit tests of the full-vector fits.
use super::*;

#[test]
fn newton_and_lbfgs_reach_the_same_binary_fit() {
    let (n, h) = (1500, 12);
    let mut rnd = crate::testutil::uniform(7);
    let x = Array2::from_shape_fn((n, h), |_| rnd() * 2.0);
    let y: Vec<u32> = (0..n)
        .map(|i| (x[[i, 0]] - x[[i, 3]] + 0.5 * x[[i, 7]] + rnd() > 0.0) as u32)
        .collect();
    let opts = LbfgsOpts::default();
    let fit = FullLogit::fit(x.view(), &y, 2, &opts);
    assert!(fit.iterations < 30, "Newton took {} steps", fit.iterations);
    let (theta, _) = minimize(
        |t, g| loss_grad(x.view(), &y, 1, opts.lambda, t, g),
        vec![0.0; h + 1],
        1e-9,
        5000,
        10,
    );
    let diff = fit
        .w
        .iter()
        .chain(fit.b.iter())
        .zip(&theta)
        .fold(0f64, |m, (a, b)| m.max((a - b).abs()));
    assert!(diff < 1e-5, "Newton vs L-BFGS: {diff}");
    assert!(fit.w[[0, 0]] > 1.0 && fit.w[[3, 0]] < -1.0, "{:?}", fit.w);
}

#[test]
fn three_classes_fit_each_class_against_the_rest() {
    // Jointly by L-BFGS, to the optimum of a Newton fit of each class alone.
    let (n, h) = (900, 5);
    let mut rnd = crate::testutil::uniform(3);
    let x = Array2::from_shape_fn((n, h), |_| rnd() * 2.0);
    let y: Vec<u32> = (0..n)
        .map(|i| {
            let s = [x[[i, 0]], x[[i, 1]], -x[[i, 0]] - x[[i, 1]]];
            (0..3).fold(0, |m, c| if s[c] > s[m] { c } else { m }) as u32
        })
        .collect();
    let opts = LbfgsOpts::default();
    // Class 3 of 4 is absent from train: it never wins.
    let fit = FullLogit::fit(x.view(), &y, 4, &opts);
    for k in 0..3 {
        let yk: Vec<u32> = y.iter().map(|&v| (v == k as u32) as u32).collect();
        let one = FullLogit::fit(x.view(), &yk, 2, &opts);
        let pairs = fit
            .w
            .column(k)
            .into_iter()
            .zip(&one.w)
            .chain([(&fit.b[k], &one.b[0])]);
        for (a, b) in pairs {
            assert!(
                (a - b).abs() < 1e-4 * b.abs().max(1.0),
                "class {k}: {a} vs {b}"
            );
        }
    }
    assert!(fit.b[3] < -10.0, "absent class: {}", fit.b[3]);
    let pred = fit.predict(x.view());
    let right = pred.iter().zip(&y).filter(|(a, b)| a == b).count();
    assert!(right as f64 > 0.9 * n as f64, "{right} of {n}");
}

#[test]
fn the_binary_fit_reaches_the_optimum_in_newton_steps_at_any_n() {
    // 50,000 rows: the loss (~13,000) carries rounding noise of ~1e-10, above the decrease of
    // the last Newton steps, so a line search on the loss alone stalls there (it took 100
    // steps, 60 s). The fit must stop in Newton's ~7 steps, within about `gtol` of the optimum.
    let (n, h) = (50_000, 30);
    let mut rnd = crate::testutil::uniform(11);
    let z: Vec<f64> = (0..n).map(|_| rnd()).collect();
    let x = Array2::from_shape_fn((n, h), |(i, j)| {
        z[i] * (1.0 + j as f64 / h as f64) + 0.05 * rnd()
    });
    let y: Vec<u32> = (0..n)
        .map(|i| (z[i] + 0.3 * x[[i, 3]] - 0.3 * x[[i, 4]] + 0.5 * rnd() > 0.0) as u32)
        .collect();
    let opts = LbfgsOpts::default();
    let fit = FullLogit::fit(x.view(), &y, 2, &opts);
    assert!(fit.iterations <= 10, "{} Newton steps", fit.iterations);
    // The optimum, to 1e-12.
    let mut start = vec![0.0; h + 1];
    start[h] = fit.b[0];
    let (theta, _) = newton_full(x.view(), &y, opts.lambda, 1e-12, 100, start).expect("solves");
    let diff = fit
        .w
        .iter()
        .chain(fit.b.iter())
        .zip(&theta)
        .fold(0f64, |m, (a, b)| m.max((a - b).abs()));
    assert!(diff <= opts.gtol, "{diff:e} from the optimum");
}
