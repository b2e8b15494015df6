//! What a hidden-state file holds: the batch views a writer takes, and the tensors and their
//! byte ranges that a file of N items has.

use safetensors::Dtype;
use safetensors::tensor::TensorInfo;

use super::{
    HiddenMeta, TENSOR_IDX, TENSOR_LABEL, TENSOR_OFFSETS, TENSOR_TOKENS, TaskKind, readout_layers,
};

/// Labels of one batch.
#[derive(Debug, Clone, Copy)]
pub enum LabelSlice<'a> {
    Classes(&'a [i64]),
    Scores(&'a [f32]),
}

impl LabelSlice<'_> {
    pub(super) fn len(&self) -> usize {
        match self {
            LabelSlice::Classes(v) => v.len(),
            LabelSlice::Scores(v) => v.len(),
        }
    }
}

/// Per-token states of one batch: `lens[i]` real tokens of item i, `data` `[sum(lens), L+1, H]`.
#[derive(Debug, Clone, Copy)]
pub struct TokenBatch<'a> {
    pub lens: &'a [usize],
    pub data: &'a [f32],
}

/// B items: consecutive ones for [`HiddenWriter::push`], any rows for [`HiddenWriter::write_rows`].
#[derive(Debug, Clone, Copy)]
pub struct HiddenBatch<'a> {
    /// One slice per readout, in `meta.readouts` order, each `[B, readout_layers, H]`.
    pub readouts: &'a [&'a [f32]],
    pub labels: LabelSlice<'a>,
    pub idx: &'a [u32],
    /// Required iff the writer was created with a token count.
    pub tokens: Option<TokenBatch<'a>>,
}

/// The tensors of a file of `n` items (and `tokens` token rows) and their byte ranges, in
/// file order.
pub(super) fn tensor_infos(
    meta: &HiddenMeta,
    n: usize,
    tokens: Option<usize>,
) -> Vec<(String, TensorInfo)> {
    let (l, h) = (meta.layers(), meta.hidden_size);
    let mut specs: Vec<(String, Dtype, Vec<usize>, usize)> = meta
        .readouts
        .iter()
        .map(|r| (r.clone(), Dtype::F32, vec![n, readout_layers(r, l), h], 4))
        .collect();
    let label_dtype = if meta.kind == TaskKind::Classification {
        Dtype::I64
    } else {
        Dtype::F32
    };
    let label_size = if meta.kind == TaskKind::Classification {
        8
    } else {
        4
    };
    specs.push((TENSOR_LABEL.into(), label_dtype, vec![n], label_size));
    specs.push((TENSOR_IDX.into(), Dtype::U32, vec![n], 4));
    if let Some(t) = tokens {
        specs.push((TENSOR_TOKENS.into(), Dtype::F32, vec![t, l, h], 4));
        specs.push((TENSOR_OFFSETS.into(), Dtype::U64, vec![n + 1], 8));
    }
    let mut off = 0;
    specs
        .into_iter()
        .map(|(name, dtype, shape, size)| {
            let len = shape.iter().product::<usize>() * size;
            let info = TensorInfo {
                dtype,
                shape,
                data_offsets: (off, off + len),
            };
            off += len;
            (name, info)
        })
        .collect()
}
