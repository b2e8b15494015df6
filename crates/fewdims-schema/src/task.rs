//! The task parquet contract: `data/tasks/<task>/<split>.parquet`.
//!
//! Columns: `idx` u32, `text_a` utf8, `text_b` utf8 (nullable; null for single-sentence tasks),
//! `label` i64 (classification) or f32 (regression). Unlabelled splits (GLUE test) hold -1.
//! Key-value metadata (file level and in the Arrow schema) under the keys below; list values are
//! JSON arrays of strings.

/// Column: the item's id within its task (the source's own id where it has one).
pub const IDX: &str = "idx";
/// Column: first text.
pub const TEXT_A: &str = "text_a";
/// Column: second text of a pair task; null for single-sentence tasks.
pub const TEXT_B: &str = "text_b";
/// Column: class index (i64) or score (f32).
pub const LABEL: &str = "label";
/// Label value of an item without a label (GLUE test splits).
pub const UNLABELLED: i64 = -1;

/// Metadata: version of this contract.
pub const KEY_FORMAT: &str = "fewdims.format";
/// Value of [`KEY_FORMAT`] for task files.
pub const FORMAT: &str = "fewdims-task-v1";
/// Metadata: task name, e.g. `movie`, `mnli`.
pub const KEY_TASK: &str = "fewdims.task";
/// Metadata: split name, e.g. `train`, `dev`, `dev_mm`, `test`.
pub const KEY_SPLIT: &str = "fewdims.split";
/// Metadata: [`KIND_CLASSIFICATION`] or [`KIND_REGRESSION`].
pub const KEY_KIND: &str = "fewdims.kind";
/// Metadata: JSON array of class names, index = label; `[]` for regression.
pub const KEY_LABEL_NAMES: &str = "fewdims.label_names";
/// Metadata: JSON array of metric names (see [`METRICS`]), the first is the headline metric.
pub const KEY_METRICS: &str = "fewdims.metrics";
/// Metadata: JSON array of the source column names that became `text_a` (and `text_b`).
pub const KEY_TEXT_COLUMNS: &str = "fewdims.text_columns";
/// Metadata: `true` or `false`; false when every label is [`UNLABELLED`].
pub const KEY_LABELLED: &str = "fewdims.labelled";
/// Metadata: the source file this split was read from.
pub const KEY_SOURCE: &str = "fewdims.source";
/// Metadata: hex sha256 of the source file.
pub const KEY_SOURCE_SHA256: &str = "fewdims.source_sha256";
/// Metadata: JSON array of notes on what `prepare` dropped or repaired in the whole source
/// (neutral items, duplicates, label conflicts, rows decoded as cp1252).
pub const KEY_NOTES: &str = "fewdims.notes";
/// Metadata: free text on how the task was made (derived tasks say so here).
pub const KEY_DESCRIPTION: &str = "fewdims.description";

/// Value of [`KEY_KIND`] for class labels.
pub const KIND_CLASSIFICATION: &str = "classification";
/// Value of [`KEY_KIND`] for real-valued labels.
pub const KIND_REGRESSION: &str = "regression";

/// Classification or regression: the kind of a task, carried by every artifact made from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskKind {
    Classification,
    Regression,
}

impl TaskKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskKind::Classification => KIND_CLASSIFICATION,
            TaskKind::Regression => KIND_REGRESSION,
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            KIND_CLASSIFICATION => Some(TaskKind::Classification),
            KIND_REGRESSION => Some(TaskKind::Regression),
            _ => None,
        }
    }
    /// Metric names that apply to this kind.
    pub fn metrics(self) -> &'static [&'static str] {
        match self {
            TaskKind::Classification => &["accuracy", "f1", "mcc"],
            TaskKind::Regression => &["pearson", "spearman"],
        }
    }
}

/// Metric names, as GLUE defines them (HF `evaluate`'s `glue`): binary F1 on class 1.
pub const METRICS: [&str; 5] = ["accuracy", "f1", "mcc", "pearson", "spearman"];

/// Split names in the order stages list them.
pub const SPLITS: [&str; 5] = ["train", "dev", "dev_mm", "test", "test_mm"];
