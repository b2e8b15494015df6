//! Full-vector logistic probes match scikit-learn's LogisticRegression within 1 point, on the
//! fixtures made by `scripts/probe_reference/run.sh` (tests/fixtures/sklearn_*.json). A fixture
//! whose hidden files are absent (real features before `make` ran) is skipped with a note, unless
//! FEWDIMS_REQUIRE_FIXTURES=1.

use std::path::{Path, PathBuf};

use fewdims_probe::data::HiddenSet;
use fewdims_probe::{Prober, Settings, file_sha256};
use serde_json::Value;

fn root() -> PathBuf {
    Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo test")).join("../..")
}

/// A fixture whose features are not here is skipped, unless FEWDIMS_REQUIRE_FIXTURES is set.
fn skip(fixture: &Path, why: &str) -> bool {
    eprintln!("skipping {}: {why}", fixture.display());
    assert!(
        std::env::var("FEWDIMS_REQUIRE_FIXTURES").is_err(),
        "FEWDIMS_REQUIRE_FIXTURES is set"
    );
    false
}

fn check(fixture: &Path) -> bool {
    let f: Value = serde_json::from_str(&std::fs::read_to_string(fixture).unwrap()).unwrap();
    let dir = root().join(f["hidden_dir"].as_str().unwrap());
    let file = |s: &str| dir.join(format!("{s}.safetensors"));
    if !file("train").exists() {
        return skip(fixture, &format!("{} is absent", dir.display()));
    }
    // Re-extracted states differ in their last bits with the backend and the CPU's kernels; the
    // reference holds for the exact files it was made from, so other files are skipped.
    for s in ["train", "dev", "test"] {
        let sha = file_sha256(&file(s)).unwrap();
        if sha != f["files"][s].as_str().unwrap() {
            let why = format!(
                "{} is not the file it was made from (re-run scripts/probe_reference/run.sh {})",
                file(s).display(),
                dir.display()
            );
            return skip(fixture, &why);
        }
    }
    let set = HiddenSet::open(&file("train"), &file("dev"), Some(&file("test"))).unwrap();
    let settings = Settings {
        c: f["settings"]["C"].as_f64().unwrap(),
        ..Settings::default()
    };
    for p in f["probes"].as_array().unwrap() {
        let readout = p["readout"].as_str().unwrap();
        let layer = p["layer"].as_u64().unwrap() as usize;
        let problem = set.problem(readout, layer).unwrap();
        let acc = set
            .metrics
            .iter()
            .position(|m| m.name() == "accuracy")
            .expect("an accuracy metric");
        let r = Prober::new(&problem, settings).full();
        for (split, ours) in [("dev", r.dev[acc]), ("test", r.test[acc])] {
            let theirs = p[format!("{split}_accuracy")].as_f64().unwrap();
            eprintln!(
                "{} {readout} layer {layer} {split}: fewdims {ours:.4} sklearn {theirs:.4}",
                fixture.display()
            );
            assert!(
                (ours - theirs).abs() <= 0.01 + 1e-9,
                "{readout} layer {layer} {split}: {ours} vs sklearn {theirs}"
            );
        }
    }
    true
}

#[test]
fn full_probe_matches_sklearn() {
    let dir = Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo test"))
        .join("tests/fixtures");
    let mut fixtures: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("sklearn_")
                && p.extension().is_some_and(|e| e == "json")
        })
        .collect();
    fixtures.sort();
    assert!(!fixtures.is_empty(), "no fixtures in {}", dir.display());
    let checked = fixtures.iter().filter(|f| check(f)).count();
    assert!(
        checked >= 1,
        "the committed synthetic fixture must always run"
    );
}
