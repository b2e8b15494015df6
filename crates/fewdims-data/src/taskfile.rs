//! Task parquet files (`data/tasks/<task>/<split>.parquet`): the in-memory form, writing and
//! validated reading. See `fewdims_schema::task` for the contract.

use crate::error::{DataError, Result};
use crate::meta::TaskMeta;
use crate::pq::{self, Table};
use crate::registry::TaskKind;
use arrow::array::{
    Array, ArrayRef, Float32Array, Int64Array, RecordBatch, StringArray, UInt32Array,
};
use arrow::datatypes::{DataType, Field, Schema};
use fewdims_schema::AtomicFile;
use fewdims_schema::task::{IDX, LABEL, TEXT_A, TEXT_B, UNLABELLED};
use std::path::Path;
use std::sync::Arc;

/// A label: class index or score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Label {
    Class(i64),
    Score(f32),
}

impl Label {
    /// True for the "no label" marker (-1).
    pub fn is_unlabelled(self) -> bool {
        match self {
            Label::Class(c) => c == UNLABELLED,
            Label::Score(s) => s == UNLABELLED as f32,
        }
    }
}

impl std::fmt::Display for Label {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Label::Class(c) => write!(f, "{c}"),
            Label::Score(s) => write!(f, "{s}"),
        }
    }
}

/// One row of a task file.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub idx: u32,
    pub text_a: String,
    pub text_b: Option<String>,
    pub label: Label,
}

/// One split of a task: its metadata and rows.
#[derive(Debug, Clone)]
pub struct TaskSplit {
    pub meta: TaskMeta,
    pub items: Vec<Item>,
}

/// The arrow type of the label column for `kind`.
pub fn label_type(kind: TaskKind) -> DataType {
    match kind {
        TaskKind::Classification => DataType::Int64,
        TaskKind::Regression => DataType::Float32,
    }
}

/// Builds the label column from labels of one kind.
pub fn label_array(kind: TaskKind, labels: impl Iterator<Item = Label>) -> ArrayRef {
    match kind {
        TaskKind::Classification => {
            Arc::new(Int64Array::from_iter_values(labels.map(|l| match l {
                Label::Class(c) => c,
                Label::Score(s) => s as i64,
            })))
        }
        TaskKind::Regression => Arc::new(Float32Array::from_iter_values(labels.map(|l| match l {
            Label::Score(s) => s,
            Label::Class(c) => c as f32,
        }))),
    }
}

/// Reads the label column of `table` for `kind`, checking its exact type.
pub fn read_labels(table: &Table, path: &Path, kind: TaskKind) -> Result<Vec<Label>> {
    let col = table.expect_type(path, LABEL, &label_type(kind))?;
    if col.null_count() > 0 {
        return Err(DataError::column(
            path,
            LABEL,
            "has nulls; unlabelled rows hold -1",
        ));
    }
    Ok(match kind {
        TaskKind::Classification => {
            let a = col
                .as_any()
                .downcast_ref::<Int64Array>()
                .expect("checked type");
            a.values().iter().map(|&c| Label::Class(c)).collect()
        }
        TaskKind::Regression => {
            let a = col
                .as_any()
                .downcast_ref::<Float32Array>()
                .expect("checked type");
            a.values().iter().map(|&s| Label::Score(s)).collect()
        }
    })
}

/// Checks every label against the metadata: classes in 0..n, finite scores, -1 only (and
/// everywhere) in unlabelled splits. `row` renders a row number for errors.
pub fn check_labels(
    path: &Path,
    meta: &TaskMeta,
    labels: &[Label],
    row: &dyn Fn(usize) -> String,
) -> Result<()> {
    let n = meta.num_classes() as i64;
    for (i, &l) in labels.iter().enumerate() {
        if !meta.labelled {
            if !l.is_unlabelled() {
                return Err(DataError::cell(
                    path,
                    row(i),
                    LABEL,
                    format!("{l} in a split marked unlabelled (all -1)"),
                ));
            }
            continue;
        }
        let ok = match l {
            Label::Class(c) => (0..n).contains(&c),
            Label::Score(s) => s.is_finite(),
        };
        if !ok {
            let want = match meta.kind {
                TaskKind::Classification => format!(
                    "a class index in 0..{} ({})",
                    n - 1,
                    meta.label_names.join(", ")
                ),
                TaskKind::Regression => "a finite score".to_string(),
            };
            return Err(DataError::cell(
                path,
                row(i),
                LABEL,
                format!("{l} is out of range; expected {want}"),
            ));
        }
    }
    Ok(())
}

