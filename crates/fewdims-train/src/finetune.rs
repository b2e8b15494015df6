//! `finetune`: validate everything, train, and write the run dir (atomically, as a whole).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use fewdims_bert::{BertConfig, load_model_dir, save_model_dir};
use fewdims_data::{TaskKind, TokenSplit, read_token_split};
use fewdims_schema::run::{self as schema, RunFile, Timings};
use fewdims_schema::vocab::{Freeze, ReadoutKind};
use rand::SeedableRng;
use rand::seq::index::sample;

use crate::TrainError;
use crate::checkpoint::{Checkpoint, sibling};
use crate::finetune_config::FinetuneConfig;
use crate::freeze::apply_freeze;
use crate::head::ClassifierHeadConfig;
use crate::step::Trainee;
use crate::train::{LoopInput, MetricRow, train_loop};
use fewdims_bert::Readout;

/// What a finished run reports.
#[derive(Clone, Debug, serde::Serialize)]
pub struct RunSummary {
    pub out: PathBuf,
    pub task: String,
    pub best_epoch: usize,
    /// Best epoch's dev (and test) metrics.
    pub final_metrics: Vec<MetricRow>,
    pub dims: Vec<usize>,
    pub train_seconds: f64,
    pub examples_per_second: f64,
    pub backend: String,
    pub device: String,
}

impl std::fmt::Display for RunSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let metrics: Vec<String> = self
            .final_metrics
            .iter()
            .map(|r| format!("{} {} {:.4}", r.split, r.metric, r.value))
            .collect();
        write!(
            f,
            "{}: task {}, best epoch {}, {} | {:.0} s, {:.1} train ex/s on {} {}",
            self.out.display(),
            self.task,
            self.best_epoch,
            metrics.join(", "),
            self.train_seconds,
            self.examples_per_second,
            self.backend,
            self.device
        )
    }
}

/// The splits and model config, checked against each other and the flags.
pub struct Validated {
    pub train: TokenSplit,
    pub dev: TokenSplit,
    pub test: Option<TokenSplit>,
    /// `--also-test` splits (labelled), scored like test under their own split names.
    pub also_test: Vec<TokenSplit>,
    pub bert: BertConfig,
    pub readout: Readout,
    pub dims: Vec<usize>,
    pub num_outputs: usize,
}

fn bad(msg: impl Into<String>) -> TrainError {
    TrainError::Invalid(msg.into())
}

