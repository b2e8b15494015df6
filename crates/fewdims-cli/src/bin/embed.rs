//! `embed`: sentence embeddings (masked mean of the last layer, L2-normalized) and their cosine
//! similarity matrix. A quick look at a real model on any backend.

use std::path::PathBuf;

use anyhow::{Context, Result};
use burn::tensor::Tensor;
use clap::{Parser, ValueEnum};
use fewdims_backend::DeviceArgs;
use fewdims_bert::{BertConfig, BertInput, load_model_dir};

#[derive(Parser, Debug)]
#[command(about = "Embed sentences with a BERT model dir and print their cosine similarities")]
struct Args {
    /// Model dir: config.json, model.safetensors, tokenizer.json.
    #[arg(long)]
    model: PathBuf,
    #[command(flatten)]
    device: DeviceArgs,
    /// Prints one value of the model's config.json and exits, loading no weights (for make).
    #[arg(long, value_enum)]
    print: Option<ConfigValue>,
    /// Sentences to embed.
    #[arg(required_unless_present = "print")]
    sentences: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ConfigValue {
    /// num_hidden_layers: the hidden states are layers 0..=N.
    NumLayers,
}

fn main() -> Result<()> {
    let args = Args::parse();
    if let Some(value) = args.print {
        let config = BertConfig::from_file(args.model.join("config.json"))?;
        match value {
            ConfigValue::NumLayers => println!("{}", config.num_hidden_layers),
        }
        return Ok(());
    }
    let selected = args.device.select()?;
    let tokenizer_path = args.model.join("tokenizer.json");
    let mut tokenizer = tokenizers::Tokenizer::from_file(&tokenizer_path)
        .map_err(|e| anyhow::anyhow!("{}: {e}", tokenizer_path.display()))?;
    tokenizer.with_padding(None);
    tokenizer
        .with_truncation(None)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let bert = load_model_dir(&args.model, &selected.device)
        .with_context(|| format!("loading {}", args.model.display()))?;
    let encodings = tokenizer
        .encode_batch(args.sentences.clone(), true)
        .map_err(|e| anyhow::anyhow!("tokenizing: {e}"))?;
    let ids: Vec<&[u32]> = encodings.iter().map(|e| e.get_ids()).collect();
    let types: Vec<Vec<u8>> = encodings
        .iter()
        .map(|e| e.get_type_ids().iter().map(|&t| t as u8).collect())
        .collect();
    let types: Vec<&[u8]> = types.iter().map(|t| t.as_slice()).collect();
    let input = BertInput::from_sequences(
        &ids,
        &types,
        bert.config.pad_token_id as u32,
        &selected.device,
    );
    let mask = input.attention_mask.clone().float().unsqueeze_dim::<3>(2);
    let out = bert.model.forward(input);
    let last = out
        .hidden_states
        .last()
        .expect("at least the embeddings")
        .clone();
    let mean: Tensor<2> =
        (last * mask.clone()).sum_dim(1).squeeze_dim(1) / mask.sum_dim(1).squeeze_dim(1);
    let norm = mean.clone().powf_scalar(2.0).sum_dim(1).sqrt();
    let unit = mean / norm;
    let sim: Vec<f32> = unit
        .clone()
        .matmul(unit.transpose())
        .into_data()
        .try_to_vec()
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let n = args.sentences.len();
    println!(
        "{} ({} layers, hidden {}) on {} {}: cosine similarity of mean-pooled embeddings",
        args.model.display(),
        bert.config.num_hidden_layers,
        bert.config.hidden_size,
        selected.backend,
        selected.device_name
    );
    for (i, s) in args.sentences.iter().enumerate() {
        let row: Vec<String> = (0..n).map(|j| format!("{:6.3}", sim[i * n + j])).collect();
        println!("[{i}] {}  {}", row.join(" "), s);
    }
    Ok(())
}
