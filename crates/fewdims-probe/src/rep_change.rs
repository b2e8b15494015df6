//! The `rep-change` stage: how much each layer moved between two hidden-state files of the
//! same items (pretrained vs fine-tuned, say): linear CKA and mean cosine per layer and
//! readout, written as a CKA table (`fewdims_tables::cka`).

use std::path::{Path, PathBuf};

use fewdims_schema::hidden::{HiddenReader, readout_layers};
use fewdims_schema::probe as contract;
use fewdims_tables::cka::CkaRow;
use rayon::prelude::*;

use crate::cka::{linear_cka, mean_cosine};
use crate::{ProbeError, file_sha256};

/// The two files to compare and where to write.
#[derive(Clone, Debug)]
pub struct RepChangeConfig {
    pub a: PathBuf,
    /// Same items in the same order as `a`.
    pub b: PathBuf,
    pub out: PathBuf,
    /// Readouts to compare; empty = every readout both files have.
    pub readouts: Vec<String>,
}

/// The rows written, for printing.
#[derive(Clone, Debug)]
pub struct RepChangeSummary {
    pub rows: Vec<CkaRow>,
    pub out: PathBuf,
}

impl std::fmt::Display for RepChangeSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "{:>9} {:>5} {:>8} {:>11}",
            "readout", "layer", "cka", "mean_cos"
        )?;
        for r in &self.rows {
            writeln!(
                f,
                "{:>9} {:>5} {:>8.4} {:>11.4}",
                r.readout, r.layer, r.cka, r.mean_cosine
            )?;
        }
        writeln!(f, "{} rows -> {}", self.rows.len(), self.out.display())
    }
}

fn bad(msg: String) -> ProbeError {
    ProbeError::Invalid(msg)
}

/// The readouts to compare: those asked for (each in both files), or all the files share.
fn shared_readouts(
    cfg: &RepChangeConfig,
    a: &HiddenReader,
    b: &HiddenReader,
) -> Result<Vec<String>, ProbeError> {
    let (ma, mb) = (a.meta(), b.meta());
    let readouts: Vec<String> = if cfg.readouts.is_empty() {
        ma.readouts
            .iter()
            .filter(|r| mb.readouts.contains(r))
            .cloned()
            .collect()
    } else {
        cfg.readouts.clone()
    };
    for r in &readouts {
        for (m, p) in [(ma, &cfg.a), (mb, &cfg.b)] {
            if !m.readouts.contains(r) {
                return Err(bad(format!(
                    "readout {r:?} is not in {} (it has {:?})",
                    p.display(),
                    m.readouts
                )));
            }
        }
    }
    if readouts.is_empty() {
        return Err(bad(format!(
            "the files share no readout ({:?} vs {:?})",
            ma.readouts, mb.readouts
        )));
    }
    Ok(readouts)
}

/// Compares the two files and writes the table.
pub fn rep_change(cfg: &RepChangeConfig) -> Result<RepChangeSummary, ProbeError> {
    let a = HiddenReader::open(&cfg.a)?;
    let b = HiddenReader::open(&cfg.b)?;
    if a.n() != b.n() || a.layers() != b.layers() {
        return Err(bad(format!(
            "{} has {} items x {} layers, {} has {} x {}: not the same items and model shape",
            cfg.a.display(),
            a.n(),
            a.layers(),
            cfg.b.display(),
            b.n(),
            b.layers()
        )));
    }
    if a.idx()? != b.idx()? {
        return Err(bad(format!(
            "{} and {} hold different items (tensor `idx` differs)",
            cfg.a.display(),
            cfg.b.display()
        )));
    }
    let readouts = shared_readouts(cfg, &a, &b)?;
    let jobs: Vec<(String, usize)> = readouts
        .iter()
        .flat_map(|r| (0..readout_layers(r, a.layers())).map(move |l| (r.clone(), l)))
        .collect();
    let (n, ha, hb) = (a.n(), a.hidden(), b.hidden());
    let top = a.meta().num_layers;
    let rows = jobs
        .par_iter()
        .map(|(r, l)| -> Result<CkaRow, ProbeError> {
            let x = a.layer(r, *l)?;
            let y = b.layer(r, *l)?;
            // A one-layer readout (the pooler) reads the top layer.
            let layer = if readout_layers(r, a.layers()) == 1 {
                top
            } else {
                *l
            };
            Ok(CkaRow {
                layer: layer as i32,
                readout: r.clone(),
                cka: linear_cka(&x, &y, n, ha, hb),
                mean_cosine: if ha == hb {
                    mean_cosine(&x, &y, n, ha)
                } else {
                    f64::NAN
                },
                n: n as u32,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let file = |p: &Path, model: &str| -> Result<String, ProbeError> {
        let sha = file_sha256(p)?;
        Ok(
            serde_json::json!({"path": p.display().to_string(), "sha256": sha, "model": model})
                .to_string(),
        )
    };
    let kv = vec![
        (contract::META_TASK.to_string(), a.meta().task.clone()),
        (contract::META_A.to_string(), file(&cfg.a, &a.meta().model)?),
        (contract::META_B.to_string(), file(&cfg.b, &b.meta().model)?),
    ];
    fewdims_tables::cka::write(&cfg.out, &rows, &kv)?;
    Ok(RepChangeSummary {
        rows,
        out: cfg.out.clone(),
    })
}
