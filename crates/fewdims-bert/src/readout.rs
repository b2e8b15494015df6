//! Readouts: the one vector per sequence that a head or a probe reads (`--token`; the kinds are
//! the table `fewdims_schema::readout_kind`). Two paths side by side: on the device
//! ([`token_readout`], [`device_readouts`]; training, eval, GPUs) and on the host
//! ([`HostReadouts`]; extraction on CPU devices, one pass over each item's real tokens). A new
//! kind needs both, and a case in `tests/it/readout.rs`.

use burn::tensor::{Int, Tensor};

use crate::{BertInput, BertModel};
use fewdims_schema::vocab::ReadoutKind;

/// The position each sequence's readout reads, where it reads one token: 0 for `cls`, the
/// largest-norm real token for `max-norm`, N (or the last real token) for `pos:N`; `None` for
/// `mean` and `pooler`.
///
/// hidden: [B, S, H]; mask: [B, S] (1 = real token) → [B, 1].
pub fn token_position(
    hidden: &Tensor<3>,
    mask: &Tensor<2, Int>,
    token: ReadoutKind,
) -> Option<Tensor<2, Int>> {
    let [b, s, _] = hidden.dims();
    match token {
        ReadoutKind::Cls => Some(mask.clone().slice([0..b, 0..1]).zeros_like()),
        ReadoutKind::MaxNorm => {
            let norms = hidden.clone().powf_scalar(2.0).sum_dim(2).reshape([b, s]);
            let padded = mask.clone().equal_elem(0);
            Some(norms.mask_fill(padded, -1.0).argmax(1))
        }
        ReadoutKind::Pos(n) => {
            let last = mask.clone().sum_dim(1).sub_scalar(1);
            Some(last.clamp_max(n as i64))
        }
        ReadoutKind::Mean | ReadoutKind::Pooler => None,
    }
}

/// Picks each sequence's readout vector from one layer's hidden states.
///
/// hidden: [B, S, H]; mask: [B, S] (1 = real token); pooled: [B, H] (only for `ReadoutKind::Pooler`) → [B, H].
/// `pos:N` takes position N, or the last real token of a shorter sequence.
pub fn token_readout(
    hidden: Tensor<3>,
    mask: Tensor<2, Int>,
    token: ReadoutKind,
    pooled: Option<Tensor<2>>,
) -> Tensor<2> {
    let [b, _, h] = hidden.dims();
    match token {
        ReadoutKind::Cls => hidden.slice([0..b, 0..1]).reshape([b, h]),
        ReadoutKind::Mean => {
            let m = mask.float().unsqueeze_dim::<3>(2);
            (hidden * m.clone()).sum_dim(1).reshape([b, h]) / m.sum_dim(1).reshape([b, 1])
        }
        ReadoutKind::MaxNorm | ReadoutKind::Pos(_) => {
            let index = token_position(&hidden, &mask, token).expect("a one-token readout");
            // index: [B, 1] → [B, 1, H]
            let index = index.unsqueeze_dim::<3>(2).expand([b, 1, h]);
            hidden.gather(1, index).reshape([b, h])
        }
        ReadoutKind::Pooler => pooled
            .expect("the pooler readout needs a checkpoint with a pooler (checked before use)"),
    }
}

/// Where a head reads: hidden layer index (0 = embeddings) and token.
#[derive(Clone, Copy, Debug)]
pub struct Readout {
    pub layer: usize,
    pub token: ReadoutKind,
}

/// The readout vector [B, H] of a batch.
pub fn readout_vector(encoder: &BertModel, readout: Readout, input: BertInput) -> Tensor<2> {
    if readout.token == ReadoutKind::Cls {
        return encoder.first_token_at(input, readout.layer);
    }
    let mask = input.attention_mask.clone();
    let out = encoder.forward_upto(input, readout.layer);
    let hidden = out
        .hidden_states
        .into_iter()
        .last()
        .expect("at least the embeddings");
    token_readout(hidden, mask, readout.token, out.pooled)
}

/// The readout vector [B, H] of a batch and the position it read, [B, 1] (see [`token_position`]).
pub fn readout_vector_and_position(
    encoder: &BertModel,
    readout: Readout,
    input: BertInput,
) -> (Tensor<2>, Option<Tensor<2, Int>>) {
    let mask = input.attention_mask.clone();
    let out = encoder.forward_upto(input, readout.layer);
    let hidden = out
        .hidden_states
        .into_iter()
        .last()
        .expect("at least the embeddings");
    let position = token_position(&hidden, &mask, readout.token);
    (
        token_readout(hidden, mask, readout.token, out.pooled),
        position,
    )
}

/// A tensor's values copied to the host, as f32.
pub fn to_host<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data()
        .try_into_vec_as::<f32>()
        .expect("f32 hidden states")
}

