//! extract-hidden on a tiny random BERT: shapes, metadata, agreement with a direct forward,
//! independence of the batch size, per-token states and bad input.

use std::path::PathBuf;

use burn::tensor::{Int, Tensor, TensorData};
use fewdims_backend::{Backend, DeviceArgs};
use fewdims_bert::{BertConfig, BertInput, load_model_dir};
use fewdims_data::TokenSplit;
use fewdims_data::tokfile::write_token_split;
use fewdims_extract::{ExtractConfig, extract};
use fewdims_schema::hidden::{HiddenStates, Labels};
use fewdims_schema::task::TaskKind;
use fewdims_schema::vocab::ReadoutKind;

use fewdims_testkit as common;

use common::VOCAB;

/// n rows of 3..=14 tokens, labels alternating.
fn split(name: &str, n: usize, seed: u64) -> TokenSplit {
    let mut s = common::empty_split(name);
    let mut rng = common::Lcg::new(seed);
    for i in 0..n {
        let len = 3 + rng.next() % 12;
        let mut ids = vec![2u32];
        ids.extend((1..len - 1).map(|_| 4 + (rng.next() % (VOCAB - 4)) as u32));
        ids.push(3);
        common::push_row(&mut s, 100 + i as u32, ids, (i % 2) as i64);
    }
    s
}

fn device() -> DeviceArgs {
    DeviceArgs::new(Backend::Flex, "cpu")
}

struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

fn fixture(pooler: bool, rows: usize) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    common::tiny_model_dir(&root.join("model"), pooler);
    write_token_split(&root.join("dev.parquet"), &split("dev", rows, 7))
        .unwrap()
        .commit()
        .unwrap();
    Fixture { _dir: dir, root }
}

