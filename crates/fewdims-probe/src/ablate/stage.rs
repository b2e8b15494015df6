//! `probe-dims --methods ablate --run RUN`: a fine-tuned run's own head, on its own readout
//! (token, layer) of hidden states extracted from the run, scored with every subset of its
//! selected dims kept and the others zeroed; written as a probe table of `ablate` rows.

use std::path::{Path, PathBuf};
use std::time::Instant;

use fewdims_schema::hidden::HiddenReader;
use fewdims_schema::probe::Method;
use fewdims_schema::run::MODEL_FILE;
use fewdims_schema::task::TaskKind;
use fewdims_schema::vocab::ReadoutKind;

use super::RunHead;
use crate::probe_rows::{ProbeGroup, ProbeGroupWriter, hidden_files, table_metadata};
use crate::{Metric, ProbeError, ProbeResult, file_sha256};

/// What to ablate and where to write it.
#[derive(Clone, Debug)]
pub struct AblateConfig {
    /// The fine-tuned run dir (`runs/<task>/<name>`).
    pub run: PathBuf,
    /// Hidden states of dev (and test) extracted from the run.
    pub dev: PathBuf,
    pub test: Option<PathBuf>,
    pub out: PathBuf,
    /// Score even on hidden states of another model (a warning instead of a refusal).
    pub any_source: bool,
}

/// What an ablation found.
#[derive(Clone, Debug)]
pub struct AblateOutcome {
    pub run: PathBuf,
    pub out: PathBuf,
    pub model: String,
    pub task: String,
    pub head_kind: &'static str,
    pub token: String,
    pub layer: usize,
    pub dims: Vec<usize>,
    /// The selection metric (first of the task's).
    pub metric: String,
    /// One per subset, largest first; `dev`/`test` per metric.
    pub results: Vec<ProbeResult>,
    /// run.json's dev score of `metric` at its best epoch.
    pub run_dev: Option<f64>,
    pub rows: usize,
    pub seconds: f64,
    pub warnings: Vec<String>,
}

/// `<parent>/<name>` of a run dir, as `extract-hidden` names the model of a run's states.
fn run_model_name(run: &Path) -> String {
    let dir = run.canonicalize().unwrap_or_else(|_| run.to_path_buf());
    let name = |p: &Path| {
        p.file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| p.display().to_string())
    };
    match dir.parent() {
        Some(parent) => format!("{}/{}", name(parent), name(&dir)),
        None => name(&dir),
    }
}

/// Checks that a hidden file fits the run (task, kind, classes, hidden size, readout, layer,
/// source); returns the layer index to read in the file.
fn check_hidden(
    r: &HiddenReader,
    rh: &RunHead,
    any_source: bool,
    warnings: &mut Vec<String>,
) -> Result<usize, ProbeError> {
    let (meta, run, head) = (r.meta(), &rh.run, &rh.head);
    let file = r.path().display();
    let dir = rh.dir.display();
    let token = run.config.readout.token;
    let layer = run.layer_index;
    let bad = |m: String| Err(ProbeError::Invalid(m));
    if run.task != meta.task {
        return bad(format!(
            "{file}: task {:?}, but run {dir} was fine-tuned on {:?}",
            meta.task, run.task
        ));
    }
    if run.kind != meta.kind {
        return bad(format!(
            "{file}: a {} task, but run {dir} is {}",
            meta.kind.as_str(),
            run.kind.as_str()
        ));
    }
    let outputs = head.outputs();
    match meta.kind {
        TaskKind::Regression if outputs != 1 => {
            return bad(format!(
                "{file}: a regression task, but the run's head has {outputs} outputs"
            ));
        }
        TaskKind::Classification
            if !meta.label_names.is_empty() && meta.label_names.len() != outputs =>
        {
            return bad(format!(
                "{file}: {} classes {:?}, but the run's head has {outputs} outputs",
                meta.label_names.len(),
                meta.label_names
            ));
        }
        _ => {}
    }
    if meta.kind == TaskKind::Classification && run.label_names != meta.label_names {
        return bad(format!(
            "{file}: label names {:?} differ from the run's {:?}",
            meta.label_names, run.label_names
        ));
    }
    if meta.hidden_size != head.hidden() {
        return bad(format!(
            "{file}: hidden size {}, but the run's head reads {} dims",
            meta.hidden_size,
            head.hidden()
        ));
    }
    if !meta.readouts.contains(&token.to_string()) {
        return bad(format!(
            "{file}: no readout `{token}` (it has {:?}); the run's head reads `{token}` at layer {layer}: \
             extract it with `extract-hidden --model {dir} --readouts {token} ...`",
            meta.readouts
        ));
    }
    let file_layer = if token == ReadoutKind::Pooler {
        if layer != meta.num_layers {
            return bad(format!(
                "{file}: the pooler reads layer {}, but the run reads layer {layer}",
                meta.num_layers
            ));
        }
        0
    } else {
        if layer > meta.num_layers {
            return bad(format!(
                "{file}: layers 0..={}, but the run reads layer {layer}",
                meta.num_layers
            ));
        }
        layer
    };
    let src = Path::new(&meta.source);
    let same = match (src.canonicalize(), rh.dir.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        // The source path does not resolve from here: fall back on the model name.
        _ => meta.model == run_model_name(&rh.dir),
    };
    if !same {
        let msg = format!(
            "{file}: hidden states of model `{}` (source {}), not of run {dir}: its head would be \
             scored on another encoder's features",
            meta.model, meta.source
        );
        if !any_source {
            return bad(format!(
                "{msg}. Extract them from the run (`extract-hidden --model {dir} ...`), or pass \
                 --any-source to score anyway"
            ));
        }
        warnings.push(format!("{msg} (--any-source)"));
    }
    Ok(file_layer)
}

