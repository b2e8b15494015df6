//! Readouts: the one vector per sequence that a head reads (`--token` in DESIGN.md).

use burn::tensor::{Int, Tensor};
use fewdims_schema::vocab::Token;

/// Picks each sequence's readout vector from one layer's hidden states.
///
/// hidden: [B, S, H]; mask: [B, S] (1 = real token); pooled: [B, H] (only for `Token::Pooler`) → [B, H].
/// `pos:N` takes position N, or the last real token of a shorter sequence.
pub fn token_readout(
    hidden: Tensor<3>,
    mask: Tensor<2, Int>,
    token: Token,
    pooled: Option<Tensor<2>>,
) -> Tensor<2> {
    let [b, s, h] = hidden.dims();
    let gather_rows = |hidden: Tensor<3>, index: Tensor<2, Int>| -> Tensor<2> {
        // index: [B, 1] → [B, 1, H]
        let index = index.unsqueeze_dim::<3>(2).expand([b, 1, h]);
        hidden.gather(1, index).reshape([b, h])
    };
    match token {
        Token::Cls => hidden.slice([0..b, 0..1]).reshape([b, h]),
        Token::Mean => {
            let m = mask.float().unsqueeze_dim::<3>(2);
            (hidden * m.clone()).sum_dim(1).reshape([b, h]) / m.sum_dim(1).reshape([b, 1])
        }
        Token::MaxNorm => {
            let norms = hidden.clone().powf_scalar(2.0).sum_dim(2).reshape([b, s]);
            let padded = mask.equal_elem(0);
            let best = norms.mask_fill(padded, -1.0).argmax(1);
            gather_rows(hidden, best)
        }
        Token::Pos(n) => {
            let last = mask.sum_dim(1).sub_scalar(1);
            let index = last.clamp_max(n as i64);
            gather_rows(hidden, index)
        }
        Token::Pooler => pooled
            .expect("the pooler readout needs a checkpoint with a pooler (checked before use)"),
    }
}
