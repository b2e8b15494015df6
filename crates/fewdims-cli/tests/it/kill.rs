//! Kill -9 anywhere (issue 14, item 2), with real processes.
//!
//! Every stage of identical.rs's pipeline but finetune (resume.rs kills that one) is run once
//! uninterrupted, timed, and its outputs noted. Then, on a copy of the finished tree without that
//! stage's outputs, the stage is started and killed with SIGKILL as soon as its first temp file or
//! dir shows, at 10%, 25%, ..., 85% of its measured runtime, and as soon as its first output is in
//! place; each start on what the last kill left. After every kill, each output present must
//! equal the uninterrupted run's (so none that make would take as done is partial). A last run must then leave the whole tree equal to the
//! uninterrupted one: the same files (no temp litter) with the same bytes (wall-clock fields and
//! cross.json's `reused` aside). Needs no assets.
//!
//! Then a whole `make -j2` of a small DAG (prepare, tokenize, extract-hidden, probe-dims, report
//! on the real movie task) is killed twice mid-way and made again: the tree equals an
//! uninterrupted make's, and one more make runs no stage (needs `make assets`).

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use sha2::{Digest, Sha256};

use crate::common::{assets_or_skip, fixture_tokenizer, make_command, output, tiny_model_with};
use crate::identical::{digests, pipeline, stage, strip_timings};

/// One stage run of the pipeline: what ran, how long it took, and the files it wrote.
struct Step {
    bin: String,
    args: Vec<String>,
    secs: f64,
    outputs: Vec<String>,
}

/// Size and mtime of every file under `root` (the model aside), by relative path.
fn listing(root: &Path) -> BTreeMap<String, (u64, SystemTime)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let path = e.unwrap().path();
            let rel = path.strip_prefix(root).unwrap().display().to_string();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.is_dir() {
                if rel != "tiny" {
                    stack.push(path);
                }
            } else {
                out.insert(rel, (meta.len(), meta.modified().unwrap()));
            }
        }
    }
    out
}

/// [`digests`], with cross.json's `reused` dropped too: a re-run after a kill reuses the step
/// dirs the killed run finished, and says so.
pub(crate) fn tree(root: &Path) -> BTreeMap<String, String> {
    let mut d = digests(root);
    for (rel, hex) in d.iter_mut().filter(|(k, _)| k.ends_with("cross.json")) {
        let mut v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(root.join(rel)).unwrap()).unwrap();
        strip_timings(&mut v);
        for step in v["steps"].as_array_mut().into_iter().flatten() {
            step.as_object_mut().unwrap().remove("reused");
        }
        *hex = Sha256::digest(serde_json::to_vec(&v).unwrap())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
    }
    d
}

/// A writer's temp entry: `.<name>.tmp.<pid>`, `.<name>.old.<pid>` or a run's `.<name>.partial`.
fn is_litter(name: &str) -> bool {
    let temp = name.rsplit_once('.').is_some_and(|(head, pid)| {
        pid.bytes().all(|b| b.is_ascii_digit())
            && (head.ends_with(".tmp") || head.ends_with(".old"))
    });
    name.starts_with('.') && (temp || name.ends_with(".partial"))
}

/// Files present in `now` that differ from `reference` (files the reference lacks aside).
pub(crate) fn wrong_files(
    now: &BTreeMap<String, String>,
    reference: &BTreeMap<String, String>,
    only: Option<&[String]>,
) -> Vec<String> {
    now.iter()
        .filter(|(k, v)| {
            only.is_none_or(|o| o.contains(k)) && reference.get(*k).is_some_and(|r| r != *v)
        })
        .map(|(k, _)| k.clone())
        .collect()
}

/// Copies the tree `from` into `to` (a new dir), then removes `outputs` and dirs left empty.
fn copy_without(from: &Path, to: &Path, outputs: &[String]) {
    let ok = Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .unwrap()
        .success();
    assert!(ok, "cp -a {} {}", from.display(), to.display());
    let mut dirs = BTreeSet::new();
    for rel in outputs {
        std::fs::remove_file(to.join(rel)).unwrap();
        let mut p = Path::new(rel).parent();
        while let Some(d) = p.filter(|d| !d.as_os_str().is_empty()) {
            dirs.insert(d.to_path_buf());
            p = d.parent();
        }
    }
    // Deepest first; a dir that still holds something (a lock file) stays.
    for d in dirs.iter().rev() {
        let _ = std::fs::remove_dir(to.join(d));
    }
}

/// The dirs where a stage writing `outputs` puts its temp entries: every ancestor of an output.
fn watched(outputs: &[String]) -> BTreeSet<PathBuf> {
    let mut dirs = BTreeSet::new();
    for rel in outputs {
        let mut p = Path::new(rel).parent();
        while let Some(d) = p {
            dirs.insert(d.to_path_buf());
            p = d.parent();
        }
    }
    dirs
}

