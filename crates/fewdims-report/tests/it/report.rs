//! The report end to end on synthetic inputs: numbers, verdicts, files, missing and bad inputs.

use crate::common;

use std::path::Path;

use common::*;
use fewdims_report::{ReportConfig, Verdict, build_report};

/// The sweeps of task `movie` with two seeds for most configs.
fn write_runs(runs: &Path, max_norm: (f64, f64)) {
    let task = "movie";
    Run::cls("cls-seed1", 1, 0.80, 0.78).write(runs, task);
    Run::cls("cls-seed2", 2, 0.82, 0.80).write(runs, task);
    for (seed, acc) in [(1, max_norm.0), (2, max_norm.1)] {
        Run {
            token: "max-norm",
            ..Run::cls(&format!("max-norm-seed{seed}"), seed, acc, acc)
        }
        .write(runs, task);
    }
    Run {
        token: "mean",
        ..Run::cls("mean-seed1", 1, 0.805, 0.8)
    }
    .write(runs, task);
    Run {
        token: "mean",
        ..Run::cls("mean-seed2", 2, 0.815, 0.8)
    }
    .write(runs, task);
    Run {
        token: "pos:1",
        ..Run::cls("pos1", 42, 0.795, 0.79)
    }
    .write(runs, task);
    Run {
        dims: "first:1",
        dims_resolved: vec![0],
        ..Run::cls("dims-first1", 42, 0.60, 0.6)
    }
    .write(runs, task);
    Run {
        dims: "random:2:0",
        dims_resolved: vec![1, 5],
        ..Run::cls("dims-random2", 42, 0.80, 0.8)
    }
    .write(runs, task);
    Run {
        dims: "random:3:0",
        dims_resolved: vec![1, 3, 5],
        ..Run::cls("dims-random3", 42, 0.805, 0.8)
    }
    .write(runs, task);
    let layers = [0.50, 0.60, 0.65, 0.70, 0.75, 0.79, 0.80];
    for (l, acc) in layers.iter().enumerate() {
        let name = format!("layer{l}");
        let layer = l.to_string();
        let r = Run {
            dims: "random:2:0",
            dims_resolved: vec![1, 5],
            layer: &layer,
            layer_index: l,
            ..Run::cls(&name, 42, *acc, *acc)
        };
        r.write(runs, task);
    }
    Run {
        freeze: "all",
        head: "mlp",
        ..Run::cls("freeze-all-mlp", 42, 0.70, 0.7)
    }
    .write(runs, task);
}

fn write_probes(probes: &Path) {
    let mut rows: Vec<P> = Vec::new();
    for layer in 0..3 {
        for ro in ["cls", "mean"] {
            let base = 0.6 + 0.05 * layer as f64;
            rows.push((layer, ro, "full", vec![], base + 0.1, base + 0.1));
            for d in 0..4u16 {
                rows.push((
                    layer,
                    ro,
                    "single",
                    vec![d],
                    base - 0.01 * d as f64,
                    base - 0.01 * d as f64,
                ));
            }
            for (i, pair) in [[0u16, 1], [0, 2], [1, 3], [2, 3]].iter().enumerate() {
                let v = base + 0.09 - 0.01 * i as f64;
                rows.push((layer, ro, "pair", pair.to_vec(), v, v));
            }
            rows.push((layer, ro, "greedy", vec![0], base, base));
            rows.push((layer, ro, "greedy", vec![0, 1], base + 0.09, base + 0.09));
            rows.push((
                layer,
                ro,
                "greedy",
                vec![0, 1, 2],
                base + 0.095,
                base + 0.095,
            ));
        }
    }
    write_probe(&probes.join("pretrained/movie.parquet"), &rows);
    write_probe(&probes.join("movie-cls/movie.parquet"), &rows);
    // Controls (permuted labels): every probe near chance.
    for seed in [1, 2] {
        let chance: Vec<P> = rows
            .iter()
            .map(|r| {
                (
                    r.0,
                    r.1,
                    r.2,
                    r.3.clone(),
                    0.5 + 0.01 * seed as f64,
                    0.5 + 0.01 * seed as f64,
                )
            })
            .collect();
        write_probe(
            &probes.join(format!("movie-cls/movie-control{seed}.parquet")),
            &chance,
        );
    }
    let cka: Vec<(i32, &str, f64, f64)> = (0..3)
        .flat_map(|l| {
            [
                (l, "cls", 1.0 - 0.2 * l as f64, 0.9),
                (l, "mean", 1.0 - 0.1 * l as f64, 0.95),
            ]
        })
        .collect();
    write_cka(
        &probes.join("cka/pretrained_vs_movie-cls/movie/dev.parquet"),
        &cka,
    );
}

