//! `prepare`'s flags for your own data, as the binary parses them, and the [`FromSpec`] they give.

use std::path::PathBuf;

use super::{Format, FromInput, FromSpec};
use crate::registry::TaskKind;

/// Your own data (docs/data.md, "Your own data").
#[derive(clap::Args, Debug)]
pub struct UserFlags {
    /// Your own data: one CSV, TSV, JSON Lines or parquet file (split 80/10/10 by text hash), or
    /// a Hugging Face `datasets` parquet export folder (`<dir>/<config>/<split>-NNNNN-of-NNNNN.parquet`).
    #[arg(long, group = "input", requires_all = ["text_a", "label"])]
    pub from: Option<PathBuf>,
    /// Your own data, one file per split: train (with --dev and/or --test; without a test file,
    /// the dev file becomes `test` and dev is held out of train, as for GLUE).
    #[arg(long, group = "input", requires_all = ["text_a", "label"])]
    train: Option<PathBuf>,
    /// With --train: the dev file (selection: best epoch, probe C, best dims).
    #[arg(long, requires = "train")]
    dev: Option<PathBuf>,
    /// With --train: the test file (the reported number).
    #[arg(long, requires = "train")]
    test: Option<PathBuf>,
    /// The config folder of a `datasets` export that holds several.
    #[arg(long, requires = "from")]
    config: Option<String>,
    /// The files' format [default: by extension: .csv, .tsv, .jsonl/.ndjson/.json, .parquet].
    #[arg(long, value_parser = ["csv", "tsv", "jsonl", "parquet"], requires = "input")]
    file_format: Option<String>,
    /// CSV/TSV: read `"` as an ordinary character (files written without quoting, like GLUE's TSVs).
    #[arg(long, requires = "input")]
    no_quoting: bool,
    /// The column of the first text.
    #[arg(long, requires = "input")]
    text_a: Option<String>,
    /// The column of the second text (pair tasks).
    #[arg(long, requires = "input")]
    text_b: Option<String>,
    /// The label column.
    #[arg(long, requires = "input")]
    label: Option<String>,
    /// An id column (whole numbers, unique per split) [default: the row number].
    #[arg(long, requires = "input")]
    id: Option<String>,
    /// The classes in order, e.g. `negative,positive`; labels are these names or indices into
    /// them [default: integer labels in numeric order, other labels in byte order].
    #[arg(long, value_delimiter = ',', requires = "input")]
    label_names: Option<Vec<String>>,
    /// The task's kind [default: regression if the labels are numbers and not all integers].
    #[arg(long, value_parser = ["classification", "regression"], requires = "input")]
    kind: Option<String>,
    /// Metric names, the first the headline [default: accuracy; regression: pearson,spearman].
    #[arg(long, value_delimiter = ',', requires = "input")]
    metrics: Option<Vec<String>>,
}

impl UserFlags {
    /// The library's spec, when --from or --train is given.
    pub fn spec(&self, task: &str) -> Option<FromSpec> {
        let input = match (&self.from, &self.train) {
            (Some(p), _) => FromInput::Path(p.clone()),
            (None, Some(train)) => FromInput::Files {
                train: train.clone(),
                dev: self.dev.clone(),
                test: self.test.clone(),
            },
            (None, None) => return None,
        };
        let required = |v: &Option<String>| v.clone().expect("required by clap");
        let mut spec = FromSpec::new(task, input, &required(&self.text_a), &required(&self.label));
        spec.config = self.config.clone();
        spec.format = self.file_format.as_deref().and_then(Format::parse);
        spec.quoting = !self.no_quoting;
        spec.text_b = self.text_b.clone();
        spec.id = self.id.clone();
        spec.label_names = self.label_names.clone();
        spec.kind = self.kind.as_deref().and_then(TaskKind::parse);
        spec.metrics = self.metrics.clone();
        Some(spec)
    }
}