fn config(f: &Fixture, out: &str, batch_size: usize) -> ExtractConfig {
    let mut c = ExtractConfig::new(
        f.root.join("model"),
        f.root.join("dev.parquet"),
        f.root.join(out),
    );
    c.readouts = vec![
        ReadoutKind::Cls,
        ReadoutKind::MaxNorm,
        ReadoutKind::Mean,
        ReadoutKind::Pos(1),
        ReadoutKind::Pooler,
    ];
    c.batch_size = batch_size;
    c.quiet = true;
    c.device = device();
    c
}

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[test]
fn shapes_metadata_direct_forward_and_batch_size() {
    let f = fixture(true, 150);
    let report = extract(&config(&f, "h/a.safetensors", 64)).unwrap();
    assert_eq!(report.rows, 150);
    let a = HiddenStates::read(f.root.join("h/a.safetensors")).unwrap();
    let bert = BertConfig::tiny(VOCAB);
    let (l, h) = (bert.num_hidden_layers, bert.hidden_size);
    assert_eq!((a.n, a.layers, a.hidden), (150, l + 1, h));
    assert_eq!(
        a.meta.readouts,
        ["cls", "max-norm", "mean", "pos:1", "pooler"]
    );
    assert_eq!(a.meta.task, "movie");
    assert_eq!(a.meta.split, "dev");
    assert_eq!(a.meta.model, "model");
    assert_eq!(a.meta.kind, TaskKind::Classification);
    assert_eq!(a.meta.metrics[0], "accuracy");
    assert_eq!(a.meta.label_names.len(), 2);
    assert_eq!(a.idx, (100..250).collect::<Vec<u32>>());
    assert_eq!(a.labels, Labels::Classes((0..150).map(|i| i % 2).collect()));
    for (name, data) in &a.readouts {
        let layers = if name == "pooler" { 1 } else { l + 1 };
        assert_eq!(data.len(), 150 * layers * h, "{name}");
        assert!(data.iter().all(|x| x.is_finite()), "{name}");
    }
    assert!(a.tokens.is_none());

    // cls of layer L and the pooler equal a direct forward, row by row (file order).
    let dev = device().select().unwrap().device;
    let model = load_model_dir(f.root.join("model"), &dev).unwrap().model;
    let s = fewdims_data::read_token_split(&f.root.join("dev.parquet")).unwrap();
    let rows: Vec<usize> = (0..150).step_by(7).collect();
    let ids: Vec<&[u32]> = rows.iter().map(|&i| s.row(i).0).collect();
    let types: Vec<&[u8]> = rows.iter().map(|&i| s.row(i).1).collect();
    let out = model.forward(BertInput::from_sequences(&ids, &types, 0, &dev));
    let top = out.hidden_states[l].clone();
    let cls: Vec<f32> = top
        .clone()
        .slice([0..rows.len(), 0..1])
        .into_data()
        .try_into_vec_as::<f32>()
        .unwrap();
    let pooled: Vec<f32> = out.pooled.unwrap().into_data().try_into_vec_as().unwrap();
    let file_cls = a.layer("cls", l).unwrap();
    let file_pooler = a.layer("pooler", 0).unwrap();
    for (k, &i) in rows.iter().enumerate() {
        let d = max_diff(&cls[k * h..(k + 1) * h], &file_cls[i * h..(i + 1) * h]);
        assert!(d < 1e-5, "cls row {i}: {d}");
        let d = max_diff(
            &pooled[k * h..(k + 1) * h],
            &file_pooler[i * h..(i + 1) * h],
        );
        assert!(d < 1e-5, "pooler row {i}: {d}");
    }
    // mean of layer 0 of row 0 by hand.
    let (ids0, _) = s.row(0);
    let emb = model.embeddings.forward(
        Tensor::<2, Int>::from_data(
            TensorData::new(ids0.iter().map(|&x| x as i64).collect(), [1, ids0.len()]),
            &dev,
        ),
        Tensor::<2, Int>::zeros([1, ids0.len()], &dev),
    );
    let mean: Vec<f32> = emb.mean_dim(1).into_data().try_into_vec_as().unwrap();
    let d = max_diff(&mean, &a.layer("mean", 0).unwrap()[..h]);
    assert!(d < 1e-5, "mean layer 0: {d}");

    // Batch size does not change the states.
    for bs in [1, 7, 200] {
        let name = format!("h/b{bs}.safetensors");
        extract(&config(&f, &name, bs)).unwrap();
        let b = HiddenStates::read(f.root.join(&name)).unwrap();
        assert_eq!(b.idx, a.idx);
        assert_eq!(b.labels, a.labels);
        for ((na, da), (nb, db)) in a.readouts.iter().zip(&b.readouts) {
            assert_eq!(na, nb);
            let d = max_diff(da, db);
            assert!(d < 1e-5, "batch size {bs}, {na}: {d}");
        }
    }
}

#[test]
fn per_token_states_match_the_readouts() {
    let f = fixture(false, 40);
    let mut c = config(&f, "t.safetensors", 16);
    c.readouts = vec![ReadoutKind::Cls, ReadoutKind::Mean];
    c.tokens = true;
    let report = extract(&c).unwrap();
    let a = HiddenStates::read(f.root.join("t.safetensors")).unwrap();
    let t = a.tokens.as_ref().unwrap();
    assert_eq!(t.offsets.len(), 41);
    assert_eq!(report.tokens, Some(*t.offsets.last().unwrap() as usize));
    let (layers, h) = (a.layers, a.hidden);
    let s = fewdims_data::read_token_split(&f.root.join("dev.parquet")).unwrap();
    for i in 0..40 {
        let (start, end) = (t.offsets[i] as usize, t.offsets[i + 1] as usize);
        assert_eq!(end - start, s.row(i).0.len());
        for layer in 0..layers {
            let tok = |j: usize| &t.data[((start + j) * layers + layer) * h..][..h];
            let cls = &a.layer("cls", layer).unwrap()[i * h..(i + 1) * h];
            assert!(max_diff(tok(0), cls) < 1e-5);
            let mut mean = vec![0f32; h];
            for j in 0..end - start {
                for (m, x) in mean.iter_mut().zip(tok(j)) {
                    *m += x / (end - start) as f32;
                }
            }
            let file_mean = &a.layer("mean", layer).unwrap()[i * h..(i + 1) * h];
            assert!(max_diff(&mean, file_mean) < 1e-4, "row {i} layer {layer}");
        }
    }
}

