//! End to end on your own data: `make mine` on a small CSV this test writes, with the tiny model,
//! through prepare, the sweeps, cross-fine-tuning (your task, then news and tweets3), probes and
//! the report. Before that, the prepare rule alone: it re-runs when the CSV or prepare's flags
//! change, and only then.

use std::path::Path;
use std::process::Command;

use crate::common::{assets_or_skip, make_command, output, tiny_model};

const TASK: &str = "my-reviews";

/// A review CSV as a spreadsheet writes it: a BOM, CRLF, quoted commas and quotes, an extra column.
fn write_csv(path: &Path, rows: usize) {
    let mut body = String::from("\u{feff}id,review,stars,sentiment\r\n");
    let good = [
        "a delight",
        "moving, and funny",
        "the best \"feel-good\" film",
    ];
    let bad = ["a bore", "slow, and loud", "the \"worst\" sequel yet"];
    for i in 0..rows {
        let (words, label) = if i % 2 == 0 {
            (good[i % 3], "positive")
        } else {
            (bad[i % 3], "negative")
        };
        let review = format!("Review {i}: {words}.").replace('"', "\"\"");
        body += &format!("{i},\"{review}\",{},{label}\r\n", 1 + i % 5);
    }
    std::fs::write(path, body).unwrap();
}

/// `make GOAL` with your task's knobs and small settings.
fn make(root: &Path, assets: &Path, goal: &str, flags: &str) -> Command {
    let mut cmd = make_command(root, assets, goal);
    cmd.arg(format!("USER_TASK={TASK}"))
        .arg(format!("USER_FROM={}", root.join("reviews.csv").display()))
        .arg(format!("USER_FLAGS={flags}"))
        .arg(format!("USER_OUT={}", root.join("mine").display()))
        .args([
            "FT_MAX_TRAIN=32",
            "PROBE_CONTROLS=1",
            "PROBE_FLAGS=--methods full,single,pair --threads 2",
        ]);
    cmd
}

#[test]
fn make_mine_runs_a_csv_through_the_main_job() {
    let Some(assets) = assets_or_skip() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    tiny_model(&root.join("tiny"), &assets);
    write_csv(&root.join("reviews.csv"), 200);
    let flags = "--text-a review --label sentiment --id id";
    let prepared = |log: &str| log.contains(&format!("/prepare --task {TASK} "));
    let train = root.join(format!("data/tasks/{TASK}/train.parquet"));
    let goal = train.display().to_string();

    // The prepare rule: runs once, not again, again on an edited CSV and on changed flags.
    let (log, ok) = output(make(root, &assets, &goal, flags));
    assert!(ok && prepared(&log), "{log}");
    let (log, ok) = output(make(root, &assets, &goal, flags));
    assert!(ok && !prepared(&log), "nothing changed, yet:\n{log}");
    write_csv(&root.join("reviews.csv"), 220);
    let (log, ok) = output(make(root, &assets, &goal, flags));
    assert!(ok && prepared(&log), "an edited CSV re-prepares:\n{log}");
    let named = format!("{flags} --label-names negative,positive");
    let (log, ok) = output(make(root, &assets, &goal, &named));
    assert!(ok && prepared(&log), "changed flags re-prepare:\n{log}");
    let t = fewdims_data::read_task_split(&train).unwrap();
    assert_eq!(t.meta.label_names, ["negative", "positive"]);
    assert!(t.meta.source.ends_with("reviews.csv"), "{}", t.meta.source);

    // The main job on it, into its own folders.
    let (log, ok) = output(make(root, &assets, "mine", &named));
    assert!(ok, "make mine failed:\n{log}");
    let mine = root.join("mine");
    let run: serde_json::Value = serde_json::from_slice(
        &std::fs::read(mine.join(format!("runs/{TASK}/cls/run.json"))).unwrap(),
    )
    .unwrap();
    assert_eq!(run["task"], TASK);
    assert_eq!(
        run["label_names"],
        serde_json::json!(["negative", "positive"])
    );
    for name in ["dims-random2", "layer0", "freeze-all-mlp", "mean"] {
        let p = mine.join(format!("runs/{TASK}/{name}/run.json"));
        assert!(p.is_file(), "{}", p.display());
    }
    let cross = mine.join(format!("runs/cross/{TASK}-news-tweets3"));
    assert!(cross.join("cross.parquet").is_file(), "{log}");
    assert!(cross.join("predictions/step2-tweets3.parquet").is_file());
    assert!(
        mine.join(format!("probes/pretrained/{TASK}.parquet"))
            .is_file()
    );
    assert!(
        !root.join("runs").exists(),
        "the main job's folders stay untouched"
    );
    let report_path = root.join(format!("reports/mine-{TASK}/REPORT.md"));
    let report = std::fs::read_to_string(&report_path).unwrap();
    assert!(
        report.starts_with(&format!("# fewdims on your task {TASK} (tiny)")),
        "{report}"
    );
    assert!(report.contains(&format!("### {TASK}")), "{report}");
    assert!(report.contains(&format!("Tasks: {TASK}")), "{report}");
    assert!(
        log.contains("| claim | paper says"),
        "the claims are printed:\n{log}"
    );

    // Nothing changed: a second run runs no stage.
    let (log2, ok2) = output(make(root, &assets, "mine", &named));
    assert!(ok2, "second make mine failed:\n{log2}");
    for stage in [
        "prepare",
        "tokenize",
        "finetune",
        "cross-finetune",
        "report",
    ] {
        assert!(
            !log2.contains(&format!("/{stage} ")),
            "a no-op make ran {stage}:\n{log2}"
        );
    }
}