/// The device path of a batch's readouts at every layer (GPUs): all layers stacked, each readout
/// computed on the device, one copy to the host. Returns one `[B, (L+1)·H]` buffer per entry of `kinds`, and the per-token states.
pub fn device_readouts(
    hidden_states: Vec<Tensor<3>>,
    mask: Tensor<2, Int>,
    kinds: &[ReadoutKind],
    lens: &[usize],
    tokens: bool,
) -> (Vec<Vec<f32>>, Option<Vec<f32>>) {
    let layers = hidden_states.len();
    let [b, s, h] = hidden_states[0].dims();
    // Layer-major stack: rows l*B..(l+1)*B are layer l.
    let stacked = Tensor::cat(hidden_states, 0);
    let masks = mask.repeat_dim(0, layers);
    let reads: Vec<Tensor<2>> = kinds
        .iter()
        .map(|&t| token_readout(stacked.clone(), masks.clone(), t, None))
        .collect();
    let (r, row) = (reads.len(), layers * h);
    let mut outs = vec![Vec::with_capacity(b * row); r];
    if r > 0 {
        // [R, L+1, B, H] → [B, R, L+1, H]: one copy to the host for every token readout.
        let host = to_host(
            Tensor::stack::<3>(reads, 0)
                .reshape([r, layers, b, h])
                .permute([2, 0, 1, 3]),
        );
        for (k, item) in host.chunks_exact(r * row).enumerate().take(b) {
            for (i, out) in outs.iter_mut().enumerate() {
                debug_assert_eq!(out.len(), k * row);
                out.extend_from_slice(&item[i * row..(i + 1) * row]);
            }
        }
    }
    let tokens = tokens.then(|| {
        // [L+1, B, S, H] → [B, S, L+1, H], then keep each item's real tokens.
        let all = to_host(stacked.reshape([layers, b * s, h]).swap_dims(0, 1));
        let mut kept = Vec::new();
        for (j, &len) in lens.iter().enumerate() {
            kept.extend_from_slice(&all[j * s * row..(j * s + len) * row]);
        }
        kept
    });
    (outs, tokens)
}

/// Host readouts, for CPU devices: each layer's states are copied out once and every readout
/// (and the per-token states) comes from one pass over each item's real tokens. On a CPU this
/// replaces the device path's stacking of all layers and its masked elementwise passes
/// (measured ~10% of extraction on movie).
///
/// One batch's layers, read into per-readout rows `[B, layers·H]` and optional per-token states
/// `[sum(lens), layers, H]`.
pub struct HostReadouts<'a> {
    tokens: &'a [ReadoutKind],
    lens: &'a [usize],
    layers: usize,
    h: usize,
    /// One `[B, layers·H]` buffer per entry of `tokens`.
    pub outs: Vec<Vec<f32>>,
    /// With per-token states: `[sum(lens), layers, H]`.
    pub states: Option<Vec<f32>>,
}

impl<'a> HostReadouts<'a> {
    /// `tokens` must not hold `ReadoutKind::Pooler` (read from the pooler output instead).
    pub fn new(
        tokens: &'a [ReadoutKind],
        lens: &'a [usize],
        layers: usize,
        h: usize,
        keep: bool,
    ) -> Self {
        let b = lens.len();
        let total: usize = lens.iter().sum();
        Self {
            tokens,
            lens,
            layers,
            h,
            outs: tokens.iter().map(|_| vec![0f32; b * layers * h]).collect(),
            states: keep.then(|| vec![0f32; total * layers * h]),
        }
    }

    /// Reads layer `layer` from its states `[B, S, H]` (row-major, padded to `s`).
    pub fn add_layer(&mut self, layer: usize, states: &[f32], s: usize) {
        let (h, row) = (self.h, self.layers * self.h);
        let mut first = 0;
        for (k, &len) in self.lens.iter().enumerate() {
            let item = &states[k * s * h..(k * s + len) * h];
            let token = |t: usize| &item[t * h..(t + 1) * h];
            for (out, &kind) in self.outs.iter_mut().zip(self.tokens) {
                let dst = &mut out[k * row + layer * h..k * row + (layer + 1) * h];
                match kind {
                    ReadoutKind::Cls => dst.copy_from_slice(token(0)),
                    ReadoutKind::Pos(n) => dst.copy_from_slice(token((n as usize).min(len - 1))),
                    ReadoutKind::MaxNorm => dst.copy_from_slice(token(max_norm(item, h))),
                    ReadoutKind::Mean => {
                        dst.fill(0.0);
                        for t in item.chunks_exact(h) {
                            dst.iter_mut().zip(t).for_each(|(d, &x)| *d += x);
                        }
                        dst.iter_mut().for_each(|d| *d /= len as f32);
                    }
                    ReadoutKind::Pooler => {
                        unreachable!("the pooler is read from the pooler output")
                    }
                }
            }
            if let Some(kept) = self.states.as_mut() {
                for t in 0..len {
                    let at = (first + t) * row + layer * h;
                    kept[at..at + h].copy_from_slice(token(t));
                }
            }
            first += len;
        }
    }
}

/// The token with the largest L2 norm among `item`'s rows of `h` (the first on ties).
fn max_norm(item: &[f32], h: usize) -> usize {
    let mut best = (0, f32::NEG_INFINITY);
    for (t, row) in item.chunks_exact(h).enumerate() {
        let n: f32 = row.iter().map(|x| x * x).sum();
        if n > best.1 {
            best = (t, n);
        }
    }
    best.0
}
