//! Synthetic inputs for the report tests: run dirs, probe, CKA and cross parquet tables.

#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, Float64Array, Int32Array, ListBuilder, RecordBatch, StringArray, UInt16Array,
    UInt16Builder, UInt32Array,
};
use std::collections::HashMap;

use arrow::datatypes::{Field, Schema};
use fewdims_schema::cross::Mode;
use fewdims_schema::probe::Method;
use fewdims_tables::cka::CkaRow;
use fewdims_tables::cross::CrossRow;
use fewdims_tables::probe::ProbeRow;
use parquet::arrow::ArrowWriter;

/// A run's config and scores (accuracy and f1 on dev and test).
#[derive(Clone, Debug)]
pub struct Run<'a> {
    pub name: &'a str,
    pub seed: u64,
    pub token: &'a str,
    pub dims: &'a str,
    pub dims_resolved: Vec<usize>,
    pub layer: &'a str,
    pub layer_index: usize,
    pub head: &'a str,
    pub freeze: &'a str,
    /// (test accuracy, dev accuracy); f1 is accuracy − 0.05.
    pub acc: (f64, f64),
    /// MNLI's mismatched dev (`test_mm`, scored with `--also-test`), where the run has one.
    pub mm: Option<f64>,
}

pub const HIDDEN: usize = 8;
pub const LAST: usize = 6;

impl<'a> Run<'a> {
    /// The plain run: CLS, last layer, all dims, trainable encoder, linear head.
    pub fn cls(name: &'a str, seed: u64, test: f64, dev: f64) -> Self {
        Run {
            name,
            seed,
            token: "cls",
            dims: "all",
            dims_resolved: (0..HIDDEN).collect(),
            layer: "-1",
            layer_index: LAST,
            head: "linear",
            freeze: "none",
            acc: (test, dev),
            mm: None,
        }
    }

    pub fn json(&self, task: &str) -> serde_json::Value {
        let (t, d) = self.acc;
        let mm = self
            .mm
            .map(|v| [("test_mm", "accuracy", v), ("test_mm", "f1", v - 0.05)]);
        let final_: Vec<serde_json::Value> = [
            ("dev", "accuracy", d),
            ("dev", "f1", d - 0.05),
            ("test", "accuracy", t),
            ("test", "f1", t - 0.05),
        ]
        .iter()
        .chain(mm.iter().flatten())
        .map(|(s, m, v)| serde_json::json!({"epoch": 1, "split": s, "metric": m, "value": v}))
        .collect();
        serde_json::json!({
            "format": fewdims_schema::run::FORMAT,
            "config": {
                "model": "m", "train": "t", "dev": "d", "test": null, "out": "o",
                "readout": {"layer": self.layer, "token": self.token, "dims": self.dims},
                "head": self.head, "freeze": self.freeze,
                "hyper": {"epochs": 2, "lr": 5e-5, "seed": self.seed},
                "resume": false, "max_train": null, "quiet": true, "stop_after": null
            },
            "seed": self.seed, "backend": "tch", "device": "cpu", "git_revision": "x",
            "task": task, "kind": "classification", "metrics": ["accuracy", "f1"],
            "label_names": ["neg", "pos"], "num_train": 10, "num_dev": 5, "num_test": 5,
            "layer_index": self.layer_index, "dims_resolved": self.dims_resolved,
            "best_epoch": 1, "final": final_,
            "timings": {"train_seconds": 1.0, "train_examples_per_second": 10.0}
        })
    }

    pub fn write(&self, runs: &Path, task: &str) {
        let dir = runs.join(task).join(self.name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("run.json"),
            serde_json::to_vec_pretty(&self.json(task)).unwrap(),
        )
        .unwrap();
        let mut rows = predictions("test", self.acc.0);
        rows.extend(predictions("dev", self.acc.1));
        if let Some(mm) = self.mm {
            rows.extend(predictions("test_mm", mm));
        }
        fewdims_tables::predictions::write(&dir.join("predictions.parquet"), &rows).unwrap();
    }
}

/// Items per split of the synthetic predictions.
pub const ITEMS: usize = 1000;

/// Per-item predictions of accuracy `acc` on `ITEMS` items (labels alternate 0/1). Errors are
/// nested: every run errs on a prefix of one fixed item order, so two runs differ on exactly
/// |acc₁ − acc₂| · ITEMS items and paired intervals are narrow.
pub fn predictions(split: &str, acc: f64) -> Vec<fewdims_tables::predictions::PredictionRow> {
    let right = (acc * ITEMS as f64).round() as usize;
    (0..ITEMS)
        .map(|i| {
            let label = (i % 2) as f32;
            // The item's place in the fixed order (7919 is prime to ITEMS).
            let rank = (i * 7919) % ITEMS;
            let prediction = if rank < right { label } else { 1.0 - label };
            fewdims_tables::predictions::PredictionRow {
                split: split.into(),
                idx: i as u32,
                label,
                prediction,
                scores: vec![-prediction, prediction],
                token_pos: Some(0),
                token_role: Some(fewdims_schema::run::TokenRole::Cls),
            }
        })
        .collect()
}

