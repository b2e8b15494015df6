//! Mutants of parquet files: byte edits aimed at the footer and page headers, and structural
//! ones written by a real writer: key-value metadata removed, duplicated, emptied or set to
//! hostile values; columns dropped, renamed onto each other, cast to other types or nulled;
//! values at the edges of their type; rows cut or doubled; one row per row group and page.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, Float32Array, Float64Array, Int32Array, Int64Array, ListArray, RecordBatch,
    RecordBatchOptions, StringArray, UInt8Array, UInt16Array, UInt32Array, new_null_array,
};
use arrow::buffer::OffsetBuffer;
use arrow::datatypes::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::arrow_writer::ArrowWriterOptions;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;

use crate::{Bytes, Lcg, Mutant};

/// A valid parquet file, read back, ready to be mutated.
#[derive(Debug)]
pub struct ParquetSeed {
    batch: RecordBatch,
    kv: Vec<(String, String)>,
    bytes: Bytes,
}

impl ParquetSeed {
    /// Reads `orig` (through a file in `scratch`) and finds its footer and column chunks.
    pub fn new(orig: &[u8], scratch: &Path) -> Self {
        let path = scratch.join("seed.parquet");
        std::fs::write(&path, orig).expect("scratch file");
        let builder = ParquetRecordBatchReaderBuilder::try_new(File::open(&path).unwrap())
            .expect("the seed is a valid parquet file");
        let md = builder.metadata().clone();
        let kv = md
            .file_metadata()
            .key_value_metadata()
            .into_iter()
            .flatten()
            .filter(|k| k.key != "ARROW:schema")
            .map(|k| (k.key.clone(), k.value.clone().unwrap_or_default()))
            .collect();
        let schema = builder.schema().clone();
        let batches: Vec<RecordBatch> = builder.build().unwrap().map(|b| b.unwrap()).collect();
        let batch = arrow::compute::concat_batches(&schema, &batches).unwrap();
        let len = orig.len();
        let meta_len = u32::from_le_bytes(orig[len - 8..len - 4].try_into().unwrap()) as usize;
        let footer = len - 8 - meta_len;
        let mut cuts = vec![4, footer, len - 8, len - 4];
        let mut bytes = Bytes::new(orig).hot(footer..len);
        for rg in md.row_groups() {
            for c in rg.columns() {
                let (start, n) = c.byte_range();
                cuts.extend([start as usize, (start + n) as usize]);
                cuts.push(c.data_page_offset() as usize);
                bytes = bytes.hot(start as usize..start as usize + 24);
            }
        }
        let _ = std::fs::remove_file(&path);
        Self {
            batch,
            kv,
            bytes: bytes.boundaries(&cuts),
        }
    }

    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// Mutant `i` of `n`: even ones are byte edits, odd ones structural (a fifth of those
    /// with a byte edit on top).
    pub fn mutant(&self, i: usize, n: usize, rng: &mut Lcg, strings: &[String]) -> Mutant {
        if i.is_multiple_of(2) {
            return self.bytes.mutant(i / 2, n / 2, rng);
        }
        let m = self.structural(rng, strings);
        if rng.chance(1, 5) && !m.bytes.is_empty() {
            let e = Bytes::new(&m.bytes).mutant(1, 2, rng);
            return Mutant {
                what: format!("{}; then {}", m.what, e.what),
                bytes: e.bytes,
            };
        }
        m
    }

