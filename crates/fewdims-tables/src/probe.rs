//! The probe table `probes/<id>/<task>.parquet` (contract: `fewdims_schema::probe`): one row
//! per (probe, metric), written in groups of one (layer, readout).

use std::path::Path;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, Float64Array, Int32Array, ListArray, ListBuilder, StringArray, UInt16Array,
    UInt16Builder, UInt32Array,
};
use fewdims_schema::probe::*;

use crate::io::{RowWriter, bad_value, column, read_table};
use crate::{Table, TableError};

/// One row of a probe table.
#[derive(Clone, Debug, PartialEq)]
pub struct ProbeRow {
    /// 0 = embeddings; `pooler` rows carry the layer the pooler reads.
    pub layer: i32,
    pub readout: String,
    pub method: Method,
    /// Sorted ascending, except `greedy` rows (in the order added); empty for `full`.
    pub dims: Vec<u16>,
    /// `dims.len()`; the hidden size for `full`.
    pub k: u16,
    pub metric: String,
    pub dev: f64,
    /// NaN when the test split is missing or unlabelled.
    pub test: f64,
    /// Rank of `dev` within its (layer, readout, method, metric), 1 = best.
    pub rank: u32,
}

fn columns(rows: &[ProbeRow]) -> Vec<(&'static str, ArrayRef)> {
    let mut dims = ListBuilder::new(UInt16Builder::new());
    for r in rows {
        dims.values().append_slice(&r.dims);
        dims.append(true);
    }
    let strs = |f: fn(&ProbeRow) -> &str| -> ArrayRef {
        Arc::new(StringArray::from_iter_values(rows.iter().map(f)))
    };
    vec![
        (
            COL_LAYER,
            Arc::new(Int32Array::from_iter_values(rows.iter().map(|r| r.layer))),
        ),
        (COL_READOUT, strs(|r| &r.readout)),
        (COL_METHOD, strs(|r| r.method.as_str())),
        (COL_DIMS, Arc::new(dims.finish())),
        (
            COL_K,
            Arc::new(UInt16Array::from_iter_values(rows.iter().map(|r| r.k))),
        ),
        (COL_METRIC, strs(|r| &r.metric)),
        (
            COL_DEV,
            Arc::new(Float64Array::from_iter_values(rows.iter().map(|r| r.dev))),
        ),
        (
            COL_TEST,
            Arc::new(Float64Array::from_iter_values(rows.iter().map(|r| r.test))),
        ),
        (
            COL_RANK,
            Arc::new(UInt32Array::from_iter_values(rows.iter().map(|r| r.rank))),
        ),
    ]
}

/// Streams groups of rows into a probe table; nothing appears at `path` until `finish`.
pub type ProbeTableWriter<'p> = RowWriter<'p, ProbeRow>;

impl<'p> ProbeTableWriter<'p> {
    /// Starts the file; `meta` (the `META_*` keys) becomes file and schema metadata.
    pub fn create(path: &'p Path, meta: &[(String, String)]) -> Result<Self, TableError> {
        RowWriter::start(path, meta, columns)
    }
}

/// Writes a whole probe table at once; returns the row count.
pub fn write(
    path: &Path,
    rows: &[ProbeRow],
    meta: &[(String, String)],
) -> Result<usize, TableError> {
    RowWriter::write_all(path, meta, columns, rows)
}

/// Reads a probe table; a missing or mistyped column or an unknown method is an error.
pub fn read(path: &Path) -> Result<Table<ProbeRow>, TableError> {
    read_table(path, |b, rows| {
        let layer = column::<Int32Array>(path, b, COL_LAYER, "int32")?;
        let readout = column::<StringArray>(path, b, COL_READOUT, "utf8")?;
        let method = column::<StringArray>(path, b, COL_METHOD, "utf8")?;
        let dims = column::<ListArray>(path, b, COL_DIMS, "list<uint16>")?;
        let k = column::<UInt16Array>(path, b, COL_K, "uint16")?;
        let metric = column::<StringArray>(path, b, COL_METRIC, "utf8")?;
        let dev = column::<Float64Array>(path, b, COL_DEV, "float64")?;
        let test = column::<Float64Array>(path, b, COL_TEST, "float64")?;
        let rank = column::<UInt32Array>(path, b, COL_RANK, "uint32")?;
        for i in 0..b.num_rows() {
            let row = rows.len();
            let m = Method::parse(method.value(i)).ok_or_else(|| {
                bad_value(
                    path,
                    COL_METHOD,
                    row,
                    format!("unknown method {:?}", method.value(i)),
                )
            })?;
            let d = dims.value(i);
            let d = d
                .as_any()
                .downcast_ref::<UInt16Array>()
                .ok_or_else(|| bad_value(path, COL_DIMS, row, "not a list of uint16".into()))?;
            rows.push(ProbeRow {
                layer: layer.value(i),
                readout: readout.value(i).to_string(),
                method: m,
                dims: d.values().to_vec(),
                k: k.value(i),
                metric: metric.value(i).to_string(),
                dev: dev.value(i),
                test: test.value(i),
                rank: rank.value(i),
            });
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(method: Method, dims: &[u16], dev: f64) -> ProbeRow {
        ProbeRow {
            layer: 2,
            readout: "cls".into(),
            method,
            dims: dims.to_vec(),
            k: dims.len() as u16,
            metric: "accuracy".into(),
            dev,
            test: f64::NAN,
            rank: 1,
        }
    }

    #[test]
    fn round_trips_in_groups_with_metadata() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        let meta = vec![(META_TASK.to_string(), "movie".to_string())];
        let mut w = ProbeTableWriter::create(&path, &meta).unwrap();
        let a = vec![row(Method::Full, &[], 0.8), row(Method::Pair, &[3, 9], 0.7)];
        let b = vec![row(Method::Greedy, &[9, 3, 1], 0.75)];
        w.write(&a).unwrap();
        assert!(!path.exists(), "nothing at the path before finish");
        w.write(&b).unwrap();
        assert_eq!(w.finish().unwrap(), 3);
        let t = read(&path).unwrap();
        assert_eq!(t.meta(META_TASK), Some("movie"));
        assert_eq!(t.rows.len(), 3);
        assert_eq!(t.rows[2].dims, vec![9, 3, 1]);
        assert!(t.rows.iter().all(|r| r.test.is_nan()));
        let no_test = |rows: &[ProbeRow]| -> Vec<ProbeRow> {
            rows.iter()
                .map(|r| ProbeRow {
                    test: 0.0,
                    ..r.clone()
                })
                .collect()
        };
        assert_eq!(no_test(&t.rows[..2]), no_test(&a));
    }

    #[test]
    fn names_a_missing_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.parquet");
        let row = crate::cka::CkaRow {
            layer: 0,
            readout: "cls".into(),
            cka: 1.0,
            mean_cosine: 1.0,
            n: 3,
        };
        crate::cka::write(&path, &[row], &[]).unwrap();
        let err = read(&path).unwrap_err().to_string();
        assert!(
            err.contains("c.parquet") && err.contains("`method`: missing"),
            "{err}"
        );
    }
}
