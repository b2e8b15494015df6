//! One batch through the model: every readout at every layer, copied to the host once.

use burn::tensor::{Int, Tensor};
use fewdims_bert::{BertInput, BertModel, token_readout};
use fewdims_data::TokenSplit;
use fewdims_schema::vocab::Token;

use super::host::HostReadouts;

/// One batch's results: per readout `[B, width]` (`width` = (L+1)·H, or H for the pooler), and
/// with `tokens` the real tokens' states `[sum(len), L+1, H]`.
pub(super) struct BatchOut {
    pub readouts: Vec<Vec<f32>>,
    pub tokens: Option<Vec<f32>>,
}

fn to_vec<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data()
        .try_into_vec_as::<f32>()
        .expect("f32 hidden states")
}

/// Runs the model on `rows` of `split` and reads every readout at every layer. `on_host`: read
/// the token readouts on the host from each layer's states (CPU devices), else on the device.
pub(super) fn run_batch(
    model: &BertModel,
    split: &TokenSplit,
    rows: &[usize],
    readouts: &[Token],
    pad_id: u32,
    tokens: bool,
    on_host: bool,
) -> BatchOut {
    let device = model.embeddings.word_embeddings.weight.device();
    let pairs: Vec<(&[u32], &[u8])> = rows.iter().map(|&i| split.row(i)).collect();
    let ids: Vec<&[u32]> = pairs.iter().map(|r| r.0).collect();
    let types: Vec<&[u8]> = pairs.iter().map(|r| r.1).collect();
    let lens: Vec<usize> = ids.iter().map(|r| r.len()).collect();
    let input = BertInput::from_sequences(&ids, &types, pad_id, &device);
    let mask: Tensor<2, Int> = input.attention_mask.clone();
    let out = model.forward(input);
    let mut pooled = readouts
        .contains(&Token::Pooler)
        .then(|| to_vec(out.pooled.clone().expect("pooler checked before the run")));
    let kinds: Vec<Token> = readouts
        .iter()
        .copied()
        .filter(|&t| t != Token::Pooler)
        .collect();
    let (outs, tokens) = if on_host {
        let [_, s, h] = out.hidden_states[0].dims();
        let mut host = HostReadouts::new(&kinds, &lens, out.hidden_states.len(), h, tokens);
        for (l, states) in out.hidden_states.into_iter().enumerate() {
            host.add_layer(l, &to_vec(states), s);
        }
        (host.outs, host.states)
    } else {
        on_device(out.hidden_states, mask, &kinds, &lens, tokens)
    };
    let mut outs = outs.into_iter();
    let readouts = readouts
        .iter()
        .map(|&t| match t {
            Token::Pooler => pooled.take().expect("one pooler readout"),
            _ => outs.next().expect("one buffer per token readout"),
        })
        .collect();
    BatchOut { readouts, tokens }
}

/// The device path (GPUs): all layers stacked, each readout computed on the device, one copy to
/// the host. Returns one `[B, (L+1)·H]` buffer per entry of `kinds`, and the per-token states.
fn on_device(
    hidden_states: Vec<Tensor<3>>,
    mask: Tensor<2, Int>,
    kinds: &[Token],
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
        let host = to_vec(
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
        let all = to_vec(stacked.reshape([layers, b * s, h]).swap_dims(0, 1));
        let mut kept = Vec::new();
        for (j, &len) in lens.iter().enumerate() {
            kept.extend_from_slice(&all[j * s * row..(j * s + len) * row]);
        }
        kept
    });
    (outs, tokens)
}
