//! The probe claim (best pair − full vector, probe view) on constructed probe tables with their
//! predictions files: each verdict, the context lines, the detail CSV and the forest plot.

use crate::common;

use std::path::Path;

use common::*;
use fewdims_report::{ReportConfig, Verdict, build_report};
use fewdims_schema::probe::Method;
use fewdims_tables::probe_predictions::ProbePredictionRow;

/// `probes/<id>/movie.parquet` (layers 0 and 1, cls) whose top layer's full probe scores `full`
/// and best pair [0, 1] `pair` (dev = test), with `movie.predictions.parquet` beside it: the
/// headline probes on `ITEMS` items per split, nested errors (`common::predictions`).
fn write_table(probes: &Path, id: &str, full: f64, pair: f64) {
    let mut rows: Vec<P> = Vec::new();
    let mut preds = Vec::new();
    for layer in 0..2 {
        let (f, p) = if layer == 1 {
            (full, pair)
        } else {
            (0.6, 0.55)
        };
        rows.push((layer, "cls", "full", vec![], f, f));
        rows.push((layer, "cls", "single", vec![0], p - 0.05, p - 0.05));
        rows.push((layer, "cls", "pair", vec![0, 1], p, p));
        rows.push((layer, "cls", "pair", vec![2, 3], p - 0.01, p - 0.01));
        for (method, dims, acc) in [
            (Method::Full, vec![], f),
            (Method::Single, vec![0], p - 0.05),
            (Method::Pair, vec![0, 1], p),
        ] {
            for split in ["dev", "test"] {
                preds.extend(
                    predictions(split, acc)
                        .into_iter()
                        .map(|r| ProbePredictionRow {
                            layer,
                            readout: "cls".into(),
                            method,
                            dims: dims.clone(),
                            split: r.split,
                            idx: r.idx,
                            label: r.label,
                            prediction: r.prediction,
                        }),
                );
            }
        }
    }
    let table = probes.join(format!("{id}/movie.parquet"));
    write_probe(&table, &rows);
    let path = fewdims_schema::probe::predictions_path(&table);
    fewdims_tables::probe_predictions::write(&path, &preds, &[]).unwrap();
}

fn probe_claim(s: &fewdims_report::ReportSummary) -> &fewdims_report::Claim {
    s.claims.iter().find(|c| c.id == "probe").unwrap()
}

#[test]
fn the_probe_claim_reaches_every_verdict() {
    // The pair 0.5 points below the full vector: holds; 10 below: does not hold; 2 below: the
    // interval straddles −2, inconclusive; both at chance on balanced labels: no signal.
    for (full, pair, want) in [
        (0.80, 0.795, Verdict::Holds),
        (0.80, 0.70, Verdict::DoesNotHold),
        (0.80, 0.78, Verdict::Inconclusive),
        (0.50, 0.50, Verdict::NoSignal),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let probes = tmp.path().join("probes");
        write_table(&probes, "pretrained", 0.70, 0.60);
        write_table(&probes, "movie-cls", full, pair);
        let cfg = ReportConfig::new(tmp.path().join("runs"), &probes, tmp.path().join("out"));
        let s = build_report(&cfg).unwrap();
        // The predictions files are not probe tables.
        assert_eq!(s.counts.probe_tables, 2);
        let c = probe_claim(&s);
        assert_eq!(c.verdict, want, "{full} vs {pair}: {}", c.ours());
        // One comparison: the fine-tuned table's, on test, one seed per arm.
        assert_eq!(c.comparisons.len(), 1, "{}", c.ours());
        let x = &c.comparisons[0];
        assert_eq!(
            (x.what.as_str(), x.split.as_str(), x.seeds.as_str()),
            (
                "movie-cls: best pair [0, 1] − full vector (layer 1, cls)",
                "test",
                "1 vs 1"
            )
        );
        let iv = x.interval.unwrap();
        assert!((iv.estimate - (pair - full)).abs() < 1e-9, "{iv:?}");
        assert_eq!(iv.items, ITEMS);
        if want == Verdict::NoSignal {
            assert!(
                x.note
                    .contains("full-vector probe is not above the majority baseline")
            );
        }
        // The pretrained table's gap: context with its interval, not judged.
        let ours = c.ours();
        assert!(
            ours.contains(
                "movie, pretrained: best pair [0, 1] − full vector (layer 1, cls): -10.0 ["
            ) && ours.contains("pts (accuracy, test; before fine-tuning, not judged)"),
            "{ours}"
        );

        // The comparison is a row of claims_detail.csv and a line of the forest plot.
        let out = tmp.path().join("out");
        let (h, rows) = csv_rows(&out.join("claims_detail.csv"));
        let col = |n: &str| h.iter().position(|x| x == n).unwrap();
        let row = rows.iter().find(|r| r[col("id")] == "probe").unwrap();
        assert_eq!(row[col("verdict")], want.to_string());
        assert_eq!(row[col("items")], ITEMS.to_string());
        let lo: f64 = row[col("lo")].parse().unwrap();
        assert!((lo - iv.lo).abs() < 1e-12);
        let svg = std::fs::read_to_string(out.join("claims_intervals.svg")).unwrap();
        assert!(svg.contains("probe: movie, movie-cls"), "{svg}");
    }
}

