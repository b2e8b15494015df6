//! Parquet plumbing shared by the task and token files: atomic writes with key-value metadata,
//! whole-file reads, and typed column access that names the file and column on mismatch.

use crate::error::{DataError, Result};
use arrow::array::{Array, ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, SchemaRef};
use fewdims_schema::AtomicFile;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::Compression;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use std::collections::HashMap;
use std::fs::File;
use std::path::Path;

/// Writes `batch` with `kv` metadata to a temp file beside `dest`; the caller commits it.
pub fn write_batch(
    dest: &Path,
    batch: &RecordBatch,
    kv: &[(String, String)],
) -> Result<AtomicFile> {
    let meta: HashMap<String, String> = kv.iter().cloned().collect();
    let schema = std::sync::Arc::new(batch.schema().as_ref().clone().with_metadata(meta));
    let batch = batch
        .clone()
        .with_schema(schema.clone())
        .map_err(|e| DataError::arrow(dest, e))?;
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY) // the codec compiled in; every reader has it
        .set_key_value_metadata(Some(
            kv.iter()
                .map(|(k, v)| KeyValue::new(k.clone(), v.clone()))
                .collect(),
        ))
        .build();
    let file = AtomicFile::create(dest).map_err(|e| DataError::io(dest, e))?;
    let mut writer =
        ArrowWriter::try_new(file, schema, Some(props)).map_err(|e| DataError::parquet(dest, e))?;
    writer
        .write(&batch)
        .map_err(|e| DataError::parquet(dest, e))?;
    writer.into_inner().map_err(|e| DataError::parquet(dest, e))
}

/// Commits temp files together, all or none ([`fewdims_schema::atomic::commit_all`]).
pub fn commit_all(files: Vec<AtomicFile>) -> Result<()> {
    fewdims_schema::atomic::commit_all(files).map_err(|e| DataError::io(&e.path, e.err))
}

/// A whole parquet file in one batch, with its file-level key-value metadata.
pub struct Table {
    pub batch: RecordBatch,
    pub kv: HashMap<String, String>,
}

/// Runs a parquet decode of `path`, turning a panic into this file's error: parquet 60 panics
/// on some corrupt pages (a dictionary page of 0 values divides by zero), and a corrupt file
/// must stop the stage with its name, not crash it.
pub fn guard<T>(path: &Path, decode: impl FnOnce() -> Result<T>) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(decode)).unwrap_or_else(|p| {
        let msg = p
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(DataError::parquet(
            path,
            parquet::errors::ParquetError::General(format!("corrupt file (decoder: {msg})")),
        ))
    })
}

/// Reads all of `path` into memory.
pub fn read_table(path: &Path) -> Result<Table> {
    guard(path, || read_table_unguarded(path))
}

fn read_table_unguarded(path: &Path) -> Result<Table> {
    let file = File::open(path).map_err(|e| DataError::io(path, e))?;
    let builder =
        ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| DataError::parquet(path, e))?;
    let mut kv: HashMap<String, String> = HashMap::new();
    if let Some(entries) = builder.metadata().file_metadata().key_value_metadata() {
        for e in entries {
            kv.insert(e.key.clone(), e.value.clone().unwrap_or_default());
        }
    }
    let schema: SchemaRef = builder.schema().clone();
    let reader = builder.build().map_err(|e| DataError::parquet(path, e))?;
    let batches = reader
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| DataError::arrow(path, e))?;
    let batch =
        arrow::compute::concat_batches(&schema, &batches).map_err(|e| DataError::arrow(path, e))?;
    Ok(Table { batch, kv })
}

impl Table {
    /// Names of the columns.
    pub fn columns(&self) -> Vec<String> {
        self.batch
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect()
    }

    /// The column `name`, or an error listing the columns there are.
    pub fn column(&self, path: &Path, name: &str) -> Result<&ArrayRef> {
        self.batch.column_by_name(name).ok_or_else(|| {
            DataError::column(
                path,
                name,
                format!("missing; the file has columns {:?}", self.columns()),
            )
        })
    }

    /// A text column (utf8 of any width); nulls stay `None`.
    pub fn strings(&self, path: &Path, name: &str) -> Result<Vec<Option<String>>> {
        let col = self.column(path, name)?;
        if !matches!(
            col.data_type(),
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
        ) {
            return Err(DataError::column(
                path,
                name,
                format!("expected text (utf8), found {}", col.data_type()),
            ));
        }
        let cast =
            arrow::compute::cast(col, &DataType::Utf8).map_err(|e| DataError::arrow(path, e))?;
        let arr = cast
            .as_any()
            .downcast_ref::<StringArray>()
            .expect("cast to utf8");
        Ok(arr.iter().map(|v| v.map(str::to_string)).collect())
    }

    /// An integer column, widened to i64; floats and text are refused.
    pub fn ints(&self, path: &Path, name: &str) -> Result<Vec<Option<i64>>> {
        let col = self.column(path, name)?;
        if !col.data_type().is_integer() {
            return Err(DataError::column(
                path,
                name,
                format!("expected integers, found {}", col.data_type()),
            ));
        }
        let cast =
            arrow::compute::cast(col, &DataType::Int64).map_err(|e| DataError::arrow(path, e))?;
        let arr = cast
            .as_any()
            .downcast_ref::<Int64Array>()
            .expect("cast to i64");
        Ok(arr.iter().collect())
    }

    /// A numeric column, as f64.
    pub fn floats(&self, path: &Path, name: &str) -> Result<Vec<Option<f64>>> {
        let col = self.column(path, name)?;
        if !col.data_type().is_numeric() {
            return Err(DataError::column(
                path,
                name,
                format!("expected numbers, found {}", col.data_type()),
            ));
        }
        let cast =
            arrow::compute::cast(col, &DataType::Float64).map_err(|e| DataError::arrow(path, e))?;
        let arr = cast
            .as_any()
            .downcast_ref::<Float64Array>()
            .expect("cast to f64");
        Ok(arr.iter().collect())
    }

    /// Checks that column `name` has exactly type `want`.
    pub fn expect_type(&self, path: &Path, name: &str, want: &DataType) -> Result<&ArrayRef> {
        let col = self.column(path, name)?;
        if col.data_type() != want {
            return Err(DataError::column(
                path,
                name,
                format!("expected {want}, found {}", col.data_type()),
            ));
        }
        Ok(col)
    }
}
