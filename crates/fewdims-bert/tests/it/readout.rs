//! The token readouts on hand-made hidden states: the device path (flex) and the host path.

use burn::tensor::{Int, Tensor, TensorData};
use fewdims_backend::{Backend, DeviceArgs};
use fewdims_bert::{HostReadouts, token_readout};
use fewdims_schema::vocab::ReadoutKind;

#[test]
fn readouts_pick_the_right_vectors() {
    let device = DeviceArgs::new(Backend::Flex, "cpu")
        .select()
        .unwrap()
        .device;
    // B=2, S=3, H=2. Row 0 has 3 real tokens, row 1 has 2 (last is padding with a huge norm).
    let hidden = Tensor::<3>::from_data(
        TensorData::new(
            vec![
                1.0f32, 0.0, 5.0, 5.0, 2.0, 2.0, 0.0, 1.0, 3.0, 0.0, 100.0, 100.0,
            ],
            [2, 3, 2],
        ),
        &device,
    );
    let mask =
        Tensor::<2, Int>::from_data(TensorData::new(vec![1i64, 1, 1, 1, 1, 0], [2, 3]), &device);
    let run = |t: ReadoutKind| -> Vec<f32> {
        token_readout(hidden.clone(), mask.clone(), t, None)
            .into_data()
            .try_to_vec()
            .unwrap()
    };
    assert_eq!(run(ReadoutKind::Cls), vec![1.0, 0.0, 0.0, 1.0]);
    assert_eq!(
        run(ReadoutKind::MaxNorm),
        vec![5.0, 5.0, 3.0, 0.0],
        "padding is never the max-norm token"
    );
    assert_eq!(run(ReadoutKind::Mean), vec![8.0 / 3.0, 7.0 / 3.0, 1.5, 0.5]);
    assert_eq!(run(ReadoutKind::Pos(1)), vec![5.0, 5.0, 3.0, 0.0]);
    assert_eq!(
        run(ReadoutKind::Pos(9)),
        vec![2.0, 2.0, 3.0, 0.0],
        "clamped to the last real token"
    );
}

#[test]
fn reads_every_readout_from_real_tokens_only() {
    // B = 2, S = 3, H = 2; item 0 has 3 tokens, item 1 has 2 (its third row is padding).
    let states = [
        1.0, 0.0, 0.0, 3.0, 2.0, 2.0, // item 0: norms 1, 9, 8
        5.0, 5.0, 1.0, -1.0, 100.0, 100.0, // item 1: norms 50, 2; padding 20000
    ];
    let tokens = [
        ReadoutKind::Cls,
        ReadoutKind::Mean,
        ReadoutKind::MaxNorm,
        ReadoutKind::Pos(2),
    ];
    let lens = [3, 2];
    let mut r = HostReadouts::new(&tokens, &lens, 2, 2, true);
    r.add_layer(1, &states, 3);
    let layer1 = |i: usize, k: usize| r.outs[i][k * 4 + 2..k * 4 + 4].to_vec();
    assert_eq!(layer1(0, 0), [1.0, 0.0]);
    assert_eq!(layer1(0, 1), [5.0, 5.0]);
    assert_eq!(layer1(1, 0), [1.0, 5.0 / 3.0]);
    assert_eq!(layer1(1, 1), [3.0, 2.0]);
    assert_eq!(layer1(2, 0), [0.0, 3.0]);
    assert_eq!(layer1(2, 1), [5.0, 5.0]);
    assert_eq!(layer1(3, 0), [2.0, 2.0]);
    assert_eq!(
        layer1(3, 1),
        [1.0, -1.0],
        "pos:2 of a 2-token item is its last token"
    );
    assert!(
        r.outs.iter().all(|o| o[..2] == [0.0, 0.0]),
        "layer 0 untouched"
    );
    let kept = r.states.unwrap();
    // [5 tokens, 2 layers, 2]: layer 1 of token 3 (item 1's first) is [5, 5].
    assert_eq!(kept[3 * 4 + 2..3 * 4 + 4], [5.0, 5.0]);
    assert_eq!(kept.len(), 5 * 2 * 2);
}

/// The top layer run for position 0 alone gives the CLS vector of the full forward pass, on the
/// training (autodiff) and inference paths, at every layer, with padding in the batch.
#[test]
fn first_token_at_is_the_full_passes_cls() {
    use fewdims_bert::{BertConfig, BertInput};
    for backend in [Backend::Flex, Backend::Tch] {
        let plain = DeviceArgs::new(backend, "cpu").select().unwrap().device;
        for device in [plain.clone(), plain.autodiff()] {
            // Dropout off, so both passes are deterministic on the autodiff device too.
            let mut config = BertConfig::tiny(50);
            config.hidden_dropout_prob = 0.0;
            config.attention_probs_dropout_prob = 0.0;
            let model = config.init(false, &device);
            let ids: [&[u32]; 3] = [&[2, 7, 9, 11, 3], &[2, 5, 3], &[2, 40, 41, 42, 43, 44, 3]];
            let types: [&[u8]; 3] = [&[0; 5], &[0; 3], &[0, 0, 0, 1, 1, 1, 1]];
            let input = || BertInput::from_sequences(&ids, &types, 0, &device);
            let full = model.forward(input());
            for layer in 0..=model.num_layers() {
                let want = full.hidden_states[layer]
                    .clone()
                    .slice([0..3, 0..1])
                    .reshape([3, 32]);
                let got = model.first_token_at(input(), layer);
                let diff = (got - want).abs().max().into_scalar::<f32>();
                assert!(diff < 1e-5, "{backend:?} layer {layer}: {diff}");
            }
        }
    }
}
