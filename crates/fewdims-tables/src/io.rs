//! Shared parquet plumbing: atomic writes with key-value metadata, and typed column access.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, RecordBatch};
use arrow::datatypes::{Field, Schema};
use fewdims_schema::AtomicFile;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;

use crate::TableError;

/// Page compression of a table (kept per table, so files stay as they were).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    None,
    Snappy,
}

fn parquet_err(path: &Path) -> impl Fn(parquet::errors::ParquetError) -> TableError + '_ {
    move |source| TableError::Parquet {
        path: path.into(),
        source,
    }
}

fn write_err(path: &Path) -> impl Fn(parquet::errors::ParquetError) -> TableError + '_ {
    move |source| TableError::ParquetWrite {
        path: path.into(),
        source,
    }
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> TableError + '_ {
    move |source| TableError::Io {
        path: path.into(),
        source,
    }
}

/// The arrow schema of named, non-null columns, with `meta` as schema metadata.
pub(crate) fn schema_of(cols: &[(&str, ArrayRef)], meta: &[(String, String)]) -> Arc<Schema> {
    let fields: Vec<Field> = cols
        .iter()
        .map(|(n, a)| Field::new(*n, a.data_type().clone(), false))
        .collect();
    let md: HashMap<String, String> = meta.iter().cloned().collect();
    Arc::new(Schema::new_with_metadata(fields, md))
}

/// A parquet file being written to a temp file; nothing is at `path` until [`Self::finish`].
pub(crate) struct Writer<'p> {
    path: &'p Path,
    w: ArrowWriter<AtomicFile>,
}

impl<'p> Writer<'p> {
    pub(crate) fn create(
        path: &'p Path,
        schema: Arc<Schema>,
        meta: &[(String, String)],
        compression: Compression,
    ) -> Result<Self, TableError> {
        let kv = meta
            .iter()
            .map(|(k, v)| KeyValue::new(k.clone(), v.clone()))
            .collect();
        let mut props = WriterProperties::builder().set_key_value_metadata(Some(kv));
        if compression == Compression::Snappy {
            props = props.set_compression(parquet::basic::Compression::SNAPPY);
        }
        let file = AtomicFile::create(path).map_err(io_err(path))?;
        let w = ArrowWriter::try_new(file, schema, Some(props.build())).map_err(write_err(path))?;
        Ok(Self { path, w })
    }

    pub(crate) fn write(
        &mut self,
        schema: &Arc<Schema>,
        cols: Vec<(&str, ArrayRef)>,
    ) -> Result<(), TableError> {
        let batch =
            RecordBatch::try_new(schema.clone(), cols.into_iter().map(|(_, a)| a).collect())
                .map_err(|e| TableError::Invalid {
                    path: self.path.into(),
                    msg: format!("rows do not fit the table's columns: {e}"),
                })?;
        self.w.write(&batch).map_err(write_err(self.path))
    }

    /// Writes the footer: the file is whole, but not yet in place.
    fn close(self) -> Result<AtomicFile, TableError> {
        self.w.into_inner().map_err(write_err(self.path))
    }

    pub(crate) fn finish(self) -> Result<(), TableError> {
        let path = self.path;
        self.close()?.commit().map_err(io_err(path))
    }
}

/// A table written whole but not yet in place (see [`commit_together`]); dropped, it is removed.
#[derive(Debug)]
pub struct Closed {
    file: AtomicFile,
    /// Its row count.
    pub rows: usize,
}

/// Moves tables that belong together (a probe table and its predictions) into place, all or
/// none ([`fewdims_schema::atomic::commit_all`]), in the order given.
pub fn commit_together(tables: Vec<Closed>) -> Result<(), TableError> {
    fewdims_schema::atomic::commit_all(tables.into_iter().map(|t| t.file).collect()).map_err(|e| {
        TableError::Io {
            path: e.path,
            source: e.err,
        }
    })
}

/// Streams groups of rows of one table (its columns from `columns`) into a file; nothing appears
/// at `path` until [`Self::finish`]. The probe table and its predictions are written this way.
pub struct RowWriter<'p, R> {
    w: Writer<'p>,
    schema: Arc<Schema>,
    columns: fn(&[R]) -> Vec<(&'static str, ArrayRef)>,
    rows: usize,
}

impl<R> std::fmt::Debug for RowWriter<'_, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "RowWriter({}: {} rows)",
            self.w.path.display(),
            self.rows
        )
    }
}

