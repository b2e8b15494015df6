//! The token parquet contract: `data/tok/<model>/<task>/<split>.parquet`.
//!
//! Columns: `idx` u32, `input_ids` list<u32>, `token_type_ids` list<u8>, `label` (as in the task
//! file). Unpadded: each row has its own length, at most `max_len`; padding is done per batch.
//! Metadata: every key of the task file is carried forward, plus the keys below.

pub use crate::task::{IDX, LABEL};

/// Column: token ids, special tokens included.
pub const INPUT_IDS: &str = "input_ids";
/// Column: segment ids, 0 for `text_a` (and its special tokens), 1 for `text_b`.
pub const TOKEN_TYPE_IDS: &str = "token_type_ids";

/// Value of [`crate::task::KEY_FORMAT`] for token files.
pub const FORMAT: &str = "fewdims-token-v1";
/// Metadata: hex sha256 of the `tokenizer.json` used.
pub const KEY_TOKENIZER_SHA256: &str = "fewdims.tokenizer_sha256";
/// Metadata: the `tokenizer.json` path used.
pub const KEY_TOKENIZER: &str = "fewdims.tokenizer";
/// Metadata: truncation length, special tokens included.
pub const KEY_MAX_LEN: &str = "fewdims.max_len";
/// Metadata: how many rows were truncated (pairs: longest first).
pub const KEY_TRUNCATED: &str = "fewdims.truncated";
/// Metadata: the padding token id of the tokenizer (for batch padding), when it has one.
pub const KEY_PAD_ID: &str = "fewdims.pad_id";
