//! Artifact contracts shared by every stage: file layouts, column names, tensor names and
//! metadata keys (see `shared/DESIGN.md`, "Artifact contracts"), plus atomic writes.
//!
//! Every stage reads and writes through the names defined here, so a contract changes in one place.

pub mod atomic;
pub mod cross;
pub mod hidden;
pub mod probe;
pub mod readout_kind;
pub mod run;
pub mod task;
pub mod tensors;
pub mod token;
pub mod vocab;

pub use atomic::{AtomicFile, write_atomic};
