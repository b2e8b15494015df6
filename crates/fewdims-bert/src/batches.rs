//! The batched forward passes of inference (eval, extraction, cross scoring): rows sorted by
//! length and cut into batches ([`eval_batches`]), each padded into one [`BertInput`]
//! ([`BertInput::from_rows`]), and per-row outputs put back in row order ([`eval_in_batches`]).

use burn::tensor::Device;

use crate::BertInput;

/// Evaluation batches: rows sorted by length (least padding); callers put outputs back by index.
pub fn eval_batches(lengths: &[usize], batch_size: usize) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..lengths.len()).collect();
    order.sort_by_key(|&i| lengths[i]);
    order.chunks(batch_size).map(|c| c.to_vec()).collect()
}

/// Runs `f` on every evaluation batch of rows and gathers its outputs, `width` values per row
/// (`f` returns `[rows.len() * width]`, row-major), into row order: `[lengths.len() * width]`.
pub fn eval_in_batches<T: Clone + Default>(
    lengths: &[usize],
    batch_size: usize,
    width: usize,
    mut f: impl FnMut(&[usize]) -> Vec<T>,
) -> Vec<T> {
    let mut out = vec![T::default(); lengths.len() * width];
    for batch in eval_batches(lengths, batch_size) {
        let values = f(&batch);
        assert_eq!(
            values.len(),
            batch.len() * width,
            "one output row per input row"
        );
        for (&i, v) in batch.iter().zip(values.chunks_exact(width.max(1))) {
            out[i * width..(i + 1) * width].clone_from_slice(v);
        }
    }
    out
}

impl BertInput {
    /// One padded batch of `rows`, where `row(i)` gives row i's token ids and token types.
    pub fn from_rows<'a>(
        rows: &[usize],
        row: impl Fn(usize) -> (&'a [u32], &'a [u8]),
        pad_id: u32,
        device: &Device,
    ) -> Self {
        let pairs: Vec<(&[u32], &[u8])> = rows.iter().map(|&i| row(i)).collect();
        let ids: Vec<&[u32]> = pairs.iter().map(|r| r.0).collect();
        let types: Vec<&[u8]> = pairs.iter().map(|r| r.1).collect();
        BertInput::from_sequences(&ids, &types, pad_id, device)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_by_length_every_row_once() {
        let b = eval_batches(&[5, 1, 3, 1, 9], 2);
        assert_eq!(b, vec![vec![1, 3], vec![2, 0], vec![4]]);
    }

    #[test]
    fn outputs_come_back_in_row_order() {
        let lengths = [5, 1, 3, 1, 9];
        // Each row's output is (its length, its length * 10): width 2.
        let out = eval_in_batches(&lengths, 2, 2, |rows| {
            rows.iter()
                .flat_map(|&i| [lengths[i], lengths[i] * 10])
                .collect()
        });
        assert_eq!(out, vec![5, 50, 1, 10, 3, 30, 1, 10, 9, 90]);
    }
}
