//! Fused scaled-dot-product attention with a padding mask, on any backend.
//!
//! burn's `attention` takes a boolean mask where `true` means "masked out". burn-tch 0.22.1 hands
//! that mask to `torch.scaled_dot_product_attention` unchanged, where `true` means "attend", so
//! on libtorch the mask arrives inverted. Rather than name backends, each device is probed once
//! with a two-key attention whose answer tells the conventions apart, and the mask is flipped
//! where the device reads it the other way.

use std::sync::{Mutex, OnceLock};

use burn::tensor::module::attention;
use burn::tensor::ops::AttentionModuleOptions;
use burn::tensor::{Bool, Device, Tensor, TensorData};

/// Per device: does its fused attention read `true` as "attend" (the inverse of burn's docs)?
static INVERTED: OnceLock<Mutex<Vec<(Device, bool)>>> = OnceLock::new();

/// Attention of one query over two keys with values 1 and 0, the second key masked with `true`:
/// burn's convention gives 1, the inverted one 0.
fn probe_inverted(device: &Device) -> bool {
    let zeros = Tensor::<4>::zeros([1, 1, 1, 1], device);
    let keys = Tensor::<4>::zeros([1, 1, 2, 1], device);
    let values = Tensor::<4>::from_data(TensorData::new(vec![1f32, 0.0], [1, 1, 2, 1]), device);
    let mask =
        Tensor::<4, Bool>::from_data(TensorData::new(vec![false, true], [1, 1, 1, 2]), device);
    let out = attention(
        zeros,
        keys,
        values,
        Some(mask),
        None,
        AttentionModuleOptions::default(),
    );
    let value: Vec<f32> = out
        .into_data()
        .try_into_vec_as::<f32>()
        .expect("f32 attention output");
    value[0] < 0.5
}

fn inverted(device: &Device) -> bool {
    let cache = INVERTED.get_or_init(|| Mutex::new(Vec::new()));
    let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, inv)) = cache.iter().find(|(d, _)| d == device) {
        return *inv;
    }
    let inv = probe_inverted(device);
    cache.push((device.clone(), inv));
    inv
}

/// The padding mask as this device's fused attention reads it: `padding` ([B, 1, 1, S], `true` at
/// padded keys, burn's convention), flipped where the device reads `true` as "attend".
pub fn fused_mask(padding: Tensor<4, Bool>) -> Tensor<4, Bool> {
    if inverted(&padding.device()) {
        padding.bool_not()
    } else {
        padding
    }
}

/// softmax(q kᵀ / sqrt(d) with masked keys excluded) v, through the backend's fused attention.
///
/// q, k, v: [B, heads, S, d]; mask: [B, 1, 1, S] from [`fused_mask`], None when no key is
/// padded → [B, heads, S, d]. The mask is passed unexpanded: every backend broadcasts it (the
/// parity test's padded batch checks this), and torch would otherwise turn an expanded view into
/// a full [B, heads, S, S] float mask at every layer.
pub fn padded_attention(
    q: Tensor<4>,
    k: Tensor<4>,
    v: Tensor<4>,
    mask: Option<Tensor<4, Bool>>,
) -> Tensor<4> {
    attention(q, k, v, mask, None, AttentionModuleOptions::default())
}
