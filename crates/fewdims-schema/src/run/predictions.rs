//! A row of a run's `predictions.parquet` ([`PredictionRow`]) and what its readout read.

/// One item of `predictions.parquet`: what the best epoch's model said about it.
#[derive(Clone, Debug, PartialEq)]
pub struct PredictionRow {
    /// `dev` or `test`.
    pub split: String,
    /// The item's row id in the task file (`idx`), shared by every run of the task.
    pub idx: u32,
    /// The class id, or the regression target.
    pub label: f32,
    /// The argmax class id, or the regression output.
    pub prediction: f32,
    /// The head's outputs: one logit per class, or the one regression output.
    pub scores: Vec<f32>,
    /// The position the readout read (0 = `[CLS]`), where it reads one token (cls, pos:N,
    /// max-norm); `None` for mean and pooler.
    pub token_pos: Option<u32>,
    /// What that position holds: `[CLS]`, a `[SEP]` or another token.
    pub token_role: Option<TokenRole>,
}

/// What a one-token readout read (`predictions.parquet`'s `token_role`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TokenRole {
    /// Position 0.
    Cls,
    /// A `[SEP]`: the id of the item's last token (BERT tokenizers end every item with one).
    Sep,
    /// Any other token.
    Other,
}

impl TokenRole {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenRole::Cls => "cls",
            TokenRole::Sep => "sep",
            TokenRole::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "cls" => TokenRole::Cls,
            "sep" => TokenRole::Sep,
            "other" => TokenRole::Other,
            _ => return None,
        })
    }

    /// The role of position `pos` in an item of token ids `ids`.
    pub fn of(ids: &[u32], pos: usize) -> Self {
        if pos == 0 {
            TokenRole::Cls
        } else if ids.last().is_some_and(|sep| ids.get(pos) == Some(sep)) {
            TokenRole::Sep
        } else {
            TokenRole::Other
        }
    }
}
