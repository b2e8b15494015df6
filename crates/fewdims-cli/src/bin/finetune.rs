//! `finetune`: fine-tune BERT on a tokenized task with any readout, head and freezing.
//! Writes `runs/<id>/` (model.safetensors, config.json, run.json, metrics.parquet, curve.parquet).

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Parser;
use fewdims_backend::DeviceArgs;
use fewdims_schema::run::RunConfig;
use fewdims_schema::vocab::{Dims, Freeze, Head, Layer, ReadoutKind};
use fewdims_train::{FinetuneConfig, HyperFlags, ReadoutSpec, finetune};

#[derive(Parser, Debug)]
#[command(about = "Fine-tune BERT with a chosen readout (layer, token, dims), head and freezing")]
struct Args {
    /// Model dir (HF layout) or an earlier run dir.
    #[arg(long)]
    model: PathBuf,
    /// Token parquet of the train split.
    #[arg(long)]
    train: PathBuf,
    /// Token parquet of the dev split (epoch selection).
    #[arg(long)]
    dev: PathBuf,
    /// Token parquet of the test split (reported, never used for selection).
    #[arg(long)]
    test: Option<PathBuf>,
    /// More labelled report splits, scored like --test (e.g. MNLI's test_mm); repeatable.
    #[arg(long)]
    also_test: Vec<PathBuf>,
    /// The run dir to write, e.g. runs/movie-cls.
    #[arg(long)]
    out: PathBuf,
    /// Hidden layer read by the head: 0..L, negatives from the top.
    #[arg(long, default_value = "-1", allow_hyphen_values = true)]
    layer: Layer,
    /// The token vector read by the head.
    #[arg(long, default_value = "cls", long_help = ReadoutKind::help())]
    token: ReadoutKind,
    /// all, list:I,J, first:K or random:K[:SEED]; other dims are zeroed before the head.
    #[arg(long, default_value = "all")]
    dims: Dims,
    /// linear (1 FC) or mlp (2 FC).
    #[arg(long, default_value = "linear")]
    head: Head,
    /// none, all, embeddings or below:N.
    #[arg(long, default_value = "none")]
    freeze: Freeze,
    #[command(flatten)]
    hyper: HyperFlags,
    /// Train on a seeded subsample of this many rows.
    #[arg(long)]
    max_train: Option<usize>,
    /// Continue an interrupted run from its last checkpoint, if it was made with the same
    /// settings (otherwise start afresh).
    #[arg(long)]
    resume: bool,
    /// A training-curve point (mean loss, learning rate, gradient norm) every N steps.
    #[arg(long, default_value_t = fewdims_schema::run::DEFAULT_LOG_EVERY)]
    log_every: usize,
    /// Also checkpoint every N steps, not only at each epoch's end.
    #[arg(long)]
    save_every: Option<usize>,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
    /// Stop after this many epochs, keeping the checkpoint for --resume.
    #[arg(long)]
    stop_after: Option<usize>,
    #[command(flatten)]
    device: DeviceArgs,
}

fn main() -> Result<()> {
    let a = Args::parse();
    fewdims_schema::check_parent_writable(&a.out)?;
    let config = FinetuneConfig {
        run: RunConfig {
            model: a.model,
            train: a.train,
            dev: a.dev,
            test: a.test,
            also_test: a.also_test,
            out: a.out,
            readout: ReadoutSpec {
                layer: a.layer,
                token: a.token,
                dims: a.dims,
            },
            head: a.head,
            freeze: a.freeze,
            hyper: a.hyper.hyper(),
            resume: a.resume,
            max_train: a.max_train,
            quiet: a.quiet,
            stop_after: a.stop_after,
            log_every: a.log_every,
            save_every: a.save_every,
        },
        device: a.device,
    };
    let summary =
        finetune(&config).with_context(|| format!("finetune into {}", config.out.display()))?;
    println!("{summary}");
    Ok(())
}
