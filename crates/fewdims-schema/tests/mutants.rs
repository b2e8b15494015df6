//! Mutation tests of the schema crate's readers (issue 14, item 1): hidden-state safetensors
//! (read as extract-hidden, probe-dims and rep-change read them) and run.json. Each mutant of a
//! valid file reads cleanly, with every length a caller relies on, or gives an error naming
//! the file; never a panic, a hang or an oversized allocation (see `fewdims_mutants`).
//! `FEWDIMS_MUTANTS=N` runs N per kind.

use std::collections::BTreeMap;
use std::path::Path;

use fewdims_mutants::{Bytes, bounded, count, json_mutant, run, safetensors_boundaries};
use fewdims_schema::hidden::{
    HiddenError, HiddenMeta, HiddenReader, HiddenStates, Labels, TokenStates, readout_layers,
};
use fewdims_schema::run::RunFile;
use fewdims_schema::task::TaskKind;

/// Mutants per kind in CI.
const CI: usize = 400;

fn hidden_bytes() -> Vec<u8> {
    let (n, layers, h) = (5, 3, 4);
    let readouts = ["cls", "mean", "pooler"];
    let meta = HiddenMeta {
        model: "tiny".into(),
        task: "movie".into(),
        split: "dev".into(),
        readouts: readouts.map(String::from).to_vec(),
        num_layers: layers - 1,
        hidden_size: h,
        kind: TaskKind::Classification,
        metrics: vec!["accuracy".into(), "f1".into()],
        label_names: vec!["neg".into(), "pos".into()],
        source: "models/tiny".into(),
        extra: BTreeMap::from([("fewdims.tok_sha256".into(), "00".into())]),
    };
    let lens = [3u64, 1, 4, 1, 5];
    let mut offsets = vec![0u64];
    for l in lens {
        offsets.push(offsets.last().unwrap() + l);
    }
    let t = *offsets.last().unwrap() as usize;
    let states = HiddenStates {
        readouts: readouts
            .iter()
            .map(|r| {
                let len = n * readout_layers(r, layers) * h;
                (r.to_string(), (0..len).map(|v| v as f32 * 0.5).collect())
            })
            .collect(),
        meta,
        n,
        layers,
        hidden: h,
        labels: Labels::Classes(vec![0, 1, 1, -1, 0]),
        idx: vec![4, 8, 15, 16, 23],
        tokens: Some(TokenStates {
            offsets,
            data: (0..t * layers * h).map(|v| v as f32).collect(),
        }),
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dev.safetensors");
    states.write(&path).unwrap();
    std::fs::read(path).unwrap()
}

/// Reads a hidden file as the stages do, and checks every length they index by.
fn read_hidden(path: &Path) -> Result<(), HiddenError> {
    let r = HiddenReader::open(path)?;
    let (n, h) = (r.n(), r.hidden());
    let labels = r.labels()?;
    assert_eq!(labels.len(), n, "labels");
    if let Labels::Classes(v) = &labels {
        // Callers size class counts by the names: every class index must have one.
        let k = r.meta().label_names.len() as i64;
        assert!(
            v.iter().all(|&y| (-1..k).contains(&y)),
            "labels {v:?} beyond {k} names"
        );
    }
    assert_eq!(r.idx()?.len(), n, "idx");
    for name in r.meta().readouts.clone() {
        let nl = readout_layers(&name, r.layers());
        assert_eq!(r.readout(&name)?.len(), n * nl * h, "readout {name}");
        for l in 0..nl {
            assert_eq!(r.layer(&name, l)?.len(), n * h, "layer {l} of {name}");
        }
    }
    if let Some(t) = r.tokens()? {
        assert_eq!(t.offsets.len(), n + 1, "offsets");
        let rows = *t.offsets.last().unwrap() as usize;
        assert_eq!(t.data.len(), rows * r.layers() * h, "tokens");
    }
    let all = HiddenStates::read(path)?;
    assert_eq!(all.readouts.len(), all.meta.readouts.len());
    Ok(())
}

#[test]
fn hidden_safetensors() {
    bounded("hidden_safetensors", || {
        let orig = hidden_bytes();
        let hlen = u64::from_le_bytes(orig[..8].try_into().unwrap()) as usize;
        let plan = Bytes::new(&orig)
            .boundaries(&safetensors_boundaries(&orig))
            .hot(0..8 + hlen);
        let strings: Vec<String> = [
            "cls",
            "mean",
            "pooler",
            "max-norm",
            "pos:1",
            "tokens",
            "offsets",
            "label",
            "idx",
            "readouts",
            "num_layers",
            "hidden_size",
            "kind",
            "regression",
            "metrics",
            "label_names",
            "cls,mean,pooler,tokens",
            "pearson",
            "0",
            "-1",
            "4294967296",
        ]
        .map(String::from)
        .to_vec();
        let n = count(CI);
        run(
            "hidden_safetensors",
            n,
            &[("dev.safetensors", orig.clone())],
            |i, _, orig, rng| {
                if i % 2 == 0 {
                    plan.mutant(i / 2, n / 2, rng)
                } else {
                    fewdims_mutants::safetensors_mutant(orig, rng, &strings)
                }
            },
            |dir: &Path| read_hidden(&dir.join("dev.safetensors")),
        );
    });
}

#[test]
fn run_json() {
    bounded("run_json", || {
        let orig = include_bytes!("fixtures/run.json").to_vec();
        let plan = Bytes::new(&orig);
        let strings: Vec<String> = [
            "fewdims-run-v1",
            "pos:1",
            "pos:0",
            "pos:-1",
            "pos:99999999999999999999",
            "cls",
            "max-norm",
            "pooler",
            "random:2:7",
            "random:0",
            "random:18446744073709551616",
            "first:0",
            "list:",
            "list:1,,2",
            "all",
            "none",
            "below:99",
            "mlp",
            "linear",
            "-1",
            "-99999999999999999999",
            "classification",
            "regression",
            "dev",
            "test",
        ]
        .map(String::from)
        .to_vec();
        let n = count(CI);
        run(
            "run_json",
            n,
            &[("run.json", orig.clone())],
            |i, _, orig, rng| {
                if i % 4 == 0 {
                    plan.mutant(i / 4, n / 4, rng)
                } else {
                    json_mutant(orig, rng, &strings)
                }
            },
            |dir: &Path| {
                let run = RunFile::read(dir)?;
                // What readers do next: scores, the resolved readout, the config's identity.
                let _ = run.score("dev", &run.metrics.first().cloned().unwrap_or_default());
                let _ = run.config.readout.dims.to_string();
                assert!(run.config.same_result(&run.config.clone()));
                Ok::<_, fewdims_schema::run::RunFileError>(())
            },
        );
    });
}
