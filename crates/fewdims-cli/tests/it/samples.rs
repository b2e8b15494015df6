//! Your own data as a new user brings it: the committed samples of scripts/user_data/run.sh (an
//! IMDb-like CSV from pandas, an AG-News-like JSON Lines export from pandas, a `datasets` parquet
//! export with two train shards, ClassLabel names and hidden test labels), each through the real
//! binaries `prepare`, `tokenize` and one `finetune`; the class names must come back intact in
//! run.json. Needs no assets: the data crate's committed tokenizer and a tiny random BERT.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{fixture_tokenizer, repo_root, tiny_model_with};

fn samples() -> PathBuf {
    repo_root().join("crates/fewdims-cli/tests/fixtures/user_data")
}

/// Runs a stage binary; its stdout, or a panic with its stderr.
fn run(bin: &str, args: &[String]) -> String {
    let out = Command::new(bin).args(args).output().expect("binary runs");
    assert!(
        out.status.success(),
        "{bin} {args:?}:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

/// prepare (with `flags`), tokenize every split, one fine-tune; returns run.json.
fn through_the_stages(tmp: &Path, task: &str, flags: &[&str]) -> serde_json::Value {
    let p = |s: &Path| s.display().to_string();
    let tasks = tmp.join("tasks");
    let mut args = strings(&["--task", task, "--out"]);
    args.push(p(&tasks));
    args.extend(strings(flags));
    run(env!("CARGO_BIN_EXE_prepare"), &args);
    let tok = |split: &str| tmp.join(format!("tok/{task}/{split}.parquet"));
    for split in ["train", "dev", "test"] {
        let input = tasks.join(format!("{task}/{split}.parquet"));
        let mut args = strings(&["--max-len", "32", "--tokenizer"]);
        args.extend([p(&fixture_tokenizer()), "--in".into(), p(&input)]);
        args.extend(["--out".into(), p(&tok(split))]);
        run(env!("CARGO_BIN_EXE_tokenize"), &args);
    }
    let out = tmp.join(format!("runs/{task}"));
    let mut args = strings(&["--model"]);
    args.push(p(&tmp.join("tiny")));
    for split in ["train", "dev", "test"] {
        args.extend([format!("--{split}"), p(&tok(split))]);
    }
    args.extend(["--out".into(), p(&out)]);
    args.extend(strings(&[
        "--epochs",
        "1",
        "--max-train",
        "32",
        "--batch-size",
        "8",
        "--backend",
        "flex",
        "--device",
        "cpu",
        "--quiet",
    ]));
    run(env!("CARGO_BIN_EXE_finetune"), &args);
    serde_json::from_slice(&std::fs::read(out.join("run.json")).unwrap()).unwrap()
}

#[test]
fn samples_keep_their_class_names_through_prepare_tokenize_and_finetune() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    tiny_model_with(&root.join("tiny"), &fixture_tokenizer(), 30522);
    let dir = samples();
    let file = |name: &str| dir.join(name).display().to_string();

    // String labels: the classes in byte order.
    let imdb = file("imdb_like.csv");
    let flags = [
        "--from",
        &imdb,
        "--text-a",
        "review",
        "--label",
        "sentiment",
    ];
    let run = through_the_stages(root, "imdb-like", &flags);
    assert_eq!(
        run["label_names"],
        serde_json::json!(["negative", "positive"])
    );
    assert_eq!(run["task"], "imdb-like");

    // pandas' JSON Lines (`Sci\/Tech`, `\u00fc`), a pair of texts, ids, AG News' own class order.
    let ag = file("ag_news_like.jsonl");
    let flags = [
        "--from",
        &ag,
        "--text-a",
        "title",
        "--text-b",
        "description",
        "--label",
        "label",
        "--id",
        "id",
        "--label-names",
        "World,Sports,Business,Sci/Tech",
    ];
    let run = through_the_stages(root, "ag-news-like", &flags);
    assert_eq!(
        run["label_names"],
        serde_json::json!(["World", "Sports", "Business", "Sci/Tech"])
    );
    let test =
        fewdims_data::read_task_split(&root.join("tasks/ag-news-like/test.parquet")).unwrap();
    assert!(
        test.items
            .iter()
            .all(|i| i.text_b.as_deref().is_some_and(|b| b.contains("Zürich"))),
        "non-ASCII escapes decoded"
    );

    // A `datasets` export: ClassLabel names in their own (not alphabetical) order, two shards read,
    // hidden test labels (-1) not read, so validation is `test` and dev is held out of train.
    let cb = file("cb_like");
    let flags = [
        "--from",
        &cb,
        "--text-a",
        "premise",
        "--text-b",
        "hypothesis",
        "--label",
        "label",
        "--id",
        "idx",
    ];
    let run = through_the_stages(root, "cb-like", &flags);
    assert_eq!(
        run["label_names"],
        serde_json::json!(["entailment", "contradiction", "neutral"])
    );
    assert_eq!(run["num_test"], 30, "validation became test");
    let split = |s: &str| {
        fewdims_data::read_task_split(&root.join(format!("tasks/cb-like/{s}.parquet"))).unwrap()
    };
    let (train, dev) = (split("train"), split("dev"));
    assert_eq!(
        train.items.len() + dev.items.len(),
        120,
        "both train shards"
    );
    assert!(
        split("test")
            .meta
            .source
            .ends_with("validation-00000-of-00001.parquet")
    );
}
