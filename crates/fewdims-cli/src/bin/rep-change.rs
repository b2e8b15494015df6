//! rep-change: how much each layer moved between two hidden-state files of the same items
//! (pretrained vs fine-tuned, say): linear CKA and mean cosine per layer and readout.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Parser;
use fewdims_probe::cka::{linear_cka, mean_cosine};
use fewdims_probe::file_sha256;
use fewdims_probe::table::{CkaRow, write_cka};
use fewdims_schema::hidden::{HiddenReader, readout_layers};
use fewdims_schema::probe as contract;
use rayon::prelude::*;

/// Linear CKA and mean cosine per layer between two hidden-state files of the same items.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    /// First file (e.g. hidden/pretrained/movie/dev.safetensors).
    #[arg(long)]
    a: PathBuf,
    /// Second file, same items in the same order (e.g. hidden/<run>/movie/dev.safetensors).
    #[arg(long)]
    b: PathBuf,
    /// Output parquet.
    #[arg(long)]
    out: PathBuf,
    /// Comma-separated readouts (default: every readout both files have).
    #[arg(long, value_delimiter = ',')]
    readouts: Vec<String>,
    /// Worker threads (0 = all cores).
    #[arg(long, default_value_t = 0)]
    threads: usize,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let a =
        HiddenReader::open(&args.a).with_context(|| format!("opening --a {}", args.a.display()))?;
    let b =
        HiddenReader::open(&args.b).with_context(|| format!("opening --b {}", args.b.display()))?;
    let (ma, mb) = (a.meta(), b.meta());
    if a.n() != b.n() || a.layers() != b.layers() {
        bail!(
            "{} has {} items x {} layers, {} has {} x {}: not the same items and model shape",
            args.a.display(),
            a.n(),
            a.layers(),
            args.b.display(),
            b.n(),
            b.layers()
        );
    }
    if a.idx()? != b.idx()? {
        bail!(
            "{} and {} hold different items (tensor `idx` differs)",
            args.a.display(),
            args.b.display()
        );
    }
    let readouts: Vec<String> = if args.readouts.is_empty() {
        ma.readouts
            .iter()
            .filter(|r| mb.readouts.contains(r))
            .cloned()
            .collect()
    } else {
        args.readouts.clone()
    };
    for r in &readouts {
        for (m, p) in [(ma, &args.a), (mb, &args.b)] {
            if !m.readouts.contains(r) {
                bail!(
                    "readout {r:?} is not in {} (it has {:?})",
                    p.display(),
                    m.readouts
                );
            }
        }
    }
    if readouts.is_empty() {
        bail!(
            "the files share no readout ({:?} vs {:?})",
            ma.readouts,
            mb.readouts
        );
    }
    if args.threads > 0 {
        rayon::ThreadPoolBuilder::new()
            .num_threads(args.threads)
            .build_global()?;
    }
    let jobs: Vec<(String, usize)> = readouts
        .iter()
        .flat_map(|r| (0..readout_layers(r, a.layers())).map(move |l| (r.clone(), l)))
        .collect();
    let (n, ha, hb) = (a.n(), a.hidden(), b.hidden());
    let rows = jobs
        .par_iter()
        .map(|(r, l)| -> Result<CkaRow> {
            let x = a.layer(r, *l)?;
            let y = b.layer(r, *l)?;
            let layer = if readout_layers(r, a.layers()) == 1 {
                ma.num_layers
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
        .collect::<Result<Vec<_>>>()?;
    let file = |p: &PathBuf, model: &str| -> Result<String> {
        let sha = file_sha256(p)?;
        Ok(
            serde_json::json!({"path": p.display().to_string(), "sha256": sha, "model": model})
                .to_string(),
        )
    };
    let kv = vec![
        (contract::META_TASK.to_string(), ma.task.clone()),
        (contract::META_A.to_string(), file(&args.a, &ma.model)?),
        (contract::META_B.to_string(), file(&args.b, &mb.model)?),
    ];
    write_cka(&args.out, &rows, &kv).with_context(|| format!("writing {}", args.out.display()))?;
    println!(
        "{:>9} {:>5} {:>8} {:>11}",
        "readout", "layer", "cka", "mean_cos"
    );
    for r in &rows {
        println!(
            "{:>9} {:>5} {:>8.4} {:>11.4}",
            r.readout, r.layer, r.cka, r.mean_cosine
        );
    }
    println!("{} rows -> {}", rows.len(), args.out.display());
    Ok(())
}
