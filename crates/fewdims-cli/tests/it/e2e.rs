//! End to end: the main job (`make main`) on a tiny random BERT with the real tokenizer and the real
//! built-in tasks (subsampled), through every stage binary: prepare, tokenize, finetune,
//! extract-hidden, probe-dims, rep-change, cross-finetune and report. Then a second `make main`
//! must run no stage at all.

use std::path::Path;
use std::process::Command;

use crate::common::{assets_or_skip, make_command, tiny_model};

const STAGES: [&str; 8] = [
    "prepare",
    "tokenize",
    "finetune",
    "extract-hidden",
    "probe-dims",
    "rep-change",
    "cross-finetune",
    "report",
];

/// `make main` with the e2e settings; its output and whether it succeeded.
fn make(tmp: &Path, assets: &Path) -> (String, bool) {
    let mut cmd = make_command(tmp, assets, "main");
    cmd.args([
        "FT_MAX_TRAIN=64",
        "MAIN_TASKS=movie tweets",
        "CROSS_FROM=movie",
        "CROSS_TASKS=amazon nyt",
        "PROBE_TASKS=movie",
        "PROBE_FLAGS=--methods full,single,pair,greedy,backward --threads 2",
    ]);
    crate::common::output(cmd)
}

#[test]
fn main_job_runs_every_stage_then_nothing() {
    let Some(assets) = assets_or_skip() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    tiny_model(&root.join("tiny"), &assets);

    let (log, ok) = make(root, &assets);
    assert!(ok, "make main failed:\n{log}");
    for stage in STAGES {
        assert!(
            log.contains(&format!("/{stage} ")),
            "stage {stage} never ran:\n{log}"
        );
    }
    // Every sweep run of both tasks: token, dims, layer (0..2) and freeze.
    let names = [
        "cls",
        "max-norm",
        "mean",
        "pos1",
        "dims-first1",
        "dims-random2",
        "dims-random3",
        "freeze-all-mlp",
        "layer0",
        "layer1",
        "layer2",
    ];
    for task in ["movie", "tweets"] {
        for name in names {
            let run = root.join(format!("runs/{task}/{name}/run.json"));
            let json: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&run).unwrap()).unwrap();
            assert_eq!(json["task"], task, "{}", run.display());
        }
    }
    assert!(
        root.join("runs/cross/movie-amazon-nyt/cross.parquet")
            .exists()
    );
    assert!(root.join("probes/pretrained/movie.parquet").exists());
    assert!(root.join("probes/movie-cls/movie.parquet").exists());
    assert!(
        root.join("probes/cka/pretrained_vs_movie-cls/movie/dev.parquet")
            .exists()
    );
    let report = std::fs::read_to_string(root.join("reports/main/REPORT.md")).unwrap();
    let claims = report
        .split("## The paper's claims")
        .nth(1)
        .expect("a claims section");
    for claim in ["CLS", "dims", "layer", "freez", "cross"] {
        assert!(
            claims.to_lowercase().contains(&claim.to_lowercase()),
            "claims table lacks {claim}:\n{claims}"
        );
    }
    assert!(log.contains("== "), "make main prints the claims:\n{log}");

    // Nothing changed: a second run runs no stage and rewrites no output.
    let report_time = std::fs::metadata(root.join("reports/main/REPORT.md"))
        .unwrap()
        .modified()
        .unwrap();
    let (log2, ok2) = make(root, &assets);
    assert!(ok2, "second make main failed:\n{log2}");
    for stage in STAGES {
        assert!(
            !log2.contains(&format!("/{stage} ")),
            "a no-op make ran {stage}:\n{log2}"
        );
    }
    let report_time2 = std::fs::metadata(root.join("reports/main/REPORT.md"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(report_time, report_time2, "the report was rewritten");
}

/// probe-dims' flag checks, before any file is read.
#[test]
fn probe_dims_refuses_mixed_ablate_flags() {
    let run = |args: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_probe-dims"))
            .args(args)
            .output()
            .expect("probe-dims runs");
        assert!(!o.status.success(), "{args:?} was accepted");
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    let common = [
        "--hidden",
        "/nonexistent/h",
        "--out",
        "/nonexistent/o.parquet",
    ];
    let with = |extra: &[&'static str]| [extra, &common[..]].concat();
    let err = run(&with(&[
        "--methods",
        "ablate,pair",
        "--run",
        "/nonexistent/r",
    ]));
    assert!(err.contains("run it alone"), "{err}");
    let err = run(&with(&["--methods", "pair", "--run", "/nonexistent/r"]));
    assert!(err.contains("--run is for --methods ablate only"), "{err}");
    let err = run(&with(&["--methods", "ablate"]));
    assert!(err.contains("needs --run"), "{err}");
    let err = run(&with(&["--methods", "pairs"]));
    assert!(err.contains("unknown method"), "{err}");
}
