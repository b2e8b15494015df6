//! Reading parquet tables column by column, with errors that name the file and the column.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, Float64Type, Int64Type, UInt32Type};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::ReportError;

/// A whole parquet file in memory, with its key-value metadata.
pub struct Table {
    pub path: PathBuf,
    pub batches: Vec<RecordBatch>,
    pub meta: HashMap<String, String>,
}

impl Table {
    pub fn read(path: &Path) -> Result<Self, ReportError> {
        let pq_err = |err| ReportError::Parquet {
            path: path.into(),
            err,
        };
        let file = std::fs::File::open(path).map_err(|e| ReportError::io(path, e))?;
        let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(pq_err)?;
        let mut meta: HashMap<String, String> = builder.schema().metadata().clone().into();
        if let Some(kv) = builder.metadata().file_metadata().key_value_metadata() {
            for e in kv {
                if let Some(v) = &e.value {
                    meta.entry(e.key.clone()).or_insert_with(|| v.clone());
                }
            }
        }
        let reader = builder.build().map_err(pq_err)?;
        let mut batches = Vec::new();
        for b in reader {
            batches.push(b.map_err(|e| ReportError::Parquet {
                path: path.into(),
                err: e.into(),
            })?);
        }
        Ok(Table {
            path: path.into(),
            batches,
            meta,
        })
    }

    fn err(&self, column: &str, msg: impl Into<String>) -> ReportError {
        ReportError::Column {
            path: self.path.clone(),
            column: column.into(),
            msg: msg.into(),
        }
    }

    /// The column in every batch, checked with `ok` and cast to `to`.
    fn column(
        &self,
        name: &str,
        expected: &str,
        ok: impl Fn(&DataType) -> bool,
        to: &DataType,
    ) -> Result<Vec<ArrayRef>, ReportError> {
        let mut out = Vec::with_capacity(self.batches.len());
        for b in &self.batches {
            let col = b
                .column_by_name(name)
                .ok_or_else(|| self.err(name, format!("missing (expected {expected})")))?;
            if !ok(col.data_type()) {
                return Err(self.err(
                    name,
                    format!("expected {expected}, found {}", col.data_type()),
                ));
            }
            out.push(
                cast(col, to).map_err(|e| self.err(name, format!("expected {expected}: {e}")))?,
            );
        }
        Ok(out)
    }

    /// A numeric column as f64 (nulls become NaN).
    pub fn f64s(&self, name: &str) -> Result<Vec<f64>, ReportError> {
        let cols = self.column(name, "a number", DataType::is_numeric, &DataType::Float64)?;
        Ok(cols
            .iter()
            .flat_map(|c| {
                let a = c.as_primitive::<Float64Type>();
                (0..a.len()).map(move |i| if a.is_null(i) { f64::NAN } else { a.value(i) })
            })
            .collect())
    }

    /// An integer column as i64; nulls are an error.
    pub fn i64s(&self, name: &str) -> Result<Vec<i64>, ReportError> {
        let ints = |t: &DataType| t.is_integer();
        let cols = self.column(name, "an integer", ints, &DataType::Int64)?;
        let mut out = Vec::new();
        for c in &cols {
            if c.null_count() > 0 {
                return Err(self.err(name, "has nulls (expected an integer in every row)"));
            }
            out.extend(c.as_primitive::<Int64Type>().values().iter().copied());
        }
        Ok(out)
    }

    /// A string column; nulls are an error.
    pub fn strings(&self, name: &str) -> Result<Vec<String>, ReportError> {
        let strs = |t: &DataType| match t {
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => true,
            DataType::Dictionary(_, v) => matches!(**v, DataType::Utf8 | DataType::LargeUtf8),
            _ => false,
        };
        let cols = self.column(name, "a string", strs, &DataType::Utf8)?;
        let mut out = Vec::new();
        for c in &cols {
            if c.null_count() > 0 {
                return Err(self.err(name, "has nulls (expected a string in every row)"));
            }
            out.extend(
                c.as_string::<i32>()
                    .iter()
                    .map(|s| s.unwrap_or("").to_string()),
            );
        }
        Ok(out)
    }

    /// A list-of-integers column (`dims`); a null list is an empty one.
    pub fn int_lists(&self, name: &str) -> Result<Vec<Vec<u32>>, ReportError> {
        let lists = |t: &DataType| match t {
            DataType::List(f) | DataType::LargeList(f) => f.data_type().is_integer(),
            _ => false,
        };
        let to = DataType::List(Arc::new(Field::new_list_field(DataType::UInt32, true)));
        let cols = self.column(name, "a list of integers", lists, &to)?;
        let mut out = Vec::new();
        for c in &cols {
            let l = c.as_list::<i32>();
            for i in 0..l.len() {
                if l.is_null(i) {
                    out.push(Vec::new());
                    continue;
                }
                let v = l.value(i);
                let v = v.as_primitive::<UInt32Type>();
                out.push(v.iter().flatten().collect());
            }
        }
        Ok(out)
    }

    /// A comma-separated list from the key-value metadata.
    pub fn meta_list(&self, key: &str) -> Vec<String> {
        self.meta
            .get(key)
            .map(|s| {
                s.split(',')
                    .map(str::trim)
                    .filter(|x| !x.is_empty())
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default()
    }
}
