//! The cross-finetune stage: fine-tune a finished run on task B (then C, ...), one normal run dir
//! per step, and after every step score every task trained so far on the current encoder with
//! its own head (and optionally a re-trained head and a re-fit probe). Contract in
//! `fewdims_schema::cross`; usage in docs/cross.md.
//!
//! - [`inputs`]: the starting run and the later tasks, all validated before any work.
//! - [`score`]: readout vectors of the current encoder, the head / retrained / probe scores.
//! - [`matrix`]: `cross.parquet`, `cross.json` and the printed task x step table.
//! - [`overrides`]: the later steps' settings where they differ from the starting run's.

pub mod inputs;
pub mod matrix;
pub mod overrides;
pub mod score;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Instant;

use fewdims_backend::DeviceArgs;
use fewdims_bert::load_model_dir;
use fewdims_schema::cross::{self as schema, Mode};

use crate::finetune_config::Hyper;
use crate::{TrainError, finetune};

pub use inputs::{RunInfo, TaskSplits};
pub use matrix::CrossRow;
pub use overrides::{HyperOverrides, StepOverrides, steps_in};
pub use score::RetrainSettings;

/// What happens to the heads of earlier tasks after a later step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum EarlierHeads {
    /// Scored as saved (mode `head` only).
    #[default]
    Frozen,
    /// Also re-trained on the task's train split with the current encoder frozen (mode `retrained`).
    Retrain,
}

impl FromStr for EarlierHeads {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "frozen" => Ok(Self::Frozen),
            "retrain" => Ok(Self::Retrain),
            _ => Err(format!(
                "--earlier-heads `{s}`: expected `frozen` or `retrain`"
            )),
        }
    }
}

impl std::fmt::Display for EarlierHeads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Frozen => "frozen",
            Self::Retrain => "retrain",
        })
    }
}

/// One later task: its splits and its readout/head/freeze settings.
#[derive(Clone, Debug)]
pub struct CrossStep {
    pub splits: TaskSplits,
    pub overrides: StepOverrides,
}

/// Everything a cross-finetune needs.
#[derive(Clone, Debug)]
pub struct CrossConfig {
    /// The finished run of task A (step 0).
    pub from: PathBuf,
    /// Splits of task A; `None` = the paths in its `run.json`.
    pub from_splits: Option<TaskSplits>,
    /// Tasks B, C, ... in training order.
    pub steps: Vec<CrossStep>,
    /// The cross dir (`runs/cross/<name>`).
    pub out: PathBuf,
    /// Hyperparameters of every later step (the CLI defaults them to the starting run's).
    pub hyper: Hyper,
    /// Train each later step on a seeded subsample of this many rows.
    pub max_train: Option<usize>,
    pub earlier_heads: EarlierHeads,
    pub retrain: RetrainSettings,
    /// Also fit a probe on each task's readout of the current encoder (mode `probe`).
    pub refit_probe: bool,
    pub device: DeviceArgs,
    /// No progress bars (the per-step lines stay).
    pub quiet: bool,
}

impl CrossConfig {
    /// Defaults for everything but the starting run, the steps and the output dir.
    pub fn new(from: PathBuf, steps: Vec<CrossStep>, out: PathBuf) -> Self {
        Self {
            from,
            from_splits: None,
            steps,
            out,
            hyper: Hyper::default(),
            max_train: None,
            earlier_heads: EarlierHeads::Frozen,
            retrain: RetrainSettings::default(),
            refit_probe: false,
            device: DeviceArgs::default(),
            quiet: false,
        }
    }
}

/// One step of a finished cross-finetune.
#[derive(Clone, Debug, serde::Serialize)]
pub struct StepInfo {
    pub step: usize,
    pub task: String,
    pub run_dir: PathBuf,
    /// A finished step dir from an earlier invocation was reused.
    pub reused: bool,
    pub train_seconds: f64,
    pub eval_seconds: f64,
}

/// What a cross-finetune reports: the steps and every row of `cross.parquet`.
#[derive(Clone, Debug)]
pub struct CrossSummary {
    pub out: PathBuf,
    /// Tasks in training order (task A first).
    pub tasks: Vec<String>,
    pub steps: Vec<StepInfo>,
    pub rows: Vec<CrossRow>,
}

