//! The probe and CKA parquet tables (see `fewdims_schema::probe` for the contract).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{
    ArrayRef, Float64Array, Int32Array, ListBuilder, StringArray, UInt16Array, UInt16Builder,
    UInt32Array,
};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;
use fewdims_schema::AtomicFile;
use fewdims_schema::probe::*;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;

use crate::{Metric, ProbeError, ProbeResult};

/// The results of one (layer, readout); ranks are computed per method and metric.
#[derive(Debug, Clone)]
pub struct ProbeGroup {
    pub layer: i32,
    pub readout: String,
    pub results: Vec<ProbeResult>,
}

/// One row of the CKA table.
#[derive(Debug, Clone, PartialEq)]
pub struct CkaRow {
    pub layer: i32,
    pub readout: String,
    pub cka: f64,
    pub mean_cosine: f64,
    pub n: u32,
}

/// Rank (1 = best dev) of each result within its method, for metric `m`; NaN ranks last, ties
/// keep row order.
pub fn ranks(results: &[ProbeResult], m: usize) -> Vec<u32> {
    let mut rank = vec![0u32; results.len()];
    let mut methods: Vec<_> = results.iter().map(|r| r.method).collect();
    methods.sort();
    methods.dedup();
    for method in methods {
        let mut idx: Vec<usize> = (0..results.len())
            .filter(|&i| results[i].method == method)
            .collect();
        let key = |i: usize| {
            let v = results[i].dev[m];
            if v.is_nan() { f64::NEG_INFINITY } else { v }
        };
        idx.sort_by(|&a, &b| key(b).total_cmp(&key(a)));
        for (r, i) in idx.into_iter().enumerate() {
            rank[i] = r as u32 + 1;
        }
    }
    rank
}

fn props(meta: &[(String, String)]) -> WriterProperties {
    let kv = meta
        .iter()
        .map(|(k, v)| KeyValue::new(k.clone(), v.clone()))
        .collect();
    WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_key_value_metadata(Some(kv))
        .build()
}

fn with_meta(fields: Vec<Field>, meta: &[(String, String)]) -> Arc<Schema> {
    let md: HashMap<String, String> = meta.iter().cloned().collect();
    Arc::new(Schema::new_with_metadata(fields, md))
}

/// Streams probe groups into the probe table; nothing appears at `path` until `finish`.
pub struct ProbeTableWriter {
    path: PathBuf,
    w: ArrowWriter<AtomicFile>,
    schema: Arc<Schema>,
    metrics: Vec<Metric>,
    rows: usize,
}

impl std::fmt::Debug for ProbeTableWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ProbeTableWriter({}, {} rows)",
            self.path.display(),
            self.rows
        )
    }
}

impl ProbeTableWriter {
    /// Starts the table; `meta` becomes file and schema key-value metadata.
    pub fn create(
        path: &Path,
        metrics: &[Metric],
        meta: &[(String, String)],
    ) -> Result<Self, ProbeError> {
        let dims = DataType::List(Arc::new(Field::new_list_field(DataType::UInt16, true)));
        let fields = vec![
            Field::new(COL_LAYER, DataType::Int32, false),
            Field::new(COL_READOUT, DataType::Utf8, false),
            Field::new(COL_METHOD, DataType::Utf8, false),
            Field::new(COL_DIMS, dims, false),
            Field::new(COL_K, DataType::UInt16, false),
            Field::new(COL_METRIC, DataType::Utf8, false),
            Field::new(COL_DEV, DataType::Float64, false),
            Field::new(COL_TEST, DataType::Float64, false),
            Field::new(COL_RANK, DataType::UInt32, false),
        ];
        let schema = with_meta(fields, meta);
        let file = AtomicFile::create(path).map_err(|e| ProbeError::Io {
            path: path.into(),
            err: e,
        })?;
        let w = ArrowWriter::try_new(file, schema.clone(), Some(props(meta))).map_err(|e| {
            ProbeError::Parquet {
                path: path.into(),
                err: e,
            }
        })?;
        Ok(Self {
            path: path.into(),
            w,
            schema,
            metrics: metrics.to_vec(),
            rows: 0,
        })
    }

    /// Appends one group: a row per (result, metric), ranked within method and metric.
    pub fn write(&mut self, g: &ProbeGroup) -> Result<(), ProbeError> {
        let metrics = &self.metrics;
        let rows = g.results.len() * metrics.len();
        let ranks: Vec<Vec<u32>> = (0..metrics.len()).map(|m| ranks(&g.results, m)).collect();
        let (mut method, mut metric, mut k, mut dev, mut test, mut rank) =
            (vec![], vec![], vec![], vec![], vec![], vec![]);
        let mut dims = ListBuilder::new(UInt16Builder::new());
        for (i, r) in g.results.iter().enumerate() {
            for (m, name) in metrics.iter().enumerate() {
                method.push(r.method.as_str());
                metric.push(name.name());
                k.push(r.k);
                dev.push(r.dev[m]);
                test.push(r.test[m]);
                rank.push(ranks[m][i]);
                dims.values().append_slice(&r.dims);
                dims.append(true);
            }
        }
        let cols: Vec<ArrayRef> = vec![
            Arc::new(Int32Array::from(vec![g.layer; rows])),
            Arc::new(StringArray::from(vec![g.readout.as_str(); rows])),
            Arc::new(StringArray::from(method)),
            Arc::new(dims.finish()),
            Arc::new(UInt16Array::from(k)),
            Arc::new(StringArray::from(metric)),
            Arc::new(Float64Array::from(dev)),
            Arc::new(Float64Array::from(test)),
            Arc::new(UInt32Array::from(rank)),
        ];
        let batch = RecordBatch::try_new(self.schema.clone(), cols).map_err(|e| {
            ProbeError::Invalid(format!("{}: probe batch: {e}", self.path.display()))
        })?;
        self.w.write(&batch).map_err(|e| ProbeError::Parquet {
            path: self.path.clone(),
            err: e,
        })?;
        self.rows += rows;
        Ok(())
    }

