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
mod resume;
mod samples;
mod user_data;
mod write_faults;
