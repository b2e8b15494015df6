//! Mutation tests of the data crate's readers (issue 14, item 1): task parquet, token parquet
//! and tokenizer.json. Each mutant of a valid file reads cleanly or gives an error naming the
//! file; never a panic, a hang or an oversized allocation (see `fewdims_mutants`).
//! `FEWDIMS_MUTANTS=N` runs N per kind.

use std::path::Path;

use fewdims_data::tokenize::encode_split;
use fewdims_data::{
    Item, Label, TaskMeta, TaskSplit, TokMeta, TokenSplit, load_tokenizer, read_task_split,
    read_token_split, task,
};
use fewdims_mutants::{ParquetSeed, bounded, count, json_mutant, run};
use fewdims_schema::task as keys;

/// Mutants per kind in CI.
const CI: usize = 400;

fn meta(name: &str) -> TaskMeta {
    TaskMeta::new(task(name).unwrap(), "train", Path::new("src.csv"), "00")
}

fn items(pair: bool) -> Vec<Item> {
    (0..6)
        .map(|i| Item {
            idx: i * 3,
            text_a: format!("a fine film number {i}"),
            text_b: pair.then(|| format!("second text {i}")),
            label: Label::Class(i64::from(i % 2)),
        })
        .collect()
}

fn task_file(dir: &Path) -> Vec<u8> {
    let split = TaskSplit {
        meta: meta("movie"),
        items: items(false),
    };
    let path = dir.join("seed-task.parquet");
    fewdims_data::taskfile::write_task_split(&path, &split)
        .unwrap()
        .commit()
        .unwrap();
    std::fs::read(path).unwrap()
}

fn token_file(dir: &Path) -> Vec<u8> {
    let mut s = TokenSplit {
        meta: meta("movie"),
        tok: TokMeta {
            tokenizer: "tok.json".into(),
            tokenizer_sha256: "00".into(),
            max_len: 8,
            truncated: 1,
            pad_id: Some(0),
        },
        idx: vec![],
        offsets: vec![0],
        input_ids: vec![],
        token_type_ids: vec![],
        labels: vec![],
    };
    for i in 0..6u32 {
        let ids: Vec<u32> = (0..2 + i % 5).map(|t| 100 + t * i).collect();
        s.idx.push(i);
        s.token_type_ids
            .extend((0..ids.len()).map(|t| u8::from(t > 2)));
        s.input_ids.extend(ids);
        s.offsets.push(s.input_ids.len());
        s.labels.push(Label::Class(i64::from(i % 2)));
    }
    let path = dir.join("seed-tok.parquet");
    fewdims_data::tokfile::write_token_split(&path, &s)
        .unwrap()
        .commit()
        .unwrap();
    std::fs::read(path).unwrap()
}

/// Keys and values of the task contract, tried as hostile metadata values.
fn vocab() -> Vec<String> {
    [
        keys::KEY_KIND,
        keys::KEY_LABEL_NAMES,
        keys::KEY_TEXT_COLUMNS,
        "classification",
        "regression",
        "[\"text_a\",\"text_b\"]",
        "[\"text_a\"]",
        "[\"neg\",\"pos\"]",
        "[\"accuracy\"]",
        "false",
        "fewdims-token-v1",
        "fewdims-task-v1",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

#[test]
fn task_parquet() {
    bounded("mutants::task_parquet", || {
        let scratch = tempfile::tempdir().unwrap();
        let seed = ParquetSeed::new(&task_file(scratch.path()), scratch.path());
        let n = count(CI);
        let strings = vocab();
        run(
            "task_parquet",
            n,
            &[("train.parquet", seed.bytes().orig().to_vec())],
            |i, _, _, rng| seed.mutant(i, n, rng, &strings),
            |dir: &Path| read_task_split(&dir.join("train.parquet")).map(drop),
        );
    });
}

#[test]
fn token_parquet() {
    bounded("mutants::token_parquet", || {
        let scratch = tempfile::tempdir().unwrap();
        let seed = ParquetSeed::new(&token_file(scratch.path()), scratch.path());
        let n = count(CI);
        let mut strings = vocab();
        strings.extend(["8", "0", "-8", "4294967295"].map(String::from));
        run(
            "token_parquet",
            n,
            &[("train.parquet", seed.bytes().orig().to_vec())],
            |i, _, _, rng| seed.mutant(i, n, rng, &strings),
            |dir: &Path| {
                let s = read_token_split(&dir.join("train.parquet"))?;
                // What the stages do next: every row's ids and types.
                for i in 0..s.len() {
                    let (ids, types) = s.row(i);
                    assert_eq!(ids.len(), types.len());
                }
                Ok::<_, fewdims_data::DataError>(())
            },
        );
    });
}

#[test]
fn tokenizer_json() {
    bounded("mutants::tokenizer_json", || {
        let fixture =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tokenize/tokenizer.json");
        let orig = std::fs::read(fixture).unwrap();
        let n = count(CI);
        let plan = fewdims_mutants::Bytes::new(&orig);
        let strings: Vec<String> = [
            "[CLS]",
            "[SEP]",
            "[PAD]",
            "[UNK]",
            "WordPiece",
            "BertPreTokenizer",
            "BPE",
            "TemplateProcessing",
            "BertProcessing",
            "Sequence",
            "##",
            "Longest",
        ]
        .map(String::from)
        .to_vec();
        run(
            "tokenizer_json",
            n,
            &[("tokenizer.json", orig.clone())],
            |i, _, orig, rng| {
                if i % 4 == 0 {
                    plan.mutant(i / 4, n / 4, rng)
                } else {
                    json_mutant(orig, rng, &strings)
                }
            },
            |dir: &Path| {
                // As the tokenize stage: load, then encode single texts and pairs.
                let tok = load_tokenizer(&dir.join("tokenizer.json"), 16)?;
                let single = TaskSplit {
                    meta: meta("movie"),
                    items: items(false),
                };
                let pairs = TaskSplit {
                    meta: meta("rte"),
                    items: items(true),
                };
                let bar = indicatif::ProgressBar::hidden();
                encode_split(&tok, single, &bar)?;
                encode_split(&tok, pairs, &bar).map(drop)
            },
        );
    });
}
