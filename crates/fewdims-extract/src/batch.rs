//! One batch through the model: every readout at every layer, copied to the host once.

use burn::tensor::{Int, Tensor};
use fewdims_bert::{BertInput, BertModel, HostReadouts, device_readouts, to_host};
use fewdims_data::TokenSplit;
use fewdims_schema::vocab::ReadoutKind;

/// One batch's results: per readout `[B, width]` (`width` = (L+1)·H, or H for the pooler), and
/// with `tokens` the real tokens' states `[sum(len), L+1, H]`.
pub(super) struct BatchOut {
    pub readouts: Vec<Vec<f32>>,
    pub tokens: Option<Vec<f32>>,
}

/// Runs the model on `rows` of `split` and reads every readout at every layer. `on_host`: read
/// the token readouts on the host from each layer's states (CPU devices), else on the device.
pub(super) fn run_batch(
    model: &BertModel,
    split: &TokenSplit,
    rows: &[usize],
    readouts: &[ReadoutKind],
    pad_id: u32,
    tokens: bool,
    on_host: bool,
) -> BatchOut {
    let device = model.embeddings.word_embeddings.weight.device();
    let lens: Vec<usize> = rows.iter().map(|&i| split.row(i).0.len()).collect();
    let input = BertInput::from_rows(rows, |i| split.row(i), pad_id, &device);
    let mask: Tensor<2, Int> = input.attention_mask.clone();
    let out = model.forward(input);
    let mut pooled = readouts
        .contains(&ReadoutKind::Pooler)
        .then(|| to_host(out.pooled.clone().expect("pooler checked before the run")));
    let kinds: Vec<ReadoutKind> = readouts
        .iter()
        .copied()
        .filter(|&t| t != ReadoutKind::Pooler)
        .collect();
    let (outs, tokens) = if on_host {
        let [_, s, h] = out.hidden_states[0].dims();
        let mut host = HostReadouts::new(&kinds, &lens, out.hidden_states.len(), h, tokens);
        for (l, states) in out.hidden_states.into_iter().enumerate() {
            host.add_layer(l, &to_host(states), s);
        }
        (host.outs, host.states)
    } else {
        device_readouts(out.hidden_states, mask, &kinds, &lens, tokens)
    };
    let mut outs = outs.into_iter();
    let readouts = readouts
        .iter()
        .map(|&t| match t {
            ReadoutKind::Pooler => pooled.take().expect("one pooler readout"),
            _ => outs.next().expect("one buffer per token readout"),
        })
        .collect();
    BatchOut { readouts, tokens }
}
