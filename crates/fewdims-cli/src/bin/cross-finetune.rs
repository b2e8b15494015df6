//! `cross-finetune`: fine-tune a finished run on task B (then C, ...) and score every task trained
//! so far after every step. Writes `runs/cross/<name>/` (step dirs, cross.json, cross.parquet).

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Parser;
use fewdims_backend::DeviceArgs;
use fewdims_schema::vocab::{Dims, Freeze, Head, Layer, Token};
use fewdims_train::cross::{
    CrossStep, EarlierHeads, RetrainSettings, RunInfo, StepOverrides, TaskSplits,
};
use fewdims_train::{CrossConfig, cross_finetune};

#[derive(Parser, Debug)]
#[command(
    about = "Fine-tune a finished run on more tasks, one after another, and score every task after every step"
)]
struct Args {
    /// The finished run of the first task (step 0), e.g. runs/movie/cls.
    #[arg(long)]
    from: PathBuf,
    /// Folder of the first task's {train,dev,test}.parquet [default: the paths in its run.json].
    #[arg(long)]
    from_splits: Option<PathBuf>,
    /// Folder holding one token folder per task: <task-dir>/<task>/{train,dev,test}.parquet.
    #[arg(long)]
    task_dir: PathBuf,
    /// The later tasks, in training order, comma-separated.
    #[arg(long, value_delimiter = ',', required = true)]
    tasks: Vec<String>,
    /// The cross dir to write, e.g. runs/cross/movie-amazon.
    #[arg(long)]
    out: PathBuf,
    /// Score dev only, even where a labelled test split exists (unlabelled ones are never scored).
    #[arg(long)]
    no_test: bool,
    /// Hidden layer read by the later tasks' heads [default: the starting run's].
    #[arg(long, allow_hyphen_values = true)]
    layer: Option<Layer>,
    /// Token read by the later heads [default: the starting run's].
    #[arg(long)]
    token: Option<Token>,
    /// Dims read by the later heads [default: the starting run's].
    #[arg(long)]
    dims: Option<Dims>,
    /// Head of the later tasks [default: the starting run's].
    #[arg(long)]
    head: Option<Head>,
    /// Freezing while training the later tasks [default: the starting run's].
    #[arg(long)]
    freeze: Option<Freeze>,
    /// [default: the starting run's, as every hyperparameter below]
    #[arg(long)]
    epochs: Option<usize>,
    #[arg(long)]
    batch_size: Option<usize>,
    #[arg(long)]
    eval_batch_size: Option<usize>,
    #[arg(long)]
    lr: Option<f64>,
    #[arg(long)]
    head_lr: Option<f64>,
    #[arg(long)]
    weight_decay: Option<f64>,
    #[arg(long)]
    warmup_ratio: Option<f64>,
    /// 0 turns clipping off.
    #[arg(long)]
    max_grad_norm: Option<f64>,
    #[arg(long)]
    head_dropout: Option<f64>,
    #[arg(long)]
    seed: Option<u64>,
    /// Train each later task on a seeded subsample of this many rows.
    #[arg(long)]
    max_train: Option<usize>,
    /// frozen: score earlier heads as saved; retrain: also re-train them on the current encoder.
    #[arg(long, default_value = "frozen")]
    earlier_heads: EarlierHeads,
    /// Epochs of head re-training (--earlier-heads retrain).
    #[arg(long, default_value_t = RetrainSettings::default().epochs)]
    retrain_epochs: usize,
    /// Constant learning rate of head re-training.
    #[arg(long, default_value_t = RetrainSettings::default().lr)]
    retrain_lr: f64,
    /// Also fit a probe on each task's readout (its layer, token, dims) of the current encoder.
    #[arg(long)]
    refit_probe: bool,
    /// No progress bars.
    #[arg(long)]
    quiet: bool,
    #[command(flatten)]
    device: DeviceArgs,
}

fn main() -> Result<()> {
    let a = Args::parse();
    let start = RunInfo::read(&a.from).context("the starting run (--from)")?;
    let overrides = StepOverrides {
        layer: a.layer,
        token: a.token,
        dims: a.dims,
        head: a.head,
        freeze: a.freeze,
    };
    let mut steps = Vec::new();
    for task in &a.tasks {
        let dir = a.task_dir.join(task);
        if !dir.is_dir() {
            bail!("--tasks {task}: no token folder {}", dir.display());
        }
        let mut splits = TaskSplits::in_dir(&dir);
        if a.no_test {
            splits.test = None;
        }
        steps.push(CrossStep {
            splits,
            overrides: overrides.clone(),
        });
    }
    let mut hyper = start.hyper.clone();
    macro_rules! set {
        ($($f:ident),*) => { $(if let Some(v) = a.$f { hyper.$f = v; })* };
    }
    set!(
        epochs,
        batch_size,
        eval_batch_size,
        lr,
        weight_decay,
        warmup_ratio,
        seed
    );
    if a.head_lr.is_some() {
        hyper.head_lr = a.head_lr;
    }
    if a.head_dropout.is_some() {
        hyper.head_dropout = a.head_dropout;
    }
    if let Some(m) = a.max_grad_norm {
        hyper.max_grad_norm = (m > 0.0).then_some(m);
    }
    let mut config = CrossConfig::new(a.from, steps, a.out);
    config.from_splits = a.from_splits.as_deref().map(|d| {
        let mut s = TaskSplits::in_dir(d);
        if a.no_test {
            s.test = None;
        }
        s
    });
    if a.no_test && config.from_splits.is_none() {
        let mut s = start.splits.clone();
        s.test = None;
        config.from_splits = Some(s);
    }
    config.hyper = hyper;
    config.max_train = a.max_train;
    config.earlier_heads = a.earlier_heads;
    config.retrain = RetrainSettings {
        epochs: a.retrain_epochs,
        lr: a.retrain_lr,
    };
    config.refit_probe = a.refit_probe;
    config.device = a.device;
    config.quiet = a.quiet;
    let summary = cross_finetune(&config)
        .with_context(|| format!("cross-finetune into {}", config.out.display()))?;
    print!("{}", summary.table());
    println!(
        "{}: {} steps, {} rows in cross.parquet",
        summary.out.display(),
        summary.steps.len(),
        summary.rows.len()
    );
    Ok(())
}
