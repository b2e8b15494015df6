//! The traps of issue 17 in your own files: each gives an error naming the file, row and column
//! (or a documented repair), and leaves no output behind.

use crate::common::tempdir;
use crate::user_files::{expect_err, one_file, read_back, write};
use fewdims_data::{FromInput, FromSpec, prepare_from};

fn csv_err(body: &str, needles: &[&str]) {
    let dir = tempdir();
    let src = write(&dir.path().join("in.csv"), body);
    expect_err(
        &one_file("t", &src, "text", "label"),
        &dir.path().join("o"),
        &[&["in.csv"], needles].concat(),
    );
}

#[test]
fn trap_empty_or_missing_text_or_label() {
    csv_err(
        "text,label\nfine,a\n\"  \",b\n",
        &["line 3, column `text`: is empty"],
    );
    csv_err(
        "text,label\nfine,a\nother,b\nfine too,\n",
        &["line 4, column `label`: is empty"],
    );
    let dir = tempdir();
    let two = "{\"text\": \"x\", \"label\": 1}\n{\"text\": \"y\", \"label\": 2}\n";
    let src = write(
        &dir.path().join("m.jsonl"),
        format!("{two}{{\"text\": \"y\"}}\n"),
    );
    expect_err(
        &one_file("t", &src, "text", "label"),
        &dir.path().join("o"),
        &["m.jsonl: line 3, column `label`: missing"],
    );
    let src = write(
        &dir.path().join("n.jsonl"),
        format!("{two}{{\"text\": null, \"label\": 1}}\n"),
    );
    expect_err(
        &one_file("t", &src, "text", "label"),
        &dir.path().join("o"),
        &["line 3, column `text`: is empty"],
    );
    let src = write(
        &dir.path().join("k.jsonl"),
        format!("{two}{{\"text\": 7, \"label\": 1}}\n"),
    );
    expect_err(
        &one_file("t", &src, "text", "label"),
        &dir.path().join("o"),
        &["expected text, found the number 7"],
    );
}

#[test]
fn trap_label_in_dev_or_test_that_train_lacks() {
    let dir = tempdir();
    let train = write(
        &dir.path().join("train.csv"),
        "text,label\na,pos\nb,neg\nc,pos\n",
    );
    let dev = write(
        &dir.path().join("dev.csv"),
        "text,label\nd,pos\ne,neutral\n",
    );
    let input = FromInput::Files {
        train,
        dev: Some(dev),
        test: None,
    };
    let spec = FromSpec::new("t", input, "text", "label");
    expect_err(
        &spec,
        &dir.path().join("o"),
        &["dev.csv: line 3, column `label`: `neutral` is not a label of train (classes: neg, pos)"],
    );
}

#[test]
fn trap_absent_column_and_wrong_delimiter() {
    csv_err(
        "txt,label\na,b\n",
        &[
            "column `text`: absent (named by --text-a)",
            "[\"txt\", \"label\"]",
        ],
    );
    csv_err(
        "text;label\na;b\n",
        &["absent", "separated by another character"],
    );
    let dir = tempdir();
    let src = write(
        &dir.path().join("a.jsonl"),
        "{\"text\": \"x\", \"lbl\": 1}\n",
    );
    expect_err(
        &one_file("t", &src, "text", "label"),
        &dir.path().join("o"),
        &["column `label`: absent (named by --label)"],
    );
}

#[test]
fn trap_duplicate_ids() {
    let dir = tempdir();
    let src = write(
        &dir.path().join("d.csv"),
        "id,text,label\n1,a,x\n2,b,y\n1,c,x\n",
    );
    let mut spec = one_file("t", &src, "text", "label");
    spec.id = Some("id".into());
    expect_err(
        &spec,
        &dir.path().join("o"),
        &["d.csv: line 4, column `id`: id 1 repeats (first at line 2)"],
    );
    let src = write(&dir.path().join("e.csv"), "id,text,label\nx1,a,x\nx2,b,y\n");
    spec.input = FromInput::Path(src);
    expect_err(&spec, &dir.path().join("o"), &["`x1` is not an id"]);
}

