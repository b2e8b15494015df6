//! A step checkpoint's round trip is exact: after `Checkpoint::save` and `load` (as a new process
//! loads it: fresh modules with new parameter ids), the model's tensors and the next optimizer
//! steps are bitwise those of the run that never stopped, on flex and tch.

use burn::module::{Module, ModuleVisitor, Param, ParamId};
use burn::tensor::{Device, Tensor};
use fewdims_backend::{Backend, DeviceArgs};
use fewdims_bert::{BertConfig, BertInput, Readout};
use fewdims_data::TokenSplit;
use fewdims_schema::vocab::{Head, ReadoutKind};
use fewdims_train::FinetuneConfig;
use fewdims_train::checkpoint::{Checkpoint, TrainState};
use fewdims_train::eval::batch_targets;
use fewdims_train::head::ClassifierHeadConfig;
use fewdims_train::step::{Optimizers, StepSettings, StepStats, Trainee, train_step};

use crate::finetune::{serial, split};

/// Every float parameter of a module: its id and its bytes.
#[derive(Default)]
struct Values(Vec<(ParamId, Vec<u8>)>);

impl ModuleVisitor for Values {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let bytes = param.val().to_data().as_bytes().to_vec();
        self.0.push((param.id, bytes));
    }
}

fn values(model: &Trainee) -> Vec<(ParamId, Vec<u8>)> {
    let mut v = Values::default();
    model.encoder.visit(&mut v);
    model.head.visit(&mut v);
    v.0
}

/// Weight decay large on purpose: parameters decayed by mistake move visibly.
const WEIGHT_DECAY: f64 = 0.5;

/// Step `step` on 8 rows of `train`, dropout seeded by the step (as the train loop does).
fn step(
    model: Trainee,
    optim: &mut Optimizers,
    train: &TokenSplit,
    step: usize,
    device: &Device,
) -> (Trainee, StepStats) {
    device.seed(1000 + step as u64);
    let batch: Vec<usize> = (0..8).map(|i| (step * 8 + i) % train.len()).collect();
    let rows: Vec<(&[u32], &[u8])> = batch.iter().map(|&i| train.row(i)).collect();
    let ids: Vec<&[u32]> = rows.iter().map(|r| r.0).collect();
    let types: Vec<&[u8]> = rows.iter().map(|r| r.1).collect();
    let readout = Readout {
        layer: 2,
        token: ReadoutKind::Cls,
    };
    let settings = StepSettings {
        lr: 1e-3,
        head_lr: 2e-3,
        max_grad_norm: Some(1.0),
    };
    train_step(
        model,
        optim,
        readout,
        BertInput::from_sequences(&ids, &types, 0, device),
        batch_targets(train, &batch, device),
        settings,
    )
    .unwrap()
}

fn round_trip_is_exact(backend: Backend) {
    let _guard = serial();
    let tmp = tempfile::tempdir().unwrap();
    let device = DeviceArgs::new(backend, "cpu")
        .select()
        .unwrap()
        .device
        .autodiff();
    device.seed(3);
    let bert = BertConfig::tiny(fewdims_testkit::VOCAB);
    let head = ClassifierHeadConfig {
        hidden_size: 32,
        num_outputs: 2,
        kind: Head::Mlp,
        dims: (0..32).collect(),
        dropout: 0.1,
        init_std: 0.02,
    };
    let fresh = || Trainee {
        encoder: bert.init(true, &device),
        head: head.init(&device),
    };
    let train = split("train", 64, 1);
    let mut model = fresh();
    let mut optim = Optimizers::new(&model, WEIGHT_DECAY);
    for s in 0..3 {
        model = step(model, &mut optim, &train, s, &device).0;
    }
    let checkpoint = Checkpoint {
        dir: tmp.path().join("checkpoint"),
        config: bert.clone(),
        has_pooler: true,
        head: head.clone(),
        head_dropout: 0.1,
    };
    let run = FinetuneConfig::new("m".into(), "t".into(), "d".into(), "o".into()).run;
    let mut state = TrainState::new(run.clone());
    state.steps_done = 3;
    checkpoint.save(&state, &model, &optim, None).unwrap();
    let resumed = checkpoint
        .load(&run, &device, WEIGHT_DECAY)
        .unwrap()
        .expect("a checkpoint");
    assert_eq!(resumed.state.steps_done, 3);
    let (mut a, mut b) = (model, resumed.model);
    assert!(
        values(&a) == values(&b),
        "{backend}: the loaded model's ids and tensors are the saved ones"
    );
    let (mut optim_a, mut optim_b) = (optim, resumed.optim);
    for s in 3..6 {
        let (sa, sb);
        (a, sa) = step(a, &mut optim_a, &train, s, &device);
        (b, sb) = step(b, &mut optim_b, &train, s, &device);
        assert_eq!(sa, sb, "{backend}: step {s}'s loss and gradient norm");
        let (va, vb) = (values(&a), values(&b));
        let differ = va.iter().zip(&vb).filter(|(x, y)| x != y).count();
        assert_eq!(differ, 0, "{backend}: parameters differing after step {s}");
    }
}

#[test]
fn a_checkpoint_round_trip_is_exact_on_flex() {
    round_trip_is_exact(Backend::Flex);
}

#[test]
fn a_checkpoint_round_trip_is_exact_on_tch() {
    round_trip_is_exact(Backend::Tch);
}
