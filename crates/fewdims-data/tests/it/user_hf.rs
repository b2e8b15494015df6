//! Hugging Face `datasets` parquet exports as your own data: shards, split names, ClassLabel
//! names from the `huggingface` metadata, hidden test labels, configs.

use crate::common;
use crate::user_files::{expect_err, read_back};

use arrow::array::{ArrayRef, Int64Array, StringArray};
use arrow::datatypes::{DataType, Field};
use common::*;
use fewdims_data::text::{sha256_file, sha256_hex};
use fewdims_data::{FromInput, FromSpec, Label, prepare_from};
use std::path::Path;
use std::sync::Arc;

const NAMES: [&str; 4] = ["World", "Sports", "Business", "Sci/Tech"];

/// One shard as `datasets` writes it: `text`, `label` (ClassLabel, -1 when hidden).
fn shard(path: &Path, texts: &[String], labels: &[i64]) {
    let cols: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter_values(texts)),
        Arc::new(Int64Array::from(labels.to_vec())),
    ];
    let fields = vec![
        Field::new("text", DataType::Utf8, true),
        Field::new("label", DataType::Int64, true),
    ];
    let hf = serde_json::json!({"info": {"features": {
        "text": {"dtype": "string", "_type": "Value"},
        "label": {"names": NAMES, "_type": "ClassLabel"},
    }}});
    write_parquet(
        path,
        fields,
        cols,
        vec![("huggingface".into(), hf.to_string())],
    );
}

/// `n` rows of `split`, labels cycling through the classes (all -1 when `hidden`).
fn rows(split: &str, from: usize, n: usize, hidden: bool) -> (Vec<String>, Vec<i64>) {
    let texts = (from..from + n)
        .map(|i| format!("{split} news story {i}"))
        .collect();
    let labels = (from..from + n)
        .map(|i| if hidden { -1 } else { i as i64 % 4 })
        .collect();
    (texts, labels)
}

fn write_split(dir: &Path, split: &str, sizes: &[usize], hidden: bool) {
    let mut from = 0;
    for (k, &n) in sizes.iter().enumerate() {
        let (t, l) = rows(split, from, n, hidden);
        let name = format!("{split}-{k:05}-of-{:05}.parquet", sizes.len());
        shard(&dir.join(name), &t, &l);
        from += n;
    }
}

fn spec(task: &str, dir: &Path) -> FromSpec {
    FromSpec::new(task, FromInput::Path(dir.into()), "text", "label")
}

#[test]
fn export_with_two_shards_keeps_class_names() {
    let dir = tempdir();
    let cfg = dir.path().join("export/default");
    write_split(&cfg, "train", &[120, 90], false);
    write_split(&cfg, "test", &[40], false);
    write_split(&cfg, "unsupervised", &[10], true);
    let out = dir.path().join("tasks");
    let report = prepare_from(&spec("news4", &dir.path().join("export")), &out).unwrap();
    let [train, dev, test] = read_back(&out, "news4").try_into().unwrap();
    for s in [&train, &dev, &test] {
        assert_eq!(s.meta.label_names, NAMES, "{}", s.meta.split);
    }
    assert_eq!(train.items.len() + dev.items.len(), 210, "both shards read");
    assert_eq!(test.items.len(), 40);
    let mut idx: Vec<u32> = train
        .items
        .iter()
        .chain(&dev.items)
        .map(|i| i.idx)
        .collect();
    idx.sort();
    assert_eq!(
        idx,
        (0..210).collect::<Vec<u32>>(),
        "row numbers run across shards"
    );
    let story = |s: &fewdims_data::TaskSplit, n: u32| s.items.iter().find(|i| i.idx == n).cloned();
    let i = story(&train, 150).or_else(|| story(&dev, 150)).unwrap();
    assert_eq!(
        (i.text_a.as_str(), i.label),
        ("train news story 150", Label::Class(2))
    );
    assert!(
        train.meta.source.ends_with("default/train-*.parquet"),
        "{}",
        train.meta.source
    );
    let shas: Vec<String> = ["train-00000-of-00002", "train-00001-of-00002"]
        .iter()
        .map(|f| sha256_file(&cfg.join(format!("{f}.parquet"))).unwrap())
        .collect();
    assert_eq!(
        train.meta.source_sha256,
        sha256_hex(shas.join("\n").as_bytes())
    );
    assert!(test.meta.source.ends_with("test-00000-of-00001.parquet"));
    let notes = report.notes.join("\n");
    assert!(
        notes.contains("unsupervised not read") && notes.contains("ClassLabel"),
        "{notes}"
    );
}

