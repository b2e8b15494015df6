//! The sections of REPORT.md after the claims, each with its tables (markdown and CSV) and plots.

pub(crate) mod change;
pub(crate) mod claims;
pub(crate) mod cross;
pub(crate) mod loss_curves;
pub(crate) mod probes;
pub(crate) mod sweep_tables;
pub(crate) mod sweeps;

/// make targets that produce the inputs of the sections (named where an input is missing).
pub const MAKE_PROBES: &str = "make probes PROBE_TASKS=<task>";
pub const MAKE_CKA: &str = "make changes PROBE_TASKS=<task>";
pub const MAKE_CROSS: &str = "make cross";
