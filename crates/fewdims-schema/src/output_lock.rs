//! One writer per output. Every stage holds an exclusive lock on its output while it runs:
//! `.<name>.lock` beside the output file or dir, taken with `File::try_lock` (released by the
//! kernel when the process ends, even on SIGKILL). A second process on the same output (a second
//! `make -j` on the same tree) refuses at once with [`LockError::Busy`] instead of writing the
//! same files. The lock file is kept afterwards: removing it would let two later writers lock
//! different files.
//!
//! Holding the lock, a stage also removes the temp files that a killed writer of the same output
//! left ([`AtomicFile`](crate::AtomicFile)'s `.<name>.tmp.<pid>`, the report's `.<name>.old.<pid>`):
//! no other process can be writing them; and the writability probes of killed processes.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

/// Why an output could not be locked.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("{}: another process is writing this output (it holds {}); wait for it to finish, or stop it", out.display(), lock.display())]
    Busy { out: PathBuf, lock: PathBuf },
    /// The folder that holds the output (and its lock) takes no file: checked first, so a
    /// read-only or full folder fails before any work.
    #[error(transparent)]
    NotWritable(#[from] crate::NotWritable),
    #[error("{}: cannot take the lock of output {}: {source}", lock.display(), out.display())]
    Io {
        out: PathBuf,
        lock: PathBuf,
        source: io::Error,
    },
}

/// The exclusive lock of one output, held until dropped.
#[derive(Debug)]
pub struct OutputLock {
    _file: File,
    path: PathBuf,
}

impl OutputLock {
    /// Checks that the folder holding `out` takes files ([`crate::check_parent_writable`]), takes
    /// the lock of `out` (a file or dir, existing or not), or refuses at once when another process
    /// holds it; then removes the temp files a killed writer of `out` left.
    pub fn acquire(out: impl AsRef<Path>) -> Result<Self, LockError> {
        let out = out.as_ref();
        crate::check_parent_writable(out)?;
        let path = lock_path(out);
        let err = |source| LockError::Io {
            out: out.into(),
            lock: path.clone(),
            source,
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(parent).map_err(err)?;
        }
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(err)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                return Err(LockError::Busy {
                    out: out.into(),
                    lock: path,
                });
            }
            Err(fs::TryLockError::Error(e)) => return Err(err(e)),
        }
        remove_stale(out).map_err(err)?;
        // Test hook: hold the lock this long before the stage works, so two writers surely meet.
        if let Some(ms) = std::env::var("FEWDIMS_TEST_HOLD_LOCK_MS")
            .ok()
            .and_then(|v| v.parse().ok())
        {
            std::thread::sleep(std::time::Duration::from_millis(ms));
        }
        Ok(Self { _file: file, path })
    }

    /// Removes a killed writer's temp files of `other`, an output written together with the
    /// locked one (probe-dims' predictions beside its table); safe only while the lock is held.
    pub fn remove_stale_of(&self, other: impl AsRef<Path>) -> Result<(), LockError> {
        let other = other.as_ref();
        remove_stale(other).map_err(|source| LockError::Io {
            out: other.into(),
            lock: self.path.clone(),
            source,
        })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// `dir/name` → `dir/.name.lock`.
pub fn lock_path(out: &Path) -> PathBuf {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    out.with_file_name(format!(".{name}.lock"))
}

/// `.<name>.tmp.<digits>` or `.<name>.old.<digits>`: a temp file or dir of a writer.
fn is_temp(name: &str, of: Option<&str>) -> bool {
    let Some((head, pid)) = name.rsplit_once('.') else {
        return false;
    };
    if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let Some(stem) = head
        .strip_suffix(".tmp")
        .or_else(|| head.strip_suffix(".old"))
        .and_then(|s| s.strip_prefix('.'))
    else {
        return false;
    };
    of.is_none_or(|of| stem == of)
}

/// The writability probe (`crate::writable`: `.fewdims-writable.<pid>`) of a process that is gone,
/// killed between creating and removing it. Linux only (`/proc`); elsewhere none is removed.
fn is_dead_probe(name: &str) -> bool {
    let Some(pid) = name.strip_prefix(".fewdims-writable.") else {
        return false;
    };
    !pid.is_empty()
        && pid.bytes().all(|b| b.is_ascii_digit())
        && Path::new("/proc/self").exists()
        && !Path::new("/proc").join(pid).exists()
}

/// Removes `out`'s own temp siblings and, when `out` is a dir, the temp entries in it and in its
/// sub-dirs.
fn remove_stale(out: &Path) -> io::Result<()> {
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned());
    let parent = match out.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(p) => p.to_path_buf(),
        None => PathBuf::from("."),
    };
    if let Some(name) = &name {
        remove_matching(&parent, Some(name))?;
    }
    if !out.is_dir() {
        return Ok(());
    }
    remove_matching(out, None)?;
    // One level down is enough (a cross dir's `predictions/`), and bounds the walk.
    for e in fs::read_dir(out)? {
        let e = e?;
        if e.file_type()?.is_dir() {
            remove_matching(&e.path(), None)?;
        }
    }
    Ok(())
}

