//! probe-dims: which layers, readouts and dimensions of cached hidden states carry a task.
//! Fits probes on train, selects on dev, reports on test; writes `probes/<id>/<task>.parquet`.
//!
//! `--methods ablate --run RUN` is the paper's test of a fine-tuned head with no refit: the run's
//! own head, on its own readout (token, layer) of hidden states extracted from the run, with
//! every subset of its selected dims kept and the others zeroed (3 -> 2 -> 1 -> 0 dims).

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail};
use clap::Parser;
use fewdims_probe::ablate::MAX_ABLATE_DIMS;
use fewdims_probe::data::HiddenSet;
use fewdims_probe::search::{Progress, backward_start, best};
use fewdims_probe::table::{ProbeGroup, ProbeTableWriter};
use fewdims_probe::{FcHead, LinearHead, Metric, ProbeResult, Prober, Settings, file_sha256};
use fewdims_schema::hidden::{HiddenReader, Kind, READOUT_POOLER, readout_layers};
use fewdims_schema::probe::{self as contract, Method};
use fewdims_schema::run as run_contract;
use fewdims_schema::vocab::{Layer, Token};
use fewdims_train::head::{DENSE, DIMS_MASK, OUT_PROJ};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;

/// Probe hidden states per layer and readout: full vector, single dims, all pairs, greedy
/// forward selection and backward elimination; or ablate a fine-tuned run's head (`--methods
/// ablate --run RUN`).
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
    let kv = vec![
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
        (
            contract::META_SETTINGS.to_string(),
            settings_json.to_string(),
        ),
    ];
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
        "{probes} probes in {secs:.1} s ({:.1} us/probe, {} threads); {rows} rows -> {}",
        secs * 1e6 / probes.max(1) as f64,
        rayon::current_num_threads(),
        args.out.display()
    );
    Ok(())
}

/// What `--methods ablate` needs from a run's `run.json`.
#[derive(Debug)]
struct RunInfo {
    json_path: PathBuf,
    task: Option<String>,
    kind: Option<String>,
    label_names: Option<Vec<String>>,
    token: Token,
    /// The resolved layer index (0 = embeddings).
    layer: usize,
    dims: Vec<usize>,
    /// `linear` or `mlp`, when run.json names it.
    head: Option<String>,
    /// The run's own dev scores at its best epoch: (metric, value).
    final_dev: Vec<(String, f64)>,
    best_epoch: Option<u64>,
}

