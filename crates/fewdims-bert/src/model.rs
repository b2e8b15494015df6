//! The BERT encoder: embeddings, L transformer layers, optional pooler.
//! Mirrors `transformers.models.bert.modeling_bert` (post-LayerNorm, exact GELU).

use burn::module::Module;
use burn::nn::{
    Dropout, DropoutConfig, Embedding, EmbeddingConfig, LayerNorm, LayerNormConfig, Linear,
    LinearConfig,
};
use burn::tensor::activation::{gelu, softmax};
use burn::tensor::module::linear;
use burn::tensor::{Bool, Device, Int, Tensor, TensorData};

use crate::BertConfig;
use crate::attention::{fused_mask, padded_attention};

/// Token ids, token types and attention mask of a padded batch, each [B, S].
#[derive(Clone, Debug)]
pub struct BertInput {
    pub input_ids: Tensor<2, Int>,
    pub token_type_ids: Tensor<2, Int>,
    pub attention_mask: Tensor<2, Int>,
    /// Whether any row is shorter than the batch (else attention needs no mask).
    pub padded: bool,
}

impl BertInput {
    /// Pads unpadded sequences (right-padding with `pad_id`) into a batch on `device`.
    pub fn from_sequences(ids: &[&[u32]], types: &[&[u8]], pad_id: u32, device: &Device) -> Self {
        assert_eq!(ids.len(), types.len(), "one token-type row per id row");
        let b = ids.len();
        let s = ids.iter().map(|r| r.len()).max().unwrap_or(0).max(1);
        let (mut input, mut tt, mut mask) = (
            vec![pad_id as i64; b * s],
            vec![0i64; b * s],
            vec![0i64; b * s],
        );
        for (row, (ids, types)) in ids.iter().zip(types).enumerate() {
            assert_eq!(
                ids.len(),
                types.len(),
                "row {row}: ids and token types differ in length"
            );
            for (j, (&id, &t)) in ids.iter().zip(types.iter()).enumerate() {
                input[row * s + j] = id as i64;
                tt[row * s + j] = t as i64;
                mask[row * s + j] = 1;
            }
        }
        let t = |v: Vec<i64>| Tensor::<2, Int>::from_data(TensorData::new(v, [b, s]), device);
        Self {
            input_ids: t(input),
            token_type_ids: t(tt),
            attention_mask: t(mask),
            padded: ids.iter().any(|r| r.len() < s),
        }
    }
}

/// Every hidden state of a forward pass.
#[derive(Clone, Debug)]
pub struct BertOutput {
    /// L+1 tensors of [B, S, H]: the embedding output, then each layer's output.
    pub hidden_states: Vec<Tensor<3>>,
    /// BERT's pooler, tanh(W h_CLS + b): [B, H]; `None` for a checkpoint without one.
    pub pooled: Option<Tensor<2>>,
}

/// Word, position and token-type embeddings, summed and layer-normed.
#[derive(Module, Debug)]
pub struct BertEmbeddings {
    pub word_embeddings: Embedding,
    pub position_embeddings: Embedding,
    pub token_type_embeddings: Embedding,
    pub layer_norm: LayerNorm,
    pub dropout: Dropout,
}

impl BertEmbeddings {
    /// ids, types: [B, S] → [B, S, H].
    pub fn forward(&self, input_ids: Tensor<2, Int>, token_type_ids: Tensor<2, Int>) -> Tensor<3> {
        let [b, s] = input_ids.dims();
        let device = input_ids.device();
        let positions = Tensor::<1, Int>::arange(0..s as i64, &device)
            .reshape([1, s])
            .expand([b, s]);
        let x = self.word_embeddings.forward(input_ids)
            + self.position_embeddings.forward(positions)
            + self.token_type_embeddings.forward(token_type_ids);
        self.dropout.forward(self.layer_norm.forward(x))
    }
}

/// Multi-head self-attention with its output projection, residual and LayerNorm.
#[derive(Module, Debug)]
pub struct BertAttention {
    pub query: Linear,
    pub key: Linear,
    pub value: Linear,
    pub output: Linear,
    pub layer_norm: LayerNorm,
    pub attention_dropout: Dropout,
    pub dropout: Dropout,
    pub num_heads: usize,
}

impl BertAttention {
    /// x: [B, S, H] → [B, S, H]. Off autodiff (inference) q, k and v come from one GEMM and the
    /// scores go through the backend's fused attention; with autodiff they are spelled out so
    /// attention dropout can apply.
    pub fn forward(&self, x: Tensor<3>, mask: &AttentionMask) -> Tensor<3> {
        let s = x.dims()[1];
        self.forward_first(x, mask, s)
    }

