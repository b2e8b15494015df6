//! Byte-identical artifacts (issue 14, item 6): every stage run twice on the same inputs, seeds
//! and backend (flex and tch, CPU) writes the same bytes. Two folders get the same tiny model (copied)
//! and run prepare, tokenize, finetune, extract-hidden, probe-dims, rep-change, cross-finetune
//! and report with the same relative paths; every output file's sha256 must match, wall-clock
//! fields of run.json and cross.json aside. Needs no assets (the data crate's committed tokenizer).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use sha2::{Digest, Sha256};

use crate::common::{fixture_tokenizer, repo_root, tiny_model_with};

const SPLITS: [&str; 3] = ["train", "dev", "test"];

/// Runs stage `bin` in `root` (relative paths resolve there); panics with its stderr on failure.
pub(crate) fn stage(root: &Path, bin: &str, args: &[&str]) {
    let out = Command::new(bin)
        .args(args)
        .current_dir(root)
        .output()
        .expect("the stage runs");
    assert!(
        out.status.success(),
        "{bin} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The whole pipeline on two of the committed user-data samples, each stage run by
/// `run(binary, args)` in the tree of the caller's choice (kill.rs records and times them).
pub(crate) fn pipeline(run: &mut dyn FnMut(&str, &[&str])) {
    pipeline_on("flex", run)
}

/// The same on `backend` (CPU).
pub(crate) fn pipeline_on(backend: &str, run: &mut dyn FnMut(&str, &[&str])) {
    let samples = repo_root().join("crates/fewdims-cli/tests/fixtures/user_data");
    let (imdb, ag) = (
        samples.join("imdb_like.csv").display().to_string(),
        samples.join("ag_news_like.jsonl").display().to_string(),
    );
    let prepare = env!("CARGO_BIN_EXE_prepare");
    let rev = [
        "--from",
        &imdb,
        "--text-a",
        "review",
        "--label",
        "sentiment",
    ];
    run(
        prepare,
        &[&["--task", "rev", "--out", "tasks"], &rev[..]].concat(),
    );
    let topics = [
        "--from", &ag, "--text-a", "title", "--label", "label", "--id", "id",
    ];
    run(
        prepare,
        &[&["--task", "topics", "--out", "tasks"], &topics[..]].concat(),
    );
    for task in ["rev", "topics"] {
        for split in SPLITS {
            let (input, out) = (
                format!("tasks/{task}/{split}.parquet"),
                format!("tok/{task}/{split}.parquet"),
            );
            let args = ["--tokenizer", "tiny/tokenizer.json", "--max-len", "24"];
            let io = ["--in", &input, "--out", &out, "--no-progress"];
            run(env!("CARGO_BIN_EXE_tokenize"), &[&args[..], &io].concat());
        }
    }
    let common = ["--backend", backend, "--device", "cpu", "--quiet"];
    let train = [
        "--epochs",
        "1",
        "--batch-size",
        "8",
        "--max-train",
        "48",
        "--seed",
        "1",
    ];
    let data = [
        "--train",
        "tok/rev/train.parquet",
        "--dev",
        "tok/rev/dev.parquet",
        "--test",
        "tok/rev/test.parquet",
    ];
    let ft = ["--model", "tiny", "--out", "runs/rev/cls", "--token", "cls"];
    run(
        env!("CARGO_BIN_EXE_finetune"),
        &[&ft[..], &data, &train, &common].concat(),
    );
    for (id, model) in [("pretrained", "tiny"), ("rev-cls", "runs/rev/cls")] {
        for split in SPLITS {
            let (input, out) = (
                format!("tok/rev/{split}.parquet"),
                format!("hidden/{id}/rev/{split}.safetensors"),
            );
            let args = [
                "--model",
                model,
                "--model-name",
                "tiny",
                "--in",
                &input,
                "--out",
                &out,
                "--readouts",
                "cls,mean",
                "--batch-size",
                "16",
            ];
            run(
                env!("CARGO_BIN_EXE_extract-hidden"),
                &[&args[..], &common].concat(),
            );
        }
        let (hidden, out) = (
            format!("hidden/{id}/rev"),
            format!("probes/{id}/rev.parquet"),
        );
        let args = [
            "--hidden",
            &hidden,
            "--out",
            &out,
            "--methods",
            "full,single,pair,greedy",
            "--threads",
            "2",
            "--quiet",
        ];
        run(env!("CARGO_BIN_EXE_probe-dims"), &args);
    }
    let args = [
        "--a",
        "hidden/pretrained/rev/dev.safetensors",
        "--b",
        "hidden/rev-cls/rev/dev.safetensors",
        "--out",
        "probes/cka/pretrained_vs_rev-cls/rev/dev.parquet",
    ];
    run(env!("CARGO_BIN_EXE_rep-change"), &args);
    let cross = [
        "--from",
        "runs/rev/cls",
        "--task-dir",
        "tok",
        "--tasks",
        "topics",
        "--out",
        "runs/cross/rev-topics",
        "--seed",
        "1",
        "--earlier-heads",
        "retrain",
        "--refit-probe",
    ];
    run(
        env!("CARGO_BIN_EXE_cross-finetune"),
        &[&cross[..], &train[..6], &common].concat(),
    );
    let report = [
        "--runs",
        "runs",
        "--probes",
        "probes",
        "--out",
        "reports/main",
        "--title",
        "same",
        "--no-print-claims",
    ];
    run(env!("CARGO_BIN_EXE_report"), &report);
}

/// Removes wall-clock fields: run.json's `timings`, cross.json's `train_seconds` and
/// `eval_seconds` (any key ending in `_seconds`).
pub(crate) fn strip_timings(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(o) => {
            o.retain(|k, _| k != "timings" && !k.ends_with("_seconds"));
            o.values_mut().for_each(strip_timings);
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(strip_timings),
        _ => {}
    }
}

/// sha256 of every file under `root` (the model aside), by relative path; JSON files without
/// their wall-clock fields ([`strip_timings`]).
pub(crate) fn digests(root: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let rel = path.strip_prefix(root).unwrap().display().to_string();
            if rel == "tiny" {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let mut bytes = std::fs::read(&path).unwrap();
            if rel.ends_with(".json") {
                let mut v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
                strip_timings(&mut v);
                bytes = serde_json::to_vec(&v).unwrap();
            }
            let hex: String = Sha256::digest(&bytes)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            out.insert(rel, hex);
        }
    }
    out
}

#[test]
fn every_stage_writes_the_same_bytes_twice() {
    same_bytes_twice("flex");
}

#[test]
fn every_stage_writes_the_same_bytes_twice_on_tch() {
    same_bytes_twice("tch");
}

fn same_bytes_twice(backend: &str) {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    tiny_model_with(&a.path().join("tiny"), &fixture_tokenizer(), 30522);
    std::fs::create_dir(b.path().join("tiny")).unwrap();
    for f in std::fs::read_dir(a.path().join("tiny")).unwrap() {
        let f = f.unwrap().path();
        std::fs::copy(&f, b.path().join("tiny").join(f.file_name().unwrap())).unwrap();
    }
    pipeline_on(backend, &mut |bin, args| stage(a.path(), bin, args));
    pipeline_on(backend, &mut |bin, args| stage(b.path(), bin, args));
    let (da, db) = (digests(a.path()), digests(b.path()));
    let kinds = [
        "tasks/rev/train.parquet",
        "tok/topics/test.parquet",
        "runs/rev/cls/model.safetensors",
        "runs/rev/cls/run.json",
        "runs/rev/cls/predictions.parquet",
        "hidden/rev-cls/rev/dev.safetensors",
        "probes/pretrained/rev.parquet",
        "probes/cka/pretrained_vs_rev-cls/rev/dev.parquet",
        "runs/cross/rev-topics/cross.parquet",
        "reports/main/REPORT.md",
    ];
    for k in kinds {
        assert!(da.contains_key(k), "{k} was not written: {:?}", da.keys());
    }
    assert_eq!(
        da.keys().collect::<Vec<_>>(),
        db.keys().collect::<Vec<_>>(),
        "the two runs wrote different files"
    );
    let differ: Vec<String> = da
        .iter()
        .filter(|(k, v)| db[*k] != **v)
        .map(|(k, v)| format!("{k}: {v} vs {}", db[k]))
        .collect();
    assert!(
        differ.is_empty(),
        "{backend}: {} of {} files differ between two identical runs:\n{}",
        differ.len(),
        da.len(),
        differ.join("\n")
    );
}