/// Removes the temp entries of `dir` (those of `of` only, when given).
fn remove_matching(dir: &Path, of: Option<&str>) -> io::Result<()> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for e in entries {
        let e = e?;
        let name = e.file_name().to_string_lossy().into_owned();
        if !is_temp(&name, of) && !is_dead_probe(&name) {
            continue;
        }
        let removed = if e.file_type()?.is_dir() {
            fs::remove_dir_all(e.path())
        } else {
            fs::remove_file(e.path())
        };
        match removed {
            Err(err) if err.kind() != io::ErrorKind::NotFound => return Err(err),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_refuses_and_names_the_output() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("sub/out.parquet");
        let held = OutputLock::acquire(&out).unwrap();
        assert_eq!(held.path(), dir.path().join("sub/.out.parquet.lock"));
        let err = OutputLock::acquire(&out).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, LockError::Busy { .. }), "{msg}");
        assert!(msg.contains(&out.display().to_string()), "{msg}");
        assert!(
            msg.contains("another process is writing this output"),
            "{msg}"
        );
        drop(held);
        OutputLock::acquire(&out).expect("free again once dropped");
    }

    #[test]
    fn taking_the_lock_removes_a_killed_writers_temp_files_only() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let keep = [
            "out.parquet",
            ".other.parquet.tmp.12",
            ".out.parquet.tmp.x",
            ".out.parquet.partial",
        ];
        for f in keep
            .iter()
            .chain(&[".out.parquet.tmp.12", ".out.parquet.old.7"])
        {
            fs::write(d.join(f), b"x").unwrap();
        }
        // A dir output: temp entries in it and its sub-dirs go, other files stay.
        let report = d.join("main");
        fs::create_dir_all(report.join("predictions/.step1.parquet.tmp.3")).unwrap();
        fs::write(report.join(".REPORT.md.tmp.99"), b"x").unwrap();
        fs::write(report.join("REPORT.md"), b"x").unwrap();
        fs::create_dir(d.join(".main.tmp.5")).unwrap();
        fs::write(d.join(".out.predictions.parquet.tmp.4"), b"x").unwrap();
        // A killed process's writability probe goes; a live one's stays. The live one is init's
        // (pid 1): ours would be the probe `acquire` itself writes and removes.
        let live = ".fewdims-writable.1".to_string();
        fs::write(d.join(".fewdims-writable.4000000000"), b"x").unwrap();
        fs::write(d.join(&live), b"x").unwrap();
        let a = OutputLock::acquire(d.join("out.parquet")).unwrap();
        a.remove_stale_of(d.join("out.predictions.parquet"))
            .unwrap();
        let _b = OutputLock::acquire(&report).unwrap();
        let mut left: Vec<String> = fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        let mut want: Vec<&str> = keep.to_vec();
        want.extend([".main.lock", ".out.parquet.lock", "main", &live]);
        want.sort();
        assert_eq!(left, want);
        assert!(report.join("REPORT.md").exists());
        assert!(!report.join(".REPORT.md.tmp.99").exists());
        assert!(!report.join("predictions/.step1.parquet.tmp.3").exists());
    }
}
