//! A run's `curve.parquet` (contract: `fewdims_schema::run`): the training curve, one row per
//! `--log-every` steps, as [`CurveRow`].

use std::path::Path;
use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, UInt32Array};
pub use fewdims_schema::run::CurveRow;
use fewdims_schema::run::{EPOCH, GRAD_NORM, LEARNING_RATE, LOSS, STEP};

use crate::io::{column, read_table, write_table};
use crate::{Compression, Table, TableError};

fn columns(rows: &[CurveRow]) -> Vec<(&'static str, ArrayRef)> {
    let u32s = |f: fn(&CurveRow) -> usize| -> ArrayRef {
        Arc::new(UInt32Array::from_iter_values(
            rows.iter().map(|r| f(r) as u32),
        ))
    };
    let f64s = |f: fn(&CurveRow) -> f64| -> ArrayRef {
        Arc::new(Float64Array::from_iter_values(rows.iter().map(f)))
    };
    vec![
        (STEP, u32s(|r| r.step)),
        (EPOCH, u32s(|r| r.epoch)),
        (LOSS, f64s(|r| r.loss)),
        (LEARNING_RATE, f64s(|r| r.learning_rate)),
        (GRAD_NORM, f64s(|r| r.grad_norm)),
    ]
}

/// Writes `curve.parquet` atomically.
pub fn write(path: &Path, rows: &[CurveRow]) -> Result<(), TableError> {
    write_table(path, columns(rows), &[], Compression::None)
}

/// Reads `curve.parquet`.
pub fn read(path: &Path) -> Result<Table<CurveRow>, TableError> {
    read_table(path, |b, rows| {
        let step = column::<UInt32Array>(path, b, STEP, "uint32")?;
        let epoch = column::<UInt32Array>(path, b, EPOCH, "uint32")?;
        let loss = column::<Float64Array>(path, b, LOSS, "float64")?;
        let lr = column::<Float64Array>(path, b, LEARNING_RATE, "float64")?;
        let norm = column::<Float64Array>(path, b, GRAD_NORM, "float64")?;
        for i in 0..b.num_rows() {
            rows.push(CurveRow {
                step: step.value(i) as usize,
                epoch: epoch.value(i) as usize,
                loss: loss.value(i),
                learning_rate: lr.value(i),
                grad_norm: norm.value(i),
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
        let path = dir.path().join("curve.parquet");
        let rows = vec![
            CurveRow {
                step: 5,
                epoch: 1,
                loss: 0.69,
                learning_rate: 2.5e-5,
                grad_norm: 3.25,
            },
            CurveRow {
                step: 10,
                epoch: 2,
                loss: 0.5,
                learning_rate: 0.0,
                grad_norm: 1.0,
            },
        ];
        write(&path, &rows).unwrap();
        assert_eq!(read(&path).unwrap().rows, rows);
    }
}
