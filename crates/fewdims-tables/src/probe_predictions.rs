//! Probe predictions `probes/<id>/<task>.predictions.parquet` (contract:
//! `fewdims_schema::probe`): the per-item output of the headline probes (full vector, best single
//! dim, best pair) of each (layer, readout), written beside the probe table in groups of one
//! (layer, readout). The report's paired bootstrap of the probe claim reads it.

use std::path::Path;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, Float32Array, Int32Array, ListArray, ListBuilder, StringArray, UInt16Array,
    UInt16Builder, UInt32Array,
};
use fewdims_schema::probe::{
    COL_DIMS, COL_IDX, COL_LABEL, COL_LAYER, COL_METHOD, COL_PREDICTION, COL_READOUT, COL_SPLIT,
    Method,
};
use fewdims_schema::run::PredictionRow;

use crate::io::{RowWriter, bad_value, column, read_table};
use crate::{Table, TableError};

/// One probe's output on one item.
#[derive(Clone, Debug, PartialEq)]
pub struct ProbePredictionRow {
    pub layer: i32,
    pub readout: String,
    pub method: Method,
    /// The dims read, as in the probe table (empty for `full`).
    pub dims: Vec<u16>,
    /// `dev` or `test`.
    pub split: String,
    /// The item's id in the hidden files.
    pub idx: u32,
    /// The class id, or the regression target.
    pub label: f32,
    /// The predicted class id, or the probe's output.
    pub prediction: f32,
}

impl ProbePredictionRow {
    /// As a fine-tune prediction row (no scores, no token), for code that reads both.
    pub fn to_prediction(&self) -> PredictionRow {
        PredictionRow {
            split: self.split.clone(),
            idx: self.idx,
            label: self.label,
            prediction: self.prediction,
            scores: Vec::new(),
            token_pos: None,
            token_role: None,
        }
    }
}

fn columns(rows: &[ProbePredictionRow]) -> Vec<(&'static str, ArrayRef)> {
    let mut dims = ListBuilder::new(UInt16Builder::new());
    for r in rows {
        dims.values().append_slice(&r.dims);
        dims.append(true);
    }
    let strs = |f: fn(&ProbePredictionRow) -> &str| -> ArrayRef {
        Arc::new(StringArray::from_iter_values(rows.iter().map(f)))
    };
    let f32s = |f: fn(&ProbePredictionRow) -> f32| -> ArrayRef {
        Arc::new(Float32Array::from_iter_values(rows.iter().map(f)))
    };
    vec![
        (
            COL_LAYER,
            Arc::new(Int32Array::from_iter_values(rows.iter().map(|r| r.layer))),
        ),
        (COL_READOUT, strs(|r| &r.readout)),
        (COL_METHOD, strs(|r| r.method.as_str())),
        (COL_DIMS, Arc::new(dims.finish())),
        (COL_SPLIT, strs(|r| &r.split)),
        (
            COL_IDX,
            Arc::new(UInt32Array::from_iter_values(rows.iter().map(|r| r.idx))),
        ),
        (COL_LABEL, f32s(|r| r.label)),
        (COL_PREDICTION, f32s(|r| r.prediction)),
    ]
}

/// Streams groups of rows into a predictions file; nothing appears at `path` until `finish`.
pub type ProbePredictionsWriter<'p> = RowWriter<'p, ProbePredictionRow>;

impl<'p> ProbePredictionsWriter<'p> {
    /// Starts the file; `meta` (the `META_*` keys) becomes file and schema metadata.
    pub fn create(path: &'p Path, meta: &[(String, String)]) -> Result<Self, TableError> {
        RowWriter::start(path, meta, columns)
    }
}

/// Writes a whole predictions file at once; returns the row count.
pub fn write(
    path: &Path,
    rows: &[ProbePredictionRow],
    meta: &[(String, String)],
) -> Result<usize, TableError> {
    RowWriter::write_all(path, meta, columns, rows)
}

/// Reads a predictions file; a missing or mistyped column or an unknown method is an error.
pub fn read(path: &Path) -> Result<Table<ProbePredictionRow>, TableError> {
    read_table(path, |b, rows| {
        let layer = column::<Int32Array>(path, b, COL_LAYER, "int32")?;
        let readout = column::<StringArray>(path, b, COL_READOUT, "utf8")?;
        let method = column::<StringArray>(path, b, COL_METHOD, "utf8")?;
        let dims = column::<ListArray>(path, b, COL_DIMS, "list<uint16>")?;
        let split = column::<StringArray>(path, b, COL_SPLIT, "utf8")?;
        let idx = column::<UInt32Array>(path, b, COL_IDX, "uint32")?;
        let label = column::<Float32Array>(path, b, COL_LABEL, "float32")?;
        let pred = column::<Float32Array>(path, b, COL_PREDICTION, "float32")?;
        for i in 0..b.num_rows() {
            let row = rows.len();
            let m = Method::parse(method.value(i)).ok_or_else(|| {
                let msg = format!("unknown method {:?}", method.value(i));
                bad_value(path, COL_METHOD, row, msg)
            })?;
            let d = dims.value(i);
            let d = d
                .as_any()
                .downcast_ref::<UInt16Array>()
                .ok_or_else(|| bad_value(path, COL_DIMS, row, "not a list of uint16".into()))?;
            rows.push(ProbePredictionRow {
                layer: layer.value(i),
                readout: readout.value(i).to_string(),
                method: m,
                dims: d.values().to_vec(),
                split: split.value(i).to_string(),
                idx: idx.value(i),
                label: label.value(i),
                prediction: pred.value(i),
            });
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use fewdims_schema::probe::META_TASK;

    fn row(method: Method, dims: &[u16], split: &str, idx: u32) -> ProbePredictionRow {
        ProbePredictionRow {
            layer: 6,
            readout: "cls".into(),
            method,
            dims: dims.to_vec(),
            split: split.into(),
            idx,
            label: 1.0,
            prediction: (idx % 2) as f32,
        }
    }

    #[test]
    fn round_trips_in_groups_with_metadata() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("movie.predictions.parquet");
        let meta = vec![(META_TASK.to_string(), "movie".to_string())];
        let mut w = ProbePredictionsWriter::create(&path, &meta).unwrap();
        let a = vec![
            row(Method::Full, &[], "test", 3),
            row(Method::Pair, &[2, 9], "dev", 7),
        ];
        let b = vec![row(Method::Single, &[4], "test", 0)];
        w.write(&a).unwrap();
        assert!(!path.exists(), "nothing at the path before finish");
        w.write(&b).unwrap();
        assert_eq!(w.finish().unwrap(), 3);
        let t = read(&path).unwrap();
        assert_eq!(t.meta(META_TASK), Some("movie"));
        assert_eq!(t.rows, [a, b].concat());
        let p = t.rows[1].to_prediction();
        assert_eq!((p.split.as_str(), p.idx, p.prediction), ("dev", 7, 1.0));
    }

    #[test]
    fn names_a_missing_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.parquet");
        let row = crate::probe::ProbeRow {
            layer: 6,
            readout: "cls".into(),
            method: Method::Full,
            dims: vec![],
            k: 8,
            metric: "accuracy".into(),
            dev: 0.8,
            test: 0.8,
            rank: 1,
        };
        crate::probe::write(&path, &[row], &[]).unwrap();
        let err = read(&path).unwrap_err().to_string();
        assert!(
            err.contains("p.parquet") && err.contains("`split`: missing"),
            "{err}"
        );
    }
}
