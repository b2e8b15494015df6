//! The paper's ablation of a fine-tuned head, with no refit: the head was trained on a few
//! selected dims of the readout (the others zeroed); here every subset of those dims is zeroed
//! too, and the head's own predictions are scored (3 dims -> each pair -> each single -> none).
//!
//! [`ablate`] takes a linear head (`--head linear`, 1 FC); [`ablate_head`] also takes the `mlp`
//! head (FC + tanh + FC): its hidden layer sees the same zeroed input, so the subsets mean the same.

mod run_head;
mod stage;

pub use run_head::RunHead;
pub use stage::{AblateConfig, AblateOutcome, ablate_run};

use fewdims_schema::hidden::Labels;
use rayon::prelude::*;

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

/// A fine-tuned head as `finetune` builds it: `out_proj(x)` (`linear`), or
/// `out_proj(tanh(dense(x)))` (`mlp`). `dense` maps `[hidden]` to `[dense.classes]`, which is
/// `out_proj.hidden`.
#[derive(Debug, Clone)]
pub struct FcHead {
    pub dense: Option<LinearHead>,
    pub out_proj: LinearHead,
}

impl FcHead {
    /// The width of the vector the head reads.
    pub fn hidden(&self) -> usize {
        self.dense.as_ref().unwrap_or(&self.out_proj).hidden
    }
    /// The number of outputs (classes; 1 for regression).
    pub fn outputs(&self) -> usize {
        self.out_proj.classes
    }
}

/// Scores with the dims `kept` of the selected ones (all others zeroed).
#[derive(Debug, Clone, PartialEq)]
pub struct AblateResult {
    pub kept: Vec<usize>,
    pub zeroed: Vec<usize>,
    /// One per metric.
    pub scores: Vec<f64>,
}

/// At most this many selected dims (2^16 subsets).
pub const MAX_ABLATE_DIMS: usize = 16;

/// Scores `head` on raw features `[n, hidden]` (row-major) with every subset of `dims` kept and
/// the rest of the vector zeroed, largest subsets first (the first row keeps all of `dims`, the
/// last keeps none: the head's bias alone). Subsets of the same size come in mask order, so the
/// rows of two splits line up.
pub fn ablate(
    head: &LinearHead,
    dims: &[usize],
    features: &[f32],
    labels: &Labels,
    metrics: &[Metric],
) -> Result<Vec<AblateResult>, ProbeError> {
    run(None, head, dims, features, labels, metrics)
}

/// [`ablate`] for a linear or an MLP head.
pub fn ablate_head(
    head: &FcHead,
    dims: &[usize],
    features: &[f32],
    labels: &Labels,
    metrics: &[Metric],
) -> Result<Vec<AblateResult>, ProbeError> {
    run(
        head.dense.as_ref(),
        &head.out_proj,
        dims,
        features,
        labels,
        metrics,
    )
}

fn check_linear(l: &LinearHead, what: &str) -> Result<(), ProbeError> {
    let (c, h) = (l.classes, l.hidden);
    if l.weight.len() != c * h || l.bias.len() != c || c == 0 {
        return Err(ProbeError::Invalid(format!(
            "ablate: {what} weight {} / bias {} do not fit [{c}, {h}]",
            l.weight.len(),
            l.bias.len()
        )));
    }
    Ok(())
}

