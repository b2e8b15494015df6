//! Branch-free f32 kernels that LLVM vectorizes: exp/sigmoid (Cephes expf polynomial, rel. error
//! ~2e-7 on the clamped range) and 8-lane dot products. `FMA`: see [`crate::simd`].

use crate::simd::fma;

const LOG2E: f32 = std::f32::consts::LOG2_E;
const MAGIC: f32 = 12_582_912.0; // 1.5 * 2^23: adding it rounds to an integer in the low bits

/// e^x, clamped to x in [-87, 88].
#[inline(always)]
pub fn exp<const FMA: bool>(x: f32) -> f32 {
    let x = x.clamp(-87.0, 88.0);
    let t = x * LOG2E + MAGIC;
    let n = t - MAGIC;
    // Wrapping integer ops: dev builds check overflow, and the checks stop vectorization.
    let ni = (t.to_bits() as i32).wrapping_sub(MAGIC.to_bits() as i32);
    let f = fma::<FMA>;
    let r = f(n, 2.121_944_4e-4, f(n, -0.693_359_4, x));
    let mut p = f(1.987_569_1e-4, r, 1.398_199_9e-3);
    for c in [8.333_452e-3, 4.166_579_6e-2, 1.666_666_5e-1, 0.5] {
        p = f(p, r, c);
    }
    let e = f(p, r * r, r + 1.0);
    e * f32::from_bits((ni.wrapping_add(127) << 23) as u32)
}

/// 1 / (1 + e^-z).
#[inline(always)]
pub fn sigmoid<const FMA: bool>(z: f32) -> f32 {
    1.0 / (1.0 + exp::<FMA>(-z))
}

/// sum_i a[i] * b[i], accumulated in 8 lanes.
#[inline(always)]
pub fn dot<const FMA: bool>(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (ac, at) = a[..n].as_chunks::<8>();
    let (bc, bt) = b[..n].as_chunks::<8>();
    let mut acc = [0f32; 8];
    for (x, y) in ac.iter().zip(bc) {
        for l in 0..8 {
            acc[l] = fma::<FMA>(x[l], y[l], acc[l]);
        }
    }
    let tail: f32 = at.iter().zip(bt).map(|(x, y)| x * y).sum();
    acc.iter().sum::<f32>() + tail
}

/// sum_i a[i], accumulated in 8 lanes.
#[inline(always)]
pub fn sum(a: &[f32]) -> f32 {
    let (ac, at) = a.as_chunks::<8>();
    let mut acc = [0f32; 8];
    for x in ac {
        for l in 0..8 {
            acc[l] += x[l];
        }
    }
    acc.iter().sum::<f32>() + at.iter().sum::<f32>()
}

#[cfg(test)]
mod tests {
    #[test]
    fn exp_and_sigmoid_are_accurate() {
        check::<false>();
        check::<true>();
    }

    fn check<const FMA: bool>() {
        use super::{exp, sigmoid};
        let mut worst = 0f64;
        for i in -8000..8000 {
            let x = i as f32 * 0.01;
            let rel = ((exp::<FMA>(x) as f64) - (x as f64).exp()).abs() / (x as f64).exp();
            worst = worst.max(rel);
        }
        assert!(worst < 1e-6, "FMA {FMA}: {worst}");
        assert!(sigmoid::<FMA>(-200.0) < 1e-30);
        assert!((sigmoid::<FMA>(0.0) - 0.5).abs() < 1e-7);
        assert!(sigmoid::<FMA>(200.0) == 1.0);
    }
}
