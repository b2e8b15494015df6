//! Bytes to text: checksums, strict UTF-8 with line-exact errors, explicit cp1252 decoding,
//! whitespace cleanup and the normalized form that splits and deduplication hash.

use crate::error::{DataError, Result};
use sha2::{Digest, Sha256};
use std::path::Path;

/// Reads a whole file, naming it on failure.
pub fn read_bytes(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| DataError::io(path, e))
}

/// Hex sha256 of bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Hex sha256 of a file.
pub fn sha256_file(path: &Path) -> Result<String> {
    Ok(sha256_hex(&read_bytes(path)?))
}

/// Decodes bytes that must be UTF-8 (a BOM is dropped); an error names the line and byte.
pub fn strict_utf8<'a>(path: &Path, bytes: &'a [u8]) -> Result<&'a str> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| {
        let at = e.valid_up_to();
        let line = bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1;
        let col = at
            - bytes[..at]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |p| p + 1);
        DataError::line(
            path,
            line,
            format!(
                "invalid UTF-8 (byte 0x{:02X} at column {}); this source must be UTF-8",
                bytes[at],
                col + 1
            ),
        )
    })
}

/// cp1252's characters for bytes 0x80..=0x9F; its five holes keep their latin-1 code point.
const CP1252_HIGH: [u32; 32] = [
    0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039,
    0x0152, 0x8D, 0x017D, 0x8F, 0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D, 0x017E, 0x0178,
];

/// The character cp1252 gives one byte.
pub fn cp1252_char(b: u8) -> char {
    let cp = if (0x80..0xA0).contains(&b) {
        CP1252_HIGH[(b - 0x80) as usize]
    } else {
        b as u32
    };
    char::from_u32(cp).expect("cp1252 table holds valid code points")
}

/// Decodes bytes as cp1252 (every byte maps to one character; nothing is lost).
pub fn decode_cp1252(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| cp1252_char(b)).collect()
}

/// Decodes UTF-8, reading each invalid byte as cp1252; returns the text and how many bytes
/// were repaired that way.
pub fn decode_utf8_or_cp1252(bytes: &[u8]) -> (String, usize) {
    let mut out = String::with_capacity(bytes.len());
    let mut repaired = 0;
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        for &b in chunk.invalid() {
            out.push(cp1252_char(b));
            repaired += 1;
        }
    }
    (out, repaired)
}

/// Collapses runs of whitespace (newlines included) to one space and trims the ends.
pub fn collapse_ws(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The form that splits and deduplication compare: lowercased, whitespace collapsed.
pub fn normalize(text: &str) -> String {
    collapse_ws(&text.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding() {
        assert_eq!(
            decode_cp1252(b"caf\xe9 \x93x\x94 \x81"),
            "caf\u{e9} \u{201c}x\u{201d} \u{81}"
        );
        let (s, n) = decode_utf8_or_cp1252(
            "£1 "
                .as_bytes()
                .iter()
                .chain(b"\xa32")
                .copied()
                .collect::<Vec<_>>()
                .as_slice(),
        );
        assert_eq!((s.as_str(), n), ("£1 £2", 1));
        let err = strict_utf8(Path::new("f.tsv"), b"ok\nab\xffc\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("f.tsv: line 2") && err.contains("0xFF at column 3"),
            "{err}"
        );
        assert_eq!(
            strict_utf8(Path::new("f"), b"\xEF\xBB\xBFhi").unwrap(),
            "hi"
        );
        assert_eq!(normalize("  Hello \t World\r\n"), "hello world");
    }
}
