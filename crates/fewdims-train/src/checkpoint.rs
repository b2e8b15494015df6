//! Step checkpoints inside the unfinished run dir, for `--resume`; the run dir's lock is
//! `fewdims_schema::OutputLock`.
//!
//! `<partial>/checkpoint/` holds `step-<S>/` (model and optimizer states as burnpack records,
//! which keep parameter ids, and `state.json`), `best-<E>/` (the best epoch so far, HF layout)
//! and `LATEST` (the name of the newest complete `step-<S>`). Each dir is written under a temp
//! name and renamed; `LATEST` is replaced atomically last, so a kill at any point leaves the
//! previous checkpoint whole.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::tensor::Device;
use fewdims_bert::{BertConfig, BertModel, load_model_dir, save_model_dir};
use fewdims_schema::run::{
    CURVE_FILE, CurveRow, METRICS_FILE, MetricRow, PREDICTIONS_FILE, PredictionRow, RunConfig,
};

use crate::TrainError;
use crate::head::{ClassifierHead, ClassifierHeadConfig};
use crate::step::{Optimizers, Trainee};

const LATEST: &str = "LATEST";

/// The running mean of the training loss since the last curve point.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct LossWindow {
    #[serde(with = "f64_bits")]
    pub sum: f64,
    pub steps: usize,
}

/// An f64 as its bits: serde_json's default float parsing may miss the last bit.
mod f64_bits {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(x.to_bits())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(f64::from_bits(u64::deserialize(d)?))
    }
}

/// Everything besides tensors that a resumed run needs to continue exactly.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct TrainState {
    /// The run's settings: a checkpoint of other settings is not resumed.
    pub config: RunConfig,
    /// Optimizer steps done, over all epochs; the data position follows from it.
    pub steps_done: usize,
    /// 0 until an epoch with a finite dev score.
    pub best_epoch: usize,
    pub best_value: Option<f64>,
    /// Epochs whose main dev score was NaN or infinite (never selected).
    pub non_finite_dev_epochs: Vec<usize>,
    /// Kept beside state.json as `metrics.parquet` and `curve.parquet` (exact f64).
    #[serde(skip)]
    pub rows: Vec<MetricRow>,
    #[serde(skip)]
    pub curve: Vec<CurveRow>,
    pub window: LossWindow,
    pub train_seconds: f64,
    pub examples_seen: usize,
}

impl TrainState {
    pub fn new(config: RunConfig) -> Self {
        Self {
            config,
            steps_done: 0,
            best_epoch: 0,
            best_value: None,
            non_finite_dev_epochs: Vec::new(),
            rows: Vec::new(),
            curve: Vec::new(),
            window: LossWindow::default(),
            train_seconds: 0.0,
            examples_seen: 0,
        }
    }
}

/// A resumed checkpoint: its state, model and optimizers.
pub struct Resumed {
    pub state: TrainState,
    pub model: Trainee,
    pub optim: Optimizers,
}

/// `<partial run dir>/checkpoint/` of one run.
pub struct Checkpoint {
    pub dir: PathBuf,
    pub config: BertConfig,
    pub has_pooler: bool,
    pub head: ClassifierHeadConfig,
    pub head_dropout: f64,
}

fn step_name(steps: usize) -> String {
    format!("step-{steps:08}")
}

fn best_name(epoch: usize) -> String {
    format!("best-{epoch:04}")
}

impl Checkpoint {
    fn err(&self, e: impl std::fmt::Display) -> TrainError {
        TrainError::Checkpoint {
            dir: self.dir.clone(),
            reason: e.to_string(),
        }
    }

    fn debug(&self, e: impl std::fmt::Debug) -> TrainError {
        self.err(format!("{e:?}"))
    }

