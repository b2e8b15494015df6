//! rep-change: how much each layer moved between two hidden-state files of the same items
//! (pretrained vs fine-tuned, say): linear CKA and mean cosine per layer and readout
//! (`fewdims_probe::rep_change`).

use std::path::PathBuf;

use anyhow::Result;
use clap::Parser;
use fewdims_probe::rep_change::{RepChangeConfig, rep_change};

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
    if args.threads > 0 {
        rayon::ThreadPoolBuilder::new()
            .num_threads(args.threads)
            .build_global()?;
    }
    // Its folder must take files, and one writer per output: refuse while another process (a
    // second `make`) writes it (`OutputLock::acquire` checks both, before any input is read).
    let _lock = fewdims_schema::OutputLock::acquire(&args.out)?;
    let summary = rep_change(&RepChangeConfig {
        a: args.a,
        b: args.b,
        out: args.out,
        readouts: args.readouts,
    })?;
    print!("{summary}");
    Ok(())
}
