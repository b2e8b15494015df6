//! Which splits a fine-tune scores, and which epoch it keeps: `--also-test` report splits, and
//! dev scores that are never finite.

use fewdims_backend::{Backend, DeviceArgs};
use fewdims_data::registry::task as task_spec;
use fewdims_data::tokfile::write_token_split;
use fewdims_data::{Label, TaskMeta};
use fewdims_train::{FinetuneConfig, finetune};

use crate::finetune::{config, fixture, serial, split};

fn run_json(dir: &std::path::Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("run.json")).unwrap()).unwrap()
}

#[test]
fn also_test_splits_are_scored_under_their_own_names() {
    let _guard = serial();
    let f = fixture();
    let mm = f.root.join("test_mm.parquet");
    write_token_split(&mm, &split("test_mm", 48, 4))
        .unwrap()
        .commit()
        .unwrap();
    let mut c = config(&f, "runs/mm", Backend::Flex);
    c.hyper.epochs = 1;
    c.also_test = vec![mm];
    let s = finetune(&c).unwrap();
    let scored: Vec<&str> = s.final_metrics.iter().map(|m| m.split.as_str()).collect();
    assert!(
        scored.contains(&"test_mm") && scored.contains(&"test"),
        "{scored:?}"
    );
    let json = run_json(&f.root.join("runs/mm"));
    assert_eq!(
        json["config"]["also_test"][0].as_str().unwrap(),
        c.also_test[0].to_str().unwrap()
    );
    let rows = fewdims_tables::predictions::read(&f.root.join("runs/mm/predictions.parquet"))
        .unwrap()
        .rows;
    assert_eq!(rows.iter().filter(|r| r.split == "test_mm").count(), 48);
    assert_eq!(rows.iter().filter(|r| r.split == "test").count(), 64);

    // A split named like one of the run's own, or an unlabelled one, is refused before any work.
    let mut c = config(&f, "runs/mm-dev", Backend::Flex);
    c.also_test = vec![f.root.join("dev.parquet")];
    let err = finetune(&c).unwrap_err().to_string();
    assert!(
        err.contains("dev.parquet") && err.contains("--also-test"),
        "{err}"
    );
    let unlabelled = f.root.join("test_hidden.parquet");
    let mut u = split("test_hidden", 8, 5);
    u.labels.iter_mut().for_each(|l| *l = Label::Class(-1));
    u.meta.labelled = false;
    write_token_split(&unlabelled, &u)
        .unwrap()
        .commit()
        .unwrap();
    c.also_test = vec![unlabelled];
    let err = finetune(&c).unwrap_err().to_string();
    assert!(
        err.contains("test_hidden.parquet") && err.contains("labelled"),
        "{err}"
    );
    assert!(!f.root.join("runs/mm-dev").exists());
}

#[test]
fn a_dev_score_that_is_never_finite_is_never_selected_and_is_reported() {
    let _guard = serial();
    let f = fixture();
    // movie-score (regression, Pearson first) with a constant dev target: Pearson is NaN in
    // every epoch, so no epoch can be "best".
    let score_split = |name: &str, n: usize, seed: u64, constant: bool| {
        let mut s = split(name, n, seed);
        s.meta = TaskMeta {
            split: name.into(),
            ..TaskMeta::new(
                task_spec("movie-score").unwrap(),
                name,
                std::path::Path::new("synthetic"),
                "0",
            )
        };
        for (i, l) in s.labels.iter_mut().enumerate() {
            *l = Label::Score(if constant {
                0.5
            } else if i % 2 == 0 {
                1.5
            } else {
                -1.5
            });
        }
        s
    };
    let dir = f.root.join("score");
    for (name, n, seed, constant) in [
        ("train", 128, 1, false),
        ("dev", 32, 2, true),
        ("test", 32, 3, false),
    ] {
        write_token_split(
            &dir.join(format!("{name}.parquet")),
            &score_split(name, n, seed, constant),
        )
        .unwrap()
        .commit()
        .unwrap();
    }
    let mut c = FinetuneConfig::new(
        f.root.join("model"),
        dir.join("train.parquet"),
        dir.join("dev.parquet"),
        f.root.join("runs/nan"),
    );
    c.test = Some(dir.join("test.parquet"));
    c.hyper.epochs = 2;
    c.hyper.batch_size = 16;
    c.device = DeviceArgs::new(Backend::Flex, "cpu");
    c.quiet = true;
    let s = finetune(&c).unwrap();
    assert_eq!(s.best_epoch, 2, "no finite epoch: the run keeps its last");
    let json = run_json(&f.root.join("runs/nan"));
    assert_eq!(json["non_finite_dev_epochs"], serde_json::json!([1, 2]));
    assert!(
        json["final"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["split"] == "dev" && m["value"].is_null()),
        "{json}"
    );
}