    /// Saves the model and optimizers after `state.steps_done` steps; with `best`, also the best
    /// epoch's model (`state.best_epoch`). Older checkpoints are removed once this one is whole.
    pub fn save(
        &self,
        state: &TrainState,
        model: &Trainee,
        optim: &Optimizers,
        best: Option<(&BertModel, &ClassifierHead, &[PredictionRow])>,
    ) -> Result<(), TrainError> {
        std::fs::create_dir_all(&self.dir).map_err(|e| self.err(e))?;
        if let Some((enc, hd, predictions)) = best {
            let name = best_name(state.best_epoch);
            let tmp = self.dir.join(format!(".{name}.tmp"));
            let _ = std::fs::remove_dir_all(&tmp);
            save_model_dir(
                &tmp,
                &self.config,
                enc,
                &hd.to_tensors("head"),
                HashMap::new(),
            )
            .map_err(|e| self.err(e))?;
            fewdims_tables::predictions::write(&tmp.join(PREDICTIONS_FILE), predictions)?;
            replace_dir(&tmp, &self.dir.join(&name)).map_err(|e| self.err(e))?;
        }
        let name = step_name(state.steps_done);
        let tmp = self.dir.join(format!(".{name}.tmp"));
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp).map_err(|e| self.err(e))?;
        let (rec, opt) = (|e| self.debug(e), |e| self.debug(e));
        model
            .encoder
            .clone()
            .save_file(tmp.join("encoder.bpk"))
            .map_err(rec)?;
        model
            .head
            .clone()
            .save_file(tmp.join("head.bpk"))
            .map_err(rec)?;
        optim.encoder.save(tmp.join("encoder.optim")).map_err(opt)?;
        optim.head.save(tmp.join("head.optim")).map_err(opt)?;
        fewdims_tables::run_metrics::write(&tmp.join(METRICS_FILE), &state.rows)?;
        fewdims_tables::curve::write(&tmp.join(CURVE_FILE), &state.curve)?;
        let json = serde_json::to_vec_pretty(state).expect("state serializes");
        fewdims_schema::write_atomic(tmp.join("state.json"), &json).map_err(|e| self.err(e))?;
        replace_dir(&tmp, &self.dir.join(&name)).map_err(|e| self.err(e))?;
        fewdims_schema::write_atomic(self.dir.join(LATEST), name.as_bytes())
            .map_err(|e| self.err(e))?;
        // Only now is the older checkpoint unneeded.
        let keep = [name, best_name(state.best_epoch), LATEST.to_string()];
        for entry in std::fs::read_dir(&self.dir).map_err(|e| self.err(e))? {
            let entry = entry.map_err(|e| self.err(e))?;
            let file = entry.file_name().to_string_lossy().into_owned();
            if !keep.contains(&file) {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
        Ok(())
    }

    /// The newest checkpoint, if there is one made with settings that give the same result as
    /// `config`; `Ok(None)` (and a note on stderr) for one made with other settings. The
    /// optimizers (AdamW with `weight_decay`) are built on the loaded model.
    pub fn load(
        &self,
        config: &RunConfig,
        device: &Device,
        weight_decay: f64,
    ) -> Result<Option<Resumed>, TrainError> {
        let Ok(name) = std::fs::read_to_string(self.dir.join(LATEST)) else {
            return Ok(None);
        };
        let dir = self.dir.join(name.trim());
        let bytes = std::fs::read(dir.join("state.json")).map_err(|e| self.err(e))?;
        let mut state: TrainState = serde_json::from_slice(&bytes).map_err(|e| self.err(e))?;
        if !state.config.same_result(config) {
            eprintln!(
                "{}: made with other settings; starting afresh",
                self.dir.display()
            );
            std::fs::remove_dir_all(&self.dir).map_err(|e| self.err(e))?;
            return Ok(None);
        }
        state.rows = fewdims_tables::run_metrics::read(&dir.join(METRICS_FILE))?.rows;
        state.curve = fewdims_tables::curve::read(&dir.join(CURVE_FILE))?.rows;
        let (rec, opt) = (|e| self.debug(e), |e| self.debug(e));
        let encoder = self
            .config
            .init(self.has_pooler, device)
            .try_load_file(dir.join("encoder.bpk"))
            .map_err(rec)?;
        let mut head = self
            .head
            .init(device)
            .try_load_file(dir.join("head.bpk"))
            .map_err(rec)?;
        head.dims_mask = head.dims_mask.set_require_grad(false);
        let model = Trainee { encoder, head };
        // The records restore the saved parameter ids, and ids are drawn at random per module
        // init: the no-decay group must be built from these ids, not from another model's, or
        // every bias and LayerNorm weight is decayed after a resume (the old resume drift).
        let fresh = Optimizers::new(&model, weight_decay);
        let optim = Optimizers {
            encoder: fresh.encoder.load(dir.join("encoder.optim")).map_err(opt)?,
            head: fresh.head.load(dir.join("head.optim")).map_err(opt)?,
        };
        Ok(Some(Resumed {
            state,
            model,
            optim,
        }))
    }

    /// The best epoch's model so far (eval mode) and its predictions.
    pub fn load_best(
        &self,
        epoch: usize,
        device: &Device,
    ) -> Result<(BertModel, ClassifierHead, Vec<PredictionRow>), TrainError> {
        let dir = self.dir.join(best_name(epoch));
        let loaded = load_model_dir(&dir, device).map_err(|e| self.err(e))?;
        let head = ClassifierHead::from_tensors(&loaded.extra, "head", self.head_dropout, device)
            .map_err(|e| self.err(e))?;
        let predictions = fewdims_tables::predictions::read(&dir.join(PREDICTIONS_FILE))?.rows;
        Ok((loaded.model.valid(), head.valid(), predictions))
    }
}

/// Moves the finished dir `tmp` to `dest`, replacing an older `dest`.
fn replace_dir(tmp: &Path, dest: &Path) -> std::io::Result<()> {
    if dest.exists() {
        std::fs::remove_dir_all(dest)?;
    }
    std::fs::rename(tmp, dest)
}

/// `runs/<id>` → `runs/.<id>.<suffix>`.
pub fn sibling(out: &Path, suffix: &str) -> PathBuf {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "run".into());
    out.with_file_name(format!(".{name}.{suffix}"))
}
