//! Mutation tests of the checkpoint readers (issue 14, item 1): `model.safetensors` with
//! `config.json` through `load_model_dir` (as every stage loads a model), and the header-only
//! `weights::tensor_names`. Each mutant loads cleanly or gives an error naming the file; never
//! a panic, a hang or an oversized allocation (see `fewdims_mutants`). `FEWDIMS_MUTANTS=N` runs
//! N per kind.

use std::collections::HashMap;
use std::path::Path;

use fewdims_backend::{Backend, DeviceArgs};
use fewdims_bert::weights::{TensorMap, tensor_names};
use fewdims_bert::{BertConfig, BertError, load_model_dir, save_model_dir};
use fewdims_mutants::{Bytes, bounded, count, json_mutant, run, safetensors_boundaries};

/// Mutants in CI.
const CI: usize = 400;

/// A very small checkpoint (hidden 8, one layer, a pooler and a head tensor), so most edits
/// land in the header.
fn checkpoint() -> (Vec<u8>, Vec<u8>) {
    let device = DeviceArgs::new(Backend::Flex, "cpu")
        .select()
        .unwrap()
        .device;
    let config: BertConfig = serde_json::from_value(serde_json::json!({
        "vocab_size": 12, "hidden_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2,
        "intermediate_size": 16, "max_position_embeddings": 10, "architectures": ["BertModel"],
    }))
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let head = TensorMap::from([("head.out_proj.bias".to_string(), (vec![2], vec![0.5, -0.5]))]);
    let meta = HashMap::from([("fewdims.task".to_string(), "movie".to_string())]);
    save_model_dir(
        dir.path(),
        &config,
        &config.init(true, &device),
        &head,
        meta,
    )
    .unwrap();
    let read = |f: &str| std::fs::read(dir.path().join(f)).unwrap();
    (read("model.safetensors"), read("config.json"))
}

#[test]
fn model_dir() {
    bounded("mutants::model_dir", || {
        let (weights, config) = checkpoint();
        let hlen = u64::from_le_bytes(weights[..8].try_into().unwrap()) as usize;
        let plan = Bytes::new(&weights)
            .boundaries(&safetensors_boundaries(&weights))
            .hot(0..8 + hlen);
        let config_plan = Bytes::new(&config);
        let strings: Vec<String> = [
            "bert.embeddings.word_embeddings.weight",
            "pooler.dense.weight",
            "encoder.layer.0.output.LayerNorm.gamma",
            "encoder.layer.1.output.dense.weight",
            "cls.predictions.bias",
            "embeddings.position_ids",
            "format",
            "pt",
            "gelu",
            "relu",
            "absolute",
            "bert",
            "roberta",
            "vocab_size",
            "hidden_size",
            "num_hidden_layers",
            "intermediate_size",
            "max_position_embeddings",
            "type_vocab_size",
            "is_decoder",
        ]
        .map(String::from)
        .to_vec();
        let n = count(CI);
        let device = DeviceArgs::new(Backend::Flex, "cpu")
            .select()
            .unwrap()
            .device;
        run(
            "model_dir",
            n,
            &[
                ("model.safetensors", weights.clone()),
                ("config.json", config.clone()),
            ],
            |i, name, orig, rng| match (name, i % 2) {
                ("config.json", 0) => config_plan.mutant(i / 2, n / 2, rng),
                ("config.json", _) => json_mutant(orig, rng, &strings),
                (_, 0) => plan.mutant(i / 2, n / 2, rng),
                _ => fewdims_mutants::safetensors_mutant(orig, rng, &strings),
            },
            move |dir: &Path| {
                // The header-only reader first: it must hold up on every mutant too.
                let names = tensor_names(&dir.join("model.safetensors"));
                let loaded = load_model_dir(dir, &device)?;
                assert_eq!(loaded.model.layers.len(), loaded.config.num_hidden_layers);
                names.map(drop).map_err(BertError::from)
            },
        );
    });
}
