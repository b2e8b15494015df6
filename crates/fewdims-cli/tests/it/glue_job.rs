//! End to end on a GLUE copy without test files (many keep only train and dev: GLUE's test labels
//! are hidden): `make glue` with the tiny model on SST-2 (swept, probed) and RTE (the cross
//! chain), through to the report, which says that `test` is GLUE's dev.

use std::fmt::Write as _;
use std::path::Path;

use crate::common::{assets_or_skip, make_command, output, tiny_model};

/// Writes `<dir>/<TASK>/<split>.tsv` for train and dev only, in GLUE's original TSV layout.
fn write_glue_copy(dir: &Path) -> usize {
    let words = ["bright", "dull", "warm", "grim", "lively", "flat"];
    let mut sst2 = (
        String::from("sentence\tlabel\n"),
        String::from("sentence\tlabel\n"),
    );
    let mut rte = (
        String::from("index\tsentence1\tsentence2\tlabel\n"),
        String::from("index\tsentence1\tsentence2\tlabel\n"),
    );
    let dev_rows = 24;
    for i in 0..120 {
        let w = words[i % words.len()];
        let (s, r) = if i < 120 - dev_rows {
            (&mut sst2.0, &mut rte.0)
        } else {
            (&mut sst2.1, &mut rte.1)
        };
        writeln!(s, "a {w} film , take {i} \t{}", (i % words.len()) % 2).unwrap();
        let label = ["entailment", "not_entailment"][i % 2];
        writeln!(r, "{i}\tthe {w} cat sat on mat {i} .\ta cat sat .\t{label}").unwrap();
    }
    for (task, (train, dev)) in [("SST-2", sst2), ("RTE", rte)] {
        std::fs::create_dir_all(dir.join(task)).unwrap();
        std::fs::write(dir.join(task).join("train.tsv"), train).unwrap();
        std::fs::write(dir.join(task).join("dev.tsv"), dev).unwrap();
    }
    dev_rows
}

#[test]
fn make_glue_without_test_files_reports_on_glue_dev() {
    let Some(assets) = assets_or_skip() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    tiny_model(&root.join("tiny"), &assets);
    let dev_rows = write_glue_copy(&root.join("glue_data"));
    let mut cmd = make_command(root, &assets, "glue");
    cmd.arg(format!("GLUE_DIR={}", root.join("glue_data").display()))
        .arg(format!("GLUE_OUT={}", root.join("glue").display()))
        .args([
            "GLUE_MAIN=sst2",
            "GLUE_CROSS=rte",
            "FT_MAX_TRAIN=32",
            "PROBE_CONTROLS=1",
            "PROBE_FLAGS=--methods full,single,pair --threads 2",
        ]);
    let (log, ok) = output(cmd);
    assert!(ok, "make glue failed:\n{log}");

    // fewdims' test is GLUE's dev, scored by every run; GLUE's test files were never asked for.
    let test = fewdims_data::read_task_split(&root.join("data/tasks/sst2/test.parquet")).unwrap();
    assert!(
        test.meta.source.ends_with("SST-2/dev.tsv"),
        "{}",
        test.meta.source
    );
    let glue = root.join("glue");
    let run: serde_json::Value =
        serde_json::from_slice(&std::fs::read(glue.join("runs/sst2/cls/run.json")).unwrap())
            .unwrap();
    assert_eq!(run["num_test"], dev_rows);
    assert!(
        glue.join("runs/cross/sst2-rte/cross.parquet").is_file(),
        "{log}"
    );
    assert!(glue.join("probes/pretrained/sst2.parquet").is_file());
    assert!(
        !root.join("runs").exists(),
        "the main job's folders stay untouched"
    );

    let report = std::fs::read_to_string(root.join("reports/glue/REPORT.md")).unwrap();
    assert!(report.starts_with("# fewdims on GLUE (tiny)"), "{report}");
    assert!(report.contains("### sst2"), "{report}");
    let line = report
        .lines()
        .find(|l| l.starts_with("- `sst2`: "))
        .unwrap_or_else(|| panic!("the report says what sst2's splits are:\n{report}"));
    assert!(
        line.contains("`test` is GLUE's `dev` split") && line.contains("`dev` is "),
        "{line}"
    );
}
