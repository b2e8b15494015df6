//! Test helpers: temp folders and GLUE-shaped fixture files in both layouts.
#![allow(dead_code)]

use arrow::array::{ArrayRef, Float32Array, Int32Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use fewdims_data::registry::{GlueSpec, Source, TaskKind, TaskSpec};
use parquet::arrow::ArrowWriter;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One generated GLUE row: texts and the label as the HF file stores it.
#[derive(Debug, Clone)]
pub struct Row {
    pub a: String,
    pub b: Option<String>,
    pub class: i64,
    pub score: f32,
}

/// Deterministic rows for `split` of `spec`; test splits get label -1.
pub fn rows(spec: &TaskSpec, split: &str, n: usize) -> Vec<Row> {
    let classes = spec.label_names.len().max(1) as i64;
    (0..n)
        .map(|i| {
            let test = split.starts_with("test");
            Row {
                a: format!(
                    "{} {split} first text number {i}, with \"quotes\" and 'ticks'.",
                    spec.name
                ),
                b: spec
                    .is_pair()
                    .then(|| format!("second text {i} of {split}")),
                class: if test { -1 } else { i as i64 % classes },
                score: if test { -1.0 } else { (i as f32 * 0.7) % 5.0 },
            }
        })
        .collect()
}

/// The glue spec of a task.
pub fn glue_spec(spec: &TaskSpec) -> &GlueSpec {
    match &spec.source {
        Source::Glue(g) => g,
        _ => panic!("{} is not GLUE", spec.name),
    }
}

/// A fresh temp folder (removed when dropped).
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

/// Writes a Hugging Face-style parquet file with `datasets`' `huggingface` metadata.
pub fn write_hf(path: &Path, spec: &TaskSpec, rows: &[Row]) {
    let mut fields = vec![Field::new(spec.text_columns[0], DataType::Utf8, true)];
    let mut cols: Vec<ArrayRef> = vec![Arc::new(StringArray::from_iter_values(
        rows.iter().map(|r| r.a.as_str()),
    ))];
    if spec.is_pair() {
        fields.push(Field::new(spec.text_columns[1], DataType::Utf8, true));
        cols.push(Arc::new(StringArray::from_iter_values(
            rows.iter().map(|r| r.b.clone().unwrap()),
        )));
    }
    match spec.kind {
        TaskKind::Classification => {
            fields.push(Field::new("label", DataType::Int64, true));
            cols.push(Arc::new(Int64Array::from_iter_values(
                rows.iter().map(|r| r.class),
            )));
        }
        TaskKind::Regression => {
            fields.push(Field::new("label", DataType::Float32, true));
            cols.push(Arc::new(Float32Array::from_iter_values(
                rows.iter().map(|r| r.score),
            )));
        }
    }
    fields.push(Field::new("idx", DataType::Int32, true));
    cols.push(Arc::new(Int32Array::from_iter_values(0..rows.len() as i32)));
    let label = if spec.kind == TaskKind::Classification {
        serde_json::json!({"names": spec.label_names, "_type": "ClassLabel"})
    } else {
        serde_json::json!({"dtype": "float32", "_type": "Value"})
    };
    let hf = serde_json::json!({"info": {"features": {"label": label}}}).to_string();
    write_parquet(path, fields, cols, vec![("huggingface".into(), hf)]);
}

/// Writes any columns to a parquet file.
pub fn write_parquet(
    path: &Path,
    fields: Vec<Field>,
    cols: Vec<ArrayRef>,
    kv: Vec<(String, String)>,
) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(schema.clone(), cols).unwrap();
    let props = WriterProperties::builder()
        .set_key_value_metadata(Some(
            kv.into_iter().map(|(k, v)| KeyValue::new(k, v)).collect(),
        ))
        .build();
    let mut w =
        ArrowWriter::try_new(std::fs::File::create(path).unwrap(), schema, Some(props)).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

/// The original GLUE TSV header of a task's split (None: CoLA's headerless train/dev).
pub fn tsv_header(task: &str, split: &str) -> Option<Vec<&'static str>> {
    let test = split.starts_with("test");
    let h: &[&str] = match (task, test) {
        ("cola", false) => return None,
        ("cola", true) | ("sst2", true) => &["index", "sentence"],
        ("sst2", false) => &["sentence", "label"],
        ("mrpc", false) => &["Quality", "#1 ID", "#2 ID", "#1 String", "#2 String"],
        ("mrpc", true) => &["index", "#1 ID", "#2 ID", "#1 String", "#2 String"],
        ("qqp", false) => &[
            "id",
            "qid1",
            "qid2",
            "question1",
            "question2",
            "is_duplicate",
        ],
        ("qqp", true) => &["id", "question1", "question2"],
        ("stsb", _) => &[
            "index",
            "genre",
            "filename",
            "year",
            "old_index",
            "source1",
            "source2",
            "sentence1",
            "sentence2",
            "score",
        ],
        ("mnli", _) if split == "train" => &[
            "index",
            "promptID",
            "pairID",
            "genre",
            "sentence1_binary_parse",
            "sentence2_binary_parse",
            "sentence1_parse",
            "sentence2_parse",
            "sentence1",
            "sentence2",
            "label1",
            "gold_label",
        ],
        ("mnli", false) => &[
            "index",
            "promptID",
            "pairID",
            "genre",
            "sentence1_binary_parse",
            "sentence2_binary_parse",
            "sentence1_parse",
            "sentence2_parse",
            "sentence1",
            "sentence2",
            "label1",
            "label2",
            "label3",
            "label4",
            "label5",
            "gold_label",
        ],
        ("mnli", true) => &[
            "index",
            "promptID",
            "pairID",
            "genre",
            "sentence1_binary_parse",
            "sentence2_binary_parse",
            "sentence1_parse",
            "sentence2_parse",
            "sentence1",
            "sentence2",
        ],
        ("qnli", false) => &["index", "question", "sentence", "label"],
        ("qnli", true) => &["index", "question", "sentence"],
        ("rte" | "wnli", false) => &["index", "sentence1", "sentence2", "label"],
        ("rte" | "wnli", true) => &["index", "sentence1", "sentence2"],
        _ => panic!("no header for {task}"),
    };
    let mut h = h.to_vec();
    if test && task == "stsb" {
        h.pop();
    }
    Some(h)
}

