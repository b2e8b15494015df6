//! The stage binaries' tests, in one binary (one link instead of one per file).

mod common;
mod concurrent;
mod cuda_link;
mod e2e;
mod glue_job;
mod identical;
mod kill;
mod mine;
mod probe_sklearn;
mod read_only;
mod resume;
mod samples;
mod user_data;
mod write_fault_cases;
mod write_faults;
