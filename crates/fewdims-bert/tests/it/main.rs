//! The BERT crate's integration tests, in one binary (one link instead of one per file).

mod common;
mod mutants;
mod parity;
mod readout;
mod weights;
