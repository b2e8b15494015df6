//! Inputs that are missing, malformed, seeded or real.

use crate::common;

use std::path::Path;

use common::*;
use fewdims_report::{ReportConfig, ReportError, Verdict, build_report};

#[test]
fn missing_inputs_are_reported_not_fatal() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = ReportConfig::new(
        tmp.path().join("runs"),
        tmp.path().join("probes"),
        tmp.path().join("reports/empty"),
    );
    let s = build_report(&cfg).unwrap();
    assert!(s.claims.iter().all(|c| c.verdict == Verdict::NotMeasured));
    let sections: Vec<&str> = s.missing.iter().map(|m| m.section.as_str()).collect();
    for want in [
        "Token-wise",
        "Dimension-wise",
        "Layer-wise",
        "Freezing",
        "Probes",
        "CKA",
        "Cross-fine-tuning",
    ] {
        assert!(sections.contains(&want), "{want} not in {sections:?}");
    }
    let md = std::fs::read_to_string(&s.report).unwrap();
    assert!(
        md.contains("make sweep-token")
            && md.contains("make probes")
            && md.contains("not measured")
    );
}

#[test]
fn malformed_run_json_names_the_file_and_field() {
    let tmp = tempfile::tempdir().unwrap();
    let runs = tmp.path().join("runs");
    let r = Run::cls("cls", 1, 0.8, 0.8);
    let mut v = r.json("movie");
    v.as_object_mut().unwrap().remove("final");
    std::fs::create_dir_all(runs.join("movie/cls")).unwrap();
    std::fs::write(runs.join("movie/cls/run.json"), v.to_string()).unwrap();
    let cfg = ReportConfig::new(&runs, tmp.path().join("probes"), tmp.path().join("out"));
    let e = build_report(&cfg).unwrap_err();
    assert!(matches!(e, ReportError::Run(_)), "{e}");
    assert!(
        e.to_string().contains("movie/cls/run.json") && e.to_string().contains("`final`"),
        "{e}"
    );

    std::fs::write(runs.join("movie/cls/run.json"), "{ not json").unwrap();
    let e = build_report(&cfg).unwrap_err();
    assert!(
        matches!(e, ReportError::Run(_)) && e.to_string().contains("movie/cls/run.json"),
        "{e}"
    );
    assert!(
        !tmp.path().join("out").exists(),
        "a failed report writes nothing"
    );
}

#[test]
fn malformed_probe_table_names_the_column() {
    let tmp = tempfile::tempdir().unwrap();
    write_bad_probe(&tmp.path().join("probes/pretrained/movie.parquet"));
    let cfg = ReportConfig::new(
        tmp.path().join("runs"),
        tmp.path().join("probes"),
        tmp.path().join("out"),
    );
    let e = build_report(&cfg).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("pretrained/movie.parquet")
            && msg.contains("column `dev`")
            && msg.contains("expected float64"),
        "{msg}"
    );
    let left: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left.len(), 1, "no staging dir left: {left:?}");
}

/// The real pretrained probe table of `movie`, when this checkout has one (`make probes`).
#[test]
fn real_pretrained_probe_table() {
    let real = Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo test"))
        .join("../../probes/pretrained/movie.parquet");
    if !real.is_file() {
        eprintln!("skipped: {} not present (make probes)", real.display());
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("probes/pretrained")).unwrap();
    std::fs::copy(&real, tmp.path().join("probes/pretrained/movie.parquet")).unwrap();
    let cfg = ReportConfig::new(
        tmp.path().join("runs"),
        tmp.path().join("probes"),
        tmp.path().join("out"),
    );
    let s = build_report(&cfg).unwrap();
    assert_eq!(
        (s.counts.probe_tables, s.tasks.clone()),
        (1, vec!["movie".to_string()])
    );
    for f in [
        "probes.csv",
        "top_pairs.csv",
        "top_pairs_pretrained_movie.svg",
        "layers_movie_pretrained.svg",
        "dims_movie.svg",
    ] {
        assert!(s.files.iter().any(|x| x == f), "{f} not in {:?}", s.files);
    }
    let probe = s.claims.iter().find(|c| c.id == "probe").unwrap();
    assert_eq!(probe.verdict, Verdict::NotMeasured);
    assert!(
        probe.ours().contains("pretrained on movie"),
        "{}",
        probe.ours()
    );
}