#[test]
fn trap_invalid_utf8() {
    let dir = tempdir();
    let src = write(&dir.path().join("b.csv"), b"text,label\nok,a\ncaf\xe9,b\n");
    expect_err(
        &one_file("t", &src, "text", "label"),
        &dir.path().join("o"),
        &["b.csv: line 3, column `text`: invalid UTF-8 (byte 0xE9"],
    );
    let src = write(
        &dir.path().join("b.jsonl"),
        b"{\"text\": \"ok\", \"label\": 1}\n{\"text\": \"caf\xe9\"}\n",
    );
    expect_err(
        &one_file("t", &src, "text", "label"),
        &dir.path().join("o"),
        &["b.jsonl: line 2: invalid UTF-8 (byte 0xE9"],
    );
}

#[test]
fn trap_json_line_that_does_not_parse() {
    let dir = tempdir();
    let src = write(
        &dir.path().join("j.jsonl"),
        "{\"text\": \"a\", \"label\": 1}\n{\"text\": \"b\", \"label\": }\n",
    );
    expect_err(
        &one_file("t", &src, "text", "label"),
        &dir.path().join("o"),
        &["j.jsonl: line 2: not valid JSON at column"],
    );
    let src = write(
        &dir.path().join("arr.json"),
        "[{\"text\": \"a\", \"label\": 1}]\n",
    );
    expect_err(
        &one_file("t", &src, "text", "label"),
        &dir.path().join("o"),
        &[
            "line 1: expected a JSON object, found an array",
            "lines=True",
        ],
    );
}

#[test]
fn trap_empty_files() {
    csv_err("", &["the file is empty"]);
    csv_err("\u{feff}\r\n", &["the file is empty"]);
    csv_err("text,label\r\n", &["a header but no rows"]);
    let dir = tempdir();
    let src = write(&dir.path().join("e.jsonl"), "\n\n");
    expect_err(
        &one_file("t", &src, "text", "label"),
        &dir.path().join("o"),
        &["e.jsonl: the file is empty"],
    );
    let src = write(&dir.path().join("e.parquet"), "");
    expect_err(
        &one_file("t", &src, "text", "label"),
        &dir.path().join("o"),
        &["e.parquet: the file is empty"],
    );
}

#[test]
fn trap_unquoted_delimiter_and_stray_quote() {
    csv_err(
        "text,label\na,b\nhello, world,b\n",
        &["line 3: 3 field(s), but the header has 2", "double quotes"],
    );
    // GLUE-style TSV with bare quotes: an error with quoting, text as written without
    let dir = tempdir();
    let mut body = String::from("text\tlabel\n\"Hi,\" she said\ta\n\"unclosed\tb\n");
    for i in 0..100 {
        body += &format!("plain {i}\t{}\n", ["a", "b"][i % 2]);
    }
    let src = write(&dir.path().join("q.tsv"), body);
    let mut spec = one_file("t", &src, "text", "label");
    expect_err(
        &spec,
        &dir.path().join("o"),
        &["q.tsv: line 3: 1 field(s)", "--no-quoting"],
    );
    spec.quoting = false;
    let out = dir.path().join("o");
    prepare_from(&spec, &out).unwrap();
    let texts: Vec<String> = read_back(&out, "t")
        .into_iter()
        .flat_map(|s| s.items)
        .map(|i| i.text_a)
        .collect();
    assert!(
        texts.contains(&"\"Hi,\" she said".to_string())
            && texts.contains(&"\"unclosed".to_string())
    );
}

#[test]
fn classes_need_two_and_f1_needs_binary() {
    csv_err("text,label\na,x\nb,x\n", &["train has 1 class(es) [\"x\"]"]);
    let dir = tempdir();
    let src = write(&dir.path().join("c.csv"), "text,label\na,x\nb,y\nc,z\n");
    let mut spec = one_file("t", &src, "text", "label");
    spec.metrics = Some(vec!["f1".into()]);
    expect_err(
        &spec,
        &dir.path().join("o"),
        &["f1 is binary (class 1); this task has 3 classes"],
    );
    spec.metrics = Some(vec!["bleu".into()]);
    expect_err(&spec, &dir.path().join("o"), &["unknown metric `bleu`"]);
}
