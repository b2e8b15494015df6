//! Read-only outputs (issue 14, item 5): every stage pointed at a 0555 folder (root runs it
//! without CAP_DAC_OVERRIDE, via `setpriv`) fails with "<folder> is not writable". Its inputs do
//! not exist, so that error can only come from the preflight, before any input is read or model
//! loaded.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::write_faults::{bin, is_root, strings};

/// A folder no stage may write: 0555, and for root a child without CAP_DAC_OVERRIDE.
fn read_only_stage(cwd: &Path, name: &str, args: &[String]) -> Command {
    let mut cmd = if is_root() {
        let mut c = Command::new("setpriv");
        c.arg("--bounding-set=-dac_override,-dac_read_search,-fowner,-linux_immutable")
            .arg("--")
            .arg(bin(name));
        c
    } else {
        Command::new(bin(name))
    };
    cmd.args(args).current_dir(cwd).env_remove("RUST_BACKTRACE");
    cmd
}

#[test]
fn a_read_only_output_folder_is_refused_before_any_input_is_read() {
    let root = tempfile::tempdir().unwrap();
    let ro = root.path().join("ro");
    std::fs::create_dir(&ro).unwrap();
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
    // (stage, flags with inputs that do not exist, the folder the error must name)
    let cases: [(&str, &[&str], &str); 8] = [
        (
            "prepare",
            &[
                "--task",
                "rev",
                "--out",
                "ro/tasks",
                "--from",
                "missing.csv",
                "--text-a",
                "a",
                "--label",
                "b",
            ],
            "ro/tasks/rev",
        ),
        (
            "tokenize",
            &[
                "--tokenizer",
                "missing.json",
                "--in",
                "missing.parquet",
                "--out",
                "ro/t.parquet",
            ],
            "ro",
        ),
        (
            "finetune",
            &[
                "--model",
                "missing",
                "--train",
                "m.parquet",
                "--dev",
                "m.parquet",
                "--out",
                "ro/runs/cls",
            ],
            "ro/runs",
        ),
        (
            "extract-hidden",
            &[
                "--model",
                "missing",
                "--in",
                "missing.parquet",
                "--out",
                "ro/h/train.safetensors",
            ],
            "ro/h",
        ),
        (
            "probe-dims",
            &["--hidden", "missing", "--out", "ro/rev.parquet"],
            "ro",
        ),
        (
            "rep-change",
            &[
                "--a",
                "missing.safetensors",
                "--b",
                "missing.safetensors",
                "--out",
                "ro/cka/dev.parquet",
            ],
            "ro/cka",
        ),
        (
            "cross-finetune",
            &[
                "--from",
                "missing",
                "--task-dir",
                "missing",
                "--tasks",
                "news",
                "--out",
                "ro/cross",
            ],
            "ro/cross",
        ),
        (
            "report",
            &[
                "--runs", "missing", "--probes", "missing", "--out", "ro/main",
            ],
            "ro/main",
        ),
    ];
    for (name, args, dir) in cases {
        let start = Instant::now();
        let out = read_only_stage(root.path(), name, &strings(args))
            .output()
            .expect("the stage runs");
        let took = start.elapsed();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success(),
            "{name} wrote into a read-only folder"
        );
        let want = format!("{dir} is not writable");
        assert!(
            stderr.contains(&want) && stderr.contains("Permission denied"),
            "{name}: want `{want}` (before reading its missing inputs), got:\n{stderr}"
        );
        assert!(
            took < Duration::from_secs(10),
            "{name} took {took:?} to refuse"
        );
        assert_eq!(
            std::fs::read_dir(&ro).unwrap().count(),
            0,
            "{name} left something in the read-only folder"
        );
    }
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o755)).unwrap();
}
