//! The finetune stage end to end on a tiny random BERT and a synthetic, learnable task.

use std::path::PathBuf;

use fewdims_backend::{Backend, DeviceArgs};
use fewdims_data::TokenSplit;
use fewdims_data::tokfile::write_token_split;
use fewdims_schema::vocab::{Dims, Freeze, Head, Layer, ReadoutKind};
use fewdims_train::{FinetuneConfig, finetune};

use fewdims_testkit as common;

use common::VOCAB;

/// Device RNG seeding is per process: runs that compare seeds must not interleave.
pub(crate) static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

pub(crate) fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Label 1 iff the sequence contains token 7; lengths vary to exercise padding.
pub(crate) fn split(name: &str, n: usize, seed: u64) -> TokenSplit {
    let mut s = common::empty_split(name);
    let mut rng = common::Lcg::new(seed);
    for i in 0..n {
        let len = 4 + rng.next() % 8;
        let positive = i % 2 == 0;
        let mut ids = vec![2u32];
        ids.extend((1..len - 1).map(|_| 8 + (rng.next() % (VOCAB - 8)) as u32));
        ids.push(3);
        if positive {
            let at = 1 + rng.next() % (len - 2);
            ids[at] = 7;
        }
        common::push_row(&mut s, i as u32, ids, positive as i64);
    }
    s
}

pub(crate) struct Fixture {
    _dir: tempfile::TempDir,
    pub(crate) root: PathBuf,
}

pub(crate) fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    common::tiny_model_dir(&root.join("model"), true);
    for (name, n, seed) in [("train", 256, 1), ("dev", 64, 2), ("test", 64, 3)] {
        write_token_split(&root.join(format!("{name}.parquet")), &split(name, n, seed))
            .unwrap()
            .commit()
            .unwrap();
    }
    Fixture { _dir: dir, root }
}

pub(crate) fn config(f: &Fixture, out: &str, backend: Backend) -> FinetuneConfig {
    let r = &f.root;
    let mut c = FinetuneConfig::new(
        r.join("model"),
        r.join("train.parquet"),
        r.join("dev.parquet"),
        r.join(out),
    );
    c.test = Some(r.join("test.parquet"));
    c.hyper.epochs = 4;
    c.hyper.batch_size = 16;
    c.hyper.lr = 2e-3;
    c.hyper.warmup_ratio = 0.0;
    c.device = DeviceArgs::new(backend, "cpu");
    c.quiet = true;
    c
}

fn dev_accuracy(summary: &fewdims_train::RunSummary) -> f64 {
    summary
        .final_metrics
        .iter()
        .find(|r| r.split == "dev" && r.metric == "accuracy")
        .unwrap()
        .value
}

#[test]
fn learns_is_deterministic_and_writes_the_run_dir() {
    let _guard = serial();
    let f = fixture();
    let a = finetune(&config(&f, "runs/a", Backend::Flex)).unwrap();
    let b = finetune(&config(&f, "runs/b", Backend::Flex)).unwrap();
    assert!(
        dev_accuracy(&a) > 0.75,
        "the tiny model learns the planted token: {:?}",
        a.final_metrics
    );
    let values =
        |s: &fewdims_train::RunSummary| s.final_metrics.iter().map(|r| r.value).collect::<Vec<_>>();
    assert_eq!(values(&a), values(&b), "same seed, same metrics");
    let run = f.root.join("runs/a");
    for file in [
        "model.safetensors",
        "config.json",
        "run.json",
        "metrics.parquet",
    ] {
        assert!(run.join(file).exists(), "{file}");
    }
    assert!(!f.root.join("runs/.a.partial").exists());
    let loaded = fewdims_bert::load_model_dir(
        &run,
        &DeviceArgs::new(Backend::Flex, "cpu")
            .select()
            .unwrap()
            .device,
    )
    .unwrap();
    assert!(
        loaded.extra.contains_key("head.out_proj.weight")
            && loaded.extra.contains_key("head.dims_mask")
    );
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run.join("run.json")).unwrap()).unwrap();
    assert_eq!(json["backend"], "flex");
    assert_eq!(json["best_epoch"], serde_json::json!(a.best_epoch));

    // predictions.parquet: every dev and test item once, and the best epoch's accuracy follows
    // from it exactly.
    let preds = fewdims_tables::predictions::read(&run.join("predictions.parquet"))
        .unwrap()
        .rows;
    for split in ["dev", "test"] {
        let rows: Vec<_> = preds.iter().filter(|p| p.split == split).collect();
        assert_eq!(
            rows.len() as u64,
            json[format!("num_{split}")].as_u64().unwrap(),
            "{split}"
        );
        let mut idx: Vec<u32> = rows.iter().map(|p| p.idx).collect();
        idx.sort_unstable();
        idx.dedup();
        assert_eq!(idx.len(), rows.len(), "{split}: one row per item");
        let hits = rows.iter().filter(|p| p.prediction == p.label).count();
        let want = a
            .final_metrics
            .iter()
            .find(|r| r.split == split && r.metric == "accuracy")
            .unwrap()
            .value;
        assert_eq!(hits as f64 / rows.len() as f64, want, "{split}");
        for p in &rows {
            let argmax = (0..p.scores.len())
                .max_by(|&i, &j| p.scores[i].total_cmp(&p.scores[j]).then(j.cmp(&i)))
                .unwrap();
            assert_eq!(
                argmax as f32, p.prediction,
                "the prediction is the scores' argmax"
            );
            assert_eq!(
                (p.token_pos, p.token_role),
                (Some(0), Some(fewdims_schema::run::TokenRole::Cls)),
                "a cls readout reads position 0"
            );
        }
    }
}

