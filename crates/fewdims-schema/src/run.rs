//! The run dir contract: `runs/<id>/` with `model.safetensors`, `config.json`, `run.json`,
//! `metrics.parquet` (one row per epoch, split and metric).

/// Files inside a run dir.
pub const MODEL_FILE: &str = "model.safetensors";
pub const CONFIG_FILE: &str = "config.json";
pub const RUN_FILE: &str = "run.json";
pub const METRICS_FILE: &str = "metrics.parquet";

/// Columns of `metrics.parquet`.
pub const EPOCH: &str = "epoch";
pub const SPLIT: &str = "split";
pub const METRIC: &str = "metric";
pub const VALUE: &str = "value";

/// Head tensors in `model.safetensors` sit under this prefix (`head.out_proj.weight`, ...).
pub const HEAD_PREFIX: &str = "head";

/// `__metadata__` keys of a run's `model.safetensors`.
pub const META_FORMAT: &str = "format";
pub const META_TASK: &str = "fewdims.task";
pub const META_READOUT: &str = "fewdims.readout";
