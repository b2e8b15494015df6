//! `tokenize`: task parquet + `tokenizer.json` -> token parquet (see `fewdims_data::tokenize`).

use anyhow::{Context, Result, bail};
use clap::Parser;
use std::io::IsTerminal;
use std::path::PathBuf;

/// Tokenizes one task split into unpadded ids, token types, label and idx.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    /// The tokenizer (a Hugging Face `tokenizer.json`); its own padding/truncation are ignored.
    #[arg(long, required_unless_present = "summary")]
    tokenizer: Option<PathBuf>,
    /// Longest row in tokens, special tokens included; pairs are truncated longest first.
    #[arg(long, default_value_t = 128, value_parser = clap::value_parser!(u32).range(4..=65536))]
    max_len: u32,
    /// Task parquet written by `prepare`.
    #[arg(long = "in", required_unless_present = "summary")]
    input: Option<PathBuf>,
    /// Token parquet to write (atomically).
    #[arg(long, required_unless_present = "summary")]
    out: Option<PathBuf>,
    /// No progress bar (it shows only on a terminal and on long input anyway).
    #[arg(long)]
    no_progress: bool,
    /// Prints one line per given task or token file (rows, label balance, truncations) and exits.
    #[arg(long, num_args = 1.., conflicts_with_all = ["tokenizer", "input", "out"])]
    summary: Vec<PathBuf>,
}

fn main() -> Result<()> {
    let args = Args::parse();
    if !args.summary.is_empty() {
        for path in &args.summary {
            println!("{}", fewdims_data::summarize_file(path)?);
        }
        return Ok(());
    }
    let (tokenizer, input, out) = (
        args.tokenizer.expect("required by clap"),
        args.input.expect("required by clap"),
        args.out.expect("required by clap"),
    );
    if input == out {
        bail!("--in and --out are the same file: {}", input.display());
    }
    // Its folder must take files, and one writer per output: refuse while another process (a
    // second `make`) writes it (`OutputLock::acquire` checks both, before any input is read).
    let _lock = fewdims_schema::OutputLock::acquire(&out)?;
    let tok = fewdims_data::load_tokenizer(&tokenizer, args.max_len as usize)?;
    let progress = !args.no_progress && std::io::stderr().is_terminal();
    let r = fewdims_data::tokenize_file(&tok, &input, &out, progress)
        .with_context(|| format!("tokenize --in {} --out {}", input.display(), out.display()))?;
    let rate = r.rows as f64 / r.encode_seconds.max(1e-9);
    println!(
        "{}: rows={} truncated={} tokens={} max={} encode {:.3}s ({:.0} rows/s)",
        r.output.display(),
        r.rows,
        r.truncated,
        r.tokens,
        r.max_tokens,
        r.encode_seconds,
        rate
    );
    Ok(())
}
