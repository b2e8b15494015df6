//! The tokenize stage: task parquet + `tokenizer.json` -> token parquet.
//!
//! Padding and truncation baked into `tokenizer.json` are switched off; truncation is set to
//! `max_len` (special tokens included), longest first for pairs. Encoding runs in parallel
//! (the tokenizers crate's `encode_batch` uses rayon, also without its default features).

use crate::error::{DataError, Result};
use crate::pq::commit_all;
use crate::taskfile::{TaskSplit, read_task_split};
use crate::text::{read_bytes, sha256_hex};
use crate::tokfile::{TokMeta, TokenSplit, write_token_split};
use indicatif::{ProgressBar, ProgressState, ProgressStyle};
use std::path::{Path, PathBuf};
use std::time::Instant;
use tokenizers::{
    EncodeInput, PostProcessor, Tokenizer, TruncationDirection, TruncationParams,
    TruncationStrategy,
};

/// Rows per `encode_batch` call (and progress-bar step).
const CHUNK: usize = 2048;
/// Inputs with at least this many rows get a progress bar.
pub const PROGRESS_MIN_ROWS: usize = 10_000;

/// A loaded tokenizer with our own truncation and no padding.
#[derive(Debug)]
pub struct LoadedTokenizer {
    pub tokenizer: Tokenizer,
    pub path: PathBuf,
    pub sha256: String,
    pub max_len: usize,
    pub pad_id: Option<u32>,
}

/// Loads `tokenizer.json`, switches its padding off and truncates to `max_len`, longest first.
pub fn load_tokenizer(path: &Path, max_len: usize) -> Result<LoadedTokenizer> {
    let bytes = read_bytes(path)?;
    let bad = |msg: String| DataError::Tokenizer {
        path: path.into(),
        msg,
    };
    // tokenizers 0.22 panics on some malformed files (`expect("Helper")` on a bad `decoder`):
    // that is this file's error, not a crash of the stage.
    let parsed = std::panic::catch_unwind(|| Tokenizer::from_bytes(&bytes))
        .unwrap_or_else(|p| Err(panic_text(&p).into()));
    let mut tokenizer =
        parsed.map_err(|e| bad(format!("does not parse as tokenizer.json: {e}")))?;
    let pad_id = tokenizer
        .get_padding()
        .map(|p| p.pad_id)
        .or_else(|| tokenizer.token_to_id("[PAD]"));
    let added = tokenizer
        .get_post_processor()
        .map_or(0, |p| p.added_tokens(true));
    if max_len < added + 2 {
        return Err(bad(format!(
            "max_len {max_len} leaves no room: pairs take {added} special tokens"
        )));
    }
    tokenizer.with_padding(None);
    let params = TruncationParams {
        max_length: max_len,
        strategy: TruncationStrategy::LongestFirst,
        stride: 0,
        direction: TruncationDirection::Right,
    };
    tokenizer
        .with_truncation(Some(params))
        .map_err(|e| bad(format!("truncation: {e}")))?;
    Ok(LoadedTokenizer {
        tokenizer,
        path: path.into(),
        sha256: sha256_hex(&bytes),
        max_len,
        pad_id,
    })
}

/// The message of a caught panic.
fn panic_text(p: &Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

/// Encodes every row of `split` (in parallel, chunk by chunk) into a token split.
pub fn encode_split(
    tok: &LoadedTokenizer,
    split: TaskSplit,
    bar: &ProgressBar,
) -> Result<TokenSplit> {
    let n = split.items.len();
    let mut out = TokenSplit {
        meta: split.meta,
        tok: TokMeta {
            tokenizer: tok.path.display().to_string(),
            tokenizer_sha256: tok.sha256.clone(),
            max_len: tok.max_len,
            truncated: 0,
            pad_id: tok.pad_id,
        },
        idx: split.items.iter().map(|i| i.idx).collect(),
        offsets: Vec::with_capacity(n + 1),
        input_ids: Vec::new(),
        token_type_ids: Vec::new(),
        labels: split.items.iter().map(|i| i.label).collect(),
    };
    out.offsets.push(0);
    let path = &tok.path;
    for chunk in split.items.chunks(CHUNK) {
        let inputs: Vec<EncodeInput> = chunk
            .iter()
            .map(|i| match &i.text_b {
                Some(b) => (i.text_a.as_str(), b.as_str()).into(),
                None => i.text_a.as_str().into(),
            })
            .collect();
        // A malformed tokenizer.json can load and then panic here (a template naming a
        // special token it does not define): that is the file's error, not a crash.
        let encode = std::panic::AssertUnwindSafe(|| tok.tokenizer.encode_batch_fast(inputs, true));
        let encodings = std::panic::catch_unwind(encode)
            .unwrap_or_else(|p| Err(format!("the tokenizer panicked: {}", panic_text(&p)).into()))
            .map_err(|e| DataError::Tokenizer {
                path: path.clone(),
                msg: format!("encoding failed: {e}"),
            })?;
        for e in encodings {
            out.tok.truncated += usize::from(!e.get_overflowing().is_empty());
            out.input_ids.extend_from_slice(e.get_ids());
            for &t in e.get_type_ids() {
                let t = u8::try_from(t).map_err(|_| DataError::Tokenizer {
                    path: path.clone(),
                    msg: format!("type id {t} > 255"),
                })?;
                out.token_type_ids.push(t);
            }
            out.offsets.push(out.input_ids.len());
        }
        bar.inc(chunk.len() as u64);
    }
    Ok(out)
}

/// What one tokenize run did.
#[derive(Debug, Clone)]
pub struct TokenizeReport {
    pub output: PathBuf,
    pub rows: usize,
    pub truncated: usize,
    pub tokens: usize,
    pub max_tokens: usize,
    /// Seconds spent encoding (reading and writing excluded).
    pub encode_seconds: f64,
}

/// Tokenizes the task file `input` into the token file `output` (written atomically).
/// `progress` shows a bar with rate and ETA on inputs of [`PROGRESS_MIN_ROWS`] rows or more.
pub fn tokenize_file(
    tok: &LoadedTokenizer,
    input: &Path,
    output: &Path,
    progress: bool,
) -> Result<TokenizeReport> {
    let split = read_task_split(input)?;
    let n = split.items.len();
    let bar = if progress && n >= PROGRESS_MIN_ROWS {
        ProgressBar::new(n as u64)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} rows {rate} eta {eta}")
            .expect("valid template")
            .with_key("rate", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{:.0}/s", s.per_sec());
            })
            .progress_chars("=> "),
    );
    bar.set_prefix(format!("{}/{}", split.meta.task, split.meta.split));
    let start = Instant::now();
    let encoded = encode_split(tok, split, &bar)?;
    let encode_seconds = start.elapsed().as_secs_f64();
    bar.finish_and_clear();
    let max_tokens = encoded
        .offsets
        .windows(2)
        .map(|w| w[1] - w[0])
        .max()
        .unwrap_or(0);
    let file = write_token_split(output, &encoded)?;
    commit_all(vec![file])?;
    Ok(TokenizeReport {
        output: output.into(),
        rows: n,
        truncated: encoded.tok.truncated,
        tokens: encoded.input_ids.len(),
        max_tokens,
        encode_seconds,
    })
}
