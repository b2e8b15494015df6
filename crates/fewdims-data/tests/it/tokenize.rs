//! The tokenize stage: ids equal Python `tokenizers` on a committed fixture (made by
//! tests/fixtures/tokenize/generate.sh), metadata, and a tokenizer.json that does not parse.

use crate::common;

use common::*;
use fewdims_data::taskfile::write_task_split;
use fewdims_data::{
    Item, Label, TaskMeta, TaskSplit, load_tokenizer, read_token_split, task, tokenize_file,
};
use fewdims_schema::token;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo test"))
        .join("tests/fixtures/tokenize")
        .join(name)
}

struct Case {
    a: String,
    b: Option<String>,
    max_len: usize,
    ids: Vec<u32>,
    types: Vec<u8>,
    truncated: bool,
}

fn cases() -> Vec<Case> {
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("cases.json")).unwrap()).unwrap();
    json["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| Case {
            a: c["text_a"].as_str().unwrap().into(),
            b: c["text_b"].as_str().map(String::from),
            max_len: c["max_len"].as_u64().unwrap() as usize,
            ids: c["ids"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap() as u32)
                .collect(),
            types: c["type_ids"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap() as u8)
                .collect(),
            truncated: c["truncated"].as_bool().unwrap(),
        })
        .collect()
}

/// Writes the cases as a task file (`movie` for single texts, `movie-pair` for pairs).
fn task_file(dir: &Path, cases: &[&Case], pair: bool) -> PathBuf {
    let spec = task(if pair { "movie-pair" } else { "movie" }).unwrap();
    let items = cases
        .iter()
        .enumerate()
        .map(|(i, c)| Item {
            idx: i as u32,
            text_a: c.a.clone(),
            text_b: c.b.clone(),
            label: Label::Class(i as i64 % 2),
        })
        .collect();
    let split = TaskSplit {
        meta: TaskMeta::new(spec, "dev", Path::new("fixture"), "00"),
        items,
    };
    let path = dir.join(format!("{}.parquet", spec.name));
    write_task_split(&path, &split).unwrap().commit().unwrap();
    path
}

/// Tokenizes every fixture group with `tokenizer` and compares with Python's ids.
fn check_parity(tokenizer: &Path) {
    let dir = tempdir();
    let all = cases();
    let mut groups = 0;
    for max_len in [8, 16, 128] {
        for pair in [false, true] {
            let group: Vec<&Case> = all
                .iter()
                .filter(|c| c.max_len == max_len && c.b.is_some() == pair)
                .collect();
            assert!(!group.is_empty());
            let input = task_file(dir.path(), &group, pair);
            let out = dir.path().join(format!("tok-{max_len}-{pair}.parquet"));
            let tok = load_tokenizer(tokenizer, max_len).unwrap();
            let report = tokenize_file(&tok, &input, &out, false).unwrap();
            let t = read_token_split(&out).unwrap();
            assert_eq!(t.len(), group.len());
            for (i, c) in group.iter().enumerate() {
                let (ids, types) = t.row(i);
                assert_eq!(
                    ids,
                    c.ids.as_slice(),
                    "ids of {:?} / {:?} at max_len {max_len}",
                    c.a,
                    c.b
                );
                assert_eq!(
                    types,
                    c.types.as_slice(),
                    "token types of {:?} / {:?}",
                    c.a,
                    c.b
                );
                assert_eq!(t.labels[i], Label::Class(i as i64 % 2));
                assert_eq!(t.idx[i], i as u32);
            }
            let want_trunc = group.iter().filter(|c| c.truncated).count();
            assert_eq!(
                report.truncated, want_trunc,
                "truncation count at max_len {max_len}, pair {pair}"
            );
            assert_eq!(t.tok.truncated, want_trunc);
            groups += 1;
        }
    }
    assert_eq!(groups, 6);
}

#[test]
fn ids_equal_python_tokenizers_on_the_fixture() {
    check_parity(&fixture("tokenizer.json"));
}

