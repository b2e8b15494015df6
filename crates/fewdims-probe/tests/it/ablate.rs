//! `fewdims_probe::ablate::ablate_run` (`probe-dims --methods ablate`): a synthetic fine-tuned run (run.json + a head in
//! model.safetensors) and synthetic hidden states extracted "from it", where the label is carried
//! by dim 3 only. The run selected dims {3, 17, 40}: the full set and every subset holding 3 must
//! score high, the subsets without 3 near chance. Then each refusal, with its message.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use fewdims_probe::ProbeError;
use fewdims_probe::ablate::{AblateConfig, AblateOutcome, ablate_run};
use fewdims_schema::hidden::{HiddenBatch, HiddenMeta, HiddenWriter, LabelSlice};
use fewdims_schema::probe::Method;
use fewdims_schema::run::{self, MetricRow, ReadoutSpec, RunConfig, RunFile};
use fewdims_schema::task::TaskKind;
use fewdims_schema::tensors::{TensorMap, safetensors_bytes};

const H: usize = 48;
const L: usize = 2; // encoder layers; files hold L+1
const N: usize = 400;
const DIMS: [usize; 3] = [3, 17, 40];

/// splitmix64 normals (Box-Muller), so the data is the same everywhere.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f32 {
        let (u, v) = (self.next().max(1e-12), self.next());
        ((-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()) as f32
    }
}

#[derive(Clone)]
struct RunSpec {
    token: &'static str,
    dims: Vec<usize>,
    mlp: bool,
    with_head: bool,
    with_run_json: bool,
}

impl Default for RunSpec {
    fn default() -> Self {
        Self {
            token: "cls",
            dims: DIMS.to_vec(),
            mlp: false,
            with_head: true,
            with_run_json: true,
        }
    }
}

/// `<root>/runs/toy/<name>`: run.json and model.safetensors (an encoder tensor plus the head).
fn write_run(root: &Path, name: &str, spec: &RunSpec) -> PathBuf {
    let dir = root.join("runs/toy").join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let mut t = TensorMap::new();
    t.insert(
        "embeddings.word_embeddings.weight".into(),
        (vec![4, H], vec![0.5; 4 * H]),
    );
    if spec.with_head {
        let mut mask = vec![0f32; H];
        for &d in &spec.dims {
            mask[d] = 1.0;
        }
        t.insert("head.dims_mask".into(), (vec![H], mask));
        // Class 1's logit grows with dim 3; dims 17 and 40 get small weights (noise). Dim 5 gets a
        // huge weight, but it is not selected: if it were not zeroed, accuracy would collapse.
        let mut w = vec![0f32; 2 * H];
        let signal = |w: &mut Vec<f32>, d: usize, v: f32| {
            w[d] = -v;
            w[H + d] = v;
        };
        signal(&mut w, 3, 2.0);
        signal(&mut w, 17, 0.3);
        signal(&mut w, 40, -0.2);
        signal(&mut w, 5, 50.0);
        if spec.mlp {
            // dense: unit u copies input dim u (identity), then tanh; out_proj as above.
            let mut dense = vec![0f32; H * H];
            for u in 0..H {
                dense[u * H + u] = 1.0;
            }
            t.insert("head.dense.weight".into(), (vec![H, H], dense));
            t.insert("head.dense.bias".into(), (vec![H], vec![0.0; H]));
        }
        t.insert("head.out_proj.weight".into(), (vec![2, H], w));
        t.insert("head.out_proj.bias".into(), (vec![2], vec![0.05, -0.05]));
    }
    let bytes = safetensors_bytes(&t, HashMap::new()).unwrap();
    std::fs::write(dir.join("model.safetensors"), bytes).unwrap();
    if spec.with_run_json {
        let run = RunFile {
            format: run::FORMAT.into(),
            config: RunConfig {
                model: "models/toy".into(),
                train: "tok/toy/train.parquet".into(),
                dev: "tok/toy/dev.parquet".into(),
                test: None,
                also_test: Vec::new(),
                out: dir.clone(),
                readout: ReadoutSpec {
                    layer: "-1".parse().unwrap(),
                    token: spec.token.parse().unwrap(),
                    dims: "list:3,17,40".parse().unwrap(),
                },
                head: if spec.mlp { "mlp" } else { "linear" }.parse().unwrap(),
                freeze: "none".parse().unwrap(),
                hyper: Default::default(),
                resume: false,
                max_train: None,
                quiet: true,
                stop_after: None,
                log_every: fewdims_schema::run::DEFAULT_LOG_EVERY,
                save_every: None,
            },
            seed: 42,
            backend: "flex".into(),
            device: "cpu".into(),
            git_revision: "unknown".into(),
            task: "toy".into(),
            kind: TaskKind::Classification,
            metrics: vec!["accuracy".into(), "f1".into()],
            label_names: vec!["neg".into(), "pos".into()],
            num_train: N,
            num_dev: N,
            num_test: Some(N),
            layer_index: L,
            dims_resolved: spec.dims.clone(),
            best_epoch: 1,
            non_finite_dev_epochs: Vec::new(),
            final_metrics: vec![MetricRow {
                epoch: 1,
                split: "dev".into(),
                metric: "accuracy".into(),
                value: 0.9,
            }],
            timings: run::Timings {
                train_seconds: 1.0,
                train_examples_per_second: 1.0,
            },
        };
        std::fs::write(dir.join("run.json"), run.to_json()).unwrap();
    }
    dir
}

