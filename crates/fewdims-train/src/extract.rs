//! The extract-hidden stage: every layer's readouts of a model on a token parquet, streamed to
//! `hidden/<id>/<task>/<split>.safetensors` (contract in `fewdims_schema::hidden`).
//!
//! Rows are processed in pools of consecutive rows (a few batches each): inside a pool the rows are
//! sorted by length and cut into batches (little padding), then the pool's results are put back
//! in file order and streamed to the writer. Memory is bounded by the pool, flat in N.

use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::tensor::{Int, Tensor};
use fewdims_backend::DeviceArgs;
use fewdims_bert::{BertInput, BertModel, load_model_dir, token_readout};
use fewdims_data::{Label, TokenSplit, read_token_split};
use fewdims_schema::hidden::{HiddenBatch, HiddenMeta, HiddenWriter, Kind, Labels, TokenBatch};
use fewdims_schema::vocab::Token;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::TrainError;
use crate::batches::eval_batches;

/// Batches per pool of consecutive rows (sorted by length inside the pool).
const POOL_BATCHES: usize = 32;
/// `--tokens` is refused above this many rows unless forced.
pub const MAX_TOKEN_ROWS: usize = 5_000;

/// What to extract, from where, to where.
#[derive(Clone, Debug)]
pub struct ExtractConfig {
    /// A model dir (HF layout) or a run dir.
    pub model: PathBuf,
    /// Token parquet of one split.
    pub input: PathBuf,
    /// The safetensors file to write.
    pub out: PathBuf,
    /// Readouts, in tensor order.
    pub readouts: Vec<Token>,
    pub batch_size: usize,
    /// Also write the full per-token states.
    pub tokens: bool,
    /// Allow `tokens` on splits above [`MAX_TOKEN_ROWS`].
    pub force: bool,
    pub quiet: bool,
    pub device: DeviceArgs,
    /// The `model` metadata; default: derived from the model dir.
    pub model_name: Option<String>,
}

impl ExtractConfig {
    pub fn new(
        model: impl Into<PathBuf>,
        input: impl Into<PathBuf>,
        out: impl Into<PathBuf>,
    ) -> Self {
        Self {
            model: model.into(),
            input: input.into(),
            out: out.into(),
            readouts: vec![Token::Cls, Token::MaxNorm, Token::Mean, Token::Pos(1)],
            batch_size: 64,
            tokens: false,
            force: false,
            quiet: false,
            device: DeviceArgs::default(),
            model_name: None,
        }
    }
}

/// What an extraction did.
#[derive(Clone, Debug)]
pub struct ExtractReport {
    pub out: PathBuf,
    pub rows: usize,
    /// Real tokens written with `--tokens`.
    pub tokens: Option<usize>,
    /// L (files hold L+1 layers).
    pub num_layers: usize,
    pub hidden_size: usize,
    pub readouts: Vec<String>,
    pub backend: String,
    pub device: String,
    pub seconds: f64,
}

impl ExtractReport {
    pub fn rows_per_second(&self) -> f64 {
        self.rows as f64 / self.seconds.max(1e-9)
    }
}

fn bad(msg: impl Into<String>) -> TrainError {
    TrainError::Invalid(msg.into())
}

/// The model name for metadata: `<task>/<run>` for a run dir, else the dir's name.
fn model_name(dir: &Path) -> String {
    let name = |p: &Path| {
        p.file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| p.display().to_string())
    };
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    match dir.parent() {
        Some(parent) if dir.join("run.json").is_file() => {
            format!("{}/{}", name(parent), name(&dir))
        }
        _ => name(&dir),
    }
}

/// Checks the settings against the split and the model before any work starts.
fn validate(
    config: &ExtractConfig,
    split: &TokenSplit,
    model: &BertModel,
    vocab: usize,
    max_pos: usize,
) -> Result<(), TrainError> {
    if config.batch_size == 0 {
        return Err(bad("--batch-size must be at least 1"));
    }
    if config.readouts.is_empty() {
        return Err(bad("--readouts: no readout asked for"));
    }
    for (i, r) in config.readouts.iter().enumerate() {
        if config.readouts[..i].contains(r) {
            return Err(bad(format!("--readouts: `{r}` is listed twice")));
        }
    }
    if config.readouts.contains(&Token::Pooler) && model.pooler.is_none() {
        return Err(bad(format!(
            "--readouts pooler: {} has no pooler (pooler.dense.* tensors); drop `pooler`",
            config.model.display()
        )));
    }
    if let Some(&max_id) = split.input_ids.iter().max()
        && max_id as usize >= vocab
    {
        return Err(bad(format!(
            "{}: token id {max_id} is ≥ the model's vocab_size {vocab}: tokenized with another vocab?",
            config.input.display()
        )));
    }
    let longest = (0..split.len())
        .map(|i| split.row(i).0.len())
        .max()
        .unwrap_or(0);
    if longest > max_pos {
        return Err(bad(format!(
            "{}: a row of {longest} tokens is beyond the model's max_position_embeddings {max_pos}",
            config.input.display()
        )));
    }
    if let Some(i) = (0..split.len()).find(|&i| split.row(i).0.is_empty()) {
        return Err(bad(format!(
            "{}: row {i} has no tokens",
            config.input.display()
        )));
    }
    if config.tokens && split.len() > MAX_TOKEN_ROWS && !config.force {
        return Err(bad(format!(
            "--tokens on {} rows of {}: per-token states are for small splits (≤ {MAX_TOKEN_ROWS} rows); add --force to write them anyway",
            split.len(),
            config.input.display()
        )));
    }
    Ok(())
}

