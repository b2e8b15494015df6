//! The probe and representation-change contracts.
//!
//! Probe parquet `probes/<id>/<task>.parquet`, one row per (probe, metric):
//! `layer` i32 (0 = embeddings; `pooler` rows carry L, the layer it reads), `readout` utf8, `method` utf8 (see
//! [`Method`]), `dims` list<u16> (sorted ascending, except `greedy` rows, which list dims in the
//! order they were added), `k` u16 (= len(dims); the hidden size for `full`), `metric` utf8,
//! `dev` f64, `test` f64 (NaN when the test split is missing or unlabelled), `rank` u32: the rank
//! of the row's `dev` within its (layer, readout, method, metric), 1 = best, ties in row order.
//! `full` rows list no dims (all of them are used). `greedy` rows are the path: one row per step k.
//! `backward` rows are every subset tried: the start set, then at each step all subsets with one
//! dim dropped from the best set of the step before; the path is the best row of each k.
//! `ablate` rows (written alone, e.g. `probes/<id>/<task>-ablate.parquet`) score a fine-tuned
//! run's own head with no refit: `layer` and `readout` are the run's, and there is one row per
//! subset of the run's selected dims (2^k rows, largest subsets first: the full set, then each
//! with one dim zeroed, ..., down to the empty set, the head's bias alone), `dims` the kept dims
//! (sorted), `k` = len(dims) (0 for the empty set). The `settings` metadata names the run.
//!
//! Probe predictions parquet `probes/<id>/<task>.predictions.parquet`, beside the probe table
//! and written with it (not for control tables): the per-item output of the headline probes of
//! each (layer, readout), the ones the report picks (by dev on the first metric, ties in row
//! order): the full vector, the best single dim and the best pair. One row per (probe, split,
//! item): `layer` i32, `readout` utf8, `method` utf8, `dims` list<u16> (as in the probe table),
//! `split` utf8 (`dev`, `test`), `idx` u32 (the hidden file's item id), `label` f32 (the class
//! id, or the regression target), `prediction` f32 (the predicted class, or the probe's output).
//! Unlabelled items are not scored, so not listed. Its metadata is the probe table's.
//!
//! CKA parquet (written by `rep-change`): `layer` i32, `readout` utf8, `cka` f64 (linear CKA over
//! the items), `mean_cosine` f64 (mean over items of the cosine between the two vectors of an
//! item; NaN when hidden sizes differ), `n` u32 (items).
//!
//! Key-value metadata (file level) uses the `META_*` keys.

use std::path::{Path, PathBuf};

/// Column: layer index.
pub const COL_LAYER: &str = "layer";
/// Column: readout name (see [`crate::hidden`]).
pub const COL_READOUT: &str = "readout";
/// Column: the probe method.
pub const COL_METHOD: &str = "method";
/// Column: the dimensions the probe reads.
pub const COL_DIMS: &str = "dims";
/// Column: how many dimensions.
pub const COL_K: &str = "k";
/// Column: metric name.
pub const COL_METRIC: &str = "metric";
/// Column: score on the dev split.
pub const COL_DEV: &str = "dev";
/// Column: score on the test split.
pub const COL_TEST: &str = "test";
/// Column: rank by dev within (layer, readout, method, metric).
pub const COL_RANK: &str = "rank";

/// Predictions column: `dev` or `test`.
pub const COL_SPLIT: &str = crate::run::SPLIT;
/// Predictions column: the item's id in the hidden files (their `idx` tensor).
pub const COL_IDX: &str = crate::run::IDX;
/// Predictions column: the class id, or the regression target.
pub const COL_LABEL: &str = crate::run::LABEL;
/// Predictions column: the predicted class id, or the probe's output.
pub const COL_PREDICTION: &str = crate::run::PREDICTION;

/// CKA column: linear CKA.
pub const COL_CKA: &str = "cka";
/// CKA column: mean per-item cosine.
pub const COL_MEAN_COSINE: &str = "mean_cosine";
/// CKA column: number of items.
pub const COL_N: &str = "n";

/// Metadata: task name.
pub const META_TASK: &str = "task";
/// Metadata: model name (from the hidden files).
pub const META_MODEL: &str = "model";
/// Metadata: the model or run dir the hidden states came from.
pub const META_SOURCE: &str = "source";
/// Metadata: classification or regression.
pub const META_KIND: &str = "kind";
/// Metadata: comma-separated metric names, the first is the selection metric.
pub const META_METRICS: &str = "metrics";
/// Metadata: JSON object, split name -> {"path", "sha256"} of each hidden file read.
pub const META_HIDDEN_FILES: &str = "hidden_files";
/// Metadata: JSON object of the probe settings (C, alpha, standardization, K, ...).
pub const META_SETTINGS: &str = "settings";
/// CKA metadata: JSON {"path", "sha256"} of file a / file b.
pub const META_A: &str = "a";
/// CKA metadata: see [`META_A`].
pub const META_B: &str = "b";

/// The probe table of a task: `<root>/<id>/<task>.parquet`.
pub fn probe_path(root: impl AsRef<Path>, id: &str, task: &str) -> PathBuf {
    root.as_ref().join(id).join(format!("{task}.parquet"))
}

/// The stem suffix of probe predictions: `<task>.predictions.parquet` beside `<task>.parquet`.
pub const PREDICTIONS_SUFFIX: &str = ".predictions";

/// The predictions file beside a probe table: `probes/<id>/<task>.parquet` →
/// `probes/<id>/<task>.predictions.parquet`.
pub fn predictions_path(table: impl AsRef<Path>) -> PathBuf {
    let table = table.as_ref();
    let stem = table
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    table.with_file_name(format!("{stem}{PREDICTIONS_SUFFIX}.parquet"))
}

/// How a probe chose its dimensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Method {
    /// The whole vector.
    Full,
    /// One probe per dimension.
    Single,
    /// Every pair of dimensions.
    Pair,
    /// Greedy forward selection.
    Greedy,
    /// Backward elimination from a small start set (the paper's, from 3).
    Backward,
    /// A fine-tuned head with subsets of its selected dims zeroed (no refit).
    Ablate,
}

impl Method {
    pub const ALL: [Method; 6] = [
        Method::Full,
        Method::Single,
        Method::Pair,
        Method::Greedy,
        Method::Backward,
        Method::Ablate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Full => "full",
            Method::Single => "single",
            Method::Pair => "pair",
            Method::Greedy => "greedy",
            Method::Backward => "backward",
            Method::Ablate => "ablate",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_round_trip() {
        for m in Method::ALL {
            assert_eq!(Method::parse(m.as_str()), Some(m));
        }
        assert_eq!(Method::parse("pairs"), None);
        assert_eq!(
            probe_path("probes", "pre", "movie"),
            PathBuf::from("probes/pre/movie.parquet")
        );
        assert_eq!(
            predictions_path("probes/pre/movie.parquet"),
            PathBuf::from("probes/pre/movie.predictions.parquet")
        );
    }
}
