//! Disk full and read-only outputs (issue 14, item 5).
//!
//! Full disk: each writing stage runs once on a normal folder (the reference), then with its
//! output folder too small for what it writes, two ways:
//! - a real full disk: a tmpfs of half the output's size, mounted in a private mount namespace
//!   (`unshare -m`, or `unshare -rm` when not root; it vanishes with the child), so the write
//!   fails midway with ENOSPC. The folder is copied out before the namespace ends.
//! - a per-file size limit (`prlimit --fsize`, SIGXFSZ ignored): EFBIG at half the largest file.
//!   Needs no privileges, so it runs everywhere.
//!
//! Each time the stage must fail with the OS error and a path under the output folder, leave no
//! output file and no temp file (only its lock, and finetune's resumable `.<run>.partial`), and a
//! re-run on what it left must write the reference's bytes.
//!
//! Read-only output folders: `read_only.rs`.

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::{Command, Output};

use crate::write_fault_cases::{Case, cases, inputs};

const PAGE: u64 = 4096;
pub(crate) const SPLITS: [&str; 3] = ["train", "dev", "test"];

pub(crate) fn bin(name: &str) -> &'static str {
    match name {
        "prepare" => env!("CARGO_BIN_EXE_prepare"),
        "tokenize" => env!("CARGO_BIN_EXE_tokenize"),
        "finetune" => env!("CARGO_BIN_EXE_finetune"),
        "extract-hidden" => env!("CARGO_BIN_EXE_extract-hidden"),
        "probe-dims" => env!("CARGO_BIN_EXE_probe-dims"),
        "rep-change" => env!("CARGO_BIN_EXE_rep-change"),
        "cross-finetune" => env!("CARGO_BIN_EXE_cross-finetune"),
        "report" => env!("CARGO_BIN_EXE_report"),
        other => panic!("no stage {other}"),
    }
}

/// `bin args` in `cwd`, without backtraces (their source paths would blur the checks).
pub(crate) fn stage(cwd: &Path, name: &str, args: &[String]) -> Command {
    let mut cmd = Command::new(bin(name));
    cmd.args(args).current_dir(cwd).env_remove("RUST_BACKTRACE");
    cmd
}

pub(crate) fn run_ok(mut cmd: Command) {
    let out = cmd.output().expect("the stage runs");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

pub(crate) fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

pub(crate) fn is_root() -> bool {
    let t = tempfile::tempfile().unwrap();
    t.metadata().unwrap().uid() == 0
}

/// Every file under `root` by relative path, with its bytes (JSON without wall-clock fields).
fn files(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let rel = path.strip_prefix(root).unwrap().display().to_string();
            let mut bytes = std::fs::read(&path).unwrap();
            if rel.ends_with(".json") {
                let mut v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
                if let Some(o) = v.as_object_mut() {
                    o.remove("timings");
                }
                bytes = serde_json::to_vec(&v).unwrap();
            }
            out.insert(rel, bytes);
        }
    }
    out
}

/// A stage's lock (`.<name>.lock`), kept on purpose.
fn is_lock(rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap();
    name.starts_with('.') && name.ends_with(".lock")
}

/// What a failed stage may leave: its lock, and finetune's resumable state, which make never
/// takes as done (its target is the run dir's run.json) and a re-run replaces.
fn may_stay(rel: &str) -> bool {
    is_lock(rel)
        || rel
            .split('/')
            .any(|c| c.starts_with('.') && c.ends_with(".partial"))
}

/// How a write is made to fail.
#[derive(Clone, Copy, Debug)]
enum Fault {
    /// A tmpfs of this many bytes on `out/`.
    Full(u64),
    /// No file may grow past this many bytes.
    FileSize(u64),
}

/// `unshare`'s flags for a private mount namespace where this process may mount a tmpfs, or
/// `None` (and why) when it cannot here.
fn mount_namespace() -> Result<Vec<&'static str>, String> {
    let flags = if is_root() {
        vec!["--mount"]
    } else {
        vec!["--mount", "--map-root-user"]
    };
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new("unshare")
        .args(&flags)
        .args([
            "--",
            "mount",
            "-t",
            "tmpfs",
            "-o",
            "size=4k",
            "fewdims-probe",
        ])
        .arg(dir.path())
        .output()
        .map_err(|e| format!("unshare: {e}"))?;
    if out.status.success() {
        Ok(flags)
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

/// Runs `case` in `root` under `fault`; returns its output, with `root/out` as it was left.
fn run_faulted(root: &Path, case: &Case, fault: Fault, ns: &[&str]) -> Output {
    let out_dir = root.join("out");
    std::fs::create_dir_all(&out_dir).unwrap();
    let mut cmd = match fault {
        Fault::Full(bytes) => {
            // The tmpfs lives in the child's namespace: copy what the stage left to a folder
            // beside it, then swap that in for `out` once the namespace is gone.
            let snap = root.join("out.left");
            std::fs::create_dir_all(&snap).unwrap();
            let script = r#"mount -t tmpfs -o "size=$1" fewdims-full out || exit 97
snap=$2; shift 2
"$@"; rc=$?
cp -a out/. "$snap/" || exit 98
exit $rc"#;
            let mut c = Command::new("unshare");
            c.args(ns)
                .args(["--", "sh", "-c", script, "sh"])
                .arg(bytes.to_string())
                .arg(&snap);
            c
        }
        Fault::FileSize(bytes) => {
            let script = r#"lim=$1; shift; trap "" XFSZ; exec prlimit "--fsize=$lim" -- "$@""#;
            let mut c = Command::new("sh");
            c.args(["-c", script, "sh"]).arg(bytes.to_string());
            c
        }
    };
    cmd.arg(bin(case.stage))
        .args(&case.args)
        .current_dir(root)
        .env_remove("RUST_BACKTRACE");
    let output = cmd.output().expect("the wrapper runs");
    if let Fault::Full(_) = fault {
        assert_ne!(output.status.code(), Some(97), "mounting the tmpfs failed");
        assert_ne!(
            output.status.code(),
            Some(98),
            "copying the tmpfs out failed"
        );
        std::fs::remove_dir_all(&out_dir).unwrap();
        std::fs::rename(root.join("out.left"), &out_dir).unwrap();
    }
    output
}

/// The fault's OS error, as Rust prints it.
fn os_error(fault: Fault) -> &'static str {
    match fault {
        Fault::Full(_) => "No space left on device (os error 28)",
        Fault::FileSize(_) => "File too large (os error 27)",
    }
}

