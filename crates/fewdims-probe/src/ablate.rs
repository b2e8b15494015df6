//! The paper's ablation of a fine-tuned head, with no refit: the head was trained on a few
//! selected dims of the readout (the others zeroed); here every subset of those dims is zeroed
//! too, and the head's own predictions are scored (3 dims -> each pair -> each single -> none).

use fewdims_schema::hidden::Labels;

use crate::metrics::{Metric, Pred};
use crate::{ProbeError, Target};

/// A linear head `logits = W x + b`: `weight` `[classes, hidden]` row-major, `bias` `[classes]`.
/// One output row means regression (or a single-logit binary head when labels are classes).
#[derive(Debug, Clone)]
pub struct LinearHead {
    pub weight: Vec<f32>,
    pub bias: Vec<f32>,
    pub classes: usize,
    pub hidden: usize,
}

/// Scores with the dims `kept` of the selected ones (all others zeroed).
#[derive(Debug, Clone, PartialEq)]
pub struct AblateResult {
    pub kept: Vec<usize>,
    pub zeroed: Vec<usize>,
    /// One per metric.
    pub scores: Vec<f64>,
}

/// Scores `head` on raw features `[n, hidden]` (row-major) with every subset of `dims` kept and
/// the rest of the vector zeroed, largest subsets first (the first row keeps all of `dims`).
pub fn ablate(
    head: &LinearHead,
    dims: &[usize],
    features: &[f32],
    labels: &Labels,
    metrics: &[Metric],
) -> Result<Vec<AblateResult>, ProbeError> {
    let (c, h) = (head.classes, head.hidden);
    let n = labels.len();
    let bad = |m: String| Err(ProbeError::Invalid(format!("ablate: {m}")));
    if head.weight.len() != c * h || head.bias.len() != c || c == 0 {
        return bad(format!(
            "head weight {} / bias {} do not fit [{c}, {h}]",
            head.weight.len(),
            head.bias.len()
        ));
    }
    if features.len() != n * h {
        return bad(format!(
            "features hold {} values, expected {n} x {h}",
            features.len()
        ));
    }
    if let Some(&d) = dims.iter().find(|&&d| d >= h) {
        return bad(format!("dim {d} is outside 0..{h}"));
    }
    if dims.len() > 16 {
        return bad(format!(
            "{} dims give too many subsets (at most 16)",
            dims.len()
        ));
    }
    // Keep labelled items only.
    let (keep, target): (Vec<usize>, Target) = match labels {
        Labels::Classes(v) => {
            let keep: Vec<usize> = (0..n).filter(|&i| v[i] >= 0).collect();
            let y: Vec<u32> = keep.iter().map(|&i| v[i] as u32).collect();
            (
                keep,
                Target::Classes {
                    y,
                    classes: c.max(2),
                },
            )
        }
        Labels::Scores(v) => {
            let keep: Vec<usize> = (0..n).filter(|&i| v[i].is_finite()).collect();
            (
                keep.clone(),
                Target::Scores(keep.iter().map(|&i| v[i]).collect()),
            )
        }
    };
    // Contribution of each selected dim to each logit: contrib[j][i*c + o] = W[o, d_j] x[i, d_j].
    let contrib: Vec<Vec<f32>> = dims
        .iter()
        .map(|&d| {
            keep.iter()
                .flat_map(|&i| (0..c).map(move |o| head.weight[o * h + d] * features[i * h + d]))
                .collect()
        })
        .collect();
    let mut masks: Vec<u32> = (0..1u32 << dims.len()).collect();
    masks.sort_by_key(|m| std::cmp::Reverse(m.count_ones()));
    let mut out = vec![];
    let mut logits = vec![0f32; keep.len() * c];
    for mask in masks {
        for (i, row) in logits.chunks_exact_mut(c).enumerate() {
            row.copy_from_slice(&head.bias);
            for (j, cj) in contrib.iter().enumerate() {
                if mask >> j & 1 == 1 {
                    row.iter_mut()
                        .zip(&cj[i * c..(i + 1) * c])
                        .for_each(|(r, v)| *r += v);
                }
            }
        }
        let scores = match &target {
            Target::Scores(_) => metrics
                .iter()
                .map(|m| m.score(Pred::Scores(&logits), &target))
                .collect(),
            Target::Classes { .. } => {
                let pred: Vec<u32> = logits
                    .chunks_exact(c)
                    .map(|r| {
                        if c == 1 {
                            (r[0] > 0.0) as u32
                        } else {
                            (1..c).fold(0, |b, o| if r[o] > r[b] { o } else { b }) as u32
                        }
                    })
                    .collect();
                metrics
                    .iter()
                    .map(|m| m.score(Pred::Classes(&pred), &target))
                    .collect()
            }
        };
        let (kept, zeroed): (Vec<usize>, Vec<usize>) =
            (0..dims.len()).partition(|&j| mask >> j & 1 == 1);
        out.push(AblateResult {
            kept: kept.into_iter().map(|j| dims[j]).collect(),
            zeroed: zeroed.into_iter().map(|j| dims[j]).collect(),
            scores,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zeroing_the_informative_dim_drops_accuracy() {
        // Label = sign of dim 2; head reads dims 2 (weight 1) and 5 (weight 0.01, noise).
        let (n, h) = (200, 8);
        let x: Vec<f32> = (0..n * h)
            .map(|i| (((i * 7919) % 101) as f32 - 50.0) / 50.0)
            .collect();
        let y: Vec<i64> = (0..n).map(|i| (x[i * h + 2] > 0.0) as i64).collect();
        let mut weight = vec![0f32; 2 * h];
        weight[h + 2] = 1.0; // class 1 logit
        weight[h + 5] = 0.01;
        weight[3] = 5.0; // a dim the head never saw selected: zeroed, so harmless
        let head = LinearHead {
            weight,
            bias: vec![0.0, 0.0],
            classes: 2,
            hidden: h,
        };
        let rs = ablate(&head, &[2, 5], &x, &Labels::Classes(y), &[Metric::Accuracy]).unwrap();
        assert_eq!(rs.len(), 4);
        assert_eq!(rs[0].kept, vec![2, 5]);
        assert!(rs[0].scores[0] > 0.95, "{rs:?}");
        let only2 = rs.iter().find(|r| r.kept == [2]).unwrap();
        assert!(only2.scores[0] > 0.95);
        let only5 = rs.iter().find(|r| r.kept == [5]).unwrap();
        assert!(only5.scores[0] < 0.75, "{only5:?}");
        assert!(rs[3].kept.is_empty() && rs[3].zeroed == [2, 5]);
    }
}
