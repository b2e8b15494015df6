//! A run's `metrics.parquet` (contract: `fewdims_schema::run`): one row per epoch, split and
//! metric, as [`MetricRow`].

use std::path::Path;
use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, StringArray, UInt32Array};
pub use fewdims_schema::run::MetricRow;
use fewdims_schema::run::{EPOCH, METRIC, SPLIT, VALUE};

use crate::io::{column, read_table, write_table};
use crate::{Compression, Table, TableError};

fn columns(rows: &[MetricRow]) -> Vec<(&'static str, ArrayRef)> {
    vec![
        (
            EPOCH,
            Arc::new(UInt32Array::from_iter_values(
                rows.iter().map(|r| r.epoch as u32),
            )),
        ),
        (
            SPLIT,
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|r| r.split.as_str()),
            )),
        ),
        (
            METRIC,
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|r| r.metric.as_str()),
            )),
        ),
        (
            VALUE,
            Arc::new(Float64Array::from_iter_values(rows.iter().map(|r| r.value))),
        ),
    ]
}

/// Writes `metrics.parquet` atomically.
pub fn write(path: &Path, rows: &[MetricRow]) -> Result<(), TableError> {
    write_table(path, columns(rows), &[], Compression::None)
}

/// Reads `metrics.parquet`.
pub fn read(path: &Path) -> Result<Table<MetricRow>, TableError> {
    read_table(path, |b, rows| {
        let epoch = column::<UInt32Array>(path, b, EPOCH, "uint32")?;
        let split = column::<StringArray>(path, b, SPLIT, "utf8")?;
        let metric = column::<StringArray>(path, b, METRIC, "utf8")?;
        let value = column::<Float64Array>(path, b, VALUE, "float64")?;
        for i in 0..b.num_rows() {
            rows.push(MetricRow {
                epoch: epoch.value(i) as usize,
                split: split.value(i).to_string(),
                metric: metric.value(i).to_string(),
                value: value.value(i),
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
        let path = dir.path().join("metrics.parquet");
        let rows = vec![MetricRow {
            epoch: 2,
            split: "dev".into(),
            metric: "mcc".into(),
            value: -0.25,
        }];
        write(&path, &rows).unwrap();
        assert_eq!(read(&path).unwrap().rows, rows);
    }
}
