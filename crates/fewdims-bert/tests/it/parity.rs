//! Numerical parity with Hugging Face transformers on the real all-MiniLM-L6-v2 weights.
//! The reference comes from `scripts/parity/make_reference.py` (PyTorch, CPU, float32).

use crate::common;

use std::collections::HashMap;

use burn::tensor::{Device, Tensor};
use fewdims_backend::{Backend, DeviceArgs};
use fewdims_bert::{BertInput, load_model_dir};
use safetensors::{Dtype, SafeTensors};

/// Read at run time (not `env!`), so a test binary reused from a shared target dir by another
/// checkout reads this checkout's fixture.
fn fixture() -> std::path::PathBuf {
    std::path::Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo test"))
        .join("tests/fixtures/minilm_parity.safetensors")
}

struct Case {
    name: String,
    ids: Vec<Vec<u32>>,
    types: Vec<Vec<u8>>,
    /// hidden.{l}: [B, S, H/stride] and hidden_sum.{l}: [B, S], flattened.
    hidden: Vec<Vec<f32>>,
    hidden_sum: Vec<Vec<f32>>,
    pooler: Vec<f32>,
    seq: usize,
}

fn floats(st: &SafeTensors, name: &str) -> Vec<f32> {
    let t = st
        .tensor(name)
        .unwrap_or_else(|e| panic!("fixture tensor {name}: {e}"));
    assert_eq!(t.dtype(), Dtype::F32, "{name}");
    t.data()
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
        .collect()
}

fn ints(st: &SafeTensors, name: &str) -> (Vec<i64>, Vec<usize>) {
    let t = st
        .tensor(name)
        .unwrap_or_else(|e| panic!("fixture tensor {name}: {e}"));
    assert_eq!(t.dtype(), Dtype::I64, "{name}");
    (
        t.data()
            .chunks_exact(8)
            .map(|c| i64::from_le_bytes(c.try_into().unwrap()))
            .collect(),
        t.shape().to_vec(),
    )
}

fn load_fixture() -> (Vec<Case>, usize, usize) {
    let bytes = std::fs::read(fixture()).expect("parity fixture (scripts/parity/run.sh makes it)");
    let (_, meta) = SafeTensors::read_metadata(&bytes).unwrap();
    let meta: HashMap<String, String> = meta.metadata().clone().unwrap_or_default();
    let stride: usize = meta["dim_stride"].parse().unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let layers = (0..)
        .take_while(|l| st.tensor(&format!("short.hidden.{l}")).is_ok())
        .count();
    let cases = meta["cases"]
        .split(',')
        .map(|name| {
            let (ids, shape) = ints(&st, &format!("{name}.input_ids"));
            let (types, _) = ints(&st, &format!("{name}.token_type_ids"));
            let (mask, _) = ints(&st, &format!("{name}.attention_mask"));
            let (b, s) = (shape[0], shape[1]);
            let rows = |v: &[i64]| -> Vec<Vec<i64>> {
                (0..b)
                    .map(|i| {
                        (0..s)
                            .filter(|&j| mask[i * s + j] == 1)
                            .map(|j| v[i * s + j])
                            .collect()
                    })
                    .collect()
            };
            Case {
                name: name.to_string(),
                ids: rows(&ids)
                    .into_iter()
                    .map(|r| r.into_iter().map(|x| x as u32).collect())
                    .collect(),
                types: rows(&types)
                    .into_iter()
                    .map(|r| r.into_iter().map(|x| x as u8).collect())
                    .collect(),
                hidden: (0..layers)
                    .map(|l| floats(&st, &format!("{name}.hidden.{l}")))
                    .collect(),
                hidden_sum: (0..layers)
                    .map(|l| floats(&st, &format!("{name}.hidden_sum.{l}")))
                    .collect(),
                pooler: floats(&st, &format!("{name}.pooler")),
                seq: s,
            }
        })
        .collect();
    (cases, layers, stride)
}

/// Runs every case and returns the largest |ours - HF| per layer (index L+1 is the pooler).
fn max_errors(device: &Device, only: Option<&[&str]>) -> Vec<f32> {
    let model = load_model_dir(common::minilm_dir(), device).expect("load MiniLM");
    assert!(
        model.report.unexpected.is_empty(),
        "{:?}",
        model.report.unexpected
    );
    let (cases, layers, stride) = load_fixture();
    assert_eq!(layers, model.config.num_hidden_layers + 1);
    let mut worst = vec![0f32; layers + 1];
    for case in cases
        .iter()
        .filter(|c| only.is_none_or(|o| o.contains(&c.name.as_str())))
    {
        let ids: Vec<&[u32]> = case.ids.iter().map(|r| r.as_slice()).collect();
        let types: Vec<&[u8]> = case.types.iter().map(|r| r.as_slice()).collect();
        let out = model
            .model
            .forward(BertInput::from_sequences(&ids, &types, 0, device));
        let h = model.config.hidden_size;
        let sub = h.div_ceil(stride);
        for (l, hidden) in out.hidden_states.into_iter().enumerate() {
            let [b, s, _] = hidden.dims();
            let sums: Vec<f32> = hidden.clone().sum_dim(2).into_data().try_to_vec().unwrap();
            let values: Vec<f32> = hidden.into_data().try_to_vec().unwrap();
            for (i, row) in case.ids.iter().enumerate().take(b) {
                for j in 0..row.len().min(s) {
                    for k in 0..sub {
                        let ours = values[(i * s + j) * h + k * stride];
                        let theirs = case.hidden[l][(i * case.seq + j) * sub + k];
                        worst[l] = worst[l].max((ours - theirs).abs());
                    }
                    // The sum over all H dims, scaled to a per-dim error.
                    let sum_err =
                        (sums[i * s + j] - case.hidden_sum[l][i * case.seq + j]).abs() / h as f32;
                    worst[l] = worst[l].max(sum_err);
                }
            }
        }
        let pooled: Tensor<2> = out.pooled.expect("MiniLM has a pooler");
        let pooled: Vec<f32> = pooled.into_data().try_to_vec().unwrap();
        for (ours, theirs) in pooled.iter().zip(&case.pooler) {
            worst[layers] = worst[layers].max((ours - theirs).abs());
        }
    }
    worst
}

fn check(backend: Backend, tol: f32, only: Option<&[&str]>) {
    let device = DeviceArgs::new(backend, "cpu").select().unwrap().device;
    let worst = max_errors(&device, only);
    let shown: Vec<String> = worst.iter().map(|e| format!("{e:.2e}")).collect();
    eprintln!(
        "parity {backend}: max |diff| per layer 0..L then pooler: {}",
        shown.join(" ")
    );
    for (l, e) in worst.iter().enumerate() {
        assert!(
            *e <= tol,
            "{backend}: layer {l} differs from transformers by {e:.3e} > {tol:e}"
        );
    }
}

#[test]
fn flex_matches_transformers() {
    check(Backend::Flex, 1e-4, None);
}

#[test]
fn tch_matches_transformers() {
    check(Backend::Tch, 1e-4, None);
}

#[test]
fn wgpu_matches_transformers() {
    check(Backend::Wgpu, 1e-3, Some(&["pair", "batch"]));
}
