//! probe-dims: which layers, readouts and dimensions of cached hidden states carry a task.
//! Fits probes on train, selects on dev, reports on test; writes `probes/<id>/<task>.parquet`.
//!
//! `--methods ablate --run RUN` is the paper's test of a fine-tuned head with no refit: the run's
//! own head, on its own readout (token, layer) of hidden states extracted from the run, with
//! every subset of its selected dims kept and the others zeroed (3 -> 2 -> 1 -> 0 dims).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Parser;
use fewdims_probe::data::HiddenSet;
use fewdims_probe::search::{Progress, backward_start, best};
use fewdims_probe::table::{ProbeGroup, ProbeTableWriter};
use fewdims_probe::{ProbeResult, Prober, Settings, file_sha256};
use fewdims_schema::hidden::{READOUT_POOLER, readout_layers};
use fewdims_schema::probe::{self as contract, Method};
use fewdims_schema::vocab::Layer;
use indicatif::{ProgressBar, ProgressStyle};

/// Probe hidden states per layer and readout: full vector, single dims, all pairs, greedy
/// forward selection and backward elimination; or ablate a fine-tuned run's head (`--methods
/// ablate --run RUN`).
mod ablate;
use ablate::run_ablate;

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
    /// Comma-separated modes among full, single, pair, greedy, backward; or `ablate` alone
    /// (needs --run).
    #[arg(
        long,
        default_value = "full,single,pair,greedy,backward",
        value_delimiter = ','
    )]
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
    /// ablate: the fine-tuned run dir (runs/<task>/<name>) whose head is scored; its run.json
    /// names the readout (token, layer) and the selected dims (at most 16).
    #[arg(long)]
    run: Option<PathBuf>,
    /// ablate: score the head even on hidden states that were not extracted from --run
    /// (another model's features; a warning instead of a refusal).
    #[arg(long)]
    any_source: bool,
}

fn fmt_best(rs: &[ProbeResult]) -> String {
    match best(rs) {
        Some(r) => format!("{:.4}/{:.4} {:?}", r.dev[0], r.test[0], r.dims),
        None => "-".into(),
    }
}

