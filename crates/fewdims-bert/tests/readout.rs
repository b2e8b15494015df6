//! The token readouts on hand-made hidden states (flex).

use burn::tensor::{Int, Tensor, TensorData};
use fewdims_backend::{Backend, DeviceArgs};
use fewdims_bert::token_readout;
use fewdims_schema::vocab::Token;

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
    let run = |t: Token| -> Vec<f32> {
        token_readout(hidden.clone(), mask.clone(), t, None)
            .into_data()
            .try_to_vec()
            .unwrap()
    };
    assert_eq!(run(Token::Cls), vec![1.0, 0.0, 0.0, 1.0]);
    assert_eq!(
        run(Token::MaxNorm),
        vec![5.0, 5.0, 3.0, 0.0],
        "padding is never the max-norm token"
    );
    assert_eq!(run(Token::Mean), vec![8.0 / 3.0, 7.0 / 3.0, 1.5, 0.5]);
    assert_eq!(run(Token::Pos(1)), vec![5.0, 5.0, 3.0, 0.0]);
    assert_eq!(
        run(Token::Pos(9)),
        vec![2.0, 2.0, 3.0, 0.0],
        "clamped to the last real token"
    );
}
