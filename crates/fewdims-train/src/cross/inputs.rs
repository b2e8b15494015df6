//! The inputs of a cross-finetune: the starting run (read back from its `run.json`) and the later
//! tasks, each checked before any work starts. Errors name the file at fault.

use std::path::{Path, PathBuf};

use fewdims_bert::{BertConfig, TensorMap};
use fewdims_data::{TokenSplit, read_token_split};
use fewdims_schema::run::{CONFIG_FILE, HEAD_PREFIX, RUN_FILE, RunFile};
use fewdims_schema::vocab::{Freeze, Head};

use super::{CrossConfig, step_dir};
use crate::TrainError;
use crate::finetune::{subsample, validate};
use crate::finetune_config::{FinetuneConfig, Hyper, ReadoutSpec};
use crate::train::MetricRow;

/// The token parquets of one task.
#[derive(Clone, Debug, serde::Serialize)]
pub struct TaskSplits {
    pub train: PathBuf,
    pub dev: PathBuf,
    pub test: Option<PathBuf>,
}

impl TaskSplits {
    /// `<dir>/{train,dev,test}.parquet`; test only where the file exists.
    pub fn in_dir(dir: &Path) -> Self {
        let test = dir.join("test.parquet");
        Self {
            train: dir.join("train.parquet"),
            dev: dir.join("dev.parquet"),
            test: test.is_file().then_some(test),
        }
    }
}

/// What a finished run dir says about itself (its `run.json`).
#[derive(Clone, Debug)]
pub struct RunInfo {
    pub dir: PathBuf,
    pub task: String,
    pub metrics: Vec<String>,
    pub readout: ReadoutSpec,
    pub head: Head,
    pub freeze: Freeze,
    pub hyper: Hyper,
    /// The resolved layer (0 = embeddings) and dims.
    pub layer_index: usize,
    pub dims: Vec<usize>,
    pub splits: TaskSplits,
    pub max_train: Option<usize>,
    /// The best epoch's dev (and test) metrics.
    pub final_metrics: Vec<MetricRow>,
}

fn bad(msg: impl Into<String>) -> TrainError {
    TrainError::Invalid(msg.into())
}

impl RunInfo {
    /// Reads `<dir>/run.json`; refuses a dir that is not a finished run.
    pub fn read(dir: &Path) -> Result<Self, TrainError> {
        let run = RunFile::read(dir)?;
        let c = run.config;
        Ok(Self {
            dir: dir.to_path_buf(),
            task: run.task,
            metrics: run.metrics,
            readout: c.readout,
            head: c.head,
            freeze: c.freeze,
            hyper: c.hyper,
            layer_index: run.layer_index,
            dims: run.dims_resolved,
            splits: TaskSplits {
                train: c.train,
                dev: c.dev,
                test: c.test,
            },
            max_train: c.max_train,
            final_metrics: run.final_metrics,
        })
    }
}

/// A task of the cross run: what its run says, its data (train as it was trained: the same
/// seeded subsample), and its head tensors once its step is done.
#[derive(Clone, Debug)]
pub struct CrossTask {
    pub step: usize,
    pub info: RunInfo,
    pub train: TokenSplit,
    pub dev: TokenSplit,
    pub test: Option<TokenSplit>,
    /// `head.*` tensors of the run dir where this task was trained (empty until then).
    pub head: TensorMap,
    /// Dropout on the head's input while re-training it.
    pub head_dropout: f64,
}

impl CrossTask {
    /// Re-reads the step's finished run dir (its resolved settings and final metrics).
    pub fn refresh_from(&mut self, dir: &Path) -> Result<(), TrainError> {
        self.info = RunInfo::read(dir)?;
        Ok(())
    }

    /// Keeps the `head.*` tensors of a loaded model of this task's run dir.
    pub fn take_head(&mut self, extra: &TensorMap) {
        let prefix = format!("{HEAD_PREFIX}.");
        self.head = extra
            .iter()
            .filter(|(k, _)| k.starts_with(&prefix))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
    }
}

/// The validated work: every task (step 0 first) and the finetune of each later step.
#[derive(Debug)]
pub struct Plan {
    pub tasks: Vec<CrossTask>,
    pub finetunes: Vec<FinetuneConfig>,
    pub bert: BertConfig,
}

fn check_labelled(path: &Path, split: &TokenSplit, task: &str) -> Result<(), TrainError> {
    if split.meta.task != task {
        return Err(bad(format!(
            "{}: task `{}`, expected `{task}`",
            path.display(),
            split.meta.task
        )));
    }
    if !split.meta.labelled || split.labels.iter().any(|l| l.is_unlabelled()) {
        return Err(bad(format!(
            "{}: has unlabelled rows (label -1); training, selection and scoring need labels",
            path.display()
        )));
    }
    if split.is_empty() {
        return Err(bad(format!("{}: no rows", path.display())));
    }
    Ok(())
}

fn check_vocab(path: &Path, split: &TokenSplit, bert: &BertConfig) -> Result<(), TrainError> {
    if let Some(&max) = split.input_ids.iter().max()
        && max as usize >= bert.vocab_size
    {
        return Err(bad(format!(
            "{}: token id {max} is ≥ the model's vocab_size {}: tokenized with another vocab?",
            path.display(),
            bert.vocab_size
        )));
    }
    Ok(())
}