enum KillAt {
    /// As soon as a temp file or dir of the stage shows (it is writing).
    FirstTemp,
    /// As soon as it puts one of its outputs in place (the others may not be yet).
    FirstOutput,
    /// At this fraction of its uninterrupted runtime.
    Fraction(f64),
}

/// Starts `step` in `root` and kills it with SIGKILL at `at`; whether it was still running.
fn run_and_kill(root: &Path, step: &Step, at: &KillAt) -> bool {
    let mut child = Command::new(&step.bin)
        .args(&step.args)
        .current_dir(root)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let dirs = watched(&step.outputs);
    let limit = Duration::from_secs_f64(step.secs * 3.0 + 5.0);
    let mtimes = || -> Vec<Option<SystemTime>> {
        let mtime = |o: &String| std::fs::metadata(root.join(o)).and_then(|m| m.modified());
        step.outputs.iter().map(|o| mtime(o).ok()).collect()
    };
    let at_start = mtimes();
    loop {
        if child.try_wait().unwrap().is_some() || start.elapsed() > limit {
            break;
        }
        let due = match at {
            KillAt::Fraction(f) => start.elapsed().as_secs_f64() >= f * step.secs,
            KillAt::FirstTemp => dirs.iter().any(|d| {
                std::fs::read_dir(root.join(d)).is_ok_and(|mut es| {
                    es.any(|e| e.is_ok_and(|e| is_litter(&e.file_name().to_string_lossy())))
                })
            }),
            KillAt::FirstOutput => mtimes() != at_start,
        };
        if due {
            break;
        }
        std::thread::sleep(Duration::from_micros(300));
    }
    let running = child.try_wait().unwrap().is_none();
    let _ = child.kill(); // SIGKILL
    child.wait().unwrap();
    running
}

#[test]
fn every_stage_killed_anywhere_leaves_nothing_half_done_and_reruns_to_the_same_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let reference = tmp.path().join("ref");
    tiny_model_with(&reference.join("tiny"), &fixture_tokenizer(), 30522);
    let mut steps: Vec<Step> = Vec::new();
    pipeline(&mut |bin, args| {
        let before = listing(&reference);
        let t0 = Instant::now();
        stage(&reference, bin, args);
        let secs = t0.elapsed().as_secs_f64();
        let after = listing(&reference);
        let outputs = after
            .iter()
            .filter(|(k, v)| before.get(*k) != Some(*v) && !k.ends_with(".lock"))
            .map(|(k, _)| k.clone())
            .collect();
        steps.push(Step {
            bin: bin.into(),
            args: args.iter().map(|a| a.to_string()).collect(),
            secs,
            outputs,
        });
    });
    let want = tree(&reference);
    let stages = [
        "prepare",
        "tokenize",
        "extract-hidden",
        "probe-dims",
        "rep-change",
        "cross-finetune",
        "report",
    ];
    let mut points = vec![KillAt::FirstTemp];
    points.extend([0.1, 0.25, 0.4, 0.55, 0.7, 0.85].map(KillAt::Fraction));
    points.push(KillAt::FirstOutput);
    let mut notes = Vec::new();
    for name in stages {
        // The stage's longest run gives the widest window.
        let step = steps
            .iter()
            .filter(|s| Path::new(&s.bin).file_name().unwrap() == name)
            .max_by(|a, b| a.secs.total_cmp(&b.secs))
            .unwrap();
        assert!(!step.outputs.is_empty(), "{name} wrote nothing");
        let work = tmp.path().join(name);
        copy_without(&reference, &work, &step.outputs);
        let mut hits = 0;
        let mut litter = BTreeSet::new();
        for at in &points {
            hits += run_and_kill(&work, step, at) as usize;
            let wrong = wrong_files(&tree(&work), &want, Some(&step.outputs));
            assert!(
                wrong.is_empty(),
                "{name} killed: outputs that differ from the uninterrupted run: {wrong:?}"
            );
            litter.extend(
                listing(&work)
                    .into_keys()
                    .filter(|k| k.split('/').any(is_litter)),
            );
        }
        assert!(hits > 0, "{name} ended before every kill: nothing tested");
        let args: Vec<&str> = step.args.iter().map(String::as_str).collect();
        stage(&work, &step.bin, &args);
        let got = tree(&work);
        let extra: Vec<_> = got.keys().filter(|k| !want.contains_key(*k)).collect();
        let missing: Vec<_> = want.keys().filter(|k| !got.contains_key(*k)).collect();
        assert!(
            extra.is_empty() && missing.is_empty(),
            "{name}: after kills and a re-run, extra files {extra:?}, missing {missing:?}"
        );
        let wrong = wrong_files(&got, &want, None);
        assert!(
            wrong.is_empty(),
            "{name}: a re-run after kills differs from the uninterrupted run in {wrong:?}"
        );
        notes.push(format!(
            "{name}: {:.2} s, killed running {hits}/{}, litter seen {}",
            step.secs,
            points.len(),
            litter.len()
        ));
    }
    eprintln!("{}", notes.join("\n"));
}

