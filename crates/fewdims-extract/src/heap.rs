//! Keeps extraction's heap flat in N.
//!
//! glibc's malloc raises its mmap threshold each time it frees a large mmapped block (up to
//! 32 MiB). After the first batch, libtorch's per-batch activations (tens of MB on MiniLM) come
//! from the heap instead, which fragments and grows batch after batch: peak RSS measured 458,
//! 510 and 609 MB on 1k, 8k and 34k rows of the same lengths (MiniLM, five readouts, two
//! workers). With the threshold fixed at glibc's default of 128 KiB, every large buffer is
//! mmapped and given back after its batch: 355, 362 and 360 MB, for about 20% more CPU time
//! (page faults on the fresh pages, fewer with the transparent huge pages asked for here).
//!
//! glibc reads its tunables only at start-up and the workspace forbids `unsafe` (`mallopt`), so
//! the stage re-executes itself once with `GLIBC_TUNABLES` set. A `GLIBC_TUNABLES` that already
//! sets `glibc.malloc.mmap_threshold` is kept as it is: that is also how to opt out.

/// The tunables added: the threshold fixed at its default (so it no longer rises), and huge
/// pages for the mmapped blocks (ignored where glibc or the kernel lacks them).
pub const TUNABLES: &str = "glibc.malloc.mmap_threshold=131072:glibc.malloc.hugetlb=1";

/// `GLIBC_TUNABLES` for the re-execution, or `None` when `current` already sets the threshold.
pub fn tunables(current: Option<&str>) -> Option<String> {
    match current.filter(|c| !c.is_empty()) {
        Some(c) if c.contains("glibc.malloc.mmap_threshold") => None,
        Some(c) => Some(format!("{c}:{TUNABLES}")),
        None => Some(TUNABLES.to_string()),
    }
}

/// Re-executes this process with [`TUNABLES`] unless they (or the user's own threshold) are set;
/// returns only when nothing was to be done or the exec failed (then the default heap serves).
/// Call it first in `main`, before any thread starts.
pub fn fix_mmap_threshold() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use std::os::unix::process::CommandExt;
        let current = std::env::var("GLIBC_TUNABLES").ok();
        let Some(value) = tunables(current.as_deref()) else {
            return;
        };
        let Ok(exe) = std::env::current_exe() else {
            return;
        };
        let mut args = std::env::args_os();
        let mut cmd = std::process::Command::new(exe);
        if let Some(arg0) = args.next() {
            cmd.arg0(arg0);
        }
        // `exec` returns only on failure.
        let _ = cmd.args(args).env("GLIBC_TUNABLES", value).exec();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_the_tunables_once_and_keeps_a_users_threshold() {
        assert_eq!(tunables(None).as_deref(), Some(TUNABLES));
        assert_eq!(tunables(Some("")).as_deref(), Some(TUNABLES));
        let other = "glibc.malloc.arena_max=2";
        assert_eq!(tunables(Some(other)), Some(format!("{other}:{TUNABLES}")));
        // After the re-execution, and with the user's own value: nothing to do.
        assert_eq!(tunables(Some(TUNABLES)), None);
        assert_eq!(tunables(Some("glibc.malloc.mmap_threshold=33554432")), None);
    }
}
