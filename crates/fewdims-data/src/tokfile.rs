//! Token parquet files (`data/tok/<model>/<task>/<split>.parquet`): writing and validated
//! reading. See `fewdims_schema::token` for the contract.

use crate::error::{DataError, Result};
use crate::meta::TaskMeta;
use crate::pq::{self, Table};
use crate::taskfile::{Label, check_labels, label_array, label_type, read_labels};
use arrow::array::{Array, ArrayRef, ListArray, RecordBatch, UInt8Array, UInt32Array};
use arrow::buffer::OffsetBuffer;
use arrow::datatypes::{DataType, Field, Schema};
use fewdims_schema::AtomicFile;
use fewdims_schema::task::{IDX, KEY_FORMAT, LABEL};
use fewdims_schema::token::{self as schema, INPUT_IDS, TOKEN_TYPE_IDS};
use std::path::Path;
use std::sync::Arc;

/// How a split was tokenized.
#[derive(Debug, Clone, PartialEq)]
pub struct TokMeta {
    pub tokenizer: String,
    pub tokenizer_sha256: String,
    pub max_len: usize,
    pub truncated: usize,
    pub pad_id: Option<u32>,
}

/// A tokenized split, rows stored flat: row `i` spans `offsets[i]..offsets[i + 1]`.
#[derive(Debug, Clone)]
pub struct TokenSplit {
    pub meta: TaskMeta,
    pub tok: TokMeta,
    pub idx: Vec<u32>,
    pub offsets: Vec<usize>,
    pub input_ids: Vec<u32>,
    pub token_type_ids: Vec<u8>,
    pub labels: Vec<Label>,
}

impl TokenSplit {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.idx.len()
    }
    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.idx.is_empty()
    }
    /// The ids and token types of row `i`.
    pub fn row(&self, i: usize) -> (&[u32], &[u8]) {
        let r = self.offsets[i]..self.offsets[i + 1];
        (&self.input_ids[r.clone()], &self.token_type_ids[r])
    }
}

fn list_field<T: Into<DataType>>(name: &str, item: T) -> Field {
    Field::new(
        name,
        DataType::List(Arc::new(Field::new("item", item.into(), false))),
        false,
    )
}

/// Writes `split` to a temp file beside `dest`; commit the returned file to publish it.
pub fn write_token_split(dest: &Path, split: &TokenSplit) -> Result<AtomicFile> {
    let kind = split.meta.kind;
    let lengths = split.offsets.windows(2).map(|w| w[1] - w[0]);
    let offsets = OffsetBuffer::<i32>::from_lengths(lengths);
    let ids = ListArray::new(
        Arc::new(Field::new("item", DataType::UInt32, false)),
        offsets.clone(),
        Arc::new(UInt32Array::from(split.input_ids.clone())),
        None,
    );
    let types = ListArray::new(
        Arc::new(Field::new("item", DataType::UInt8, false)),
        offsets,
        Arc::new(UInt8Array::from(split.token_type_ids.clone())),
        None,
    );
    let schema = Schema::new(vec![
        Field::new(IDX, DataType::UInt32, false),
        list_field(INPUT_IDS, DataType::UInt32),
        list_field(TOKEN_TYPE_IDS, DataType::UInt8),
        Field::new(LABEL, label_type(kind), false),
    ]);
    let columns: Vec<ArrayRef> = vec![
        Arc::new(UInt32Array::from(split.idx.clone())),
        Arc::new(ids),
        Arc::new(types),
        label_array(kind, split.labels.iter().copied()),
    ];
    let batch =
        RecordBatch::try_new(Arc::new(schema), columns).map_err(|e| DataError::arrow(dest, e))?;
    pq::write_batch(dest, &batch, &kv(split))
}

fn kv(split: &TokenSplit) -> Vec<(String, String)> {
    let mut kv: Vec<(String, String)> = split
        .meta
        .to_kv()
        .into_iter()
        .filter(|(k, _)| k != KEY_FORMAT)
        .collect();
    let t = &split.tok;
    kv.insert(0, (KEY_FORMAT.into(), schema::FORMAT.into()));
    kv.push((schema::KEY_TOKENIZER.into(), t.tokenizer.clone()));
    kv.push((
        schema::KEY_TOKENIZER_SHA256.into(),
        t.tokenizer_sha256.clone(),
    ));
    kv.push((schema::KEY_MAX_LEN.into(), t.max_len.to_string()));
    kv.push((schema::KEY_TRUNCATED.into(), t.truncated.to_string()));
    if let Some(pad) = t.pad_id {
        kv.push((schema::KEY_PAD_ID.into(), pad.to_string()));
    }
    kv
}

