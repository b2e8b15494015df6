//! Freezing: which encoder parameters a finetune keeps fixed (`--freeze`).

use burn::module::Module;
use fewdims_bert::BertModel;
use fewdims_schema::vocab::Freeze;

/// Marks the encoder parameters that `freeze` keeps fixed (they get no gradients).
pub fn apply_freeze(mut encoder: BertModel, freeze: Freeze) -> BertModel {
    let below = match freeze {
        Freeze::None => return encoder,
        Freeze::All => return encoder.freeze(),
        Freeze::Embeddings => 0,
        Freeze::Below(n) => n,
    };
    encoder.embeddings = encoder.embeddings.freeze();
    encoder.layers = encoder
        .layers
        .into_iter()
        .enumerate()
        .map(|(i, layer)| if i < below { layer.freeze() } else { layer })
        .collect();
    encoder
}