#[test]
fn cross_seeds_merge_and_ablation_tables_stand_apart() {
    let tmp = tempfile::tempdir().unwrap();
    let runs = tmp.path().join("runs");
    for (seed, after) in [(1, 0.79), (2, 0.77)] {
        let rows: Vec<C<'static>> = vec![
            (0, "movie", "movie", "head", "test", "accuracy", 0.80),
            (1, "news", "movie", "head", "test", "accuracy", after),
            (1, "news", "news", "head", "test", "accuracy", 0.9),
        ];
        let dir = runs.join(format!("cross/movie-news-seed{seed}"));
        write_cross(&dir.join("cross.parquet"), &rows);
        write_cross_predictions(&dir, 0, "movie", 0.80);
        write_cross_predictions(&dir, 1, "movie", after);
    }
    let probes = tmp.path().join("probes");
    let rows: Vec<P> = vec![
        (6, "cls", "ablate", vec![3, 7], 0.8, 0.79),
        (6, "cls", "ablate", vec![3], 0.7, 0.69),
        (6, "cls", "ablate", vec![7], 0.6, 0.59),
        (6, "cls", "ablate", vec![], 0.5, 0.5),
    ];
    write_probe(
        &probes.join("movie-dims-random2/movie-ablate.parquet"),
        &rows,
    );
    let cfg = ReportConfig::new(&runs, &probes, tmp.path().join("out"));
    let s = build_report(&cfg).unwrap();
    assert_eq!((s.counts.cross_matrices, s.counts.probe_tables), (1, 0));
    assert!(
        s.tasks.is_empty(),
        "an ablation table is no task: {:?}",
        s.tasks
    );
    // movie: 0.80 -> 0.79 and 0.77 over two seeds: a 2-point drop whose interval reaches both
    // sides of −2 is inconclusive; both seeds' predictions are pooled.
    let cross = s.claims.iter().find(|c| c.id == "cross").unwrap();
    assert_eq!(cross.verdict, Verdict::Inconclusive, "{}", cross.ours());
    let gap = &cross.comparisons[0];
    assert_eq!(gap.seeds, "2 vs 2");
    assert!(
        (gap.interval.unwrap().estimate + 0.02).abs() < 1e-9,
        "{gap:?}"
    );
    let (h, rows) = csv_rows(&tmp.path().join("out/cross.csv"));
    assert_eq!(
        (h[0].as_str(), h[1].as_str(), rows.len()),
        ("cross", "source", 6)
    );
    assert_eq!(csv_rows(&tmp.path().join("out/ablation.csv")).1.len(), 8);
    let md = std::fs::read_to_string(&s.report).unwrap();
    assert!(
        md.contains("| movie (accuracy) | 0.800 ± 0.000 | 0.780 ± 0.014 |"),
        "{md}"
    );
    assert!(md.contains("| 0 | none (bias) | 0.500 | 0.500 |"), "{md}");
}

#[test]
fn a_run_json_of_another_format_is_skipped_and_listed() {
    let tmp = tempfile::tempdir().unwrap();
    let runs = tmp.path().join("runs");
    Run::cls("cls", 1, 0.8, 0.8).write(&runs, "movie");
    let mut old = Run::cls("mean", 1, 0.7, 0.7).json("movie");
    old.as_object_mut().unwrap().remove("format");
    std::fs::create_dir_all(runs.join("movie/mean")).unwrap();
    std::fs::write(runs.join("movie/mean/run.json"), old.to_string()).unwrap();
    let cfg = ReportConfig::new(&runs, tmp.path().join("probes"), tmp.path().join("out"));
    let s = build_report(&cfg).unwrap();
    let stale: Vec<_> = s
        .missing
        .iter()
        .filter(|m| m.what.contains("another format"))
        .collect();
    assert_eq!(stale.len(), 1, "{:?}", s.missing);
    assert!(stale[0].what.contains("movie/mean/run.json") && stale[0].make.starts_with("make "));
}
