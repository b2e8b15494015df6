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