/// `case` under `fault` fails naming the file it wrote, leaves no output and no temp file, and
/// a re-run on what it left writes `reference`.
/// `names` is what the error line must name (a path under `out/`).
fn check(
    case: &Case,
    fault: Fault,
    ns: &[&str],
    reference: &BTreeMap<String, Vec<u8>>,
    names: &str,
) {
    let root = tempfile::tempdir().unwrap();
    let what = format!("{} under {fault:?}", case.stage);
    let output = run_faulted(root.path(), case, fault, ns);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{what} succeeded:\n{stderr}");
    let line = stderr
        .lines()
        .find(|l| l.contains(os_error(fault)))
        .unwrap_or_else(|| panic!("{what}: no `{}` in:\n{stderr}", os_error(fault)));
    assert!(
        line.contains(names),
        "{what}: the error does not name `{names}`:\n{stderr}"
    );
    eprintln!("{what}: {}", line.trim());
    let left = files(&root.path().join("out"));
    let wrong: Vec<&String> = left.keys().filter(|rel| !may_stay(rel)).collect();
    assert!(
        wrong.is_empty(),
        "{what} left output or temp files {wrong:?}:\n{stderr}"
    );
    run_ok(stage(root.path(), case.stage, &case.args));
    let again: BTreeMap<_, _> = files(&root.path().join("out"))
        .into_iter()
        .filter(|(rel, _)| !is_lock(rel))
        .collect();
    assert_eq!(
        again.keys().collect::<Vec<_>>(),
        reference.keys().collect::<Vec<_>>(),
        "{what}: the re-run wrote other files"
    );
    for (rel, bytes) in &again {
        assert!(
            *bytes == reference[rel],
            "{what}: the re-run wrote other bytes to {rel}"
        );
    }
}

#[test]
fn a_write_that_fails_midway_names_the_file_and_leaves_no_output() {
    let inputs_dir = tempfile::tempdir().unwrap();
    inputs(inputs_dir.path());
    let ns = mount_namespace();
    if let Err(why) = &ns {
        eprintln!("no tmpfs (a private mount namespace is refused: {why}): file-size limits only");
    }
    for case in cases(inputs_dir.path()) {
        let root = tempfile::tempdir().unwrap();
        run_ok(stage(root.path(), case.stage, &case.args));
        let reference: BTreeMap<_, _> = files(&root.path().join("out"))
            .into_iter()
            .filter(|(rel, _)| !is_lock(rel))
            .collect();
        assert!(!reference.is_empty(), "{} wrote nothing", case.stage);
        let pages: u64 = reference.values().map(|b| pages_of(b)).sum();
        let largest = reference.values().map(|b| b.len() as u64).max().unwrap();
        assert!(
            pages >= 2 && largest >= 2,
            "{}: output too small to fail midway",
            case.stage
        );
        if let Ok(ns) = &ns {
            check(&case, Fault::Full(pages / 2 * PAGE), ns, &reference, "out/");
            if case.stage == "finetune" {
                // Half the run dir fails while checkpointing; room for the checkpoint and half
                // the model fails on the run's own model.safetensors.
                let room = checkpoint_pages(&case)
                    + pages_of(&reference["runs/cls/model.safetensors"]) / 2;
                let names = "out/runs/.cls.partial/model.safetensors";
                check(&case, Fault::Full(room * PAGE), ns, &reference, names);
            }
        }
        check(&case, Fault::FileSize(largest / 2), &[], &reference, "out/");
    }
}

fn pages_of(bytes: &[u8]) -> u64 {
    (bytes.len() as u64).div_ceil(PAGE)
}

/// Pages of the checkpoint a finetune keeps at an epoch's end (`--stop-after` leaves it).
fn checkpoint_pages(case: &Case) -> u64 {
    let root = tempfile::tempdir().unwrap();
    let mut args = case.args.clone();
    let epochs = args.iter().position(|a| a == "--epochs").unwrap();
    args[epochs + 1] = "2".into();
    args.extend(strings(&["--stop-after", "1"]));
    let out = stage(root.path(), case.stage, &args).output().unwrap();
    assert!(
        !out.status.success(),
        "--stop-after 1 of 2 epochs ends in an error"
    );
    let ckpt = files(&root.path().join("out/runs/.cls.partial"));
    assert!(!ckpt.is_empty(), "no checkpoint kept");
    ckpt.values().map(|b| pages_of(b)).sum()
}
