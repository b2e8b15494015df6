//! Freezing: which encoder parameters a finetune keeps fixed (`--freeze`).

use burn::module::Module;
use fewdims_bert::BertModel;
use fewdims_schema::vocab::Freeze;

/// Marks the encoder parameters that `freeze` keeps fixed: they get no gradients, but dropout
/// stays on in training, as `requires_grad=False` under `model.train()` in PyTorch.
/// (burn's `Module::freeze` would also switch dropout off; `no_grad` does not.)
pub fn apply_freeze(mut encoder: BertModel, freeze: Freeze) -> BertModel {
    let below = match freeze {
        Freeze::None => return encoder,
        Freeze::All => return encoder.no_grad(),
        Freeze::Embeddings => 0,
        Freeze::Below(n) => n,
    };
    encoder.embeddings = encoder.embeddings.no_grad();
    encoder.layers = encoder
        .layers
        .into_iter()
        .enumerate()
        .map(|(i, layer)| if i < below { layer.no_grad() } else { layer })
        .collect();
    encoder
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::optim::GradientsParams;
    use fewdims_bert::{BertConfig, BertInput};

    fn input(device: &burn::tensor::Device) -> BertInput {
        let ids: &[u32] = &[2, 9, 10, 11, 12, 13, 14, 3];
        BertInput::from_sequences(&[ids], &[&[0; 8]], 0, device)
    }

    #[test]
    fn frozen_layers_get_no_gradient_but_keep_dropout() {
        let device = fewdims_testkit::flex().select().unwrap().device.autodiff();
        let config = BertConfig::tiny(fewdims_testkit::VOCAB);
        assert!(config.hidden_dropout_prob > 0.0);
        let encoder = apply_freeze(config.init(false, &device), Freeze::All);
        let out = |seed| {
            device.seed(seed);
            encoder.forward(input(&device)).hidden_states.pop().unwrap()
        };
        let (a, b) = (out(1), out(2));
        let diff: f32 = (a - b).abs().sum().into_scalar();
        assert!(
            diff > 1e-3,
            "dropout is off in a frozen encoder (diff {diff})"
        );

        let partly = apply_freeze(config.init(false, &device), Freeze::Below(1));
        let mut grads = partly
            .forward(input(&device))
            .hidden_states
            .pop()
            .unwrap()
            .sum()
            .backward();
        let g = GradientsParams::from_module(&mut grads, &partly);
        assert!(
            g.get::<2>(partly.layers[1].intermediate.weight.id)
                .is_some()
        );
        assert!(
            g.get::<2>(partly.layers[0].intermediate.weight.id)
                .is_none()
        );
        assert!(
            g.get::<2>(partly.embeddings.word_embeddings.weight.id)
                .is_none()
        );
    }
}