/// `<hidden>/{dev,test}.safetensors` with readouts cls and mean; at layer L the label is
/// sign(dim 3) (with noise), everything else is unrelated noise.
fn write_hidden(hidden: &Path, model: &str, source: &Path) {
    for (split, seed) in [("dev", 1u64), ("test", 2)] {
        let meta = HiddenMeta {
            model: model.into(),
            task: "toy".into(),
            split: split.into(),
            readouts: vec!["cls".into(), "mean".into()],
            num_layers: L,
            hidden_size: H,
            kind: TaskKind::Classification,
            metrics: vec!["accuracy".into(), "f1".into()],
            label_names: vec!["neg".into(), "pos".into()],
            source: source.display().to_string(),
            extra: Default::default(),
        };
        let mut rng = Rng(seed);
        let y: Vec<i64> = (0..N).map(|i| (i % 2) as i64).collect();
        let mut cls = vec![0f32; N * (L + 1) * H];
        for (i, row) in cls.chunks_exact_mut((L + 1) * H).enumerate() {
            row.iter_mut().for_each(|v| *v = rng.normal());
            let top = &mut row[L * H..];
            top[3] = (2.0 * y[i] as f32 - 1.0) + 0.3 * rng.normal();
        }
        let mean: Vec<f32> = (0..N * (L + 1) * H).map(|_| rng.normal()).collect();
        let idx: Vec<u32> = (0..N as u32).collect();
        let mut w =
            HiddenWriter::create(hidden.join(format!("{split}.safetensors")), meta, N, None)
                .unwrap();
        w.push(&HiddenBatch {
            readouts: &[&cls, &mean],
            labels: LabelSlice::Classes(&y),
            idx: &idx,
            tokens: None,
        })
        .unwrap();
        w.finish().unwrap();
    }
}

