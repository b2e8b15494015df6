//! Your own data through the real binaries: a CSV you write -> `prepare --from` -> `tokenize`,
//! with the label names intact and no flags after `prepare`. Needs no assets (the tokenizer is
//! the data crate's committed fixture).

use crate::common::repo_root;
use std::path::Path;
use std::process::{Command, Output};

fn run(bin: &str, args: &[&str]) -> Output {
    Command::new(bin).args(args).output().expect("binary runs")
}

fn ok(bin: &str, args: &[&str]) -> String {
    let out = run(bin, args);
    assert!(
        out.status.success(),
        "{bin} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn a_csv_goes_through_prepare_and_tokenize() {
    let tmp = tempfile::tempdir().unwrap();
    let csv = tmp.path().join("reviews.csv");
    let mut body = String::from("\u{feff}review,sentiment\r\n");
    for i in 0..120 {
        let label = ["negative", "positive"][i % 2];
        body += &format!("\"review {i}, which is \"\"{label}\"\"\",{label}\r\n");
    }
    std::fs::write(&csv, body).unwrap();
    let (prepare, tokenize) = (
        env!("CARGO_BIN_EXE_prepare"),
        env!("CARGO_BIN_EXE_tokenize"),
    );
    let tasks = tmp.path().join("tasks");
    let user = [
        "--from",
        s(&csv),
        "--text-a",
        "review",
        "--label",
        "sentiment",
    ];
    let stdout = ok(
        prepare,
        &[&["--task", "my-reviews", "--out", s(&tasks)], &user[..]].concat(),
    );
    assert_eq!(stdout.lines().count(), 3, "{stdout}");
    let tokenizer = repo_root().join("crates/fewdims-data/tests/fixtures/tokenize/tokenizer.json");
    let mut rows = 0;
    for split in ["train", "dev", "test"] {
        let tok = tmp.path().join(format!("tok/my-reviews/{split}.parquet"));
        let task_file = tasks.join(format!("my-reviews/{split}.parquet"));
        let args = [
            "--tokenizer",
            s(&tokenizer),
            "--max-len",
            "32",
            "--in",
            s(&task_file),
        ];
        ok(tokenize, &[&args[..], &["--out", s(&tok)]].concat());
        let t = fewdims_data::read_token_split(&tok).unwrap();
        assert_eq!(t.meta.task, "my-reviews");
        assert_eq!(t.meta.split, split);
        assert_eq!(t.meta.label_names, ["negative", "positive"]);
        assert_eq!(t.meta.metrics, ["accuracy"]);
        assert_eq!(t.meta.text_columns, ["review"]);
        rows += t.len();
    }
    assert_eq!(rows, 120);

    // a built-in name is refused, with the flag named, and nothing is written
    let other = tmp.path().join("other");
    let out = run(
        prepare,
        &[&["--task", "movie", "--out", s(&other)], &user[..]].concat(),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("--task: `movie` is the built-in task"),
        "{err}"
    );
    assert!(!other.exists());
    // --from without its columns is a usage error
    let out = run(prepare, &["--task", "x", "--from", s(&csv)]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("--text-a"), "{err}");
}