    /// Closes the parquet file and moves it into place; returns the row count.
    pub fn finish(self) -> Result<usize, ProbeError> {
        let path = self.path;
        let file = self.w.into_inner().map_err(|e| ProbeError::Parquet {
            path: path.clone(),
            err: e,
        })?;
        file.commit().map_err(|e| ProbeError::Io { path, err: e })?;
        Ok(self.rows)
    }
}

/// Writes a whole probe table at once. Returns the row count.
pub fn write_probes(
    path: &Path,
    groups: &[ProbeGroup],
    metrics: &[Metric],
    meta: &[(String, String)],
) -> Result<usize, ProbeError> {
    let mut w = ProbeTableWriter::create(path, metrics, meta)?;
    for g in groups {
        w.write(g)?;
    }
    w.finish()
}

/// Writes the CKA table.
pub fn write_cka(
    path: &Path,
    rows: &[CkaRow],
    meta: &[(String, String)],
) -> Result<(), ProbeError> {
    let cols: Vec<(&str, ArrayRef)> = vec![
        (
            COL_LAYER,
            Arc::new(Int32Array::from_iter_values(rows.iter().map(|r| r.layer))),
        ),
        (
            COL_READOUT,
            Arc::new(StringArray::from_iter_values(
                rows.iter().map(|r| r.readout.as_str()),
            )),
        ),
        (
            COL_CKA,
            Arc::new(Float64Array::from_iter_values(rows.iter().map(|r| r.cka))),
        ),
        (
            COL_MEAN_COSINE,
            Arc::new(Float64Array::from_iter_values(
                rows.iter().map(|r| r.mean_cosine),
            )),
        ),
        (
            COL_N,
            Arc::new(UInt32Array::from_iter_values(rows.iter().map(|r| r.n))),
        ),
    ];
    let fields = cols
        .iter()
        .map(|(n, a)| Field::new(*n, a.data_type().clone(), false))
        .collect();
    let schema = with_meta(fields, meta);
    let batch = RecordBatch::try_new(schema.clone(), cols.into_iter().map(|(_, a)| a).collect())
        .map_err(|e| ProbeError::Invalid(format!("cka table: {e}")))?;
    let pq = |e| ProbeError::Parquet {
        path: path.into(),
        err: e,
    };
    let file = AtomicFile::create(path).map_err(|e| ProbeError::Io {
        path: path.into(),
        err: e,
    })?;
    let mut w = ArrowWriter::try_new(file, schema, Some(props(meta))).map_err(pq)?;
    w.write(&batch).map_err(pq)?;
    w.into_inner()
        .map_err(pq)?
        .commit()
        .map_err(|e| ProbeError::Io {
            path: path.into(),
            err: e,
        })
}

/// One row of a probe table, as read back.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeRow {
    pub layer: i32,
    pub readout: String,
    pub method: String,
    pub dims: Vec<u16>,
    pub k: u16,
    pub metric: String,
    pub dev: f64,
    pub test: f64,
    pub rank: u32,
}

/// Reads a probe table: its rows in file order and its key-value metadata.
pub fn read_probes(path: &Path) -> Result<(Vec<ProbeRow>, HashMap<String, String>), ProbeError> {
    use arrow::array::{Array, ListArray};
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let pq = |e| ProbeError::Parquet {
        path: path.into(),
        err: e,
    };
    let file = std::fs::File::open(path).map_err(|e| ProbeError::Io {
        path: path.into(),
        err: e,
    })?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(pq)?;
    let meta: HashMap<String, String> = builder
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .map(|kv| {
            kv.iter()
                .map(|k| (k.key.clone(), k.value.clone().unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default();
    let bad = |col: &str, want: &str| {
        ProbeError::Invalid(format!(
            "{}: column `{col}` is missing or not {want}",
            path.display()
        ))
    };
    let mut rows = vec![];
    for batch in builder.build().map_err(pq)? {
        let batch = batch.map_err(|e| ProbeError::Invalid(format!("{}: {e}", path.display())))?;
        macro_rules! col {
            ($name:expr, $ty:ty, $want:expr) => {
                batch
                    .column_by_name($name)
                    .and_then(|c| c.as_any().downcast_ref::<$ty>())
                    .ok_or_else(|| bad($name, $want))?
            };
        }
        let layer = col!(COL_LAYER, Int32Array, "int32");
        let readout = col!(COL_READOUT, StringArray, "utf8");
        let method = col!(COL_METHOD, StringArray, "utf8");
        let dims = col!(COL_DIMS, ListArray, "list<u16>");
        let k = col!(COL_K, UInt16Array, "uint16");
        let metric = col!(COL_METRIC, StringArray, "utf8");
        let dev = col!(COL_DEV, Float64Array, "float64");
        let test = col!(COL_TEST, Float64Array, "float64");
        let rank = col!(COL_RANK, UInt32Array, "uint32");
        for i in 0..batch.num_rows() {
            let d = dims.value(i);
            let d = d
                .as_any()
                .downcast_ref::<UInt16Array>()
                .ok_or_else(|| bad(COL_DIMS, "list<u16>"))?;
            rows.push(ProbeRow {
                layer: layer.value(i),
                readout: readout.value(i).to_string(),
                method: method.value(i).to_string(),
                dims: d.values().to_vec(),
                k: k.value(i),
                metric: metric.value(i).to_string(),
                dev: dev.value(i),
                test: test.value(i),
                rank: rank.value(i),
            });
        }
    }
    Ok((rows, meta))
}
