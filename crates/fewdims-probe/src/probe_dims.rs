//! The `probe-dims` stage: probes per layer and readout of cached hidden states (full vector,
//! single dims, all pairs, greedy forward selection, backward elimination), fit on train,
//! selected on dev, reported on test; written to `probes/<id>/<task>.parquet`, with the per-item
//! predictions of the headline probes (full vector, best single dim, best pair of each layer and
//! readout) beside it in `probes/<id>/<task>.predictions.parquet` (not for controls).

use std::path::PathBuf;
use std::time::Instant;

use fewdims_schema::hidden::readout_layers;
use fewdims_schema::probe::{Method, predictions_path};
use fewdims_schema::vocab::Layer;
use fewdims_tables::probe_predictions::ProbePredictionsWriter;

use crate::data::HiddenSet;
use crate::probe_rows::{
    ProbeGroup, ProbeGroupWriter, hidden_files, prediction_rows, table_metadata,
};
use crate::search::{Predicted, Progress, backward_start, best};
use crate::{ProbeError, ProbeResult, Prober, Settings};

/// What to probe and how.
#[derive(Clone, Debug)]
pub struct ProbeDimsConfig {
    pub train: PathBuf,
    /// Used for selection.
    pub dev: PathBuf,
    /// Used for reporting.
    pub test: Option<PathBuf>,
    pub out: PathBuf,
    /// Among full, single, pair, greedy, backward.
    pub methods: Vec<Method>,
    /// Readouts to probe; empty = every readout in the files.
    pub readouts: Vec<String>,
    /// Layers to probe; `None` = all.
    pub layers: Option<Vec<Layer>>,
    pub settings: Settings,
    /// Greedy forward selection goes up to this many dims.
    pub greedy_k: usize,
    /// Backward elimination starts from this many dims.
    pub backward_from: usize,
    /// A control run: every split's labels permuted with this seed.
    pub permute_labels: Option<u64>,
}

/// The probe flags of `probe-dims` (besides its files).
#[derive(Clone, Debug, clap::Args)]
pub struct ProbeFlags {
    /// Comma-separated modes among full, single, pair, greedy, backward; or `ablate` alone.
    #[arg(
        long,
        default_value = "full,single,pair,greedy,backward",
        value_delimiter = ','
    )]
    pub methods: Vec<String>,
    /// Comma-separated readouts (default: every readout in the files).
    #[arg(long, value_delimiter = ',')]
    pub readouts: Vec<String>,
    /// `all`, or comma-separated layers (0 = embeddings, -1 = last).
    #[arg(long, default_value = "all", allow_hyphen_values = true)]
    pub layers: String,
    /// Inverse L2 strength of logistic probes (scikit-learn's C).
    #[arg(long, default_value_t = 1.0)]
    pub c: f64,
    /// L2 strength of ridge probes (regression tasks).
    #[arg(long, default_value_t = 1.0)]
    pub alpha: f64,
    /// Greedy forward selection goes up to this many dims.
    #[arg(long, default_value_t = 5)]
    pub greedy_k: usize,
    /// Backward elimination starts from this many dims (best pair + best single dims).
    #[arg(long, default_value_t = 3)]
    pub backward_from: usize,
    /// Newton tolerance (largest coefficient change, standardized units).
    #[arg(long, default_value_t = 1e-4)]
    pub tol: f64,
    /// A control task: permute the labels of every split with this seed, then probe as usual
    /// (what the same probes and searches reach on labels with no signal).
    #[arg(long)]
    pub permute_labels: Option<u64>,
}

impl ProbeFlags {
    /// The methods asked for.
    pub fn methods(&self) -> Result<Vec<Method>, ProbeError> {
        self.methods
            .iter()
            .map(|m| {
                Method::parse(m.trim()).ok_or_else(|| {
                    ProbeError::Invalid(format!(
                        "--methods: unknown method {m:?} (expected full, single, pair, greedy, \
                         backward, or ablate alone)"
                    ))
                })
            })
            .collect()
    }

