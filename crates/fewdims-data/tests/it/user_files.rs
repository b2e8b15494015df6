//! Your own data (`prepare --from`): CSV, TSV, JSON Lines and parquet files, one file or one
//! per split, label inference and the checks on flags (the traps: `user_traps.rs`).

use crate::common;

use arrow::array::{ArrayRef, Float64Array, StringArray};
use arrow::datatypes::{DataType, Field};
use common::*;
use fewdims_data::split::split_of;
use fewdims_data::text::sha256_file;
use fewdims_data::{
    FromInput, FromSpec, Label, TaskKind, TaskSplit, prepare_from, read_task_split,
};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub fn write(path: &Path, bytes: impl AsRef<[u8]>) -> PathBuf {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
    path.to_path_buf()
}

pub fn one_file(task: &str, path: &Path, text: &str, label: &str) -> FromSpec {
    FromSpec::new(task, FromInput::Path(path.into()), text, label)
}

/// Reads back train, dev and test of `task`.
pub fn read_back(out: &Path, task: &str) -> Vec<TaskSplit> {
    ["train", "dev", "test"]
        .iter()
        .map(|s| read_task_split(&out.join(format!("{task}/{s}.parquet"))).unwrap())
        .collect()
}

/// Expects an error containing every needle, and nothing under `out`.
pub fn expect_err(spec: &FromSpec, out: &Path, needles: &[&str]) {
    let msg = prepare_from(spec, out)
        .expect_err("bad input must fail")
        .to_string();
    for n in needles {
        assert!(msg.contains(n), "error lacks `{n}`: {msg}");
    }
    assert!(
        files_under(out).is_empty(),
        "left behind: {:?}",
        files_under(out)
    );
}

/// `n` CSV rows `id,review,sentiment` (CRLF, a BOM), with traps in the first rows.
fn reviews_csv(n: usize) -> String {
    let mut s = String::from("\u{feff}id,review,sentiment\r\n");
    s += "0,\"Plain, with a comma\",pos\r\n";
    s += "1,\"Tab\there, \"\"quotes\"\" and a\r\nline break\",neg\r\n";
    for i in 2..n {
        let l = if i % 3 == 0 { "neg" } else { "pos" };
        s += &format!("{i},review number {i} says {l},{l}\r\n");
    }
    s
}

#[test]
fn csv_one_file_bom_crlf_quotes_and_hash_split() {
    let dir = tempdir();
    let src = write(&dir.path().join("reviews.csv"), reviews_csv(300));
    let out = dir.path().join("tasks");
    let mut spec = one_file("my-reviews", &src, "review", "sentiment");
    spec.id = Some("id".into());
    let report = prepare_from(&spec, &out).unwrap();
    assert_eq!(report.splits.len(), 3);
    let splits = read_back(&out, "my-reviews");
    let sha = sha256_file(&src).unwrap();
    let mut all = Vec::new();
    for s in &splits {
        assert_eq!(s.meta.task, "my-reviews");
        assert_eq!(s.meta.kind, TaskKind::Classification);
        assert_eq!(s.meta.label_names, ["neg", "pos"], "byte order");
        assert_eq!(s.meta.metrics, ["accuracy"]);
        assert_eq!(s.meta.text_columns, ["review"]);
        assert_eq!(
            (s.meta.source.as_str(), s.meta.source_sha256.as_str()),
            (src.to_str().unwrap(), sha.as_str())
        );
        assert!(s.meta.labelled && s.meta.description.contains("your own data"));
        for i in &s.items {
            assert_eq!(split_of(&i.text_a), s.meta.split, "hash split");
            all.push(i.clone());
        }
    }
    assert_eq!(all.len(), 300);
    let find = |idx| all.iter().find(|i| i.idx == idx).unwrap();
    assert_eq!(find(0).text_a, "Plain, with a comma");
    assert_eq!(find(1).text_a, "Tab\there, \"quotes\" and a\r\nline break");
    assert_eq!(find(1).label, Label::Class(0));
    assert_eq!(find(4).label, Label::Class(1));
}

#[test]
fn tsv_per_split_integer_labels_and_ids() {
    let dir = tempdir();
    let file = |name: &str, n: usize, start: usize| {
        let mut s = String::from("rid\tstars\tbody\n");
        for i in start..start + n {
            s += &format!("{}\t{}\t\"stars {i}\tquoted tab\"\n", 1000 + i, 1 + i % 5);
        }
        write(&dir.path().join(name), s)
    };
    let input = FromInput::Files {
        train: file("train.tsv", 50, 0),
        dev: Some(file("dev.tsv", 10, 50)),
        test: Some(file("test.tsv", 10, 60)),
    };
    let mut spec = FromSpec::new("stars", input, "body", "stars");
    spec.id = Some("rid".into());
    let out = dir.path().join("tasks");
    prepare_from(&spec, &out).unwrap();
    let [train, dev, test] = read_back(&out, "stars").try_into().unwrap();
    assert_eq!(train.meta.label_names, ["1", "2", "3", "4", "5"]);
    assert_eq!(
        (train.items.len(), dev.items.len(), test.items.len()),
        (50, 10, 10)
    );
    assert_eq!(train.items[7].idx, 1007);
    assert_eq!(
        train.items[7].label,
        Label::Class(2),
        "stars 3 is the third class"
    );
    assert_eq!(train.items[7].text_a, "stars 7\tquoted tab");
    assert!(test.meta.source.ends_with("test.tsv") && dev.meta.source.ends_with("dev.tsv"));
}

