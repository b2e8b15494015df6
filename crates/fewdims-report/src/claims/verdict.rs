//! The verdict rules: each claim is a test of an interval (in points) against a margin, and a
//! claim over several tasks or variants combines its parts. Every rule can come out each way.

use crate::bootstrap::Interval;

/// How a claim (or one comparison of it) fares against the numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// The whole interval lies where the claim says.
    Holds,
    /// The whole interval lies where the claim says it does not.
    DoesNotHold,
    /// The interval reaches both sides of the margin: more data or seeds are needed.
    Inconclusive,
    /// Parts of a combined claim hold and others do not.
    Mixed,
    /// The reference itself is not above the constant (majority) baseline, so agreeing with it
    /// would say nothing.
    NoSignal,
    /// The inputs are missing.
    NotMeasured,
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Verdict::Holds => "holds",
            Verdict::DoesNotHold => "does not hold",
            Verdict::Inconclusive => "inconclusive",
            Verdict::Mixed => "mixed",
            Verdict::NoSignal => "no signal",
            Verdict::NotMeasured => "not measured",
        })
    }
}

/// A one-interval test, in points.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub enum Test {
    /// Equivalence: the gap lies within ±margin.
    Within(f64),
    /// The gap lies below −margin (the variant is worse by more than the margin).
    WorseBy(f64),
    /// Non-inferiority: the gap lies above −margin.
    NotWorseBy(f64),
    /// The statistic lies above 0 (a rising trend).
    Positive,
    /// A spread (≥ 0) lies below the margin.
    Below(f64),
}

impl Test {
    /// The verdict of an interval `[lo, hi]` (in points).
    pub fn verdict(self, lo: f64, hi: f64) -> Verdict {
        let (holds, fails) = match self {
            Test::Within(m) => (lo >= -m && hi <= m, hi < -m || lo > m),
            Test::WorseBy(m) => (hi < -m, lo >= -m),
            Test::NotWorseBy(m) => (lo >= -m, hi < -m),
            Test::Positive => (lo > 0.0, hi <= 0.0),
            Test::Below(m) => (hi < m, lo >= m),
        };
        if holds {
            Verdict::Holds
        } else if fails {
            Verdict::DoesNotHold
        } else {
            Verdict::Inconclusive
        }
    }

    /// The verdict of a bootstrap interval in metric units (points = ×100).
    pub fn judge(self, iv: &Interval) -> Verdict {
        self.verdict(iv.lo * 100.0, iv.hi * 100.0)
    }

    /// Where the test holds, in points: `(from, to)`.
    pub fn holds_region(self) -> (f64, f64) {
        match self {
            Test::Within(m) => (-m, m),
            Test::WorseBy(m) => (f64::NEG_INFINITY, -m),
            Test::NotWorseBy(m) => (-m, f64::INFINITY),
            Test::Positive => (0.0, f64::INFINITY),
            Test::Below(m) => (f64::NEG_INFINITY, m),
        }
    }

    /// How the test reads in the table, e.g. `within ±2 pts`.
    pub fn describe(self) -> String {
        match self {
            Test::Within(m) => format!("within ±{m} pts"),
            Test::WorseBy(m) => format!("below −{m} pts"),
            Test::NotWorseBy(m) => format!("above −{m} pts"),
            Test::Positive => "above 0".into(),
            Test::Below(m) => format!("below {m} pts"),
        }
    }
}

/// The verdict of several parts: all hold → holds; all fail → does not hold; some hold and some
/// fail → mixed; otherwise (an inconclusive part, none contradicting) → inconclusive. Parts not
/// measured are left out, and parts without signal too unless every part is one.
pub fn combine(parts: &[Verdict]) -> Verdict {
    let measured: Vec<Verdict> = parts
        .iter()
        .copied()
        .filter(|v| *v != Verdict::NotMeasured)
        .collect();
    if measured.is_empty() {
        return Verdict::NotMeasured;
    }
    let m: Vec<Verdict> = measured
        .iter()
        .copied()
        .filter(|v| *v != Verdict::NoSignal)
        .collect();
    if m.is_empty() {
        return Verdict::NoSignal;
    }
    let has = |x: Verdict| m.contains(&x);
    if m.iter().all(|v| *v == Verdict::Holds) {
        Verdict::Holds
    } else if m.iter().all(|v| *v == Verdict::DoesNotHold) {
        Verdict::DoesNotHold
    } else if has(Verdict::Mixed) || (has(Verdict::Holds) && has(Verdict::DoesNotHold)) {
        Verdict::Mixed
    } else {
        Verdict::Inconclusive
    }
}

#[cfg(test)]
mod tests {
    use super::Verdict::*;
    use super::*;

    #[test]
    fn every_test_reaches_every_outcome() {
        let cases = [
            (Test::Within(2.0), (-1.0, 1.5), Holds),
            (Test::Within(2.0), (2.5, 4.0), DoesNotHold),
            (Test::Within(2.0), (-6.0, -2.1), DoesNotHold),
            (Test::Within(2.0), (-3.0, 1.0), Inconclusive),
            (Test::WorseBy(5.0), (-20.0, -6.0), Holds),
            (Test::WorseBy(5.0), (-4.0, 1.0), DoesNotHold),
            (Test::WorseBy(5.0), (-7.0, -3.0), Inconclusive),
            (Test::NotWorseBy(2.0), (-1.9, 3.0), Holds),
            (Test::NotWorseBy(2.0), (-5.0, -2.5), DoesNotHold),
            (Test::NotWorseBy(2.0), (-3.0, 0.0), Inconclusive),
            (Test::Positive, (0.1, 2.0), Holds),
            (Test::Positive, (-2.0, -0.1), DoesNotHold),
            (Test::Positive, (-0.5, 0.5), Inconclusive),
            (Test::Below(2.0), (0.0, 1.9), Holds),
            (Test::Below(2.0), (2.0, 5.0), DoesNotHold),
            (Test::Below(2.0), (1.0, 3.0), Inconclusive),
        ];
        for (test, (lo, hi), want) in cases {
            assert_eq!(test.verdict(lo, hi), want, "{test:?} on [{lo}, {hi}]");
        }
    }

    #[test]
    fn combining_parts() {
        assert_eq!(combine(&[Holds, Holds, NotMeasured]), Holds);
        assert_eq!(combine(&[DoesNotHold, DoesNotHold]), DoesNotHold);
        assert_eq!(combine(&[Holds, DoesNotHold]), Mixed);
        assert_eq!(combine(&[Holds, Inconclusive]), Inconclusive);
        assert_eq!(combine(&[Holds, DoesNotHold, Inconclusive]), Mixed);
        assert_eq!(combine(&[Holds, NoSignal]), Holds);
        assert_eq!(combine(&[NoSignal, NotMeasured]), NoSignal);
        assert_eq!(combine(&[NotMeasured]), NotMeasured);
        assert_eq!(combine(&[]), NotMeasured);
    }
}
