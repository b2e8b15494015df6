//! `prepare`: a task's raw source -> `<out>/<task>/<split>.parquet` (see `fewdims_data::prepare`
//! and, for your own data, `fewdims_data::prepare_from`).

use anyhow::{Context, Result, bail};
use clap::{Parser, ValueEnum};
use fewdims_data::user::flags::UserFlags;
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

fn main() -> Result<()> {
    let args = Args::parse();
    if args.list {
        match args.format {
            ListFormat::Make => print!("{}", fewdims_data::registry::make_fragment()),
            ListFormat::Text => print!("{}", fewdims_data::registry::list_text()),
        }
        return Ok(());
    }
    let task = args.task.expect("required by clap");
    // The flags first: a refused task name or a missing source leaves nothing on disk, not even
    // the output folder or its lock.
    let spec = args.user.spec(&task);
    let source = match &spec {
        Some(_) => {
            fewdims_data::user::check_task_name(&task)
                .with_context(|| format!("prepare --task {task} (your own data)"))?;
            None
        }
        None => {
            let source = args.source.expect("required by clap");
            fewdims_data::task(&task).context(
                "for your own data, pass --from FILE|DIR or --train FILE (docs/data.md)",
            )?;
            if !source.exists() {
                bail!("--source {} does not exist", source.display());
            }
            Some(source)
        }
    };
    fewdims_schema::check_writable(args.out.join(&task))?;
    // One writer per output: refuse while another process (a second `make`) writes it.
    let _lock = fewdims_schema::OutputLock::acquire(args.out.join(&task))?;
    let report = if let Some(spec) = spec {
        fewdims_data::prepare_from(&spec, &args.out)
            .with_context(|| format!("prepare --task {task} (your own data)"))?
    } else {
        let source = source.expect("checked above");
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
