//! Probe tables `probes/<id>/<task>.parquet` (with their headline probes' predictions
//! `<task>.predictions.parquet` beside them) and CKA tables
//! `probes/cka/<a>_vs_<b>/<task>/<split>.parquet` (contracts in `fewdims_schema::probe`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use fewdims_schema::hidden::is_last_layer_only;
use fewdims_schema::probe::*;

use crate::ReportError;
use crate::run_groups::sorted_dirs;

/// The folder under the probes root that holds CKA tables, not probe ids.
pub const CKA_DIR: &str = "cka";

use fewdims_schema::run::PredictionRow;
pub use fewdims_tables::probe::ProbeRow;
pub use fewdims_tables::probe_predictions::ProbePredictionRow;

/// A probe table of one (id, task).
#[derive(Clone, Debug)]
pub struct ProbeTable {
    pub id: String,
    pub task: String,
    pub path: PathBuf,
    /// From the `metrics` metadata, else in order of appearance; the first is the main metric.
    pub metrics: Vec<String>,
    pub rows: Vec<ProbeRow>,
    /// Readouts in order of appearance.
    readouts: Vec<String>,
    /// Row indices by (layer, readout, method, metric).
    index: BTreeMap<(i32, String, Method, String), Vec<usize>>,
    has_test: bool,
    /// The headline probes' per-item predictions (`<task>.predictions.parquet`), where
    /// `probe-dims` wrote them (not for tables made before it did, nor for controls).
    pub predictions: Option<Vec<ProbePredictionRow>>,
}

