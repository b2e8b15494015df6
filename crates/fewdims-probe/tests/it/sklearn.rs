//! Logistic probes match scikit-learn on the fixtures made by `scripts/probe_reference/run.sh`
//! (tests/fixtures/sklearn_*.json; the comparison: `sklearn_check.rs`). The synthetic fixtures'
//! hidden files are committed beside them, so they always run. The real-feature fixture
//! (`sklearn_movie.json`, `hidden/pretrained/movie`) runs here where the checkout has those files
//! (after `make`); fewdims-cli's `probe_sklearn` test makes them itself and checks it in every
//! `make test`.

use std::path::PathBuf;

use crate::sklearn_check::{Checked, check, hidden_dir, read_fixture};

#[test]
fn probes_match_sklearn() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo test"));
    let dir = manifest.join("tests/fixtures");
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
    let root = manifest.join("../..");
    let mut checked: Vec<Checked> = vec![];
    for f in &fixtures {
        let hidden = hidden_dir(f, &root);
        if !hidden.join("train.safetensors").exists() {
            // Only real features may be absent: the synthetic ones are committed.
            assert!(
                !read_fixture(f)["synthetic"].as_bool().unwrap_or(false),
                "{}: its synthetic features {} are missing",
                f.display(),
                hidden.display()
            );
            eprintln!(
                "{}: {} is not here (`make` makes it); fewdims-cli's probe_sklearn test checks \
                 this fixture on features it makes",
                f.display(),
                hidden.display()
            );
            continue;
        }
        checked.push(check(f, &hidden));
    }
    eprintln!("checked: {checked:?}");
    // The committed synthetic fixtures always run: binary and 3-class, every method, on the
    // features they were made from.
    for multi in [false, true] {
        assert!(
            checked.iter().any(|c| (c.classes > 2) == multi
                && c.same_features
                && c.probes.iter().all(|&n| n > 0)),
            "no {} fixture with full, single and pair probes ran",
            if multi { "3-class" } else { "binary" }
        );
    }
    assert!(
        checked.iter().any(|c| c.families_apart > 0),
        "no fixture tells one-vs-rest from multinomial"
    );
}

/// A fixture whose features are not those of the files checks all the same, and says so.
#[test]
fn other_features_are_compared_with_a_note() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo test"));
    let fixture = manifest.join("tests/fixtures/sklearn_synthetic.json");
    let mut f = read_fixture(&fixture);
    for e in f["features"].as_array_mut().unwrap() {
        e["sha256"] = "0".repeat(64).into();
    }
    let tmp = tempfile::tempdir().unwrap();
    let edited = tmp.path().join("sklearn_edited.json");
    std::fs::write(&edited, serde_json::to_vec(&f).unwrap()).unwrap();
    let c = check(&edited, &hidden_dir(&fixture, &manifest.join("../..")));
    assert!(!c.same_features && c.probes.iter().all(|&n| n > 0), "{c:?}");
}
