//! MNLI's mismatched dev (`test_mm`, which fine-tunes score with `--also-test`): the sweep tables
//! show it where a run has it, the claims stay on `test` (the matched dev).

use crate::common::*;

use fewdims_report::{ReportConfig, build_report};

#[test]
fn mismatched_scores_are_shown_and_claims_stay_on_test() {
    let tmp = tempfile::tempdir().unwrap();
    let runs = tmp.path().join("runs");
    for (seed, mm) in [(1, 0.70), (2, 0.72)] {
        Run {
            mm: Some(mm),
            ..Run::cls(&format!("cls-seed{seed}"), seed, 0.80, 0.78)
        }
        .write(&runs, "mnli");
    }
    Run {
        token: "mean",
        mm: Some(0.66),
        ..Run::cls("mean", 1, 0.79, 0.77)
    }
    .write(&runs, "mnli");
    // A task without a mismatched split beside it.
    Run::cls("cls", 1, 0.81, 0.8).write(&runs, "movie");
    Run {
        token: "mean",
        ..Run::cls("mean", 1, 0.8, 0.8)
    }
    .write(&runs, "movie");
    let out = tmp.path().join("reports/main");
    let s = build_report(&ReportConfig::new(&runs, tmp.path().join("probes"), &out)).unwrap();

    let (h, rows) = csv_rows(&out.join("token_wise.csv"));
    let col = |n: &str| h.iter().position(|x| x == n).unwrap();
    let row = |task: &str, run: &str, metric: &str| {
        rows.iter()
            .find(|r| r[col("task")] == task && r[col("run")] == run && r[col("metric")] == metric)
            .unwrap_or_else(|| panic!("no {task} {run} {metric} row in {rows:?}"))
            .clone()
    };
    let cls = row("mnli", "cls", "accuracy");
    let num = |r: &[String], n: &str| r[col(n)].parse::<f64>().unwrap();
    assert!((num(&cls, "test_mm_mean") - 0.71).abs() < 1e-12, "{cls:?}");
    assert!((num(&cls, "test_mm_sd") - 0.0002f64.sqrt()).abs() < 1e-12);
    assert!((num(&cls, "test_mean") - 0.80).abs() < 1e-12);
    assert!((num(&row("mnli", "mean", "f1"), "test_mm_mean") - 0.61).abs() < 1e-12);
    let movie = row("movie", "cls", "accuracy");
    assert_eq!(
        (&movie[col("test_mm_mean")], &movie[col("test_mm_sd")]),
        (&String::new(), &String::new())
    );

    // REPORT.md: the mnli tables have a test_mm column per metric and say what it is; movie's
    // tables have none.
    let md = std::fs::read_to_string(&s.report).unwrap();
    let token = md
        .split("\n## ")
        .find(|s| s.starts_with("Token-wise"))
        .unwrap();
    let task = |t: &str| {
        let head = format!("### {t}\n");
        let at = token
            .find(&head)
            .unwrap_or_else(|| panic!("no {t} in {token}"));
        token[at..].split("\n### ").next().unwrap().to_string()
    };
    let mnli = task("mnli");
    for needle in [
        "| accuracy test | accuracy test_mm | accuracy dev |",
        "| f1 test | f1 test_mm | f1 dev |",
        "| 0.800 ± 0.000 | 0.710 ± 0.014 | 0.780 ± 0.000 |",
        "`test_mm`: MNLI's mismatched dev",
        "the split the claims are judged on",
    ] {
        assert!(
            mnli.contains(needle),
            "mnli's token table lacks {needle:?}:\n{mnli}"
        );
    }
    let movie = task("movie");
    assert!(!movie.contains("test_mm"), "{movie}");

    // The token claim judges mnli's mean run against cls on test (the matched dev).
    let (h, rows) = csv_rows(&out.join("claims_detail.csv"));
    let col = |n: &str| h.iter().position(|x| x == n).unwrap();
    let mnli: Vec<&Vec<String>> = rows.iter().filter(|r| r[col("task")] == "mnli").collect();
    assert!(!mnli.is_empty(), "no mnli comparison in {rows:?}");
    assert!(mnli.iter().all(|r| r[col("split")] == "test"), "{mnli:?}");
}