#[test]
fn hidden_test_labels_are_not_read_as_for_glue() {
    let dir = tempdir();
    write_split(dir.path(), "train", &[200], false);
    write_split(dir.path(), "validation", &[30], false);
    write_split(dir.path(), "test", &[25, 25], true);
    let out = dir.path().join("tasks");
    let report = prepare_from(&spec("hidden", dir.path()), &out).unwrap();
    let [train, dev, test] = read_back(&out, "hidden").try_into().unwrap();
    assert!(
        test.meta
            .source
            .ends_with("validation-00000-of-00001.parquet")
    );
    assert!(test.meta.labelled && test.items.len() == 30);
    assert!(dev.meta.source.ends_with("train-00000-of-00001.parquet"));
    assert_eq!(train.items.len() + dev.items.len(), 200);
    assert!(
        report.notes.iter().any(|n| n.contains("hidden labels")),
        "{:?}",
        report.notes
    );
}

#[test]
fn hidden_label_in_a_labelled_split_is_an_error() {
    let dir = tempdir();
    let (t, mut l) = rows("train", 0, 50, false);
    l[7] = -1;
    shard(&dir.path().join("train-00000-of-00001.parquet"), &t, &l);
    expect_err(
        &spec("h", dir.path()),
        &dir.path().join("o"),
        &["train-00000-of-00001.parquet: row 7, column `label`: -1 marks a hidden label"],
    );
}

#[test]
fn missing_shard_is_an_error() {
    let dir = tempdir();
    write_split(dir.path(), "train", &[50, 50, 50], false);
    std::fs::remove_file(dir.path().join("train-00001-of-00003.parquet")).unwrap();
    expect_err(
        &spec("m", dir.path()),
        &dir.path().join("o"),
        &["split `train`: shard 00001 of 00003 is missing"],
    );
}

#[test]
fn several_configs_need_config_and_hub_layouts_work() {
    let dir = tempdir();
    let root = dir.path().join("export");
    write_split(&root.join("a"), "train", &[100], false);
    // the Hub's parquet conversion: <config>/<split>/NNNN.parquet
    let (t, l) = rows("train", 0, 100, false);
    shard(&root.join("b/train/0000.parquet"), &t, &l);
    let (t, l) = rows("test", 0, 20, false);
    shard(&root.join("b/test/0000.parquet"), &t, &l);
    let out = dir.path().join("tasks");
    expect_err(
        &spec("c", &root),
        &out,
        &["several configs (a, b)", "--config"],
    );
    let mut s = spec("c", &root);
    s.config = Some("b".into());
    prepare_from(&s, &out).unwrap();
    let [_, _, test] = read_back(&out, "c").try_into().unwrap();
    assert!(test.meta.source.ends_with("b/test/0000.parquet") && test.items.len() == 20);
    // `save_to_disk` output is not parquet: the error says how to write it
    let saved = dir.path().join("saved");
    std::fs::create_dir_all(saved.join("train")).unwrap();
    std::fs::write(saved.join("dataset_dict.json"), "{\"splits\": [\"train\"]}").unwrap();
    expect_err(
        &spec("s", &saved),
        &dir.path().join("o"),
        &["`save_to_disk` output", "to_parquet"],
    );
    // `data/` (a Hub repo) is found without --config; only train: split 80/10/10
    write_split(&dir.path().join("repo/data"), "train", &[300], false);
    prepare_from(&spec("d", &dir.path().join("repo")), &out).unwrap();
    assert_eq!(
        read_back(&out, "d")
            .iter()
            .map(|s| s.items.len())
            .sum::<usize>(),
        300
    );
}

#[test]
fn label_names_rename_classlabel_classes() {
    let dir = tempdir();
    write_split(dir.path(), "train", &[200], false);
    let mut s = spec("r", dir.path());
    s.label_names = Some(vec!["w".into(), "s".into(), "b".into(), "t".into()]);
    let out = dir.path().join("tasks");
    prepare_from(&s, &out).unwrap();
    assert_eq!(
        read_back(&out, "r")[0].meta.label_names,
        ["w", "s", "b", "t"]
    );
    s.label_names = Some(vec!["x".into(), "y".into()]);
    expect_err(
        &s,
        &dir.path().join("o"),
        &["--label-names: gives 2 names, but the ClassLabel of `label` has 4"],
    );
}
