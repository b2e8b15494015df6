//! VADER ground-truth files: `id \t mean score (-4..4) \t text` per line, UTF-8, no header.

use super::Loaded;
use crate::error::{DataError, Result};
use crate::taskfile::{Item, Label};
use crate::text::{collapse_ws, read_bytes, sha256_hex, strict_utf8};
use std::path::Path;

/// Scores with |score| below this are neutral and dropped from the binary tasks.
pub const NEUTRAL_BELOW: f32 = 0.5;

/// Reads `path`; `binary` maps scores to classes (negative 0, positive 1) and drops neutral ones,
/// else the label is the score. `idx` is the 0-based line number.
pub fn read(path: &Path, binary: bool) -> Result<Loaded> {
    let bytes = read_bytes(path)?;
    let text = strict_utf8(path, &bytes)?;
    let mut items = Vec::new();
    let (mut neutral, mut empty) = (0, 0);
    for (i, line) in text.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.splitn(3, '\t').collect();
        if fields.len() != 3 {
            return Err(DataError::line(
                path,
                i + 1,
                format!(
                    "expected `id<TAB>score<TAB>text`, found {} field(s)",
                    fields.len()
                ),
            ));
        }
        let score: f32 = fields[1].trim().parse().map_err(|_| {
            DataError::cell(
                path,
                format!("line {}", i + 1),
                "score",
                format!("`{}` is not a number", fields[1]),
            )
        })?;
        if !(-4.0..=4.0).contains(&score) {
            return Err(DataError::cell(
                path,
                format!("line {}", i + 1),
                "score",
                format!("{score} is outside -4..4"),
            ));
        }
        let text = collapse_ws(fields[2]);
        if text.is_empty() {
            empty += 1;
            continue;
        }
        let label = if !binary {
            Label::Score(score)
        } else if score >= NEUTRAL_BELOW {
            Label::Class(1)
        } else if score <= -NEUTRAL_BELOW {
            Label::Class(0)
        } else {
            neutral += 1;
            continue;
        };
        items.push(Item {
            idx: i as u32,
            text_a: text,
            text_b: None,
            label,
        });
    }
    let mut notes = Vec::new();
    if binary {
        notes.push(format!(
            "{neutral} neutral (|score| < {NEUTRAL_BELOW}) dropped"
        ));
    }
    if empty > 0 {
        notes.push(format!("{empty} empty text(s) dropped"));
    }
    Ok(Loaded {
        path: path.into(),
        sha256: sha256_hex(&bytes),
        items,
        repaired_rows: 0,
        notes,
    })
}