fn run(
    dense: Option<&LinearHead>,
    out: &LinearHead,
    dims: &[usize],
    features: &[f32],
    labels: &Labels,
    metrics: &[Metric],
) -> Result<Vec<AblateResult>, ProbeError> {
    let c = out.classes;
    let h = dense.map_or(out.hidden, |d| d.hidden);
    let n = labels.len();
    let bad = |m: String| Err(ProbeError::Invalid(format!("ablate: {m}")));
    check_linear(out, "head")?;
    if let Some(d) = dense {
        check_linear(d, "dense layer")?;
        if d.classes != out.hidden {
            return bad(format!(
                "dense layer gives {} values, the output layer reads {}",
                d.classes, out.hidden
            ));
        }
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
    if dims.len() > MAX_ABLATE_DIMS {
        return bad(format!(
            "{} dims give too many subsets (at most {MAX_ABLATE_DIMS})",
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
    // The first layer reads the selected dims only: xs[i*k + j] = x[keep[i], dims[j]], and
    // cols[j*w + o] = W[o, dims[j]].
    let first = dense.unwrap_or(out);
    let (k, w) = (dims.len(), first.classes);
    let xs: Vec<f32> = keep
        .iter()
        .flat_map(|&i| dims.iter().map(move |&d| features[i * h + d]))
        .collect();
    let cols: Vec<f32> = dims
        .iter()
        .flat_map(|&d| (0..w).map(move |o| first.weight[o * h + d]))
        .collect();
    let mut masks: Vec<u32> = (0..1u32 << k).collect();
    masks.sort_by_key(|m| std::cmp::Reverse(m.count_ones()));
    let mut out_rows = vec![];
    let mut pre = vec![0f32; keep.len() * w];
    let mut logits = vec![0f32; keep.len() * c];
    for mask in masks {
        let on: Vec<usize> = (0..k).filter(|&j| mask >> j & 1 == 1).collect();
        pre.par_chunks_mut(w).enumerate().for_each(|(i, row)| {
            row.copy_from_slice(&first.bias);
            for &j in &on {
                let x = xs[i * k + j];
                row.iter_mut()
                    .zip(&cols[j * w..(j + 1) * w])
                    .for_each(|(r, wt)| *r += wt * x);
            }
        });
        let logits: &[f32] = match dense {
            None => &pre,
            Some(_) => {
                // out_proj(tanh(dense(x))), one item per task.
                logits
                    .par_chunks_mut(c)
                    .zip(pre.par_chunks(w))
                    .for_each(|(lo, z)| {
                        for (o, l) in lo.iter_mut().enumerate() {
                            let row = &out.weight[o * w..(o + 1) * w];
                            *l = out.bias[o]
                                + row.iter().zip(z).map(|(a, b)| a * b.tanh()).sum::<f32>();
                        }
                    });
                &logits
            }
        };
        let scores = match &target {
            Target::Scores(_) => metrics
                .iter()
                .map(|m| m.score(Pred::Scores(logits), &target))
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
        out_rows.push(AblateResult {
            kept: kept.into_iter().map(|j| dims[j]).collect(),
            zeroed: zeroed.into_iter().map(|j| dims[j]).collect(),
            scores,
        });
    }
    Ok(out_rows)
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

    #[test]
    fn mlp_head_matches_a_direct_forward() {
        // Label = sign of dim 1; dense unit 0 reads dim 1, unit 1 reads dim 4 (noise);
        // out_proj reads tanh of both.
        let (n, h, w) = (300usize, 6usize, 3usize);
        let x: Vec<f32> = (0..(n * h) as u64)
            .map(|i| {
                // splitmix64, uniform in [-1, 1]
                let mut z = (i + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z ^= z >> 31;
                (z % 2001) as f32 / 1000.0 - 1.0
            })
            .collect();
        let y: Vec<i64> = (0..n).map(|i| (x[i * h + 1] > 0.0) as i64).collect();
        let mut dw = vec![0f32; w * h];
        dw[h + 1] = 3.0; // unit 0 <- dim 1
        dw[h + 4] = 0.5; // unit 1 <- dim 4
        dw[2 * h] = 9.0; // dim 0 is never selected: zeroed
        let dense = LinearHead {
            weight: dw,
            bias: vec![0.0, 0.0, 0.1],
            classes: w,
            hidden: h,
        };
        let out_proj = LinearHead {
            weight: vec![-1.0, -0.1, 0.0, 1.0, 0.1, 0.0, 0.0, 0.0, -5.0],
            bias: vec![0.0, 0.0, 0.0],
            classes: 3,
            hidden: w,
        };
        let head = FcHead {
            dense: Some(dense.clone()),
            out_proj: out_proj.clone(),
        };
        assert_eq!((head.hidden(), head.outputs()), (h, 3));
        let labels = Labels::Classes(y.clone());
        let rs = ablate_head(&head, &[1, 4], &x, &labels, &[Metric::Accuracy]).unwrap();
        assert_eq!(rs.len(), 4);
        assert!(rs[0].scores[0] > 0.95, "{rs:?}");
        let only4 = rs.iter().find(|r| r.kept == [4]).unwrap();
        assert!(only4.scores[0] < 0.75, "{only4:?}");
        // Direct forward with dim 4 zeroed.
        let pred: Vec<u32> = (0..n)
            .map(|i| {
                let mut xi = vec![0f32; h];
                xi[1] = x[i * h + 1];
                let z: Vec<f32> = (0..w)
                    .map(|o| {
                        let s: f32 = (0..h).map(|d| dense.weight[o * h + d] * xi[d]).sum();
                        (s + dense.bias[o]).tanh()
                    })
                    .collect();
                let l: Vec<f32> = (0..3)
                    .map(|o| {
                        (0..w)
                            .map(|u| out_proj.weight[o * w + u] * z[u])
                            .sum::<f32>()
                    })
                    .collect();
                (1..3).fold(0, |b, o| if l[o] > l[b] { o } else { b }) as u32
            })
            .collect();
        let y32: Vec<u32> = y.iter().map(|&v| v as u32).collect();
        let only1 = rs.iter().find(|r| r.kept == [1]).unwrap();
        assert!((only1.scores[0] - crate::metrics::accuracy(&pred, &y32)).abs() < 1e-12);
        // Without a dense layer, ablate_head is ablate.
        let lin = FcHead {
            dense: None,
            out_proj: LinearHead {
                weight: dense.weight.clone(),
                bias: dense.bias.clone(),
                classes: w,
                hidden: h,
            },
        };
        assert_eq!(
            ablate_head(&lin, &[1, 4], &x, &labels, &[Metric::Accuracy]).unwrap(),
            ablate(&lin.out_proj, &[1, 4], &x, &labels, &[Metric::Accuracy]).unwrap()
        );
    }
}
