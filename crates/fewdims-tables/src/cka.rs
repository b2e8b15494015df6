//! The CKA table `probes/cka/<a>_vs_<b>/<task>/<split>.parquet` (written by `rep-change`;
//! contract: `fewdims_schema::probe`): one row per (layer, readout).

use std::path::Path;
use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, Int32Array, StringArray, UInt32Array};
use fewdims_schema::probe::{COL_CKA, COL_LAYER, COL_MEAN_COSINE, COL_N, COL_READOUT};

use crate::io::{column, read_table, write_table};
use crate::{Compression, Table, TableError};

/// One row of a CKA table.
#[derive(Clone, Debug, PartialEq)]
pub struct CkaRow {
    pub layer: i32,
    pub readout: String,
    /// Linear CKA over the items.
    pub cka: f64,
    /// Mean over items of the cosine between an item's two vectors (NaN when sizes differ).
    pub mean_cosine: f64,
    /// Items compared.
    pub n: u32,
}

fn columns(rows: &[CkaRow]) -> Vec<(&'static str, ArrayRef)> {
    vec![
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
    ]
}

/// Writes the table atomically; `meta` (the `META_*` keys) becomes file and schema metadata.
pub fn write(path: &Path, rows: &[CkaRow], meta: &[(String, String)]) -> Result<(), TableError> {
    write_table(path, columns(rows), meta, Compression::Snappy)
}

/// Reads a CKA table; a missing or mistyped column is an error naming it.
pub fn read(path: &Path) -> Result<Table<CkaRow>, TableError> {
    read_table(path, |b, rows| {
        let layer = column::<Int32Array>(path, b, COL_LAYER, "int32")?;
        let readout = column::<StringArray>(path, b, COL_READOUT, "utf8")?;
        let cka = column::<Float64Array>(path, b, COL_CKA, "float64")?;
        let cos = column::<Float64Array>(path, b, COL_MEAN_COSINE, "float64")?;
        let n = column::<UInt32Array>(path, b, COL_N, "uint32")?;
        for i in 0..b.num_rows() {
            rows.push(CkaRow {
                layer: layer.value(i),
                readout: readout.value(i).to_string(),
                cka: cka.value(i),
                mean_cosine: cos.value(i),
                n: n.value(i),
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
        let path = dir.path().join("cka.parquet");
        let rows = vec![CkaRow {
            layer: 0,
            readout: "mean".into(),
            cka: 0.5,
            mean_cosine: f64::NAN,
            n: 12,
        }];
        write(&path, &rows, &[("a".into(), "{}".into())]).unwrap();
        let t = read(&path).unwrap();
        assert_eq!(t.meta("a"), Some("{}"));
        assert_eq!((t.rows[0].layer, t.rows[0].n, t.rows[0].cka), (0, 12, 0.5));
        assert!(t.rows[0].mean_cosine.is_nan());
    }
}