/// Reads the inputs and refuses flags that do not fit the task or the model, before any training.
pub fn validate(config: &FinetuneConfig) -> Result<Validated, TrainError> {
    let bert = BertConfig::from_file(config.model.join(schema::CONFIG_FILE))?;
    let train = read_token_split(&config.train)?;
    let dev = read_token_split(&config.dev)?;
    // GLUE's test splits carry no labels: such a split is not scored (run.json's num_test is null).
    let test = config
        .test
        .as_deref()
        .map(read_token_split)
        .transpose()?
        .filter(|t| t.meta.labelled && !t.labels.iter().any(|l| l.is_unlabelled()));
    let also_test = config
        .also_test
        .iter()
        .map(|p| read_token_split(p))
        .collect::<Result<Vec<_>, _>>()?;
    for (path, split) in config.also_test.iter().zip(&also_test) {
        if !split.meta.labelled || split.labels.iter().any(|l| l.is_unlabelled()) {
            return Err(bad(format!(
                "{}: --also-test needs a labelled split (it has label -1 rows)",
                path.display()
            )));
        }
        if ["train", "dev", "test"].contains(&split.meta.split.as_str()) {
            return Err(bad(format!(
                "{}: split `{}`; --also-test takes other report splits (e.g. test_mm)",
                path.display(),
                split.meta.split
            )));
        }
    }
    for (path, split) in [(&config.dev, &dev)]
        .into_iter()
        .chain(config.test.as_ref().zip(test.as_ref()))
        .chain(config.also_test.iter().zip(&also_test))
    {
        if split.meta.task != train.meta.task {
            return Err(bad(format!(
                "{}: task `{}`, but the train split is task `{}`",
                path.display(),
                split.meta.task,
                train.meta.task
            )));
        }
    }
    for (path, split) in [(&config.train, &train), (&config.dev, &dev)] {
        if !split.meta.labelled || split.labels.iter().any(|l| l.is_unlabelled()) {
            return Err(bad(format!(
                "{}: has unlabelled rows (label -1); training and selection need labels",
                path.display()
            )));
        }
        if split.is_empty() {
            return Err(bad(format!("{}: no rows", path.display())));
        }
    }
    let splits = [(&config.train, &train), (&config.dev, &dev)]
        .into_iter()
        .chain(config.test.as_ref().zip(test.as_ref()))
        .chain(config.also_test.iter().zip(&also_test));
    for (path, split) in splits {
        if let Some(&id) = split.input_ids.iter().max()
            && id as usize >= bert.vocab_size
        {
            return Err(bad(format!(
                "token id {id} in {} is ≥ the model's vocab_size {}: tokenized with another vocab?",
                path.display(),
                bert.vocab_size
            )));
        }
    }
    if train.tok.max_len > bert.max_position_embeddings {
        return Err(bad(format!(
            "{} was tokenized to max_len {}, beyond the model's max_position_embeddings {}",
            config.train.display(),
            train.tok.max_len,
            bert.max_position_embeddings
        )));
    }
    let spec = &config.readout;
    let layer = spec.layer.resolve(bert.num_hidden_layers).map_err(bad)?;
    let dims = spec
        .dims
        .resolve(bert.hidden_size, config.hyper.seed)
        .map_err(bad)?;
    if spec.token == ReadoutKind::Pooler {
        // Only the safetensors header is read: the model itself is loaded once, later.
        let has_pooler =
            fewdims_bert::weights::tensor_names(&config.model.join(schema::MODEL_FILE))?
                .iter()
                .any(|k| k.ends_with("pooler.dense.weight"));
        if !has_pooler {
            return Err(bad(format!(
                "--token pooler: {} has no pooler",
                config.model.display()
            )));
        }
        if layer != bert.num_hidden_layers {
            return Err(bad(format!(
                "--token pooler reads the last layer; --layer {} is not it",
                spec.layer
            )));
        }
    }
    if let ReadoutKind::Pos(n) = spec.token
        && n >= train.tok.max_len
    {
        return Err(bad(format!(
            "--token pos:{n} is beyond max_len {} of the tokenized data",
            train.tok.max_len
        )));
    }
    if let Freeze::Below(n) = config.freeze
        && n > bert.num_hidden_layers
    {
        return Err(bad(format!(
            "--freeze below:{n}: the model has {} layers (below:N freezes the embeddings and layers 1..N)",
            bert.num_hidden_layers
        )));
    }
    if config.log_every == 0 || config.save_every == Some(0) {
        return Err(bad("--log-every and --save-every must be at least 1"));
    }
    let hp = &config.hyper;
    if hp.epochs == 0 || hp.batch_size == 0 || hp.eval_batch_size == 0 {
        return Err(bad("epochs and batch sizes must be at least 1"));
    }
    if !(hp.lr > 0.0 && hp.lr.is_finite()) || !(0.0..1.0).contains(&hp.warmup_ratio) {
        return Err(bad(format!(
            "lr must be > 0 (got {}), warmup_ratio in [0, 1) (got {})",
            hp.lr, hp.warmup_ratio
        )));
    }
    let num_outputs = match train.meta.kind {
        TaskKind::Classification => train.meta.num_classes(),
        TaskKind::Regression => 1,
    };
    Ok(Validated {
        train,
        dev,
        test,
        also_test,
        bert,
        readout: Readout {
            layer,
            token: spec.token,
        },
        dims,
        num_outputs,
    })
}

