//! The stages `write_faults.rs` fails midway, and the inputs they read.

use std::path::Path;

use crate::common::{fixture_tokenizer, repo_root, tiny_model_with};
use crate::write_faults::{SPLITS, run_ok, stage, strings};

/// One stage whose output must not survive a failed write.
pub(crate) struct Case {
    pub(crate) stage: &'static str,
    pub(crate) args: Vec<String>,
}

/// Inputs every case reads: the tiny model, a prepared and tokenized task, a fine-tuned run and
/// its hidden states, all written once under `root`.
pub(crate) fn inputs(root: &Path) {
    tiny_model_with(&root.join("tiny"), &fixture_tokenizer(), 30522);
    run_ok(stage(root, "prepare", &prepare_args("tasks")));
    for split in SPLITS {
        let args = tokenize_args(
            &format!("tasks/rev/{split}.parquet"),
            &format!("tok/rev/{split}.parquet"),
        );
        run_ok(stage(root, "tokenize", &args));
    }
    run_ok(stage(
        root,
        "finetune",
        &finetune_args(root, "runs/rev/cls"),
    ));
    for split in SPLITS {
        let args = extract_args(root, split, &format!("hidden/rev/{split}.safetensors"));
        run_ok(stage(root, "extract-hidden", &args));
    }
}

fn prepare_args(out: &str) -> Vec<String> {
    let csv = repo_root().join("crates/fewdims-cli/tests/fixtures/user_data/imdb_like.csv");
    let csv = csv.display().to_string();
    strings(&[
        "--task",
        "rev",
        "--out",
        out,
        "--from",
        &csv,
        "--text-a",
        "review",
        "--label",
        "sentiment",
    ])
}

fn tokenize_args(input: &str, out: &str) -> Vec<String> {
    strings(&[
        "--tokenizer",
        "tiny/tokenizer.json",
        "--max-len",
        "24",
        "--in",
        input,
        "--out",
        out,
        "--no-progress",
    ])
}

const CPU: [&str; 5] = ["--backend", "flex", "--device", "cpu", "--quiet"];

fn finetune_args(inputs: &Path, out: &str) -> Vec<String> {
    let tok = |s: &str| {
        inputs
            .join(format!("tok/rev/{s}.parquet"))
            .display()
            .to_string()
    };
    let model = inputs.join("tiny").display().to_string();
    let args = [
        "--model",
        &model,
        "--out",
        out,
        "--token",
        "cls",
        "--train",
        &tok("train"),
        "--dev",
        &tok("dev"),
        "--test",
        &tok("test"),
        "--epochs",
        "1",
        "--batch-size",
        "8",
        "--max-train",
        "48",
        "--seed",
        "1",
    ];
    strings(&[&args[..], &CPU].concat())
}

fn extract_args(inputs: &Path, split: &str, out: &str) -> Vec<String> {
    let model = inputs.join("runs/rev/cls").display().to_string();
    let input = inputs.join(format!("tok/rev/{split}.parquet"));
    let args = [
        "--model",
        &model,
        "--model-name",
        "tiny",
        "--in",
        &input.display().to_string(),
        "--out",
        out,
        "--readouts",
        "cls,mean",
        "--batch-size",
        "16",
    ];
    strings(&[&args[..], &CPU].concat())
}

/// The stages that write the big files, each into `out/` of its working folder.
pub(crate) fn cases(inputs: &Path) -> Vec<Case> {
    let at = |p: &str| inputs.join(p).display().to_string();
    let mut tokenize = tokenize_args(&at("tasks/rev/train.parquet"), "out/tok/train.parquet");
    tokenize[1] = at("tiny/tokenizer.json");
    vec![
        Case {
            stage: "prepare",
            args: prepare_args("out/tasks"),
        },
        Case {
            stage: "tokenize",
            args: tokenize,
        },
        Case {
            stage: "finetune",
            args: finetune_args(inputs, "out/runs/cls"),
        },
        Case {
            stage: "extract-hidden",
            args: extract_args(inputs, "train", "out/hidden/train.safetensors"),
        },
        Case {
            stage: "probe-dims",
            args: strings(&[
                "--hidden",
                &at("hidden/rev"),
                "--out",
                "out/probes/rev.parquet",
                "--methods",
                "full,single,pair",
                "--threads",
                "2",
                "--quiet",
            ]),
        },
    ]
}