    /// The outputs of the first `q` positions alone, x: [B, S, H] → [B, q, H]: their queries
    /// attend over every key, and the rest of the layer runs on their q rows only. What a
    /// one-token readout of the top layer needs, at about a sixth of its cost for q = 1.
    pub fn forward_first(&self, x: Tensor<3>, mask: &AttentionMask, q: usize) -> Tensor<3> {
        let [b, s, h] = x.dims();
        let (nh, hd) = (self.num_heads, h / self.num_heads);
        let xq = if q == s {
            x.clone()
        } else {
            x.clone().slice([0..b, 0..q])
        };
        let context = if x.is_autodiff() {
            let heads = |t: Tensor<3>, n: usize| t.reshape([b, n, nh, hd]).swap_dims(1, 2);
            let queries = heads(self.query.forward(xq.clone()), q);
            let k = heads(self.key.forward(x.clone()), s);
            let v = heads(self.value.forward(x), s);
            let scores = queries
                .matmul(k.swap_dims(2, 3))
                .div_scalar((hd as f64).sqrt())
                + mask.bias.clone();
            let probs = self.attention_dropout.forward(softmax(scores, 3));
            probs.matmul(v)
        } else {
            let [queries, k, v] = self.fused_qkv(x);
            let context = padded_attention(queries, k, v, mask.fused.clone());
            if q == s {
                context
            } else {
                context.slice([0..b, 0..nh, 0..q])
            }
        };
        let context = context.swap_dims(1, 2).reshape([b, q, h]);
        let out = self.dropout.forward(self.output.forward(context));
        self.layer_norm.forward(out + xq)
    }

    /// x: [B, S, H] → q, k, v as [B, heads, S, H/heads], from one [H, 3H] GEMM.
    fn fused_qkv(&self, x: Tensor<3>) -> [Tensor<4>; 3] {
        let [b, s, h] = x.dims();
        let (nh, hd) = (self.num_heads, h / self.num_heads);
        let parts = [&self.query, &self.key, &self.value];
        let weight = Tensor::cat(parts.iter().map(|l| l.weight.val()).collect(), 1);
        let bias = parts
            .iter()
            .map(|l| l.bias.as_ref().map(|b| b.val()))
            .collect::<Option<Vec<_>>>()
            .map(|b| Tensor::cat(b, 0));
        // [B, S, 3H] → [3, B, heads, S, hd]
        let qkv = linear(x, weight, bias)
            .reshape([b, s, 3, nh, hd])
            .permute([2, 0, 3, 1, 4]);
        [0, 1, 2].map(|i| qkv.clone().narrow(0, i, 1).reshape([b, nh, s, hd]))
    }
}

/// The attention mask of a padded batch, in the form its attention path uses (built once per
/// forward pass, shared by every layer).
#[derive(Clone, Debug)]
pub struct AttentionMask {
    /// [B, 1, 1, S]: 0 where attended, f32::MIN at padding (as HF's eager attention); autodiff path.
    pub bias: Tensor<4>,
    /// [B, 1, 1, S]: the padding mask in the device's fused-attention convention; inference path.
    /// None when no row is padded.
    pub fused: Option<Tensor<4, Bool>>,
}

impl AttentionMask {
    /// mask: [B, S] of 0/1 (1 = real token); `padded`: whether any entry is 0.
    pub fn new(mask: Tensor<2, Int>, padded: bool) -> Self {
        let [b, s] = mask.dims();
        let padding = mask.equal_elem(0).reshape([b, 1, 1, s]);
        let bias = padding.clone().float().mul_scalar(f32::MIN);
        let fused = (padded && !padding.device().is_autodiff()).then(|| fused_mask(padding));
        Self { bias, fused }
    }
}

/// One transformer layer: attention, then the GELU feed-forward with residual and LayerNorm.
#[derive(Module, Debug)]
pub struct BertLayer {
    pub attention: BertAttention,
    pub intermediate: Linear,
    pub output: Linear,
    pub layer_norm: LayerNorm,
    pub dropout: Dropout,
}

impl BertLayer {
    /// x: [B, S, H] → [B, S, H].
    pub fn forward(&self, x: Tensor<3>, mask: &AttentionMask) -> Tensor<3> {
        let s = x.dims()[1];
        self.forward_first(x, mask, s)
    }

    /// The outputs of the first `q` positions alone: [B, S, H] → [B, q, H] (see
    /// [`BertAttention::forward_first`]).
    pub fn forward_first(&self, x: Tensor<3>, mask: &AttentionMask, q: usize) -> Tensor<3> {
        let attended = self.attention.forward_first(x, mask, q);
        let ff = self
            .output
            .forward(gelu(self.intermediate.forward(attended.clone())));
        self.layer_norm.forward(self.dropout.forward(ff) + attended)
    }
}

/// tanh(W h_CLS + b).
#[derive(Module, Debug)]
pub struct BertPooler {
    pub dense: Linear,
}

impl BertPooler {
    /// hidden: [B, S, H] → [B, H].
    pub fn forward(&self, hidden: Tensor<3>) -> Tensor<2> {
        let [b, _, h] = hidden.dims();
        self.dense
            .forward(hidden.slice([0..b, 0..1]).reshape([b, h]))
            .tanh()
    }
}

