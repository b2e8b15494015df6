//! The task head: DropConnect on the readout's dims, then one FC layer (`linear`) or two (`mlp`).
//! Saved beside the encoder under `head.*` (HF layouts: linear weights are [out, in]).

use burn::module::{Module, Param};
use burn::nn::{Dropout, DropoutConfig, Initializer, Linear, LinearConfig};
use burn::tensor::{Device, Tensor, TensorData};
use fewdims_bert::{BertInput, BertModel, Readout, TensorMap};
use fewdims_schema::vocab::Head;

use fewdims_schema::run::{
    HEAD_DENSE as DENSE, HEAD_DIMS_MASK as DIMS_MASK, HEAD_OUT_PROJ as OUT_PROJ,
};

/// How to build a head.
#[derive(Clone, Debug)]
pub struct ClassifierHeadConfig {
    pub hidden_size: usize,
    pub num_outputs: usize,
    pub kind: Head,
    /// Selected dims of the readout; the rest are zeroed before the head.
    pub dims: Vec<usize>,
    pub dropout: f64,
    /// Std of the weights' normal init (the model's `initializer_range`).
    pub init_std: f64,
}

/// DropConnect mask (frozen), dropout, optional hidden FC + tanh, output FC.
#[derive(Module, Debug)]
pub struct ClassifierHead {
    pub dims_mask: Param<Tensor<1>>,
    pub dropout: Dropout,
    pub dense: Option<Linear>,
    pub out_proj: Linear,
}

impl ClassifierHeadConfig {
    /// A freshly initialised head on `device`.
    pub fn init(&self, device: &Device) -> ClassifierHead {
        let h = self.hidden_size;
        let mut mask = vec![0f32; h];
        for &d in &self.dims {
            mask[d] = 1.0;
        }
        let dims_mask = Param::from_tensor(Tensor::from_data(TensorData::new(mask, [h]), device))
            .set_require_grad(false);
        let dense = (self.kind == Head::Mlp).then(|| self.linear(h, h, device));
        ClassifierHead {
            dims_mask,
            dropout: DropoutConfig::new(self.dropout).init(),
            dense,
            out_proj: self.linear(h, self.num_outputs, device),
        }
    }

    /// A linear layer initialised as HF's `_init_weights`: weights N(0, init_std), bias 0.
    fn linear(&self, d_in: usize, d_out: usize, device: &Device) -> Linear {
        let init = Initializer::Normal {
            mean: 0.0,
            std: self.init_std,
        };
        let mut linear = LinearConfig::new(d_in, d_out)
            .with_initializer(init)
            .init(device);
        linear.bias = Some(Param::from_tensor(Tensor::zeros([d_out], device)));
        linear
    }
}

impl ClassifierHead {
    /// readout: [B, H] → logits or scores: [B, C] (C = 1 for regression).
    pub fn forward(&self, readout: Tensor<2>) -> Tensor<2> {
        let x = self
            .dropout
            .forward(readout * self.dims_mask.val().unsqueeze_dim::<2>(0));
        let x = match &self.dense {
            Some(dense) => self.dropout.forward(dense.forward(x).tanh()),
            None => x,
        };
        self.out_proj.forward(x)
    }

    /// Outputs per item: the number of classes, or 1 for regression.
    pub fn num_outputs(&self) -> usize {
        // burn's Linear keeps its weight as [d_input, d_output].
        self.out_proj.weight.val().dims()[1]
    }

    /// The selected dims, read back from the mask.
    pub fn dims(&self) -> Vec<usize> {
        let mask: Vec<f32> = self
            .dims_mask
            .val()
            .into_data()
            .try_to_vec()
            .expect("f32 mask");
        mask.iter()
            .enumerate()
            .filter(|(_, m)| **m != 0.0)
            .map(|(i, _)| i)
            .collect()
    }

