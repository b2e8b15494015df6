//! The cross-finetune matrix `runs/cross/<name>/cross.parquet` (contract:
//! `fewdims_schema::cross`): one row per (step, evaluated task, mode, split, metric).

use std::path::Path;
use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, StringArray, UInt32Array};
use fewdims_schema::cross::*;

use crate::io::{bad_value, column, read_table, write_table};
use crate::{Compression, Table, TableError};

/// One row of `cross.parquet`.
#[derive(Clone, Debug, PartialEq)]
pub struct CrossRow {
    /// 0 = the starting run.
    pub step: u32,
    /// The task trained at that step.
    pub trained_task: String,
    /// A task trained at this step or before.
    pub eval_task: String,
    pub mode: Mode,
    pub split: String,
    pub metric: String,
    pub value: f64,
}

fn columns(rows: &[CrossRow]) -> Vec<(&'static str, ArrayRef)> {
    let strs = |f: fn(&CrossRow) -> &str| -> ArrayRef {
        Arc::new(StringArray::from_iter_values(rows.iter().map(f)))
    };
    vec![
        (
            COL_STEP,
            Arc::new(UInt32Array::from_iter_values(rows.iter().map(|r| r.step))),
        ),
        (COL_TRAINED_TASK, strs(|r| &r.trained_task)),
        (COL_EVAL_TASK, strs(|r| &r.eval_task)),
        (COL_MODE, strs(|r| r.mode.as_str())),
        (COL_SPLIT, strs(|r| &r.split)),
        (COL_METRIC, strs(|r| &r.metric)),
        (
            COL_VALUE,
            Arc::new(Float64Array::from_iter_values(rows.iter().map(|r| r.value))),
        ),
    ]
}

/// Writes the matrix atomically; `meta` ([`META_TASKS`], [`META_SETTINGS`]) becomes metadata.
pub fn write(path: &Path, rows: &[CrossRow], meta: &[(String, String)]) -> Result<(), TableError> {
    write_table(path, columns(rows), meta, Compression::None)
}

/// Reads a matrix; a missing or mistyped column or an unknown mode is an error naming it.
pub fn read(path: &Path) -> Result<Table<CrossRow>, TableError> {
    read_table(path, |b, rows| {
        let step = column::<UInt32Array>(path, b, COL_STEP, "uint32")?;
        let trained = column::<StringArray>(path, b, COL_TRAINED_TASK, "utf8")?;
        let eval = column::<StringArray>(path, b, COL_EVAL_TASK, "utf8")?;
        let mode = column::<StringArray>(path, b, COL_MODE, "utf8")?;
        let split = column::<StringArray>(path, b, COL_SPLIT, "utf8")?;
        let metric = column::<StringArray>(path, b, COL_METRIC, "utf8")?;
        let value = column::<Float64Array>(path, b, COL_VALUE, "float64")?;
        for i in 0..b.num_rows() {
            let m = Mode::parse(mode.value(i)).ok_or_else(|| {
                bad_value(
                    path,
                    COL_MODE,
                    rows.len(),
                    format!(
                        "unknown mode {:?} (expected head, retrained or probe)",
                        mode.value(i)
                    ),
                )
            })?;
            rows.push(CrossRow {
                step: step.value(i),
                trained_task: trained.value(i).to_string(),
                eval_task: eval.value(i).to_string(),
                mode: m,
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
    fn round_trips_and_refuses_unknown_modes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cross.parquet");
        let mut rows = vec![CrossRow {
            step: 1,
            trained_task: "amazon".into(),
            eval_task: "movie".into(),
            mode: Mode::Retrained,
            split: "test".into(),
            metric: "accuracy".into(),
            value: 0.75,
        }];
        write(&path, &rows, &[(META_TASKS.into(), "movie,amazon".into())]).unwrap();
        let t = read(&path).unwrap();
        assert_eq!(t.rows, rows);
        assert_eq!(t.meta(META_TASKS), Some("movie,amazon"));
        rows[0].eval_task = "nyt".into();
        write(&path, &rows, &[]).unwrap();
        assert_eq!(read(&path).unwrap().rows[0].eval_task, "nyt");
    }
}
