//! `prepare`: a task's raw source -> `<out>/<task>/<split>.parquet` (see `fewdims_data::prepare`
//! and, for your own data, `fewdims_data::prepare_from`).

use anyhow::{Context, Result, bail};
use clap::{Parser, ValueEnum};
use fewdims_data::{Format, FromInput, FromSpec, TaskKind};
use fewdims_schema::vocab::ReadoutKind;
use std::path::PathBuf;

/// Writes the train/dev/test parquet files of one task, with its registry entry as metadata.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    /// Task name (see --list): a built-in task (movie, movie-score, amazon, tweets, nyt, tweets3,
    /// news, movie-pair), a GLUE task (cola sst2 mrpc qqp stsb mnli qnli rte wnli), or with
    /// --from/--train the name of your own task (letters, digits, `-`, `_`).
    #[arg(long, required_unless_present = "list")]
    task: Option<String>,
    /// Built-in tasks: the assets folder (or the source file itself). GLUE: a folder holding
    /// `<task>/<split>-00000-of-00001.parquet` or `<TASK>/<split>.tsv` (or `glue_data/<TASK>/`).
    #[arg(long, required_unless_present_any = ["list", "from", "train"], conflicts_with = "input")]
    source: Option<PathBuf>,
    #[command(flatten)]
    user: UserFlags,
    /// Output root; files go to `<out>/<task>/<split>.parquet`.
    #[arg(long, default_value = "data/tasks")]
    out: PathBuf,
    /// Lists the registry and exits.
    #[arg(long)]
    list: bool,
    /// The format of --list: `text` (task, kind, labels, metrics) or `make` (the makefile fragment
    /// the Makefile includes: task lists, splits, source files, GLUE folder names).
    #[arg(long, value_enum, default_value_t = ListFormat::Text, requires = "list")]
    format: ListFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ListFormat {
    Text,
    Make,
}

/// Your own data (docs/data.md, "Your own data").
#[derive(clap::Args, Debug)]
struct UserFlags {
    /// Your own data: one CSV, TSV, JSON Lines or parquet file (split 80/10/10 by text hash), or
    /// a Hugging Face `datasets` parquet export folder (`<dir>/<config>/<split>-NNNNN-of-NNNNN.parquet`).
    #[arg(long, group = "input", requires_all = ["text_a", "label"])]
    from: Option<PathBuf>,
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
    fn spec(&self, task: &str) -> Option<FromSpec> {
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

fn main() -> Result<()> {
    let args = Args::parse();
    if args.list && args.format == ListFormat::Make {
        print!("{}", fewdims_data::registry::make_fragment());
        // Every readout kind (pos:N as pos:1), the default of EXTRACT_READOUTS.
        let kinds = fewdims_schema::readout_kind::READOUT_KINDS.map(|k| match k.kind {
            ReadoutKind::Pos(_) => ReadoutKind::Pos(1).to_string(),
            kind => kind.to_string(),
        });
        println!("ALL_READOUTS := {}", kinds.join(","));
        return Ok(());
    }
    if args.list {
        for t in fewdims_data::tasks() {
            let labels = if t.label_names.is_empty() {
                "(scores)".to_string()
            } else {
                t.label_names.join(",")
            };
            println!(
                "{:<12} {:<14} {:<44} {}",
                t.name,
                t.kind.as_str(),
                labels,
                t.metrics.join(",")
            );
        }
        return Ok(());
    }
    let task = args.task.expect("required by clap");
    let report = if let Some(spec) = args.user.spec(&task) {
        fewdims_data::prepare_from(&spec, &args.out)
            .with_context(|| format!("prepare --task {task} (your own data)"))?
    } else {
        let source = args.source.expect("required by clap");
        fewdims_data::task(&task)
            .context("for your own data, pass --from FILE|DIR or --train FILE (docs/data.md)")?;
        if !source.exists() {
            bail!("--source {} does not exist", source.display());
        }
        fewdims_data::prepare(&task, &source, &args.out)
            .with_context(|| format!("prepare --task {task} --source {}", source.display()))?
    };
    for note in &report.notes {
        eprintln!("prepare {task}: {note}");
    }
    for s in &report.splits {
        println!(
            "{:<12} {:<8} rows={:<7} {}  -> {}",
            report.task,
            s.split,
            s.rows,
            s.balance,
            s.path.display()
        );
    }
    Ok(())
}
