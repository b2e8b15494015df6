//! Loading and saving under Hugging Face names, on a tiny random model (flex).

use std::collections::HashMap;
use std::path::PathBuf;

use burn::tensor::Device;
use fewdims_backend::{Backend, DeviceArgs};
use fewdims_bert::weights::{model_from_tensors, model_to_tensors, safetensors_bytes};
use fewdims_bert::{BertConfig, BertInput, BertModel, TensorMap, load_model_dir, save_model_dir};

fn flex() -> Device {
    DeviceArgs::new(Backend::Flex, "cpu")
        .select()
        .unwrap()
        .device
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fewdims-bert-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn hidden_values(model: &BertModel, device: &Device) -> Vec<Vec<f32>> {
    let ids: [&[u32]; 2] = [&[2, 5, 7, 3], &[2, 9, 3]];
    let types: [&[u8]; 2] = [&[0, 0, 1, 1], &[0, 0, 0]];
    let out = model.forward(BertInput::from_sequences(&ids, &types, 0, device));
    let mut all: Vec<Vec<f32>> = out
        .hidden_states
        .into_iter()
        .map(|h| h.into_data().try_to_vec().unwrap())
        .collect();
    all.push(out.pooled.unwrap().into_data().try_to_vec().unwrap());
    all
}

#[test]
fn save_then_load_is_identical() {
    let device = flex();
    let config = BertConfig::tiny(16);
    let model = config.init(true, &device);
    let dir = tmp("roundtrip");
    let mut extra = TensorMap::new();
    extra.insert("head.weight".into(), (vec![2, 32], vec![0.5; 64]));
    save_model_dir(&dir, &config, &model, &extra, HashMap::new()).unwrap();
    let loaded = load_model_dir(&dir, &device).unwrap();
    assert_eq!(loaded.config, config);
    assert!(loaded.report.has_pooler);
    assert_eq!(loaded.report.heads, vec!["head.weight".to_string()]);
    assert_eq!(loaded.extra["head.weight"].1, vec![0.5; 64]);
    assert_eq!(
        hidden_values(&model, &device),
        hidden_values(&loaded.model, &device)
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn loads_prefixed_gamma_beta_checkpoints_without_pooler() {
    let device = flex();
    let config = BertConfig::tiny(16);
    let model = config.init(false, &device);
    let tensors: TensorMap = model_to_tensors(&model)
        .into_iter()
        .map(|(k, v)| {
            let k = k
                .replace("LayerNorm.weight", "LayerNorm.gamma")
                .replace("LayerNorm.bias", "LayerNorm.beta");
            (format!("bert.{k}"), v)
        })
        .chain([(
            "bert.embeddings.position_ids".to_string(),
            (vec![1], vec![0.0]),
        )])
        .chain([(
            "classifier.weight".to_string(),
            (vec![2, 32], vec![0.0; 64]),
        )])
        .collect();
    let (loaded, report, heads) =
        model_from_tensors(&config, tensors, "mem".as_ref(), &device).unwrap();
    assert_eq!(heads.keys().collect::<Vec<_>>(), vec!["classifier.weight"]);
    assert_eq!(report.prefix, "bert.");
    assert!(!report.has_pooler && loaded.pooler.is_none());
    assert_eq!(report.heads, vec!["classifier.weight".to_string()]);
    assert!(report.unexpected.is_empty());
    let a = hidden_values_no_pool(&model, &device);
    assert_eq!(a, hidden_values_no_pool(&loaded, &device));
}

fn hidden_values_no_pool(model: &BertModel, device: &Device) -> Vec<Vec<f32>> {
    let out = model.forward(BertInput::from_sequences(
        &[&[2, 4, 3]],
        &[&[0, 0, 0]],
        0,
        device,
    ));
    out.hidden_states
        .into_iter()
        .map(|h| h.into_data().try_to_vec().unwrap())
        .collect()
}

#[test]
fn names_missing_misshaped_and_unexpected_tensors() {
    let device = flex();
    let config = BertConfig::tiny(16);
    let mut tensors = model_to_tensors(&config.init(true, &device));
    tensors.remove("encoder.layer.1.attention.self.key.bias");
    tensors.insert(
        "encoder.layer.0.output.dense.weight".into(),
        (vec![3, 3], vec![0.0; 9]),
    );
    let err = model_from_tensors(&config, tensors, "ckpt.safetensors".as_ref(), &device)
        .unwrap_err()
        .to_string();
    assert!(err.contains("ckpt.safetensors"), "{err}");
    assert!(
        err.contains("missing tensor encoder.layer.1.attention.self.key.bias"),
        "{err}"
    );
    assert!(
        err.contains("encoder.layer.0.output.dense.weight has shape [3, 3], expected [32, 64]"),
        "{err}"
    );

    let mut tensors = model_to_tensors(&config.init(true, &device));
    tensors.insert("encoder.layer.7.weird".into(), (vec![1], vec![0.0]));
    let (_, report, _) = model_from_tensors(&config, tensors, "x".as_ref(), &device).unwrap();
    assert_eq!(report.unexpected, vec!["encoder.layer.7.weird".to_string()]);
}

#[test]
fn refuses_unsupported_configs_and_bad_files() {
    let dir = tmp("badcfg");
    let mut config = serde_json::to_value(BertConfig::tiny(16)).unwrap();
    config["position_embedding_type"] = "relative_key_query".into();
    std::fs::write(dir.join("config.json"), config.to_string()).unwrap();
    let err = load_model_dir(&dir, &flex()).unwrap_err().to_string();
    assert!(
        err.contains("config.json") && err.contains("position_embedding_type"),
        "{err}"
    );

    std::fs::write(dir.join("config.json"), BertConfig::tiny(16).to_json()).unwrap();
    std::fs::write(dir.join("model.safetensors"), b"not safetensors").unwrap();
    let err = load_model_dir(&dir, &flex()).unwrap_err().to_string();
    assert!(
        err.contains("model.safetensors") && err.contains("not a safetensors file"),
        "{err}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn padding_does_not_change_real_tokens_and_dropout_is_off_in_inference() {
    let device = flex();
    let model = BertConfig::tiny(16).init(true, &device);
    let alone = model.forward(BertInput::from_sequences(
        &[&[2, 9, 3]],
        &[&[0, 0, 0]],
        0,
        &device,
    ));
    let padded = model.forward(BertInput::from_sequences(
        &[&[2, 9, 3], &[2, 4, 5, 6, 7, 3]],
        &[&[0; 3], &[0; 6]],
        0,
        &device,
    ));
    let a: Vec<f32> = alone.hidden_states[2]
        .clone()
        .into_data()
        .try_to_vec()
        .unwrap();
    let p: Vec<f32> = padded.hidden_states[2]
        .clone()
        .slice([0..1, 0..3])
        .into_data()
        .try_to_vec()
        .unwrap();
    let diff = a
        .iter()
        .zip(&p)
        .map(|(x, y)| (x - y).abs())
        .fold(0f32, f32::max);
    assert!(diff < 1e-5, "padding leaked into real tokens: {diff}");
    let again = model.forward(BertInput::from_sequences(
        &[&[2, 9, 3]],
        &[&[0, 0, 0]],
        0,
        &device,
    ));
    assert_eq!(
        a,
        again.hidden_states[2]
            .clone()
            .into_data()
            .try_to_vec::<f32>()
            .unwrap()
    );
    // Serialization smoke: bytes are a valid safetensors file.
    let bytes = safetensors_bytes(&model_to_tensors(&model), HashMap::new()).unwrap();
    assert!(safetensors::SafeTensors::deserialize(&bytes).is_ok());
}
