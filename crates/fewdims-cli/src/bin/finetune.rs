//! `finetune`: fine-tune BERT on a tokenized task with any readout, head and freezing.
//! Writes `runs/<id>/` (model.safetensors, config.json, run.json, metrics.parquet).

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Parser;
use fewdims_backend::DeviceArgs;
use fewdims_schema::run::RunConfig;
use fewdims_schema::vocab::{Dims, Freeze, Head, Layer, ReadoutKind};
use fewdims_train::{FinetuneConfig, Hyper, ReadoutSpec, finetune};

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
    #[arg(long, default_value_t = Hyper::default().epochs)]
    epochs: usize,
    #[arg(long, default_value_t = Hyper::default().batch_size)]
    batch_size: usize,
    #[arg(long, default_value_t = Hyper::default().eval_batch_size)]
    eval_batch_size: usize,
    /// Peak learning rate (linear warm-up and decay).
    #[arg(long, default_value_t = Hyper::default().lr)]
    lr: f64,
    /// Peak learning rate of the head [default: --lr].
    #[arg(long)]
    head_lr: Option<f64>,
    #[arg(long, default_value_t = Hyper::default().weight_decay)]
    weight_decay: f64,
    #[arg(long, default_value_t = Hyper::default().warmup_ratio)]
    warmup_ratio: f64,
    /// Clip the global gradient norm; 0 turns clipping off.
    #[arg(long, default_value_t = 1.0)]
    max_grad_norm: f64,
    /// Dropout on the head input [default: the model's hidden_dropout_prob].
    #[arg(long)]
    head_dropout: Option<f64>,
    #[arg(long, default_value_t = Hyper::default().seed)]
    seed: u64,
    /// Train on a seeded subsample of this many rows.
    #[arg(long)]
    max_train: Option<usize>,
    /// Continue an interrupted run from its last epoch checkpoint.
    #[arg(long)]
    resume: bool,
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
    let config = FinetuneConfig {
        run: RunConfig {
            model: a.model,
            train: a.train,
            dev: a.dev,
            test: a.test,
            out: a.out,
            readout: ReadoutSpec {
                layer: a.layer,
                token: a.token,
                dims: a.dims,
            },
            head: a.head,
            freeze: a.freeze,
            hyper: Hyper {
                epochs: a.epochs,
                batch_size: a.batch_size,
                eval_batch_size: a.eval_batch_size,
                lr: a.lr,
                head_lr: a.head_lr,
                weight_decay: a.weight_decay,
                warmup_ratio: a.warmup_ratio,
                max_grad_norm: (a.max_grad_norm > 0.0).then_some(a.max_grad_norm),
                head_dropout: a.head_dropout,
                seed: a.seed,
            },
            resume: a.resume,
            max_train: a.max_train,
            quiet: a.quiet,
            stop_after: a.stop_after,
        },
        device: a.device,
    };
    let summary =
        finetune(&config).with_context(|| format!("finetune into {}", config.out.display()))?;
    println!("{summary}");
    Ok(())
}