fn tmp(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("probe-ablate-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A run and hidden states extracted from it; returns (root, run, hidden).
fn setup(name: &str, spec: &RunSpec) -> (PathBuf, PathBuf, PathBuf) {
    let root = tmp(name);
    let run = write_run(&root, "dims3", spec);
    let hidden = root.join("hidden/toy-dims3/toy");
    write_hidden(&hidden, "toy/dims3", &run);
    (root, run, hidden)
}

fn ablate(
    run: &Path,
    hidden: &Path,
    out: &Path,
    any_source: bool,
) -> Result<AblateOutcome, ProbeError> {
    ablate_run(&AblateConfig {
        run: run.into(),
        dev: hidden.join("dev.safetensors"),
        test: Some(hidden.join("test.safetensors")),
        out: out.into(),
        any_source,
    })
}

fn assert_refused(r: Result<AblateOutcome, ProbeError>, needle: &str) {
    match r {
        Ok(o) => panic!("expected a refusal with {needle:?}, got {o}"),
        Err(e) => assert!(
            e.to_string().contains(needle),
            "expected {needle:?} in: {e}"
        ),
    }
}

/// The 8 subsets of {3, 17, 40}: high with 3, near chance without it.
fn check_table(out: &Path) {
    let t = fewdims_tables::probe::read(out).unwrap();
    let (rows, meta) = (t.rows, t.meta);
    assert_eq!(rows.len(), 8 * 2, "8 subsets x 2 metrics");
    assert!(rows.iter().all(|r| r.method == Method::Ablate
        && r.layer == L as i32
        && r.readout == "cls"
        && r.k as usize == r.dims.len()
        && r.dims.windows(2).all(|w| w[0] < w[1])));
    assert_eq!(rows[0].dims, [3, 17, 40], "the full set comes first");
    assert_eq!(meta.get("task").map(String::as_str), Some("toy"));
    let settings: serde_json::Value = serde_json::from_str(&meta["settings"]).unwrap();
    assert_eq!(settings["method"], "ablate");
    assert_eq!(settings["dims"], serde_json::json!([3, 17, 40]));
    let acc: Vec<_> = rows.iter().filter(|r| r.metric == "accuracy").collect();
    assert_eq!(acc.len(), 8);
    let mut ranks: Vec<u32> = acc.iter().map(|r| r.rank).collect();
    ranks.sort_unstable();
    assert_eq!(ranks, (1..=8).collect::<Vec<_>>());
    for r in &acc {
        if r.dims.contains(&3) {
            assert!(r.dev > 0.9 && r.test > 0.9, "{r:?}");
            assert!(r.rank <= 4, "subsets with dim 3 rank first: {r:?}");
        } else {
            assert!(
                (0.35..0.65).contains(&r.dev) && (0.35..0.65).contains(&r.test),
                "{r:?}"
            );
        }
    }
    assert!(acc.iter().any(|r| r.k == 0 && r.dims.is_empty()));
}

#[test]
fn ablate_finds_the_one_dim_that_carries_the_task() {
    let (root, run, hidden) = setup("linear", &RunSpec::default());
    let out = root.join("probes/toy-dims3/toy-ablate.parquet");
    let o = ablate(&run, &hidden, &out, false).unwrap();
    check_table(&out);
    assert_eq!(
        (o.head_kind, o.token.as_str(), o.layer),
        ("linear", "cls", 2)
    );
    assert!(o.to_string().contains("linear head on cls layer 2"), "{o}");
    assert_eq!(o.run_dev, Some(0.9));
}

#[test]
fn ablate_takes_an_mlp_head() {
    let spec = RunSpec {
        mlp: true,
        ..RunSpec::default()
    };
    let (root, run, hidden) = setup("mlp", &spec);
    let out = root.join("probes/toy-ablate.parquet");
    let o = ablate(&run, &hidden, &out, false).unwrap();
    assert_eq!(o.head_kind, "mlp");
    check_table(&out);
}

#[test]
fn ablate_refusals_name_the_problem() {
    let (root, run, hidden) = setup("refuse", &RunSpec::default());
    let out = root.join("out.parquet");
    let no_run = |spec: RunSpec, name: &str| write_run(&root, name, &spec);

    // A run dir without run.json.
    let bare = no_run(
        RunSpec {
            with_run_json: false,
            ..RunSpec::default()
        },
        "bare",
    );
    assert_refused(
        ablate(&bare, &hidden, &out, false),
        "not a finished run (no run.json)",
    );
    // A model.safetensors without the head.
    let headless = no_run(
        RunSpec {
            with_head: false,
            ..RunSpec::default()
        },
        "headless",
    );
    assert_refused(ablate(&headless, &hidden, &out, false), "no head");
    // More than 16 selected dims.
    let wide = no_run(
        RunSpec {
            dims: (0..17).collect(),
            ..RunSpec::default()
        },
        "wide",
    );
    assert_refused(ablate(&wide, &hidden, &out, false), "at most 16");
    // The run reads max-norm; the hidden files hold cls and mean only.
    let maxnorm = no_run(
        RunSpec {
            token: "max-norm",
            ..RunSpec::default()
        },
        "maxnorm",
    );
    let hidden_mn = root.join("hidden/maxnorm/toy");
    write_hidden(&hidden_mn, "toy/maxnorm", &maxnorm);
    assert_refused(
        ablate(&maxnorm, &hidden_mn, &out, false),
        "no readout `max-norm`",
    );
    // Hidden states of another model (the pretrained one): refused, unless any_source.
    let pretrained = root.join("models/pretrained");
    std::fs::create_dir_all(&pretrained).unwrap();
    let hidden_pre = root.join("hidden/pretrained/toy");
    write_hidden(&hidden_pre, "pretrained", &pretrained);
    assert_refused(ablate(&run, &hidden_pre, &out, false), "not of run");
    let o = ablate(&run, &hidden_pre, &out, true).unwrap();
    assert!(
        o.warnings.iter().any(|w| w.contains("not of run")),
        "{:?}",
        o.warnings
    );
}
