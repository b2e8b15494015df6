//! Two writers of one output (issue 14, item 3). Every stage holds `.<output>.lock` while it
//! writes (`fewdims_schema::OutputLock`): with the lock held elsewhere, each stage refuses at once,
//! naming its output, and writes nothing. Two `make -j2` of the same DAG on one tree at once (each
//! stage holding its lock 300 ms longer, so the two surely meet): each either finishes or stops on
//! that refusal, no file differs from a single make's, and one more make ends exactly as one
//! uninterrupted make.

use std::path::Path;
use std::process::{Command, Stdio};

use fewdims_schema::OutputLock;

use crate::common::{assets_or_skip, output};
use crate::kill::{assert_done_as, make_dag, reference_make, tree, wrong_files};

const REFUSAL: &str = "another process is writing this output";

#[test]
fn every_stage_refuses_an_output_locked_by_another_process() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    // Inputs need not exist: the lock is taken before anything is read.
    let cases: [(&str, &[&str], &str); 7] = [
        (
            env!("CARGO_BIN_EXE_prepare"),
            &[
                "--task", "rev", "--from", "in.csv", "--text-a", "t", "--label", "l",
            ],
            "tasks/rev",
        ),
        (
            env!("CARGO_BIN_EXE_tokenize"),
            &[
                "--tokenizer",
                "tokenizer.json",
                "--in",
                "tasks/rev/dev.parquet",
            ],
            "tok/rev/dev.parquet",
        ),
        (
            env!("CARGO_BIN_EXE_extract-hidden"),
            &["--model", "tiny", "--in", "tok/rev/dev.parquet"],
            "hidden/pretrained/rev/dev.safetensors",
        ),
        (
            env!("CARGO_BIN_EXE_probe-dims"),
            &["--hidden", "hidden/pretrained/rev"],
            "probes/pretrained/rev.parquet",
        ),
        (
            env!("CARGO_BIN_EXE_rep-change"),
            &["--a", "a.safetensors", "--b", "b.safetensors"],
            "probes/cka/a_vs_b/rev/dev.parquet",
        ),
        (
            env!("CARGO_BIN_EXE_cross-finetune"),
            &[
                "--from",
                "runs/rev/cls",
                "--task-dir",
                "tok",
                "--tasks",
                "topics",
            ],
            "runs/cross/rev-topics",
        ),
        (
            env!("CARGO_BIN_EXE_report"),
            &["--runs", "runs", "--probes", "probes"],
            "reports/main",
        ),
    ];
    for (bin, args, out) in cases {
        let name = Path::new(bin).file_name().unwrap().to_string_lossy();
        let held = OutputLock::acquire(root.join(out)).unwrap();
        let mut cmd = Command::new(bin);
        cmd.args(args).current_dir(root);
        // prepare names its output root; the others the output itself.
        match name.as_ref() {
            "prepare" => cmd.args(["--out", "tasks"]),
            _ => cmd.args(["--out", out]),
        };
        let (log, ok) = output(cmd);
        assert!(
            !ok,
            "{name} wrote {out} while another process held its lock"
        );
        assert!(
            log.contains(REFUSAL) && log.contains(out),
            "{name}: the refusal does not say what and why:\n{log}"
        );
        // The writability preflight may create an output dir; nothing goes in it.
        let wrote = std::fs::read_dir(root.join(out))
            .map_or(root.join(out).exists(), |mut d| d.next().is_some());
        assert!(!wrote, "{name} wrote {out} anyway");
        drop(held);
    }
}

#[test]
fn two_makes_at_once_on_one_tree_corrupt_nothing() {
    let Some(assets) = assets_or_skip() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("w");
    std::fs::create_dir(&root).unwrap();
    let (want, _) = reference_make(&root, &assets);
    let start = |_| {
        let mut cmd = make_dag(&root, &assets);
        cmd.env("FEWDIMS_TEST_HOLD_LOCK_MS", "300")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd.spawn().unwrap()
    };
    let children: Vec<_> = (0..2).map(start).collect();
    let mut refused = 0;
    for child in children {
        let out = child.wait_with_output().unwrap();
        let log = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        if !out.status.success() {
            assert!(
                log.contains(REFUSAL),
                "a make failed, not on the lock:\n{log}"
            );
            refused += 1;
            let line = log
                .lines()
                .find(|l| l.contains(REFUSAL))
                .unwrap_or_default();
            eprintln!("a make refused: {line}");
        }
    }
    assert!(refused > 0, "the two makes never met on an output");
    let wrong = wrong_files(&tree(&root), &want, None);
    assert!(
        wrong.is_empty(),
        "two makes at once: files that differ: {wrong:?}"
    );
    let (log, ok) = output(make_dag(&root, &assets));
    assert!(ok, "the make after them failed:\n{log}");
    assert_done_as(&root, &assets, &want);
}
