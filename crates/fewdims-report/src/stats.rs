//! Mean ± sample standard deviation over seeds, and how numbers are printed.

/// Mean and sample sd (n − 1) of the finite values; `sd` is `None` for a single value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stat {
    pub mean: f64,
    pub sd: Option<f64>,
    pub n: usize,
}

impl Stat {
    /// `None` when no value is finite.
    pub fn of(values: &[f64]) -> Option<Stat> {
        let v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
        let n = v.len();
        if n == 0 {
            return None;
        }
        let mean = v.iter().sum::<f64>() / n as f64;
        let sd = (n > 1).then(|| {
            let ss: f64 = v.iter().map(|x| (x - mean).powi(2)).sum();
            (ss / (n - 1) as f64).sqrt()
        });
        Some(Stat { mean, sd, n })
    }

    /// `0.812 ± 0.010`, or `0.812` for one seed.
    pub fn show(&self) -> String {
        match self.sd {
            Some(sd) => format!("{:.3} ± {:.3}", self.mean, sd),
            None => format!("{:.3}", self.mean),
        }
    }

    /// `0.812 ± 0.010 (n=2)`, or `0.812 (n=1)`.
    pub fn show_n(&self) -> String {
        format!("{} (n={})", self.show(), self.n)
    }
}

/// A table cell for an optional statistic: `–` when absent.
pub fn show_opt(s: Option<Stat>) -> String {
    s.map(|s| s.show()).unwrap_or_else(|| "–".into())
}

/// A number with 3 decimals, `–` for NaN.
pub fn num(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.3}")
    } else {
        "–".into()
    }
}

/// A CSV field: the number in full precision, empty for NaN or absent.
pub fn csv_num(x: Option<f64>) -> String {
    match x {
        Some(v) if v.is_finite() => format!("{v}"),
        _ => String::new(),
    }
}

/// Differences in points (1 point = 0.01 of the metric), signed.
pub fn pts(x: f64) -> String {
    format!("{:+.1} pts", x * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_and_sample_sd() {
        let s = Stat::of(&[0.8, 0.9, f64::NAN]).unwrap();
        assert!((s.mean - 0.85).abs() < 1e-12);
        assert!((s.sd.unwrap() - (0.005f64).sqrt()).abs() < 1e-12);
        assert_eq!(s.n, 2);
        assert_eq!(s.show(), "0.850 ± 0.071");
        let one = Stat::of(&[0.5]).unwrap();
        assert_eq!((one.sd, one.show_n()), (None, "0.500 (n=1)".into()));
        assert!(Stat::of(&[f64::NAN]).is_none());
        assert_eq!(pts(-0.1234), "-12.3 pts");
    }
}
