//! Atomic writes: a temp file in the destination's folder, renamed into place on commit.
//! A killed or failed stage never leaves a file that Make would take as done.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// A file being written to a temporary path beside `dest`; dropped without `commit`, it is removed.
#[derive(Debug)]
pub struct AtomicFile {
    dest: PathBuf,
    tmp: PathBuf,
    writer: Option<BufWriter<File>>,
}

impl AtomicFile {
    /// Creates the parent folder if needed and opens `<dest>.tmp.<pid>` for writing.
    pub fn create(dest: impl AsRef<Path>) -> io::Result<Self> {
        let dest = dest.as_ref().to_path_buf();
        if let Some(parent) = dest.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(parent)?;
        }
        let name = dest.file_name().ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{} has no file name", dest.display()),
            )
        })?;
        let mut tmp_name = std::ffi::OsString::from(".");
        tmp_name.push(name);
        tmp_name.push(format!(".tmp.{}", std::process::id()));
        let tmp = dest.with_file_name(tmp_name);
        let writer = BufWriter::new(File::create(&tmp)?);
        Ok(Self {
            dest,
            tmp,
            writer: Some(writer),
        })
    }

    /// The final path.
    pub fn dest(&self) -> &Path {
        &self.dest
    }

    /// Flushes and syncs the temp file: after this, only the rename can fail. On a full disk
    /// the buffered tail (or the kernel's delayed allocation) fails here, not at `write`.
    pub fn sync(&mut self) -> io::Result<()> {
        let writer = self.writer.as_mut().expect("writer present until commit");
        writer.flush()?;
        writer.get_ref().sync_all()
    }

    /// Flushes, syncs and renames the temp file onto the destination. On any error the temp
    /// file is removed, as on drop.
    pub fn commit(mut self) -> io::Result<()> {
        self.sync()?;
        self.rename()
    }

    /// Renames a synced temp file into place (removing it if that fails).
    fn rename(mut self) -> io::Result<()> {
        // Flushed by `sync`: dropping the writer writes nothing more.
        drop(self.writer.take());
        fs::rename(&self.tmp, &self.dest).inspect_err(|_| {
            let _ = fs::remove_file(&self.tmp);
        })
    }
}

/// A file of [`commit_all`] that could not be committed.
#[derive(Debug, thiserror::Error)]
#[error("{}: {err}", path.display())]
pub struct CommitError {
    pub path: PathBuf,
    pub err: io::Error,
}

/// Commits files that form one output (a task's splits) all or none: every file is flushed and
/// synced before the first rename, so a write that fails (a full disk) leaves none of them; a
/// rename that fails removes those renamed before it, since a partial set would look done.
pub fn commit_all(files: Vec<AtomicFile>) -> Result<(), CommitError> {
    let mut files = files;
    for f in &mut files {
        f.sync().map_err(|err| CommitError {
            path: f.dest.clone(),
            err,
        })?;
    }
    let mut done: Vec<PathBuf> = Vec::with_capacity(files.len());
    for f in files {
        let dest = f.dest.clone();
        if let Err(err) = f.rename() {
            for d in &done {
                let _ = fs::remove_file(d);
            }
            return Err(CommitError { path: dest, err });
        }
        done.push(dest);
    }
    Ok(())
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.writer
            .as_mut()
            .expect("writer present until commit")
            .write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.writer
            .as_mut()
            .expect("writer present until commit")
            .flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.writer.take().is_some() {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// Writes `bytes` to `dest` atomically.
pub fn write_atomic(dest: impl AsRef<Path>, bytes: &[u8]) -> io::Result<()> {
    let mut file = AtomicFile::create(dest)?;
    file.write_all(bytes)?;
    file.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_renames_and_drop_cleans_up() {
        let dir = std::env::temp_dir().join(format!("fewdims-atomic-{}", std::process::id()));
        let dest = dir.join("sub/out.bin");
        let mut f = AtomicFile::create(&dest).unwrap();
        f.write_all(b"abc").unwrap();
        assert!(!dest.exists(), "nothing at the destination before commit");
        f.commit().unwrap();
        assert_eq!(fs::read(&dest).unwrap(), b"abc");

        let other = dir.join("sub/aborted.bin");
        let mut g = AtomicFile::create(&other).unwrap();
        g.write_all(b"partial").unwrap();
        drop(g);
        assert!(!other.exists());
        let leftovers: Vec<_> = fs::read_dir(dir.join("sub")).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "only the committed file remains");
        fs::remove_dir_all(dir).unwrap();
    }

    /// Names in `dir`, sorted.
    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_failed_commit_removes_its_temp_file() {
        let tmp = tempfile::tempdir().unwrap();
        // A non-empty folder at the destination: the rename fails.
        fs::create_dir_all(tmp.path().join("out.bin/x")).unwrap();
        let mut f = AtomicFile::create(tmp.path().join("out.bin")).unwrap();
        f.write_all(b"abc").unwrap();
        assert!(f.commit().is_err());
        assert_eq!(names(tmp.path()), ["out.bin"], "no temp file left");
    }

    #[test]
    fn commit_all_puts_all_in_place_or_none() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        let open = |name: &str| {
            let mut f = AtomicFile::create(d.join(name)).unwrap();
            f.write_all(name.as_bytes()).unwrap();
            f
        };
        commit_all(vec![open("a"), open("b")]).unwrap();
        assert_eq!(fs::read(d.join("b")).unwrap(), b"b");

        // The third rename fails: the two renamed before it are taken back.
        fs::create_dir_all(d.join("z/x")).unwrap();
        let err = commit_all(vec![open("x"), open("y"), open("z")]).unwrap_err();
        assert_eq!(err.path, d.join("z"));
        assert!(err.to_string().contains("/z: "), "{err}");
        assert_eq!(
            names(d),
            ["a", "b", "z"],
            "none of x, y, z and no temp file"
        );
    }
}
