//! The Hugging Face `config.json` of a BERT checkpoint, with HF's own field names.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::BertError;

/// A BERT `config.json`. Field names are Hugging Face's, so the file round-trips unchanged
/// (unknown fields are kept in `extra`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BertConfig {
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub intermediate_size: usize,
    #[serde(default = "default_act")]
    pub hidden_act: String,
    #[serde(default = "default_dropout")]
    pub hidden_dropout_prob: f64,
    #[serde(default = "default_dropout")]
    pub attention_probs_dropout_prob: f64,
    #[serde(default = "default_max_pos")]
    pub max_position_embeddings: usize,
    #[serde(default = "default_type_vocab")]
    pub type_vocab_size: usize,
    #[serde(default = "default_eps")]
    pub layer_norm_eps: f64,
    #[serde(default)]
    pub pad_token_id: usize,
    #[serde(default = "default_pos_type")]
    pub position_embedding_type: String,
    #[serde(default = "default_model_type")]
    pub model_type: String,
    /// Every other field of the file, kept for the round trip.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

fn default_act() -> String {
    "gelu".into()
}
fn default_dropout() -> f64 {
    0.1
}
fn default_max_pos() -> usize {
    512
}
fn default_type_vocab() -> usize {
    2
}
fn default_eps() -> f64 {
    1e-12
}
fn default_pos_type() -> String {
    "absolute".into()
}
fn default_model_type() -> String {
    "bert".into()
}

impl BertConfig {
    /// `initializer_range` of config.json (HF's default 0.02): the std of HF's `_init_weights`.
    pub fn initializer_range(&self) -> f64 {
        self.extra
            .get("initializer_range")
            .and_then(|v| v.as_f64())
            .unwrap_or(0.02)
    }

    /// Reads and validates `config.json`.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, BertError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| BertError::Io {
            path: path.into(),
            source,
        })?;
        let config: BertConfig = serde_json::from_str(&text).map_err(|e| BertError::Config {
            path: path.into(),
            reason: e.to_string(),
        })?;
        config.validate().map_err(|reason| BertError::Config {
            path: path.into(),
            reason,
        })?;
        Ok(config)
    }

    /// Refuses what this port does not implement, naming the field.
    pub fn validate(&self) -> Result<(), String> {
        if !matches!(self.model_type.as_str(), "bert") {
            return Err(format!(
                "model_type is {:?}; only \"bert\" is implemented",
                self.model_type
            ));
        }
        if self.hidden_act != "gelu" {
            return Err(format!(
                "hidden_act is {:?}; only \"gelu\" (exact, erf-based) is implemented",
                self.hidden_act
            ));
        }
        if self.position_embedding_type != "absolute" {
            return Err(format!(
                "position_embedding_type is {:?}; only \"absolute\" is implemented",
                self.position_embedding_type
            ));
        }
        for (name, size) in [
            ("vocab_size", self.vocab_size),
            ("hidden_size", self.hidden_size),
            ("intermediate_size", self.intermediate_size),
            ("max_position_embeddings", self.max_position_embeddings),
            ("type_vocab_size", self.type_vocab_size),
        ] {
            if size == 0 {
                return Err(format!("{name} is 0; expected a positive size"));
            }
        }
        if self.num_attention_heads == 0
            || !self.hidden_size.is_multiple_of(self.num_attention_heads)
        {
            return Err(format!(
                "hidden_size {} is not a multiple of num_attention_heads {}",
                self.hidden_size, self.num_attention_heads
            ));
        }
        if self.extra.get("is_decoder").and_then(|v| v.as_bool()) == Some(true) {
            return Err("is_decoder is true; only the encoder is implemented".into());
        }
        for (name, p) in [
            ("hidden_dropout_prob", self.hidden_dropout_prob),
            (
                "attention_probs_dropout_prob",
                self.attention_probs_dropout_prob,
            ),
        ] {
            if !(0.0..1.0).contains(&p) {
                return Err(format!("{name} is {p}; expected a probability in [0, 1)"));
            }
        }
        Ok(())
    }

    /// How many floats the encoder's parameters take (pooler included when `with_pooler`),
    /// `None` past `usize`. A loader compares it with the checkpoint before allocating, so a
    /// config with a huge size fails on its numbers instead of on an allocation.
    pub fn parameter_count(&self, with_pooler: bool) -> Option<usize> {
        let (h, i) = (self.hidden_size, self.intermediate_size);
        let linear = |o: usize, i: usize| o.checked_mul(i)?.checked_add(o);
        let norm = h.checked_mul(2)?;
        let layer = [
            linear(h, h)?.checked_mul(4)?,
            norm,
            linear(i, h)?,
            linear(h, i)?,
            norm,
        ]
        .into_iter()
        .try_fold(0usize, usize::checked_add)?;
        let rows = self
            .vocab_size
            .checked_add(self.max_position_embeddings)?
            .checked_add(self.type_vocab_size)?;
        let pooler = if with_pooler { linear(h, h)? } else { 0 };
        rows.checked_mul(h)?
            .checked_add(norm)?
            .checked_add(layer.checked_mul(self.num_hidden_layers)?)?
            .checked_add(pooler)
    }

    /// Head size: `hidden_size / num_attention_heads`.
    pub fn head_dim(&self) -> usize {
        self.hidden_size / self.num_attention_heads
    }

    /// The JSON text of this config, HF field names.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a config always serializes")
    }

    /// A tiny random-weight config for tests and fixtures.
    pub fn tiny(vocab_size: usize) -> Self {
        serde_json::from_value(serde_json::json!({
            "vocab_size": vocab_size, "hidden_size": 32, "num_hidden_layers": 2,
            "num_attention_heads": 4, "intermediate_size": 64, "max_position_embeddings": 128,
            "architectures": ["BertModel"],
        }))
        .expect("valid tiny config")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> serde_json::Value {
        serde_json::json!({"vocab_size": 10, "hidden_size": 8, "num_hidden_layers": 1,
            "num_attention_heads": 2, "intermediate_size": 16, "some_hf_field": [1, 2]})
    }

    #[test]
    fn keeps_unknown_fields_and_defaults() {
        let c: BertConfig = serde_json::from_value(base()).unwrap();
        assert_eq!(c.layer_norm_eps, 1e-12);
        assert_eq!(c.hidden_act, "gelu");
        let back: serde_json::Value = serde_json::from_str(&c.to_json()).unwrap();
        assert_eq!(back["some_hf_field"], serde_json::json!([1, 2]));
        assert!(c.validate().is_ok());
    }

    #[test]
    fn refuses_unimplemented_options() {
        for (field, value, needle) in [
            (
                "position_embedding_type",
                "relative_key",
                "position_embedding_type",
            ),
            ("hidden_act", "relu", "hidden_act"),
            ("model_type", "roberta", "model_type"),
        ] {
            let mut v = base();
            v[field] = serde_json::json!(value);
            let c: BertConfig = serde_json::from_value(v).unwrap();
            let err = c.validate().unwrap_err();
            assert!(err.contains(needle), "{err}");
        }
        let mut v = base();
        v["num_attention_heads"] = serde_json::json!(3);
        let c: BertConfig = serde_json::from_value(v).unwrap();
        assert!(c.validate().unwrap_err().contains("multiple"));
    }
}