/// A run stopped after epoch 1 and resumed ends bit for bit as the uninterrupted one: metrics,
/// curve, predictions and model.safetensors.
fn resume_is_exact(f: &Fixture, backend: Backend) -> fewdims_train::RunSummary {
    let full = finetune(&config(f, "runs/full", backend)).unwrap();
    let mut first = config(f, "runs/r", backend);
    first.stop_after = Some(1);
    let err = finetune(&first).unwrap_err().to_string();
    assert!(err.contains("stopped after epoch 1"), "{err}");
    assert!(f.root.join("runs/.r.partial/checkpoint/LATEST").exists());
    assert!(
        !f.root.join("runs/r").exists(),
        "an interrupted run is never taken as done"
    );
    let mut rest = config(f, "runs/r", backend);
    rest.resume = true;
    let resumed = finetune(&rest).unwrap();
    assert_eq!(
        full.final_metrics, resumed.final_metrics,
        "{backend}: resumed run = uninterrupted run"
    );
    assert_eq!(full.best_epoch, resumed.best_epoch);
    let (a, b) = (f.root.join("runs/full"), f.root.join("runs/r"));
    let read = |dir: &std::path::Path| {
        (
            fewdims_tables::run_metrics::read(&dir.join("metrics.parquet"))
                .unwrap()
                .rows,
            fewdims_tables::curve::read(&dir.join("curve.parquet"))
                .unwrap()
                .rows,
            fewdims_tables::predictions::read(&dir.join("predictions.parquet"))
                .unwrap()
                .rows,
            std::fs::read(dir.join("model.safetensors")).unwrap(),
        )
    };
    let (x, y) = (read(&a), read(&b));
    assert_eq!(x.0, y.0, "{backend}: metrics.parquet");
    assert_eq!(
        x.1, y.1,
        "{backend}: curve.parquet (loss, grad norm per point)"
    );
    assert_eq!(x.2, y.2, "{backend}: predictions.parquet (logits)");
    assert!(x.3 == y.3, "{backend}: model.safetensors differs");
    full
}

#[test]
fn resume_on_tch_is_exact() {
    let _guard = serial();
    resume_is_exact(&fixture(), Backend::Tch);
}

#[test]
fn resume_continues_from_the_last_checkpoint() {
    let _guard = serial();
    let f = fixture();
    let full = resume_is_exact(&f, Backend::Flex);
    let values =
        |s: &fewdims_train::RunSummary| s.final_metrics.iter().map(|r| r.value).collect::<Vec<_>>();

    // A partial run of other settings is not resumed: the run starts afresh.
    let mut other = config(&f, "runs/o", Backend::Flex);
    other.stop_after = Some(1);
    other.hyper.lr *= 2.0;
    finetune(&other).unwrap_err();
    let mut again = config(&f, "runs/o", Backend::Flex);
    again.resume = true;
    let fresh = finetune(&again).unwrap();
    assert_eq!(
        values(&full),
        values(&fresh),
        "started afresh = uninterrupted run"
    );
}

