//! The probe crate's integration tests, in one binary (one link instead of one per file).

mod ablate;
mod cka;
mod common;
mod planted;
mod sklearn;
mod sklearn_check;
mod stages;
mod table;