    fn structural(&self, rng: &mut Lcg, strings: &[String]) -> Mutant {
        let mut kv: Vec<(String, Option<String>)> = self
            .kv
            .iter()
            .map(|(k, v)| (k.clone(), Some(v.clone())))
            .collect();
        let mut batch = self.batch.clone();
        let mut small_groups = false;
        let mut skip_arrow_schema = false;
        let mut what = vec![];
        for _ in 0..1 + rng.below(2) {
            let step = match rng.below(12) {
                0..=3 => kv_edit(&mut kv, rng, strings),
                4..=8 => column_edit(&mut batch, rng).unwrap_or_else(|| {
                    kv.pop();
                    "dropped the last metadata key".into()
                }),
                9 => {
                    let n = batch.num_rows();
                    let (from, len) = *rng.pick(&[(0, 0), (0, 1.min(n)), (n / 2, n - n / 2)]);
                    batch = batch.slice(from, len);
                    format!("kept rows {from}..{}", from + len)
                }
                10 => {
                    batch =
                        arrow::compute::concat_batches(&batch.schema(), [&batch, &batch]).unwrap();
                    "every row twice".into()
                }
                _ => {
                    if rng.chance(1, 2) {
                        small_groups = true;
                        "one row per row group and page".into()
                    } else {
                        skip_arrow_schema = true;
                        "no ARROW:schema".into()
                    }
                }
            };
            what.push(step);
        }
        let kv: Vec<KeyValue> = kv
            .into_iter()
            .map(|(key, value)| KeyValue { key, value })
            .collect();
        let mut props = WriterProperties::builder().set_key_value_metadata(Some(kv));
        if small_groups {
            props = props
                .set_max_row_group_row_count(Some(1))
                .set_data_page_row_count_limit(1)
                .set_write_batch_size(1)
                .set_dictionary_enabled(false);
        }
        let options = ArrowWriterOptions::new()
            .with_properties(props.build())
            .with_skip_arrow_metadata(skip_arrow_schema);
        let mut w =
            ArrowWriter::try_new_with_options(Vec::new(), batch.schema(), options).expect("writer");
        w.write(&batch).expect("write");
        Mutant {
            what: what.join("; "),
            bytes: w.into_inner().expect("finish"),
        }
    }
}

fn kv_edit(kv: &mut Vec<(String, Option<String>)>, rng: &mut Lcg, strings: &[String]) -> String {
    let hostile = crate::hostile_strings();
    let value = |rng: &mut Lcg| -> String {
        if !strings.is_empty() && rng.chance(1, 2) {
            rng.pick(strings).clone()
        } else {
            rng.pick(&hostile).clone()
        }
    };
    if kv.is_empty() {
        let v = value(rng);
        kv.push(("x".into(), Some(v)));
        return "added key x".into();
    }
    let i = rng.below(kv.len());
    let key = kv[i].0.clone();
    match rng.below(5) {
        0 => {
            kv.remove(i);
            format!("removed key {key}")
        }
        1 => {
            let v = value(rng);
            let at = if rng.chance(1, 2) { i } else { i + 1 };
            kv.insert(at, (key.clone(), Some(v.clone())));
            format!("key {key} twice, once = {:?}", short(&v))
        }
        2 => {
            kv[i].1 = None;
            format!("key {key} without a value")
        }
        _ => {
            let v = value(rng);
            kv[i].1 = Some(v.clone());
            format!("key {key} = {:?}", short(&v))
        }
    }
}

fn short(s: &str) -> String {
    s.chars().take(40).collect()
}

/// The batch with `cols` under `fields` (its schema metadata kept).
fn rebuild(batch: &RecordBatch, fields: Vec<Field>, cols: Vec<ArrayRef>) -> Option<RecordBatch> {
    let schema = Schema::new_with_metadata(fields, batch.schema().metadata().clone());
    let opts = RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
    RecordBatch::try_new_with_options(Arc::new(schema), cols, &opts).ok()
}

