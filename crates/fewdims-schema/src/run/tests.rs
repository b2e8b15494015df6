use super::*;

fn sample() -> RunFile {
    RunFile {
        format: FORMAT.into(),
        config: RunConfig {
            model: "models/m".into(),
            train: "tok/movie/train.parquet".into(),
            dev: "tok/movie/dev.parquet".into(),
            test: None,
            also_test: Vec::new(),
            out: "runs/movie/cls".into(),
            readout: ReadoutSpec {
                layer: Layer(3),
                token: ReadoutKind::Pos(1),
                dims: Dims::Random {
                    k: 2,
                    seed: Some(7),
                },
            },
            head: Head::Mlp,
            freeze: Freeze::All,
            hyper: Hyper::default(),
            resume: false,
            max_train: Some(100),
            quiet: true,
            stop_after: None,
            log_every: crate::run::DEFAULT_LOG_EVERY,
            save_every: None,
        },
        seed: 42,
        backend: "flex".into(),
        device: "cpu".into(),
        git_revision: "unknown".into(),
        task: "movie".into(),
        kind: TaskKind::Classification,
        metrics: vec!["accuracy".into(), "f1".into()],
        label_names: vec!["negative".into(), "positive".into()],
        num_train: 100,
        num_dev: 20,
        num_test: None,
        layer_index: 3,
        dims_resolved: vec![5, 9],
        best_epoch: 1,
        non_finite_dev_epochs: Vec::new(),
        final_metrics: vec![MetricRow {
            epoch: 1,
            split: "dev".into(),
            metric: "accuracy".into(),
            value: f64::NAN,
        }],
        timings: Timings {
            train_seconds: 1.5,
            train_examples_per_second: 66.0,
        },
    }
}

#[test]
fn round_trips_with_nan_as_null() {
    let run = sample();
    let bytes = run.to_json();
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(text.contains("\"value\": null"), "{text}");
    assert!(text.contains("\"token\": \"pos:1\""), "{text}");
    assert!(text.contains("\"dims\": \"random:2:7\""), "{text}");
    let back = RunFile::parse(Path::new("r/run.json"), &bytes).unwrap();
    assert!(back.final_metrics[0].value.is_nan());
    assert_eq!(back.config, run.config);
    assert_eq!(back.dims_resolved, run.dims_resolved);
    assert_eq!(back.score("dev", "f1"), None);
}

#[test]
fn refuses_other_formats_naming_the_file() {
    let mut v: serde_json::Value = serde_json::from_slice(&sample().to_json()).unwrap();
    v["format"] = "fewdims-run-v9".into();
    let err = RunFile::parse(Path::new("x/run.json"), v.to_string().as_bytes()).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("x/run.json") && msg.contains("fewdims-run-v9"),
        "{msg}"
    );
    v.as_object_mut().unwrap().remove("format");
    let msg = RunFile::parse(Path::new("x/run.json"), v.to_string().as_bytes())
        .unwrap_err()
        .to_string();
    assert!(msg.contains("before formats were versioned"), "{msg}");
}

#[test]
fn names_a_bad_field() {
    let mut v: serde_json::Value = serde_json::from_slice(&sample().to_json()).unwrap();
    v["config"]["readout"]["token"] = "firstish".into();
    let msg = RunFile::parse(Path::new("x/run.json"), v.to_string().as_bytes())
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("x/run.json") && msg.contains("firstish"),
        "{msg}"
    );
    v["config"]["readout"]["token"] = "mean".into();
    v.as_object_mut().unwrap().remove("layer_index");
    let msg = RunFile::parse(Path::new("x/run.json"), v.to_string().as_bytes())
        .unwrap_err()
        .to_string();
    assert!(msg.contains("layer_index"), "{msg}");
    v["layer_index"] = 3.into();
    v["config"]["hyper"]["lr"] = "fast".into();
    let msg = RunFile::parse(Path::new("x/run.json"), v.to_string().as_bytes())
        .unwrap_err()
        .to_string();
    assert!(msg.contains("field `config.hyper.lr`"), "{msg}");
    v["format"] = 1.into();
    let msg = RunFile::parse(Path::new("x/run.json"), v.to_string().as_bytes())
        .unwrap_err()
        .to_string();
    assert!(msg.contains("1 (not a string)"), "{msg}");
}

#[test]
fn same_result_ignores_progress_flags() {
    let a = sample().config;
    let b = RunConfig {
        quiet: false,
        resume: true,
        ..a.clone()
    };
    assert!(a.same_result(&b));
    let c = RunConfig {
        max_train: None,
        ..a.clone()
    };
    assert!(!a.same_result(&c));
}

#[test]
fn missing_run_is_named() {
    let msg = RunFile::read(Path::new("/nonexistent/run-dir"))
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("/nonexistent/run-dir") && msg.contains("finetune it first"),
        "{msg}"
    );
}

#[test]
fn token_roles_of_positions() {
    use crate::run::TokenRole;
    // [CLS] a b [SEP] c [SEP]: a pair item.
    let ids = [101, 7, 8, 102, 9, 102];
    assert_eq!(TokenRole::of(&ids, 0), TokenRole::Cls);
    assert_eq!(TokenRole::of(&ids, 3), TokenRole::Sep);
    assert_eq!(TokenRole::of(&ids, 5), TokenRole::Sep);
    assert_eq!(TokenRole::of(&ids, 1), TokenRole::Other);
    for r in [TokenRole::Cls, TokenRole::Sep, TokenRole::Other] {
        assert_eq!(TokenRole::parse(r.as_str()), Some(r));
    }
    assert_eq!(TokenRole::parse("pad"), None);
}