fn main() -> Result<()> {
    let args = Args::parse();
    let mut methods = vec![];
    for m in &args.methods {
        match Method::parse(m.trim()) {
            Some(m) => methods.push(m),
            None => bail!(
                "--methods: unknown method {m:?} (expected full, single, pair, greedy, backward, or ablate alone)"
            ),
        }
    }
    if methods.contains(&Method::Ablate) {
        if methods.len() > 1 {
            bail!(
                "--methods ablate scores a fine-tuned head and writes its own table: run it alone \
                 (--methods ablate --run RUN --out probes/<id>/<task>-ablate.parquet)"
            );
        }
        if args.threads > 0 {
            rayon::ThreadPoolBuilder::new()
                .num_threads(args.threads)
                .build_global()?;
        }
        return run_ablate(&args);
    }
    if args.run.is_some() {
        bail!("--run is for --methods ablate only (the probes fit their own heads)");
    }
    let path = |given: &Option<PathBuf>, split: &str| -> Option<PathBuf> {
        given.clone().or_else(|| {
            args.hidden
                .as_ref()
                .map(|d| d.join(format!("{split}.safetensors")))
        })
    };
    let (train, dev) = match (path(&args.train, "train"), path(&args.dev, "dev")) {
        (Some(t), Some(d)) => (t, d),
        _ => bail!("give --hidden DIR, or --train and --dev"),
    };
    let test = path(&args.test, "test").filter(|t| args.test.is_some() || t.exists());
    let set =
        HiddenSet::open(&train, &dev, test.as_deref()).context("opening the hidden-state files")?;
    let meta = set.train.meta().clone();

    let readouts: Vec<String> = if args.readouts.is_empty() {
        meta.readouts.clone()
    } else {
        args.readouts.clone()
    };
    for r in &readouts {
        if !meta.readouts.contains(r) {
            bail!(
                "--readouts: {r:?} is not in {} (it has {:?})",
                train.display(),
                meta.readouts
            );
        }
    }
    let top = meta.num_layers;
    let layers: Vec<usize> = if args.layers == "all" {
        (0..=top).collect()
    } else {
        args.layers
            .split(',')
            .map(|s| {
                let l: Layer = s.parse()?;
                l.resolve(top).map_err(anyhow::Error::msg)
            })
            .collect::<Result<_>>()?
    };
    // (readout, layer index in the file, layer reported)
    let mut jobs: Vec<(String, usize, usize)> = vec![];
    for r in &readouts {
        if readout_layers(r, meta.layers()) == 1 && r == READOUT_POOLER {
            if layers.contains(&top) {
                jobs.push((r.clone(), 0, top));
            }
        } else {
            jobs.extend(layers.iter().map(|&l| (r.clone(), l, l)));
        }
    }
    if args.threads > 0 {
        rayon::ThreadPoolBuilder::new()
            .num_threads(args.threads)
            .build_global()?;
    }
    let settings = Settings {
        c: args.c,
        alpha: args.alpha,
        tol: args.tol,
        ..Settings::default()
    };
    let h = meta.hidden_size as u64;
    let has = |m: Method| methods.contains(&m);
    let per_job = has(Method::Single) as u64 * h
        + has(Method::Pair) as u64 * h * (h - 1) / 2
        + has(Method::Greedy) as u64
            * (0..args.greedy_k as u64)
                .map(|t| h.saturating_sub(t))
                .sum::<u64>()
        + has(Method::Backward) as u64 * (1..=args.backward_from as u64).sum::<u64>();
    let pb = if args.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(per_job * jobs.len() as u64)
    };
    pb.set_style(ProgressStyle::with_template(
        "{elapsed_precise} [{bar:30}] {human_pos}/{human_len} probes, {per_sec}, ETA {eta} {msg}",
    )?);
    let tick = |k: u64| pb.inc(k);
    let progress: Progress = &tick;

    let mut files = serde_json::Map::new();
    for (split, p) in [
        ("train", Some(&train)),
        ("dev", Some(&dev)),
        ("test", test.as_ref()),
    ] {
        if let Some(p) = p {
            let sha = file_sha256(p).with_context(|| format!("hashing {}", p.display()))?;
            files.insert(
                split.into(),
                serde_json::json!({"path": p.display().to_string(), "sha256": sha}),
            );
        }
    }
    let settings_json = serde_json::json!({
        "C": args.c, "alpha": args.alpha, "standardize": "train mean/std per dim",
        "logistic": "L2, intercept unpenalized; Newton (subsets, one-vs-rest), L-BFGS multinomial (full)",
        "ridge": "L2, intercept unpenalized", "tol": args.tol, "greedy_k": args.greedy_k,
        "backward_from": args.backward_from, "selection": format!("dev {}", meta.metrics[0]),
    });
    let kv = table_metadata(&meta, files, &settings_json);
    let mut table = ProbeTableWriter::create(&args.out, &set.metrics, &kv)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let started = Instant::now();
    let mut probes = 0;
    let mut summary = vec![];
    for (readout, file_layer, layer) in &jobs {
        pb.set_message(format!("{readout} layer {layer}"));
        let problem = set
            .problem(readout, *file_layer)
            .with_context(|| format!("loading {readout} layer {layer}"))?;
        let prober = Prober::new(&problem, settings);
        let mut results: Vec<ProbeResult> = vec![];
        let full = has(Method::Full).then(|| prober.full());
        results.extend(full.clone());
        let singles = if has(Method::Single) {
            prober.single(progress)
        } else {
            vec![]
        };
        let pairs = if has(Method::Pair) {
            prober.pairs(progress)
        } else {
            vec![]
        };
        let greedy = if has(Method::Greedy) {
            prober.greedy(args.greedy_k, progress)
        } else {
            vec![]
        };
        let backward = if has(Method::Backward) {
            let singles = if singles.is_empty() {
                prober.single(&|_: u64| {})
            } else {
                singles.clone()
            };
            let start = backward_start(&singles, &pairs, args.backward_from);
            prober.backward(&start, progress)
        } else {
            vec![]
        };
        let kept: Vec<ProbeResult> = backward.iter().filter(|r| r.k == 2).cloned().collect();
        summary.push(format!(
            "{readout:>9} {layer:>3} | full {} | single {} | pair {} | greedy {} | backward->2 {}",
            full.map_or("-".into(), |f| format!("{:.4}/{:.4}", f.dev[0], f.test[0])),
            fmt_best(&singles),
            fmt_best(&pairs),
            greedy.last().map_or("-".into(), |r| format!(
                "{:.4}/{:.4} {:?}",
                r.dev[0], r.test[0], r.dims
            )),
            fmt_best(&kept),
        ));
        for rs in [singles, pairs, greedy, backward] {
            results.extend(rs);
        }
        probes += results.len();
        let group = ProbeGroup {
            layer: *layer as i32,
            readout: readout.clone(),
            results,
        };
        table
            .write(&group)
            .with_context(|| format!("writing {}", args.out.display()))?;
    }
    pb.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();

    let rows = table
        .finish()
        .with_context(|| format!("writing {}", args.out.display()))?;

    println!(
        "{} {} ({}): {} dev/test of the dev-best probe [dims]",
        meta.model, meta.task, meta.source, meta.metrics[0]
    );
    for line in &summary {
        println!("{line}");
    }
    println!(
        "{probes} probes in {secs:.1} s ({:.1} us/probe, {} threads, {} kernels); {rows} rows -> {}",
        secs * 1e6 / probes.max(1) as f64,
        rayon::current_num_threads(),
        fewdims_probe::simd::level(),
        args.out.display()
    );
    Ok(())
}

/// File-level metadata of a probe table (the `META_*` keys of the probe contract).
fn table_metadata(
    meta: &fewdims_schema::hidden::HiddenMeta,
    files: serde_json::Map<String, serde_json::Value>,
    settings: &serde_json::Value,
) -> Vec<(String, String)> {
    vec![
        (contract::META_TASK.to_string(), meta.task.clone()),
        (contract::META_MODEL.to_string(), meta.model.clone()),
        (contract::META_SOURCE.to_string(), meta.source.clone()),
        (
            contract::META_KIND.to_string(),
            meta.kind.as_str().to_string(),
        ),
        (contract::META_METRICS.to_string(), meta.metrics.join(",")),
        (
            contract::META_HIDDEN_FILES.to_string(),
            serde_json::Value::Object(files).to_string(),
        ),
        (contract::META_SETTINGS.to_string(), settings.to_string()),
    ]
}
