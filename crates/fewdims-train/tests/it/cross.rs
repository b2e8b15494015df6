//! The cross-finetune stage on a tiny random BERT and three synthetic tasks (two classification,
//! one regression), each planted on its own token.

use std::path::{Path, PathBuf};

use fewdims_bert::Readout;
use fewdims_bert::load_model_dir;
use fewdims_data::registry::task as task_spec;
use fewdims_data::tokfile::write_token_split;
use fewdims_data::{Label, TaskMeta, TokenSplit};
use fewdims_schema::cross::{self as schema, Mode};
use fewdims_train::cross::{CrossRow, CrossStep, EarlierHeads, StepOverrides, TaskSplits};
use fewdims_train::eval::{predict, score, target};
use fewdims_train::head::ClassifierHead;
use fewdims_train::{CrossConfig, CrossSummary, FinetuneConfig, cross_finetune, finetune};

use fewdims_testkit as common;

use common::VOCAB;

/// Device RNG seeding is per process: runs must not interleave.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// A split of `task` whose label is carried by token `marker` (1 / 0, or +1.5 / -1.5 for scores: -1 means unlabelled).
fn split(task: &str, name: &str, n: usize, seed: u64, marker: u32) -> TokenSplit {
    let mut s = common::empty_split(name);
    s.meta = TaskMeta {
        split: name.into(),
        ..TaskMeta::new(task_spec(task).unwrap(), name, Path::new("synthetic"), "0")
    };
    let mut rng = common::Lcg::new(seed);
    for i in 0..n {
        let len = 4 + rng.next() % 8;
        let positive = i % 2 == 0;
        let mut ids = vec![2u32];
        ids.extend((1..len - 1).map(|_| 12 + (rng.next() % (VOCAB - 12)) as u32));
        ids.push(3);
        if positive {
            ids[1 + rng.next() % (len - 2)] = marker;
        }
        common::push_row(&mut s, i as u32, ids, positive as i64);
        if s.meta.kind == fewdims_data::TaskKind::Regression {
            *s.labels.last_mut().unwrap() = Label::Score(if positive { 1.5 } else { -1.5 });
        }
    }
    s
}

struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Fixture {
    fn splits(&self, task: &str) -> TaskSplits {
        TaskSplits::in_dir(&self.root.join("tok").join(task))
    }
}

/// The tiny model, token splits of movie (marker 7), amazon (8) and movie-score (9), and a
/// finished 2-epoch run of movie at `runs/movie`.
fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    common::tiny_model_dir(&root.join("model"), true);
    for (t, (task, marker)) in [("movie", 7), ("amazon", 8), ("movie-score", 9)]
        .into_iter()
        .enumerate()
    {
        for (s, (name, n)) in [("train", 128), ("dev", 48), ("test", 48)]
            .into_iter()
            .enumerate()
        {
            let path = root.join(format!("tok/{task}/{name}.parquet"));
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            let seed = (t * 3 + s) as u64;
            write_token_split(&path, &split(task, name, n, seed, marker))
                .unwrap()
                .commit()
                .unwrap();
        }
    }
    let f = Fixture { _dir: dir, root };
    let s = f.splits("movie");
    let mut c = FinetuneConfig::new(
        f.root.join("model"),
        s.train,
        s.dev,
        f.root.join("runs/movie"),
    );
    c.test = s.test;
    (c.hyper.epochs, c.hyper.batch_size, c.hyper.lr) = (2, 16, 2e-3);
    c.hyper.warmup_ratio = 0.0;
    c.device = common::flex();
    c.quiet = true;
    finetune(&c).unwrap();
    f
}

fn config(f: &Fixture, tasks: &[&str], out: &str) -> CrossConfig {
    let steps = tasks
        .iter()
        .map(|t| CrossStep {
            splits: f.splits(t),
            overrides: StepOverrides::default(),
        })
        .collect();
    let mut c = CrossConfig::new(f.root.join("runs/movie"), steps, f.root.join(out));
    (c.hyper.epochs, c.hyper.batch_size, c.hyper.lr) = (1, 16, 2e-3);
    c.hyper.warmup_ratio = 0.0;
    c.device = common::flex();
    c.quiet = true;
    c
}

fn run_json(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("run.json")).unwrap()).unwrap()
}

fn head_tensors(dir: &Path) -> Vec<(String, Vec<f32>)> {
    let (t, _) = fewdims_bert::weights::read_safetensors(&dir.join("model.safetensors")).unwrap();
    t.into_iter()
        .filter(|(k, _)| k.starts_with("head."))
        .map(|(k, (_, v))| (k, v))
        .collect()
}

fn rows_of<'r>(rows: &'r [CrossRow], step: usize, task: &str, mode: Mode) -> Vec<&'r CrossRow> {
    rows.iter()
        .filter(|r| r.step as usize == step && r.eval_task == task && r.mode == mode)
        .collect()
}

