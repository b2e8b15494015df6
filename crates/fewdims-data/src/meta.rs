//! Task metadata: the registry entry plus provenance, as parquet key-value metadata.

use crate::error::{DataError, Result};
use crate::registry::{TaskKind, TaskSpec};
use crate::user::UserTask;
use fewdims_schema::task as schema;
use std::collections::HashMap;
use std::path::Path;

/// Everything a task file says about itself.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskMeta {
    pub task: String,
    pub split: String,
    pub kind: TaskKind,
    pub label_names: Vec<String>,
    pub metrics: Vec<String>,
    pub text_columns: Vec<String>,
    pub labelled: bool,
    pub source: String,
    pub source_sha256: String,
    pub description: String,
    /// What `prepare` dropped or repaired in the whole source.
    pub notes: Vec<String>,
}

impl TaskMeta {
    /// Metadata for `split` of `spec`, read from `source` with checksum `sha256`.
    pub fn new(spec: &TaskSpec, split: &str, source: &Path, sha256: &str) -> Self {
        let owned = |xs: &[&str]| -> Vec<String> { xs.iter().map(|s| s.to_string()).collect() };
        Self {
            task: spec.name.into(),
            split: split.into(),
            kind: spec.kind,
            label_names: owned(spec.label_names),
            metrics: owned(spec.metrics),
            text_columns: owned(spec.text_columns),
            labelled: true,
            source: source.display().to_string(),
            source_sha256: sha256.into(),
            description: spec.description.into(),
            notes: Vec::new(),
        }
    }

    /// Metadata for `split` of a user's task (`prepare --from`), read from `source`.
    pub fn for_user(task: &UserTask, split: &str, source: &Path, sha256: &str) -> Self {
        Self {
            task: task.name.clone(),
            split: split.into(),
            kind: task.kind,
            label_names: task.label_names.clone(),
            metrics: task.metrics.clone(),
            text_columns: task.text_columns.clone(),
            labelled: true,
            source: source.display().to_string(),
            source_sha256: sha256.into(),
            description: task.description.clone(),
            notes: Vec::new(),
        }
    }

    /// Number of classes (0 for regression).
    pub fn num_classes(&self) -> usize {
        self.label_names.len()
    }

    /// True when the task has a `text_b`.
    pub fn is_pair(&self) -> bool {
        self.text_columns.len() == 2
    }

    /// The key-value pairs, in a fixed order.
    pub fn to_kv(&self) -> Vec<(String, String)> {
        let json = |v: &Vec<String>| serde_json::to_string(v).expect("strings serialize");
        [
            (schema::KEY_FORMAT, schema::FORMAT.to_string()),
            (schema::KEY_TASK, self.task.clone()),
            (schema::KEY_SPLIT, self.split.clone()),
            (schema::KEY_KIND, self.kind.as_str().to_string()),
            (schema::KEY_LABEL_NAMES, json(&self.label_names)),
            (schema::KEY_METRICS, json(&self.metrics)),
            (schema::KEY_TEXT_COLUMNS, json(&self.text_columns)),
            (schema::KEY_LABELLED, self.labelled.to_string()),
            (schema::KEY_SOURCE, self.source.clone()),
            (schema::KEY_SOURCE_SHA256, self.source_sha256.clone()),
            (schema::KEY_DESCRIPTION, self.description.clone()),
            (schema::KEY_NOTES, json(&self.notes)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    /// Reads the metadata of `path`; names the first missing or malformed key.
    pub fn from_kv(path: &Path, kv: &HashMap<String, String>) -> Result<Self> {
        let get = |key: &str| {
            kv.get(key).cloned().ok_or_else(|| {
                DataError::metadata(
                    path,
                    key,
                    "missing; is this a task file written by `prepare`?",
                )
            })
        };
        let list = |key: &str| -> Result<Vec<String>> {
            serde_json::from_str(&get(key)?).map_err(|e| {
                DataError::metadata(path, key, format!("not a JSON list of strings: {e}"))
            })
        };
        let kind_s = get(schema::KEY_KIND)?;
        let kind = TaskKind::parse(&kind_s).ok_or_else(|| {
            DataError::metadata(
                path,
                schema::KEY_KIND,
                format!("`{kind_s}` is neither classification nor regression"),
            )
        })?;
        let labelled = match get(schema::KEY_LABELLED)?.as_str() {
            "true" => true,
            "false" => false,
            other => {
                return Err(DataError::metadata(
                    path,
                    schema::KEY_LABELLED,
                    format!("`{other}` is not true/false"),
                ));
            }
        };
        let meta = Self {
            task: get(schema::KEY_TASK)?,
            split: get(schema::KEY_SPLIT)?,
            kind,
            label_names: list(schema::KEY_LABEL_NAMES)?,
            metrics: list(schema::KEY_METRICS)?,
            text_columns: list(schema::KEY_TEXT_COLUMNS)?,
            labelled,
            source: get(schema::KEY_SOURCE)?,
            source_sha256: get(schema::KEY_SOURCE_SHA256)?,
            description: kv.get(schema::KEY_DESCRIPTION).cloned().unwrap_or_default(),
            notes: if kv.contains_key(schema::KEY_NOTES) {
                list(schema::KEY_NOTES)?
            } else {
                Vec::new()
            },
        };
        if (meta.kind == TaskKind::Classification) == meta.label_names.is_empty() {
            return Err(DataError::metadata(
                path,
                schema::KEY_LABEL_NAMES,
                "classification needs label names, regression none",
            ));
        }
        if !matches!(meta.text_columns.len(), 1 | 2) {
            return Err(DataError::metadata(
                path,
                schema::KEY_TEXT_COLUMNS,
                "expected one or two text columns",
            ));
        }
        Ok(meta)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kv_round_trip() {
        let spec = crate::registry::task("mnli").unwrap();
        let meta = TaskMeta::new(
            spec,
            "dev_mm",
            Path::new("x/validation_mismatched.parquet"),
            "ab",
        );
        let kv: HashMap<_, _> = meta.to_kv().into_iter().collect();
        assert_eq!(TaskMeta::from_kv(Path::new("f"), &kv).unwrap(), meta);
        let mut broken = kv.clone();
        broken.remove(schema::KEY_KIND);
        let err = TaskMeta::from_kv(Path::new("f"), &broken)
            .unwrap_err()
            .to_string();
        assert!(err.contains("fewdims.kind"), "{err}");
    }
}