fn cross_rows() -> Vec<C<'static>> {
    let mut v = Vec::new();
    for split in ["dev", "test"] {
        v.push((0, "movie", "movie", "head", split, "accuracy", 0.81));
        v.push((1, "news", "movie", "head", split, "accuracy", 0.70));
        v.push((1, "news", "movie", "retrained", split, "accuracy", 0.80));
        v.push((1, "news", "news", "head", split, "accuracy", 0.90));
    }
    v
}

fn setup(dir: &Path, max_norm: (f64, f64)) -> ReportConfig {
    write_runs(&dir.join("runs"), max_norm);
    write_probes(&dir.join("probes"));
    let cross = dir.join("runs/cross/movie-news");
    write_cross(&cross.join("cross.parquet"), &cross_rows());
    write_cross_predictions(&cross, 0, "movie", 0.81);
    write_cross_predictions(&cross, 1, "movie", 0.70);
    ReportConfig::new(
        dir.join("runs"),
        dir.join("probes"),
        dir.join("reports/main"),
    )
}

fn verdict(s: &fewdims_report::ReportSummary, id: &str) -> Verdict {
    s.claims.iter().find(|c| c.id == id).unwrap().verdict
}

#[test]
fn report_from_synthetic_inputs() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = setup(tmp.path(), (0.70, 0.72));
    let s = build_report(&cfg).unwrap();
    assert_eq!(s.report, tmp.path().join("reports/main/REPORT.md"));
    assert_eq!((s.counts.runs, s.counts.run_groups), (18, 15));
    assert_eq!(
        (
            s.counts.probe_tables,
            s.counts.cka_tables,
            s.counts.cross_matrices
        ),
        (2, 1, 1)
    );
    assert!(s.missing.is_empty(), "{:?}", s.missing);

    // Verdicts follow the intervals. Tokens: mean is within a point of cls (holds), max-norm 10
    // points below (does not hold), pos:1 1.5 below with the cls seeds 2 points apart (the
    // interval reaches past −2: inconclusive); together: mixed.
    let claim = |id: &str| s.claims.iter().find(|c| c.id == id).unwrap();
    let token = claim("token");
    let part = |c: &fewdims_report::Claim, what: &str| {
        c.comparisons
            .iter()
            .find(|x| x.what.starts_with(what))
            .unwrap_or_else(|| panic!("no {what} in {}", c.ours()))
            .clone()
    };
    assert_eq!(
        part(token, "mean").verdict,
        Verdict::Holds,
        "{}",
        token.ours()
    );
    assert_eq!(part(token, "max-norm").verdict, Verdict::DoesNotHold);
    assert_eq!(
        part(token, "pos:1").verdict,
        Verdict::Inconclusive,
        "{}",
        token.ours()
    );
    assert_eq!(verdict(&s, "token"), Verdict::Mixed);
    let mn = part(token, "max-norm").interval.unwrap();
    assert!((mn.estimate + 0.10).abs() < 1e-9, "{mn:?}");
    assert!(mn.lo < -0.10 && mn.hi > -0.10 && mn.hi < -0.07, "{mn:?}");
    assert_eq!(
        (part(token, "max-norm").seeds.as_str(), mn.items),
        ("2 vs 2", ITEMS)
    );
    // What max-norm read (the synthetic predictions all say [CLS]), and what that means.
    assert!(
        token
            .ours()
            .contains("reads [CLS] 100%, [SEP] 0%, another token 0% of test items (2 seeds)")
            && token.ours().contains("says little about ordinary tokens"),
        "{}",
        token.ours()
    );
    // Dims: each run once (layer6 is the layer sweep's), the draws shown.
    let dims = claim("dims");
    assert_eq!(dims.comparisons.len(), 2, "{}", dims.ours());
    assert!(dims.ours().contains("dims [1, 5]"), "{}", dims.ours());
    // Layers: a clear rise over layers 1..6 (layer 0 left out), the top two 1 point apart.
    assert_eq!(
        verdict(&s, "layer"),
        Verdict::Holds,
        "{}",
        claim("layer").ours()
    );
    assert!(
        claim("layer").ours().contains("layer 0"),
        "{}",
        claim("layer").ours()
    );
    assert!(claim("layer").comparisons[0].what.contains("1,2,3,4,5,6"));
    assert_eq!(
        verdict(&s, "upper-layers"),
        Verdict::Holds,
        "{}",
        claim("upper-layers").ours()
    );
    assert_eq!(
        verdict(&s, "freeze"),
        Verdict::Holds,
        "{}",
        claim("freeze").ours()
    );
    // movie drops 11 points with its old head: the cross claim does not hold, and the
    // retrained head's recovery is shown beside it.
    assert_eq!(
        verdict(&s, "cross"),
        Verdict::DoesNotHold,
        "{}",
        claim("cross").ours()
    );
    assert!(
        claim("cross").ours().contains("retrained"),
        "{}",
        claim("cross").ours()
    );
    assert!(
        claim("cross")
            .ours()
            .contains("chain movie-news: movie → news")
    );
    // These probe tables have no predictions beside them (tests/it/probe_claim.rs has tables
    // that do): the fine-tuned one's gap is shown without an interval, and not judged.
    assert_eq!(verdict(&s, "probe"), Verdict::NotMeasured);
    assert!(
        claim("probe")
            .ours()
            .contains("no per-item predictions beside the probe table"),
        "{}",
        claim("probe").ours()
    );
    assert!(
        claim("probe").ours().contains("best pair [0, 1]"),
        "{}",
        claim("probe").ours()
    );
    // Its controls: selectivity of the top layer's cls probes against the permuted-label runs.
    assert!(
        claim("probe").ours().contains(
            "movie-cls on movie: selectivity (task − permuted-label control, 2 permutations): \
             full +28.5 pts, single +18.5 pts, pair +27.5 pts; the best pair 0.790 vs the best \
             pairs of permuted labels 0.510, 0.520"
        ),
        "{}",
        claim("probe").ours()
    );

    // Every file exists; CSVs parse with the expected row counts; SVGs are whole documents.
    let out = tmp.path().join("reports/main");
    for f in &s.files {
        let text = std::fs::read_to_string(out.join(f)).unwrap();
        if f.ends_with(".svg") {
            assert!(
                text.starts_with("<svg")
                    && text.trim_end().ends_with("</svg>")
                    && text.contains("<text"),
                "{f}"
            );
        }
    }
    let expect = [
        ("token_wise.csv", 4 * 2),
        ("dims_wise.csv", 4 * 2), // cls, first1, random2, random3 (layer6 is the layer sweep's)
        ("layer_wise.csv", 7 * 2),
        ("freezing.csv", 2 * 2),
        ("probes.csv", 2 * 3 * 2 * 3), // ids x layers x readouts x {full, single, pair}
        ("top_pairs.csv", 2 * 4),
        ("cka.csv", 6),
        ("cross.csv", 8),
        ("claims.csv", 7),
        ("claims_detail.csv", 3 + 2 + 1 + 1 + 1 + 1 + 1),
    ];
    for (f, n) in expect {
        assert!(
            s.files.iter().any(|x| x == f),
            "{f} missing from {:?}",
            s.files
        );
        assert_eq!(csv_rows(&out.join(f)).1.len(), n, "{f}");
    }
    for svg in [
        "token_wise_movie.svg",
        "dims_movie.svg",
        "layers_movie_pretrained.svg",
        "layers_movie_movie-cls.svg",
        "freezing_movie.svg",
        "top_pairs_pretrained_movie.svg",
        "cka_pretrained_vs_movie-cls_movie_dev.svg",
        "cross_movie-news_head.svg",
        "cross_movie-news_retrained.svg",
        "claims_intervals.svg",
    ] {
        assert!(out.join(svg).is_file(), "{svg} not in {:?}", s.files);
    }
    // Mean ± sd of the cls accuracy over the two seeds.
    let (h, rows) = csv_rows(&out.join("token_wise.csv"));
    let col = |n: &str| h.iter().position(|x| x == n).unwrap();
    let cls = rows
        .iter()
        .find(|r| r[col("run")] == "cls" && r[col("metric")] == "accuracy")
        .unwrap();
    let num = |n: &str| cls[col(n)].parse::<f64>().unwrap();
    assert!((num("test_mean") - 0.81).abs() < 1e-12);
    assert!((num("test_sd") - 0.0002f64.sqrt()).abs() < 1e-12);
    assert!((num("dev_mean") - 0.79).abs() < 1e-12);
    assert_eq!(cls[col("seeds")], "2");
    let pos = rows
        .iter()
        .find(|r| r[col("run")] == "pos1" && r[col("metric")] == "accuracy")
        .unwrap();
    assert_eq!(
        (pos[col("test_sd")].as_str(), pos[col("seeds")].as_str()),
        ("", "1")
    );

    let md = std::fs::read_to_string(&s.report).unwrap();
    for needle in [
        "## The paper's claims, measured",
        "0.810 ± 0.014",
        "## Cross-fine-tuning",
        "![",
        "dims_movie.svg",
    ] {
        assert!(md.contains(needle), "REPORT.md lacks {needle:?}");
    }
    // The best pair of the last layer is listed with its dims.
    assert!(
        md.contains("| 2 | cls | 0.800 | 0.800 | 0 | 0.700 | 0.700 | 0, 1 | 0.790 | 0.790 |"),
        "{md}"
    );

    // A second build replaces the dir and leaves no staging dir behind.
    build_report(&cfg).unwrap();
    let left: Vec<_> = std::fs::read_dir(tmp.path().join("reports"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, vec![std::ffi::OsString::from("main")]);
}

