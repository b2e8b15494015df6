//! BBC news: `<dir>/<topic>/<NNN>.txt`, one article per file (headline, blank line, body).
//! Files are UTF-8 except a few stray latin-1 bytes, which are read as cp1252 and counted.

use super::Loaded;
use crate::error::{DataError, Result};
use crate::taskfile::{Item, Label};
use crate::text::{collapse_ws, decode_utf8_or_cp1252, read_bytes, sha256_hex};
use std::path::Path;

/// Reads every topic folder named in `label_names`; `idx` = topic index * 1000 + file number.
/// The checksum covers every file read (sha256 of `<topic>/<file> <sha256>` lines, sorted).
pub fn read(dir: &Path, label_names: &[&str]) -> Result<Loaded> {
    if !dir.is_dir() {
        return Err(DataError::source(
            dir,
            "not a folder; expected one folder per topic",
        ));
    }
    let mut items = Vec::new();
    let mut manifest = Vec::new();
    let mut repaired = 0;
    for (class, topic) in label_names.iter().enumerate() {
        let sub = dir.join(topic);
        let entries = std::fs::read_dir(&sub).map_err(|e| {
            DataError::source(
                &sub,
                format!("topic folder: {e} (expected folders {label_names:?})"),
            )
        })?;
        let mut files: Vec<_> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "txt"))
            .collect();
        files.sort();
        if files.is_empty() {
            return Err(DataError::source(&sub, "no .txt articles"));
        }
        for file in files {
            let stem = file
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default();
            let num: u32 = stem.parse().ok().filter(|n| *n < 1000).ok_or_else(|| {
                DataError::source(&file, "file name is not a number below 1000 (`NNN.txt`)")
            })?;
            let bytes = read_bytes(&file)?;
            manifest.push(format!("{topic}/{stem}.txt {}", sha256_hex(&bytes)));
            let (text, bad) = decode_utf8_or_cp1252(&bytes);
            repaired += usize::from(bad > 0);
            let text = collapse_ws(&text);
            if text.is_empty() {
                return Err(DataError::source(&file, "empty article"));
            }
            let idx = class as u32 * 1000 + num;
            items.push(Item {
                idx,
                text_a: text,
                text_b: None,
                label: Label::Class(class as i64),
            });
        }
    }
    manifest.sort();
    let notes = vec![format!(
        "{repaired} article(s) repaired: invalid UTF-8 bytes read as cp1252"
    )];
    Ok(Loaded {
        path: dir.into(),
        sha256: sha256_hex(manifest.join("\n").as_bytes()),
        items,
        repaired_rows: repaired,
        notes,
    })
}
