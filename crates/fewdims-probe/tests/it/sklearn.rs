//! Logistic probes match scikit-learn on the fixtures made by `scripts/probe_reference/run.sh`
//! (tests/fixtures/sklearn_*.json): the full vector, single dims and pairs, one-vs-rest for three
//! or more classes (`OneVsRestClassifier(LogisticRegression(C))`). Dev and test accuracy agree
//! within 1 point, and coefficients (standardized units) within `COEF_TOL` where the fixture has
//! them. Where it also has scikit-learn's multinomial fit, that fit must be far from the
//! one-vs-rest one, so a probe of the other family could not pass. A fixture whose hidden files
//! are absent (real features before `make` ran) is skipped with a note, unless
//! FEWDIMS_REQUIRE_FIXTURES=1; a fixture without `singles` or `pairs` has none to check.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use fewdims_probe::data::HiddenSet;
use fewdims_probe::search::Buffers;
use fewdims_probe::{Prober, Problem, Settings, file_sha256};
use fewdims_schema::probe::Method;
use serde_json::Value;

/// Accuracy: 1 point (a near-tie item may flip between f32 and f64 decision values).
const ACC_TOL: f64 = 0.01 + 1e-9;
/// Coefficients: |ours - sklearn| <= COEF_TOL * max(1, |sklearn|). One-vs-rest and multinomial
/// weights differ by 0.2 or more on the 3-class fixture.
const COEF_TOL: f64 = 1e-3;
/// The multinomial reference must be this many tolerances away from the one-vs-rest one.
const FAMILY_GAP: f64 = 10.0;

fn root() -> PathBuf {
    Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo test")).join("../..")
}

/// A fixture whose features are not here is skipped, unless FEWDIMS_REQUIRE_FIXTURES is set.
fn skip(fixture: &Path, why: &str) -> Option<Checked> {
    eprintln!("skipping {}: {why}", fixture.display());
    assert!(
        std::env::var("FEWDIMS_REQUIRE_FIXTURES").is_err(),
        "FEWDIMS_REQUIRE_FIXTURES is set"
    );
    None
}

/// What one fixture checked: its classes and the probes per method (full, single, pair).
#[derive(Debug)]
struct Checked {
    classes: usize,
    probes: [usize; 3],
    /// Probes whose multinomial reference was checked to be far from the one-vs-rest one.
    families_apart: usize,
}

/// `[[intercept, w...] per model]` from the fixture.
fn coef(v: &Value) -> Vec<Vec<f64>> {
    v.as_array()
        .expect("coef: a list of models")
        .iter()
        .map(|m| {
            let m = m.as_array().expect("a model: a list of numbers");
            m.iter().map(|x| x.as_f64().expect("a number")).collect()
        })
        .collect()
}

/// The largest scaled coefficient difference (intercepts too unless `weights_only`).
fn coef_gap(ours: &[Vec<f64>], theirs: &[Vec<f64>], weights_only: bool) -> f64 {
    assert_eq!(ours.len(), theirs.len(), "models: {ours:?} vs {theirs:?}");
    let skip = weights_only as usize;
    ours.iter()
        .zip(theirs)
        .flat_map(|(a, b)| {
            assert_eq!(a.len(), b.len(), "coefficients: {a:?} vs {b:?}");
            a.iter().zip(b).skip(skip)
        })
        .map(|(a, b)| (a - b).abs() / b.abs().max(1.0))
        .fold(0.0, f64::max)
}

/// Fits one probe of the fixture with fewdims: (dev, test) accuracy and its models'
/// coefficients, intercept first.
fn ours(prober: &Prober, method: Method, dims: &[usize], acc: usize) -> (f64, f64, Vec<Vec<f64>>) {
    if method == Method::Full {
        let r = prober.full();
        let fit = prober.full_logit().expect("a classification task");
        let models = (0..fit.b.len())
            .map(|k| {
                std::iter::once(fit.b[k])
                    .chain(fit.w.column(k).iter().copied())
                    .collect()
            })
            .collect();
        return (r.dev[acc], r.test[acc], models);
    }
    let mut buf = Buffers::default();
    let r = prober.subset(method, dims, &mut buf);
    (r.dev[acc], r.test[acc], buf.coefficients().to_vec())
}

