//! Probe inputs: one layer of one readout for train/dev/test, standardized with train statistics
//! (mean 0, variance 1 per dim; constant dims stay 0), stored column-major so a probe on a few
//! dims reads contiguous columns. Unlabelled items (class -1) are dropped.

use std::path::{Path, PathBuf};

use fewdims_schema::hidden::{HiddenReader, Labels};
use fewdims_schema::task::TaskKind;

use crate::{Metric, ProbeError};

/// A column-major `[n, h]` matrix: column j is `col(j)`.
#[derive(Debug, Clone)]
pub struct Matrix {
    pub n: usize,
    pub h: usize,
    data: Vec<f32>,
}

impl Matrix {
    /// From row-major `[n, h]` values.
    pub fn from_rows(rows: &[f32], n: usize, h: usize) -> Self {
        assert_eq!(rows.len(), n * h, "rows hold n x h values");
        let mut data = vec![0f32; n * h];
        for (i, row) in rows.chunks_exact(h).enumerate() {
            for (j, &v) in row.iter().enumerate() {
                data[j * n + i] = v;
            }
        }
        Self { n, h, data }
    }
    pub fn col(&self, j: usize) -> &[f32] {
        &self.data[j * self.n..(j + 1) * self.n]
    }
    /// Row-major f64 copy, for the dense (full-vector, CKA) paths.
    pub fn to_array(&self) -> ndarray::Array2<f64> {
        ndarray::Array2::from_shape_fn((self.n, self.h), |(i, j)| self.data[j * self.n + i] as f64)
    }
    fn keep_rows(&self, keep: &[usize]) -> Self {
        let mut data = Vec::with_capacity(keep.len() * self.h);
        for j in 0..self.h {
            let c = self.col(j);
            data.extend(keep.iter().map(|&i| c[i]));
        }
        Self {
            n: keep.len(),
            h: self.h,
            data,
        }
    }
}

/// What a probe predicts.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    Classes { y: Vec<u32>, classes: usize },
    Scores(Vec<f32>),
}

