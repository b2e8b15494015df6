//! Fine-tune runs: `runs/<task>/<name>/run.json`, grouped over seeds (`<name>-seed<N>`) and
//! sorted into the paper's sweeps by their config (token, dims, layer, head, freeze).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use fewdims_schema::run::{
    CURVE_FILE, CurveRow, PREDICTIONS_FILE, PredictionRow, RUN_FILE, RunFile, RunFileError,
};
use fewdims_schema::task::TaskKind;

use crate::ReportError;
use crate::stats::Stat;

/// One finished run, as its `run.json` describes it.
#[derive(Clone, Debug)]
pub struct RunRecord {
    pub path: PathBuf,
    pub task: String,
    /// The run dir's name.
    pub name: String,
    /// The name without a trailing `-seed<N>`: runs sharing it are seeds of one config.
    pub base: String,
    pub seed: Option<u64>,
    /// Metric names; the first is the main metric.
    pub metrics: Vec<String>,
    pub kind: TaskKind,
    /// Number of classes (0 for regression).
    pub classes: usize,
    pub token: String,
    pub dims: String,
    /// The `--layer` flag as given (`-1` = last).
    pub layer: String,
    pub layer_index: usize,
    pub dims_resolved: Vec<usize>,
    pub head: String,
    pub freeze: String,
    pub lr: Option<f64>,
    pub best_epoch: Option<u64>,
    /// `(split, metric, value)` of the best epoch.
    pub scores: Vec<(String, String, f64)>,
    /// Epochs whose dev score was NaN or infinite (never selected by finetune).
    pub non_finite_dev_epochs: Vec<usize>,
    /// The training curve (`curve.parquet`; empty for runs written before it existed).
    pub curve: Vec<CurveRow>,
    /// The best epoch's per-item predictions (`predictions.parquet`), by split; empty for runs
    /// written before it existed.
    pub predictions: BTreeMap<String, Vec<PredictionRow>>,
}

impl RunRecord {
    /// Parses a `run.json` (through [`RunFile`]); a missing or mistyped field is an error naming
    /// the file and field.
    pub fn parse(path: &Path, text: &str) -> Result<Self, ReportError> {
        let run = RunFile::parse(path, text.as_bytes())?;
        if run.metrics.is_empty() {
            return Err(ReportError::Field {
                path: path.into(),
                field: "metrics".into(),
                expected: "a non-empty list of metric names".into(),
            });
        }
        let name = path
            .parent()
            .and_then(Path::file_name)
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let c = &run.config;
        Ok(RunRecord {
            path: path.into(),
            task: run.task.clone(),
            base: strip_seed(&name).to_string(),
            name,
            seed: Some(run.seed),
            metrics: run.metrics.clone(),
            kind: run.kind,
            classes: match run.kind {
                TaskKind::Classification => run.label_names.len(),
                TaskKind::Regression => 0,
            },
            token: c.readout.token.to_string(),
            dims: c.readout.dims.to_string(),
            layer: c.readout.layer.to_string(),
            layer_index: run.layer_index,
            dims_resolved: run.dims_resolved.clone(),
            head: c.head.to_string(),
            freeze: c.freeze.to_string(),
            lr: Some(c.hyper.lr),
            best_epoch: Some(run.best_epoch as u64),
            scores: run
                .final_metrics
                .iter()
                .map(|m| (m.split.clone(), m.metric.clone(), m.value))
                .collect(),
            non_finite_dev_epochs: run.non_finite_dev_epochs.clone(),
            curve: Vec::new(),
            predictions: BTreeMap::new(),
        })
    }

    /// True when the run's selected dev score (main metric) is NaN or infinite: no epoch had a
    /// finite one. Such runs are counted, never silently dropped.
    pub fn non_finite(&self) -> bool {
        !self
            .score("dev", &self.metrics[0])
            .is_some_and(f64::is_finite)
    }

    /// The value of `metric` on `split`, if the run has it.
    pub fn score(&self, split: &str, metric: &str) -> Option<f64> {
        self.scores
            .iter()
            .find(|(s, m, _)| s == split && m == metric)
            .map(|r| r.2)
    }
}

/// One line on a run: its `run.json` path, best epoch, and best-epoch scores.
pub fn summary_line(run_json: &Path) -> Result<String, ReportError> {
    let bytes = std::fs::read(run_json).map_err(|e| ReportError::io(run_json, e))?;
    let run = RunFile::parse(run_json, &bytes)?;
    let scores: Vec<String> = run
        .final_metrics
        .iter()
        .map(|m| format!("{} {} {:.4}", m.split, m.metric, m.value))
        .collect();
    Ok(format!(
        "{:<40} epoch {}  {}",
        run_json.display(),
        run.best_epoch,
        scores.join("  ")
    ))
}

