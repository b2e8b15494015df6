//! The preflight of every stage: before loading a model or reading data, check that the folder
//! it will write can take a new file, so a read-only (or full) output folder fails in
//! milliseconds with its path named, not after minutes of compute.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// An output folder that cannot take new files.
#[derive(Debug, thiserror::Error)]
#[error("{} is not writable ({step}): {err}", dir.display())]
pub struct NotWritable {
    /// The folder the stage would write into.
    pub dir: PathBuf,
    /// What failed: creating the folder, or creating, writing or removing a probe file in it.
    pub step: &'static str,
    pub err: io::Error,
}

/// Creates `dir` if it is missing, then creates, writes one byte to and removes a probe file
/// `.fewdims-writable.<pid>` in it. Creating the folder early is harmless: every stage's make
/// target is a file inside it (or the folder's own `run.json`, `cross.json`, `REPORT.md`).
pub fn check_writable(dir: impl AsRef<Path>) -> Result<(), NotWritable> {
    let dir = dir.as_ref();
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let fail = |step| {
        move |err| NotWritable {
            dir: dir.to_path_buf(),
            step,
            err,
        }
    };
    fs::create_dir_all(dir).map_err(fail("creating the folder"))?;
    let probe = dir.join(format!(".fewdims-writable.{}", std::process::id()));
    let written = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&probe)
        .map_err(fail("creating a file in it"))
        .and_then(|mut f| {
            // One byte, so a full disk shows here too (an empty file needs no block).
            f.write_all(b"x")
                .and_then(|_| f.flush())
                .map_err(fail("writing a file in it"))
        });
    let removed = fs::remove_file(&probe);
    written?;
    removed.map_err(fail("removing a file from it"))
}

/// [`check_writable`] on the folder that holds the output file (or dir) `out`: where its temp
/// file, lock and final file go.
pub fn check_parent_writable(out: impl AsRef<Path>) -> Result<(), NotWritable> {
    check_writable(out.as_ref().parent().unwrap_or(Path::new("")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_the_folder_and_leaves_nothing_behind() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a/b");
        check_writable(&dir).unwrap();
        assert!(dir.is_dir());
        assert_eq!(
            fs::read_dir(&dir).unwrap().count(),
            0,
            "the probe file is removed"
        );
        check_parent_writable(tmp.path().join("c/out.parquet")).unwrap();
        assert!(tmp.path().join("c").is_dir());
        assert!(!tmp.path().join("c/out.parquet").exists());
    }

    #[test]
    fn a_file_in_the_way_names_the_folder() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join("f"), b"x").unwrap();
        let err = check_writable(tmp.path().join("f/sub")).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("f/sub is not writable"), "{msg}");
        assert_eq!(err.step, "creating the folder");
    }
}
