//! A BERT encoder in burn that loads and saves Hugging Face checkpoints.
//!
//! A model dir is what the Hugging Face hub serves: `config.json` and `model.safetensors`
//! (tensor names with or without the `bert.` prefix, with or without the pooler).

mod attention;
mod batches;
mod config;
mod model;
mod readout;
pub mod weights;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use burn::tensor::Device;

pub use batches::{eval_batches, eval_in_batches};
pub use config::BertConfig;
pub use model::{
    AttentionMask, BertAttention, BertEmbeddings, BertInput, BertLayer, BertModel, BertOutput,
    BertPooler,
};
pub use readout::{
    HostReadouts, Readout, device_readouts, readout_vector, readout_vector_and_position, to_host,
    token_position, token_readout,
};
pub use weights::{LoadReport, TensorMap};

/// File names inside a model dir.
pub const CONFIG_FILE: &str = "config.json";
pub const WEIGHTS_FILE: &str = "model.safetensors";

/// Errors of loading, running and saving a BERT checkpoint.
#[derive(Debug, thiserror::Error)]
pub enum BertError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: unsupported or invalid BERT config: {reason}", path.display())]
    Config { path: PathBuf, reason: String },
    #[error("{}: {reason}", path.display())]
    Weights { path: PathBuf, reason: String },
    #[error("saving weights: {0}")]
    Save(String),
}

impl From<fewdims_schema::tensors::TensorFileError> for BertError {
    fn from(e: fewdims_schema::tensors::TensorFileError) -> Self {
        use fewdims_schema::tensors::TensorFileError as T;
        match e {
            T::Io { path, source } => BertError::Io { path, source },
            T::Invalid { path, reason } => BertError::Weights { path, reason },
            T::Serialize(reason) => BertError::Save(reason),
        }
    }
}

/// A checkpoint loaded from a model dir.
#[derive(Debug)]
pub struct LoadedBert {
    pub config: BertConfig,
    pub model: BertModel,
    pub report: LoadReport,
    /// Tensors beside the encoder (heads: `head.*`, `classifier.*`, `cls.*`), f32, by full name.
    pub extra: TensorMap,
}

/// Loads `config.json` and `model.safetensors` from `dir` onto `device`.
pub fn load_model_dir(dir: impl AsRef<Path>, device: &Device) -> Result<LoadedBert, BertError> {
    let dir = dir.as_ref();
    let config_path = dir.join(CONFIG_FILE);
    let config = BertConfig::from_file(&config_path)?;
    let path = dir.join(WEIGHTS_FILE);
    let (tensors, _) = weights::read_safetensors(&path)?;
    // Checked before the model is built: a config with huge sizes must not allocate them.
    let held: usize = tensors.values().map(|(_, v)| v.len()).sum();
    match config.parameter_count(false) {
        Some(needed) if needed <= held => {}
        needed => {
            return Err(BertError::Config {
                path: config_path,
                reason: format!(
                    "it describes an encoder of {} floats, but {} holds {held}",
                    needed.map_or("more than 2^64".into(), |n| n.to_string()),
                    path.display()
                ),
            });
        }
    }
    let (model, report, extra) = weights::model_from_tensors(&config, tensors, &path, device)
        .map_err(|e| match e {
            // The shapes expected come from config.json: say so.
            BertError::Weights { path, reason } => BertError::Weights {
                path,
                reason: format!("{reason} (shapes as {} gives them)", config_path.display()),
            },
            e => e,
        })?;
    Ok(LoadedBert {
        config,
        model,
        report,
        extra,
    })
}

/// Writes `config.json` and `model.safetensors` (encoder under HF names, plus `extra` tensors such
/// as `head.*`) into `dir`, each atomically. `transformers.BertModel.from_pretrained(dir)` loads it.
pub fn save_model_dir(
    dir: impl AsRef<Path>,
    config: &BertConfig,
    model: &BertModel,
    extra: &TensorMap,
    metadata: HashMap<String, String>,
) -> Result<(), BertError> {
    let dir = dir.as_ref();
    let mut tensors = weights::model_to_tensors(model);
    for (name, tensor) in extra {
        if tensors.insert(name.clone(), tensor.clone()).is_some() {
            return Err(BertError::Save(format!(
                "extra tensor {name} collides with an encoder tensor"
            )));
        }
    }
    let mut metadata = metadata;
    metadata
        .entry("format".into())
        .or_insert_with(|| "pt".into());
    let bytes = weights::safetensors_bytes(&tensors, metadata)?;
    let io = |path: PathBuf| move |source| BertError::Io { path, source };
    fewdims_schema::write_atomic(dir.join(WEIGHTS_FILE), &bytes)
        .map_err(io(dir.join(WEIGHTS_FILE)))?;
    fewdims_schema::write_atomic(dir.join(CONFIG_FILE), config.to_json().as_bytes())
        .map_err(io(dir.join(CONFIG_FILE)))?;
    Ok(())
}
