//! The extraction schedule: all rows sorted by length and cut into batches (least padding), run by
//! a few worker threads, each result handed back to the calling thread (which writes its rows in
//! place). Only the batches in flight are held, so memory stays flat in N.
//!
//! On a CPU, two batches at once on one libtorch thread each beat one batch on two threads.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

use fewdims_bert::eval_batches;

/// One batch: the file rows it holds.
pub(super) type Job = Vec<usize>;

/// Every row in length-sorted batches of `batch_size`, longest first: the largest buffers are
/// allocated first and reused by every later batch (shortest first grew the heap with each new
/// length: peak RSS grew with N), and no long batch is left for the end while the other workers idle.
pub(super) fn plan(lengths: &[usize], batch_size: usize) -> Vec<Job> {
    let mut jobs = eval_batches(lengths, batch_size);
    jobs.reverse();
    jobs
}

/// Runs `work` on every job and hands each result to `sink` on this thread, in completion order.
///
/// With one worker everything runs here, in job order. With more, each worker thread first calls
/// `init` (e.g. to set its op threads), then takes the next job until none is left; a `sink` error
/// stops the workers after their current job and is returned.
pub(super) fn run_jobs<T: Send, E>(
    jobs: &[Job],
    workers: usize,
    init: impl Fn() + Sync,
    work: impl Fn(&Job) -> T + Sync,
    mut sink: impl FnMut(usize, T) -> Result<(), E>,
) -> Result<(), E> {
    if workers <= 1 {
        for (j, job) in jobs.iter().enumerate() {
            sink(j, work(job))?;
        }
        return Ok(());
    }
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::sync_channel::<(usize, T)>(workers);
        for _ in 0..workers {
            let tx = tx.clone();
            let (next, stop, init, work) = (&next, &stop, &init, &work);
            scope.spawn(move || {
                init();
                while !stop.load(Ordering::Relaxed) {
                    let j = next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = jobs.get(j) else { break };
                    if tx.send((j, work(job))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        for (j, out) in rx {
            if let Err(e) = sink(j, out) {
                stop.store(true, Ordering::Relaxed);
                return Err(e);
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_once_in_length_sorted_batches_longest_first() {
        let lengths: Vec<usize> = (0..103).map(|i| (i * 7) % 13 + 1).collect();
        let jobs = plan(&lengths, 8);
        assert_eq!(jobs.len(), 13);
        // Each batch's rows are no shorter than every row of the batches after it.
        let span = |job: &Job| {
            let l: Vec<usize> = job.iter().map(|&r| lengths[r]).collect();
            (*l.iter().min().unwrap(), *l.iter().max().unwrap())
        };
        assert!(
            jobs.windows(2).all(|w| span(&w[0]).0 >= span(&w[1]).1),
            "{:?}",
            jobs.iter().map(span).collect::<Vec<_>>()
        );
        let mut seen: Vec<usize> = jobs.iter().flatten().copied().collect();
        seen.sort_unstable();
        assert_eq!(seen, (0..103).collect::<Vec<_>>());
    }

    #[test]
    fn workers_deliver_every_job_once_and_stop_on_a_sink_error() {
        let jobs = plan(&[1; 50], 3);
        for workers in [1, 2, 3] {
            let mut got = Vec::new();
            let inits = AtomicUsize::new(0);
            run_jobs(
                &jobs,
                workers,
                || {
                    inits.fetch_add(1, Ordering::Relaxed);
                },
                |job| job.len(),
                |j, len| {
                    assert_eq!(len, jobs[j].len());
                    got.push(j);
                    Ok::<_, ()>(())
                },
            )
            .unwrap();
            got.sort_unstable();
            assert_eq!(got, (0..jobs.len()).collect::<Vec<_>>());
            let expected_inits = if workers == 1 { 0 } else { workers };
            assert_eq!(inits.load(Ordering::Relaxed), expected_inits);
        }
        let mut delivered = 0;
        let err = run_jobs(
            &jobs,
            2,
            || {},
            |_| (),
            |_, ()| {
                delivered += 1;
                if delivered == 3 {
                    Err("full disk")
                } else {
                    Ok(())
                }
            },
        );
        assert_eq!(err, Err("full disk"));
        assert_eq!(delivered, 3);
    }
}
