//! The data crate's integration tests, in one binary (one link instead of one per file).

mod bad_input;
mod builtin;
mod common;
mod glue;
mod mutants;
mod tokenize;
mod user_files;
mod user_hf;
mod user_traps;
