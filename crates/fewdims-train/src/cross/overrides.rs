//! The later steps' settings where they differ from the starting run's (each `None` keeps the
//! starting run's value), as `cross-finetune` flags, and the steps of a folder of token folders.

use std::path::Path;

use fewdims_schema::vocab::{Dims, Freeze, Head, Layer, ReadoutKind};

use super::{CrossStep, TaskSplits};
use crate::TrainError;
use crate::finetune_config::{Hyper, clip_norm};

/// Readout, head and freezing of the later steps [default: the starting run's].
#[derive(Clone, Debug, Default, clap::Args)]
pub struct StepOverrides {
    /// Hidden layer read by the later tasks' heads [default: the starting run's].
    #[arg(long, allow_hyphen_values = true)]
    pub layer: Option<Layer>,
    /// Token read by the later heads [default: the starting run's].
    #[arg(long)]
    pub token: Option<ReadoutKind>,
    /// Dims read by the later heads [default: the starting run's].
    #[arg(long)]
    pub dims: Option<Dims>,
    /// Head of the later tasks [default: the starting run's].
    #[arg(long)]
    pub head: Option<Head>,
    /// Freezing while training the later tasks [default: the starting run's].
    #[arg(long)]
    pub freeze: Option<Freeze>,
}

/// Hyperparameters of the later steps [default: the starting run's, each of them].
#[derive(Clone, Debug, Default, clap::Args)]
pub struct HyperOverrides {
    /// [default: the starting run's]
    #[arg(long)]
    pub epochs: Option<usize>,
    /// [default: the starting run's]
    #[arg(long)]
    pub batch_size: Option<usize>,
    /// [default: the starting run's]
    #[arg(long)]
    pub eval_batch_size: Option<usize>,
    /// [default: the starting run's]
    #[arg(long)]
    pub lr: Option<f64>,
    /// [default: the starting run's]
    #[arg(long)]
    pub head_lr: Option<f64>,
    /// [default: the starting run's]
    #[arg(long)]
    pub weight_decay: Option<f64>,
    /// [default: the starting run's]
    #[arg(long)]
    pub warmup_ratio: Option<f64>,
    /// [default: the starting run's] (0 turns clipping off)
    #[arg(long)]
    pub max_grad_norm: Option<f64>,
    /// [default: the starting run's]
    #[arg(long)]
    pub head_dropout: Option<f64>,
    /// [default: the starting run's]
    #[arg(long)]
    pub seed: Option<u64>,
}

impl HyperOverrides {
    /// `start` with every given value replaced.
    pub fn apply(&self, start: &Hyper) -> Hyper {
        let mut h = start.clone();
        macro_rules! set {
            ($($f:ident),*) => { $(if let Some(v) = self.$f { h.$f = v; })* };
        }
        set!(
            epochs,
            batch_size,
            eval_batch_size,
            lr,
            weight_decay,
            warmup_ratio,
            seed
        );
        if self.head_lr.is_some() {
            h.head_lr = self.head_lr;
        }
        if self.head_dropout.is_some() {
            h.head_dropout = self.head_dropout;
        }
        if let Some(m) = self.max_grad_norm {
            h.max_grad_norm = clip_norm(m);
        }
        h
    }
}

/// One step per task, from `<task_dir>/<task>/{train,dev,test}.parquet` (no test with `no_test`).
pub fn steps_in(
    task_dir: &Path,
    tasks: &[String],
    overrides: &StepOverrides,
    no_test: bool,
) -> Result<Vec<CrossStep>, TrainError> {
    tasks
        .iter()
        .map(|task| {
            let dir = task_dir.join(task);
            if !dir.is_dir() {
                return Err(TrainError::Invalid(format!(
                    "--tasks {task}: no token folder {}",
                    dir.display()
                )));
            }
            let mut splits = TaskSplits::in_dir(&dir);
            if no_test {
                splits.test = None;
            }
            Ok(CrossStep {
                splits,
                overrides: overrides.clone(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_replace_only_what_is_given() {
        let start = Hyper::default();
        let o = HyperOverrides {
            lr: Some(1e-3),
            max_grad_norm: Some(0.0),
            ..Default::default()
        };
        let h = o.apply(&start);
        assert_eq!(h.lr, 1e-3);
        assert_eq!(h.max_grad_norm, None, "0 turns clipping off");
        assert_eq!(h.epochs, start.epochs);
        assert_eq!(HyperOverrides::default().apply(&start), start);
    }
}