impl Target {
    pub fn len(&self) -> usize {
        match self {
            Target::Classes { y, .. } => y.len(),
            Target::Scores(y) => y.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Features and target of one split.
#[derive(Debug, Clone)]
pub struct Split {
    pub x: Matrix,
    pub target: Target,
}

/// A probing problem: fit on train, select on dev, report on test (absent or unlabelled: None).
#[derive(Debug, Clone)]
pub struct Problem {
    pub train: Split,
    pub dev: Split,
    pub test: Option<Split>,
    pub metrics: Vec<Metric>,
}

/// Standardizes column-major `x` in place with per-column (mean, std) from `stats`.
fn apply(x: &mut Matrix, stats: &[(f32, f32)]) {
    let n = x.n;
    for (j, &(m, s)) in stats.iter().enumerate() {
        for v in &mut x.data[j * n..(j + 1) * n] {
            *v = (*v - m) / s;
        }
    }
}

/// The rows a problem keeps: the labelled items (class ≥ 0, finite score).
fn labelled(labels: &Labels) -> Vec<usize> {
    match labels {
        Labels::Classes(v) => (0..v.len()).filter(|&i| v[i] >= 0).collect(),
        Labels::Scores(v) => (0..v.len()).filter(|&i| v[i].is_finite()).collect(),
    }
}

fn split(rows: &[f32], labels: &Labels, h: usize, classes: usize) -> Split {
    let n = labels.len();
    let x = Matrix::from_rows(rows, n, h);
    let keep = labelled(labels);
    match labels {
        Labels::Classes(v) => {
            let y = keep.iter().map(|&i| v[i] as u32).collect();
            let x = if keep.len() == n {
                x
            } else {
                x.keep_rows(&keep)
            };
            Split {
                x,
                target: Target::Classes { y, classes },
            }
        }
        Labels::Scores(v) => {
            let y = keep.iter().map(|&i| v[i]).collect();
            let x = if keep.len() == n {
                x
            } else {
                x.keep_rows(&keep)
            };
            Split {
                x,
                target: Target::Scores(y),
            }
        }
    }
}

impl Problem {
    /// Builds a problem from row-major `[n, h]` features and labels of each split.
    pub fn new(
        train: (&[f32], &Labels),
        dev: (&[f32], &Labels),
        test: Option<(&[f32], &Labels)>,
        h: usize,
        metrics: Vec<Metric>,
        classes: usize,
    ) -> Result<Self, ProbeError> {
        let mut train = split(train.0, train.1, h, classes);
        let mut dev = split(dev.0, dev.1, h, classes);
        let mut test = test
            .map(|t| split(t.0, t.1, h, classes))
            .filter(|s| !s.target.is_empty());
        if train.target.len() < 2 || dev.target.is_empty() {
            return Err(ProbeError::Invalid(format!(
                "need labelled train and dev items, found {} and {}",
                train.target.len(),
                dev.target.len()
            )));
        }
        let n = train.x.n as f64;
        let stats: Vec<(f32, f32)> = (0..h)
            .map(|j| {
                let c = train.x.col(j);
                let m = c.iter().map(|&v| v as f64).sum::<f64>() / n;
                let var = c.iter().map(|&v| (v as f64 - m).powi(2)).sum::<f64>() / n;
                let s = if var > 1e-12 * (1.0 + m * m) {
                    var.sqrt()
                } else {
                    1.0
                };
                (m as f32, s as f32)
            })
            .collect();
        apply(&mut train.x, &stats);
        apply(&mut dev.x, &stats);
        if let Some(t) = test.as_mut() {
            apply(&mut t.x, &stats);
        }
        Ok(Self {
            train,
            dev,
            test,
            metrics,
        })
    }

    pub fn h(&self) -> usize {
        self.train.x.h
    }
    pub fn kind(&self) -> TaskKind {
        match self.train.target {
            Target::Classes { .. } => TaskKind::Classification,
            Target::Scores(_) => TaskKind::Regression,
        }
    }
    pub fn classes(&self) -> usize {
        match &self.train.target {
            Target::Classes { classes, .. } => *classes,
            Target::Scores(_) => 1,
        }
    }
}

/// The hidden-state files of one task: train, dev and optionally test, checked to fit together.
#[derive(Debug)]
pub struct HiddenSet {
    pub train: HiddenReader,
    pub dev: HiddenReader,
    pub test: Option<HiddenReader>,
    labels: Vec<Labels>,
    pub metrics: Vec<Metric>,
    pub classes: usize,
}

impl HiddenSet {
    /// Opens the three files (test may be None) and checks model, task, readouts and sizes agree.
    pub fn open(train: &Path, dev: &Path, test: Option<&Path>) -> Result<Self, ProbeError> {
        let train_r = HiddenReader::open(train)?;
        let dev_r = HiddenReader::open(dev)?;
        let test_r = test.map(HiddenReader::open).transpose()?;
        let a = train_r.meta();
        for r in std::iter::once(&dev_r).chain(test_r.as_ref()) {
            let b = r.meta();
            let mismatch = |what: &str, x: String, y: String| ProbeError::Mismatch {
                a: train.into(),
                b: r.path().into(),
                msg: format!("{what}: {x} vs {y}"),
            };
            if (a.layers(), a.hidden_size) != (b.layers(), b.hidden_size) {
                return Err(mismatch(
                    "layers, hidden",
                    format!("{:?}", (a.layers(), a.hidden_size)),
                    format!("{:?}", (b.layers(), b.hidden_size)),
                ));
            }
            for (what, x, y) in [
                ("task", &a.task, &b.task),
                ("model", &a.model, &b.model),
                ("source", &a.source, &b.source),
            ] {
                if x != y {
                    return Err(mismatch(what, x.clone(), y.clone()));
                }
            }
            if a.kind != b.kind || a.readouts != b.readouts {
                return Err(mismatch(
                    "kind, readouts",
                    format!("{:?} {:?}", a.kind, a.readouts),
                    format!("{:?} {:?}", b.kind, b.readouts),
                ));
            }
        }
        let metrics = a
            .metrics
            .iter()
            .map(|m| {
                Metric::parse(m).ok_or_else(|| {
                    ProbeError::Invalid(format!("{}: unknown metric {m}", train.display()))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut labels = vec![train_r.labels()?, dev_r.labels()?];
        if let Some(t) = &test_r {
            labels.push(t.labels()?);
        }
        let max_label = labels
            .iter()
            .filter_map(|l| match l {
                Labels::Classes(v) => v.iter().max().map(|&m| (m + 1).max(0) as usize),
                Labels::Scores(_) => None,
            })
            .max()
            .unwrap_or(0);
        let classes = a.label_names.len().max(max_label).max(2);
        Ok(Self {
            train: train_r,
            dev: dev_r,
            test: test_r,
            labels,
            metrics,
            classes,
        })
    }

    /// Permutes the labels of every split (each with its own seeded stream), so that they carry
    /// no signal: a control task (Hewitt & Liang, 2019). A probe fitted, selected and scored on
    /// them shows what the same search reaches by chance.
    pub fn permute_labels(&mut self, seed: u64) {
        for (k, labels) in self.labels.iter_mut().enumerate() {
            let mut state = seed ^ (0xC0FF_EE00 + k as u64);
            let mut next = move || {
                state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let mut z = state;
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                z ^ (z >> 31)
            };
            let n = match labels {
                Labels::Classes(v) => v.len(),
                Labels::Scores(v) => v.len(),
            };
            // Fisher-Yates, from the end.
            for i in (1..n).rev() {
                let j = (next() % (i as u64 + 1)) as usize;
                match labels {
                    Labels::Classes(v) => v.swap(i, j),
                    Labels::Scores(v) => v.swap(i, j),
                }
            }
        }
    }

    /// `<dir>/{train,dev,test}.safetensors` (test only if present).
    pub fn open_dir(dir: &Path) -> Result<Self, ProbeError> {
        let p = |s: &str| dir.join(format!("{s}.safetensors"));
        let test: Option<PathBuf> = Some(p("test")).filter(|t| t.exists());
        Self::open(&p("train"), &p("dev"), test.as_deref())
    }

    /// The item ids (the hidden files' `idx`) of a problem's rows of `split` (`train`, `dev`,
    /// `test`): the labelled items, in file order. Empty for a test split that was not given.
    pub fn problem_idx(&self, split: &str) -> Result<Vec<u32>, ProbeError> {
        let (reader, labels) = match split {
            "train" => (Some(&self.train), &self.labels[0]),
            "dev" => (Some(&self.dev), &self.labels[1]),
            _ => (
                self.test.as_ref(),
                self.labels.get(2).unwrap_or(&self.labels[1]),
            ),
        };
        let Some(reader) = reader else {
            return Ok(vec![]);
        };
        let idx = reader.idx()?;
        Ok(labelled(labels).into_iter().map(|i| idx[i]).collect())
    }

    pub fn readouts(&self) -> &[String] {
        &self.train.meta().readouts
    }

    /// The standardized problem of `layer` of `readout`.
    pub fn problem(&self, readout: &str, layer: usize) -> Result<Problem, ProbeError> {
        let h = self.train.hidden();
        let tr = self.train.layer(readout, layer)?;
        let dv = self.dev.layer(readout, layer)?;
        let te = self
            .test
            .as_ref()
            .map(|t| t.layer(readout, layer))
            .transpose()?;
        let test = te.as_deref().zip(self.labels.get(2));
        Problem::new(
            (tr.as_slice(), &self.labels[0]),
            (dv.as_slice(), &self.labels[1]),
            test,
            h,
            self.metrics.clone(),
            self.classes,
        )
    }
}