impl CrossSummary {
    /// The task x step table of each task's first metric (test; dev where there is no test),
    /// one block per mode.
    pub fn table(&self) -> String {
        matrix::render(self)
    }
}

/// `<out>/step<k>-<task>`.
pub fn step_dir(out: &Path, step: usize, task: &str) -> PathBuf {
    out.join(format!("step{step}-{task}"))
}

/// `<out>/predictions/step<k>-<task>.parquet`: task's own head on step k's encoder, per item.
pub fn predictions_file(out: &Path, step: usize, task: &str) -> PathBuf {
    out.join(schema::PREDICTIONS_DIR)
        .join(format!("step{step}-{task}.parquet"))
}

/// Runs a cross-finetune end to end; `cross.parquet` is written last.
pub fn cross_finetune(config: &CrossConfig) -> Result<CrossSummary, TrainError> {
    let mut plan = inputs::plan(config)?;
    let matrix_path = config.out.join(schema::MATRIX_FILE);
    std::fs::create_dir_all(&config.out).map_err(|e| TrainError::io(&config.out, e))?;
    if matrix_path.exists() {
        // A stale matrix must not mark a half-redone cross dir as done.
        std::fs::remove_file(&matrix_path).map_err(|e| TrainError::io(&matrix_path, e))?;
    }
    let selected = config.device.select()?;
    let scorer = score::Scorer::new(config, &selected.device, plan.bert.pad_token_id as u32);
    let total = plan.tasks.len() - 1;
    let (mut rows, mut steps) = (Vec::new(), Vec::new());
    let mut redo = false;
    for k in 0..plan.tasks.len() {
        let t0 = Instant::now();
        let task = plan.tasks[k].info.task.clone();
        let mut reused = k == 0;
        if k > 0 {
            let fc = &plan.finetunes[k - 1];
            reused = !redo && inputs::finished_step_matches(fc);
            if !reused {
                redo = true;
                finetune(fc)?;
            }
            plan.tasks[k].refresh_from(&fc.out)?;
        }
        let train_seconds = t0.elapsed().as_secs_f64();
        let t1 = Instant::now();
        let dir = plan.tasks[k].info.dir.clone();
        let loaded = load_model_dir(&dir, &selected.device)?;
        plan.tasks[k].take_head(&loaded.extra);
        let scored = scorer.step(k, &loaded.model, &plan.tasks[..=k])?;
        for (eval_task, preds) in &scored.predictions {
            let path = predictions_file(&config.out, k, eval_task);
            let dir = path.parent().expect("a predictions dir");
            std::fs::create_dir_all(dir).map_err(|e| TrainError::io(dir, e))?;
            fewdims_tables::predictions::write(&path, preds)?;
        }
        let step_rows = scored.rows;
        let eval_seconds = t1.elapsed().as_secs_f64();
        eprintln!(
            "{}",
            matrix::progress_line(k, total, &task, reused, train_seconds, &step_rows)
        );
        rows.extend(step_rows);
        steps.push(StepInfo {
            step: k,
            task,
            run_dir: dir,
            reused,
            train_seconds,
            eval_seconds,
        });
    }
    let summary = CrossSummary {
        out: config.out.clone(),
        tasks: plan.tasks.iter().map(|t| t.info.task.clone()).collect(),
        steps,
        rows,
    };
    let settings = matrix::settings_json(config, &selected);
    matrix::write_json(config, &summary, &plan, &settings)?;
    matrix::write_parquet(&matrix_path, &summary, &settings)?;
    Ok(summary)
}

/// The modes scored for `eval_step`'s task after step `step` (see docs/cross.md).
pub fn modes(config: &CrossConfig, step: usize, eval_step: usize) -> Vec<Mode> {
    let mut m = vec![Mode::Head];
    if config.earlier_heads == EarlierHeads::Retrain && eval_step < step {
        m.push(Mode::Retrained);
    }
    if config.refit_probe {
        m.push(Mode::Probe);
    }
    m
}
