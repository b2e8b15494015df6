//! The train crate's integration tests, in one binary (one link instead of one per file).

mod cross;
mod finetune;
mod resume;
mod splits;
mod trajectory;
