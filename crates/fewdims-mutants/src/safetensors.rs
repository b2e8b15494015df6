//! Structural mutants of safetensors files: the header length set to huge, negative or off by
//! a few; the JSON header edited (shapes and offsets out of range, other dtypes, `__metadata__`
//! keys removed, duplicated or set to hostile values), written back with a fitting length.

use crate::json::{J, mutate_json};
use crate::{INTS, Lcg, Mutant};

/// Every dtype name of the format (and a few that are not).
pub const DTYPES: [&str; 17] = [
    "BOOL", "U8", "I8", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "F64", "I64", "U64",
    "F8_E4M3", "F8_E5M2", "f32", "C64",
];

/// The header length and JSON of a file, when it has them.
fn split(orig: &[u8]) -> Option<(usize, &[u8])> {
    let n = u64::from_le_bytes(orig.get(..8)?.try_into().ok()?);
    let n = usize::try_from(n).ok()?;
    Some((n, orig.get(8..8usize.checked_add(n)?)?))
}

/// Where the parts of a safetensors file begin and end: the length field, the header, and
/// every tensor's data.
pub fn safetensors_boundaries(orig: &[u8]) -> Vec<usize> {
    let Some((n, header)) = split(orig) else {
        return vec![8];
    };
    let mut out = vec![8, 8 + n];
    if let Ok(serde_json::Value::Object(map)) = serde_json::from_slice(header) {
        for v in map.values() {
            if let Some(offs) = v.get("data_offsets").and_then(|o| o.as_array()) {
                out.extend(
                    offs.iter()
                        .filter_map(|o| o.as_u64())
                        .map(|o| 8 + n + o as usize),
                );
            }
        }
    }
    out
}

/// A mutant of the header: a length field edit (one in five) or one to three JSON edits.
/// `strings` are the values worth trying in string fields (tensor and metadata names).
pub fn safetensors_mutant(orig: &[u8], rng: &mut Lcg, strings: &[String]) -> Mutant {
    let Some((n, header)) = split(orig) else {
        return crate::Bytes::new(orig).mutant(1, 2, rng);
    };
    let data = &orig[8 + n..];
    if rng.chance(1, 5) {
        let len = if rng.chance(1, 2) {
            *rng.pick(&INTS)
        } else {
            (n as u64).wrapping_add(*rng.pick(&[1u64, 8, u64::MAX, u64::MAX - 7]))
        };
        let mut bytes = orig.to_vec();
        bytes[..8].copy_from_slice(&len.to_le_bytes());
        return Mutant {
            what: format!("header length {n} -> {len}"),
            bytes,
        };
    }
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(header) else {
        return crate::Bytes::new(orig).mutant(1, 2, rng);
    };
    let mut root = J::from_value(&value);
    let mut vocab: Vec<String> = DTYPES.iter().map(|s| s.to_string()).collect();
    vocab.extend(strings.iter().cloned());
    vocab.push("__metadata__".into());
    let edits = 1 + rng.below(3) * rng.below(2);
    let mut what: Vec<String> = (0..edits)
        .map(|_| {
            // A third go to `__metadata__` alone: few nodes, each read by the stage's checks.
            if let (true, J::Obj(o)) = (rng.chance(1, 3), &mut root)
                && let Some((_, meta)) = o.iter_mut().find(|(k, _)| k == "__metadata__")
            {
                return format!("__metadata__: {}", mutate_json(meta, rng, &vocab));
            }
            mutate_json(&mut root, rng, &vocab)
        })
        .collect();
    let mut text = root.to_text().into_bytes();
    // safetensors pads headers to 8 bytes with spaces; half the mutants keep that.
    if rng.chance(1, 2) {
        text.resize(text.len().next_multiple_of(8), b' ');
    }
    let mut len = text.len() as u64;
    if rng.chance(1, 10) {
        len = n as u64;
        what.push(format!("old header length {n} kept"));
    }
    let mut bytes = len.to_le_bytes().to_vec();
    bytes.extend_from_slice(&text);
    let start = bytes.len();
    bytes.extend_from_slice(data);
    // A quarter also get a value in the data at an edge (a label, an offset, an id).
    if rng.chance(1, 4) && data.len() >= 8 {
        let at = start + rng.below(data.len() / 8) * 8;
        let v = *rng.pick(&INTS);
        bytes[at..at + 8].copy_from_slice(&v.to_le_bytes());
        what.push(format!("data bytes {at}..{} = {v} (LE)", at + 8));
    }
    Mutant {
        what: format!("header: {}", what.join("; ")),
        bytes,
    }
}
