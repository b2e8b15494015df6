//! The probe-dims and rep-change stages as library calls (`fewdims_probe::probe_dims`,
//! `fewdims_probe::rep_change`) on the committed synthetic fixture (16 dims, layers 0..1).

use std::path::{Path, PathBuf};

use fewdims_probe::Settings;
use fewdims_probe::probe_dims::{ProbeDimsConfig, ProbeProgress, probe_dims};
use fewdims_probe::rep_change::{RepChangeConfig, rep_change};
use fewdims_schema::probe::Method;
use fewdims_schema::vocab::Layer;

fn fixture(split: &str) -> PathBuf {
    Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo test"))
        .join(format!("tests/fixtures/synthetic/{split}.safetensors"))
}

/// Counts what the stage reports to its progress bar.
#[derive(Default)]
struct Count(std::sync::atomic::AtomicU64, std::sync::atomic::AtomicU64);

impl ProbeProgress for Count {
    fn start(&self, total: u64) {
        self.0.store(total, std::sync::atomic::Ordering::Relaxed);
    }
    fn inc(&self, n: u64) {
        self.1.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
    }
    fn message(&self, _: String) {}
}

fn config(out: PathBuf) -> ProbeDimsConfig {
    ProbeDimsConfig {
        train: fixture("train"),
        dev: fixture("dev"),
        test: Some(fixture("test")),
        out,
        methods: vec![Method::Full, Method::Single, Method::Pair],
        readouts: vec!["cls".into()],
        layers: Some(vec![Layer(-1)]),
        settings: Settings::default(),
        greedy_k: 2,
        backward_from: 3,
        permute_labels: None,
    }
}

#[test]
fn probe_dims_writes_one_row_per_probe_and_counts_its_progress() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("probes/synthetic.parquet");
    let bar = Count::default();
    let s = probe_dims(&config(out.clone()), &bar).unwrap();
    // 1 full + 16 single + 120 pairs, at one layer and readout, one metric.
    assert_eq!((s.probes, s.rows), (137, 137));
    let progress = |a: &std::sync::atomic::AtomicU64| a.load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(
        (progress(&bar.0), progress(&bar.1)),
        (136, 136),
        "singles and pairs tick"
    );
    let t = fewdims_tables::probe::read(&out).unwrap();
    assert_eq!(t.rows.len(), 137);
    assert!(t.rows.iter().all(|r| r.layer == 1 && r.readout == "cls"));
    let pairs = t.rows.iter().filter(|r| r.method == Method::Pair);
    assert_eq!(pairs.clone().filter(|r| r.rank == 1).count(), 1);
    assert!(
        pairs
            .clone()
            .all(|r| r.dims.len() == 2 && r.dims[0] < r.dims[1])
    );
    assert!(s.to_string().contains("synthetic synthetic"), "{s}");

    let mut bad = config(dir.path().join("bad.parquet"));
    bad.readouts = vec!["max-norm".into()];
    let e = probe_dims(&bad, &Count::default()).unwrap_err().to_string();
    assert!(
        e.contains("\"max-norm\" is not in") && e.contains("train.safetensors"),
        "{e}"
    );
    bad.readouts.clear();
    bad.methods = vec![Method::Ablate];
    let e = probe_dims(&bad, &Count::default()).unwrap_err().to_string();
    assert!(e.contains("runs alone"), "{e}");
    assert!(
        !dir.path().join("bad.parquet").exists(),
        "a refused run writes nothing"
    );
}

#[test]
fn permuted_labels_take_the_signal_away() {
    let dir = tempfile::tempdir().unwrap();
    let best_test = |table: &Path, m: Method| {
        let t = fewdims_tables::probe::read(table).unwrap();
        t.rows
            .iter()
            .find(|r| r.method == m && r.rank == 1)
            .unwrap()
            .test
    };
    let real = dir.path().join("real.parquet");
    probe_dims(&config(real.clone()), &Count::default()).unwrap();
    let mut controls = Vec::new();
    for seed in [1, 2] {
        let mut c = config(dir.path().join(format!("control{seed}.parquet")));
        c.permute_labels = Some(seed);
        probe_dims(&c, &Count::default()).unwrap();
        controls.push(c.out);
    }
    for m in [Method::Full, Method::Pair] {
        let r = best_test(&real, m);
        for c in &controls {
            let v = best_test(c, m);
            assert!(v < r - 0.1, "{m:?}: control {v} vs real {r}");
        }
    }
    assert_ne!(
        best_test(&controls[0], Method::Pair),
        best_test(&controls[1], Method::Pair),
        "each seed permutes differently"
    );
}

#[test]
fn rep_change_of_a_file_with_itself_is_one_and_refuses_other_items() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cka/dev.parquet");
    let cfg = RepChangeConfig {
        a: fixture("dev"),
        b: fixture("dev"),
        out: out.clone(),
        readouts: vec![],
    };
    let s = rep_change(&cfg).unwrap();
    assert_eq!(s.rows.len(), 4, "cls and mean at layers 0 and 1");
    for r in &fewdims_tables::cka::read(&out).unwrap().rows {
        assert!(
            (r.cka - 1.0).abs() < 1e-9 && (r.mean_cosine - 1.0).abs() < 1e-6,
            "{r:?}"
        );
        assert_eq!(r.n, 200);
    }
    let other = RepChangeConfig {
        b: fixture("train"),
        out: dir.path().join("other.parquet"),
        ..cfg
    };
    let e = rep_change(&other).unwrap_err().to_string();
    assert!(e.contains("not the same items"), "{e}");
}