fn check(fixture: &Path) -> Option<Checked> {
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
    if let Some(c) = f["classes"].as_u64() {
        assert_eq!(set.classes, c as usize, "{}: classes", fixture.display());
    }
    let settings = Settings {
        c: f["settings"]["C"].as_f64().unwrap(),
        ..Settings::default()
    };
    let acc = set
        .metrics
        .iter()
        .position(|m| m.name() == "accuracy")
        .expect("an accuracy metric");
    let mut problems: HashMap<(String, usize), Problem> = HashMap::new();
    let mut done = Checked {
        classes: set.classes,
        probes: [0; 3],
        families_apart: 0,
    };
    let methods = [
        ("probes", Method::Full),
        ("singles", Method::Single),
        ("pairs", Method::Pair),
    ];
    for (m, (key, method)) in methods.into_iter().enumerate() {
        let Some(list) = f[key].as_array() else {
            eprintln!("{}: no {key} to check", fixture.display());
            continue;
        };
        for p in list {
            let readout = p["readout"].as_str().unwrap();
            let layer = p["layer"].as_u64().unwrap() as usize;
            let problem = problems
                .entry((readout.to_string(), layer))
                .or_insert_with(|| set.problem(readout, layer).unwrap());
            let prober = Prober::new(problem, settings);
            let dims: Vec<usize> = p["dims"].as_array().map_or(vec![], |d| {
                d.iter().map(|v| v.as_u64().unwrap() as usize).collect()
            });
            let what = format!(
                "{} {readout} layer {layer} {method} {dims:?}",
                fixture.display()
            );
            let (dev, test, models) = ours(&prober, method, &dims, acc);
            for (split, ours) in [("dev", dev), ("test", test)] {
                let theirs = p[format!("{split}_accuracy")].as_f64().unwrap();
                eprintln!("{what} {split}: fewdims {ours:.4} sklearn {theirs:.4}");
                assert!(
                    (ours - theirs).abs() <= ACC_TOL,
                    "{what} {split}: {ours} vs sklearn {theirs}"
                );
            }
            if p.get("coef").is_some() {
                let theirs = coef(&p["coef"]);
                let gap = coef_gap(&models, &theirs, false);
                eprintln!("{what}: coefficients {gap:.1e} apart");
                assert!(
                    gap <= COEF_TOL,
                    "{what}: coefficients {gap:.2e} apart\n  \
                     fewdims {models:?}\n  sklearn {theirs:?}"
                );
                if let Some(multi) = p.get("multinomial") {
                    let apart = coef_gap(&coef(&multi["coef"]), &theirs, true);
                    assert!(
                        apart > FAMILY_GAP * COEF_TOL,
                        "{what}: the multinomial reference is only {apart:.2e} from one-vs-rest, \
                         so this fixture cannot tell the families apart"
                    );
                    done.families_apart += 1;
                }
            }
            done.probes[m] += 1;
        }
    }
    Some(done)
}

#[test]
fn probes_match_sklearn() {
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
    let checked: Vec<Checked> = fixtures.iter().filter_map(|f| check(f)).collect();
    eprintln!("checked: {checked:?}");
    // The committed synthetic fixtures always run: binary and 3-class, every method.
    for multi in [false, true] {
        assert!(
            checked
                .iter()
                .any(|c| (c.classes > 2) == multi && c.probes.iter().all(|&n| n > 0)),
            "no {} fixture with full, single and pair probes ran",
            if multi { "3-class" } else { "binary" }
        );
    }
    assert!(
        checked.iter().any(|c| c.families_apart > 0),
        "no fixture tells one-vs-rest from multinomial"
    );
}
