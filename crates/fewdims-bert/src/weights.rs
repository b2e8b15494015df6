//! Hugging Face tensor names ⇄ burn modules: the one mapping table ([`visit`]), plus loading and
//! saving `model.safetensors` under those names.

use std::path::Path;

use burn::module::Param;
use burn::nn::{Embedding, LayerNorm, Linear};
use burn::tensor::{Device, Tensor, TensorData};

use crate::{BertConfig, BertError, BertModel};

/// HF checkpoints keep these tensors that are not encoder parameters; they are ignored.
const NOT_PARAMETERS: [&str; 1] = ["embeddings.position_ids"];
/// Prefixes of task heads (HF's and ours) that may sit beside the encoder.
const HEAD_PREFIXES: [&str; 3] = ["cls.", "classifier.", "head."];

/// A burn module filled from (or saved to) one HF name stem.
pub enum Slot<'a> {
    /// `<stem>.weight` [out, in] (transposed: burn keeps [in, out]) and `<stem>.bias` [out].
    Linear(&'a mut Linear),
    /// `<stem>.weight` (or `.gamma`) and `<stem>.bias` (or `.beta`), each [H].
    LayerNorm(&'a mut LayerNorm),
    /// `<stem>.weight` [rows, H].
    Embedding(&'a mut Embedding),
}

/// The mapping table: every HF name stem of a `BertModel` and the module it fills.
pub fn visit(model: &mut BertModel, f: &mut dyn FnMut(&str, Slot<'_>)) {
    let e = &mut model.embeddings;
    f(
        "embeddings.word_embeddings",
        Slot::Embedding(&mut e.word_embeddings),
    );
    f(
        "embeddings.position_embeddings",
        Slot::Embedding(&mut e.position_embeddings),
    );
    f(
        "embeddings.token_type_embeddings",
        Slot::Embedding(&mut e.token_type_embeddings),
    );
    f("embeddings.LayerNorm", Slot::LayerNorm(&mut e.layer_norm));
    for (i, layer) in model.layers.iter_mut().enumerate() {
        let p = format!("encoder.layer.{i}");
        let a = &mut layer.attention;
        f(
            &format!("{p}.attention.self.query"),
            Slot::Linear(&mut a.query),
        );
        f(&format!("{p}.attention.self.key"), Slot::Linear(&mut a.key));
        f(
            &format!("{p}.attention.self.value"),
            Slot::Linear(&mut a.value),
        );
        f(
            &format!("{p}.attention.output.dense"),
            Slot::Linear(&mut a.output),
        );
        f(
            &format!("{p}.attention.output.LayerNorm"),
            Slot::LayerNorm(&mut a.layer_norm),
        );
        f(
            &format!("{p}.intermediate.dense"),
            Slot::Linear(&mut layer.intermediate),
        );
        f(
            &format!("{p}.output.dense"),
            Slot::Linear(&mut layer.output),
        );
        f(
            &format!("{p}.output.LayerNorm"),
            Slot::LayerNorm(&mut layer.layer_norm),
        );
    }
    if let Some(pooler) = model.pooler.as_mut() {
        f("pooler.dense", Slot::Linear(&mut pooler.dense));
    }
}

/// What a load found besides the encoder tensors it used.
#[derive(Clone, Debug, Default)]
pub struct LoadReport {
    /// `"bert."` for a `BertFor*` checkpoint, `""` for a bare `BertModel`.
    pub prefix: String,
    pub has_pooler: bool,
    /// Head tensors (`cls.*`, `classifier.*`, `head.*`) present but not part of the encoder.
    pub heads: Vec<String>,
    /// Tensors nobody expected (not encoder, not a known head).
    pub unexpected: Vec<String>,
}

pub use fewdims_schema::tensors::{TensorMap, read_safetensors, safetensors_bytes, tensor_names};

/// Builds a model from a tensor map under HF names (with or without the `bert.` prefix), taking
/// (not copying) the encoder's tensors; returns the head tensors that remain (`cls.*`, `classifier.*`,
/// `head.*`). Missing and mis-shaped tensors are errors, all listed at once.
pub fn model_from_tensors(
    config: &BertConfig,
    mut tensors: TensorMap,
    source: &Path,
    device: &Device,
) -> Result<(BertModel, LoadReport, TensorMap), BertError> {
    let prefix = if tensors.keys().any(|k| k.starts_with("bert.embeddings.")) {
        "bert."
    } else {
        ""
    };
    let has_pooler = tensors.contains_key(&format!("{prefix}pooler.dense.weight"));
    let mut model = config.init(has_pooler, device);
    let mut problems = Vec::new();
    let mut take = |name: &str, aliases: &[&str], want: &[usize]| -> Option<Vec<f32>> {
        let found = std::iter::once(name)
            .chain(aliases.iter().copied())
            .map(|n| format!("{prefix}{n}"));
        let Some((key, (shape, values))) = found.clone().find_map(|k| tensors.remove_entry(&k))
        else {
            problems.push(format!("missing tensor {prefix}{name} (shape {want:?})"));
            return None;
        };
        if shape != want {
            problems.push(format!(
                "tensor {key} has shape {shape:?}, expected {want:?}"
            ));
            return None;
        }
        Some(values)
    };
    visit(&mut model, &mut |stem, slot| match slot {
        Slot::Linear(linear) => {
            let [i, o] = linear.weight.dims();
            let w = take(&format!("{stem}.weight"), &[], &[o, i]);
            let b = take(&format!("{stem}.bias"), &[], &[o]);
            if let (Some(w), Some(b)) = (w, b) {
                // Transposed on the host, so burn gets a contiguous [in, out] weight (faster matmuls).
                let w =
                    Tensor::<2>::from_data(TensorData::new(transpose(&w, o, i), [i, o]), device);
                linear.weight = Param::from_tensor(w);
                linear.bias = Some(Param::from_tensor(Tensor::from_data(
                    TensorData::new(b, [o]),
                    device,
                )));
            }
        }
        Slot::LayerNorm(norm) => {
            let [h] = norm.gamma.dims();
            let g = take(&format!("{stem}.weight"), &[&format!("{stem}.gamma")], &[h]);
            let b = take(&format!("{stem}.bias"), &[&format!("{stem}.beta")], &[h]);
            if let (Some(g), Some(b)) = (g, b) {
                norm.gamma = Param::from_tensor(Tensor::from_data(TensorData::new(g, [h]), device));
                norm.beta = Some(Param::from_tensor(Tensor::from_data(
                    TensorData::new(b, [h]),
                    device,
                )));
            }
        }
        Slot::Embedding(emb) => {
            let [r, h] = emb.weight.dims();
            if let Some(w) = take(&format!("{stem}.weight"), &[], &[r, h]) {
                emb.weight =
                    Param::from_tensor(Tensor::from_data(TensorData::new(w, [r, h]), device));
            }
        }
    });
    if !problems.is_empty() {
        return Err(BertError::Weights {
            path: source.into(),
            reason: problems.join("; "),
        });
    }
    let mut report = LoadReport {
        prefix: prefix.into(),
        has_pooler,
        ..Default::default()
    };
    let mut heads = TensorMap::new();
    for (name, tensor) in tensors {
        let bare = name.strip_prefix(prefix).unwrap_or(&name);
        if NOT_PARAMETERS.contains(&bare) {
            continue;
        }
        if HEAD_PREFIXES
            .iter()
            .any(|p| name.starts_with(p) || bare.starts_with(p))
        {
            report.heads.push(name.clone());
            heads.insert(name, tensor);
        } else {
            report.unexpected.push(name);
        }
    }
    Ok((model, report, heads))
}

/// The encoder's tensors under HF names (no prefix), f32, HF layouts ([out, in] for linear weights).
pub fn model_to_tensors(model: &BertModel) -> TensorMap {
    let mut model = model.clone();
    let mut out = TensorMap::new();
    let mut put = |name: String, t: TensorData| {
        let shape = t.shape().to_vec();
        out.insert(
            name,
            (shape, t.try_into_vec_as::<f32>().expect("float tensor")),
        );
    };
    visit(&mut model, &mut |stem, slot| match slot {
        Slot::Linear(l) => {
            put(
                format!("{stem}.weight"),
                l.weight.val().transpose().into_data(),
            );
            let b = l.bias.as_ref().expect("BERT linears have biases");
            put(format!("{stem}.bias"), b.val().into_data());
        }
        Slot::LayerNorm(n) => {
            put(format!("{stem}.weight"), n.gamma.val().into_data());
            let b = n.beta.as_ref().expect("BERT LayerNorms have a bias");
            put(format!("{stem}.bias"), b.val().into_data());
        }
        Slot::Embedding(e) => put(format!("{stem}.weight"), e.weight.val().into_data()),
    });
    out
}

/// Row-major [rows, cols] → row-major [cols, rows].
pub fn transpose(values: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    let mut out = vec![0f32; values.len()];
    for r in 0..rows {
        for c in 0..cols {
            out[c * rows + r] = values[r * cols + c];
        }
    }
    out
}
