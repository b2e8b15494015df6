//! All nine GLUE tasks, from GLUE-shaped files the test writes in both layouts
//! (Hugging Face parquet and the original TSVs): splits, labels, texts and metadata.

use crate::common;

use common::*;
use fewdims_data::registry::TaskKind;
use fewdims_data::{Label, prepare, read_task_split, tasks};
use std::path::Path;

fn check_task(
    spec: &fewdims_data::TaskSpec,
    written: &[(&str, Vec<Row>)],
    out: &Path,
    layout: &str,
) {
    let report = prepare(spec.name, out.parent().unwrap().join("src").as_path(), out)
        .unwrap_or_else(|e| panic!("{layout} {}: {e}", spec.name));
    assert_eq!(report.splits.len(), written.len(), "{layout} {}", spec.name);
    for (split, rows) in written {
        let path = out.join(spec.name).join(format!("{split}.parquet"));
        let s = read_task_split(&path).unwrap_or_else(|e| panic!("{layout}: {e}"));
        let ctx = format!("{layout} {}/{split}", spec.name);
        assert_eq!(s.meta.task, spec.name, "{ctx}");
        assert_eq!(&s.meta.split, split, "{ctx}");
        assert_eq!(s.meta.kind, spec.kind, "{ctx}");
        assert_eq!(s.meta.metrics, spec.metrics, "{ctx}");
        assert_eq!(s.meta.labelled, !split.starts_with("test"), "{ctx}");
        assert_eq!(s.meta.source_sha256.len(), 64, "{ctx}");
        assert_eq!(s.items.len(), rows.len(), "{ctx}");
        for (i, (item, row)) in s.items.iter().zip(rows).enumerate() {
            assert_eq!(item.idx, i as u32, "{ctx}");
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
fn mnli_has_matched_and_mismatched_splits() {
    let spec = fewdims_data::task("mnli").unwrap();
    let dir = tempdir();
    write_glue_hf(&dir.path().join("src"), spec);
    let report = prepare("mnli", &dir.path().join("src"), &dir.path().join("tasks")).unwrap();
    let names: Vec<&str> = report.splits.iter().map(|s| s.split.as_str()).collect();
    assert_eq!(names, ["train", "dev", "dev_mm", "test", "test_mm"]);
    let mm = read_task_split(&dir.path().join("tasks/mnli/dev_mm.parquet")).unwrap();
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
}

#[test]
fn stsb_keeps_float_labels_and_unlabelled_test() {
    let spec = fewdims_data::task("stsb").unwrap();
    let dir = tempdir();
    write_glue_tsv(&dir.path().join("src"), spec);
    prepare("stsb", &dir.path().join("src"), &dir.path().join("tasks")).unwrap();
    let train = read_task_split(&dir.path().join("tasks/stsb/train.parquet")).unwrap();
    assert_eq!(train.items[3].label, Label::Score((3.0f32 * 0.7) % 5.0));
    let test = read_task_split(&dir.path().join("tasks/stsb/test.parquet")).unwrap();
    assert!(!test.meta.labelled);
    assert!(test.items.iter().all(|i| i.label == Label::Score(-1.0)));
}

#[test]
fn a_missing_test_split_is_skipped_with_a_note() {
    let spec = fewdims_data::task("rte").unwrap();
    let dir = tempdir();
    write_glue_hf(&dir.path().join("src"), spec);
    std::fs::remove_file(dir.path().join("src/rte/test-00000-of-00001.parquet")).unwrap();
    let report = prepare("rte", &dir.path().join("src"), &dir.path().join("tasks")).unwrap();
    assert_eq!(report.splits.len(), 2);
    assert!(
        report.notes.iter().any(|n| n.contains("`test`")),
        "{:?}",
        report.notes
    );
}