#[test]
fn full_minilm_tokenizer_matches_too_when_assets_are_there() {
    let cache = std::env::var("FEWDIMS_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/fewdims")
        });
    let full = cache.join("assets/all-MiniLM-L6-v2/tokenizer.json");
    if !full.is_file() {
        // `make test` fetches the assets first and sets this: there, a skip is a failure.
        assert!(
            std::env::var_os("FEWDIMS_REQUIRE_FIXTURES").is_none(),
            "{} missing: run `make assets`",
            full.display()
        );
        eprintln!("skipped: {} not there (make assets)", full.display());
        return;
    }
    check_parity(&full);
}

#[test]
fn token_metadata_carries_the_task_and_tokenizer() {
    let dir = tempdir();
    let all = cases();
    let group: Vec<&Case> = all
        .iter()
        .filter(|c| c.max_len == 16 && c.b.is_some())
        .collect();
    let input = task_file(dir.path(), &group, true);
    let out = dir.path().join("tok/movie-pair/dev.parquet");
    let tok = load_tokenizer(&fixture("tokenizer.json"), 16).unwrap();
    tokenize_file(&tok, &input, &out, false).unwrap();
    let t = read_token_split(&out).unwrap();
    assert_eq!(t.meta.task, "movie-pair");
    assert_eq!(t.meta.split, "dev");
    assert_eq!(t.meta.metrics, ["accuracy", "f1"]);
    assert_eq!(t.tok.max_len, 16);
    assert_eq!(t.tok.pad_id, Some(0));
    let sha = fewdims_data::text::sha256_file(&fixture("tokenizer.json")).unwrap();
    assert_eq!(t.tok.tokenizer_sha256, sha);
    // the baked-in padding to 128 is off: rows keep their own lengths
    assert!((0..t.len()).all(|i| t.row(i).0.len() <= 16));
    assert!((0..t.len()).any(|i| t.row(i).0.len() < 16));
    let line = fewdims_data::summarize_file(&out).unwrap();
    assert!(
        line.contains("movie-pair") && line.contains("truncated=") && line.contains("same="),
        "{line}"
    );
    // reading a task file as a token file is refused, naming the key
    let err = read_token_split(&input).unwrap_err().to_string();
    assert!(
        err.contains(&format!(
            "metadata key `fewdims.format`: expected `{}`",
            token::FORMAT
        )),
        "{err}"
    );
}

#[test]
fn a_tokenizer_json_that_does_not_parse() {
    let dir = tempdir();
    let bad = dir.path().join("tokenizer.json");
    std::fs::write(
        &bad,
        r#"{"version": "1.0", "model": {"type": "WordPiece", "vocab": 7}}"#,
    )
    .unwrap();
    let err = load_tokenizer(&bad, 128).unwrap_err().to_string();
    assert!(
        err.contains("tokenizer.json: tokenizer: does not parse as tokenizer.json"),
        "{err}"
    );
    std::fs::write(&bad, "not json at all").unwrap();
    assert!(load_tokenizer(&bad, 128).is_err());
    let err = load_tokenizer(&dir.path().join("missing.json"), 128)
        .unwrap_err()
        .to_string();
    assert!(err.contains("missing.json"), "{err}");
    assert_eq!(files_under(dir.path()), vec![bad]);
}

#[test]
fn a_task_file_that_is_not_one() {
    // a GLUE file given straight to tokenize: no task metadata, so nothing is written
    let dir = tempdir();
    let spec = task("sst2").unwrap();
    let src = dir.path().join("train.parquet");
    write_hf(&src, spec, &rows(spec, "train", 3));
    let tok = load_tokenizer(&fixture("tokenizer.json"), 32).unwrap();
    let out = dir.path().join("out/tok.parquet");
    let err = tokenize_file(&tok, &src, &out, false)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("train.parquet: metadata key `fewdims.kind`: missing"),
        "{err}"
    );
    assert!(files_under(&dir.path().join("out")).is_empty());
}