impl RunInfo {
    fn read(run: &Path) -> Result<Self> {
        if !run.is_dir() {
            bail!("--run {}: not a directory", run.display());
        }
        let path = run.join(run_contract::RUN_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
                "{}: missing; --run needs a finished finetune run dir (runs/<task>/<name>; \
                 an unfinished run lives in runs/<task>/.<name>.partial and has none)",
                path.display()
            ),
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        let v: Value = serde_json::from_str(&text)
            .with_context(|| format!("{}: not valid JSON", path.display()))?;
        let field = |ptr: &str, want: &str| -> anyhow::Error {
            anyhow!(
                "{}: `{}` is missing or not {want}",
                path.display(),
                ptr.trim_start_matches('/').replace('/', ".")
            )
        };
        let token_s = v
            .pointer("/config/readout/token")
            .and_then(Value::as_str)
            .ok_or_else(|| field("/config/readout/token", "a string"))?;
        let token: Token = token_s
            .parse()
            .map_err(|e| anyhow!("{}: config.readout.token: {e}", path.display()))?;
        let layer = v
            .pointer("/layer_index")
            .and_then(Value::as_u64)
            .ok_or_else(|| field("/layer_index", "a non-negative integer"))?
            as usize;
        let dims = v
            .pointer("/dims_resolved")
            .and_then(Value::as_array)
            .and_then(|a| {
                a.iter()
                    .map(|d| d.as_u64().map(|d| d as usize))
                    .collect::<Option<Vec<_>>>()
            })
            .ok_or_else(|| field("/dims_resolved", "an array of dim indices"))?;
        let string = |ptr: &str| v.pointer(ptr).and_then(Value::as_str).map(String::from);
        let label_names = v
            .pointer("/label_names")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .map(|s| s.as_str().unwrap_or_default().to_string())
                    .collect()
            });
        let final_dev = v
            .pointer("/final")
            .and_then(Value::as_array)
            .map(|rows| {
                rows.iter()
                    .filter(|r| r.get("split").and_then(Value::as_str) == Some("dev"))
                    .filter_map(|r| {
                        Some((
                            r.get("metric")?.as_str()?.to_string(),
                            r.get("value")?.as_f64()?,
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(Self {
            task: string("/task"),
            kind: string("/kind"),
            head: string("/config/head"),
            best_epoch: v.pointer("/best_epoch").and_then(Value::as_u64),
            json_path: path,
            label_names,
            token,
            layer,
            dims,
            final_dev,
        })
    }
}

/// The run's head from its `model.safetensors` (tensors `head.*`), checked against run.json.
fn read_head(run: &Path, info: &RunInfo) -> Result<FcHead> {
    let path = run.join(run_contract::MODEL_FILE);
    if !path.is_file() {
        bail!("{}: missing (the run's weights)", path.display());
    }
    let (w_name, b_name) = (format!("{OUT_PROJ}.weight"), format!("{OUT_PROJ}.bias"));
    // The header first: a file without a head is refused before its tensors are read.
    let names = fewdims_bert::weights::tensor_names(&path)?;
    if !names.contains(&w_name) || !names.contains(&b_name) {
        let prefix = format!("{}.", run_contract::HEAD_PREFIX);
        let heads: Vec<&String> = names.iter().filter(|n| n.starts_with(&prefix)).collect();
        bail!(
            "{}: no head: tensors `{w_name}` and `{b_name}` are missing (head tensors found: \
             {heads:?}); ablate needs a run dir written by `finetune`",
            path.display()
        );
    }
    let (tensors, _) = fewdims_bert::weights::read_safetensors(&path)?;
    let linear = |stem: &str| -> Result<LinearHead> {
        let (ws, w) = tensors.get(&format!("{stem}.weight")).ok_or_else(|| {
            anyhow!(
                "{}: `{stem}.weight` is missing or not float",
                path.display()
            )
        })?;
        let (bs, b) = tensors
            .get(&format!("{stem}.bias"))
            .ok_or_else(|| anyhow!("{}: `{stem}.bias` is missing", path.display()))?;
        if ws.len() != 2 || bs.as_slice() != [ws[0]] {
            bail!(
                "{}: `{stem}` weight {ws:?} / bias {bs:?} are not [out, in] / [out]",
                path.display()
            );
        }
        Ok(LinearHead {
            weight: w.clone(),
            bias: b.clone(),
            classes: ws[0],
            hidden: ws[1],
        })
    };
    let dense_name = format!("{DENSE}.weight");
    let dense = if tensors.contains_key(&dense_name) {
        Some(linear(DENSE)?)
    } else {
        None
    };
    let head = FcHead {
        dense,
        out_proj: linear(OUT_PROJ)?,
    };
    let found = head_kind(&head);
    if let Some(h) = &info.head
        && h != found
    {
        bail!(
            "{}: config.head is {h}, but {} holds a {found} head",
            info.json_path.display(),
            path.display()
        );
    }
    if let Some(d) = &head.dense
        && d.classes != head.out_proj.hidden
    {
        bail!(
            "{}: `{DENSE}` gives {} values, `{OUT_PROJ}` reads {}",
            path.display(),
            d.classes,
            head.out_proj.hidden
        );
    }
    match tensors.get(DIMS_MASK) {
        Some((shape, mask)) => {
            if shape.as_slice() != [head.hidden()] {
                bail!(
                    "{}: `{DIMS_MASK}` has shape {shape:?}, the head reads {} dims",
                    path.display(),
                    head.hidden()
                );
            }
            let selected: Vec<usize> = (0..mask.len()).filter(|&i| mask[i] != 0.0).collect();
            let mut dims = info.dims.clone();
            dims.sort_unstable();
            if selected != dims {
                bail!(
                    "{}: dims_resolved {:?} differ from the dims of `{DIMS_MASK}` in {} ({selected:?})",
                    info.json_path.display(),
                    info.dims,
                    path.display()
                );
            }
        }
        None => eprintln!(
            "warning: {}: no `{DIMS_MASK}`; using dims_resolved of {}",
            path.display(),
            info.json_path.display()
        ),
    }
    Ok(head)
}

/// `--head` of a head: `mlp` when it has a hidden layer.
fn head_kind(head: &FcHead) -> &'static str {
    if head.dense.is_some() {
        "mlp"
    } else {
        "linear"
    }
}

/// `<parent>/<name>` of a run dir, as `extract-hidden` names the model of hidden states taken
/// from a run.
fn run_model_name(run: &Path) -> String {
    let dir = run.canonicalize().unwrap_or_else(|_| run.to_path_buf());
    let name = |p: &Path| {
        p.file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| p.display().to_string())
    };
    match dir.parent() {
        Some(parent) => format!("{}/{}", name(parent), name(&dir)),
        None => name(&dir),
    }
}

/// Checks that a hidden file fits the run (task, kind, classes, hidden size, readout, layer,
/// source); returns the layer index to read in the file.
fn check_hidden(
    r: &HiddenReader,
    run: &Path,
    info: &RunInfo,
    head: &FcHead,
    any_source: bool,
) -> Result<usize> {
    let meta = r.meta();
    let file = r.path().display();
    let token = info.token.to_string();
    if let Some(task) = &info.task
        && task != &meta.task
    {
        bail!(
            "{file}: task {:?}, but run {} was fine-tuned on {task:?}",
            meta.task,
            run.display()
        );
    }
    if let Some(kind) = &info.kind
        && kind != meta.kind.as_str()
    {
        bail!(
            "{file}: a {} task, but run {} is {kind}",
            meta.kind.as_str(),
            run.display()
        );
    }
    let outputs = head.outputs();
    match meta.kind {
        Kind::Regression if outputs != 1 => {
            bail!("{file}: a regression task, but the run's head has {outputs} outputs")
        }
        Kind::Classification
            if !meta.label_names.is_empty() && meta.label_names.len() != outputs =>
        {
            bail!(
                "{file}: {} classes {:?}, but the run's head has {outputs} outputs",
                meta.label_names.len(),
                meta.label_names
            )
        }
        _ => {}
    }
    if let Some(names) = &info.label_names
        && meta.kind == Kind::Classification
        && names != &meta.label_names
    {
        bail!(
            "{file}: label names {:?} differ from the run's {names:?}",
            meta.label_names
        );
    }
    if meta.hidden_size != head.hidden() {
        bail!(
            "{file}: hidden size {}, but the run's head reads {} dims",
            meta.hidden_size,
            head.hidden()
        );
    }
    if !meta.readouts.contains(&token) {
        bail!(
            "{file}: no readout `{token}` (it has {:?}); the run's head reads `{token}` at layer {}: \
             extract it with `extract-hidden --model {} --readouts {token} ...`",
            meta.readouts,
            info.layer,
            run.display()
        );
    }
    let file_layer = if info.token == Token::Pooler {
        if info.layer != meta.num_layers {
            bail!(
                "{file}: the pooler reads layer {}, but the run reads layer {}",
                meta.num_layers,
                info.layer
            );
        }
        0
    } else {
        if info.layer > meta.num_layers {
            bail!(
                "{file}: layers 0..={}, but the run reads layer {}",
                meta.num_layers,
                info.layer
            );
        }
        info.layer
    };
    let src = Path::new(&meta.source);
    let same = match (src.canonicalize(), run.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        // The source path does not resolve from here: fall back on the model name.
        _ => meta.model == run_model_name(run),
    };
    if !same {
        let msg = format!(
            "{file}: hidden states of model `{}` (source {}), not of run {}: its head would be \
             scored on another encoder's features",
            meta.model,
            meta.source,
            run.display()
        );
        if !any_source {
            bail!(
                "{msg}. Extract them from the run (`extract-hidden --model {} ...`), or pass \
                 --any-source to score anyway",
                run.display()
            );
        }
        eprintln!("warning: {msg} (--any-source)");
    }
    Ok(file_layer)
}

fn run_ablate(args: &Args) -> Result<()> {
    let run = args
        .run
        .as_ref()
        .ok_or_else(|| anyhow!("--methods ablate needs --run RUN (a fine-tuned run dir)"))?;
    if !args.readouts.is_empty() || args.layers != "all" {
        bail!(
            "--methods ablate reads the run's own readout and layer (from its run.json); \
             drop --readouts and --layers"
        );
    }
    let info = RunInfo::read(run)?;
    if info.dims.len() > MAX_ABLATE_DIMS {
        bail!(
            "{}: the run selected {} dims; ablate tries every subset and takes at most \
             {MAX_ABLATE_DIMS} (fine-tune with --dims list:/first:/random:K, K <= {MAX_ABLATE_DIMS})",
            info.json_path.display(),
            info.dims.len()
        );
    }
    if info.dims.is_empty() {
        bail!("{}: dims_resolved is empty", info.json_path.display());
    }
    let head = read_head(run, &info)?;

    let dev_path = match (&args.dev, &args.hidden) {
        (Some(d), _) => d.clone(),
        (None, Some(h)) => h.join("dev.safetensors"),
        _ => bail!(
            "give --hidden DIR (the hidden states extracted from the run: hidden/<id>/<task>), \
             or --dev [--test]"
        ),
    };
    let test_path = args
        .test
        .clone()
        .or_else(|| args.hidden.as_ref().map(|h| h.join("test.safetensors")))
        .filter(|t| args.test.is_some() || t.exists());
    let dev = HiddenReader::open(&dev_path)?;
    let test = test_path.as_ref().map(HiddenReader::open).transpose()?;
    let file_layer = check_hidden(&dev, run, &info, &head, args.any_source)?;
    if let Some(t) = &test {
        check_hidden(t, run, &info, &head, args.any_source)?;
    }
    let meta = dev.meta().clone();
    let metrics = meta
        .metrics
        .iter()
        .map(|m| {
            Metric::parse(m).ok_or_else(|| anyhow!("{}: unknown metric {m}", dev_path.display()))
        })
        .collect::<Result<Vec<_>>>()?;
    let token = info.token.to_string();
    let score = |r: &HiddenReader| -> Result<Vec<fewdims_probe::AblateResult>> {
        let x = r
            .layer(&token, file_layer)
            .with_context(|| format!("reading {token} layer {}", info.layer))?;
        let labels = r.labels()?;
        Ok(fewdims_probe::ablate_head(
            &head, &info.dims, &x, &labels, &metrics,
        )?)
    };
    let started = Instant::now();
    let on_dev = score(&dev)?;
    let on_test = test.as_ref().map(|t| score(t)).transpose()?;
    let results: Vec<ProbeResult> = on_dev
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut dims: Vec<u16> = r.kept.iter().map(|&d| d as u16).collect();
            dims.sort_unstable();
            ProbeResult {
                method: Method::Ablate,
                k: dims.len() as u16,
                dims,
                dev: r.scores.clone(),
                test: on_test
                    .as_ref()
                    .map_or(vec![f64::NAN; metrics.len()], |t| t[i].scores.clone()),
            }
        })
        .collect();

    let mut files = serde_json::Map::new();
    for (split, p) in [("dev", Some(&dev_path)), ("test", test_path.as_ref())] {
        if let Some(p) = p {
            let sha = file_sha256(p).with_context(|| format!("hashing {}", p.display()))?;
            files.insert(
                split.into(),
                serde_json::json!({"path": p.display().to_string(), "sha256": sha}),
            );
        }
    }
    let model_file = run.join(run_contract::MODEL_FILE);
    let settings_json = serde_json::json!({
        "method": "ablate", "refit": false,
        "run": run.display().to_string(),
        "run_json_sha256": file_sha256(&info.json_path)?,
        "model_sha256": file_sha256(&model_file)?,
        "head": head_kind(&head),
        "token": token, "layer": info.layer, "dims": info.dims,
        "run_best_epoch": info.best_epoch,
        "run_final_dev": info.final_dev.iter().map(|(m, v)| (m.clone(), serde_json::json!(v))).collect::<serde_json::Map<String, Value>>(),
        "rows": "every subset of dims kept (the others zeroed), largest first",
    });
    let kv = vec![
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
            Value::Object(files).to_string(),
        ),
        (
            contract::META_SETTINGS.to_string(),
            settings_json.to_string(),
        ),
    ];
    let mut table = ProbeTableWriter::create(&args.out, &metrics, &kv)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let layer = info.layer as i32;
    table
        .write(&ProbeGroup {
            layer,
            readout: token.clone(),
            results: results.clone(),
        })
        .with_context(|| format!("writing {}", args.out.display()))?;
    let rows = table
        .finish()
        .with_context(|| format!("writing {}", args.out.display()))?;

    println!(
        "{} {}: run {} ({} head on {token} layer {}, dims {:?}), no refit; {} dev/test with the other dims zeroed",
        meta.model,
        meta.task,
        run.display(),
        head_kind(&head),
        info.layer,
        info.dims,
        meta.metrics[0]
    );
    for r in &results {
        println!(
            "  k={} {:<24} {:.4}/{:.4}",
            r.k,
            format!("{:?}", r.dims),
            r.dev[0],
            r.test[0]
        );
    }
    if let Some((_, v)) = info.final_dev.iter().find(|(m, _)| m == &meta.metrics[0]) {
        let here = results[0].dev[0];
        println!(
            "run.json: dev {} {v:.4} at its best epoch; here with all its dims {here:.4}",
            meta.metrics[0]
        );
        if (here - v).abs() > 1e-3 {
            eprintln!(
                "note: they differ by {:.4}: were the hidden states extracted from the same dev \
                 split and tokenization (max_len) as the run was evaluated on?",
                (here - v).abs()
            );
        }
    }
    println!(
        "{} subsets in {:.2} s; {rows} rows -> {}",
        results.len(),
        started.elapsed().as_secs_f64(),
        args.out.display()
    );
    Ok(())
}
