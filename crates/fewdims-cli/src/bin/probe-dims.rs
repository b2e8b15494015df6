//! probe-dims: which layers, readouts and dimensions of cached hidden states carry a task
//! (`fewdims_probe::probe_dims`); or, with `--methods ablate --run RUN`, a fine-tuned run's own
//! head scored on every subset of its dims (`fewdims_probe::ablate::ablate_run`).

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Parser;
use fewdims_probe::ablate::{AblateConfig, ablate_run};
use fewdims_probe::probe_dims::{ProbeDimsConfig, ProbeProgress, probe_dims};
use fewdims_probe::Settings;
use fewdims_schema::probe::Method;
use fewdims_schema::vocab::Layer;
use indicatif::{ProgressBar, ProgressStyle};

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
    /// Output parquet (probes/<id>/<task>.parquet).
    #[arg(long)]
    out: PathBuf,
    /// Comma-separated modes among full, single, pair, greedy, backward; or `ablate` alone.
    #[arg(long, default_value = "full,single,pair,greedy,backward", value_delimiter = ',')]
    methods: Vec<String>,
    /// Comma-separated readouts (default: every readout in the files).
    #[arg(long, value_delimiter = ',')]
    readouts: Vec<String>,
    /// `all`, or comma-separated layers (0 = embeddings, -1 = last).
    #[arg(long, default_value = "all", allow_hyphen_values = true)]
    layers: String,
    /// Inverse L2 strength of logistic probes (scikit-learn's C).
    #[arg(long, default_value_t = 1.0)]
    c: f64,
    /// L2 strength of ridge probes (regression tasks).
    #[arg(long, default_value_t = 1.0)]
    alpha: f64,
    /// Greedy forward selection goes up to this many dims.
    #[arg(long, default_value_t = 5)]
    greedy_k: usize,
    /// Backward elimination starts from this many dims (best pair + best single dims).
    #[arg(long, default_value_t = 3)]
    backward_from: usize,
    /// Newton tolerance (largest coefficient change, standardized units).
    #[arg(long, default_value_t = 1e-4)]
    tol: f64,
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

struct Bar(ProgressBar);

impl ProbeProgress for Bar {
    fn start(&self, total: u64) {
        self.0.set_length(total);
    }
    fn inc(&self, n: u64) {
        self.0.inc(n);
    }
    fn message(&self, msg: String) {
        self.0.set_message(msg);
    }
}

fn main() -> Result<()> {
    let a = Args::parse();
    let methods = a.methods.iter().map(|m| Method::parse(m.trim()).with_context(|| {
        format!("--methods: unknown method {m:?} (expected full, single, pair, greedy, backward, or ablate alone)")
    })).collect::<Result<Vec<_>>>()?;
    if a.threads > 0 {
        rayon::ThreadPoolBuilder::new().num_threads(a.threads).build_global()?;
    }
    let split = |given: &Option<PathBuf>, name: &str| {
        given.clone().or_else(|| a.hidden.as_ref().map(|d| d.join(format!("{name}.safetensors"))))
    };
    let test = split(&a.test, "test").filter(|t| a.test.is_some() || t.exists());
    if methods.contains(&Method::Ablate) {
        if methods.len() > 1 {
            bail!("--methods ablate scores a fine-tuned head and writes its own table: run it alone \
                   (--methods ablate --run RUN --out probes/<id>/<task>-ablate.parquet)");
        }
        let run = a.run.clone().context("--methods ablate needs --run RUN (a fine-tuned run dir)")?;
        if !a.readouts.is_empty() || a.layers != "all" {
            bail!("--methods ablate reads the run's own readout and layer (from its run.json); drop --readouts and --layers");
        }
        let dev = split(&a.dev, "dev").context("give --hidden DIR (the hidden states extracted from the run), or --dev [--test]")?;
        let o = ablate_run(&AblateConfig { run: run.clone(), dev, test, out: a.out.clone(), any_source: a.any_source })?;
        o.warnings.iter().for_each(|w| eprintln!("warning: {w}"));
        print!("{o}");
        if let Some(note) = o.mismatch_note() {
            eprintln!("note: {note}");
        }
        return Ok(());
    }
    if a.run.is_some() {
        bail!("--run is for --methods ablate only (the probes fit their own heads)");
    }
    let (Some(train), Some(dev)) = (split(&a.train, "train"), split(&a.dev, "dev")) else {
        bail!("give --hidden DIR, or --train and --dev");
    };
    let layers = (a.layers != "all")
        .then(|| a.layers.split(',').map(str::parse).collect::<Result<Vec<Layer>, _>>())
        .transpose()?;
    let settings = Settings { c: a.c, alpha: a.alpha, tol: a.tol, ..Settings::default() };
    let cfg = ProbeDimsConfig { train, dev, test, out: a.out.clone(), methods, readouts: a.readouts.clone(),
        layers, settings, greedy_k: a.greedy_k, backward_from: a.backward_from };
    let pb = if a.quiet { ProgressBar::hidden() } else { ProgressBar::new(0) };
    pb.set_style(ProgressStyle::with_template(
        "{elapsed_precise} [{bar:30}] {human_pos}/{human_len} probes, {per_sec}, ETA {eta} {msg}")?);
    let s = probe_dims(&cfg, &Bar(pb.clone()))?;
    pb.finish_and_clear();
    print!("{s}");
    Ok(())
}