/// Cross-finetunes the movie run on amazon, then movie-score, with every mode on.
fn full_run(f: &Fixture) -> CrossSummary {
    let mut c = config(f, &["amazon", "movie-score"], "cross/x");
    c.earlier_heads = EarlierHeads::Retrain;
    c.refit_probe = true;
    cross_finetune(&c).unwrap()
}

#[test]
fn matrix_has_a_row_per_step_task_mode_split_and_metric() {
    let _guard = serial();
    let f = fixture();
    let s = full_run(&f);
    assert_eq!(s.tasks, ["movie", "amazon", "movie-score"]);
    let metrics = |t: &str| if t == "movie-score" { 2 } else { 1 };
    // Per step k and task j <= k: head, probe, and retrained for j < k; dev and test each.
    let mut expected = 0;
    for k in 0..3 {
        for (j, task) in s.tasks.iter().enumerate() {
            let n = |mode| rows_of(&s.rows, k, task, mode).len();
            let want = |on: bool| if on { 2 * metrics(task) } else { 0 };
            assert_eq!(n(Mode::Head), want(j <= k), "step {k} {task}");
            assert_eq!(n(Mode::Probe), want(j <= k), "step {k} {task}");
            assert_eq!(n(Mode::Retrained), want(j < k), "step {k} {task}");
            expected += n(Mode::Head) + n(Mode::Probe) + n(Mode::Retrained);
        }
    }
    assert_eq!(s.rows.len(), expected);
    assert!(
        s.rows
            .iter()
            .all(|r| r.trained_task == s.tasks[r.step as usize])
    );
    for r in &s.rows {
        let ok = match r.metric.as_str() {
            "accuracy" => (0.0..=1.0).contains(&r.value),
            _ => (-1.0..=1.0).contains(&r.value),
        };
        assert!(ok, "{r:?}");
    }
    // The parquet, its metadata, the JSON and the printed table.
    let dir = f.root.join("cross/x");
    let matrix = fewdims_tables::cross::read(&dir.join(schema::MATRIX_FILE)).unwrap();
    assert_eq!(
        matrix.rows, s.rows,
        "the file holds the rows the summary reports"
    );
    assert_eq!(
        matrix.meta(schema::META_TASKS),
        Some("movie,amazon,movie-score")
    );
    let settings: serde_json::Value =
        serde_json::from_str(matrix.meta(schema::META_SETTINGS).unwrap()).unwrap();
    assert_eq!(settings["earlier_heads"], "retrain");
    let cross: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join(schema::CROSS_FILE)).unwrap()).unwrap();
    assert_eq!(cross["steps"].as_array().unwrap().len(), 3);
    assert_eq!(cross["steps"][2]["task"], "movie-score");
    let table = s.table();
    for needle in [
        "head (metric, split)",
        "retrained (metric, split)",
        "probe (metric, split)",
        "movie-score (pearson, test)",
        "2:movie-score",
    ] {
        assert!(table.contains(needle), "`{needle}` in\n{table}");
    }
}

#[test]
fn own_head_on_own_encoder_reproduces_the_runs_final_metrics() {
    let _guard = serial();
    let f = fixture();
    let s = full_run(&f);
    for step in &s.steps {
        let json = run_json(&step.run_dir);
        let finals = json["final"].as_array().unwrap();
        let own = rows_of(&s.rows, step.step, &step.task, Mode::Head);
        assert_eq!(own.len(), finals.len());
        for r in own {
            let want = finals
                .iter()
                .find(|m| m["split"] == r.split.as_str() && m["metric"] == r.metric.as_str())
                .unwrap()["value"]
                .as_f64()
                .unwrap();
            assert!(
                (r.value - want).abs() < 1e-9,
                "step {}: {r:?} vs run.json {want}",
                step.step
            );
        }
    }
}

#[test]
fn earlier_heads_are_never_changed_and_read_the_current_encoder() {
    let _guard = serial();
    let f = fixture();
    let start = f.root.join("runs/movie");
    let before = head_tensors(&start);
    let s = full_run(&f);
    assert_eq!(
        head_tensors(&start),
        before,
        "the starting run is untouched"
    );
    assert_eq!(s.steps[0].run_dir, start);
    let step1 = f.root.join("cross/x/step1-amazon");
    assert_eq!(s.steps[1].run_dir, step1);
    let names = |h: &[(String, Vec<f32>)]| h.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>();
    assert_eq!(
        names(&head_tensors(&step1)),
        names(&before),
        "one head per step dir"
    );
    assert_ne!(head_tensors(&step1), before, "it is amazon's");
    assert_eq!(run_json(&step1)["task"], "amazon");
    let step2 = run_json(&f.root.join("cross/x/step2-movie-score"));
    assert_eq!(step2["config"]["model"], step1.to_str().unwrap());
    // movie's row after step 1 = movie's saved head on step 1's encoder, scored independently.
    let device = common::flex().select().unwrap().device;
    let encoder = load_model_dir(&step1, &device).unwrap().model;
    let saved = load_model_dir(&start, &device).unwrap().extra;
    let head = ClassifierHead::from_tensors(&saved, "head", 0.1, &device).unwrap();
    let test = fewdims_data::read_token_split(&f.splits("movie").test.unwrap()).unwrap();
    let readout = Readout {
        layer: 2,
        token: fewdims_schema::vocab::ReadoutKind::Cls,
    };
    let pred = predict(&encoder, &head, readout, &test, 0, 128);
    let want = score(&test.meta.metrics, &pred, &target(&test))[0].1;
    let row = rows_of(&s.rows, 1, "movie", Mode::Head)
        .into_iter()
        .find(|r| r.split == "test")
        .unwrap();
    assert_eq!(row.value, want);
}

