//! Probe results into probe-table rows (the table itself: `fewdims_tables::probe`), and the
//! headline probes' predictions into predictions rows (`fewdims_tables::probe_predictions`).

use std::path::Path;

use fewdims_tables::probe::{ProbeRow, ProbeTableWriter as RowWriter};
use fewdims_tables::probe_predictions::ProbePredictionRow;

use crate::search::{Predicted, target_values};
use crate::{Metric, ProbeError, ProbeResult, Problem};

/// The results of one (layer, readout); ranks are computed per method and metric.
#[derive(Debug, Clone)]
pub struct ProbeGroup {
    pub layer: i32,
    pub readout: String,
    pub results: Vec<ProbeResult>,
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

/// The table rows of one group: a row per (result, metric), ranked within method and metric.
pub fn group_rows(g: &ProbeGroup, metrics: &[Metric]) -> Vec<ProbeRow> {
    let ranks: Vec<Vec<u32>> = (0..metrics.len()).map(|m| ranks(&g.results, m)).collect();
    let mut rows = Vec::with_capacity(g.results.len() * metrics.len());
    for (i, r) in g.results.iter().enumerate() {
        for (m, name) in metrics.iter().enumerate() {
            rows.push(ProbeRow {
                layer: g.layer,
                readout: g.readout.clone(),
                method: r.method,
                dims: r.dims.clone(),
                k: r.k,
                metric: name.name().to_string(),
                dev: r.dev[m],
                test: r.test[m],
                rank: ranks[m][i],
            });
        }
    }
    rows
}

/// Streams probe groups into a probe table; nothing appears at `path` until `finish`.
#[derive(Debug)]
pub struct ProbeGroupWriter<'p> {
    rows: RowWriter<'p>,
    metrics: Vec<Metric>,
}

impl<'p> ProbeGroupWriter<'p> {
    /// Starts the table; `meta` becomes file and schema key-value metadata.
    pub fn create(
        path: &'p Path,
        metrics: &[Metric],
        meta: &[(String, String)],
    ) -> Result<Self, ProbeError> {
        Ok(Self {
            rows: RowWriter::create(path, meta)?,
            metrics: metrics.to_vec(),
        })
    }

    /// Appends one group.
    pub fn write(&mut self, g: &ProbeGroup) -> Result<(), ProbeError> {
        Ok(self.rows.write(&group_rows(g, &self.metrics))?)
    }

    /// Closes the parquet file and moves it into place; returns the row count.
    pub fn finish(self) -> Result<usize, ProbeError> {
        Ok(self.rows.finish()?)
    }

    /// Closes the parquet file without moving it into place (`fewdims_tables::commit_together`).
    pub fn close(self) -> Result<fewdims_tables::Closed, ProbeError> {
        Ok(self.rows.close()?)
    }
}

/// Writes a whole probe table at once. Returns the row count.
pub fn write_probes(
    path: &Path,
    groups: &[ProbeGroup],
    metrics: &[Metric],
    meta: &[(String, String)],
) -> Result<usize, ProbeError> {
    let mut w = ProbeGroupWriter::create(path, metrics, meta)?;
    for g in groups {
        w.write(g)?;
    }
    w.finish()
}

/// File-level metadata of a probe table (the `META_*` keys of the probe contract): the hidden
/// files' provenance (`files`: split -> {path, sha256}) and the settings.
pub fn table_metadata(
    meta: &fewdims_schema::hidden::HiddenMeta,
    files: serde_json::Map<String, serde_json::Value>,
    settings: &serde_json::Value,
) -> Vec<(String, String)> {
    use fewdims_schema::probe as contract;
    vec![
        (contract::META_TASK.to_string(), meta.task.clone()),
        (contract::META_MODEL.to_string(), meta.model.clone()),
        (contract::META_SOURCE.to_string(), meta.source.clone()),
        (
            contract::META_KIND.to_string(),
            meta.kind.as_str().to_string(),
        ),
        (contract::META_METRICS.to_string(), meta.metrics.join(",")),
        (
            contract::META_HIDDEN_FILES.to_string(),
            serde_json::Value::Object(files).to_string(),
        ),
        (contract::META_SETTINGS.to_string(), settings.to_string()),
    ]
}

/// `{split: {path, sha256}}` of the hidden files read, for [`table_metadata`].
pub fn hidden_files(
    files: &[(&str, Option<&Path>)],
) -> Result<serde_json::Map<String, serde_json::Value>, ProbeError> {
    let mut out = serde_json::Map::new();
    for (split, p) in files {
        if let Some(p) = p {
            let sha = crate::file_sha256(p)?;
            out.insert(
                split.to_string(),
                serde_json::json!({"path": p.display().to_string(), "sha256": sha}),
            );
        }
    }
    Ok(out)
}

/// Predictions rows of the probes `probes` of one (layer, readout): each probe on every dev and
/// test row of `problem`, keyed by the hidden files' item ids of those rows (`dev_idx`,
/// `test_idx`, as [`crate::data::HiddenSet::problem_idx`] gives them).
pub fn prediction_rows(
    layer: i32,
    readout: &str,
    probes: &[(ProbeResult, Predicted)],
    problem: &Problem,
    dev_idx: &[u32],
    test_idx: &[u32],
) -> Result<Vec<ProbePredictionRow>, ProbeError> {
    let mut rows = Vec::new();
    for (r, pred) in probes {
        let splits = [
            ("dev", Some(&pred.dev), Some(&problem.dev), dev_idx),
            ("test", pred.test.as_ref(), problem.test.as_ref(), test_idx),
        ];
        for (split, p, s, idx) in splits {
            let (Some(p), Some(s)) = (p, s) else { continue };
            let labels = target_values(&s.target);
            if p.len() != labels.len() || idx.len() != labels.len() {
                return Err(ProbeError::Invalid(format!(
                    "{split}: {} predictions, {} labels and {} item ids do not line up",
                    p.len(),
                    labels.len(),
                    idx.len()
                )));
            }
            rows.extend((0..p.len()).map(|i| ProbePredictionRow {
                layer,
                readout: readout.to_string(),
                method: r.method,
                dims: r.dims.clone(),
                split: split.to_string(),
                idx: idx[i],
                label: labels[i],
                prediction: p[i],
            }));
        }
    }
    Ok(rows)
}
