//! Mutation tests of the result-table readers (issue 14, item 1): probe, probe predictions, CKA,
//! cross, a run's metrics, curve and predictions. Each mutant of a valid table reads cleanly or
//! gives an error naming the file; never a panic, a hang or an oversized allocation (see
//! `fewdims_mutants`). `FEWDIMS_MUTANTS=N` runs N per table.

use std::path::Path;

use fewdims_mutants::{ParquetSeed, bounded, count, run};
use fewdims_schema::cross::Mode;
use fewdims_schema::probe::Method;
use fewdims_schema::run::{CurveRow, MetricRow, PredictionRow, TokenRole};
use fewdims_tables::cka::CkaRow;
use fewdims_tables::cross::CrossRow;
use fewdims_tables::probe::ProbeRow;
use fewdims_tables::probe_predictions::ProbePredictionRow;
use fewdims_tables::{Table, run_metrics};
use fewdims_tables::{TableError, cka, cross, curve, predictions, probe, probe_predictions};

/// Mutants per table in CI (seven tables).
const CI: usize = 150;

fn meta() -> Vec<(String, String)> {
    [
        ("task", "movie"),
        ("kind", "classification"),
        ("metrics", "accuracy,f1"),
    ]
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .to_vec()
}

/// Writes a valid table with `write`, then mutates it and reads it back with `read`.
fn campaign<R: 'static>(
    kind: &str,
    write: impl FnOnce(&Path) -> Result<(), TableError>,
    read: fn(&Path) -> Result<Table<R>, TableError>,
) {
    let scratch = tempfile::tempdir().unwrap();
    let path = scratch.path().join("t.parquet");
    write(&path).unwrap();
    let seed = ParquetSeed::new(&std::fs::read(&path).unwrap(), scratch.path());
    let n = count(CI);
    let strings: Vec<String> = [
        "full",
        "pair",
        "greedy",
        "ablate",
        "head",
        "probe",
        "retrained",
        "cls",
        "sep",
        "other",
        "dev",
        "test",
        "accuracy",
        "pooler",
        "pos:1",
    ]
    .map(String::from)
    .to_vec();
    run(
        kind,
        n,
        &[("t.parquet", seed.bytes().orig().to_vec())],
        |i, _, _, rng| seed.mutant(i, n, rng, &strings),
        move |dir: &Path| read(&dir.join("t.parquet")).map(drop),
    );
}

#[test]
fn probe_table() {
    bounded("probe_table", || {
        let row = |method, dims: &[u16], layer| ProbeRow {
            layer,
            readout: "cls".into(),
            method,
            dims: dims.to_vec(),
            k: dims.len() as u16,
            metric: "accuracy".into(),
            dev: 0.75,
            test: f64::NAN,
            rank: 1,
        };
        let rows = vec![
            row(Method::Full, &[], 0),
            row(Method::Single, &[3], 1),
            row(Method::Pair, &[3, 9], 1),
            row(Method::Greedy, &[9, 3, 1], 2),
        ];
        campaign(
            "probe_table",
            |p| probe::write(p, &rows, &meta()).map(drop),
            probe::read,
        );
    });
}

#[test]
fn probe_predictions_table() {
    bounded("probe_predictions_table", || {
        let rows: Vec<ProbePredictionRow> = (0..6)
            .map(|i| ProbePredictionRow {
                layer: i % 3,
                readout: "mean".into(),
                method: [Method::Full, Method::Single, Method::Pair][i as usize % 3],
                dims: (0..(i % 3) as u16).collect(),
                split: ["dev", "test"][i as usize % 2].into(),
                idx: i as u32 * 7,
                label: (i % 2) as f32,
                prediction: 1.0,
            })
            .collect();
        campaign(
            "probe_predictions_table",
            |p| probe_predictions::write(p, &rows, &meta()).map(drop),
            probe_predictions::read,
        );
    });
}

#[test]
fn cka_table() {
    bounded("cka_table", || {
        let rows: Vec<CkaRow> = (0..4)
            .map(|l| CkaRow {
                layer: l,
                readout: "cls".into(),
                cka: 1.0 / (l + 1) as f64,
                mean_cosine: 0.5,
                n: 20,
            })
            .collect();
        campaign("cka_table", |p| cka::write(p, &rows, &meta()), cka::read);
    });
}

#[test]
fn cross_table() {
    bounded("cross_table", || {
        let rows: Vec<CrossRow> = (0..5)
            .map(|s| CrossRow {
                step: s,
                trained_task: "news".into(),
                eval_task: "movie".into(),
                mode: [Mode::Head, Mode::Retrained, Mode::Probe][s as usize % 3],
                split: "test".into(),
                metric: "accuracy".into(),
                value: 0.6,
            })
            .collect();
        campaign(
            "cross_table",
            |p| cross::write(p, &rows, &meta()),
            cross::read,
        );
    });
}

#[test]
fn run_metrics_table() {
    bounded("run_metrics_table", || {
        let rows: Vec<MetricRow> = (1..4)
            .map(|e| MetricRow {
                epoch: e,
                split: "dev".into(),
                metric: "accuracy".into(),
                value: if e == 2 { f64::NAN } else { 0.7 },
            })
            .collect();
        campaign(
            "run_metrics_table",
            |p| run_metrics::write(p, &rows),
            run_metrics::read,
        );
    });
}

#[test]
fn curve_table() {
    bounded("curve_table", || {
        let rows: Vec<CurveRow> = (1..6)
            .map(|s| CurveRow {
                step: s * 4,
                epoch: 1 + s / 3,
                loss: 0.7 - s as f64 * 0.01,
                learning_rate: 1e-4,
                grad_norm: 2.0,
            })
            .collect();
        campaign("curve_table", |p| curve::write(p, &rows), curve::read);
    });
}

#[test]
fn predictions_table() {
    bounded("predictions_table", || {
        let rows: Vec<PredictionRow> = (0..6)
            .map(|i| PredictionRow {
                split: ["dev", "test"][i % 2].into(),
                idx: i as u32,
                label: (i % 2) as f32,
                prediction: 0.0,
                scores: vec![0.25, -1.5],
                token_pos: (i % 3 != 0).then_some(i as u32),
                token_role: [None, Some(TokenRole::Cls), Some(TokenRole::Sep)][i % 3],
            })
            .collect();
        campaign(
            "predictions_table",
            |p| predictions::write(p, &rows),
            predictions::read,
        );
    });
}