#[test]
fn worker_threads_and_backends_write_the_same_states() {
    let f = fixture(true, 150);
    let run = |name: &str, backend: Backend, workers: usize| {
        let mut c = config(&f, name, 8);
        c.tokens = true;
        c.device = DeviceArgs::new(backend, "cpu");
        c.workers = Some(workers);
        let report = extract(&c).unwrap();
        assert_eq!(report.workers, workers);
        HiddenStates::read(f.root.join(name)).unwrap()
    };
    let base = run("w1.safetensors", Backend::Flex, 1);
    for (name, backend, workers) in [
        ("w3.safetensors", Backend::Flex, 3),
        ("tch1.safetensors", Backend::Tch, 1),
        ("tch2.safetensors", Backend::Tch, 2),
    ] {
        let other = run(name, backend, workers);
        assert_eq!(other.idx, base.idx, "{name}");
        assert_eq!(other.labels, base.labels, "{name}");
        for ((na, da), (nb, db)) in base.readouts.iter().zip(&other.readouts) {
            assert_eq!(na, nb);
            // Every state of the untrained tiny model is a LayerNorm output (gamma 1, beta 0), so
            // all token norms tie and max-norm's pick is rounding noise: compared within flex only.
            if na == "max-norm" && backend != Backend::Flex {
                continue;
            }
            let d = max_diff(da, db);
            assert!(d < 1e-5, "{name}, {na}: {d}");
        }
        let (t0, t1) = (
            base.tokens.as_ref().unwrap(),
            other.tokens.as_ref().unwrap(),
        );
        assert_eq!(t0.offsets, t1.offsets, "{name}");
        let d = max_diff(&t0.data, &t1.data);
        assert!(d < 1e-5, "{name}, tokens: {d}");
    }
}

#[test]
fn bad_input_is_refused_with_a_clear_error() {
    let f = fixture(false, 10);
    let err = |c: ExtractConfig| extract(&c).unwrap_err().to_string();

    let e = err(config(&f, "x.safetensors", 4));
    assert!(e.contains("no pooler"), "{e}");

    let mut c = config(&f, "x.safetensors", 4);
    c.readouts = vec![ReadoutKind::Cls];
    c.input = f.root.join("missing.parquet");
    let e = err(c);
    assert!(e.contains("missing.parquet"), "{e}");

    let mut c = config(&f, "x.safetensors", 4);
    c.readouts = vec![ReadoutKind::Cls];
    c.model = f.root.join("nowhere");
    let e = err(c);
    assert!(e.contains("nowhere"), "{e}");

    let mut s = split("dev", 10, 1);
    s.input_ids[3] = VOCAB as u32 + 5;
    write_token_split(&f.root.join("big.parquet"), &s)
        .unwrap()
        .commit()
        .unwrap();
    let mut c = config(&f, "x.safetensors", 4);
    c.readouts = vec![ReadoutKind::Cls];
    c.input = f.root.join("big.parquet");
    let e = err(c);
    assert!(e.contains("vocab_size"), "{e}");

    let mut c = config(&f, "x.safetensors", 4);
    c.readouts = vec![ReadoutKind::Cls, ReadoutKind::Cls];
    assert!(err(c).contains("twice"));

    let mut c = config(&f, "x.safetensors", 4);
    c.readouts = vec![ReadoutKind::Cls];
    c.workers = Some(0);
    let e = err(c);
    assert!(e.contains("--workers must be at least 1"), "{e}");
    assert!(!f.root.join("x.safetensors").exists());
}
