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
        "SEEDS=1 2",
        "LAYERS=0 1 2",
        "MAIN_TASKS=movie tweets",
        "CROSS_FROM=movie",
        "CROSS_TASKS=news tweets3",
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
    // Every sweep run of both tasks, once per seed: token, dims, layer (0..1; the last layer is
    // dims-random2) and freeze; the 1-dim run and layer 0 with the first seed only.
    let mut names: Vec<String> = [
        "cls",
        "max-norm",
        "mean",
        "pos1",
        "dims-random2",
        "dims-random3",
        "freeze-all-mlp",
        "layer1",
    ]
    .iter()
    .flat_map(|n| [format!("{n}-seed1"), format!("{n}-seed2")])
    .collect();
    names.extend(["dims-first1-seed1".into(), "layer0-seed1".into()]);
    for task in ["movie", "tweets"] {
        for name in &names {
            let dir = root.join(format!("runs/{task}/{name}"));
            let json: serde_json::Value =
                serde_json::from_slice(&std::fs::read(dir.join("run.json")).unwrap()).unwrap();
            assert_eq!(json["task"], task, "{}", dir.display());
            let preds = fewdims_tables::predictions::read(&dir.join("predictions.parquet"))
                .unwrap()
                .rows;
            let tests = preds.iter().filter(|p| p.split == "test").count();
            assert_eq!(
                Some(tests),
                json["num_test"].as_u64().map(|n| n as usize),
                "{name}"
            );
        }
        for absent in ["layer2-seed1", "dims-first1-seed2", "layer0-seed2", "cls"] {
            assert!(
                !root.join(format!("runs/{task}/{absent}")).exists(),
                "{absent}"
            );
        }
    }
    // Each seed draws its own random dims.
    let dims = |seed: u32| {
        let p = root.join(format!("runs/movie/dims-random2-seed{seed}/run.json"));
        let j: serde_json::Value = serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap();
        j["dims_resolved"].clone()
    };
    assert_ne!(dims(1), dims(2));
    for seed in [1, 2] {
        let cross = root.join(format!("runs/cross/movie-news-tweets3-seed{seed}"));
        assert!(cross.join("cross.parquet").exists());
        for file in ["step0-movie", "step2-movie", "step2-tweets3"] {
            let p = cross.join(format!("predictions/{file}.parquet"));
            assert!(p.is_file(), "{}", p.display());
        }
    }
    for id in ["pretrained", "movie-cls-seed1"] {
        assert!(root.join(format!("probes/{id}/movie.parquet")).exists());
        // The headline probes' predictions beside each table (none beside the controls).
        let p = root.join(format!("probes/{id}/movie.predictions.parquet"));
        assert!(
            !fewdims_tables::probe_predictions::read(&p)
                .unwrap()
                .rows
                .is_empty()
        );
        let control = root.join(format!("probes/{id}/movie-control1.predictions.parquet"));
        assert!(!control.exists());
    }
    assert!(
        root.join("probes/cka/pretrained_vs_movie-cls-seed1/movie/dev.parquet")
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
    // The probe claim is judged on the fine-tuned encoder's predictions: a row with an interval.
    let detail = std::fs::read_to_string(root.join("reports/main/claims_detail.csv")).unwrap();
    assert!(
        detail.lines().any(|l| l.starts_with("probe,movie,")
            && l.contains("movie-cls-seed1: best pair")
            && !l.contains("not measured")),
        "{detail}"
    );
    assert!(log.contains("== "), "make main prints the claims:\n{log}");
    assert_eq!(
        log.matches("| claim | paper says").count(),
        1,
        "make main prints the claims table once:\n{log}"
    );

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
