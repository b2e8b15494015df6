//! `extract-hidden`: every layer's readouts of a model (or a fine-tuned run) on a token parquet.
//! Writes `hidden/<id>/<task>/<split>.safetensors` (readouts [N, L+1, H], label, idx), streaming.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Parser;
use fewdims_backend::DeviceArgs;
use fewdims_extract::{ExtractConfig, extract};
use fewdims_schema::vocab::ReadoutKind;

#[derive(Parser, Debug)]
#[command(about = "Extract every layer's readout vectors of a model on a token parquet")]
struct Args {
    /// Model dir (HF layout) or a run dir written by finetune.
    #[arg(long)]
    model: PathBuf,
    /// Token parquet of one split (data/tok/<model>/<task>/<split>.parquet).
    #[arg(long = "in")]
    input: PathBuf,
    /// The file to write, e.g. hidden/pretrained/movie/train.safetensors.
    #[arg(long)]
    out: PathBuf,
    /// Comma-separated readouts.
    #[arg(long, value_delimiter = ',', default_value = "cls,max-norm,mean,pos:1",
          long_help = format!("Comma-separated readouts: {}", ReadoutKind::help()))]
    readouts: Vec<ReadoutKind>,
    #[arg(long, default_value_t = 64)]
    batch_size: usize,
    /// Also write the full per-token states (`tokens`, `offsets`) for small splits.
    #[arg(long)]
    tokens: bool,
    /// Allow --tokens on splits of more than 5,000 rows.
    #[arg(long)]
    force: bool,
    /// The `model` metadata [default: the dir's name, or <task>/<run> for a run dir].
    #[arg(long)]
    model_name: Option<String>,
    /// Batches run at once, each on (CPU threads / workers) op threads [default: one per CPU
    /// thread (OMP_NUM_THREADS, else the cores) on tch's CPU, else 1].
    #[arg(long)]
    workers: Option<usize>,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
    #[command(flatten)]
    device: DeviceArgs,
}

fn main() -> Result<()> {
    fewdims_extract::heap::fix_mmap_threshold();
    let a = Args::parse();
    let config = ExtractConfig {
        model: a.model,
        input: a.input,
        out: a.out,
        readouts: a.readouts,
        batch_size: a.batch_size,
        tokens: a.tokens,
        force: a.force,
        quiet: a.quiet,
        device: a.device,
        workers: a.workers,
        model_name: a.model_name,
    };
    // Its folder must take files, and one writer per output: refuse while another process (a
    // second `make`) writes it (`OutputLock::acquire` checks both, before any input is read).
    let _lock = fewdims_schema::OutputLock::acquire(&config.out)?;
    let r = extract(&config).with_context(|| {
        format!(
            "extract-hidden {} on {} into {}",
            config.model.display(),
            config.input.display(),
            config.out.display()
        )
    })?;
    println!(
        "{}: {} rows{} x {} layers x {} dims, readouts {} | {:.1} s (loop {:.1} s), {:.1} rows/s on {} {}{}",
        r.out.display(),
        r.rows,
        r.tokens
            .map(|t| format!(" ({t} tokens)"))
            .unwrap_or_default(),
        r.num_layers + 1,
        r.hidden_size,
        r.readouts.join(","),
        r.seconds,
        r.loop_seconds,
        r.rows_per_second(),
        r.backend,
        r.device,
        match (r.workers, r.op_threads) {
            (1, _) => String::new(),
            (w, 0) => format!(", {w} workers"),
            (w, t) => format!(", {w} workers x {t} op thread(s)"),
        }
    );
    Ok(())
}
