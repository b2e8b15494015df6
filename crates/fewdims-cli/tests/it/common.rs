//! Shared helpers of the stage-binary tests: a tiny random BERT with the real tokenizer, and
//! `make` pointed at a temp dir.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use fewdims_backend::{Backend, DeviceArgs};
use fewdims_bert::{BertConfig, TensorMap, save_model_dir};

pub fn repo_root() -> PathBuf {
    Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo test")).join("../..")
}

/// The asset cache, if `make assets` has filled it.
pub fn assets() -> Option<PathBuf> {
    let dir = std::env::var_os("FEWDIMS_ASSETS")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache/fewdims/assets"))
        })?;
    dir.join(".complete").exists().then_some(dir)
}

/// The assets, or `None` (and a note) when they are missing and not required.
pub fn assets_or_skip() -> Option<PathBuf> {
    let found = assets();
    if found.is_none() {
        assert!(
            std::env::var_os("FEWDIMS_REQUIRE_FIXTURES").is_none(),
            "assets missing: run `make assets`"
        );
        eprintln!("skipped: no assets (run `make assets`)");
    }
    found
}

/// A tiny random BERT (hidden 32, 2 layers, with a pooler) with the real MiniLM tokenizer.
pub fn tiny_model(dir: &Path, assets: &Path) {
    let tokenizer = assets.join("all-MiniLM-L6-v2/tokenizer.json");
    tiny_model_with(dir, &tokenizer, 30522);
}

/// The same with any `tokenizer.json` whose ids are below `vocab`.
pub fn tiny_model_with(dir: &Path, tokenizer: &Path, vocab: usize) {
    let device = DeviceArgs::new(Backend::Flex, "cpu")
        .select()
        .unwrap()
        .device;
    let config = BertConfig::tiny(vocab);
    save_model_dir(
        dir,
        &config,
        &config.init(true, &device),
        &TensorMap::new(),
        HashMap::new(),
    )
    .unwrap();
    std::fs::copy(tokenizer, dir.join("tokenizer.json")).unwrap();
}

/// The data crate's committed WordPiece tokenizer (a few of BERT's ids): tests without assets.
pub fn fixture_tokenizer() -> PathBuf {
    repo_root().join("crates/fewdims-data/tests/fixtures/tokenize/tokenizer.json")
}

/// `make GOAL` on the repo's Makefile with every output under `tmp`, the tiny model at
/// `tmp/tiny` and the already built binaries; add settings with `.arg("K=V")`.
pub fn make_command(tmp: &Path, assets: &Path, goal: &str) -> Command {
    let bin = Path::new(env!("CARGO_BIN_EXE_finetune")).parent().unwrap();
    let p = |s: &str| tmp.join(s).display().to_string();
    let vars = [
        ("CARGO", "true".to_string()),
        ("CARGO_STAMP", p("cargo-stamp")),
        ("BIN", bin.display().to_string()),
        ("FEWDIMS_ASSETS", assets.display().to_string()),
        ("ASSETS", assets.display().to_string()),
        ("MODEL", "tiny".into()),
        ("MODEL_DIR", p("tiny")),
        ("MAX_LEN", "32".into()),
        ("TASKS_DIR", p("data/tasks")),
        ("TOK_DIR", p("data/tok")),
        ("RUNS_DIR", p("runs")),
        ("HIDDEN_DIR", p("hidden")),
        ("PROBE_DIR", p("probes")),
        ("REPORTS_DIR", p("reports")),
        ("BACKEND", "flex".into()),
        ("DEVICE", "cpu".into()),
        // One run per config under its plain name unless a test asks for seeds.
        ("SEEDS", String::new()),
    ];
    let mut cmd = Command::new("make");
    cmd.arg("-C")
        .arg(repo_root())
        .arg("--no-print-directory")
        .arg(goal);
    for (k, v) in vars {
        cmd.arg(format!("{k}={v}"));
    }
    cmd
}

/// Runs `cmd`: its stdout and stderr together, and whether it succeeded.
pub fn output(mut cmd: Command) -> (String, bool) {
    let out = cmd.output().expect("the command runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (text, out.status.success())
}
