//! Splits by a stable hash and deduplication, for the built-in tasks.
//!
//! An item's split is fixed by sha256 of its normalized text (lowercased, whitespace collapsed):
//! the first 8 bytes, big-endian, modulo 100: below 80 train, below 90 dev, else test. So the
//! split never depends on file order, and equal texts always land together (in every task made
//! from the same sentences: `movie`, `movie-score` and `movie-pair` agree).

use crate::taskfile::{Item, Label};
use crate::text::normalize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// The built-in splits, in order.
pub const SPLITS: [&str; 3] = ["train", "dev", "test"];

/// The 64-bit hash key of a normalized text.
pub fn hash_key(normalized: &str) -> u64 {
    let d = Sha256::digest(normalized.as_bytes());
    u64::from_be_bytes(d[..8].try_into().expect("8 bytes"))
}

/// The split of a text: 80/10/10 by [`hash_key`] of its normalized form.
pub fn split_of(text: &str) -> &'static str {
    match hash_key(&normalize(text)) % 100 {
        0..80 => "train",
        80..90 => "dev",
        _ => "test",
    }
}

/// The share of a GLUE train split held out as fewdims' `dev` (selection), in percent.
pub const HELD_OUT_PERCENT: u64 = 10;

/// True when a GLUE train item is held out as `dev`: the last [`HELD_OUT_PERCENT`] of
/// [`hash_key`] % 100 of its normalized first text, so equal first texts (an MNLI premise with
/// several hypotheses) never straddle train and dev.
pub fn is_held_out(text_a: &str) -> bool {
    hash_key(&normalize(text_a)) % 100 >= 100 - HELD_OUT_PERCENT
}

/// What deduplication removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DedupStats {
    /// Extra copies of a text with the same label, dropped (one copy is kept).
    pub duplicates: usize,
    /// Items dropped because copies of one text disagree on the label (all copies go).
    pub conflicting: usize,
}

fn key(item: &Item) -> String {
    match &item.text_b {
        Some(b) => format!("{}\t{}", normalize(&item.text_a), normalize(b)),
        None => normalize(&item.text_a),
    }
}

/// Keeps one copy of each normalized text (the smallest raw text, so the choice does not
/// depend on file order); drops every copy of a text whose copies disagree on the label.
/// Order is preserved.
pub fn dedup(items: Vec<Item>) -> (Vec<Item>, DedupStats) {
    // per key: index of the kept copy, its label, and whether any copy disagrees
    let mut groups: HashMap<String, (usize, Label, bool)> = HashMap::new();
    let keys: Vec<String> = items.iter().map(key).collect();
    let raw = |i: usize| (&items[i].text_a, &items[i].text_b);
    for (i, (k, item)) in keys.iter().zip(&items).enumerate() {
        let g = groups.entry(k.clone()).or_insert((i, item.label, false));
        g.2 |= g.1 != item.label;
        if raw(i) < raw(g.0) {
            g.0 = i;
        }
    }
    let mut stats = DedupStats::default();
    let mut kept = Vec::with_capacity(items.len());
    for (i, (k, item)) in keys.iter().zip(items.iter()).enumerate() {
        let (keep, _, conflict) = groups[k];
        if conflict {
            stats.conflicting += 1;
        } else if keep != i {
            stats.duplicates += 1;
        } else {
            kept.push(item.clone());
        }
    }
    (kept, stats)
}

/// Groups items into train/dev/test by [`split_of`] their `text_a`, keeping order within each.
pub fn assign(items: Vec<Item>) -> Vec<(&'static str, Vec<Item>)> {
    let mut out: Vec<(&'static str, Vec<Item>)> = SPLITS.iter().map(|s| (*s, Vec::new())).collect();
    for item in items {
        let s = split_of(&item.text_a);
        out.iter_mut()
            .find(|(n, _)| *n == s)
            .expect("known split")
            .1
            .push(item);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(idx: u32, text: &str, label: i64) -> Item {
        Item {
            idx,
            text_a: text.into(),
            text_b: None,
            label: Label::Class(label),
        }
    }

    #[test]
    fn dedup_keeps_one_copy_and_drops_conflicts() {
        let items = vec![
            item(0, "a  B", 1),
            item(1, "A b", 1),
            item(2, "c", 0),
            item(3, "C", 1),
            item(4, "d", 0),
        ];
        let (kept, stats) = dedup(items);
        assert_eq!(
            kept.iter().map(|i| i.idx).collect::<Vec<_>>(),
            vec![1, 4],
            "keeps the smallest raw text"
        );
        assert_eq!(
            stats,
            DedupStats {
                duplicates: 1,
                conflicting: 2
            }
        );
    }

    #[test]
    fn held_out_is_stable_and_about_ten_percent() {
        assert_eq!(is_held_out("Hello  World"), is_held_out("hello world"));
        let n = (0..5000)
            .filter(|i| is_held_out(&format!("sentence {i}")))
            .count();
        assert!((420..580).contains(&n), "{n}");
    }

    #[test]
    fn split_is_stable_and_roughly_80_10_10() {
        assert_eq!(split_of("Hello  World"), split_of("hello world"));
        let items: Vec<Item> = (0..5000)
            .map(|i| item(i, &format!("sentence {i}"), 0))
            .collect();
        let reversed: Vec<Item> = items.iter().rev().cloned().collect();
        let a = assign(items);
        let b = assign(reversed);
        for ((na, xa), (nb, xb)) in a.iter().zip(&b) {
            assert_eq!(na, nb);
            let mut ia: Vec<u32> = xa.iter().map(|i| i.idx).collect();
            let mut ib: Vec<u32> = xb.iter().map(|i| i.idx).collect();
            ia.sort();
            ib.sort();
            assert_eq!(ia, ib, "split {na} depends on order");
        }
        let n: Vec<usize> = a.iter().map(|(_, x)| x.len()).collect();
        assert!(
            (3850..4150).contains(&n[0])
                && (420..580).contains(&n[1])
                && (420..580).contains(&n[2]),
            "{n:?}"
        );
    }
}