impl<'p, R> RowWriter<'p, R> {
    /// Starts the file; `meta` becomes file and schema metadata.
    pub(crate) fn start(
        path: &'p Path,
        meta: &[(String, String)],
        columns: fn(&[R]) -> Vec<(&'static str, ArrayRef)>,
    ) -> Result<Self, TableError> {
        let schema = schema_of(&columns(&[]), meta);
        let w = Writer::create(path, schema.clone(), meta, Compression::Snappy)?;
        Ok(Self {
            w,
            schema,
            columns,
            rows: 0,
        })
    }

    /// Appends rows (one group of a layer and readout, say).
    pub fn write(&mut self, rows: &[R]) -> Result<(), TableError> {
        self.w.write(&self.schema, (self.columns)(rows))?;
        self.rows += rows.len();
        Ok(())
    }

    /// Closes the file and moves it into place; returns the row count.
    pub fn finish(self) -> Result<usize, TableError> {
        self.w.finish()?;
        Ok(self.rows)
    }

    /// Closes the file without moving it into place, for [`commit_together`].
    pub fn close(self) -> Result<Closed, TableError> {
        Ok(Closed {
            file: self.w.close()?,
            rows: self.rows,
        })
    }

    /// Writes a whole file at once; returns the row count.
    pub(crate) fn write_all(
        path: &'p Path,
        meta: &[(String, String)],
        columns: fn(&[R]) -> Vec<(&'static str, ArrayRef)>,
        rows: &[R],
    ) -> Result<usize, TableError> {
        let mut w = Self::start(path, meta, columns)?;
        w.write(rows)?;
        w.finish()
    }
}

/// Writes one batch of `cols` as the whole table, atomically.
pub(crate) fn write_table(
    path: &Path,
    cols: Vec<(&str, ArrayRef)>,
    meta: &[(String, String)],
    compression: Compression,
) -> Result<(), TableError> {
    let schema = schema_of(&cols, meta);
    let mut w = Writer::create(path, schema.clone(), meta, compression)?;
    w.write(&schema, cols)?;
    w.finish()
}

/// Every record batch of a parquet file and its file-level key-value metadata.
pub(crate) fn read_batches(
    path: &Path,
) -> Result<(Vec<RecordBatch>, BTreeMap<String, String>), TableError> {
    let file = std::fs::File::open(path).map_err(io_err(path))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(parquet_err(path))?;
    let meta = builder
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .map(|kv| {
            kv.iter()
                .map(|k| (k.key.clone(), k.value.clone().unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default();
    let reader = builder.build().map_err(parquet_err(path))?;
    // parquet 60 panics on some corrupt pages (a dictionary page of 0 values divides by zero):
    // that is this file's error, not a crash of the stage.
    let decode = std::panic::AssertUnwindSafe(|| reader.collect::<Result<Vec<_>, _>>());
    let batches = match std::panic::catch_unwind(decode) {
        Ok(batches) => batches.map_err(|e| e.to_string()),
        Err(p) => Err(format!(
            "corrupt file (decoder: {})",
            p.downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_default()
        )),
    };
    let batches = batches.map_err(|msg| TableError::Parquet {
        path: path.into(),
        source: parquet::errors::ParquetError::ArrowError(msg),
    })?;
    Ok((batches, meta))
}

/// Reads a table: `rows_of` appends each record batch's rows.
pub(crate) fn read_table<R>(
    path: &Path,
    mut rows_of: impl FnMut(&RecordBatch, &mut Vec<R>) -> Result<(), TableError>,
) -> Result<crate::Table<R>, TableError> {
    let (batches, meta) = read_batches(path)?;
    let mut rows = vec![];
    for b in &batches {
        rows_of(b, &mut rows)?;
    }
    Ok(crate::Table { rows, meta })
}

/// Column `name` of `batch` as the arrow array type `A`, or an error naming it and `want`.
pub(crate) fn column<'b, A: Array + 'static>(
    path: &Path,
    batch: &'b RecordBatch,
    name: &str,
    want: &str,
) -> Result<&'b A, TableError> {
    let col = batch
        .column_by_name(name)
        .ok_or_else(|| TableError::Column {
            path: path.into(),
            column: name.into(),
            msg: format!("missing (expected {want})"),
        })?;
    if col.null_count() > 0 {
        return Err(TableError::Column {
            path: path.into(),
            column: name.into(),
            msg: "has nulls".into(),
        });
    }
    col.as_any()
        .downcast_ref::<A>()
        .ok_or_else(|| TableError::Column {
            path: path.into(),
            column: name.into(),
            msg: format!("is {}, expected {want}", col.data_type()),
        })
}

/// A row-level error in column `name`.
pub(crate) fn bad_value(path: &Path, name: &str, row: usize, msg: String) -> TableError {
    TableError::Column {
        path: path.into(),
        column: name.into(),
        msg: format!("row {row}: {msg}"),
    }
}