    /// The stage's config on these files.
    pub fn config(
        &self,
        train: PathBuf,
        dev: PathBuf,
        test: Option<PathBuf>,
        out: PathBuf,
    ) -> Result<ProbeDimsConfig, ProbeError> {
        let layers = (self.layers != "all")
            .then(|| {
                self.layers
                    .split(',')
                    .map(|l| {
                        l.parse::<Layer>()
                            .map_err(|e| ProbeError::Invalid(e.to_string()))
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?;
        Ok(ProbeDimsConfig {
            train,
            dev,
            test,
            out,
            methods: self.methods()?,
            readouts: self.readouts.clone(),
            layers,
            settings: Settings {
                c: self.c,
                alpha: self.alpha,
                tol: self.tol,
                ..Settings::default()
            },
            greedy_k: self.greedy_k,
            backward_from: self.backward_from,
            permute_labels: self.permute_labels,
        })
    }
}

/// Callbacks for a progress bar: the total once, then each batch of probes done.
pub trait ProbeProgress: Sync {
    fn start(&self, total: u64);
    fn inc(&self, n: u64);
    fn message(&self, msg: String);
}

/// The bar `probe-dims` draws: probes done, rate and ETA (hidden when `quiet`).
pub fn probe_bar(quiet: bool) -> indicatif::ProgressBar {
    let bar = if quiet {
        indicatif::ProgressBar::hidden()
    } else {
        indicatif::ProgressBar::new(0)
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{elapsed_precise} [{bar:30}] {human_pos}/{human_len} probes, {per_sec}, ETA {eta} {msg}",
        )
        .expect("valid template"),
    );
    bar
}

impl ProbeProgress for indicatif::ProgressBar {
    fn start(&self, total: u64) {
        self.set_length(total);
    }
    fn inc(&self, n: u64) {
        indicatif::ProgressBar::inc(self, n);
    }
    fn message(&self, msg: String) {
        self.set_message(msg);
    }
}

/// What a finished `probe-dims` did.
#[derive(Clone, Debug)]
pub struct ProbeDimsSummary {
    /// `model task (source): metric dev/test of the dev-best probe [dims]`.
    pub header: String,
    /// One line per (readout, layer).
    pub lines: Vec<String>,
    pub probes: usize,
    pub rows: usize,
    pub seconds: f64,
    pub out: PathBuf,
    /// The headline probes' predictions file and its row count (none for a control run).
    pub predictions: Option<(PathBuf, usize)>,
}

impl std::fmt::Display for ProbeDimsSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{}", self.header)?;
        for line in &self.lines {
            writeln!(f, "{line}")?;
        }
        writeln!(
            f,
            "{} probes in {:.1} s ({:.1} us/probe, {} threads, {} kernels); {} rows -> {}",
            self.probes,
            self.seconds,
            self.seconds * 1e6 / self.probes.max(1) as f64,
            rayon::current_num_threads(),
            crate::simd::level(),
            self.rows,
            self.out.display()
        )?;
        if let Some((path, rows)) = &self.predictions {
            writeln!(f, "{rows} prediction rows -> {}", path.display())?;
        }
        Ok(())
    }
}

fn fmt_best(rs: &[ProbeResult]) -> String {
    match best(rs) {
        Some(r) => format!("{:.4}/{:.4} {:?}", r.dev[0], r.test[0], r.dims),
        None => "-".into(),
    }
}

/// Runs every probe of `cfg` and writes the table.
pub fn probe_dims(
    cfg: &ProbeDimsConfig,
    bar: &dyn ProbeProgress,
) -> Result<ProbeDimsSummary, ProbeError> {
    if let Some(m) = cfg.methods.iter().find(|m| **m == Method::Ablate) {
        return Err(ProbeError::Invalid(format!(
            "--methods {m} scores a fine-tuned head and runs alone, not among the probes"
        )));
    }
    let mut set = HiddenSet::open(&cfg.train, &cfg.dev, cfg.test.as_deref())?;
    if let Some(seed) = cfg.permute_labels {
        set.permute_labels(seed);
    }
    let meta = set.train.meta().clone();
    let readouts = if cfg.readouts.is_empty() {
        meta.readouts.clone()
    } else {
        cfg.readouts.clone()
    };
    if let Some(r) = readouts.iter().find(|r| !meta.readouts.contains(r)) {
        return Err(ProbeError::Invalid(format!(
            "--readouts: {r:?} is not in {} (it has {:?})",
            cfg.train.display(),
            meta.readouts
        )));
    }
    let top = meta.num_layers;
    let layers: Vec<usize> = match &cfg.layers {
        None => (0..=top).collect(),
        Some(ls) => ls
            .iter()
            .map(|l| l.resolve(top).map_err(ProbeError::Invalid))
            .collect::<Result<_, _>>()?,
    };
    // (readout, layer index in the file, layer reported)
    let mut jobs: Vec<(String, usize, usize)> = vec![];
    for r in &readouts {
        // A last-layer-only readout (the pooler) is probed at the top layer alone.
        if readout_layers(r, meta.layers()) == 1 {
            if layers.contains(&top) {
                jobs.push((r.clone(), 0, top));
            }
        } else {
            jobs.extend(layers.iter().map(|&l| (r.clone(), l, l)));
        }
    }
    let h = meta.hidden_size as u64;
    let has = |m: Method| cfg.methods.contains(&m);
    let per_job = has(Method::Single) as u64 * h
        + has(Method::Pair) as u64 * h * (h - 1) / 2
        + has(Method::Greedy) as u64
            * (0..cfg.greedy_k as u64)
                .map(|t| h.saturating_sub(t))
                .sum::<u64>()
        + has(Method::Backward) as u64 * (1..=cfg.backward_from as u64).sum::<u64>();
    bar.start(per_job * jobs.len() as u64);
    let tick = |k: u64| bar.inc(k);
    let progress: Progress = &tick;

    let files = hidden_files(&[
        ("train", Some(&cfg.train)),
        ("dev", Some(&cfg.dev)),
        ("test", cfg.test.as_deref()),
    ])?;
    let s = &cfg.settings;
    let settings_json = serde_json::json!({
        "C": s.c, "alpha": s.alpha, "standardize": "train mean/std per dim",
        "logistic": "L2, intercept unpenalized; 3+ classes one-vs-rest (a binary model per class, \
                     argmax), full vector and subsets alike: scikit-learn's \
                     OneVsRestClassifier(LogisticRegression(C)); Newton (subsets, binary full \
                     vector), L-BFGS (full vector, its one-vs-rest models jointly)",
        "ridge": "L2, intercept unpenalized", "tol": s.tol, "greedy_k": cfg.greedy_k,
        "backward_from": cfg.backward_from, "selection": format!("dev {}", meta.metrics[0]),
        "permuted_labels": cfg.permute_labels,
    });
    let kv = table_metadata(&meta, files, &settings_json);
    let mut table = ProbeGroupWriter::create(&cfg.out, &set.metrics, &kv)?;
    // Controls need no predictions: the report resamples the task's own probes only.
    let pred_path = cfg
        .permute_labels
        .is_none()
        .then(|| predictions_path(&cfg.out));
    let mut pred_table = pred_path
        .as_deref()
        .map(|p| ProbePredictionsWriter::create(p, &kv))
        .transpose()?;
    let (dev_idx, test_idx) = match pred_table {
        Some(_) => (set.problem_idx("dev")?, set.problem_idx("test")?),
        None => (vec![], vec![]),
    };
    let started = Instant::now();
    let mut probes = 0;
    let mut lines = vec![];
    for (readout, file_layer, layer) in &jobs {
        bar.message(format!("{readout} layer {layer}"));
        let problem = set.problem(readout, *file_layer)?;
        let prober = Prober::new(&problem, *s);
        let mut results: Vec<ProbeResult> = vec![];
        let full = has(Method::Full).then(|| prober.full_predicted());
        results.extend(full.as_ref().map(|f| f.0.clone()));
        let run_if =
            |m: Method, f: &dyn Fn() -> Vec<ProbeResult>| if has(m) { f() } else { vec![] };
        let singles = run_if(Method::Single, &|| prober.single(progress));
        let pairs = run_if(Method::Pair, &|| prober.pairs(progress));
        let greedy = run_if(Method::Greedy, &|| prober.greedy(cfg.greedy_k, progress));
        let backward = run_if(Method::Backward, &|| {
            let singles = if singles.is_empty() {
                prober.single(&|_: u64| {})
            } else {
                singles.clone()
            };
            let start = backward_start(&singles, &pairs, cfg.backward_from);
            prober.backward(&start, progress)
        });
        if let Some(w) = pred_table.as_mut() {
            // The probes the report picks (by dev, first on ties), refitted once for their output.
            let mut headline: Vec<(ProbeResult, Predicted)> = full.iter().cloned().collect();
            for (m, rs) in [(Method::Single, &singles), (Method::Pair, &pairs)] {
                if let Some(b) = best(rs) {
                    let dims: Vec<usize> = b.dims.iter().map(|&d| d as usize).collect();
                    headline.push(prober.subset_predicted(m, &dims));
                }
            }
            let (l, ro) = (*layer as i32, readout.as_str());
            w.write(&prediction_rows(
                l, ro, &headline, &problem, &dev_idx, &test_idx,
            )?)?;
        }
        let kept: Vec<ProbeResult> = backward.iter().filter(|r| r.k == 2).cloned().collect();
        lines.push(format!(
            "{readout:>9} {layer:>3} | full {} | single {} | pair {} | greedy {} | backward->2 {}",
            full.map_or("-".into(), |(f, _)| format!(
                "{:.4}/{:.4}",
                f.dev[0], f.test[0]
            )),
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
        table.write(&ProbeGroup {
            layer: *layer as i32,
            readout: readout.clone(),
            results,
        })?;
    }
    let seconds = started.elapsed().as_secs_f64();
    // Both files are written whole before either goes in place, then the predictions first: a
    // table on disk always has its own predictions beside it, and a failed write (a full disk)
    // leaves neither.
    let pred = pred_table.map(|w| w.close()).transpose()?;
    let table = table.close()?;
    let (pred_rows, rows) = (pred.as_ref().map(|p| p.rows), table.rows);
    fewdims_tables::commit_together(pred.into_iter().chain([table]).collect())?;
    Ok(ProbeDimsSummary {
        header: format!(
            "{} {} ({}): {} dev/test of the dev-best probe [dims]",
            meta.model, meta.task, meta.source, meta.metrics[0]
        ),
        lines,
        probes,
        rows,
        seconds,
        out: cfg.out.clone(),
        predictions: pred_path.zip(pred_rows),
    })
}