/// Runs the ablation and writes its table.
pub fn ablate_run(cfg: &AblateConfig) -> Result<AblateOutcome, ProbeError> {
    let rh = RunHead::load(&cfg.run)?;
    let mut warnings = rh.warnings.clone();
    let dev = HiddenReader::open(&cfg.dev)?;
    let test = cfg.test.as_ref().map(HiddenReader::open).transpose()?;
    let file_layer = check_hidden(&dev, &rh, cfg.any_source, &mut warnings)?;
    if let Some(t) = &test {
        check_hidden(t, &rh, cfg.any_source, &mut warnings)?;
    }
    let meta = dev.meta().clone();
    let metrics = meta
        .metrics
        .iter()
        .map(|m| {
            Metric::parse(m).ok_or_else(|| {
                ProbeError::Invalid(format!("{}: unknown metric {m}", cfg.dev.display()))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let run = &rh.run;
    let token = run.config.readout.token.to_string();
    let score = |r: &HiddenReader| -> Result<Vec<super::AblateResult>, ProbeError> {
        let x = r.layer(&token, file_layer)?;
        let labels = r.labels()?;
        super::ablate_head(&rh.head, &run.dims_resolved, &x, &labels, &metrics)
    };
    let started = Instant::now();
    let on_dev = score(&dev)?;
    let on_test = test.as_ref().map(score).transpose()?;
    let results: Vec<ProbeResult> = on_dev
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut dims: Vec<u16> = r.kept.iter().map(|&d| d as u16).collect();
            dims.sort_unstable();
            ProbeResult {
                method: Method::Ablate,
                k: dims.len() as u16,
                dims,
                dev: r.scores.clone(),
                test: on_test
                    .as_ref()
                    .map_or(vec![f64::NAN; metrics.len()], |t| t[i].scores.clone()),
            }
        })
        .collect();
    let files = hidden_files(&[("dev", Some(&cfg.dev)), ("test", cfg.test.as_deref())])?;
    let final_dev: serde_json::Map<String, serde_json::Value> = run
        .final_metrics
        .iter()
        .filter(|r| r.split == "dev")
        .map(|r| (r.metric.clone(), serde_json::json!(r.value)))
        .collect();
    let settings = serde_json::json!({
        "method": "ablate", "refit": false,
        "run": cfg.run.display().to_string(),
        // Not run.json's sha256: it holds wall-clock timings, so the table's bytes would differ
        // between identical runs. The model's sha256 and the run's settings identify the run.
        "model_sha256": file_sha256(&cfg.run.join(MODEL_FILE))?,
        "head": rh.kind(),
        "token": token, "layer": run.layer_index, "dims": run.dims_resolved,
        "run_best_epoch": run.best_epoch,
        "run_final_dev": final_dev,
        "rows": "every subset of dims kept (the others zeroed), largest first",
    });
    let kv = table_metadata(&meta, files, &settings);
    let mut table = ProbeGroupWriter::create(&cfg.out, &metrics, &kv)?;
    table.write(&ProbeGroup {
        layer: run.layer_index as i32,
        readout: token.clone(),
        results: results.clone(),
    })?;
    let rows = table.finish()?;
    Ok(AblateOutcome {
        run: cfg.run.clone(),
        out: cfg.out.clone(),
        model: meta.model,
        task: meta.task,
        head_kind: rh.kind(),
        token,
        layer: run.layer_index,
        dims: run.dims_resolved.clone(),
        metric: meta.metrics[0].clone(),
        run_dev: run.score("dev", &meta.metrics[0]),
        results,
        rows,
        seconds: started.elapsed().as_secs_f64(),
        warnings,
    })
}

impl AblateOutcome {
    /// A note when the run's own dev score and the score here with all its dims differ.
    pub fn mismatch_note(&self) -> Option<String> {
        let diff = (self.results.first()?.dev[0] - self.run_dev?).abs();
        (diff > 1e-3).then(|| {
            format!(
                "they differ by {diff:.4}: were the hidden states extracted from the same dev \
                 split and tokenization (max_len) as the run was evaluated on?"
            )
        })
    }
}

impl std::fmt::Display for AblateOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "{} {}: run {} ({} head on {} layer {}, dims {:?}), no refit; {} dev/test with the other dims zeroed",
            self.model,
            self.task,
            self.run.display(),
            self.head_kind,
            self.token,
            self.layer,
            self.dims,
            self.metric
        )?;
        for r in &self.results {
            let dims = format!("{:?}", r.dims);
            writeln!(f, "  k={} {dims:<24} {:.4}/{:.4}", r.k, r.dev[0], r.test[0])?;
        }
        if let (Some(v), Some(r)) = (self.run_dev, self.results.first()) {
            writeln!(
                f,
                "run.json: dev {} {v:.4} at its best epoch; here with all its dims {:.4}",
                self.metric, r.dev[0]
            )?;
        }
        writeln!(
            f,
            "{} subsets in {:.2} s; {} rows -> {}",
            self.results.len(),
            self.seconds,
            self.rows,
            self.out.display()
        )
    }
}