fn list_values<'a, T: 'static>(
    table: &'a Table,
    path: &Path,
    name: &str,
    item: DataType,
) -> Result<(&'a ListArray, &'a T)> {
    let col = table.column(path, name)?;
    let list = col
        .as_any()
        .downcast_ref::<ListArray>()
        .filter(|l| l.value_type() == item)
        .ok_or_else(|| {
            DataError::column(
                path,
                name,
                format!("expected list<{item}>, found {}", col.data_type()),
            )
        })?;
    if list.null_count() > 0 || list.values().null_count() > 0 {
        return Err(DataError::column(path, name, "has nulls"));
    }
    let values = list
        .values()
        .as_any()
        .downcast_ref::<T>()
        .expect("checked item type");
    Ok((list, values))
}

/// Reads and validates a token file: metadata, column types, lengths and labels.
pub fn read_token_split(path: &Path) -> Result<TokenSplit> {
    let table = pq::read_table(path)?;
    match table.kv.get(KEY_FORMAT).map(String::as_str) {
        Some(schema::FORMAT) => {}
        other => {
            return Err(DataError::metadata(
                path,
                KEY_FORMAT,
                format!("expected `{}`, found {other:?}", schema::FORMAT),
            ));
        }
    }
    let meta = TaskMeta::from_kv(path, &table.kv)?;
    let num = |key: &str| -> Result<usize> {
        let raw = table
            .kv
            .get(key)
            .ok_or_else(|| DataError::metadata(path, key, "missing"))?;
        raw.parse()
            .map_err(|_| DataError::metadata(path, key, format!("`{raw}` is not a count")))
    };
    let tok = TokMeta {
        tokenizer: table
            .kv
            .get(schema::KEY_TOKENIZER)
            .cloned()
            .unwrap_or_default(),
        tokenizer_sha256: table
            .kv
            .get(schema::KEY_TOKENIZER_SHA256)
            .cloned()
            .unwrap_or_default(),
        max_len: num(schema::KEY_MAX_LEN)?,
        truncated: num(schema::KEY_TRUNCATED)?,
        pad_id: table
            .kv
            .get(schema::KEY_PAD_ID)
            .and_then(|p| p.parse().ok()),
    };
    let idx = table.expect_type(path, IDX, &DataType::UInt32)?;
    let idx = idx
        .as_any()
        .downcast_ref::<UInt32Array>()
        .expect("checked type");
    let (ids_list, ids) = list_values::<UInt32Array>(&table, path, INPUT_IDS, DataType::UInt32)?;
    let (types_list, types) =
        list_values::<UInt8Array>(&table, path, TOKEN_TYPE_IDS, DataType::UInt8)?;
    let labels = read_labels(&table, path, meta.kind)?;
    check_labels(path, &meta, &labels, &|i| format!("row {i}"))?;
    let base = ids_list.value_offsets()[0] as usize;
    let offsets: Vec<usize> = ids_list
        .value_offsets()
        .iter()
        .map(|&o| o as usize - base)
        .collect();
    for i in 0..ids_list.len() {
        let (n, m) = (
            ids_list.value_length(i) as usize,
            types_list.value_length(i) as usize,
        );
        if n != m {
            return Err(DataError::cell(
                path,
                format!("row {i}"),
                TOKEN_TYPE_IDS,
                format!("{m} token types for {n} ids"),
            ));
        }
        if n > tok.max_len {
            return Err(DataError::cell(
                path,
                format!("row {i}"),
                INPUT_IDS,
                format!("{n} ids, more than max_len {}", tok.max_len),
            ));
        }
    }
    let tbase = types_list.value_offsets()[0] as usize;
    let total = *offsets.last().unwrap_or(&0);
    Ok(TokenSplit {
        meta,
        tok,
        idx: idx.values().to_vec(),
        offsets,
        input_ids: ids.values()[base..base + total].to_vec(),
        token_type_ids: types.values()[tbase..tbase + total].to_vec(),
        labels,
    })
}