/// One batch's results: per readout `[B, layers, H]`, and with `tokens` `[sum(len), L+1, H]`.
struct BatchOut {
    readouts: Vec<Vec<f32>>,
    tokens: Option<Vec<f32>>,
}

/// Runs the model on rows `batch` and reads every readout at every layer.
fn run_batch(
    model: &BertModel,
    split: &TokenSplit,
    batch: &[usize],
    readouts: &[Token],
    pad_id: u32,
    tokens: bool,
) -> BatchOut {
    let device = model.embeddings.word_embeddings.weight.device();
    let rows: Vec<(&[u32], &[u8])> = batch.iter().map(|&i| split.row(i)).collect();
    let ids: Vec<&[u32]> = rows.iter().map(|r| r.0).collect();
    let types: Vec<&[u8]> = rows.iter().map(|r| r.1).collect();
    let input = BertInput::from_sequences(&ids, &types, pad_id, &device);
    let mask: Tensor<2, Int> = input.attention_mask.clone();
    let out = model.forward(input);
    let layers = out.hidden_states.len();
    let [b, s, h] = out.hidden_states[0].dims();
    // Layer-major stack: rows l*B..(l+1)*B are layer l.
    let stacked = Tensor::cat(out.hidden_states, 0);
    let masks = mask.repeat_dim(0, layers);
    let to_vec = |t: Tensor<3>| -> Vec<f32> {
        t.into_data()
            .try_into_vec_as::<f32>()
            .expect("f32 hidden states")
    };
    let readouts = readouts
        .iter()
        .map(|&tok| match tok {
            Token::Pooler => {
                let pooled = out.pooled.clone().expect("pooler checked before the run");
                to_vec(pooled.reshape([b, 1, h]))
            }
            _ => {
                let v = token_readout(stacked.clone(), masks.clone(), tok, None);
                to_vec(v.reshape([layers, b, h]).swap_dims(0, 1))
            }
        })
        .collect();
    let tokens = tokens.then(|| {
        // [L+1, B, S, H] → [B, S, L+1, H], then keep each item's real tokens.
        let all = to_vec(stacked.reshape([layers, b * s, h]).swap_dims(0, 1));
        let row = layers * h;
        let mut kept = Vec::new();
        for (j, ids) in ids.iter().enumerate() {
            kept.extend_from_slice(&all[j * s * row..(j * s + ids.len()) * row]);
        }
        kept
    });
    BatchOut { readouts, tokens }
}

