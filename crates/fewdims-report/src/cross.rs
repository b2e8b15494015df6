//! Cross-fine-tuning matrices `runs/cross/<name>/cross.parquet` (contract in
//! `fewdims_schema::cross`); the seeds of one cross run (`<name>-seed<N>`) are read as one table.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use fewdims_schema::cross::*;
use fewdims_schema::run::PredictionRow;

use crate::ReportError;
use crate::run_groups::{sorted_dirs, strip_seed};
use crate::stats::Stat;

pub use fewdims_tables::cross::CrossRow;

/// A row of one seed's `cross.parquet`.
#[derive(Clone, Debug, PartialEq)]
pub struct SeedRow {
    /// Index into [`CrossTable::sources`]: which seed's file the row came from.
    pub source: usize,
    pub row: CrossRow,
}

impl std::ops::Deref for SeedRow {
    type Target = CrossRow;
    fn deref(&self) -> &CrossRow {
        &self.row
    }
}

/// The matrix of one cross run, over its seeds.
#[derive(Clone, Debug)]
pub struct CrossTable {
    /// The cross dir's name without `-seed<N>`.
    pub name: String,
    /// `(dir name, cross.parquet)` of each seed.
    pub sources: Vec<(String, PathBuf)>,
    pub rows: Vec<SeedRow>,
    /// Per-item predictions of each task's own head: `(source, step, task, split)` → rows.
    pub predictions: BTreeMap<(usize, u32, String, String), Vec<PredictionRow>>,
}

impl CrossTable {
    pub fn read(path: &Path, name: &str) -> Result<Self, ReportError> {
        let table = fewdims_tables::cross::read(path)?;
        let mut predictions = BTreeMap::new();
        let dir = path.parent().map(|d| d.join(PREDICTIONS_DIR));
        if let Some(dir) = dir.filter(|d| d.is_dir()) {
            let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
                .map_err(|e| ReportError::io(&dir, e))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .collect();
            files.sort();
            for file in files {
                let stem = file.file_stem().map(|s| s.to_string_lossy().into_owned());
                let Some((step, task)) = stem.as_deref().and_then(parse_stem) else {
                    continue;
                };
                for row in fewdims_tables::predictions::read(&file)?.rows {
                    predictions
                        .entry((0, step, task.clone(), row.split.clone()))
                        .or_insert_with(Vec::new)
                        .push(row);
                }
            }
        }
        Ok(CrossTable {
            predictions,
            name: strip_seed(name).into(),
            sources: vec![(name.into(), path.into())],
            rows: table
                .rows
                .into_iter()
                .map(|row| SeedRow { source: 0, row })
                .collect(),
        })
    }

    /// Steps in order with the task trained at each.
    pub fn steps(&self) -> Vec<(u32, String)> {
        let mut v: Vec<(u32, String)> = self
            .rows
            .iter()
            .map(|r| (r.step, r.trained_task.clone()))
            .collect();
        v.sort();
        v.dedup_by_key(|s| s.0);
        v
    }

    /// Evaluated tasks, in the order they were first trained.
    pub fn eval_tasks(&self) -> Vec<String> {
        let mut v: Vec<String> = Vec::new();
        for (_, t) in self.steps() {
            if !v.contains(&t) {
                v.push(t);
            }
        }
        for r in &self.rows {
            if !v.contains(&r.eval_task) {
                v.push(r.eval_task.clone());
            }
        }
        v
    }

    /// Modes present, in the order head, retrained, probe.
    pub fn modes(&self) -> Vec<&'static str> {
        [Mode::Head, Mode::Retrained, Mode::Probe]
            .into_iter()
            .map(Mode::as_str)
            .filter(|m| self.rows.iter().any(|r| r.mode.as_str() == *m))
            .collect()
    }

    /// The main metric of `task`: `preferred` if the table has it, else the first seen.
    pub fn metric_of(&self, task: &str, preferred: Option<&str>) -> Option<String> {
        let mut seen = self
            .rows
            .iter()
            .filter(|r| r.eval_task == task)
            .map(|r| r.metric.as_str());
        match preferred {
            Some(p)
                if self
                    .rows
                    .iter()
                    .any(|r| r.eval_task == task && r.metric == p) =>
            {
                Some(p.into())
            }
            _ => seen.next().map(String::from),
        }
    }

    /// `test` if it has any finite test value, else `dev`.
    pub fn headline_split(&self) -> &'static str {
        if self
            .rows
            .iter()
            .any(|r| r.split == "test" && r.value.is_finite())
        {
            "test"
        } else {
            "dev"
        }
    }

    /// Mean ± sd over the seeds of one cell.
    pub fn stat(
        &self,
        step: u32,
        task: &str,
        mode: &str,
        split: &str,
        metric: &str,
    ) -> Option<Stat> {
        let v: Vec<f64> = self
            .rows
            .iter()
            .filter(|r| {
                r.step == step
                    && r.eval_task == task
                    && r.mode.as_str() == mode
                    && r.split == split
                    && r.metric == metric
            })
            .map(|r| r.value)
            .collect();
        Stat::of(&v)
    }

    /// Each seed's predictions of `task`'s own head after `step` on `split`; `None` when a
    /// seed has none.
    pub fn predictions(&self, step: u32, task: &str, split: &str) -> Option<Vec<&[PredictionRow]>> {
        (0..self.sources.len())
            .map(|s| {
                self.predictions
                    .get(&(s, step, task.to_string(), split.to_string()))
                    .map(Vec::as_slice)
            })
            .collect()
    }

    /// Adds the rows of another seed.
    fn merge(&mut self, other: CrossTable) {
        let offset = self.sources.len();
        for ((src, step, task, split), rows) in other.predictions {
            self.predictions
                .insert((src + offset, step, task, split), rows);
        }
        self.sources.extend(other.sources);
        self.rows.extend(other.rows.into_iter().map(|r| SeedRow {
            source: r.source + offset,
            row: r.row,
        }));
    }
}

/// `step2-amazon` → `(2, "amazon")`.
fn parse_stem(stem: &str) -> Option<(u32, String)> {
    let rest = stem.strip_prefix("step")?;
    let (n, task) = rest.split_once('-')?;
    Some((n.parse().ok()?, task.to_string()))
}

/// Every `<runs>/cross/<name>/cross.parquet`, seeds merged, sorted by name.
pub fn scan_cross(runs_root: &Path) -> Result<Vec<CrossTable>, ReportError> {
    let mut out: Vec<CrossTable> = Vec::new();
    for dir in sorted_dirs(&runs_root.join("cross"))? {
        let path = dir.join(MATRIX_FILE);
        if path.is_file() {
            let name = dir.file_name().unwrap().to_string_lossy().into_owned();
            let t = CrossTable::read(&path, &name)?;
            match out.iter_mut().find(|o| o.name == t.name) {
                Some(o) => o.merge(t),
                None => out.push(t),
            }
        }
    }
    Ok(out)
}