/// `cls-seed3` → `cls`; names without that suffix are kept.
pub fn strip_seed(name: &str) -> &str {
    match name.rsplit_once("-seed") {
        Some((base, n))
            if !base.is_empty() && !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) =>
        {
            base
        }
        _ => name,
    }
}

/// Reads every `<runs>/<task>/<name>/run.json` (hidden dirs and `runs/cross` are skipped).
/// A missing `runs` dir gives no runs; an unreadable or malformed run.json is an error.
/// Run dirs whose run.json has another format are skipped and returned apart (`stale`): make
/// re-runs those in its DAG, and an old run outside it must not stop the report.
pub fn scan_runs(root: &Path) -> Result<(Vec<RunRecord>, Vec<PathBuf>), ReportError> {
    let (mut out, mut stale) = (Vec::new(), Vec::new());
    for task_dir in sorted_dirs(root)? {
        if task_dir.file_name().is_some_and(|n| n == "cross") {
            continue;
        }
        for run_dir in sorted_dirs(&task_dir)? {
            let path = run_dir.join(RUN_FILE);
            if !path.is_file() {
                continue;
            }
            let text = std::fs::read_to_string(&path).map_err(|e| ReportError::io(&path, e))?;
            match RunRecord::parse(&path, &text) {
                Err(ReportError::Run(RunFileError::Version { .. })) => stale.push(path),
                r => {
                    let mut rec = r?;
                    let curve = run_dir.join(CURVE_FILE);
                    if curve.is_file() {
                        rec.curve = fewdims_tables::curve::read(&curve)?.rows;
                    }
                    let preds = run_dir.join(PREDICTIONS_FILE);
                    if preds.is_file() {
                        for row in fewdims_tables::predictions::read(&preds)?.rows {
                            rec.predictions
                                .entry(row.split.clone())
                                .or_default()
                                .push(row);
                        }
                    }
                    out.push(rec);
                }
            }
        }
    }
    Ok((out, stale))
}

/// Sub-directories of `dir` not starting with `.`, sorted; none when `dir` does not exist.
pub(crate) fn sorted_dirs(dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut v = Vec::new();
    for e in std::fs::read_dir(dir).map_err(|e| ReportError::io(dir, e))? {
        let e = e.map_err(|e| ReportError::io(dir, e))?;
        let hidden = e.file_name().to_string_lossy().starts_with('.');
        if !hidden && e.path().is_dir() {
            v.push(e.path());
        }
    }
    v.sort();
    Ok(v)
}

/// The seeds of one config of one task.
#[derive(Clone, Debug)]
pub struct RunGroup {
    pub task: String,
    pub base: String,
    pub runs: Vec<RunRecord>,
}

impl RunGroup {
    /// The config every seed shares (the first seed's).
    pub fn cfg(&self) -> &RunRecord {
        &self.runs[0]
    }

    pub fn main_metric(&self) -> &str {
        &self.cfg().metrics[0]
    }

    /// Mean ± sd of `metric` on `split` over the seeds.
    pub fn stat(&self, split: &str, metric: &str) -> Option<Stat> {
        let v: Vec<f64> = self
            .runs
            .iter()
            .filter_map(|r| r.score(split, metric))
            .collect();
        Stat::of(&v)
    }

    /// The headline: main metric on test, or on dev when no run has a test score.
    pub fn headline(&self) -> Option<(&'static str, Stat)> {
        let m = self.main_metric();
        self.stat("test", m)
            .map(|s| ("test", s))
            .or_else(|| self.stat("dev", m).map(|s| ("dev", s)))
    }

    /// Each seed's predictions on `split`; `None` when a seed has none.
    pub fn predictions(&self, split: &str) -> Option<Vec<&[PredictionRow]>> {
        self.runs
            .iter()
            .map(|r| r.predictions.get(split).map(Vec::as_slice))
            .collect()
    }

    pub fn k(&self) -> usize {
        self.cfg().dims_resolved.len()
    }

    /// Seeds whose selected dev score is not finite (left out of every mean).
    pub fn non_finite(&self) -> usize {
        self.runs.iter().filter(|r| r.non_finite()).count()
    }

    /// `3`, or `3 (1 non-finite)`.
    pub fn seeds_cell(&self) -> String {
        match self.non_finite() {
            0 => self.runs.len().to_string(),
            n => format!("{} ({n} non-finite)", self.runs.len()),
        }
    }
}

