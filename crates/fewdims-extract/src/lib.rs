//! The extract-hidden stage: every layer's readouts of a model on a token parquet, streamed to
//! `hidden/<id>/<task>/<split>.safetensors` (contract in `fewdims_schema::hidden`).
//!
//! Rows are sorted by length and cut into batches (least padding); each batch's rows are written
//! at their place in the file as it completes, so memory holds only the batches in flight, flat
//! in N. On a CPU, several batches run at once on worker threads (`parallel`).

mod batch;
pub mod heap;
mod parallel;

/// Errors of an extraction; each names the file or flag at fault.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Data(#[from] fewdims_data::DataError),
    #[error(transparent)]
    Bert(#[from] fewdims_bert::BertError),
    #[error(transparent)]
    Hidden(#[from] fewdims_schema::hidden::HiddenError),
    #[error(transparent)]
    Device(#[from] fewdims_backend::DeviceError),
}

use std::path::{Path, PathBuf};
use std::time::Instant;

use fewdims_backend::{Backend, DeviceArgs, cpu_threads, set_op_threads};
use fewdims_bert::{BertModel, load_model_dir};
use fewdims_data::{Label, TokenSplit, read_token_split};
use fewdims_schema::hidden::{HiddenBatch, HiddenMeta, HiddenWriter, Labels, TokenBatch};
use fewdims_schema::task::TaskKind;
use fewdims_schema::vocab::ReadoutKind;

use self::batch::{BatchOut, run_batch};
use self::parallel::{Job, plan, run_jobs};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

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
    pub readouts: Vec<ReadoutKind>,
    pub batch_size: usize,
    /// Also write the full per-token states.
    pub tokens: bool,
    /// Allow `tokens` on splits above [`MAX_TOKEN_ROWS`].
    pub force: bool,
    pub quiet: bool,
    pub device: DeviceArgs,
    /// Batches run at once, each on `cpu_threads / workers` op threads. Default: one per CPU
    /// thread on tch's CPU, else 1.
    pub workers: Option<usize>,
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
            readouts: vec![
                ReadoutKind::Cls,
                ReadoutKind::MaxNorm,
                ReadoutKind::Mean,
                ReadoutKind::Pos(1),
            ],
            batch_size: 64,
            tokens: false,
            force: false,
            quiet: false,
            device: DeviceArgs::default(),
            workers: None,
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
    /// Batches run at once, and op threads per batch (0 = the backend's own scheduling).
    pub workers: usize,
    pub op_threads: usize,
    /// Wall time of the whole call (reading, loading, extracting, writing).
    pub seconds: f64,
    /// Of which the batch loop: forward passes, readouts and writes.
    pub loop_seconds: f64,
}

impl ExtractReport {
    pub fn rows_per_second(&self) -> f64 {
        self.rows as f64 / self.seconds.max(1e-9)
    }
}

fn bad(msg: impl Into<String>) -> ExtractError {
    ExtractError::Invalid(msg.into())
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
) -> Result<(), ExtractError> {
    if config.batch_size == 0 {
        return Err(bad("--batch-size must be at least 1"));
    }
    if config.workers == Some(0) {
        return Err(bad("--workers must be at least 1"));
    }
    if config.readouts.is_empty() {
        return Err(bad("--readouts: no readout asked for"));
    }
    for (i, r) in config.readouts.iter().enumerate() {
        if config.readouts[..i].contains(r) {
            return Err(bad(format!("--readouts: `{r}` is listed twice")));
        }
    }
    if config.readouts.contains(&ReadoutKind::Pooler) && model.pooler.is_none() {
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

/// Extracts the hidden states of `config.input` into `config.out` (atomically).
pub fn extract(config: &ExtractConfig) -> Result<ExtractReport, ExtractError> {
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
    let names: Vec<String> = config.readouts.iter().map(|t| t.to_string()).collect();
    let kind = split.meta.kind;
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
    let lengths: Vec<usize> = (0..n).map(|i| split.row(i).0.len()).collect();
    let mut writer = HiddenWriter::create(
        &config.out,
        meta,
        n,
        config.tokens.then_some(lengths.as_slice()),
    )
    .map_err(|e| bad(e.to_string()))?;

    let bar = ProgressBar::new(n as u64);
    if config.quiet {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    bar.set_style(
        ProgressStyle::with_template(
            "extract [{elapsed_precise}] {wide_bar} {pos}/{len} rows {per_sec} ETA {eta}",
        )
        .expect("valid template"),
    );
    let (workers, op_threads) = schedule(config, &selected);
    let on_host = selected.device_name == "cpu";
    let jobs = plan(&lengths, config.batch_size);
    let loop_start = Instant::now();
    run_jobs(
        &jobs,
        workers,
        || set_op_threads(selected.backend, op_threads),
        |rows: &Job| {
            run_batch(
                &model,
                &split,
                rows,
                &config.readouts,
                pad_id,
                config.tokens,
                on_host,
            )
        },
        |j, out| {
            bar.inc(jobs[j].len() as u64);
            write_batch(&mut writer, &split, &jobs[j], &out, &lengths, kind)
        },
    )?;
    let loop_seconds = loop_start.elapsed().as_secs_f64();
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
        workers,
        op_threads: if workers > 1 && selected.backend == Backend::Tch {
            op_threads
        } else {
            0
        },
        seconds: start.elapsed().as_secs_f64(),
        loop_seconds,
    })
}

/// Workers and op threads per worker: on tch's CPU one worker per CPU thread (measured faster
/// than one batch on all threads); elsewhere one worker unless asked.
fn schedule(config: &ExtractConfig, selected: &fewdims_backend::Selected) -> (usize, usize) {
    let threads = cpu_threads();
    let workers = config.workers.unwrap_or(
        if selected.backend == Backend::Tch && selected.device_name == "cpu" {
            threads
        } else {
            1
        },
    );
    (workers, (threads / workers).max(1))
}

/// Writes one batch's rows at their place.
fn write_batch(
    writer: &mut HiddenWriter,
    split: &TokenSplit,
    rows: &[usize],
    out: &BatchOut,
    lengths: &[usize],
    kind: TaskKind,
) -> Result<(), ExtractError> {
    let labels = row_labels(split, rows, kind);
    let idx: Vec<u32> = rows.iter().map(|&i| split.idx[i]).collect();
    let lens: Vec<usize> = rows.iter().map(|&i| lengths[i]).collect();
    let slices: Vec<&[f32]> = out.readouts.iter().map(Vec::as_slice).collect();
    writer
        .write_rows(
            rows,
            &HiddenBatch {
                readouts: &slices,
                labels: labels.as_slice(),
                idx: &idx,
                tokens: out
                    .tokens
                    .as_deref()
                    .map(|data| TokenBatch { lens: &lens, data }),
            },
        )
        .map_err(|e| bad(e.to_string()))
}

fn row_labels(split: &TokenSplit, rows: &[usize], kind: TaskKind) -> Labels {
    match kind {
        TaskKind::Classification => Labels::Classes(
            rows.iter()
                .map(|&i| match split.labels[i] {
                    Label::Class(c) => c,
                    Label::Score(s) => s as i64,
                })
                .collect(),
        ),
        TaskKind::Regression => Labels::Scores(
            rows.iter()
                .map(|&i| match split.labels[i] {
                    Label::Score(s) => s,
                    Label::Class(c) => c as f32,
                })
                .collect(),
        ),
    }
}