/// Seeded subsample of `n` rows.
pub(crate) fn subsample(split: TokenSplit, n: usize, seed: u64) -> TokenSplit {
    if n >= split.len() {
        return split;
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut rows = sample(&mut rng, split.len(), n).into_vec();
    rows.sort_unstable();
    let mut out = TokenSplit {
        idx: Vec::new(),
        offsets: vec![0],
        input_ids: Vec::new(),
        token_type_ids: Vec::new(),
        labels: Vec::new(),
        ..split.clone()
    };
    for &i in &rows {
        let (ids, types) = split.row(i);
        out.idx.push(split.idx[i]);
        out.input_ids.extend_from_slice(ids);
        out.token_type_ids.extend_from_slice(types);
        out.offsets.push(out.input_ids.len());
        out.labels.push(split.labels[i]);
    }
    out
}

/// `runs/<id>` → `runs/.<id>.partial` (where checkpoints live until the run is done).
pub fn partial_dir(out: &Path) -> PathBuf {
    sibling(out, "partial")
}

/// Runs a finetune end to end.
pub fn finetune(config: &FinetuneConfig) -> Result<RunSummary, TrainError> {
    let v = validate(config)?;
    // Held until the run dir is in place: a second finetune of the same dir refuses at once
    // (`runs/.<id>.lock`, the lock every stage takes on its output).
    let _lock = fewdims_schema::OutputLock::acquire(&config.out)?;
    let selected = config.device.select()?;
    let device = selected.device.clone().autodiff();
    device.seed(config.hyper.seed);
    let partial = partial_dir(&config.out);
    if !config.resume && partial.exists() {
        std::fs::remove_dir_all(&partial).map_err(|e| TrainError::io(&partial, e))?;
    }
    std::fs::create_dir_all(&partial).map_err(|e| TrainError::io(&partial, e))?;
    let loaded = load_model_dir(&config.model, &device)?;
    let head_dropout = config
        .hyper
        .head_dropout
        .unwrap_or(v.bert.hidden_dropout_prob);
    let head_config = ClassifierHeadConfig {
        hidden_size: v.bert.hidden_size,
        num_outputs: v.num_outputs,
        kind: config.head,
        dims: v.dims.clone(),
        dropout: head_dropout,
        init_std: v.bert.initializer_range(),
    };
    let train = match config.max_train {
        Some(n) => subsample(v.train, n, config.hyper.seed),
        None => v.train,
    };
    let pad_id = v.bert.pad_token_id as u32;
    let checkpoint = Checkpoint {
        dir: partial.join("checkpoint"),
        config: v.bert.clone(),
        has_pooler: loaded.report.has_pooler,
        head: head_config.clone(),
        head_dropout,
    };
    let trained = train_loop(LoopInput {
        config,
        model: Trainee {
            encoder: apply_freeze(loaded.model, config.freeze),
            head: head_config.init(&device),
        },
        readout: v.readout,
        train: &train,
        dev: &v.dev,
        test: v.test.as_ref(),
        also_test: &v.also_test,
        pad_id,
        checkpoint,
    })?;
    let final_metrics: Vec<MetricRow> = trained
        .rows
        .iter()
        .filter(|r| r.epoch == trained.best_epoch)
        .cloned()
        .collect();
    let summary = RunSummary {
        out: config.out.clone(),
        task: train.meta.task.clone(),
        best_epoch: trained.best_epoch,
        final_metrics,
        dims: v.dims.clone(),
        train_seconds: trained.train_seconds,
        examples_per_second: trained.examples_per_second,
        backend: selected.backend.to_string(),
        device: selected.device_name.clone(),
    };
    let meta = HashMap::from([
        (schema::META_TASK.to_string(), train.meta.task.clone()),
        (
            schema::META_READOUT.to_string(),
            serde_json::to_string(&config.readout).expect("json"),
        ),
    ]);
    save_model_dir(
        &partial,
        &v.bert,
        &trained.best_encoder,
        &trained.best_head.to_tensors(schema::HEAD_PREFIX),
        meta,
    )?;
    fewdims_tables::run_metrics::write(&partial.join(schema::METRICS_FILE), &trained.rows)?;
    fewdims_tables::curve::write(&partial.join(schema::CURVE_FILE), &trained.curve)?;
    fewdims_tables::predictions::write(
        &partial.join(schema::PREDICTIONS_FILE),
        &trained.predictions,
    )?;
    let run_file = RunFile {
        format: schema::FORMAT.into(),
        config: config.run.clone(),
        seed: config.hyper.seed,
        backend: selected.backend.to_string(),
        device: selected.device_name.clone(),
        git_revision: git_revision(),
        task: train.meta.task.clone(),
        kind: train.meta.kind,
        metrics: train.meta.metrics.clone(),
        label_names: train.meta.label_names.clone(),
        num_train: train.len(),
        num_dev: v.dev.len(),
        num_test: v.test.as_ref().map(|t| t.len()),
        layer_index: v.readout.layer,
        dims_resolved: v.dims.clone(),
        best_epoch: summary.best_epoch,
        non_finite_dev_epochs: trained.non_finite_dev_epochs.clone(),
        final_metrics: summary.final_metrics.clone(),
        timings: Timings {
            train_seconds: trained.train_seconds,
            train_examples_per_second: trained.examples_per_second,
        },
    };
    fewdims_schema::write_atomic(partial.join(schema::RUN_FILE), &run_file.to_json())
        .map_err(|e| TrainError::io(&partial, e))?;
    let _ = std::fs::remove_dir_all(partial.join("checkpoint"));
    if config.out.exists() {
        std::fs::remove_dir_all(&config.out).map_err(|e| TrainError::io(&config.out, e))?;
    }
    std::fs::rename(&partial, &config.out).map_err(|e| TrainError::io(&config.out, e))?;
    Ok(summary)
}

/// `git rev-parse HEAD` of the working dir, or "unknown".
pub(crate) fn git_revision() -> String {
    std::process::Command::new("git")
        .args(["rev-parse", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".into())
}
