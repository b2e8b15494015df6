//! Token readouts read on the host, for CPU devices: each layer's states are copied out once and
//! every readout (and the per-token states) comes from one pass over each item's real tokens.
//! On a CPU this replaces the device path's stacking of all layers and its masked elementwise
//! passes (measured ~10% of extraction on movie); GPUs keep the device path.

use fewdims_schema::vocab::Token;

/// One batch's layers, read into per-readout rows `[B, layers·H]` and optional per-token states
/// `[sum(lens), layers, H]`.
pub(super) struct HostReadouts<'a> {
    tokens: &'a [Token],
    lens: &'a [usize],
    layers: usize,
    h: usize,
    /// One `[B, layers·H]` buffer per entry of `tokens`.
    pub outs: Vec<Vec<f32>>,
    /// With per-token states: `[sum(lens), layers, H]`.
    pub states: Option<Vec<f32>>,
}

impl<'a> HostReadouts<'a> {
    /// `tokens` must not hold `Token::Pooler` (read from the pooler output instead).
    pub fn new(
        tokens: &'a [Token],
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
                    Token::Cls => dst.copy_from_slice(token(0)),
                    Token::Pos(n) => dst.copy_from_slice(token((n as usize).min(len - 1))),
                    Token::MaxNorm => dst.copy_from_slice(token(max_norm(item, h))),
                    Token::Mean => {
                        dst.fill(0.0);
                        for t in item.chunks_exact(h) {
                            dst.iter_mut().zip(t).for_each(|(d, &x)| *d += x);
                        }
                        dst.iter_mut().for_each(|d| *d /= len as f32);
                    }
                    Token::Pooler => unreachable!("the pooler is read from the pooler output"),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_readout_from_real_tokens_only() {
        // B = 2, S = 3, H = 2; item 0 has 3 tokens, item 1 has 2 (its third row is padding).
        let states = [
            1.0, 0.0, 0.0, 3.0, 2.0, 2.0, // item 0: norms 1, 9, 8
            5.0, 5.0, 1.0, -1.0, 100.0, 100.0, // item 1: norms 50, 2; padding 20000
        ];
        let tokens = [Token::Cls, Token::Mean, Token::MaxNorm, Token::Pos(2)];
        let lens = [3, 2];
        let mut r = HostReadouts::new(&tokens, &lens, 2, 2, true);
        r.add_layer(1, &states, 3);
        let layer1 = |i: usize, k: usize| r.outs[i][k * 4 + 2..k * 4 + 4].to_vec();
        assert_eq!(layer1(0, 0), [1.0, 0.0]);
        assert_eq!(layer1(0, 1), [5.0, 5.0]);
        assert_eq!(layer1(1, 0), [1.0, 5.0 / 3.0]);
        assert_eq!(layer1(1, 1), [3.0, 2.0]);
        assert_eq!(layer1(2, 0), [0.0, 3.0]);
        assert_eq!(layer1(2, 1), [5.0, 5.0]);
        assert_eq!(layer1(3, 0), [2.0, 2.0]);
        assert_eq!(
            layer1(3, 1),
            [1.0, -1.0],
            "pos:2 of a 2-token item is its last token"
        );
        assert!(
            r.outs.iter().all(|o| o[..2] == [0.0, 0.0]),
            "layer 0 untouched"
        );
        let kept = r.states.unwrap();
        // [5 tokens, 2 layers, 2]: layer 1 of token 3 (item 1's first) is [5, 5].
        assert_eq!(kept[3 * 4 + 2..3 * 4 + 4], [5.0, 5.0]);
        assert_eq!(kept.len(), 5 * 2 * 2);
    }
}