fn write_batch(path: &Path, cols: Vec<(&str, ArrayRef)>, meta: &[(&str, &str)]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let fields: Vec<Field> = cols
        .iter()
        .map(|(n, a)| Field::new(*n, a.data_type().clone(), true))
        .collect();
    let md: HashMap<String, String> = meta
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let schema = Arc::new(Schema::new_with_metadata(fields, md));
    let batch =
        RecordBatch::try_new(schema.clone(), cols.into_iter().map(|c| c.1).collect()).unwrap();
    let file = std::fs::File::create(path).unwrap();
    let mut w = ArrowWriter::try_new(file, schema, None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

/// A probe row: layer, readout, method, dims, dev, test (metric accuracy; f1 rows are added).
pub type P<'a> = (i32, &'a str, &'a str, Vec<u16>, f64, f64);

pub fn write_probe(path: &Path, rows: &[P]) {
    let mut all = Vec::new();
    for (layer, readout, method, dims, dev, test) in rows {
        let method = Method::parse(method).unwrap();
        let k = if method == Method::Full {
            HIDDEN as u16
        } else {
            dims.len() as u16
        };
        for (metric, shift) in [("accuracy", 0.0), ("f1", 0.05)] {
            all.push(ProbeRow {
                layer: *layer,
                readout: readout.to_string(),
                method,
                dims: dims.clone(),
                k,
                metric: metric.into(),
                dev: dev - shift,
                test: test - shift,
                rank: 1,
            });
        }
    }
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let meta = [("task", "movie"), ("metrics", "accuracy,f1")]
        .map(|(k, v)| (k.to_string(), v.to_string()));
    fewdims_tables::probe::write(path, &all, &meta).unwrap();
}

/// A probe table whose `dev` column holds strings.
pub fn write_bad_probe(path: &Path) {
    write_batch(
        path,
        vec![
            ("layer", Arc::new(Int32Array::from(vec![0]))),
            ("readout", Arc::new(StringArray::from(vec!["cls"]))),
            ("method", Arc::new(StringArray::from(vec!["full"]))),
            ("dims", {
                let mut d = ListBuilder::new(UInt16Builder::new());
                d.append(true);
                Arc::new(d.finish())
            }),
            ("k", Arc::new(UInt16Array::from(vec![8u16]))),
            ("metric", Arc::new(StringArray::from(vec!["accuracy"]))),
            ("dev", Arc::new(StringArray::from(vec!["0.5"]))),
            ("test", Arc::new(Float64Array::from(vec![0.5]))),
            ("rank", Arc::new(UInt32Array::from(vec![1u32]))),
        ],
        &[],
    );
}

pub fn write_cka(path: &Path, rows: &[(i32, &str, f64, f64)]) {
    let rows: Vec<CkaRow> = rows
        .iter()
        .map(|&(layer, readout, cka, mean_cosine)| CkaRow {
            layer,
            readout: readout.into(),
            cka,
            mean_cosine,
            n: 100,
        })
        .collect();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    fewdims_tables::cka::write(path, &rows, &[]).unwrap();
}

/// (step, trained_task, eval_task, mode, split, metric, value)
pub type C<'a> = (u32, &'a str, &'a str, &'a str, &'a str, &'a str, f64);

pub fn write_cross(path: &Path, rows: &[C<'static>]) {
    let rows: Vec<CrossRow> = rows
        .iter()
        .map(
            |&(step, trained, eval, mode, split, metric, value)| CrossRow {
                step,
                trained_task: trained.into(),
                eval_task: eval.into(),
                mode: Mode::parse(mode).unwrap(),
                split: split.into(),
                metric: metric.into(),
                value,
            },
        )
        .collect();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let meta = [("tasks".to_string(), "movie,news".to_string())];
    fewdims_tables::cross::write(path, &rows, &meta).unwrap();
}

/// `<cross>/predictions/step<step>-<task>.parquet` of accuracy `acc` on test and dev.
pub fn write_cross_predictions(cross: &Path, step: u32, task: &str, acc: f64) {
    let dir = cross.join("predictions");
    std::fs::create_dir_all(&dir).unwrap();
    let mut rows = predictions("test", acc);
    rows.extend(predictions("dev", acc));
    fewdims_tables::predictions::write(&dir.join(format!("step{step}-{task}.parquet")), &rows)
        .unwrap();
}

/// Rows of a CSV file (header excluded), parsed.
pub fn csv_rows(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let headers = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|x| x.unwrap().iter().map(String::from).collect())
        .collect();
    (headers, rows)
}
