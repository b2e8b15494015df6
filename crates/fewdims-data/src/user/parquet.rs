//! A user's parquet file (pandas, pyarrow, polars or a `datasets` export): only the named
//! columns are read. Text, integer, float and boolean columns are accepted (dictionary-encoded
//! text, pandas' categorical, too). `datasets` writes its features as JSON under the
//! `huggingface` metadata key; a ClassLabel label column there gives the class names.

use super::table::{At, Cell, LABEL, RawRow, RawTable, Wanted, empty_file, positions};
use crate::error::{DataError, Result};
use crate::text::sha256_file;
use arrow::array::{Array, ArrayRef, BooleanArray, Float64Array, Int64Array, StringArray};
use arrow::compute::{CastOptions, cast_with_options};
use arrow::datatypes::DataType;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::collections::HashMap;
use std::path::Path;

/// The metadata key `datasets` writes its features under.
pub const HF_KEY: &str = "huggingface";

/// Reads the wanted columns of `path`.
pub fn read_parquet(path: &Path, wanted: &Wanted) -> Result<RawTable> {
    let len = std::fs::metadata(path)
        .map_err(|e| DataError::io(path, e))?
        .len();
    if len == 0 {
        return Err(empty_file(path, "the file is empty"));
    }
    let file = std::fs::File::open(path).map_err(|e| DataError::io(path, e))?;
    let builder =
        ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| DataError::parquet(path, e))?;
    let kv: HashMap<String, String> = builder
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .map(|es| {
            es.iter()
                .map(|e| (e.key.clone(), e.value.clone().unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default();
    let schema = builder.schema().clone();
    let columns: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    let pos = positions(path, &columns, wanted)?;
    // Top-level arrow fields are the parquet schema's roots, in order.
    let mut roots: Vec<usize> = pos.iter().flatten().copied().collect();
    roots.sort_unstable();
    roots.dedup();
    let mask = ProjectionMask::roots(builder.parquet_schema(), roots);
    let reader = builder
        .with_projection(mask)
        .build()
        .map_err(|e| DataError::parquet(path, e))?;
    let batches = crate::pq::guard(path, || {
        reader
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| DataError::arrow(path, e))
    })?;
    let n: usize = batches.iter().map(|b| b.num_rows()).sum();
    if n == 0 {
        return Err(empty_file(path, "the file has no rows"));
    }
    let mut rows: Vec<RawRow> = (0..n)
        .map(|i| RawRow {
            at: At::Row(i),
            cells: [Cell::Missing, Cell::Missing, Cell::Missing, Cell::Missing],
        })
        .collect();
    for (k, name) in wanted.iter().enumerate() {
        let Some(name) = name else { continue };
        let mut i = 0;
        for batch in &batches {
            let col = batch.column_by_name(name).expect("projected");
            for cell in cells(path, name, col)? {
                rows[i].cells[k] = cell;
                i += 1;
            }
        }
    }
    let class_names = wanted[LABEL]
        .as_deref()
        .and_then(|label| class_label_names(&kv, label));
    Ok(RawTable {
        path: path.into(),
        sha256: sha256_file(path)?,
        rows,
        class_names,
        from_datasets: kv.contains_key(HF_KEY),
    })
}

/// One column as cells; types other than text, numbers and booleans are refused.
fn cells(path: &Path, name: &str, col: &ArrayRef) -> Result<Vec<Cell>> {
    let dt = col.data_type();
    let strict = CastOptions {
        safe: false, // an out-of-range value is an error, not a silent null
        ..Default::default()
    };
    let cast = |to: &DataType| {
        cast_with_options(col, to, &strict)
            .map_err(|e| DataError::column(path, name, e.to_string()))
    };
    let texty =
        |t: &DataType| matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View);
    let out: Vec<Cell> = if texty(dt) || matches!(dt, DataType::Dictionary(_, v) if texty(v)) {
        let a = cast(&DataType::Utf8)?;
        let a = a.as_any().downcast_ref::<StringArray>().expect("utf8");
        a.iter()
            .map(|v| v.map_or(Cell::Null, |s| Cell::Text(s.to_string())))
            .collect()
    } else if dt.is_integer() {
        let a = cast(&DataType::Int64)?;
        let a = a.as_any().downcast_ref::<Int64Array>().expect("i64");
        a.iter().map(|v| v.map_or(Cell::Null, Cell::Int)).collect()
    } else if dt.is_floating() {
        let a = cast(&DataType::Float64)?;
        let a = a.as_any().downcast_ref::<Float64Array>().expect("f64");
        a.iter()
            .map(|v| v.map_or(Cell::Null, Cell::Float))
            .collect()
    } else if *dt == DataType::Boolean {
        let a = col.as_any().downcast_ref::<BooleanArray>().expect("bool");
        a.iter().map(|v| v.map_or(Cell::Null, Cell::Bool)).collect()
    } else if *dt == DataType::Null {
        vec![Cell::Null; col.len()]
    } else {
        return Err(DataError::column(
            path,
            name,
            format!("has type {dt}; expected text, a number or a boolean"),
        ));
    };
    Ok(out)
}

/// The ClassLabel names of `column` in `datasets`' metadata
/// (`{"info": {"features": {column: {"_type": "ClassLabel", "names": [...]}}}}`).
pub fn class_label_names(kv: &HashMap<String, String>, column: &str) -> Option<Vec<String>> {
    let json: serde_json::Value = serde_json::from_str(kv.get(HF_KEY)?).ok()?;
    let features = json
        .get("info")
        .and_then(|i| i.get("features"))
        .or_else(|| json.get("features"))?;
    let feature = features.get(column)?;
    if feature.get("_type")?.as_str()? != "ClassLabel" {
        return None;
    }
    feature
        .get("names")?
        .as_array()?
        .iter()
        .map(|n| n.as_str().map(str::to_string))
        .collect()
}
