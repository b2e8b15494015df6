//! Mutation testing of the artifact readers (a dev-dependency only).
//!
//! A test takes a valid small file, makes seeded mutants of it ([`Bytes`] for bit flips,
//! truncations and overwritten length fields; [`json_mutant`], [`safetensors_mutant`] and
//! [`ParquetSeed`] for structural edits: huge or negative shapes, wrong dtypes, duplicated or
//! missing metadata keys), and feeds each to the reader a stage uses with [`run`]. Every mutant
//! must give a clean read or an error that names the file: never a panic, a hang, or an
//! allocation far beyond the file's size. [`bounded`] runs the campaign in a child process whose
//! data segment is capped (`prlimit`), so an oversized allocation aborts the child and fails the
//! test instead of going unnoticed.
//!
//! `FEWDIMS_MUTANTS=N` sets the number of mutants per kind (a long campaign);
//! `FEWDIMS_MUTANT_SEED=S` another seed. Mutant `i` depends on the seed and `i` alone, and
//! `FEWDIMS_MUTANT_ONLY=I` replays it alone with its panic printed.

mod bytes;
mod harness;
mod json;
mod parquet;
mod safetensors;

pub use bytes::{Bytes, INTS};
pub use harness::{Report, bounded, run};
pub use json::{J, json_mutant, mutate_json};
pub use parquet::ParquetSeed;
pub use safetensors::{DTYPES, safetensors_boundaries, safetensors_mutant};

/// A mutated file: its bytes and what was done to it.
#[derive(Debug, Clone)]
pub struct Mutant {
    pub what: String,
    pub bytes: Vec<u8>,
}

/// A small seeded generator: an LCG whose state is mixed on output (the low bits of a bare
/// LCG cycle fast).
#[derive(Debug, Clone)]
pub struct Lcg(u64);

impl Lcg {
    pub fn new(seed: u64) -> Self {
        let mut l = Lcg(seed ^ 0x9E37_79B9_7F4A_7C15);
        l.next_u64();
        l
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d049bb133111eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }

    /// One of `items` (which must not be empty).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// True with probability `num / den`.
    pub fn chance(&mut self, num: usize, den: usize) -> bool {
        self.below(den) < num
    }
}

/// Mutants per kind: `FEWDIMS_MUTANTS`, or `default` (CI's small share).
pub fn count(default: usize) -> usize {
    std::env::var("FEWDIMS_MUTANTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The campaign's seed: `FEWDIMS_MUTANT_SEED`, or a fixed one.
pub fn seed() -> u64 {
    std::env::var("FEWDIMS_MUTANT_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5eed_f00d)
}

/// Strings worth trying in any text field: empty, numbers out of every range, JSON that is not
/// what the field holds, a long one.
pub fn hostile_strings() -> Vec<String> {
    let mut v: Vec<String> = [
        "",
        " ",
        "-1",
        "0",
        "1",
        "4294967296",
        "18446744073709551615",
        "18446744073709551616",
        "99999999999999999999999",
        "1e400",
        "NaN",
        "inf",
        "[]",
        "{}",
        "null",
        "[\"a\",\"a\"]",
        "[1,2]",
        "\u{0}",
        "\u{fffd}",
        ",,,",
        "cls,cls",
        "true",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.push("x".repeat(5000));
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lcg_is_deterministic_and_spread() {
        let (mut a, mut b) = (Lcg::new(7), Lcg::new(7));
        let xs: Vec<u64> = (0..100).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..100).map(|_| b.next_u64()).collect();
        assert_eq!(xs, ys);
        let mut seen = [0usize; 4];
        for _ in 0..4000 {
            seen[a.below(4)] += 1;
        }
        assert!(seen.iter().all(|&c| c > 800), "{seen:?}");
    }
}
