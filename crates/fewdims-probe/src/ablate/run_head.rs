//! A fine-tuned run's own head, read from its run dir: `run.json` (through
//! [`fewdims_schema::run::RunFile`]) and the `head.*` tensors of `model.safetensors`, checked
//! against each other.

use std::path::{Path, PathBuf};

use fewdims_schema::run::{
    HEAD_DENSE, HEAD_DIMS_MASK, HEAD_OUT_PROJ, HEAD_PREFIX, MODEL_FILE, RUN_FILE, RunFile,
};
use fewdims_schema::tensors::{TensorMap, read_safetensors, tensor_names};

use super::{FcHead, LinearHead, MAX_ABLATE_DIMS};
use crate::ProbeError;

fn bad(msg: String) -> ProbeError {
    ProbeError::Invalid(msg)
}

/// A run dir's head and the run.json it was trained under.
#[derive(Debug, Clone)]
pub struct RunHead {
    pub dir: PathBuf,
    pub run: RunFile,
    pub head: FcHead,
    /// Warnings met while reading (printed by the caller).
    pub warnings: Vec<String>,
}

impl RunHead {
    /// Reads and checks a finished run dir: its dims (1..=16 of them) and its head's shapes.
    pub fn load(dir: &Path) -> Result<Self, ProbeError> {
        if !dir.is_dir() {
            return Err(bad(format!("--run {}: not a directory", dir.display())));
        }
        let run = RunFile::read(dir)?;
        let json = dir.join(RUN_FILE);
        let dims = &run.dims_resolved;
        if dims.len() > MAX_ABLATE_DIMS {
            return Err(bad(format!(
                "{}: the run selected {} dims; ablate tries every subset and takes at most \
                 {MAX_ABLATE_DIMS} (fine-tune with --dims list:/first:/random:K, K <= {MAX_ABLATE_DIMS})",
                json.display(),
                dims.len()
            )));
        }
        if dims.is_empty() {
            return Err(bad(format!("{}: dims_resolved is empty", json.display())));
        }
        let mut warnings = vec![];
        let head = read_head(dir, &run, &mut warnings)?;
        Ok(Self {
            dir: dir.into(),
            run,
            head,
            warnings,
        })
    }

    /// `linear` or `mlp`, as `--head` names the head found.
    pub fn kind(&self) -> &'static str {
        if self.head.dense.is_some() {
            "mlp"
        } else {
            "linear"
        }
    }
}

/// One `[out, in]` layer `<stem>.weight` / `<stem>.bias` of the head.
fn linear(path: &Path, tensors: &TensorMap, stem: &str) -> Result<LinearHead, ProbeError> {
    let (ws, w) = tensors.get(&format!("{stem}.weight")).ok_or_else(|| {
        bad(format!(
            "{}: `{stem}.weight` is missing or not float",
            path.display()
        ))
    })?;
    let (bs, b) = tensors
        .get(&format!("{stem}.bias"))
        .ok_or_else(|| bad(format!("{}: `{stem}.bias` is missing", path.display())))?;
    if ws.len() != 2 || bs.as_slice() != [ws[0]] {
        return Err(bad(format!(
            "{}: `{stem}` weight {ws:?} / bias {bs:?} are not [out, in] / [out]",
            path.display()
        )));
    }
    Ok(LinearHead {
        weight: w.clone(),
        bias: b.clone(),
        classes: ws[0],
        hidden: ws[1],
    })
}

/// The head of `<dir>/model.safetensors`, checked against run.json (head kind, dims).
fn read_head(dir: &Path, run: &RunFile, warnings: &mut Vec<String>) -> Result<FcHead, ProbeError> {
    let path = dir.join(MODEL_FILE);
    let json = dir.join(RUN_FILE);
    if !path.is_file() {
        return Err(bad(format!(
            "{}: missing (the run's weights)",
            path.display()
        )));
    }
    let (w_name, b_name) = (
        format!("{HEAD_OUT_PROJ}.weight"),
        format!("{HEAD_OUT_PROJ}.bias"),
    );
    // The header first: a file without a head is refused before its tensors are read.
    let names = tensor_names(&path)?;
    if !names.contains(&w_name) || !names.contains(&b_name) {
        let prefix = format!("{HEAD_PREFIX}.");
        let heads: Vec<&String> = names.iter().filter(|n| n.starts_with(&prefix)).collect();
        return Err(bad(format!(
            "{}: no head: tensors `{w_name}` and `{b_name}` are missing (head tensors found: \
             {heads:?}); ablate needs a run dir written by `finetune`",
            path.display()
        )));
    }
    let (tensors, _) = read_safetensors(&path)?;
    let dense = if tensors.contains_key(&format!("{HEAD_DENSE}.weight")) {
        Some(linear(&path, &tensors, HEAD_DENSE)?)
    } else {
        None
    };
    let head = FcHead {
        dense,
        out_proj: linear(&path, &tensors, HEAD_OUT_PROJ)?,
    };
    let found = if head.dense.is_some() {
        "mlp"
    } else {
        "linear"
    };
    let said = run.config.head.to_string();
    if said != found {
        return Err(bad(format!(
            "{}: config.head is {said}, but {} holds a {found} head",
            json.display(),
            path.display()
        )));
    }
    if let Some(d) = &head.dense
        && d.classes != head.out_proj.hidden
    {
        return Err(bad(format!(
            "{}: `{HEAD_DENSE}` gives {} values, `{HEAD_OUT_PROJ}` reads {}",
            path.display(),
            d.classes,
            head.out_proj.hidden
        )));
    }
    match tensors.get(HEAD_DIMS_MASK) {
        Some((shape, mask)) => {
            if shape.as_slice() != [head.hidden()] {
                return Err(bad(format!(
                    "{}: `{HEAD_DIMS_MASK}` has shape {shape:?}, the head reads {} dims",
                    path.display(),
                    head.hidden()
                )));
            }
            let selected: Vec<usize> = (0..mask.len()).filter(|&i| mask[i] != 0.0).collect();
            let mut dims = run.dims_resolved.clone();
            dims.sort_unstable();
            if selected != dims {
                return Err(bad(format!(
                    "{}: dims_resolved {:?} differ from the dims of `{HEAD_DIMS_MASK}` in {} ({selected:?})",
                    json.display(),
                    run.dims_resolved,
                    path.display()
                )));
            }
        }
        None => warnings.push(format!(
            "{}: no `{HEAD_DIMS_MASK}`; using dims_resolved of {}",
            path.display(),
            json.display()
        )),
    }
    Ok(head)
}
