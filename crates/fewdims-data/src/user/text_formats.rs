//! CSV, TSV and JSON Lines. Each must be UTF-8; a BOM is dropped and CRLF line ends are read
//! like LF. CSV and TSV follow RFC 4180 quoting (what pandas, Excel and Python's `csv` write): a
//! field in double quotes may hold the delimiter, quotes (doubled) and line breaks.

use super::table::{At, Cell, RawRow, RawTable, Wanted, empty_file, positions};
use crate::error::{DataError, Result};
use crate::text::{read_bytes, strict_utf8};
use std::path::Path;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Reads a delimited file (`b','` or `b'\t'`) with a header row. `quoting: false` reads `"` as
/// an ordinary character (TSVs written without quoting, like GLUE's).
pub fn read_delimited(
    path: &Path,
    delimiter: u8,
    quoting: bool,
    wanted: &Wanted,
) -> Result<RawTable> {
    let bytes = read_bytes(path)?;
    // Excel and PowerShell write a BOM; left in, it would glue itself to the first column name.
    let body = bytes.strip_prefix(BOM).unwrap_or(&bytes);
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(empty_file(path, "the file is empty"));
    }
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .quoting(quoting)
        .has_headers(true)
        .from_reader(body);
    let header: Vec<String> = reader
        .byte_headers()
        .map_err(|e| csv_error(path, e))?
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let h = std::str::from_utf8(h).map_err(|e| {
                bad_utf8(path, &At::Line(1).to_string(), &format!("#{}", i + 1), h, e)
            })?;
            Ok(h.trim().to_string())
        })
        .collect::<Result<_>>()?;
    let pos = positions(path, &header, wanted)?;
    let mut rows = Vec::new();
    let mut record = csv::ByteRecord::new();
    while reader
        .read_byte_record(&mut record)
        .map_err(|e| csv_error(path, e))?
    {
        // The line the record starts on (a quoted field may span several).
        let at = At::Line(record.position().map_or(0, |p| p.line() as usize));
        let mut cells = [Cell::Missing, Cell::Missing, Cell::Missing, Cell::Missing];
        for (k, p) in pos.iter().enumerate() {
            let (Some(p), Some(name)) = (p, &wanted[k]) else {
                continue;
            };
            let raw = record.get(*p).unwrap_or_default();
            let s = std::str::from_utf8(raw)
                .map_err(|e| bad_utf8(path, &at.to_string(), name, raw, e))?;
            cells[k] = Cell::Text(s.to_string());
        }
        rows.push(RawRow { at, cells });
    }
    if rows.is_empty() {
        return Err(empty_file(path, "the file has a header but no rows"));
    }
    Ok(RawTable::of_text(path, &bytes, rows))
}

fn bad_utf8(path: &Path, at: &str, column: &str, raw: &[u8], e: std::str::Utf8Error) -> DataError {
    let i = e.valid_up_to();
    DataError::cell(
        path,
        at,
        column,
        format!(
            "invalid UTF-8 (byte 0x{:02X} at byte {} of the field); save the file as UTF-8",
            raw[i],
            i + 1
        ),
    )
}

fn csv_error(path: &Path, e: csv::Error) -> DataError {
    let line = e.position().map_or(0, |p| p.line() as usize);
    match e.into_kind() {
        csv::ErrorKind::Io(io) => DataError::io(path, io),
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => DataError::line(
            path,
            line,
            format!(
                "{len} field(s), but the header has {expected_len}; a field holding the delimiter, \
                 a quote or a line break must be in double quotes (an unclosed quote runs on to \
                 the next one: see --no-quoting)"
            ),
        ),
        other => DataError::line(path, line, format!("{other:?}")),
    }
}

/// Reads JSON Lines: one object per line, blank lines skipped. Strings, numbers, booleans and
/// nulls are values; a key absent from a line is [`Cell::Missing`] there.
pub fn read_jsonl(path: &Path, wanted: &Wanted) -> Result<RawTable> {
    let bytes = read_bytes(path)?;
    let text = strict_utf8(path, &bytes)?; // drops a BOM; names the line and column of a bad byte
    let mut rows = Vec::new();
    let mut seen = [false; 4];
    let mut first_keys: Option<Vec<String>> = None;
    for (i, line) in text.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            continue;
        }
        let n = i + 1;
        let value: serde_json::Value = serde_json::from_str(line).map_err(|e| {
            let msg = e.to_string();
            let msg = msg
                .rsplit_once(" at line ")
                .map_or(msg.as_str(), |(m, _)| m);
            DataError::line(
                path,
                n,
                format!("not valid JSON at column {}: {msg}", e.column()),
            )
        })?;
        let serde_json::Value::Object(obj) = value else {
            let hint = if value.is_array() {
                "; JSON Lines holds one object per line (pandas: to_json(orient=\"records\", lines=True))"
            } else {
                ""
            };
            return Err(DataError::line(
                path,
                n,
                format!("expected a JSON object, found {}{hint}", json_type(&value)),
            ));
        };
        first_keys.get_or_insert_with(|| obj.keys().cloned().collect());
        let at = At::Line(n);
        let mut cells = [Cell::Missing, Cell::Missing, Cell::Missing, Cell::Missing];
        for (k, name) in wanted.iter().enumerate() {
            let Some(name) = name else { continue };
            let Some(v) = obj.get(name) else { continue };
            seen[k] = true;
            cells[k] = match v {
                serde_json::Value::Null => Cell::Null,
                serde_json::Value::String(s) => Cell::Text(s.clone()),
                serde_json::Value::Bool(b) => Cell::Bool(*b),
                serde_json::Value::Number(x) => match x.as_i64() {
                    Some(i) => Cell::Int(i),
                    None => Cell::Float(x.as_f64().unwrap_or(f64::NAN)),
                },
                other => {
                    return Err(DataError::cell(
                        path,
                        at.to_string(),
                        name,
                        format!("expected text or a number, found {}", json_type(other)),
                    ));
                }
            };
        }
        rows.push(RawRow { at, cells });
    }
    let Some(keys) = first_keys else {
        return Err(empty_file(path, "the file is empty"));
    };
    // A key that no line has is an absent column, reported as for a header.
    let absent: Wanted = std::array::from_fn(|k| wanted[k].clone().filter(|_| !seen[k]));
    positions(path, &keys, &absent)?;
    Ok(RawTable::of_text(path, &bytes, rows))
}

fn json_type(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}