#[test]
fn probe_tables_without_predictions_are_not_judged() {
    let tmp = tempfile::tempdir().unwrap();
    let probes = tmp.path().join("probes");
    write_table(&probes, "movie-cls", 0.80, 0.795);
    std::fs::remove_file(probes.join("movie-cls/movie.predictions.parquet")).unwrap();
    let cfg = ReportConfig::new(tmp.path().join("runs"), &probes, tmp.path().join("out"));
    let s = build_report(&cfg).unwrap();
    let c = probe_claim(&s);
    assert_eq!(c.verdict, Verdict::NotMeasured, "{}", c.ours());
    assert!(
        c.ours().contains("pair 0.795 vs full 0.800")
            && c.ours()
                .contains("no per-item predictions beside the probe table"),
        "{}",
        c.ours()
    );

    // A predictions file of other probes (the table rewritten without it): not judged either.
    let other = ProbePredictionRow {
        layer: 1,
        readout: "cls".into(),
        method: Method::Pair,
        dims: vec![2, 3],
        split: "test".into(),
        idx: 0,
        label: 1.0,
        prediction: 1.0,
    };
    let path = probes.join("movie-cls/movie.predictions.parquet");
    fewdims_tables::probe_predictions::write(&path, &[other], &[]).unwrap();
    let c = probe_claim(&build_report(&cfg).unwrap()).clone();
    assert_eq!(c.verdict, Verdict::NotMeasured, "{}", c.ours());
    assert!(
        c.ours().contains("holds no rows of these probes"),
        "{}",
        c.ours()
    );

    // Only the pretrained table: nothing to judge, and the row says what to make.
    let tmp = tempfile::tempdir().unwrap();
    let probes = tmp.path().join("probes");
    write_table(&probes, "pretrained", 0.80, 0.795);
    let cfg = ReportConfig::new(tmp.path().join("runs"), &probes, tmp.path().join("out"));
    let c = probe_claim(&build_report(&cfg).unwrap()).clone();
    assert_eq!(c.verdict, Verdict::NotMeasured);
    assert!(
        c.ours().contains("no fine-tuned encoder's probe table"),
        "{}",
        c.ours()
    );
}

#[test]
fn a_broken_predictions_file_is_an_error_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let probes = tmp.path().join("probes");
    write_table(&probes, "movie-cls", 0.80, 0.795);
    // A probe table where the predictions belong: no `split` column.
    let row: P = (1, "cls", "full", vec![], 0.8, 0.8);
    write_probe(&probes.join("movie-cls/movie.predictions.parquet"), &[row]);
    let cfg = ReportConfig::new(tmp.path().join("runs"), &probes, tmp.path().join("out"));
    let e = build_report(&cfg).unwrap_err().to_string();
    assert!(
        e.contains("movie.predictions.parquet") && e.contains("`split`: missing"),
        "{e}"
    );
}
