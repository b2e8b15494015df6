//! `prepare`: a task's raw source -> `<out>/<task>/<split>.parquet` (see `fewdims_data::prepare`).

use anyhow::{Context, Result, bail};
use clap::{Parser, ValueEnum};
use fewdims_schema::vocab::ReadoutKind;
use std::path::PathBuf;

/// Writes the train/dev/test parquet files of one task, with its registry entry as metadata.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    /// Task name (see --list): a built-in task (movie, movie-score, amazon, tweets, nyt, tweets3,
    /// news, movie-pair) or a GLUE task (cola sst2 mrpc qqp stsb mnli qnli rte wnli).
    #[arg(long, required_unless_present = "list")]
    task: Option<String>,
    /// Built-in tasks: the assets folder (or the source file itself). GLUE: a folder holding
    /// `<task>/<split>-00000-of-00001.parquet` or `<TASK>/<split>.tsv` (or `glue_data/<TASK>/`).
    #[arg(long, required_unless_present = "list")]
    source: Option<PathBuf>,
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
    let (task, source) = (
        args.task.expect("required by clap"),
        args.source.expect("required by clap"),
    );
    fewdims_data::task(&task)?;
    if !source.exists() {
        bail!("--source {} does not exist", source.display());
    }
    let report = fewdims_data::prepare(&task, &source, &args.out)
        .with_context(|| format!("prepare --task {task} --source {}", source.display()))?;
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
