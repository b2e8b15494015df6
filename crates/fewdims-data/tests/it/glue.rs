//! All nine GLUE tasks, from GLUE-shaped files the test writes in both layouts
//! (Hugging Face parquet and the original TSVs): splits, labels, texts and metadata.

use crate::common;

use common::*;
use fewdims_data::registry::TaskKind;
use fewdims_data::{Label, prepare, read_task_split, tasks};
use std::path::Path;

/// What `prepare` must write from the GLUE rows `written`: train and dev (held out of GLUE's
/// train by text hash), test (GLUE's dev), test_mm (MNLI's mismatched dev); GLUE's test is not read.
fn expected(written: &[(&str, Vec<Row>)]) -> Vec<(&'static str, Vec<(u32, Row)>)> {
    let mut out = Vec::new();
    for (glue, rows) in written {
        let numbered = rows.iter().cloned().enumerate().map(|(i, r)| (i as u32, r));
        match *glue {
            "train" => {
                let (dev, train): (Vec<_>, Vec<_>) =
                    numbered.partition(|(_, r)| fewdims_data::split::is_held_out(&r.a));
                out.push(("train", train));
                out.push(("dev", dev));
            }
            "dev" => out.push(("test", numbered.collect())),
            "dev_mm" => out.push(("test_mm", numbered.collect())),
            _ => {}
        }
    }
    out
}

fn check_task(
    spec: &fewdims_data::TaskSpec,
    written: &[(&str, Vec<Row>)],
    out: &Path,
    layout: &str,
) {
    let report = prepare(spec.name, out.parent().unwrap().join("src").as_path(), out)
        .unwrap_or_else(|e| panic!("{layout} {}: {e}", spec.name));
    let want = expected(written);
    let names: Vec<&str> = report.splits.iter().map(|s| s.split.as_str()).collect();
    assert_eq!(names, spec.output_splits(), "{layout} {}", spec.name);
    assert_eq!(names.len(), want.len(), "{layout} {}", spec.name);
    for (split, rows) in &want {
        assert!(
            !rows.is_empty(),
            "{layout} {}/{split}: the fixture is too small",
            spec.name
        );
        let path = out.join(spec.name).join(format!("{split}.parquet"));
        let s = read_task_split(&path).unwrap_or_else(|e| panic!("{layout}: {e}"));
        let ctx = format!("{layout} {}/{split}", spec.name);
        assert_eq!(s.meta.task, spec.name, "{ctx}");
        assert_eq!(&s.meta.split, split, "{ctx}");
        assert_eq!(s.meta.kind, spec.kind, "{ctx}");
        assert_eq!(s.meta.metrics, spec.metrics, "{ctx}");
        assert!(s.meta.labelled, "{ctx}");
        assert_eq!(s.meta.source_sha256.len(), 64, "{ctx}");
        assert_eq!(s.items.len(), rows.len(), "{ctx}");
        for (item, (i, row)) in s.items.iter().zip(rows) {
            assert_eq!(item.idx, *i, "{ctx}");
            assert_eq!(item.text_a, row.a, "{ctx}");
            assert_eq!(item.text_b, row.b, "{ctx}");
            let want = match spec.kind {
                TaskKind::Classification => Label::Class(row.class),
                TaskKind::Regression => Label::Score(row.score),
            };
            assert_eq!(item.label, want, "{ctx} row {i}");
        }
    }
}

#[test]
fn all_nine_glue_tasks_from_hf_parquet() {
    let glue: Vec<_> = tasks().iter().filter(|t| t.is_glue()).collect();
    assert_eq!(glue.len(), 9);
    for spec in glue {
        let dir = tempdir();
        let written = write_glue_hf(&dir.path().join("src"), spec);
        check_task(spec, &written, &dir.path().join("tasks"), "hf");
    }
}

#[test]
fn all_nine_glue_tasks_from_tsv() {
    for spec in tasks().iter().filter(|t| t.is_glue()) {
        let dir = tempdir();
        let written = write_glue_tsv(&dir.path().join("src"), spec);
        check_task(spec, &written, &dir.path().join("tasks"), "tsv");
    }
}

