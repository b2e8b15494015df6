//! Running a campaign: each mutant written over one of the valid files, read by the stage's
//! reader in a thread of its own (a panic is caught, a hang times out), its outcome checked;
//! the whole campaign in a child process with a capped data segment.

use std::fmt::Display;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::{Lcg, Mutant};

/// How long one read may take: the files are a few KiB, so anything near this is a hang.
const PER_MUTANT: Duration = Duration::from_secs(10);
/// How far the child's data segment may grow past its size at the start of the campaign: the
/// files are a few KiB, so a reader asking for more is sizing a buffer from a corrupt field.
const HEADROOM: u64 = 32 << 20;
const CHILD: &str = "FEWDIMS_MUTANTS_CHILD";

/// What a campaign found.
#[derive(Debug, Default)]
pub struct Report {
    pub run: usize,
    pub clean: usize,
    pub errors: usize,
    /// One line per panic, hang or error that does not name the file.
    pub failures: Vec<String>,
}

fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(non-text panic)".into())
}

/// Runs `count` mutants of `files` (name, valid bytes: written into one folder, which `read`
/// gets). `mutate(i, name, bytes, rng)` makes mutant `i` of the file it is given; `read` reads
/// the folder as a stage does. Panics, listing them, when any mutant panicked, hung or gave an
/// error that does not name the mutated file; failing mutants are saved for replay.
pub fn run<R, E>(
    kind: &str,
    count: usize,
    files: &[(&str, Vec<u8>)],
    mut mutate: impl FnMut(usize, &str, &[u8], &mut Lcg) -> Mutant,
    read: R,
) -> Report
where
    R: Fn(&Path) -> Result<(), E> + Send + Sync + 'static,
    E: Display,
{
    let dir = std::env::temp_dir().join(format!("fewdims-mutants-{}-{kind}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch folder");
    for (name, bytes) in files {
        std::fs::write(dir.join(name), bytes).expect("seed file");
    }
    if let Err(e) = read(&dir) {
        panic!("{kind}: the valid files do not read cleanly: {e}");
    }
    let read = Arc::new(read);
    let seed = crate::seed();
    let start = Instant::now();
    // FEWDIMS_MUTANT_ONLY=I replays mutant I alone, its panic printed (with RUST_BACKTRACE=1).
    let only: Option<usize> = std::env::var("FEWDIMS_MUTANT_ONLY")
        .ok()
        .and_then(|v| v.parse().ok());
    let hook = std::panic::take_hook();
    if only.is_none() {
        std::panic::set_hook(Box::new(|_| {})); // panics are counted, not printed
    }
    let mut report = Report::default();
    for i in only.map_or(0..count, |i| i..i + 1) {
        let mut rng = Lcg::new(seed ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let (name, orig) = &files[rng.below(files.len())];
        let m = mutate(i, name, orig, &mut rng);
        // One line per mutant, so a child killed by an oversized allocation names its mutant.
        eprintln!("mutant {kind} {i}: {name}: {}", m.what);
        std::fs::write(dir.join(name), &m.bytes).expect("mutant file");
        let (tx, rx) = mpsc::channel();
        let (r, p) = (read.clone(), dir.clone());
        std::thread::spawn(move || {
            let out = catch_unwind(AssertUnwindSafe(|| r(&p).map_err(|e| e.to_string())));
            let _ = tx.send(out.map_err(|p| panic_text(p.as_ref())));
        });
        report.run += 1;
        let failure = match rx.recv_timeout(PER_MUTANT) {
            Ok(Ok(Ok(()))) => {
                report.clean += 1;
                None
            }
            Ok(Ok(Err(e))) if e.contains(name) => {
                report.errors += 1;
                None
            }
            Ok(Ok(Err(e))) => Some(format!("error does not name {name}: {e}")),
            Ok(Err(p)) => Some(format!("panic: {p}")),
            Err(_) => Some(format!("no answer within {PER_MUTANT:?} (a hang)")),
        };
        if let Some(f) = failure {
            let keep = saved(kind, i, name, &m);
            report.failures.push(format!(
                "mutant {i} ({name}: {}): {f} [{}]",
                m.what,
                keep.display()
            ));
            if f.ends_with("(a hang)") {
                break; // the reader thread still holds the file
            }
        }
        std::fs::write(dir.join(name), orig).expect("restore seed file");
    }
    std::panic::set_hook(hook);
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "mutants {kind}: {} run in {:.1} s: {} clean reads, {} typed errors, {} failures",
        report.run,
        start.elapsed().as_secs_f64(),
        report.clean,
        report.errors,
        report.failures.len()
    );
    if !report.failures.is_empty() {
        // Listed before the panic, and the cap lifted: a panic's backtrace needs memory.
        for f in report.failures.iter().take(40) {
            println!("{f}");
        }
        set_data_limit("unlimited");
        panic!(
            "{kind}: {} of {} mutants failed (listed above)",
            report.failures.len(),
            report.run,
        );
    }
    report
}

/// Saves a failing mutant for replay; returns where.
fn saved(kind: &str, i: usize, name: &str, m: &Mutant) -> PathBuf {
    let dir = std::env::temp_dir()
        .join("fewdims-mutants-failed")
        .join(kind);
    let path = dir.join(format!("{i}-{name}"));
    let _ = std::fs::create_dir_all(&dir).and_then(|_| std::fs::write(&path, &m.bytes));
    path
}

/// Caps this process's data segment (RLIMIT_DATA, which malloc's heap and mmaps count against)
/// at its size now plus [`HEADROOM`], with `prlimit` (no unsafe code here). Says so when it
/// cannot, and checks that an allocation past the cap now fails.
fn cap_memory() {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let data_kb: Option<u64> = status
        .lines()
        .find_map(|l| l.strip_prefix("VmData:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok());
    let Some(kb) = data_kb else {
        println!("mutants: no /proc/self/status: allocations are not capped in this run");
        return;
    };
    let limit = kb * 1024 + HEADROOM;
    let set = set_data_limit(&limit.to_string());
    let mut probe: Vec<u8> = Vec::new();
    if set && probe.try_reserve_exact(2 * HEADROOM as usize).is_err() {
        println!(
            "mutants: data segment capped at {} MiB ({} MiB above its size at the start)",
            limit >> 20,
            HEADROOM >> 20
        );
    } else {
        println!("mutants: could not cap the data segment (prlimit): allocations are not capped");
    }
}

/// Sets this process's soft RLIMIT_DATA (the hard one stays, so it can be lifted again).
fn set_data_limit(soft: &str) -> bool {
    Command::new("prlimit")
        .arg(format!("--pid={}", std::process::id()))
        .arg(format!("--data={soft}:"))
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs `body` (a campaign) in a child process: the current test binary, filtered to the
/// test `name` (its path, `mutants::hidden`), with its data segment capped. An allocation past
/// the cap aborts the child, and the test fails with the child's last lines, which name the
/// mutant. In the child itself, runs `body`.
pub fn bounded(name: &str, body: impl FnOnce()) {
    if std::env::var(CHILD).as_deref() == Ok(name) {
        cap_memory();
        body();
        return;
    }
    let log = std::env::temp_dir().join(format!(
        "fewdims-mutants-{}-{}.log",
        std::process::id(),
        name.replace("::", "-")
    ));
    let out = std::fs::File::create(&log).expect("log file");
    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, name)
        .stdout(out.try_clone().expect("log file"))
        .stderr(out)
        .stdin(Stdio::null())
        .spawn()
        .expect("start the test binary again");
    // Hangs are caught per mutant in the child; this bounds a child that cannot report one.
    let limit = Duration::from_secs(600) + Duration::from_millis(200) * crate::count(0) as u32;
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait for the child") {
            break Some(s);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = std::fs::remove_file(&log);
    // The summaries (they may follow libtest's "test NAME ... " on its line).
    for line in text
        .lines()
        .filter_map(|l| l.find("mutants").map(|at| &l[at..]))
    {
        if !line.starts_with("mutants-") {
            println!("{line}");
        }
    }
    // With --nocapture, "ok" follows the test's output: the summary line says it ran.
    let passed = text.contains("test result: ok. 1 passed");
    if status.is_some_and(|s| s.success()) && passed {
        return;
    }
    let lines: Vec<&str> = text.lines().collect();
    let tail = lines[lines.len().saturating_sub(60)..].join("\n");
    let how = match status {
        None => format!("killed after {limit:?}"),
        Some(s) if !passed && s.success() => format!("{s}, but test {name} did not run"),
        Some(s) => s.to_string(),
    };
    panic!("mutation campaign {name}: child {how}; its last lines:\n{tail}");
}
