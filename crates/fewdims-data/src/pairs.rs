//! Derived pair tasks: pairs of sentences from one split of a single-text task.
//! Not human-labelled pairs; the label is computed from the two items' own labels.

use crate::split::hash_key;
use crate::taskfile::{Item, Label};
use crate::text::normalize;

/// Pairs each item with the next one in hash order (cyclically), so every sentence is `text_a`
/// once and `text_b` once, and no pair crosses splits. Label 1 when the two share their class.
/// `idx` is the `text_a` item's idx; rows come back ordered by idx.
pub fn same_label_pairs(items: &[Item]) -> Vec<Item> {
    if items.len() < 2 {
        return Vec::new();
    }
    let mut order: Vec<(u64, u32, usize)> = items
        .iter()
        .enumerate()
        .map(|(i, it)| (hash_key(&normalize(&it.text_a)), it.idx, i))
        .collect();
    order.sort_unstable();
    let n = order.len();
    let mut pairs: Vec<Item> = (0..n)
        .map(|k| {
            let a = &items[order[k].2];
            let b = &items[order[(k + 1) % n].2];
            Item {
                idx: a.idx,
                text_a: a.text_a.clone(),
                text_b: Some(b.text_a.clone()),
                label: Label::Class(i64::from(a.label == b.label)),
            }
        })
        .collect();
    pairs.sort_by_key(|p| p.idx);
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_item_is_a_and_b_once() {
        let items: Vec<Item> = (0..50)
            .map(|i| Item {
                idx: i,
                text_a: format!("s{i}"),
                text_b: None,
                label: Label::Class(i64::from(i % 3 == 0)),
            })
            .collect();
        let pairs = same_label_pairs(&items);
        assert_eq!(pairs.len(), 50);
        let mut bs: Vec<&str> = pairs.iter().map(|p| p.text_b.as_deref().unwrap()).collect();
        bs.sort();
        let mut all: Vec<&str> = items.iter().map(|i| i.text_a.as_str()).collect();
        all.sort();
        assert_eq!(bs, all);
        assert!(
            pairs
                .iter()
                .all(|p| p.text_b.as_deref() != Some(p.text_a.as_str()))
        );
        for p in &pairs {
            let la = items.iter().find(|i| i.text_a == p.text_a).unwrap().label;
            let lb = items
                .iter()
                .find(|i| Some(i.text_a.as_str()) == p.text_b.as_deref())
                .unwrap()
                .label;
            assert_eq!(p.label, Label::Class(i64::from(la == lb)));
        }
    }
}
