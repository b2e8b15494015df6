//! Task data for fewdims: the task registry, source readers (built-in suite, GLUE and your own
//! files), hash splits, the task and token parquet files, and the `prepare` and `tokenize` stages.

pub mod error;
pub mod meta;
pub mod pairs;
pub mod pq;
pub mod prepare;
pub mod registry;
pub mod sources;
pub mod split;
pub mod summary;
pub mod taskfile;
pub mod text;
pub mod tokenize;
pub mod tokfile;
pub mod user;

pub use error::{DataError, Result};
pub use meta::TaskMeta;
pub use prepare::{PrepareReport, SplitReport, prepare};
pub use registry::{TaskKind, TaskSpec, builtin_tasks, task, tasks};
pub use summary::summarize_file;
pub use taskfile::{Item, Label, TaskSplit, read_task_split};
pub use tokenize::{LoadedTokenizer, TokenizeReport, load_tokenizer, tokenize_file};
pub use tokfile::{TokMeta, TokenSplit, read_token_split};
pub use user::{Format, FromInput, FromSpec, UserTask, prepare_from};