fn progress_bar(total: u64, quiet: bool) -> ProgressBar {
    let bar = ProgressBar::new(total);
    if quiet {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    bar.set_style(
        ProgressStyle::with_template(
            "extract [{elapsed_precise}] {wide_bar} {pos}/{len} rows {per_sec} ETA {eta}",
        )
        .expect("valid template"),
    );
    bar
}

/// Extracts the hidden states of `config.input` into `config.out` (atomically).
pub fn extract(config: &ExtractConfig) -> Result<ExtractReport, TrainError> {
    let start = Instant::now();
    let selected = config.device.select()?;
    if !config.model.join(fewdims_bert::CONFIG_FILE).is_file() {
        return Err(bad(format!(
            "{}: not a model dir or run dir (no {})",
            config.model.display(),
            fewdims_bert::CONFIG_FILE
        )));
    }
    let split = read_token_split(&config.input)?;
    let loaded = load_model_dir(&config.model, &selected.device)?;
    let bert = &loaded.config;
    let model = loaded.model;
    validate(
        config,
        &split,
        &model,
        bert.vocab_size,
        bert.max_position_embeddings,
    )?;
    let pad_id = split.tok.pad_id.unwrap_or(bert.pad_token_id as u32);

    let (num_layers, hidden) = (model.num_layers(), model.hidden_size());
    let layers = num_layers + 1;
    let names: Vec<String> = config.readouts.iter().map(|t| t.to_string()).collect();
    let kind =
        Kind::parse(split.meta.kind.as_str()).expect("the data and schema crates share kinds");
    let meta = HiddenMeta {
        model: config
            .model_name
            .clone()
            .unwrap_or_else(|| model_name(&config.model)),
        task: split.meta.task.clone(),
        split: split.meta.split.clone(),
        readouts: names.clone(),
        num_layers,
        hidden_size: hidden,
        kind,
        metrics: split.meta.metrics.clone(),
        label_names: split.meta.label_names.clone(),
        source: config.model.display().to_string(),
        extra: [
            ("input".to_string(), config.input.display().to_string()),
            (
                "tokenizer_sha256".to_string(),
                split.tok.tokenizer_sha256.clone(),
            ),
            ("max_len".to_string(), split.tok.max_len.to_string()),
            ("backend".to_string(), selected.backend.name().to_string()),
            ("device".to_string(), selected.device_name.clone()),
        ]
        .into(),
    };
    let n = split.len();
    let total_tokens = config.tokens.then_some(split.input_ids.len());
    let mut writer =
        HiddenWriter::create(&config.out, meta, n, total_tokens).map_err(|e| bad(e.to_string()))?;

    let bar = progress_bar(n as u64, config.quiet);
    let widths: Vec<usize> = config
        .readouts
        .iter()
        .map(|t| {
            if *t == Token::Pooler {
                hidden
            } else {
                layers * hidden
            }
        })
        .collect();
    let pool_rows = config.batch_size * POOL_BATCHES;
    for pool_start in (0..n).step_by(pool_rows) {
        let pool: Vec<usize> = (pool_start..(pool_start + pool_rows).min(n)).collect();
        let p = pool.len();
        let lengths: Vec<usize> = pool.iter().map(|&i| split.row(i).0.len()).collect();
        let mut bufs: Vec<Vec<f32>> = widths.iter().map(|w| vec![0f32; p * w]).collect();
        // Per-token states of the pool, per item (file order restored on push).
        let mut tok_items: Vec<Vec<f32>> = vec![Vec::new(); if config.tokens { p } else { 0 }];
        for batch in eval_batches(&lengths, config.batch_size) {
            let rows: Vec<usize> = batch.iter().map(|&j| pool[j]).collect();
            let out = run_batch(
                &model,
                &split,
                &rows,
                &config.readouts,
                pad_id,
                config.tokens,
            );
            for (r, data) in out.readouts.iter().enumerate() {
                let w = widths[r];
                for (k, &j) in batch.iter().enumerate() {
                    bufs[r][j * w..(j + 1) * w].copy_from_slice(&data[k * w..(k + 1) * w]);
                }
            }
            if let Some(t) = out.tokens {
                let mut at = 0;
                for &j in &batch {
                    let len = lengths[j] * layers * hidden;
                    tok_items[j] = t[at..at + len].to_vec();
                    at += len;
                }
            }
            bar.inc(batch.len() as u64);
        }
        let labels = pool_labels(&split, &pool, kind);
        let idx: Vec<u32> = pool.iter().map(|&i| split.idx[i]).collect();
        let tok_data: Vec<f32> = tok_items.concat();
        let slices: Vec<&[f32]> = bufs.iter().map(Vec::as_slice).collect();
        writer
            .push(&HiddenBatch {
                readouts: &slices,
                labels: labels.as_slice(),
                idx: &idx,
                tokens: config.tokens.then_some(TokenBatch {
                    lens: &lengths,
                    data: &tok_data,
                }),
            })
            .map_err(|e| bad(e.to_string()))?;
    }
    writer.finish().map_err(|e| bad(e.to_string()))?;
    bar.finish_and_clear();
    Ok(ExtractReport {
        out: config.out.clone(),
        rows: n,
        tokens: total_tokens,
        num_layers,
        hidden_size: hidden,
        readouts: names,
        backend: selected.backend.name().to_string(),
        device: selected.device_name,
        seconds: start.elapsed().as_secs_f64(),
    })
}

fn pool_labels(split: &TokenSplit, pool: &[usize], kind: Kind) -> Labels {
    match kind {
        Kind::Classification => Labels::Classes(
            pool.iter()
                .map(|&i| match split.labels[i] {
                    Label::Class(c) => c,
                    Label::Score(s) => s as i64,
                })
                .collect(),
        ),
        Kind::Regression => Labels::Scores(
            pool.iter()
                .map(|&i| match split.labels[i] {
                    Label::Score(s) => s,
                    Label::Class(c) => c as f32,
                })
                .collect(),
        ),
    }
}
