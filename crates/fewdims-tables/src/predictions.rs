//! A run's `predictions.parquet` (contract: `fewdims_schema::run`): the best epoch's output on
//! every dev and test item, as [`PredictionRow`]. The report's paired bootstrap reads it.

use std::path::Path;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, Float32Array, Float32Builder, Int32Array, ListArray, ListBuilder, StringArray,
    UInt32Array,
};
pub use fewdims_schema::run::PredictionRow;
use fewdims_schema::run::{
    IDX, LABEL, PREDICTION, SCORES, SPLIT, TOKEN_POS, TOKEN_ROLE, TokenRole,
};

use crate::io::{bad_value, column, read_table, write_table};
use crate::{Compression, Table, TableError};

fn columns(rows: &[PredictionRow]) -> Vec<(&'static str, ArrayRef)> {
    let mut scores = ListBuilder::new(Float32Builder::new());
    for r in rows {
        scores.values().append_slice(&r.scores);
        scores.append(true);
    }
    let f32s = |f: fn(&PredictionRow) -> f32| -> ArrayRef {
        Arc::new(Float32Array::from_iter_values(rows.iter().map(f)))
    };
    vec![
        (
            SPLIT,
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|r| r.split.as_str()),
            )),
        ),
        (
            IDX,
            Arc::new(UInt32Array::from_iter_values(rows.iter().map(|r| r.idx))),
        ),
        (LABEL, f32s(|r| r.label)),
        (PREDICTION, f32s(|r| r.prediction)),
        (SCORES, Arc::new(scores.finish())),
        (
            TOKEN_POS,
            // -1: the readout is not one token (mean, pooler).
            Arc::new(Int32Array::from_iter_values(
                rows.iter().map(|r| r.token_pos.map_or(-1, |p| p as i32)),
            )),
        ),
        (
            TOKEN_ROLE,
            // "": the readout is not one token.
            Arc::new(StringArray::from_iter_values(
                rows.iter()
                    .map(|r| r.token_role.map_or("", TokenRole::as_str)),
            )),
        ),
    ]
}

/// Writes `predictions.parquet` atomically.
pub fn write(path: &Path, rows: &[PredictionRow]) -> Result<(), TableError> {
    write_table(path, columns(rows), &[], Compression::Snappy)
}

/// Reads `predictions.parquet`; a missing or mistyped column is an error naming it.
pub fn read(path: &Path) -> Result<Table<PredictionRow>, TableError> {
    read_table(path, |b, rows| {
        let split = column::<StringArray>(path, b, SPLIT, "utf8")?;
        let idx = column::<UInt32Array>(path, b, IDX, "uint32")?;
        let label = column::<Float32Array>(path, b, LABEL, "float32")?;
        let pred = column::<Float32Array>(path, b, PREDICTION, "float32")?;
        let scores = column::<ListArray>(path, b, SCORES, "list<float32>")?;
        let pos = column::<Int32Array>(path, b, TOKEN_POS, "int32")?;
        let role = column::<StringArray>(path, b, TOKEN_ROLE, "utf8")?;
        for i in 0..b.num_rows() {
            let row = rows.len();
            let s = scores.value(i);
            let s = s
                .as_any()
                .downcast_ref::<Float32Array>()
                .ok_or_else(|| bad_value(path, SCORES, row, "not a list of float32".into()))?;
            let p = pos.value(i);
            if p < -1 {
                return Err(bad_value(
                    path,
                    TOKEN_POS,
                    row,
                    format!("{p} is not -1 or a position"),
                ));
            }
            let token_role = match role.value(i) {
                "" => None,
                r => Some(TokenRole::parse(r).ok_or_else(|| {
                    bad_value(
                        path,
                        TOKEN_ROLE,
                        row,
                        format!("{r:?} is not cls, sep, other or empty"),
                    )
                })?),
            };
            rows.push(PredictionRow {
                split: split.value(i).to_string(),
                idx: idx.value(i),
                label: label.value(i),
                prediction: pred.value(i),
                scores: s.values().to_vec(),
                token_pos: (p >= 0).then_some(p as u32),
                token_role,
            });
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("predictions.parquet");
        let rows = vec![
            PredictionRow {
                split: "dev".into(),
                idx: 7,
                label: 1.0,
                prediction: 0.0,
                scores: vec![0.25, -1.5],
                token_pos: Some(3),
                token_role: Some(TokenRole::Other),
            },
            PredictionRow {
                split: "test".into(),
                idx: 2,
                label: 3.5,
                prediction: 3.25,
                scores: vec![3.25],
                token_pos: None,
                token_role: None,
            },
        ];
        write(&path, &rows).unwrap();
        assert_eq!(read(&path).unwrap().rows, rows);
    }
}