/// Writes an original-style GLUE TSV (MRPC with a BOM, as shipped; CRLF-free, no quoting).
pub fn write_tsv(path: &Path, spec: &TaskSpec, split: &str, rows: &[Row]) {
    let g = glue_spec(spec);
    let mut out = String::new();
    let header = tsv_header(spec.name, split);
    if spec.name == "mrpc" {
        out.push('\u{feff}');
    }
    let label_text = |r: &Row| match spec.kind {
        TaskKind::Regression => format!("{}", r.score),
        TaskKind::Classification if g.tsv_label_names => {
            spec.label_names[r.class as usize].to_string()
        }
        TaskKind::Classification => r.class.to_string(),
    };
    match &header {
        None => {
            for r in rows {
                out.push_str(&format!(
                    "gj04\t{}\t{}\t{}\n",
                    r.class,
                    if r.class == 0 { "*" } else { "" },
                    r.a
                ));
            }
        }
        Some(h) => {
            out.push_str(&h.join("\t"));
            out.push('\n');
            for (i, r) in rows.iter().enumerate() {
                let fields: Vec<String> = h
                    .iter()
                    .map(|c| {
                        if *c == g.tsv_text[0] {
                            r.a.clone()
                        } else if g.tsv_text.get(1) == Some(c) {
                            r.b.clone().unwrap()
                        } else if *c == g.tsv_label || (c.starts_with("label") && *c != "label") {
                            label_text(r)
                        } else if Some(*c) == g.tsv_idx {
                            i.to_string()
                        } else {
                            "x".into()
                        }
                    })
                    .collect();
                out.push_str(&fields.join("\t"));
                out.push('\n');
            }
        }
    }
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, out).unwrap();
}

/// Writes every split of `spec` in the HF layout under `root/<task>/`; returns the rows per split.
pub fn write_glue_hf(root: &Path, spec: &TaskSpec) -> Vec<(&'static str, Vec<Row>)> {
    let g = glue_spec(spec);
    g.splits
        .iter()
        .map(|s| {
            let r = rows(spec, s.glue, if s.glue == "train" { 40 } else { 5 });
            write_hf(
                &root
                    .join(g.hf_dir)
                    .join(format!("{}-00000-of-00001.parquet", s.hf)),
                spec,
                &r,
            );
            (s.glue, r)
        })
        .collect()
}

/// Writes every split of `spec` in the TSV layout under `root/glue_data/<TASK>/`.
pub fn write_glue_tsv(root: &Path, spec: &TaskSpec) -> Vec<(&'static str, Vec<Row>)> {
    let g = glue_spec(spec);
    g.splits
        .iter()
        .map(|s| {
            let r = rows(spec, s.glue, if s.glue == "train" { 40 } else { 5 });
            write_tsv(
                &root
                    .join("glue_data")
                    .join(g.tsv_dir)
                    .join(format!("{}.tsv", s.tsv)),
                spec,
                s.glue,
                &r,
            );
            (s.glue, r)
        })
        .collect()
}

/// Every file under `dir`, recursively (to show nothing was left behind).
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(files_under(&p))
            } else {
                out.push(p)
            }
        }
    }
    out
}