/// Reads and checks everything: the starting run, its splits, every later task's splits and
/// settings (readout against the model, labels, vocab, distinct tasks). No work is done here.
pub fn plan(config: &CrossConfig) -> Result<Plan, TrainError> {
    if config.steps.is_empty() {
        return Err(bad("no later task: give at least one task to fine-tune on"));
    }
    let start = RunInfo::read(&config.from)?;
    let bert = BertConfig::from_file(config.from.join(CONFIG_FILE))?;
    let splits = config
        .from_splits
        .clone()
        .unwrap_or_else(|| start.splits.clone());
    let read = |path: &Path| -> Result<TokenSplit, TrainError> {
        if !path.is_file() {
            return Err(bad(format!(
                "{}: no such token split{}",
                path.display(),
                if config.from_splits.is_none() {
                    " (named in the starting run's run.json; pass the starting task's splits)"
                } else {
                    ""
                }
            )));
        }
        Ok(read_token_split(path)?)
    };
    let train = read(&splits.train)?;
    let dev = read(&splits.dev)?;
    // An unlabelled test split (GLUE's) is not scored, as in `finetune`.
    let test = splits
        .test
        .as_deref()
        .map(read)
        .transpose()?
        .filter(|t| t.meta.labelled && !t.labels.iter().any(|l| l.is_unlabelled()));
    for (path, split) in [(&splits.train, &train), (&splits.dev, &dev)]
        .into_iter()
        .chain(splits.test.as_ref().zip(test.as_ref()))
    {
        check_labelled(path, split, &start.task)?;
        check_vocab(path, split, &bert)?;
    }
    let head_dropout = start.hyper.head_dropout.unwrap_or(bert.hidden_dropout_prob);
    let train = match start.max_train {
        Some(n) => subsample(train, n, start.hyper.seed),
        None => train,
    };
    let mut tasks = vec![CrossTask {
        step: 0,
        info: RunInfo {
            splits,
            ..start.clone()
        },
        train,
        dev,
        test,
        head: TensorMap::new(),
        head_dropout,
    }];
    let mut finetunes = Vec::new();
    for (i, step) in config.steps.iter().enumerate() {
        let k = i + 1;
        let o = &step.overrides;
        let s = &step.splits;
        let mut fc = FinetuneConfig::new(
            config.from.clone(),
            s.train.clone(),
            s.dev.clone(),
            PathBuf::new(),
        );
        fc.test = s.test.clone();
        fc.readout = ReadoutSpec {
            layer: o.layer.unwrap_or(start.readout.layer),
            token: o.token.unwrap_or(start.readout.token),
            dims: o.dims.clone().unwrap_or_else(|| start.readout.dims.clone()),
        };
        fc.head = o.head.unwrap_or(start.head);
        fc.freeze = o.freeze.unwrap_or(start.freeze);
        fc.hyper = config.hyper.clone();
        fc.max_train = config.max_train;
        fc.device = config.device.clone();
        fc.quiet = config.quiet;
        // Validated against the starting run's model: every step has its architecture.
        let v = validate(&fc).map_err(|e| match e {
            TrainError::Invalid(m) => bad(format!("step {k}: {m}")),
            e => e,
        })?;
        let task = v.train.meta.task.clone();
        if let Some(t) = tasks.iter().find(|t| t.info.task == task) {
            let first = if t.step == 0 {
                format!("the starting run's task ({})", config.from.display())
            } else {
                format!("step {} ({})", t.step, t.info.splits.train.display())
            };
            return Err(bad(format!(
                "task `{task}` is given twice: at {first} and at step {k} ({}); each task keeps one head, so train it once",
                s.train.display()
            )));
        }
        if let (Some(path), Some(split)) = (&s.test, &v.test) {
            check_vocab(path, split, &bert)?;
        }
        fc.model = match k {
            1 => config.from.clone(),
            _ => finetunes
                .last()
                .map(|f: &FinetuneConfig| f.out.clone())
                .expect("step k-1"),
        };
        fc.out = step_dir(&config.out, k, &task);
        let train = match fc.max_train {
            Some(n) => subsample(v.train, n, fc.hyper.seed),
            None => v.train,
        };
        tasks.push(CrossTask {
            step: k,
            info: RunInfo {
                dir: fc.out.clone(),
                task,
                metrics: v.dev.meta.metrics.clone(),
                readout: fc.readout.clone(),
                head: fc.head,
                freeze: fc.freeze,
                hyper: fc.hyper.clone(),
                layer_index: v.readout.layer,
                dims: v.dims,
                splits: s.clone(),
                max_train: fc.max_train,
                final_metrics: Vec::new(),
            },
            train,
            dev: v.dev,
            test: v.test,
            head: TensorMap::new(),
            head_dropout: fc.hyper.head_dropout.unwrap_or(bert.hidden_dropout_prob),
        });
        finetunes.push(fc);
    }
    Ok(Plan {
        tasks,
        finetunes,
        bert,
    })
}

fn modified(path: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// True when `fc.out` is a finished run of exactly `fc`, newer than the run it started from.
pub fn finished_step_matches(fc: &FinetuneConfig) -> bool {
    let Ok(have) = RunFile::read(&fc.out) else {
        return false;
    };
    let run = fc.out.join(RUN_FILE);
    let newer = match (modified(&run), modified(&fc.model.join(RUN_FILE))) {
        (Some(a), Some(b)) => a >= b,
        _ => false,
    };
    fc.run.same_result(&have.config) && newer
}