#[test]
fn mnli_reports_on_matched_and_mismatched_dev() {
    let spec = fewdims_data::task("mnli").unwrap();
    let dir = tempdir();
    write_glue_hf(&dir.path().join("src"), spec);
    let report = prepare("mnli", &dir.path().join("src"), &dir.path().join("tasks")).unwrap();
    let names: Vec<&str> = report.splits.iter().map(|s| s.split.as_str()).collect();
    assert_eq!(names, ["train", "dev", "test", "test_mm"]);
    let mm = read_task_split(&dir.path().join("tasks/mnli/test_mm.parquet")).unwrap();
    assert!(
        mm.meta
            .source
            .ends_with("validation_mismatched-00000-of-00001.parquet"),
        "{}",
        mm.meta.source
    );
    assert_eq!(
        mm.meta.label_names,
        ["entailment", "neutral", "contradiction"]
    );
    assert_eq!(mm.meta.text_columns, ["premise", "hypothesis"]);
    let dev = read_task_split(&dir.path().join("tasks/mnli/dev.parquet")).unwrap();
    assert!(dev.meta.source.ends_with("train-00000-of-00001.parquet"));
}

#[test]
fn glue_selects_on_held_out_train_and_reports_on_glue_dev() {
    let spec = fewdims_data::task("stsb").unwrap();
    let dir = tempdir();
    write_glue_tsv(&dir.path().join("src"), spec);
    let report = prepare("stsb", &dir.path().join("src"), &dir.path().join("tasks")).unwrap();
    let train = read_task_split(&dir.path().join("tasks/stsb/train.parquet")).unwrap();
    let dev = read_task_split(&dir.path().join("tasks/stsb/dev.parquet")).unwrap();
    let test = read_task_split(&dir.path().join("tasks/stsb/test.parquet")).unwrap();
    assert_eq!(train.items.len() + dev.items.len(), 40);
    let texts = |s: &fewdims_data::TaskSplit| -> Vec<String> {
        s.items.iter().map(|i| i.text_a.clone()).collect()
    };
    assert!(
        texts(&dev).iter().all(|t| !texts(&train).contains(t)),
        "dev is held out of train"
    );
    assert!(
        dev.items
            .iter()
            .all(|i| matches!(i.label, Label::Score(s) if s >= 0.0))
    );
    assert!(
        test.meta.source.ends_with("dev.tsv"),
        "{}",
        test.meta.source
    );
    assert!(test.meta.labelled);
    assert_eq!(test.items[3].label, Label::Score((3.0f32 * 0.7) % 5.0));
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.contains("held out by text hash")),
        "{:?}",
        report.notes
    );
}

#[test]
fn glue_without_test_files_prepares_all_its_splits() {
    // GLUE's test labels are hidden, so many copies have no test files: they are never read.
    let spec = fewdims_data::task("stsb").unwrap();
    let dir = tempdir();
    write_glue_hf(&dir.path().join("src"), spec);
    std::fs::remove_file(dir.path().join("src/stsb/test-00000-of-00001.parquet")).unwrap();
    let report = prepare("stsb", &dir.path().join("src"), &dir.path().join("tasks")).unwrap();
    let names: Vec<&str> = report.splits.iter().map(|s| s.split.as_str()).collect();
    assert_eq!(names, ["train", "dev", "test"]);
}

#[test]
fn a_missing_glue_dev_file_is_an_error_naming_it() {
    let spec = fewdims_data::task("rte").unwrap();
    let dir = tempdir();
    write_glue_hf(&dir.path().join("src"), spec);
    std::fs::remove_file(dir.path().join("src/rte/validation-00000-of-00001.parquet")).unwrap();
    let err = prepare("rte", &dir.path().join("src"), &dir.path().join("tasks"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("missing GLUE split `dev`")
            && err.contains("validation-00000-of-00001.parquet"),
        "{err}"
    );
    assert!(
        !dir.path().join("tasks/rte").exists(),
        "nothing written on error"
    );
}
