//! Test fixtures shared by the crates' tests (a dev-dependency only): a tiny random BERT and
//! synthetic token splits.

use std::collections::HashMap;
use std::path::Path;

use fewdims_backend::{Backend, DeviceArgs};
use fewdims_bert::{BertConfig, TensorMap, save_model_dir};
use fewdims_data::registry::task as task_spec;
use fewdims_data::{Label, TaskMeta, TokMeta, TokenSplit};

/// Vocabulary of the tiny model: 0 pad, 2 [CLS], 3 [SEP], the rest ordinary tokens.
pub const VOCAB: usize = 40;

/// The flex CPU device flags.
pub fn flex() -> DeviceArgs {
    DeviceArgs::new(Backend::Flex, "cpu")
}

/// Saves a tiny random BERT (hidden 32, 2 layers) into `dir`.
pub fn tiny_model_dir(dir: &Path, with_pooler: bool) {
    let device = flex().select().unwrap().device;
    let config = BertConfig::tiny(VOCAB);
    save_model_dir(
        dir,
        &config,
        &config.init(with_pooler, &device),
        &TensorMap::new(),
        HashMap::new(),
    )
    .unwrap();
}

/// An empty `movie`-shaped split (max_len 16, pad id 0).
pub fn empty_split(name: &str) -> TokenSplit {
    let spec = task_spec("movie").unwrap();
    let meta = TaskMeta {
        split: name.into(),
        ..TaskMeta::new(spec, name, Path::new("synthetic"), "0")
    };
    let tok = TokMeta {
        tokenizer: "synthetic".into(),
        tokenizer_sha256: "0".into(),
        max_len: 16,
        truncated: 0,
        pad_id: Some(0),
    };
    TokenSplit {
        meta,
        tok,
        idx: vec![],
        offsets: vec![0],
        input_ids: vec![],
        token_type_ids: vec![],
        labels: vec![],
    }
}

/// Appends one single-segment row.
pub fn push_row(s: &mut TokenSplit, idx: u32, ids: Vec<u32>, label: i64) {
    s.idx.push(idx);
    s.token_type_ids.extend(std::iter::repeat_n(0u8, ids.len()));
    s.input_ids.extend(ids);
    s.offsets.push(s.input_ids.len());
    s.labels.push(Label::Class(label));
}

/// A small seeded generator (an LCG) for synthetic rows.
pub struct Lcg(u64);

impl Lcg {
    pub fn new(seed: u64) -> Self {
        Lcg(seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407))
    }
    pub fn next(&mut self) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as usize
    }
}