#[test]
fn verdicts_follow_the_intervals() {
    // One seed each, nested errors. Tokens 0.5 points below cls: holds; 10 below: does not
    // hold; 3 below: the interval straddles −2, inconclusive.
    for (delta, want) in [
        (0.005, Verdict::Holds),
        (0.10, Verdict::DoesNotHold),
        (0.02, Verdict::Inconclusive),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let runs = tmp.path().join("runs");
        Run::cls("cls", 1, 0.8, 0.8).write(&runs, "news");
        for tok in ["max-norm", "mean", "pos:1"] {
            let name = tok.replace(':', "");
            Run {
                token: tok,
                ..Run::cls(&name, 1, 0.8 - delta, 0.8)
            }
            .write(&runs, "news");
        }
        // Frozen as good as fine-tuned: the freezing claim does not hold.
        Run {
            freeze: "all",
            head: "mlp",
            ..Run::cls("freeze-all-mlp", 1, 0.795, 0.8)
        }
        .write(&runs, "news");
        let cfg = ReportConfig::new(&runs, tmp.path().join("probes"), tmp.path().join("out"));
        let s = build_report(&cfg).unwrap();
        let token = s.claims.iter().find(|c| c.id == "token").unwrap();
        assert_eq!(token.verdict, want, "delta {delta}: {}", token.ours());
        assert_eq!(verdict(&s, "freeze"), Verdict::DoesNotHold);
        assert_eq!(verdict(&s, "dims"), Verdict::NotMeasured);
        assert!(
            s.missing
                .iter()
                .any(|m| m.section == "Dimension-wise" && m.make == "make sweep-dims TASK=news"),
            "{:?}",
            s.missing
        );
    }
}