/// The BERT encoder (HF `BertModel`).
#[derive(Module, Debug)]
pub struct BertModel {
    pub embeddings: BertEmbeddings,
    pub layers: Vec<BertLayer>,
    pub pooler: Option<BertPooler>,
}

impl BertConfig {
    /// A randomly initialised model on `device`; `with_pooler` adds BERT's pooler.
    pub fn init(&self, with_pooler: bool, device: &Device) -> BertModel {
        let (h, eps) = (self.hidden_size, self.layer_norm_eps);
        let linear = |i, o| LinearConfig::new(i, o).init(device);
        let norm = || LayerNormConfig::new(h).with_epsilon(eps).init(device);
        let dropout = |p| DropoutConfig::new(p).init();
        let hidden_dropout = self.hidden_dropout_prob;
        let embeddings = BertEmbeddings {
            word_embeddings: EmbeddingConfig::new(self.vocab_size, h).init(device),
            position_embeddings: EmbeddingConfig::new(self.max_position_embeddings, h).init(device),
            token_type_embeddings: EmbeddingConfig::new(self.type_vocab_size, h).init(device),
            layer_norm: norm(),
            dropout: dropout(hidden_dropout),
        };
        let layers = (0..self.num_hidden_layers)
            .map(|_| BertLayer {
                attention: BertAttention {
                    query: linear(h, h),
                    key: linear(h, h),
                    value: linear(h, h),
                    output: linear(h, h),
                    layer_norm: norm(),
                    attention_dropout: dropout(self.attention_probs_dropout_prob),
                    dropout: dropout(hidden_dropout),
                    num_heads: self.num_attention_heads,
                },
                intermediate: linear(h, self.intermediate_size),
                output: linear(self.intermediate_size, h),
                layer_norm: norm(),
                dropout: dropout(hidden_dropout),
            })
            .collect();
        let pooler = with_pooler.then(|| BertPooler {
            dense: linear(h, h),
        });
        BertModel {
            embeddings,
            layers,
            pooler,
        }
    }
}

impl BertModel {
    /// Runs the encoder and returns every hidden state ([B, S, H] each, L+1 of them) and the pooler output.
    /// Dropout is active only on an autodiff device in training mode.
    pub fn forward(&self, input: BertInput) -> BertOutput {
        self.forward_upto(input, self.layers.len())
    }

    /// Like [`Self::forward`], but stops after hidden state `last` (0 = embeddings): `last + 1`
    /// hidden states; the pooler runs only when `last` is the top layer.
    pub fn forward_upto(&self, input: BertInput, last: usize) -> BertOutput {
        let last = last.min(self.layers.len());
        let (hidden_states, _) = self.hidden_upto(input, last);
        let pooled = (last == self.layers.len())
            .then(|| {
                let x = hidden_states
                    .last()
                    .expect("at least the embeddings")
                    .clone();
                self.pooler.as_ref().map(|p| p.forward(x))
            })
            .flatten();
        BertOutput {
            hidden_states,
            pooled,
        }
    }

    /// Hidden state `layer` (0 = embeddings) at position 0, [B, H]: equal to
    /// `forward_upto(input, layer).hidden_states[layer][:, 0]`, but that layer computes its
    /// queries, feed-forward and LayerNorms for position 0 alone (transformers computes every
    /// position and drops all but one for a CLS head).
    pub fn first_token_at(&self, input: BertInput, layer: usize) -> Tensor<2> {
        let layer = layer.min(self.layers.len());
        let (mut hidden, mask) = self.hidden_upto(input, layer.saturating_sub(1));
        let x = hidden.pop().expect("at least the embeddings");
        let [b, _, h] = x.dims();
        let first = match layer {
            0 => x.slice([0..b, 0..1]),
            _ => self.layers[layer - 1].forward_first(x, &mask, 1),
        };
        first.reshape([b, h])
    }

    /// The embeddings and layers 1..=`last` (`last` ≤ L): `last + 1` hidden states [B, S, H], and
    /// the attention mask they were computed with.
    fn hidden_upto(&self, input: BertInput, last: usize) -> (Vec<Tensor<3>>, AttentionMask) {
        let mask = AttentionMask::new(input.attention_mask, input.padded);
        let mut x = self
            .embeddings
            .forward(input.input_ids, input.token_type_ids);
        let mut hidden_states = Vec::with_capacity(last + 1);
        hidden_states.push(x.clone());
        for layer in &self.layers[..last] {
            x = layer.forward(x, &mask);
            hidden_states.push(x.clone());
        }
        (hidden_states, mask)
    }

    /// Number of transformer layers L.
    pub fn num_layers(&self) -> usize {
        self.layers.len()
    }

    /// Hidden size H.
    pub fn hidden_size(&self) -> usize {
        self.embeddings.word_embeddings.weight.dims()[1]
    }
}