#[test]
fn refuses_flags_that_do_not_fit_before_any_work() {
    let _guard = serial();
    let f = fixture();
    let cases: Vec<(Box<dyn Fn(&mut FinetuneConfig)>, &str)> = vec![
        (Box::new(|c| c.readout.layer = Layer(3)), "out of range"),
        (
            Box::new(|c| c.readout.dims = Dims::List(vec![32])),
            "out of range for hidden size 32",
        ),
        (
            Box::new(|c| c.readout.token = ReadoutKind::Pos(16)),
            "beyond max_len",
        ),
        (
            Box::new(|c| {
                c.readout.token = ReadoutKind::Pooler;
                c.readout.layer = Layer(1)
            }),
            "pooler reads the last layer",
        ),
        (
            Box::new(|c| c.dev = c.train.with_file_name("missing.parquet")),
            "missing.parquet",
        ),
        (
            Box::new(|c| c.freeze = Freeze::Below(3)),
            "--freeze below:3: the model has 2 layers",
        ),
        (
            Box::new(|c| c.test = Some(c.train.with_file_name("big-ids.parquet"))),
            "big-ids.parquet is ≥ the model's vocab_size",
        ),
    ];
    let mut big = split("test", 8, 9);
    big.input_ids[1] = VOCAB as u32 + 5;
    write_token_split(&f.root.join("big-ids.parquet"), &big)
        .unwrap()
        .commit()
        .unwrap();
    for (edit, needle) in cases {
        let mut c = config(&f, "runs/bad", Backend::Flex);
        edit(&mut c);
        let err = finetune(&c).unwrap_err().to_string();
        assert!(err.contains(needle), "expected `{needle}` in: {err}");
        assert!(!f.root.join("runs/bad").exists() && !f.root.join("runs/.bad.partial").exists());
    }
}

#[test]
fn a_diverging_loss_stops_with_a_clear_error_and_no_run_dir() {
    let _guard = serial();
    let f = fixture();
    let mut c = config(&f, "runs/nan", Backend::Flex);
    c.hyper.lr = 1e30;
    c.hyper.max_grad_norm = None;
    let err = finetune(&c).unwrap_err().to_string();
    assert!(err.contains("the loss became"), "{err}");
    assert!(!f.root.join("runs/nan").exists());
}

#[test]
fn every_readout_head_and_freeze_trains() {
    let _guard = serial();
    let f = fixture();
    for (i, (token, dims, head, freeze)) in [
        (
            ReadoutKind::MaxNorm,
            Dims::Random {
                k: 2,
                seed: Some(1),
            },
            Head::Linear,
            Freeze::None,
        ),
        (ReadoutKind::Mean, Dims::First(3), Head::Mlp, Freeze::All),
        (
            ReadoutKind::Pos(1),
            Dims::All,
            Head::Linear,
            Freeze::Below(1),
        ),
        (
            ReadoutKind::Pooler,
            Dims::All,
            Head::Linear,
            Freeze::Embeddings,
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let mut c = config(&f, &format!("runs/v{i}"), Backend::Flex);
        c.hyper.epochs = 1;
        (c.readout.token, c.readout.dims, c.head, c.freeze) = (token, dims.clone(), head, freeze);
        let s = finetune(&c).unwrap_or_else(|e| panic!("{token} {dims} {head} {freeze}: {e}"));
        assert_eq!(s.dims.len(), dims.resolve(32, c.hyper.seed).unwrap().len());
    }
}

#[test]
fn trains_on_tch() {
    let _guard = serial();
    let f = fixture();
    let s = finetune(&config(&f, "runs/tch", Backend::Tch)).unwrap();
    assert!(dev_accuracy(&s) > 0.75, "{:?}", s.final_metrics);
}

#[test]
fn trains_on_wgpu() {
    let _guard = serial();
    let f = fixture();
    let mut c = config(&f, "runs/wgpu", Backend::Wgpu);
    c.hyper.epochs = 1;
    let s = finetune(&c).unwrap();
    assert_eq!(s.backend, "wgpu");
}
