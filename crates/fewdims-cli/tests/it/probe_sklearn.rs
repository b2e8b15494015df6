//! fewdims's probes against scikit-learn on real features, in every `make test`: makes
//! `hidden/pretrained/movie` as `make` does (prepare, tokenize and extract-hidden of the
//! pretrained MiniLM from `make assets`, tch on the CPU; about a minute of CPU) in a temp dir, then
//! checks fewdims-probe's `tests/fixtures/sklearn_movie.json` on it: the full vector, 3 single
//! dims and 3 pairs per readout, accuracies and coefficients (the comparison:
//! fewdims-probe's `tests/it/sklearn_check.rs`).

use std::process::Command;

use crate::common::{assets_or_skip, output, repo_root};

#[path = "../../../fewdims-probe/tests/it/sklearn_check.rs"]
mod sklearn_check;

#[test]
fn probes_match_sklearn_on_real_features() {
    let Some(assets) = assets_or_skip() else {
        return;
    };
    let fixture = repo_root().join("crates/fewdims-probe/tests/fixtures/sklearn_movie.json");
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    // The fixture's `hidden/<id>/<task>`, below the temp dir (HIDDEN_DIR = <tmp>/hidden).
    let dir = sklearn_check::hidden_dir(&fixture, root);
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_extract-hidden"))
        .parent()
        .unwrap();
    let p = |s: &str| root.join(s).display().to_string();
    let mut cmd = Command::new("make");
    cmd.arg("-C").arg(repo_root()).arg("--no-print-directory");
    // Only where things go: the model, tokenizer, max_len and extraction flags are make's own.
    for (k, v) in [
        ("CARGO", "true".to_string()),
        ("CARGO_STAMP", p("cargo-stamp")),
        ("BIN", bin.display().to_string()),
        ("FEWDIMS_ASSETS", assets.display().to_string()),
        ("ASSETS", assets.display().to_string()),
        ("TASKS_DIR", p("data/tasks")),
        ("TOK_DIR", p("data/tok")),
        ("HIDDEN_DIR", p("hidden")),
        ("DEVICE", "cpu".into()),
    ] {
        cmd.arg(format!("{k}={v}"));
    }
    for s in ["train", "dev", "test"] {
        cmd.arg(dir.join(format!("{s}.safetensors")));
    }
    let (log, ok) = output(cmd);
    assert!(ok, "make of {}:\n{log}", dir.display());
    let c = sklearn_check::check(&fixture, &dir);
    eprintln!("checked: {c:?}");
    assert!(c.probes.iter().all(|&n| n > 0), "{c:?}");
}
