//! The report says what `test` is where it is not a test split of its own: GLUE's dev (and your
//! own dev file), read from the notes `prepare` put into the token files a run read.

use std::path::Path;
use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, UInt32Array};
use arrow::datatypes::{Field, Schema};
use fewdims_report::{ReportConfig, build_report};
use parquet::arrow::ArrowWriter;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;

use crate::common::Run;

/// A token-file stand-in: one `idx` column and the `fewdims.notes` metadata.
fn write_token_file(path: &Path, notes: &[&str]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let schema = Arc::new(Schema::new(vec![Field::new(
        "idx",
        arrow::datatypes::DataType::UInt32,
        false,
    )]));
    let col: ArrayRef = Arc::new(UInt32Array::from(vec![0u32, 1]));
    let batch = RecordBatch::try_new(schema.clone(), vec![col]).unwrap();
    let notes = serde_json::to_string(notes).unwrap();
    let props = WriterProperties::builder()
        .set_key_value_metadata(Some(vec![KeyValue::new("fewdims.notes".into(), notes)]))
        .build();
    let file = std::fs::File::create(path).unwrap();
    let mut w = ArrowWriter::try_new(file, schema, Some(props)).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

/// A cls run of `task` whose run.json names `test` as its test file.
fn write_run(runs: &Path, task: &str, test: Option<&Path>) {
    let run = Run::cls("cls", 1, 0.8, 0.8);
    run.write(runs, task);
    let mut json = run.json(task);
    json["config"]["test"] = serde_json::json!(test);
    let path = runs.join(task).join("cls/run.json");
    std::fs::write(path, serde_json::to_vec_pretty(&json).unwrap()).unwrap();
}

#[test]
fn the_report_says_test_is_glues_dev() {
    let tmp = tempfile::tempdir().unwrap();
    let runs = tmp.path().join("runs");
    let sst2 = tmp.path().join("tok/sst2/test.parquet");
    write_token_file(
        &sst2,
        &[
            "GLUE Tsv layout in /glue/SST-2",
            "`test` is GLUE's `dev` split",
            "`dev` is 9 rows of GLUE's train held out by text hash (10%; selection), `train` the other 71",
            "GLUE's test labels are hidden: its test files are not read",
        ],
    );
    write_run(&runs, "sst2", Some(&sst2));
    // A built-in task's notes say nothing about its splits; a missing file is no error.
    let movie = tmp.path().join("tok/movie/test.parquet");
    write_token_file(&movie, &["100 items read; 0 duplicate(s) dropped"]);
    write_run(&runs, "movie", Some(&movie));
    write_run(
        &runs,
        "gone",
        Some(&tmp.path().join("tok/gone/test.parquet")),
    );

    let cfg = ReportConfig::new(&runs, tmp.path().join("probes"), tmp.path().join("out"));
    let s = build_report(&cfg).unwrap();
    let md = std::fs::read_to_string(&s.report).unwrap();
    assert!(md.contains("**What the splits are.**"), "{md}");
    assert!(
        md.contains("- `sst2`: `test` is GLUE's `dev` split; `dev` is 9 rows of GLUE's train"),
        "{md}"
    );
    assert!(
        !md.contains("- `movie`") && !md.contains("- `gone`"),
        "{md}"
    );

    // Built-in tasks only: no such paragraph.
    std::fs::remove_dir_all(runs.join("sst2")).unwrap();
    let s = build_report(&cfg).unwrap();
    let md = std::fs::read_to_string(&s.report).unwrap();
    assert!(!md.contains("What the splits are"), "{md}");
}