impl ProbeTable {
    pub fn read(path: &Path, id: &str, task: &str) -> Result<Self, ReportError> {
        let t = fewdims_tables::probe::read(path)?;
        let rows = t.rows;
        // The `metrics` metadata, else the metrics in order of appearance.
        let mut metrics: Vec<String> = t
            .meta
            .get(META_METRICS)
            .map(|m| {
                m.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default();
        if metrics.is_empty() {
            for r in &rows {
                if !metrics.contains(&r.metric) {
                    metrics.push(r.metric.clone());
                }
            }
        }
        let mut readouts: Vec<String> = Vec::new();
        let mut index: BTreeMap<_, Vec<usize>> = BTreeMap::new();
        for (i, r) in rows.iter().enumerate() {
            if !readouts.contains(&r.readout) {
                readouts.push(r.readout.clone());
            }
            let key = (r.layer, r.readout.clone(), r.method, r.metric.clone());
            index.entry(key).or_default().push(i);
        }
        Ok(ProbeTable {
            id: id.into(),
            task: task.into(),
            path: path.into(),
            metrics,
            has_test: rows.iter().any(|r| r.test.is_finite()),
            rows,
            readouts,
            index,
            predictions: None,
        })
    }

    /// Reads the predictions file beside the table, if there is one.
    fn with_predictions(mut self) -> Result<Self, ReportError> {
        let path = predictions_path(&self.path);
        if path.is_file() {
            self.predictions = Some(fewdims_tables::probe_predictions::read(&path)?.rows);
        }
        Ok(self)
    }

    /// `row`'s probe on each item of `split` (matched by layer, readout, method and dims), as
    /// prediction rows; `None` when the predictions file does not hold it.
    pub fn predictions_of(&self, row: &ProbeRow, split: &str) -> Option<Vec<PredictionRow>> {
        let rows: Vec<PredictionRow> = self
            .predictions
            .as_ref()?
            .iter()
            .filter(|p| {
                (p.layer, p.method, p.split.as_str()) == (row.layer, row.method, split)
                    && p.readout == row.readout
                    && p.dims == row.dims
            })
            .map(ProbePredictionRow::to_prediction)
            .collect();
        (!rows.is_empty()).then_some(rows)
    }

    pub fn main_metric(&self) -> &str {
        self.metrics.first().map(String::as_str).unwrap_or("")
    }

    /// `test` when any row has a test score, else `dev`.
    pub fn headline_split(&self) -> &'static str {
        if self.has_test { "test" } else { "dev" }
    }

    /// The headline value of a row.
    pub fn value(&self, r: &ProbeRow) -> f64 {
        if self.headline_split() == "test" {
            r.test
        } else {
            r.dev
        }
    }

    /// Readouts in order of appearance.
    pub fn readouts(&self) -> Vec<String> {
        self.readouts.clone()
    }

    /// Layers of `readout`, ascending.
    pub fn layers(&self, readout: &str) -> Vec<i32> {
        let mut v: Vec<i32> = self
            .index
            .keys()
            .filter(|k| k.1 == readout)
            .map(|k| k.0)
            .collect();
        v.dedup();
        v
    }

    /// The top layer (of the readouts other than `pooler`).
    pub fn last_layer(&self) -> Option<i32> {
        self.index
            .keys()
            .filter(|k| !is_last_layer_only(&k.1))
            .map(|k| k.0)
            .max()
    }

    /// The readout the report focuses on: `cls` if present, else the first.
    pub fn focus_readout(&self) -> Option<String> {
        let r = self.readouts();
        r.iter().find(|x| *x == "cls").or(r.first()).cloned()
    }

    /// Rows of (layer, readout, method) on the main metric, best dev first (NaN last, ties in row order).
    pub fn ranked(&self, layer: i32, readout: &str, method: Method) -> Vec<&ProbeRow> {
        let key = (
            layer,
            readout.to_string(),
            method,
            self.main_metric().to_string(),
        );
        let mut v: Vec<&ProbeRow> = match self.index.get(&key) {
            Some(ix) => ix.iter().map(|&i| &self.rows[i]).collect(),
            None => Vec::new(),
        };
        let key = |r: &ProbeRow| {
            if r.dev.is_nan() {
                f64::NEG_INFINITY
            } else {
                r.dev
            }
        };
        v.sort_by(|a, b| key(b).total_cmp(&key(a)));
        v
    }

    pub fn best(&self, layer: i32, readout: &str, method: Method) -> Option<&ProbeRow> {
        self.ranked(layer, readout, method).into_iter().next()
    }

    /// The best probe (by dev) of each size k at (layer, readout), over every method.
    pub fn best_k_curve(&self, layer: i32, readout: &str) -> Vec<&ProbeRow> {
        let mut best: Vec<&ProbeRow> = Vec::new();
        for m in [
            Method::Single,
            Method::Pair,
            Method::Greedy,
            Method::Backward,
            Method::Full,
        ] {
            for r in self.ranked(layer, readout, m) {
                match best.iter_mut().find(|b| b.k == r.k) {
                    Some(b) if b.dev.is_nan() || r.dev > b.dev => *b = r,
                    Some(_) => {}
                    None => best.push(r),
                }
            }
        }
        best.sort_by_key(|r| r.k);
        best
    }
}

/// `dims` as `17, 305`, or `all` for an empty list (full-vector rows).
pub fn show_dims(d: &[u16]) -> String {
    if d.is_empty() {
        "all".into()
    } else {
        d.iter()
            .map(|x| x.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The stem suffix of head-ablation tables: `probes/<id>/<task>-ablate.parquet`.
pub const ABLATE_SUFFIX: &str = "-ablate";
/// The stem infix of control tables (permuted labels): `probes/<id>/<task>-control<seed>.parquet`.
pub const CONTROL_INFIX: &str = "-control";

/// The probe tables of a probes dir, by kind.
#[derive(Debug, Default)]
pub struct ProbeTables {
    /// `<id>/<task>.parquet`.
    pub probes: Vec<ProbeTable>,
    /// `<id>/<task>-ablate.parquet` (task without the suffix).
    pub ablations: Vec<ProbeTable>,
    /// `<id>/<task>-control<seed>.parquet`: the same probes on permuted labels, with the seed.
    pub controls: Vec<(u64, ProbeTable)>,
}

/// `movie-control3` → `("movie", 3)`.
fn control_of(stem: &str) -> Option<(&str, u64)> {
    let (task, seed) = stem.rsplit_once(CONTROL_INFIX)?;
    Some((task, seed.parse().ok()?))
}

/// Every `<root>/<id>/<task>.parquet` (the CKA dir `cka/` is skipped), sorted by id then task;
/// ablation and control tables apart; a table's `<task>.predictions.parquet` is read with it.
pub fn scan_probes(root: &Path) -> Result<ProbeTables, ReportError> {
    let mut out = ProbeTables::default();
    for dir in sorted_dirs(root)? {
        let id = dir.file_name().unwrap().to_string_lossy().into_owned();
        if id == CKA_DIR {
            continue;
        }
        for (task, path) in parquet_files(&dir)? {
            if task.ends_with(PREDICTIONS_SUFFIX) {
                // Not a table: the predictions of the table `<task>.parquet`, read with it.
                continue;
            } else if let Some(t) = task.strip_suffix(ABLATE_SUFFIX) {
                out.ablations.push(ProbeTable::read(&path, &id, t)?);
            } else if let Some((t, seed)) = control_of(&task) {
                out.controls.push((seed, ProbeTable::read(&path, &id, t)?));
            } else {
                out.probes
                    .push(ProbeTable::read(&path, &id, &task)?.with_predictions()?);
            }
        }
    }
    Ok(out)
}

/// `(stem, path)` of the `*.parquet` files in `dir`, sorted.
pub(crate) fn parquet_files(dir: &Path) -> Result<Vec<(String, PathBuf)>, ReportError> {
    let mut v = Vec::new();
    for e in std::fs::read_dir(dir).map_err(|e| ReportError::io(dir, e))? {
        let p = e.map_err(|e| ReportError::io(dir, e))?.path();
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if let Some(stem) = name.strip_suffix(".parquet")
            && !name.starts_with('.')
            && p.is_file()
        {
            v.push((stem.to_string(), p));
        }
    }
    v.sort();
    Ok(v)
}

pub use fewdims_tables::cka::CkaRow;

/// The CKA table of one (pair, task, split).
#[derive(Clone, Debug)]
pub struct CkaTable {
    /// `<a>_vs_<b>`.
    pub pair: String,
    pub task: String,
    pub split: String,
    pub path: PathBuf,
    pub rows: Vec<CkaRow>,
}

impl CkaTable {
    pub fn read(path: &Path, pair: &str, task: &str, split: &str) -> Result<Self, ReportError> {
        let rows = fewdims_tables::cka::read(path)?.rows;
        Ok(CkaTable {
            pair: pair.into(),
            task: task.into(),
            split: split.into(),
            path: path.into(),
            rows,
        })
    }

    pub fn readouts(&self) -> Vec<String> {
        let mut v: Vec<String> = Vec::new();
        for r in &self.rows {
            if !v.contains(&r.readout) {
                v.push(r.readout.clone());
            }
        }
        v
    }

    /// The second id of the pair (`pretrained_vs_movie-cls` → `movie-cls`).
    pub fn b(&self) -> &str {
        self.pair
            .split_once("_vs_")
            .map(|(_, b)| b)
            .unwrap_or(&self.pair)
    }
}

/// Every `<probes>/cka/<pair>/<task>/<split>.parquet`, sorted.
pub fn scan_cka(probes_root: &Path) -> Result<Vec<CkaTable>, ReportError> {
    let mut out = Vec::new();
    for pair_dir in sorted_dirs(&probes_root.join(CKA_DIR))? {
        let pair = pair_dir.file_name().unwrap().to_string_lossy().into_owned();
        for task_dir in sorted_dirs(&pair_dir)? {
            let task = task_dir.file_name().unwrap().to_string_lossy().into_owned();
            for (split, path) in parquet_files(&task_dir)? {
                out.push(CkaTable::read(&path, &pair, &task, &split)?);
            }
        }
    }
    Ok(out)
}
