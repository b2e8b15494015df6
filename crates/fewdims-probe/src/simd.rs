//! Runtime instruction-set dispatch for the probe kernels. A `Kernel` runs compiled for AVX2 + FMA
//! (x86-64-v3) when the CPU has them, found at run time by pulp, else for the build's baseline
//! (SSE2 on x86-64). Everything a kernel calls must be `#[inline(always)]` to be compiled for the
//! chosen set.

use pulp::{Simd, WithSimd};

/// A hot loop, generic over whether fused multiply-add is native (`FMA`).
pub trait Kernel {
    type Output;
    fn run<const FMA: bool>(self) -> Self::Output;
}

struct Wrap<K, const FMA: bool>(K);

impl<K: Kernel, const FMA: bool> WithSimd for Wrap<K, FMA> {
    type Output = K::Output;
    #[inline(always)]
    fn with_simd<S: Simd>(self, _simd: S) -> K::Output {
        self.0.run::<FMA>()
    }
}

/// Runs `k` under the best instruction set this CPU has.
#[inline]
pub fn dispatch<K: Kernel>(k: K) -> K::Output {
    #[cfg(target_arch = "x86_64")]
    if let Some(v3) = pulp::x86::V3::try_new() {
        return Simd::vectorize(v3, Wrap::<K, true>(k));
    }
    Wrap::<K, { cfg!(target_arch = "aarch64") }>(k).with_simd(pulp::Scalar::new())
}

/// a * b + c: one rounding where FMA is native, else two (a libm call would be far slower).
#[inline(always)]
pub fn fma<const FMA: bool>(a: f32, b: f32, c: f32) -> f32 {
    if FMA { a.mul_add(b, c) } else { a * b + c }
}

/// Whether kernels run with AVX2 + FMA here (for reports).
pub fn level() -> &'static str {
    #[cfg(target_arch = "x86_64")]
    if pulp::x86::V3::try_new().is_some() {
        return "x86-64-v3 (AVX2, FMA)";
    }
    "baseline"
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Dot<'a>(&'a [f32], &'a [f32]);
    impl Kernel for Dot<'_> {
        type Output = f32;
        #[inline(always)]
        fn run<const FMA: bool>(self) -> f32 {
            self.0
                .iter()
                .zip(self.1)
                .fold(0.0, |acc, (&a, &b)| fma::<FMA>(a, b, acc))
        }
    }

    #[test]
    fn dispatch_runs_the_kernel() {
        let a: Vec<f32> = (0..100).map(|i| i as f32).collect();
        let got = dispatch(Dot(&a, &a));
        assert_eq!(got, (0..100).map(|i| (i * i) as f32).sum::<f32>());
        eprintln!("simd level: {}", level());
    }
}
