//! The cross-finetune contract: `runs/cross/<name>/` holds one run dir per step
//! (`step<k>-<task>/`, a normal run dir; step 0 is a copy-free link to the starting run, named in
//! `cross.json`) and `cross.parquet`, the task x task score matrix.
//!
//! `cross.parquet`, one row per (step, evaluated task, mode, split, metric):
//! `step` u32 (0 = the starting run), `trained_task` utf8 (the task trained at that step),
//! `eval_task` utf8 (a task trained at this step or before), `mode` utf8 (see [`Mode`]),
//! `split` utf8 (`dev` or `test`), `metric` utf8, `value` f64.
//! Key-value metadata: [`META_TASKS`] (comma-separated, in training order) and [`META_SETTINGS`].
//! `cross.parquet` is written last: its presence marks the cross dir as done (docs/cross.md).

/// The matrix file inside a cross dir.
pub const MATRIX_FILE: &str = "cross.parquet";
/// `<cross dir>/predictions/step<k>-<task>.parquet`: the per-item predictions of each task's
/// own head after each step (the rows of `fewdims_schema::run::PredictionRow`).
pub const PREDICTIONS_DIR: &str = "predictions";
/// The settings and steps of a cross run (JSON).
pub const CROSS_FILE: &str = "cross.json";

pub const COL_STEP: &str = "step";
pub const COL_TRAINED_TASK: &str = "trained_task";
pub const COL_EVAL_TASK: &str = "eval_task";
pub const COL_MODE: &str = "mode";
pub const COL_SPLIT: &str = "split";
pub const COL_METRIC: &str = "metric";
pub const COL_VALUE: &str = "value";

/// Metadata: the tasks in training order, comma-separated.
pub const META_TASKS: &str = "tasks";
/// Metadata: JSON object of the cross-finetune settings.
pub const META_SETTINGS: &str = "settings";

/// How an earlier task is scored after a later step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The task's own head as it was trained (frozen since), on the current encoder.
    Head,
    /// The task's own head, re-trained on its train split with the current encoder frozen
    /// (only for tasks trained before the step).
    Retrained,
    /// A probe re-fit on the current encoder's readout of the task (its own layer, token, dims).
    Probe,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Head => "head",
            Mode::Retrained => "retrained",
            Mode::Probe => "probe",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "head" => Some(Mode::Head),
            "retrained" => Some(Mode::Retrained),
            "probe" => Some(Mode::Probe),
            _ => None,
        }
    }
}
