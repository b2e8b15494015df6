//! Byte-level mutants of any file: truncations (at every structural boundary first, then at
//! offsets spread over the file), bit flips, overwritten length fields, varints, cut, copied
//! and inserted ranges.

use std::ops::Range;

use crate::{Lcg, Mutant};

/// Little-endian integers worth writing over a length or count field: zero, small, every
/// sign and width boundary, huge, and negative ones read as unsigned.
pub const INTS: [u64; 20] = [
    0,
    1,
    7,
    8,
    0x7f,
    0x80,
    0xff,
    0x7fff,
    0xffff,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff,
    1 << 32,
    1 << 40,
    i64::MAX as u64,
    1 << 63,
    u64::MAX,
    u64::MAX - 7,
    100_000_000,
    100_000_001,
];

/// A valid file and where its structure lies.
#[derive(Debug, Clone)]
pub struct Bytes {
    orig: Vec<u8>,
    /// Offsets where one part of the file ends and the next begins (sorted, deduplicated,
    /// each also tried one byte either side).
    cuts: Vec<usize>,
    /// Ranges holding headers, lengths or metadata: half the point edits land there.
    hot: Vec<Range<usize>>,
}

impl Bytes {
    pub fn new(orig: &[u8]) -> Self {
        Self {
            orig: orig.to_vec(),
            cuts: vec![0, orig.len()],
            hot: vec![],
        }
        .boundaries(&[])
    }

    /// Adds structural boundaries (truncation points).
    pub fn boundaries(mut self, at: &[usize]) -> Self {
        for &b in at {
            for c in [b.saturating_sub(1), b, b + 1] {
                if c <= self.orig.len() {
                    self.cuts.push(c);
                }
            }
        }
        self.cuts.sort_unstable();
        self.cuts.dedup();
        self
    }

    /// Adds a range of header or metadata bytes.
    pub fn hot(mut self, range: Range<usize>) -> Self {
        let end = range.end.min(self.orig.len());
        if range.start < end {
            self.hot.push(range.start..end);
        }
        self
    }

    pub fn orig(&self) -> &[u8] {
        &self.orig
    }

    /// Mutant `i` of a plan of `n`: every eighth is a truncation (the boundaries first, then
    /// offsets spread evenly, so a plan as long as eight times the file cuts at every offset);
    /// the rest are random edits.
    pub fn mutant(&self, i: usize, n: usize, rng: &mut Lcg) -> Mutant {
        let len = self.orig.len();
        if i.is_multiple_of(8) {
            let k = i / 8;
            let at = if k < self.cuts.len() {
                self.cuts[k]
            } else {
                let spread = (n / 8).saturating_sub(self.cuts.len()).max(1);
                ((k - self.cuts.len()) % spread) * len / spread
            };
            return Mutant {
                what: format!("truncated at {at} of {len}"),
                bytes: self.orig[..at.min(len)].to_vec(),
            };
        }
        let mut bytes = self.orig.clone();
        let edits = 1 + rng.below(3) * rng.below(2);
        let what: Vec<String> = (0..edits).map(|_| self.edit(&mut bytes, rng)).collect();
        Mutant {
            what: what.join("; "),
            bytes,
        }
    }

    /// An offset in `bytes`: half the time in a hot range.
    fn offset(&self, len: usize, rng: &mut Lcg) -> usize {
        if !self.hot.is_empty() && rng.chance(1, 2) {
            let r = rng.pick(&self.hot).clone();
            return (r.start + rng.below(r.len())).min(len.saturating_sub(1));
        }
        if rng.chance(1, 4) && self.cuts.len() > 2 {
            let c = *rng.pick(&self.cuts);
            return (c + rng.below(24)).min(len.saturating_sub(1));
        }
        rng.below(len)
    }

    fn edit(&self, b: &mut Vec<u8>, rng: &mut Lcg) -> String {
        if b.is_empty() {
            b.extend_from_slice(&[0xff; 9]);
            return "replaced by 9 bytes 0xff".into();
        }
        let at = self.offset(b.len(), rng);
        match rng.below(10) {
            0..=2 => {
                let bit = rng.below(8);
                b[at] ^= 1 << bit;
                format!("flipped bit {bit} of byte {at}")
            }
            3 => {
                let v = *rng.pick(&[0u8, 1, 0x7f, 0x80, 0xfe, 0xff]);
                b[at] = v;
                format!("byte {at} = {v:#x}")
            }
            4 | 5 => {
                let v = *rng.pick(&INTS);
                let width = *rng.pick(&[2usize, 4, 8]);
                let end = (at + width).min(b.len());
                b[at..end].copy_from_slice(&v.to_le_bytes()[..end - at]);
                format!("{width} bytes at {at} = {v} (LE)")
            }
            6 => {
                // Thrift compact ints are zigzag varints: these decode to huge or negative values.
                const VARINTS: [&[u8]; 6] = [
                    &[0xff, 0xff, 0xff, 0xff, 0x0f],
                    &[0xfe, 0xff, 0xff, 0xff, 0x0f],
                    &[0x01],
                    &[0xff; 10],
                    &[0x80; 12],
                    &[0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
                ];
                let v: &[u8] = *rng.pick(&VARINTS);
                let end = (at + v.len()).min(b.len());
                b[at..end].copy_from_slice(&v[..end - at]);
                format!("varint {v:02x?} at {at}")
            }
            7 => {
                let most = if rng.chance(1, 2) { 4 } else { 64 };
                let n = 1 + rng.below(most);
                let end = (at + n).min(b.len());
                b.drain(at..end);
                format!("cut {at}..{end}")
            }
            8 => {
                let n = 1 + rng.below(64);
                let from = rng.below(b.len());
                let chunk: Vec<u8> = b[from..(from + n).min(b.len())].to_vec();
                b.splice(at..at, chunk.iter().copied());
                format!("copied {} bytes from {from} to {at}", chunk.len())
            }
            _ => {
                let n = 1 + rng.below(16);
                let chunk: Vec<u8> = (0..n).map(|_| rng.next_u64() as u8).collect();
                b.splice(at..at, chunk);
                format!("inserted {n} random bytes at {at}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncates_at_boundaries_then_everywhere() {
        let orig: Vec<u8> = (0..40).collect();
        let plan = Bytes::new(&orig).boundaries(&[10]);
        let mut rng = Lcg::new(1);
        let cuts: Vec<usize> = (0..8 * 50)
            .step_by(8)
            .map(|i| plan.mutant(i, 8 * 50, &mut rng).bytes.len())
            .collect();
        assert_eq!(&cuts[..5], &[0, 9, 10, 11, 40]);
        for at in 0..40 {
            assert!(cuts.contains(&at), "no cut at {at}");
        }
        let m = plan.mutant(3, 100, &mut rng);
        assert_ne!(m.bytes, orig, "{}", m.what);
    }
}
