//! One batch through the model: every readout at every layer, copied to the host once.

use burn::tensor::{Int, Tensor};
use fewdims_bert::{BertInput, BertModel, token_readout};
use fewdims_data::TokenSplit;
use fewdims_schema::vocab::Token;

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

/// Runs the model on `rows` of `split` and reads every readout at every layer.
pub(super) fn run_batch(
    model: &BertModel,
    split: &TokenSplit,
    rows: &[usize],
    readouts: &[Token],
    pad_id: u32,
    tokens: bool,
) -> BatchOut {
    let device = model.embeddings.word_embeddings.weight.device();
    let pairs: Vec<(&[u32], &[u8])> = rows.iter().map(|&i| split.row(i)).collect();
    let ids: Vec<&[u32]> = pairs.iter().map(|r| r.0).collect();
    let types: Vec<&[u8]> = pairs.iter().map(|r| r.1).collect();
    let input = BertInput::from_sequences(&ids, &types, pad_id, &device);
    let mask: Tensor<2, Int> = input.attention_mask.clone();
    let out = model.forward(input);
    let layers = out.hidden_states.len();
    let [b, s, h] = out.hidden_states[0].dims();
    // Layer-major stack: rows l*B..(l+1)*B are layer l.
    let stacked = Tensor::cat(out.hidden_states, 0);
    let masks = mask.repeat_dim(0, layers);
    let token_reads: Vec<Tensor<2>> = readouts
        .iter()
        .filter(|&&t| t != Token::Pooler)
        .map(|&t| token_readout(stacked.clone(), masks.clone(), t, None))
        .collect();
    let r = token_reads.len();
    // [R, L+1, B, H] → [B, R, L+1, H]: one copy to the host for every token readout.
    let host = (r > 0).then(|| {
        to_vec(
            Tensor::stack::<3>(token_reads, 0)
                .reshape([r, layers, b, h])
                .permute([2, 0, 1, 3]),
        )
    });
    let mut pooled = readouts
        .contains(&Token::Pooler)
        .then(|| to_vec(out.pooled.clone().expect("pooler checked before the run")));
    let row = layers * h;
    let mut next = 0;
    let readouts = readouts
        .iter()
        .map(|&t| {
            if t == Token::Pooler {
                return pooled.take().expect("one pooler readout");
            }
            let host = host.as_ref().expect("token readouts were computed");
            let mut v = Vec::with_capacity(b * row);
            for k in 0..b {
                let at = (k * r + next) * row;
                v.extend_from_slice(&host[at..at + row]);
            }
            next += 1;
            v
        })
        .collect();
    let tokens = tokens.then(|| {
        // [L+1, B, S, H] → [B, S, L+1, H], then keep each item's real tokens.
        let all = to_vec(stacked.reshape([layers, b * s, h]).swap_dims(0, 1));
        let mut kept = Vec::new();
        for (j, ids) in ids.iter().enumerate() {
            kept.extend_from_slice(&all[j * s * row..(j * s + ids.len()) * row]);
        }
        kept
    });
    BatchOut { readouts, tokens }
}
