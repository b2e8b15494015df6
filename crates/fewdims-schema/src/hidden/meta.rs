//! The `__metadata__` of a hidden-state file ([`HiddenMeta`]): read, written and checked.

use std::collections::BTreeMap;
use std::path::Path;

use super::*;

/// The `__metadata__` of a hidden-state file.
#[derive(Debug, Clone, PartialEq)]
pub struct HiddenMeta {
    pub model: String,
    pub task: String,
    pub split: String,
    pub readouts: Vec<String>,
    /// L, the number of encoder layers; tensors hold L+1.
    pub num_layers: usize,
    pub hidden_size: usize,
    pub kind: TaskKind,
    /// Metric names; the first is the selection metric.
    pub metrics: Vec<String>,
    pub label_names: Vec<String>,
    pub source: String,
    /// Any other keys, kept as they are (e.g. checksums a stage adds).
    pub extra: BTreeMap<String, String>,
}

impl HiddenMeta {
    /// L+1.
    pub fn layers(&self) -> usize {
        self.num_layers + 1
    }

    /// The metadata as safetensors stores it.
    pub fn to_map(&self) -> std::collections::HashMap<String, String> {
        let mut m: std::collections::HashMap<String, String> = self
            .extra
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let label_names = serde_json::to_string(&self.label_names).expect("strings serialize");
        for (k, v) in [
            (META_MODEL, self.model.clone()),
            (META_TASK, self.task.clone()),
            (META_SPLIT, self.split.clone()),
            (META_READOUTS, self.readouts.join(",")),
            (META_NUM_LAYERS, self.num_layers.to_string()),
            (META_HIDDEN_SIZE, self.hidden_size.to_string()),
            (META_KIND, self.kind.as_str().to_string()),
            (META_METRICS, self.metrics.join(",")),
            (META_LABEL_NAMES, label_names),
            (META_SOURCE, self.source.clone()),
        ] {
            m.insert(k.to_string(), v);
        }
        m
    }

    /// Parses and checks the metadata of file `path`.
    pub fn from_map(
        map: &std::collections::HashMap<String, String>,
        path: &Path,
    ) -> Result<Self, HiddenError> {
        let err = |key: &str, msg: String| HiddenError::Meta {
            path: path.into(),
            key: key.into(),
            msg,
        };
        let get = |key: &str| {
            map.get(key)
                .cloned()
                .ok_or_else(|| err(key, "missing".into()))
        };
        let num = |key: &str| -> Result<usize, HiddenError> {
            let v = get(key)?;
            v.parse()
                .map_err(|_| err(key, format!("expected a non-negative integer, found {v:?}")))
        };
        let list = |s: String| -> Vec<String> {
            s.split(',')
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(String::from)
                .collect()
        };
        let kind_s = get(META_KIND)?;
        let kind = TaskKind::parse(&kind_s).ok_or_else(|| {
            err(
                META_KIND,
                format!("expected {KIND_CLASSIFICATION} or {KIND_REGRESSION}, found {kind_s:?}"),
            )
        })?;
        let names_s = get(META_LABEL_NAMES)?;
        let label_names: Vec<String> = serde_json::from_str(&names_s).map_err(|e| {
            err(
                META_LABEL_NAMES,
                format!("expected a JSON array of strings ({e})"),
            )
        })?;
        let known: Vec<&str> = [
            META_MODEL,
            META_TASK,
            META_SPLIT,
            META_READOUTS,
            META_NUM_LAYERS,
            META_HIDDEN_SIZE,
            META_KIND,
            META_METRICS,
            META_LABEL_NAMES,
            META_SOURCE,
        ]
        .into();
        let extra = map
            .iter()
            .filter(|(k, _)| !known.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let meta = HiddenMeta {
            model: get(META_MODEL)?,
            task: get(META_TASK)?,
            split: get(META_SPLIT)?,
            readouts: list(get(META_READOUTS)?),
            num_layers: num(META_NUM_LAYERS)?,
            hidden_size: num(META_HIDDEN_SIZE)?,
            kind,
            metrics: list(get(META_METRICS)?),
            label_names,
            source: get(META_SOURCE)?,
            extra,
        };
        meta.check(path)?;
        Ok(meta)
    }

    /// Checks readout names, metric names against the kind, and sizes.
    pub fn check(&self, path: &Path) -> Result<(), HiddenError> {
        let err = |key: &str, msg: String| HiddenError::Meta {
            path: path.into(),
            key: key.into(),
            msg,
        };
        if self.readouts.is_empty() {
            return Err(err(META_READOUTS, "no readouts listed".into()));
        }
        for (i, r) in self.readouts.iter().enumerate() {
            if !is_readout(r) {
                return Err(err(
                    META_READOUTS,
                    format!(
                        "unknown readout {r:?} (expected {})",
                        crate::vocab::ReadoutKind::expected()
                    ),
                ));
            }
            if self.readouts[..i].contains(r) {
                return Err(err(META_READOUTS, format!("readout {r:?} listed twice")));
            }
        }
        if self.metrics.is_empty() {
            return Err(err(META_METRICS, "no metrics listed".into()));
        }
        for m in &self.metrics {
            if !self.kind.metrics().contains(&m.as_str()) {
                return Err(err(
                    META_METRICS,
                    format!(
                        "metric {m:?} does not apply to {} (expected one of {:?})",
                        self.kind.as_str(),
                        self.kind.metrics()
                    ),
                ));
            }
        }
        // Class indices are checked against the names, so a classification file must have them.
        if self.kind == TaskKind::Classification && self.label_names.is_empty() {
            return Err(err(
                META_LABEL_NAMES,
                "classification needs class names".into(),
            ));
        }
        if self.hidden_size == 0 {
            return Err(err(META_HIDDEN_SIZE, "must be positive".into()));
        }
        // Readers multiply these (a row of L+1 layers of H floats): the product must fit.
        let row = (self.num_layers.checked_add(1))
            .and_then(|l| l.checked_mul(self.hidden_size))
            .and_then(|x| x.checked_mul(8));
        if row.is_none() {
            return Err(err(
                META_NUM_LAYERS,
                format!(
                    "{} layers of hidden size {} do not fit in memory",
                    self.num_layers, self.hidden_size
                ),
            ));
        }
        Ok(())
    }
}
