//! Per-epoch checkpoints inside the unfinished run dir, for `--resume`.

use std::collections::HashMap;
use std::path::PathBuf;

use burn::module::Module;
use burn::optim::ModuleOptimizer;
use burn::tensor::Device;
use fewdims_bert::{BertConfig, BertModel, load_model_dir, save_model_dir};

use crate::TrainError;
use crate::head::{ClassifierHead, ClassifierHeadConfig};
use crate::train::MetricRow;

/// Progress saved after each epoch.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct EpochState {
    pub epochs_done: usize,
    pub best_epoch: usize,
    pub best_value: f64,
    pub rows: Vec<MetricRow>,
}

/// `<partial run dir>/checkpoint/`: the last epoch's model and optimizer states as burnpack
/// records (they keep parameter ids, which optimizer state is keyed by), and the best epoch so far
/// in the HF layout.
pub struct Checkpoint {
    pub dir: PathBuf,
    pub config: BertConfig,
    pub has_pooler: bool,
    pub head: ClassifierHeadConfig,
    pub head_dropout: f64,
}

impl Checkpoint {
    fn io(&self, e: impl std::fmt::Display) -> TrainError {
        TrainError::Checkpoint {
            dir: self.dir.clone(),
            reason: e.to_string(),
        }
    }

    /// Saves the current model, optimizer states and `state`; `best` too when it improved.
    pub fn save(
        &self,
        state: &EpochState,
        encoder: &BertModel,
        head: &ClassifierHead,
        enc_opt: &ModuleOptimizer,
        head_opt: &ModuleOptimizer,
        best: Option<(&BertModel, &ClassifierHead)>,
    ) -> Result<(), TrainError> {
        std::fs::create_dir_all(&self.dir).map_err(|e| self.io(e))?;
        encoder
            .clone()
            .save_file(self.dir.join("encoder.bpk"))
            .map_err(|e| self.io(format!("{e:?}")))?;
        head.clone()
            .save_file(self.dir.join("head.bpk"))
            .map_err(|e| self.io(format!("{e:?}")))?;
        if let Some((enc, hd)) = best {
            save_model_dir(
                self.dir.join("best"),
                &self.config,
                enc,
                &hd.to_tensors("head"),
                HashMap::new(),
            )
            .map_err(|e| self.io(e))?;
        }
        enc_opt
            .save(self.dir.join("encoder.optim"))
            .map_err(|e| self.io(format!("{e:?}")))?;
        head_opt
            .save(self.dir.join("head.optim"))
            .map_err(|e| self.io(format!("{e:?}")))?;
        let json = serde_json::to_vec_pretty(state).expect("state serializes");
        fewdims_schema::write_atomic(self.dir.join("state.json"), &json).map_err(|e| self.io(e))
    }

    /// The last checkpoint, if there is one: state, model, head and optimizers.
    #[allow(clippy::type_complexity)]
    pub fn load(
        &self,
        device: &Device,
        enc_opt: ModuleOptimizer,
        head_opt: ModuleOptimizer,
    ) -> Result<
        Option<(
            EpochState,
            BertModel,
            ClassifierHead,
            ModuleOptimizer,
            ModuleOptimizer,
        )>,
        TrainError,
    > {
        let state_path = self.dir.join("state.json");
        if !state_path.exists() {
            return Ok(None);
        }
        let state: EpochState =
            serde_json::from_slice(&std::fs::read(&state_path).map_err(|e| self.io(e))?)
                .map_err(|e| self.io(e))?;
        let encoder = self
            .config
            .init(self.has_pooler, device)
            .try_load_file(self.dir.join("encoder.bpk"))
            .map_err(|e| self.io(format!("{e:?}")))?;
        let head = self
            .head
            .init(device)
            .try_load_file(self.dir.join("head.bpk"))
            .map_err(|e| self.io(format!("{e:?}")))?;
        let enc_opt = enc_opt
            .load(self.dir.join("encoder.optim"))
            .map_err(|e| self.io(format!("{e:?}")))?;
        let head_opt = head_opt
            .load(self.dir.join("head.optim"))
            .map_err(|e| self.io(format!("{e:?}")))?;
        Ok(Some((state, encoder, head, enc_opt, head_opt)))
    }

    /// The best epoch's model so far (eval mode).
    pub fn load_best(&self, device: &Device) -> Result<(BertModel, ClassifierHead), TrainError> {
        let loaded = load_model_dir(self.dir.join("best"), device).map_err(|e| self.io(e))?;
        let head = ClassifierHead::from_tensors(&loaded.extra, "head", self.head_dropout, device)
            .map_err(|e| self.io(e))?;
        Ok((loaded.model.valid(), head.valid()))
    }
}