/// The fixture `name`'s split, copied into `dir` with item ids 1000 + 3i and, on dev and test,
/// every seventh item unlabelled (the probes drop those, so the ids must not just count rows).
fn relabelled(name: &str, split: &str, dir: &Path) -> PathBuf {
    use fewdims_schema::hidden::{HiddenStates, Labels};
    let src = fixture(split)
        .to_string_lossy()
        .replace("/synthetic/", &format!("/{name}/"));
    let mut h = HiddenStates::read(&src).unwrap();
    h.idx = (0..h.n as u32).map(|i| 1000 + 3 * i).collect();
    if let (Labels::Classes(v), true) = (&mut h.labels, split != "train") {
        v.iter_mut().step_by(7).for_each(|y| *y = -1);
    }
    let out = dir.join(format!("{name}/{split}.safetensors"));
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    h.write(&out).unwrap();
    out
}

#[test]
fn probe_dims_writes_the_selected_probes_predictions() {
    use fewdims_probe::Metric;
    use fewdims_probe::metrics::Pred;
    use fewdims_schema::hidden::{HiddenReader, Labels};
    // Binary (one model) and 3 classes (one-vs-rest, the full vector by L-BFGS).
    for name in ["synthetic", "synthetic3"] {
        let dir = tempfile::tempdir().unwrap();
        let file = |s: &str| relabelled(name, s, dir.path());
        let out = dir.path().join(format!("probes/{name}.parquet"));
        let cfg = ProbeDimsConfig {
            train: file("train"),
            dev: file("dev"),
            test: Some(file("test")),
            ..config(out.clone())
        };
        let s = probe_dims(&cfg, &Count::default()).unwrap();
        let path = dir
            .path()
            .join(format!("probes/{name}.predictions.parquet"));
        assert_eq!(s.predictions.as_ref().map(|p| &p.0), Some(&path));
        let table = fewdims_tables::probe::read(&out).unwrap();
        let preds = fewdims_tables::probe_predictions::read(&path).unwrap();
        let ours = |m: &std::collections::BTreeMap<String, String>| {
            let mut m = m.clone();
            m.retain(|k, _| !k.starts_with("ARROW:"));
            m
        };
        assert_eq!(
            ours(&preds.meta),
            ours(&table.meta),
            "the probe table's metadata"
        );
        let mut n_rows = 0;
        for m in [Method::Full, Method::Single, Method::Pair] {
            // The dev-selected probe of the method: what the report's `ProbeTable::best` picks.
            let best = table
                .rows
                .iter()
                .find(|r| r.method == m && r.rank == 1)
                .unwrap();
            for split in ["dev", "test"] {
                let h = HiddenReader::open(cfg.dev.with_file_name(format!("{split}.safetensors")))
                    .unwrap();
                let Labels::Classes(labels) = h.labels().unwrap() else {
                    panic!("a classification fixture")
                };
                let labelled: Vec<(u32, i64)> = h
                    .idx()
                    .unwrap()
                    .into_iter()
                    .zip(labels)
                    .filter(|&(_, y)| y >= 0)
                    .collect();
                let rows: Vec<_> = preds
                    .rows
                    .iter()
                    .filter(|r| r.method == m && r.split == split)
                    .collect();
                n_rows += rows.len();
                assert!(
                    rows.iter()
                        .all(|r| r.layer == 1 && r.readout == "cls" && r.dims == best.dims),
                    "{name} {m} {split}: rows of the selected probe {:?}",
                    best.dims
                );
                let got: Vec<(u32, i64)> = rows.iter().map(|r| (r.idx, r.label as i64)).collect();
                assert_eq!(
                    got, labelled,
                    "{name} {m} {split}: the labelled items, by id"
                );
                let p: Vec<u32> = rows.iter().map(|r| r.prediction as u32).collect();
                let target = fewdims_probe::Target::Classes {
                    y: labelled.iter().map(|&(_, y)| y as u32).collect(),
                    classes: if name == "synthetic" { 2 } else { 3 },
                };
                let score = Metric::Accuracy.score(Pred::Classes(&p), &target);
                let want = if split == "dev" { best.dev } else { best.test };
                assert!(
                    (score - want).abs() < 1e-12,
                    "{name} {m} {split}: {score} from the predictions, {want} in the table"
                );
            }
        }
        assert_eq!(
            (preds.rows.len(), s.predictions.unwrap().1),
            (n_rows, n_rows)
        );

        // A control (permuted labels) writes no predictions.
        let control = dir.path().join(format!("probes/{name}-control1.parquet"));
        let c = ProbeDimsConfig {
            out: control.clone(),
            permute_labels: Some(1),
            ..cfg.clone()
        };
        assert!(
            probe_dims(&c, &Count::default())
                .unwrap()
                .predictions
                .is_none()
        );
        assert!(control.exists());
        assert!(!fewdims_schema::probe::predictions_path(&control).exists());
    }
}
