//! Artifact contracts shared by every stage: file layouts, column names, tensor names and
//! metadata keys (see `shared/DESIGN.md`, "Artifact contracts"), plus atomic writes and the
//! one-writer lock of each output.
//!
//! Every stage reads and writes through the names defined here, so a contract changes in one place.

pub mod atomic;
pub mod cross;
pub mod hidden;
pub mod output_lock;
pub mod probe;
pub mod readout_kind;
pub mod run;
pub mod task;
pub mod tensors;
pub mod token;
pub mod vocab;
pub mod writable;

pub use atomic::{AtomicFile, write_atomic};
pub use output_lock::{LockError, OutputLock};
pub use writable::{NotWritable, check_parent_writable, check_writable};
