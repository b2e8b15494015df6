//! Compares fewdims's logistic probes with a scikit-learn fixture made by
//! `scripts/probe_reference/run.sh` (fewdims-probe's tests/fixtures/sklearn_*.json): the full
//! vector, single dims and pairs, one-vs-rest for three or more classes
//! (`OneVsRestClassifier(LogisticRegression(C))`). Shared by fewdims-probe's `sklearn` test and
//! fewdims-cli's `probe_sklearn` test (included there by path), which makes the real features
//! through the Makefile first.
//!
//! Dev and test accuracy agree within `ACC_TOL` and every coefficient (standardized units,
//! intercept first) within `COEF_TOL`; the dims the fixture found constant are constant here too.
//! Where the fixture also has scikit-learn's multinomial fit, that fit must be far from the
//! one-vs-rest one, so a probe of the other family could not pass.
//!
//! The fixture holds the sha256 of the features each probe read. Features made again on another
//! CPU (or backend) differ in their last bits; they are compared all the same, with a note: such
//! differences move the fits far less than the tolerances (the constant dims, float noise that
//! does change with the kernels, are left out by both sides).
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use fewdims_probe::data::HiddenSet;
use fewdims_probe::search::Buffers;
use fewdims_probe::{Prober, Problem, Settings};
use fewdims_schema::probe::Method;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Accuracy: 1 point (a near-tie item may flip between f32 and f64 decision values).
pub const ACC_TOL: f64 = 0.01 + 1e-9;
/// Coefficients: |ours - sklearn| <= COEF_TOL * max(1, |sklearn|). The fits agree to ~1e-5 on
/// the committed fixtures; one-vs-rest and multinomial weights differ by 0.2 or more on the
/// 3-class one.
pub const COEF_TOL: f64 = 1e-3;
/// The multinomial reference must be this many tolerances away from the one-vs-rest one.
pub const FAMILY_GAP: f64 = 10.0;

/// What one fixture checked: its classes and the probes per method (full, single, pair).
#[derive(Debug)]
pub struct Checked {
    pub classes: usize,
    pub probes: [usize; 3],
    /// Probes whose multinomial reference was checked to be far from the one-vs-rest one.
    pub families_apart: usize,
    /// Whether every feature slice was bitwise the one the fixture was made from.
    pub same_features: bool,
}

/// The fixture's JSON.
pub fn read_fixture(fixture: &Path) -> Value {
    let text =
        std::fs::read_to_string(fixture).unwrap_or_else(|e| panic!("{}: {e}", fixture.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", fixture.display()))
}

/// sha256 of an `[N, H]` slice as row-major little-endian f32 (as the fixture script hashes it).
fn features_sha256(x: &[f32]) -> String {
    let mut h = Sha256::new();
    x.iter().for_each(|v| h.update(v.to_le_bytes()));
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
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

/// Whether the fixture's features are bitwise those of `set` (a note for each that is not).
fn same_features(f: &Value, set: &HiddenSet, fixture: &Path) -> bool {
    let list = f["features"].as_array().unwrap_or_else(|| {
        panic!(
            "{}: no `features` (re-run scripts/probe_reference/run.sh)",
            fixture.display()
        )
    });
    let mut same = true;
    for e in list {
        let (readout, layer) = (e["readout"].as_str().unwrap(), e["layer"].as_u64().unwrap());
        let split = e["split"].as_str().unwrap();
        let reader = match split {
            "train" => &set.train,
            "dev" => &set.dev,
            _ => set.test.as_ref().expect("a test file"),
        };
        let x = reader.layer(readout, layer as usize).unwrap();
        if features_sha256(&x) != e["sha256"].as_str().unwrap() {
            eprintln!(
                "note: {} {readout} layer {layer} {split}: features differ from the ones {} was \
                 made from (other kernels' last bits?); compared all the same",
                reader.path().display(),
                fixture.display()
            );
            same = false;
        }
    }
    same
}

/// The dims the fixture found constant (train variance at or below 1e-12 (1 + mean^2)) must be
/// the ones fewdims leaves unscaled: near 0 after standardizing, where every other dim has
/// variance 1.
fn check_constant_dims(f: &Value, problem: &Problem, readout: &str, layer: usize, what: &str) {
    let Some(list) = f["constant_dims"].as_array() else {
        return;
    };
    let entry = list
        .iter()
        .find(|e| e["readout"] == readout && e["layer"] == layer as u64)
        .unwrap_or_else(|| panic!("{what}: no constant_dims entry"));
    let constant: Vec<u64> = entry["dims"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap())
        .collect();
    let x = &problem.train.x;
    for j in 0..problem.h() {
        let c = x.col(j);
        let var = c.iter().map(|&v| (v as f64).powi(2)).sum::<f64>() / c.len() as f64;
        let is_const = constant.contains(&(j as u64));
        assert!(
            if is_const {
                var < 1e-6
            } else {
                (var - 1.0).abs() < 1e-3
            },
            "{what}: dim {j} has variance {var:e} after standardizing; the fixture says it is \
             {}constant",
            if is_const { "" } else { "not " }
        );
    }
}

/// Checks `fixture` on the hidden files `dir/{train,dev,test}.safetensors`.
pub fn check(fixture: &Path, dir: &Path) -> Checked {
    let f = read_fixture(fixture);
    let file = |s: &str| dir.join(format!("{s}.safetensors"));
    let set = HiddenSet::open(&file("train"), &file("dev"), Some(&file("test"))).unwrap();
    let same = same_features(&f, &set, fixture);
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
        same_features: same,
    };
    let note = if same {
        ""
    } else {
        " (on features that differ from the fixture's)"
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
            let dims: Vec<usize> = p["dims"].as_array().map_or(vec![], |d| {
                d.iter().map(|v| v.as_u64().unwrap() as usize).collect()
            });
            let what = format!(
                "{} {readout} layer {layer} {method} {dims:?}{note}",
                fixture.display()
            );
            let problem = problems
                .entry((readout.to_string(), layer))
                .or_insert_with(|| {
                    let problem = set.problem(readout, layer).unwrap();
                    check_constant_dims(&f, &problem, readout, layer, &what);
                    problem
                });
            let prober = Prober::new(problem, settings);
            let (dev, test, models) = ours(&prober, method, &dims, acc);
            for (split, ours) in [("dev", dev), ("test", test)] {
                let theirs = p[format!("{split}_accuracy")].as_f64().unwrap();
                eprintln!("{what} {split}: fewdims {ours:.4} sklearn {theirs:.4}");
                assert!(
                    (ours - theirs).abs() <= ACC_TOL,
                    "{what} {split}: {ours} vs sklearn {theirs}"
                );
            }
            let theirs = coef(
                p.get("coef")
                    .unwrap_or_else(|| panic!("{what}: no coefficients in the fixture")),
            );
            let gap = coef_gap(&models, &theirs, false);
            eprintln!("{what}: coefficients {gap:.1e} apart");
            assert!(
                gap <= COEF_TOL,
                "{what}: coefficients {gap:.2e} apart\n  fewdims {models:?}\n  sklearn {theirs:?}"
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
            done.probes[m] += 1;
        }
    }
    done
}

/// The fixture's `hidden_dir` below `root` (the repository root, or where a test made them).
pub fn hidden_dir(fixture: &Path, root: &Path) -> PathBuf {
    root.join(
        read_fixture(fixture)["hidden_dir"]
            .as_str()
            .expect("hidden_dir"),
    )
}