#[test]
fn a_rerun_reuses_the_finished_step_dirs() {
    let _guard = serial();
    let f = fixture();
    let first = full_run(&f);
    let step1 = f.root.join("cross/x/step1-amazon/run.json");
    let stamp = std::fs::metadata(&step1).unwrap().modified().unwrap();
    // Frozen heads and no probe this time: head rows only, the same ones.
    let again = cross_finetune(&config(&f, &["amazon", "movie-score"], "cross/x")).unwrap();
    assert!(again.steps.iter().all(|s| s.reused));
    assert_eq!(
        std::fs::metadata(&step1).unwrap().modified().unwrap(),
        stamp
    );
    let heads: Vec<_> = first
        .rows
        .iter()
        .filter(|r| r.mode == Mode::Head)
        .cloned()
        .collect();
    assert_eq!(again.rows, heads, "same encoders, same heads, same scores");
    // Other settings for a step: that step and every later one are trained again.
    let mut c = config(&f, &["amazon", "movie-score"], "cross/x");
    c.hyper.lr = 1e-3;
    let changed = cross_finetune(&c).unwrap();
    assert!(changed.steps[1..].iter().all(|s| !s.reused));
}

#[test]
fn refuses_bad_inputs_before_any_work() {
    let _guard = serial();
    let f = fixture();
    // Unlabelled dev and test splits of amazon.
    let unlabelled = |name: &str| {
        let mut s = split("amazon", name, 8, 1, 8);
        s.meta.labelled = false;
        s.labels.iter_mut().for_each(|l| *l = Label::Class(-1));
        let path = f.root.join(format!("tok/unlabelled/{name}.parquet"));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        write_token_split(&path, &s).unwrap().commit().unwrap();
        path
    };
    let bad_dev = unlabelled("dev");

    let cases: Vec<(Box<dyn Fn(&mut CrossConfig)>, &str)> = vec![
        (
            Box::new(|c| c.from = f.root.join("model")),
            "not a finished run",
        ),
        (
            Box::new(|c| c.steps.push(c.steps[0].clone())),
            "task `amazon` is given twice",
        ),
        (
            Box::new(|c| c.steps[0].splits = f.splits("movie")),
            "the starting run's task",
        ),
        (
            Box::new(|c| c.steps[0].splits.dev = bad_dev.clone()),
            "has unlabelled rows",
        ),
        (
            Box::new(|c| c.steps[0].splits.dev = f.root.join("tok/amazon/missing.parquet")),
            "missing.parquet",
        ),
        (
            Box::new(|c| c.steps[0].overrides.dims = Some("list:32".parse().unwrap())),
            "step 1",
        ),
        (Box::new(|c| c.steps.clear()), "no later task"),
    ];
    for (edit, needle) in cases {
        let mut c = config(&f, &["amazon"], "cross/bad");
        edit(&mut c);
        let err = match cross_finetune(&c) {
            Ok(_) => panic!("`{needle}`: accepted"),
            Err(e) => e.to_string(),
        };
        assert!(err.contains(needle), "expected `{needle}` in: {err}");
        assert!(
            !f.root.join("cross/bad").exists(),
            "{needle}: nothing written"
        );
    }
}

#[test]
fn an_unlabelled_test_split_is_not_scored() {
    let _guard = serial();
    let f = fixture();
    let mut s = split("amazon", "test", 8, 1, 8);
    s.meta.labelled = false;
    s.labels.iter_mut().for_each(|l| *l = Label::Class(-1));
    let bad_test = f.root.join("tok/unlabelled/test.parquet");
    std::fs::create_dir_all(bad_test.parent().unwrap()).unwrap();
    write_token_split(&bad_test, &s).unwrap().commit().unwrap();
    let mut c = config(&f, &["amazon"], "cross/glue");
    c.steps[0].splits.test = Some(bad_test);
    let s = cross_finetune(&c).unwrap();
    let amazon: Vec<_> = s.rows.iter().filter(|r| r.eval_task == "amazon").collect();
    assert!(!amazon.is_empty() && amazon.iter().all(|r| r.split == "dev"));
}
