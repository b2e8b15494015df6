//! probe-dims: which layers, readouts and dimensions of cached hidden states carry a task
//! (`fewdims_probe::probe_dims`); or, with `--methods ablate --run RUN`, a fine-tuned run's own
//! head scored on every subset of its dims (`fewdims_probe::ablate::ablate_run`).

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Parser;
use fewdims_probe::ablate::{AblateConfig, ablate_run};
use fewdims_probe::probe_dims::{ProbeFlags, probe_bar, probe_dims};
use fewdims_schema::probe::Method;

/// Probe hidden states per layer and readout: full vector, single dims, all pairs, greedy
/// forward selection and backward elimination; or ablate a fine-tuned run's head.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    /// Folder holding train/dev[/test].safetensors (hidden/<id>/<task>). For ablate: the hidden
    /// states extracted from --run (only dev and test are read).
    #[arg(long)]
    hidden: Option<PathBuf>,
    /// Train file (default: <hidden>/train.safetensors).
    #[arg(long)]
    train: Option<PathBuf>,
    /// Dev file, used for selection (default: <hidden>/dev.safetensors).
    #[arg(long)]
    dev: Option<PathBuf>,
    /// Test file, used for reporting (default: <hidden>/test.safetensors if it exists).
    #[arg(long)]
    test: Option<PathBuf>,
    /// Output parquet (probes/<id>/<task>.parquet). The headline probes' per-item predictions
    /// go beside it, <stem>.predictions.parquet (not with --permute-labels).
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    probe: ProbeFlags,
    /// Worker threads (0 = all cores).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
    /// ablate: the fine-tuned run dir (runs/<task>/<name>) whose head is scored.
    #[arg(long)]
    run: Option<PathBuf>,
    /// ablate: score the head even on hidden states not extracted from --run (a warning).
    #[arg(long)]
    any_source: bool,
}

fn main() -> Result<()> {
    let a = Args::parse();
    let methods = a.probe.methods()?;
    // After the flag checks, before any input is read: the output folder must take files, and
    // one writer per output (table and predictions): refuse while another process writes it.
    let claim = |out: &PathBuf| -> Result<fewdims_schema::OutputLock> {
        let lock = fewdims_schema::OutputLock::acquire(out)?;
        lock.remove_stale_of(fewdims_schema::probe::predictions_path(out))?;
        Ok(lock)
    };
    if a.threads > 0 {
        rayon::ThreadPoolBuilder::new()
            .num_threads(a.threads)
            .build_global()?;
    }
    let file = |given: &Option<PathBuf>, split: &str| {
        let in_dir = || {
            a.hidden
                .as_ref()
                .map(|d| d.join(format!("{split}.safetensors")))
        };
        given.clone().or_else(in_dir)
    };
    let test = file(&a.test, "test").filter(|t| a.test.is_some() || t.exists());
    if methods.contains(&Method::Ablate) {
        if methods.len() > 1 {
            bail!(
                "--methods ablate scores a fine-tuned head and writes its own table: run it alone"
            );
        }
        let run = a
            .run
            .context("--methods ablate needs --run RUN (a fine-tuned run dir)")?;
        if !a.probe.readouts.is_empty() || a.probe.layers != "all" {
            bail!(
                "--methods ablate reads the run's readout and layer from its run.json: drop --readouts and --layers"
            );
        }
        let dev =
            file(&a.dev, "dev").context("give --hidden DIR (extracted from the run) or --dev")?;
        let _lock = claim(&a.out)?;
        let cfg = AblateConfig {
            run,
            dev,
            test,
            out: a.out,
            any_source: a.any_source,
        };
        let o = ablate_run(&cfg)?;
        o.warnings.iter().for_each(|w| eprintln!("warning: {w}"));
        print!("{o}");
        o.mismatch_note()
            .into_iter()
            .for_each(|n| eprintln!("note: {n}"));
        return Ok(());
    }
    if a.run.is_some() {
        bail!("--run is for --methods ablate only (the probes fit their own heads)");
    }
    let (Some(train), Some(dev)) = (file(&a.train, "train"), file(&a.dev, "dev")) else {
        bail!("give --hidden DIR, or --train and --dev");
    };
    let _lock = claim(&a.out)?;
    let bar = probe_bar(a.quiet);
    let summary = probe_dims(&a.probe.config(train, dev, test, a.out)?, &bar)?;
    bar.finish_and_clear();
    print!("{summary}");
    Ok(())
}