    /// The head's tensors under `prefix` (`head` for the run's own head), HF layouts.
    pub fn to_tensors(&self, prefix: &str) -> TensorMap {
        let mut out = TensorMap::new();
        out.insert(rename(DIMS_MASK, prefix), flat(self.dims_mask.val()));
        let mut linear = |stem: &str, l: &Linear| {
            out.insert(
                format!("{}.weight", rename(stem, prefix)),
                flat(l.weight.val().transpose()),
            );
            let b = l.bias.as_ref().expect("head linears have biases").val();
            out.insert(format!("{}.bias", rename(stem, prefix)), flat(b));
        };
        if let Some(dense) = &self.dense {
            linear(DENSE, dense);
        }
        linear(OUT_PROJ, &self.out_proj);
        out
    }

    /// Rebuilds a head from tensors saved by [`Self::to_tensors`]; the error names what is missing.
    pub fn from_tensors(
        tensors: &TensorMap,
        prefix: &str,
        dropout: f64,
        device: &Device,
    ) -> Result<Self, String> {
        let get = |name: String| {
            tensors
                .get(&name)
                .ok_or_else(|| format!("missing tensor {name}"))
        };
        let (mshape, mask) = get(rename(DIMS_MASK, prefix))?;
        let h = mshape[0];
        let linear = |stem: &str| -> Result<Linear, String> {
            let (ws, w) = get(format!("{}.weight", rename(stem, prefix)))?;
            let (_, b) = get(format!("{}.bias", rename(stem, prefix)))?;
            let (o, i) = (ws[0], ws[1]);
            let weight = Tensor::<2>::from_data(
                TensorData::new(fewdims_bert::weights::transpose(w, o, i), [i, o]),
                device,
            );
            Ok(Linear {
                weight: Param::from_tensor(weight),
                bias: Some(Param::from_tensor(Tensor::from_data(
                    TensorData::new(b.clone(), [o]),
                    device,
                ))),
            })
        };
        let dense_name = format!("{}.weight", rename(DENSE, prefix));
        let dense = if tensors.contains_key(&dense_name) {
            Some(linear(DENSE)?)
        } else {
            None
        };
        Ok(ClassifierHead {
            dims_mask: Param::from_tensor(Tensor::from_data(
                TensorData::new(mask.clone(), [h]),
                device,
            ))
            .set_require_grad(false),
            dropout: DropoutConfig::new(dropout).init(),
            dense,
            out_proj: linear(OUT_PROJ)?,
        })
    }
}

/// A tensor's shape and f32 values.
fn flat<const D: usize>(t: Tensor<D>) -> (Vec<usize>, Vec<f32>) {
    (
        t.dims().to_vec(),
        t.into_data().try_to_vec().expect("f32 tensor"),
    )
}

/// `head.x` → `<prefix>.x`.
fn rename(name: &str, prefix: &str) -> String {
    format!("{prefix}{}", name.strip_prefix("head").unwrap_or(name))
}

/// Runs the encoder up to `readout.layer` and the head. input [B, S] → [B, C].
pub fn forward(
    encoder: &BertModel,
    head: &ClassifierHead,
    readout: Readout,
    input: BertInput,
) -> Tensor<2> {
    head.forward(fewdims_bert::readout_vector(encoder, readout, input))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initialised_as_hf_init_weights() {
        let device = fewdims_testkit::flex().select().unwrap().device;
        let head = ClassifierHeadConfig {
            hidden_size: 384,
            num_outputs: 3,
            kind: Head::Mlp,
            dims: (0..384).collect(),
            dropout: 0.1,
            init_std: 0.02,
        }
        .init(&device);
        for l in [head.dense.as_ref().unwrap(), &head.out_proj] {
            let w: Vec<f32> = l.weight.val().into_data().try_to_vec::<f32>().unwrap();
            let n = w.len() as f64;
            let mean = w.iter().map(|&x| x as f64).sum::<f64>() / n;
            let std = (w.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / n).sqrt();
            assert!(mean.abs() < 0.002, "mean {mean}");
            assert!((std - 0.02).abs() < 0.002, "std {std}, want 0.02");
            let b: Vec<f32> = l
                .bias
                .as_ref()
                .unwrap()
                .val()
                .into_data()
                .try_to_vec::<f32>()
                .unwrap();
            assert!(b.iter().all(|&x| x == 0.0), "bias is zero");
        }
    }
}
