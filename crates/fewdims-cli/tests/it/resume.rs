//! Faults of a finetune under make, with real processes: a whole `make` killed with SIGKILL after
//! a step checkpoint resumes on the next `make` and ends bit for bit as an uninterrupted run, on
//! flex and tch; and two
//! finetunes of one run dir at once: the second refuses, and the first finishes intact.

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use fewdims_schema::run::RunFile;

use crate::common::{assets_or_skip, make_command, output, tiny_model};

/// 400 rows in batches of 4: 100 steps per epoch, 2 epochs, a checkpoint every 10 steps.
const SETTINGS: [&str; 5] = [
    "FT_MAX_TRAIN=400",
    "FT_BATCH=4",
    "FT_EPOCHS=2",
    "FT_SAVE_EVERY=10",
    "SEED=7",
];

fn make_run(tmp: &Path, assets: &Path, runs: &str, backend: &str) -> Command {
    let target = tmp.join(runs).join("movie/cls/run.json");
    let mut cmd = make_command(tmp, assets, &target.display().to_string());
    cmd.arg(format!("RUNS_DIR={}", tmp.join(runs).display()));
    cmd.args(SETTINGS);
    // After make_command's BACKEND=flex: the last assignment on make's command line wins.
    cmd.arg(format!("BACKEND={backend}"));
    cmd
}

/// The step of the newest checkpoint of run dir `runs/movie/cls`, if any.
fn checkpoint_step(runs: &Path) -> Option<usize> {
    let latest = std::fs::read_to_string(runs.join("movie/.cls.partial/checkpoint/LATEST")).ok()?;
    latest.trim().strip_prefix("step-")?.parse().ok()
}

/// A `make` of run `cls` on `backend` uninterrupted (`runs-a`), and one killed with SIGKILL (make
/// and finetune together) after a mid-epoch checkpoint and made again (`runs-b`): the second
/// resumes, finishes, and equals the first bit for bit (curve, metrics, predictions, model).
fn killed_make_resumes_exactly(root: &Path, assets: &Path, backend: &str) {
    tiny_model(&root.join("tiny"), assets);
    let (log, ok) = output(make_run(root, assets, "runs-a", backend));
    assert!(ok, "{backend}: uninterrupted make failed:\n{log}");

    // The same run, slowed down, killed after a mid-epoch checkpoint.
    let runs_b = root.join("runs-b");
    let mut cmd = make_run(root, assets, "runs-b", backend);
    cmd.env("FEWDIMS_TEST_STEP_DELAY_MS", "30")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0);
    let mut child = cmd.spawn().unwrap();
    let start = Instant::now();
    let killed_at = loop {
        if let Some(step) = checkpoint_step(&runs_b)
            && step >= 20
        {
            break step;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "{backend}: no checkpoint within 120 s"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "{backend}: make ended before the kill"
        );
        std::thread::sleep(Duration::from_millis(5));
    };
    let pgid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-KILL", "--", &format!("-{pgid}")])
            .status()
            .unwrap()
            .success()
    );
    child.wait().unwrap();
    assert!(
        killed_at < 100,
        "{backend}: killed in the first epoch (step {killed_at})"
    );
    assert!(
        !runs_b.join("movie/cls").exists(),
        "{backend}: a killed run left a run dir that make would take as done"
    );

    // make again: it resumes, finishes, and equals the uninterrupted run exactly.
    let (log, ok) = output(make_run(root, assets, "runs-b", backend));
    assert!(ok, "{backend}: make after the kill failed:\n{log}");
    assert!(
        checkpoint_step(&runs_b).is_none(),
        "{backend}: the checkpoint is gone once the run is done"
    );
    assert!(
        log.contains("resuming"),
        "{backend}: make did not resume:\n{log}"
    );
    let (a, b) = (root.join("runs-a/movie/cls"), runs_b.join("movie/cls"));
    let (ra, rb) = (RunFile::read(&a).unwrap(), RunFile::read(&b).unwrap());
    assert_eq!(
        (ra.backend.as_str(), rb.backend.as_str()),
        (backend, backend)
    );
    assert_eq!(
        ra.final_metrics, rb.final_metrics,
        "{backend}: final metrics"
    );
    assert_eq!(ra.best_epoch, rb.best_epoch);
    let table = |dir: &Path| {
        fewdims_tables::run_metrics::read(&dir.join("metrics.parquet"))
            .unwrap()
            .rows
    };
    assert_eq!(table(&a), table(&b), "{backend}: metrics.parquet");
    let curve = |dir: &Path| {
        fewdims_tables::curve::read(&dir.join("curve.parquet"))
            .unwrap()
            .rows
    };
    let (ca, cb) = (curve(&a), curve(&b));
    assert_eq!(ca.len(), 200 / 4, "a curve point every 4 steps");
    assert_eq!(ca.len(), cb.len());
    // Every point, before and after the kill: loss and gradient norm equal as f64.
    for (x, y) in ca.iter().zip(&cb) {
        assert_eq!(
            x, y,
            "{backend}: curve point (killed after step {killed_at})"
        );
    }
    let predictions = |dir: &Path| {
        fewdims_tables::predictions::read(&dir.join("predictions.parquet"))
            .unwrap()
            .rows
    };
    assert_eq!(
        predictions(&a),
        predictions(&b),
        "{backend}: predictions.parquet"
    );
    let sha = |dir: &Path| fewdims_data::text::sha256_file(&dir.join("model.safetensors")).unwrap();
    assert_eq!(sha(&a), sha(&b), "{backend}: model.safetensors sha256");
}

#[test]
fn killed_make_resumes_exactly_on_tch() {
    let Some(assets) = assets_or_skip() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    killed_make_resumes_exactly(tmp.path(), &assets, "tch");
}

#[test]
fn killed_make_resumes_exactly_on_flex_and_a_second_finetune_refuses() {
    let Some(assets) = assets_or_skip() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    killed_make_resumes_exactly(root, &assets, "flex");

    // Two finetunes of one run dir at once.
    let tok = root.join("data/tok/movie");
    let finetune = |out: &Path| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_finetune"));
        c.arg("--model").arg(root.join("tiny"));
        for split in ["train", "dev", "test"] {
            c.arg(format!("--{split}"))
                .arg(tok.join(format!("{split}.parquet")));
        }
        c.arg("--out").arg(out);
        c.args([
            "--max-train",
            "200",
            "--batch-size",
            "4",
            "--epochs",
            "1",
            "--backend",
            "flex",
        ]);
        c.args(["--device", "cpu", "--quiet"]);
        c
    };
    let out = root.join("runs-c/movie/cls");
    let mut first = finetune(&out);
    first
        .env("FEWDIMS_TEST_STEP_DELAY_MS", "20")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let first = first.spawn().unwrap();
    let start = Instant::now();
    while !root.join("runs-c/movie/.cls.partial").exists() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the first finetune never started"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let (err, ok) = output(finetune(&out));
    assert!(!ok, "a second finetune of the same run dir was accepted");
    assert!(err.contains("another finetune is writing"), "{err}");
    let done = first.wait_with_output().unwrap();
    assert!(
        done.status.success(),
        "the first finetune failed: {}",
        String::from_utf8_lossy(&done.stderr)
    );
    let run = RunFile::read(&out).unwrap();
    assert_eq!(run.num_train, 200);
}