/// Writes `split` to a temp file beside `dest`; commit the returned file to publish it.
pub fn write_task_split(dest: &Path, split: &TaskSplit) -> Result<AtomicFile> {
    if split.items.is_empty() {
        return Err(DataError::EmptySplit {
            path: dest.into(),
            split: split.meta.split.clone(),
            why: String::new(),
        });
    }
    check_labels(
        dest,
        &split.meta,
        &split.items.iter().map(|i| i.label).collect::<Vec<_>>(),
        &|i| format!("row {i}"),
    )?;
    let kind = split.meta.kind;
    let schema = Schema::new(vec![
        Field::new(IDX, DataType::UInt32, false),
        Field::new(TEXT_A, DataType::Utf8, false),
        Field::new(TEXT_B, DataType::Utf8, true),
        Field::new(LABEL, label_type(kind), false),
    ]);
    let items = &split.items;
    let columns: Vec<ArrayRef> = vec![
        Arc::new(UInt32Array::from_iter_values(items.iter().map(|i| i.idx))),
        Arc::new(StringArray::from_iter_values(
            items.iter().map(|i| i.text_a.as_str()),
        )),
        Arc::new(
            items
                .iter()
                .map(|i| i.text_b.as_deref())
                .collect::<StringArray>(),
        ),
        label_array(kind, items.iter().map(|i| i.label)),
    ];
    let batch =
        RecordBatch::try_new(Arc::new(schema), columns).map_err(|e| DataError::arrow(dest, e))?;
    pq::write_batch(dest, &batch, &split.meta.to_kv())
}

/// Reads and validates a task file: metadata, column types, texts and labels.
pub fn read_task_split(path: &Path) -> Result<TaskSplit> {
    let table = pq::read_table(path)?;
    let meta = TaskMeta::from_kv(path, &table.kv)?;
    let rows = table.batch.num_rows();
    if rows == 0 {
        return Err(DataError::EmptySplit {
            path: path.into(),
            split: meta.split,
            why: String::new(),
        });
    }
    let idx = table.expect_type(path, IDX, &DataType::UInt32)?;
    let idx = idx
        .as_any()
        .downcast_ref::<UInt32Array>()
        .expect("checked type");
    let texts = |name: &str| -> Result<Vec<Option<String>>> {
        table.expect_type(path, name, &DataType::Utf8)?;
        table.strings(path, name)
    };
    let text_a = texts(TEXT_A)?;
    let text_b = texts(TEXT_B)?;
    let labels = read_labels(&table, path, meta.kind)?;
    check_labels(path, &meta, &labels, &|i| format!("row {i}"))?;
    let mut items = Vec::with_capacity(rows);
    for (i, ((a, b), label)) in text_a.into_iter().zip(text_b).zip(labels).enumerate() {
        let a = a.ok_or_else(|| DataError::cell(path, format!("row {i}"), TEXT_A, "is null"))?;
        if meta.is_pair() != b.is_some() {
            let msg = if meta.is_pair() {
                "is null in a pair task"
            } else {
                "is set in a single-text task"
            };
            return Err(DataError::cell(path, format!("row {i}"), TEXT_B, msg));
        }
        if idx.is_null(i) {
            return Err(DataError::cell(path, format!("row {i}"), IDX, "is null"));
        }
        items.push(Item {
            idx: idx.value(i),
            text_a: a,
            text_b: b,
            label,
        });
    }
    Ok(TaskSplit { meta, items })
}