#[test]
fn a_reference_at_the_majority_baseline_gives_no_signal() {
    // cls at 0.5 on balanced labels is no better than always answering one class: agreeing
    // with it is no evidence, whatever the gap.
    let tmp = tempfile::tempdir().unwrap();
    let runs = tmp.path().join("runs");
    Run::cls("cls", 1, 0.5, 0.5).write(&runs, "news");
    Run {
        token: "mean",
        ..Run::cls("mean", 1, 0.5, 0.5)
    }
    .write(&runs, "news");
    let cfg = ReportConfig::new(&runs, tmp.path().join("probes"), tmp.path().join("out"));
    let s = build_report(&cfg).unwrap();
    let token = s.claims.iter().find(|c| c.id == "token").unwrap();
    assert_eq!(token.verdict, Verdict::NoSignal, "{}", token.ours());
    assert!(
        token.ours().contains("majority baseline"),
        "{}",
        token.ours()
    );
}

#[test]
fn runs_without_predictions_are_not_judged() {
    let tmp = tempfile::tempdir().unwrap();
    let runs = tmp.path().join("runs");
    Run::cls("cls", 1, 0.8, 0.8).write(&runs, "news");
    Run {
        token: "mean",
        ..Run::cls("mean", 1, 0.8, 0.8)
    }
    .write(&runs, "news");
    std::fs::remove_file(runs.join("news/mean/predictions.parquet")).unwrap();
    let cfg = ReportConfig::new(&runs, tmp.path().join("probes"), tmp.path().join("out"));
    let s = build_report(&cfg).unwrap();
    let token = s.claims.iter().find(|c| c.id == "token").unwrap();
    assert_eq!(token.verdict, Verdict::NotMeasured, "{}", token.ours());
    assert!(
        token.ours().contains("no per-item predictions in `mean`"),
        "{}",
        token.ours()
    );
}