/// Groups runs by (task, base name), seeds sorted; groups sorted by task then name.
pub fn group_runs(runs: Vec<RunRecord>) -> Vec<RunGroup> {
    let mut map: BTreeMap<(String, String), Vec<RunRecord>> = BTreeMap::new();
    for r in runs {
        map.entry((r.task.clone(), r.base.clone()))
            .or_default()
            .push(r);
    }
    map.into_iter()
        .map(|((task, base), mut runs)| {
            runs.sort_by_key(|r| (r.seed, r.name.clone()));
            RunGroup { task, base, runs }
        })
        .collect()
}

/// The paper's sweeps, decided from the config.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sweep {
    /// Last layer, all dims, trainable encoder, linear head; the token varies.
    Token,
    /// Last layer, CLS, trainable encoder, linear head; the dims vary (`all` included).
    Dims,
    /// CLS, a few dims, trainable encoder, linear head, an explicit layer.
    Layer,
    /// A frozen (part of the) encoder or an MLP head.
    Freeze,
}

/// The runs of one task, sorted into sweeps.
#[derive(Debug)]
pub struct TaskRuns<'a> {
    pub task: String,
    pub groups: Vec<&'a RunGroup>,
    pub last_layer: usize,
}

impl<'a> TaskRuns<'a> {
    pub fn new(task: &str, all: &'a [RunGroup]) -> Self {
        let groups: Vec<&RunGroup> = all.iter().filter(|g| g.task == task).collect();
        let last_layer = groups
            .iter()
            .map(|g| g.cfg().layer_index)
            .max()
            .unwrap_or(0);
        TaskRuns {
            task: task.into(),
            groups,
            last_layer,
        }
    }

    pub fn is(&self, g: &RunGroup, sweep: Sweep) -> bool {
        let c = g.cfg();
        let plain = c.freeze == "none" && c.head == "linear";
        let last = c.layer == "-1" || c.layer_index == self.last_layer;
        match sweep {
            Sweep::Token => plain && last && c.dims == "all",
            // An explicit `--layer` run is the layer sweep's, even at the last layer: each run
            // counts in one sweep only.
            Sweep::Dims => plain && c.layer == "-1" && c.token == "cls",
            Sweep::Layer => self.layer_run(g),
            Sweep::Freeze => !plain,
        }
    }

    /// A run of the layer sweep: CLS, a few dims, an explicit layer; or the last layer's run
    /// of the same dims (`dims-random2` serves as the sweep's last layer).
    fn layer_run(&self, g: &RunGroup) -> bool {
        let c = g.cfg();
        let of_sweep = |c: &RunRecord| {
            c.freeze == "none" && c.head == "linear" && c.token == "cls" && c.dims != "all"
        };
        if !of_sweep(c) {
            return false;
        }
        let explicit = |c: &RunRecord| of_sweep(c) && c.layer != "-1";
        if explicit(c) {
            return true;
        }
        let same_dims = |o: &&&RunGroup| explicit(o.cfg()) && o.cfg().dims == c.dims;
        self.groups.iter().any(|o| same_dims(&o))
            && !self
                .groups
                .iter()
                .any(|o| same_dims(&o) && o.cfg().layer_index == c.layer_index)
    }

    pub fn sweep(&self, sweep: Sweep) -> Vec<&'a RunGroup> {
        self.groups
            .iter()
            .copied()
            .filter(|g| self.is(g, sweep))
            .collect()
    }

    /// The full fine-tune everything is compared with: last layer, CLS, all dims, trainable
    /// encoder, linear head; the run named `cls` if there is one.
    pub fn reference(&self) -> Option<&'a RunGroup> {
        let cands: Vec<&RunGroup> = self
            .sweep(Sweep::Token)
            .into_iter()
            .filter(|g| g.cfg().token == "cls")
            .collect();
        cands
            .iter()
            .find(|g| g.base == "cls")
            .or(cands.first())
            .copied()
    }

    /// The reference of the freezing comparison: `freeze-none-linear` if present, else [`Self::reference`].
    pub fn freeze_reference(&self) -> Option<&'a RunGroup> {
        self.groups
            .iter()
            .copied()
            .find(|g| g.base == "freeze-none-linear" && self.is(g, Sweep::Token))
            .or_else(|| self.reference())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_are_stripped() {
        assert_eq!(strip_seed("cls-seed12"), "cls");
        assert_eq!(strip_seed("dims-random2-seed1"), "dims-random2");
        assert_eq!(strip_seed("cls-seed"), "cls-seed");
        assert_eq!(strip_seed("-seed1"), "-seed1");
        assert_eq!(strip_seed("layer3"), "layer3");
    }
}