/// `make -j2` of a small DAG on the real movie task: prepare, tokenize, extract-hidden (cls only)
/// of the pretrained tiny model, probe-dims (full vector and single dims) and the report on it.
pub(crate) fn make_dag(root: &Path, assets: &Path) -> Command {
    let p = |s: &str| root.join(s).display().to_string();
    let mut cmd = make_command(root, assets, &p("reports/main/REPORT.md"));
    cmd.arg("-j2");
    cmd.arg(format!(
        "REPORT_INPUTS={} {}",
        p("probes/pretrained/movie.parquet"),
        p("probes/pretrained/movie.predictions.parquet")
    ));
    cmd.args([
        "PROBE_TASKS=movie",
        "EXTRACT_READOUTS=cls",
        "PROBE_FLAGS=--methods full,single --readouts cls --threads 1",
    ]);
    cmd
}

/// An uninterrupted `make_dag` in `root` (made with the tiny model): its tree and seconds. The
/// tree moves aside so the caller can rebuild at the same path (make passes absolute paths).
pub(crate) fn reference_make(root: &Path, assets: &Path) -> (BTreeMap<String, String>, f64) {
    crate::common::tiny_model(&root.join("tiny"), assets);
    let t0 = Instant::now();
    let (log, ok) = output(make_dag(root, assets));
    assert!(ok, "uninterrupted make failed:\n{log}");
    let secs = t0.elapsed().as_secs_f64();
    let want = tree(root);
    let aside = root.with_extension("ref");
    std::fs::rename(root, &aside).unwrap();
    std::fs::create_dir(root).unwrap();
    let ok = Command::new("cp")
        .arg("-a")
        .arg(aside.join("tiny"))
        .arg(root.join("tiny"))
        .status()
        .unwrap()
        .success();
    assert!(ok, "copying the tiny model");
    (want, secs)
}

/// After the last make: the tree equals the reference, and one more make runs no stage.
pub(crate) fn assert_done_as(root: &Path, assets: &Path, want: &BTreeMap<String, String>) {
    let got = tree(root);
    let keys = |m: &BTreeMap<String, String>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        keys(&got),
        keys(want),
        "the files differ from one uninterrupted make"
    );
    let wrong = wrong_files(&got, want, None);
    assert!(
        wrong.is_empty(),
        "differ from one uninterrupted make: {wrong:?}"
    );
    let (log, ok) = output(make_dag(root, assets));
    assert!(ok, "one more make failed:\n{log}");
    for stage in [
        "prepare",
        "tokenize",
        "extract-hidden",
        "probe-dims",
        "report",
    ] {
        assert!(
            !log.contains(&format!("/{stage} ")),
            "one more make ran {stage}: it was not done\n{log}"
        );
    }
}

#[test]
fn make_killed_mid_dag_then_made_again_equals_an_uninterrupted_make() {
    let Some(assets) = assets_or_skip() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("w");
    std::fs::create_dir(&root).unwrap();
    let (want, secs) = reference_make(&root, &assets);
    // First as soon as extraction has begun (mid-DAG), then early in the make after it.
    let hidden = root.join("hidden/pretrained/movie");
    for (i, when) in ["extract-hidden started", "0.2 of the first make's time"]
        .into_iter()
        .enumerate()
    {
        let mut cmd = make_dag(&root, &assets);
        cmd.stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0);
        let mut child = cmd.spawn().unwrap();
        let start = Instant::now();
        while child.try_wait().unwrap().is_none() {
            let due = match i {
                0 => std::fs::read_dir(&hidden).is_ok_and(|mut d| d.next().is_some()),
                _ => start.elapsed().as_secs_f64() >= 0.2 * secs,
            };
            if due {
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "make ended before the kill ({when}; {secs:.1} s uninterrupted)"
        );
        // The whole group: make and the stages it runs.
        let pgid = format!("-{}", child.id());
        let killed = Command::new("kill").args(["-KILL", "--", &pgid]).status();
        assert!(killed.unwrap().success());
        child.wait().unwrap();
        let wrong = wrong_files(&tree(&root), &want, None);
        assert!(
            wrong.is_empty(),
            "make killed ({when}): files that differ: {wrong:?}"
        );
    }
    let (log, ok) = output(make_dag(&root, &assets));
    assert!(ok, "make after the kills failed:\n{log}");
    assert_done_as(&root, &assets, &want);
}
