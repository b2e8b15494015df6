//! The report crate's integration tests, in one binary (one link instead of one per file).

mod common;
mod inputs;
mod mismatched;
mod probe_claim;
mod report;
mod sources;
