//! Task metrics from predictions, as GLUE defines them: accuracy, binary F1 (positive class 1),
//! MCC (multiclass: Gorodkin's R_K), Pearson, Spearman (ties get average ranks).

use fewdims_schema::task::TaskKind;

/// A task metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    Accuracy,
    F1,
    Mcc,
    Pearson,
    Spearman,
}

/// Predictions of a probe.
#[derive(Debug, Clone, Copy)]
pub enum Pred<'a> {
    Classes(&'a [u32]),
    Scores(&'a [f32]),
}

impl Metric {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "accuracy" => Metric::Accuracy,
            "f1" => Metric::F1,
            "mcc" => Metric::Mcc,
            "pearson" => Metric::Pearson,
            "spearman" => Metric::Spearman,
            _ => return None,
        })
    }
    pub fn name(self) -> &'static str {
        match self {
            Metric::Accuracy => "accuracy",
            Metric::F1 => "f1",
            Metric::Mcc => "mcc",
            Metric::Pearson => "pearson",
            Metric::Spearman => "spearman",
        }
    }
    pub fn kind(self) -> TaskKind {
        match self {
            Metric::Pearson | Metric::Spearman => TaskKind::Regression,
            _ => TaskKind::Classification,
        }
    }

    /// The metric of `pred` against the target; NaN when undefined (kind mismatch, empty input).
    pub fn score(self, pred: Pred, target: &crate::Target) -> f64 {
        use crate::Target;
        match (self, pred, target) {
            (Metric::Accuracy, Pred::Classes(p), Target::Classes { y, .. }) => accuracy(p, y),
            (Metric::F1, Pred::Classes(p), Target::Classes { y, .. }) => f1(p, y),
            (Metric::Mcc, Pred::Classes(p), Target::Classes { y, classes }) => mcc(p, y, *classes),
            (Metric::Pearson, Pred::Scores(p), Target::Scores(y)) => pearson(p, y),
            (Metric::Spearman, Pred::Scores(p), Target::Scores(y)) => pearson(&ranks(p), &ranks(y)),
            _ => f64::NAN,
        }
    }
}

pub fn accuracy(p: &[u32], y: &[u32]) -> f64 {
    if y.is_empty() {
        return f64::NAN;
    }
    let hits: u32 = p.iter().zip(y).map(|(a, b)| (a == b) as u32).sum();
    hits as f64 / y.len() as f64
}

/// Binary F1 of class 1 (0 when there is no true positive).
pub fn f1(p: &[u32], y: &[u32]) -> f64 {
    let (mut tp, mut fp, mut fneg) = (0usize, 0usize, 0usize);
    for (&a, &b) in p.iter().zip(y) {
        match (a == 1, b == 1) {
            (true, true) => tp += 1,
            (true, false) => fp += 1,
            (false, true) => fneg += 1,
            _ => {}
        }
    }
    if tp == 0 {
        0.0
    } else {
        2.0 * tp as f64 / (2 * tp + fp + fneg) as f64
    }
}

/// Matthews correlation, multiclass form (equals the binary one for 2 classes); 0 if undefined.
pub fn mcc(p: &[u32], y: &[u32], classes: usize) -> f64 {
    let k = classes.max(
        p.iter()
            .chain(y)
            .map(|&c| c as usize + 1)
            .max()
            .unwrap_or(0),
    );
    let (mut pk, mut tk) = (vec![0f64; k], vec![0f64; k]);
    let mut c = 0f64;
    for (&a, &b) in p.iter().zip(y) {
        pk[a as usize] += 1.0;
        tk[b as usize] += 1.0;
        if a == b {
            c += 1.0;
        }
    }
    let s = y.len() as f64;
    let pt: f64 = pk.iter().zip(&tk).map(|(a, b)| a * b).sum();
    let pp: f64 = pk.iter().map(|a| a * a).sum();
    let tt: f64 = tk.iter().map(|a| a * a).sum();
    let den = ((s * s - pp) * (s * s - tt)).sqrt();
    if den == 0.0 { 0.0 } else { (c * s - pt) / den }
}

/// Pearson correlation; NaN for constant input.
pub fn pearson(a: &[f32], b: &[f32]) -> f64 {
    let n = a.len().min(b.len()) as f64;
    let ma = a.iter().map(|&x| x as f64).sum::<f64>() / n;
    let mb = b.iter().map(|&x| x as f64).sum::<f64>() / n;
    let (mut sab, mut saa, mut sbb) = (0f64, 0f64, 0f64);
    for (&x, &y) in a.iter().zip(b) {
        let (dx, dy) = (x as f64 - ma, y as f64 - mb);
        sab += dx * dy;
        saa += dx * dx;
        sbb += dy * dy;
    }
    sab / (saa * sbb).sqrt()
}

/// Ranks 1..n, ties averaged.
pub fn ranks(a: &[f32]) -> Vec<f32> {
    let mut order: Vec<usize> = (0..a.len()).collect();
    order.sort_by(|&i, &j| a[i].total_cmp(&a[j]));
    let mut r = vec![0f32; a.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && a[order[j + 1]] == a[order[i]] {
            j += 1;
        }
        let avg = (i + j) as f32 / 2.0 + 1.0;
        for &o in &order[i..=j] {
            r[o] = avg;
        }
        i = j + 1;
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_match_hand_values() {
        let y = [1, 1, 0, 0, 1];
        let p = [1, 0, 0, 1, 1];
        assert!((accuracy(&p, &y) - 0.6).abs() < 1e-12);
        assert!((f1(&p, &y) - 2.0 / 3.0).abs() < 1e-12);
        // Binary MCC: (tp*tn - fp*fn)/sqrt(...) = (2*1 - 1*1)/sqrt(3*2*3*2) = 1/6
        assert!((mcc(&p, &y, 2) - 1.0 / 6.0).abs() < 1e-12);
        assert!((mcc(&y, &y, 2) - 1.0).abs() < 1e-12);
        assert_eq!(ranks(&[3.0, 1.0, 3.0, 2.0]), vec![3.5, 1.0, 3.5, 2.0]);
        let a = [1.0, 2.0, 3.0, 4.0];
        assert!((pearson(&a, &[2.0, 4.0, 6.0, 8.0]) - 1.0).abs() < 1e-12);
        assert!((pearson(&ranks(&a), &ranks(&[1.0, 10.0, 100.0, 1000.0])) - 1.0).abs() < 1e-12);
    }
}
