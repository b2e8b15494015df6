//! `probe-dims --methods ablate --run`: a fine-tuned run's own head scored on subsets of its dims.

use anyhow::{Context, Result, anyhow, bail};
use fewdims_probe::ablate::MAX_ABLATE_DIMS;
use fewdims_probe::table::{ProbeGroup, ProbeTableWriter};
use fewdims_probe::{FcHead, LinearHead, Metric, ProbeResult, file_sha256};
use fewdims_schema::hidden::{HiddenReader, Kind};
use fewdims_schema::probe::Method;
use fewdims_schema::run as run_contract;
use fewdims_schema::vocab::Token;
use fewdims_train::head::{DENSE, DIMS_MASK, OUT_PROJ};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::{Args, table_metadata};

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

pub(crate) fn run_ablate(args: &Args) -> Result<()> {
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
    let on_test = test.as_ref().map(score).transpose()?;
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
    let kv = table_metadata(&meta, files, &settings_json);
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
