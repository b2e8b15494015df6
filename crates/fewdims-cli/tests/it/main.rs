//! The stage binaries' tests, in one binary (one link instead of one per file).

mod common;
mod e2e;
mod resume;
mod user_data;