fn column_edit(batch: &mut RecordBatch, rng: &mut Lcg) -> Option<String> {
    let schema = batch.schema();
    let mut fields: Vec<Field> = schema.fields().iter().map(|f| f.as_ref().clone()).collect();
    let mut cols: Vec<ArrayRef> = batch.columns().to_vec();
    if fields.is_empty() {
        return None;
    }
    let c = rng.below(fields.len());
    let name = fields[c].name().clone();
    let n = batch.num_rows();
    let what = match rng.below(6) {
        0 => {
            fields.remove(c);
            cols.remove(c);
            format!("dropped column {name}")
        }
        1 => {
            let other = fields[rng.below(fields.len())].name().clone();
            fields[c] = fields[c].clone().with_name(other.clone());
            format!("renamed column {name} to {other}")
        }
        2 => {
            let to = rng
                .pick(&[
                    DataType::Int64,
                    DataType::Int32,
                    DataType::UInt32,
                    DataType::UInt16,
                    DataType::UInt8,
                    DataType::Float32,
                    DataType::Float64,
                    DataType::Utf8,
                    DataType::LargeUtf8,
                    DataType::Boolean,
                    DataType::new_list(DataType::Int64, true),
                    DataType::new_list(DataType::UInt32, false),
                    DataType::new_list(DataType::UInt16, false),
                ])
                .clone();
            cols[c] = arrow::compute::cast(&cols[c], &to).ok()?;
            fields[c] = fields[c]
                .clone()
                .with_data_type(to.clone())
                .with_nullable(true);
            format!("column {name} cast to {to}")
        }
        3 if n > 0 => {
            let r = rng.below(n);
            let null = new_null_array(cols[c].data_type(), 1);
            cols[c] = splice(&cols[c], r, &null)?;
            fields[c] = fields[c].clone().with_nullable(true);
            format!("column {name} row {r} null")
        }
        4 => {
            cols[c] = new_null_array(cols[c].data_type(), n);
            fields[c] = fields[c].clone().with_nullable(true);
            format!("column {name} all null")
        }
        _ if n > 0 => {
            let r = rng.below(n);
            let (one, shown) = edge(cols[c].data_type(), rng)?;
            cols[c] = splice(&cols[c], r, &one)?;
            format!("column {name} row {r} = {shown}")
        }
        _ => return None,
    };
    *batch = rebuild(batch, fields, cols)?;
    Some(what)
}

/// `col` with row `r` replaced by the one-row `one`.
fn splice(col: &ArrayRef, r: usize, one: &ArrayRef) -> Option<ArrayRef> {
    let n = col.len();
    let (a, b) = (col.slice(0, r), col.slice(r + 1, n - r - 1));
    arrow::compute::concat(&[a.as_ref(), one.as_ref(), b.as_ref()]).ok()
}

/// `k` copies of a value at an edge of type `dt`.
fn fill(dt: &DataType, k: usize, rng: &mut Lcg) -> Option<(ArrayRef, String)> {
    macro_rules! edge {
        ($arr:ty, $vals:expr) => {{
            let v = *rng.pick(&$vals);
            (
                Arc::new(<$arr>::from(vec![v; k])) as ArrayRef,
                format!("{v:?}"),
            )
        }};
    }
    Some(match dt {
        DataType::UInt8 => edge!(UInt8Array, [0, 1, u8::MAX]),
        DataType::UInt16 => edge!(UInt16Array, [0, u16::MAX]),
        DataType::UInt32 => edge!(UInt32Array, [0, u32::MAX, 1 << 31]),
        DataType::Int32 => edge!(Int32Array, [i32::MIN, -1, i32::MAX]),
        DataType::Int64 => edge!(Int64Array, [i64::MIN, -2, -1, i64::MAX, 1 << 40]),
        DataType::Float32 => edge!(Float32Array, [f32::NAN, f32::INFINITY, -1.0, f32::MAX]),
        DataType::Float64 => edge!(Float64Array, [f64::NAN, f64::NEG_INFINITY, -1.0, f64::MAX]),
        DataType::Utf8 => {
            let s = rng
                .pick(&["", "x", "cls", "pos:99999", "dev", "\u{1F600}"])
                .to_string();
            let shown = format!("{s:?}");
            (Arc::new(StringArray::from(vec![s; k])) as ArrayRef, shown)
        }
        DataType::List(item) => {
            let k2 = *rng.pick(&[0usize, 1, 600]);
            let (values, shown) = fill(item.data_type(), k2, rng)?;
            let offsets = OffsetBuffer::<i32>::from_lengths(std::iter::repeat_n(k2, k));
            let list = ListArray::try_new(item.clone(), offsets, values, None).ok()?;
            (Arc::new(list) as ArrayRef, format!("[{shown}; {k2}]"))
        }
        _ => return None,
    })
}

fn edge(dt: &DataType, rng: &mut Lcg) -> Option<(ArrayRef, String)> {
    fill(dt, 1, rng)
}
