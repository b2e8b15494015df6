//! `cross-finetune`: fine-tune a finished run on task B (then C, ...) and score every task trained
//! so far after every step. Writes `runs/cross/<name>/` (step dirs, cross.json, cross.parquet).

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Parser;
use fewdims_backend::DeviceArgs;
use fewdims_train::cross::{
    EarlierHeads, HyperOverrides, RetrainSettings, RunInfo, StepOverrides, TaskSplits, steps_in,
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
    #[command(flatten)]
    step: StepOverrides,
    #[command(flatten)]
    hyper: HyperOverrides,
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
    fewdims_schema::check_writable(&a.out)?;
    // One writer per output: refuse while another process (a second `make`) writes it.
    let _lock = fewdims_schema::OutputLock::acquire(&a.out)?;
    let start = RunInfo::read(&a.from).context("the starting run (--from)")?;
    let steps = steps_in(&a.task_dir, &a.tasks, &a.step, a.no_test)?;
    let mut config = CrossConfig::new(a.from, steps, a.out);
    // --no-test drops the first task's test split too (its own folder, or its run.json's).
    let from_splits = a.from_splits.as_deref().map(TaskSplits::in_dir);
    config.from_splits = match (from_splits, a.no_test) {
        (Some(s), false) => Some(s),
        (s, true) => Some(TaskSplits {
            test: None,
            ..s.unwrap_or_else(|| start.splits.clone())
        }),
        (None, false) => None,
    };
    config.hyper = a.hyper.apply(&start.hyper);
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