#[test]
fn jsonl_pairs_with_float_labels_make_regression() {
    let dir = tempdir();
    let mut s = String::from("\u{feff}"); // a BOM, CRLF and blank lines
    for i in 0..200 {
        s += &format!(
            "{{\"q\": \"question {i}\", \"a\": \"answer {i}\", \"score\": {}.5}}\r\n\n",
            i % 4
        );
    }
    let src = write(&dir.path().join("pairs.jsonl"), s);
    let mut spec = one_file("qa-score", &src, "q", "score");
    spec.text_b = Some("a".into());
    let out = dir.path().join("tasks");
    prepare_from(&spec, &out).unwrap();
    for s in read_back(&out, "qa-score") {
        assert_eq!(s.meta.kind, TaskKind::Regression);
        assert_eq!(s.meta.metrics, ["pearson", "spearman"]);
        assert!(s.meta.is_pair() && s.meta.label_names.is_empty());
        let i = &s.items[0];
        assert_eq!(
            i.text_b.as_deref(),
            Some(i.text_a.replace("question", "answer").as_str())
        );
        assert!(matches!(i.label, Label::Score(x) if x.fract() == 0.5));
    }
}

#[test]
fn parquet_with_label_names_metrics_and_kind() {
    let dir = tempdir();
    let n = 200;
    let texts: Vec<String> = (0..n).map(|i| format!("parquet text {i}")).collect();
    let labels: Vec<&str> = (0..n).map(|i| ["bad", "good"][i % 2]).collect();
    let cols: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter_values(texts)),
        Arc::new(StringArray::from_iter_values(labels)),
        Arc::new(Float64Array::from_iter_values((0..n).map(|i| i as f64))),
    ];
    let fields = vec![
        Field::new("t", DataType::Utf8, true),
        Field::new("y", DataType::Utf8, true),
        Field::new("v", DataType::Float64, true),
    ];
    let src = dir.path().join("d.parquet");
    write_parquet(&src, fields, cols, vec![]);
    let out = dir.path().join("tasks");
    let mut spec = one_file("pq", &src, "t", "y");
    spec.label_names = Some(vec!["good".into(), "bad".into()]);
    spec.metrics = Some(vec!["accuracy".into(), "f1".into()]);
    prepare_from(&spec, &out).unwrap();
    let train = &read_back(&out, "pq")[0];
    assert_eq!(train.meta.label_names, ["good", "bad"]);
    assert_eq!(train.meta.metrics, ["accuracy", "f1"]);
    let i = &train.items[0];
    assert_eq!(i.label, Label::Class(if i.idx % 2 == 0 { 1 } else { 0 }));
    // a named class that train lacks is allowed, and noted
    let mut three = one_file("pq3", &src, "t", "y");
    three.label_names = Some(vec!["good".into(), "bad".into(), "meh".into()]);
    let report = prepare_from(&three, &out).unwrap();
    let notes = report.notes.join("\n");
    assert!(
        notes.contains("class(es) with no train rows: meh"),
        "{notes}"
    );
    // floats are scores, even integer-valued ones (pandas makes floats of ints with gaps)
    prepare_from(&one_file("pq2", &src, "t", "v"), &out).unwrap();
    assert_eq!(read_back(&out, "pq2")[0].meta.kind, TaskKind::Regression);
    let mut bad = one_file("pq3", &src, "t", "y");
    bad.metrics = Some(vec!["pearson".into()]);
    expect_err(
        &bad,
        &dir.path().join("o3"),
        &["--metrics", "`pearson` does not apply"],
    );
}

#[test]
fn train_and_dev_files_report_on_dev_and_hold_out_dev() {
    let dir = tempdir();
    let file = |name: &str, n: usize| {
        let mut s = String::from("text,label\n");
        for i in 0..n {
            s += &format!("{name} item {i},{}\n", ["a", "b", "c"][i % 3]);
        }
        write(&dir.path().join(name), s)
    };
    let input = FromInput::Files {
        train: file("train.csv", 200),
        dev: Some(file("dev.csv", 20)),
        test: None,
    };
    let out = dir.path().join("tasks");
    let report = prepare_from(&FromSpec::new("abc", input, "text", "label"), &out).unwrap();
    let [train, dev, test] = read_back(&out, "abc").try_into().unwrap();
    assert_eq!(train.items.len() + dev.items.len(), 200);
    assert!(
        dev.items
            .iter()
            .all(|i| fewdims_data::split::is_held_out(&i.text_a))
    );
    assert!(dev.meta.source.ends_with("train.csv") && test.meta.source.ends_with("dev.csv"));
    assert_eq!(test.items.len(), 20);
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.contains("`test` is the given dev")),
        "{:?}",
        report.notes
    );
}

#[test]
fn task_names_and_columns_are_checked_first() {
    let dir = tempdir();
    let src = write(&dir.path().join("x.csv"), reviews_csv(50));
    let out = dir.path().join("tasks");
    for (name, needle) in [
        ("movie", "built-in task `movie`"),
        ("SST2", "GLUE task `sst2`"),
        ("../up", "letters, digits"),
        ("a b", "letters, digits"),
        ("", "letters, digits"),
    ] {
        expect_err(
            &one_file(name, &src, "review", "sentiment"),
            &out,
            &["--task", needle],
        );
    }
    let mut same = one_file("ok", &src, "review", "review");
    same.id = Some("id".into());
    expect_err(&same, &out, &["--label: `review` is also --text-a"]);
}
