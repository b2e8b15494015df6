//! Reader: parses and validates the header on open, then reads tensors on demand by seeking, so a
//! single readout or a single layer never needs the whole file in memory. Safe to share across
//! threads (each chunk is read under a lock at its own offset).

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use safetensors::Dtype;
use safetensors::tensor::{Metadata, TensorInfo};

use super::{
    HiddenError, HiddenMeta, HiddenStates, Labels, TENSOR_IDX, TENSOR_LABEL, TENSOR_OFFSETS,
    TENSOR_TOKENS, TaskKind, TokenStates, readout_layers,
};

/// An open, validated hidden-state file.
#[derive(Debug)]
pub struct HiddenReader {
    path: PathBuf,
    file: Mutex<File>,
    meta: HiddenMeta,
    n: usize,
    data_start: u64,
    infos: HashMap<String, TensorInfo>,
}

impl HiddenReader {
    /// Opens `path` and checks its header, metadata, tensor names, dtypes and shapes.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, HiddenError> {
        let path = path.as_ref().to_path_buf();
        let io = |e| HiddenError::Io {
            path: path.clone(),
            err: e,
        };
        let format = |msg: String| HiddenError::Format {
            path: path.clone(),
            msg,
        };
        let mut file = File::open(&path).map_err(io)?;
        let file_len = file.metadata().map_err(io)?.len();
        let mut len8 = [0u8; 8];
        file.read_exact(&mut len8)
            .map_err(|_| format("shorter than 8 bytes".into()))?;
        let hlen = u64::from_le_bytes(len8);
        if hlen > 100_000_000 || 8 + hlen > file_len {
            return Err(format(format!(
                "header length {hlen} does not fit a file of {file_len} bytes"
            )));
        }
        let mut hb = vec![0u8; hlen as usize];
        file.read_exact(&mut hb).map_err(io)?;
        let header: Metadata =
            serde_json::from_slice(&hb).map_err(|e| format(format!("header: {e}")))?;
        if 8 + hlen + header.data_len() as u64 != file_len {
            return Err(format(format!(
                "tensors need {} bytes after the header, the file has {}",
                header.data_len(),
                file_len - 8 - hlen
            )));
        }
        let map = header.metadata().clone().ok_or_else(|| HiddenError::Meta {
            path: path.clone(),
            key: "__metadata__".into(),
            msg: "missing".into(),
        })?;
        let meta = HiddenMeta::from_map(&map, &path)?;
        let infos: HashMap<String, TensorInfo> = header
            .tensors()
            .into_iter()
            .map(|(k, v)| (k, v.clone()))
            .collect();
        let mut reader = Self {
            path,
            file: Mutex::new(file),
            meta,
            n: 0,
            data_start: 8 + hlen,
            infos,
        };
        reader.n = reader.check_tensors()?;
        Ok(reader)
    }

    fn expect(&self, name: &str, dtype: Dtype, shape: &[usize]) -> Result<(), HiddenError> {
        let want = format!("{dtype:?} {shape:?}");
        let info = self.infos.get(name).ok_or_else(|| HiddenError::Missing {
            path: self.path.clone(),
            tensor: name.into(),
            expected: want.clone(),
        })?;
        if info.dtype != dtype || info.shape != shape {
            return Err(HiddenError::Tensor {
                path: self.path.clone(),
                tensor: name.into(),
                expected: want,
                found: format!("{:?} {:?}", info.dtype, info.shape),
            });
        }
        Ok(())
    }

    /// Validates every tensor against the metadata; returns N.
    fn check_tensors(&self) -> Result<usize, HiddenError> {
        let (l, h) = (self.meta.layers(), self.meta.hidden_size);
        let n = match self.infos.get(TENSOR_IDX) {
            Some(i) if i.shape.len() == 1 => i.shape[0],
            _ => {
                let found = self
                    .infos
                    .get(TENSOR_IDX)
                    .map(|i| format!("{:?} {:?}", i.dtype, i.shape));
                return Err(match found {
                    Some(found) => HiddenError::Tensor {
                        path: self.path.clone(),
                        tensor: TENSOR_IDX.into(),
                        expected: "U32 [N]".into(),
                        found,
                    },
                    None => HiddenError::Missing {
                        path: self.path.clone(),
                        tensor: TENSOR_IDX.into(),
                        expected: "U32 [N]".into(),
                    },
                });
            }
        };
        self.expect(TENSOR_IDX, Dtype::U32, &[n])?;
        let label_dtype = if self.meta.kind == TaskKind::Classification {
            Dtype::I64
        } else {
            Dtype::F32
        };
        self.expect(TENSOR_LABEL, label_dtype, &[n])?;
        for r in &self.meta.readouts {
            self.expect(r, Dtype::F32, &[n, readout_layers(r, l), h])?;
        }
        match (
            self.infos.get(TENSOR_TOKENS),
            self.infos.get(TENSOR_OFFSETS),
        ) {
            (None, None) => {}
            (Some(t), _) => {
                let t = t.shape.first().copied().unwrap_or(0);
                self.expect(TENSOR_TOKENS, Dtype::F32, &[t, l, h])?;
                self.expect(TENSOR_OFFSETS, Dtype::U64, &[n + 1])?;
            }
            (None, Some(_)) => self.expect(TENSOR_TOKENS, Dtype::F32, &[0, l, h])?,
        }
        let listed: Vec<&str> = self.meta.readouts.iter().map(String::as_str).collect();
        for name in self.infos.keys() {
            let known =
                [TENSOR_IDX, TENSOR_LABEL, TENSOR_TOKENS, TENSOR_OFFSETS].contains(&name.as_str());
            if !known && !listed.contains(&name.as_str()) {
                return Err(HiddenError::Invalid {
                    path: self.path.clone(),
                    msg: format!(
                        "tensor `{name}` is not listed in __metadata__ `readouts` ({listed:?})"
                    ),
                });
            }
        }
        Ok(n)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
    pub fn meta(&self) -> &HiddenMeta {
        &self.meta
    }
    /// Number of items.
    pub fn n(&self) -> usize {
        self.n
    }
    /// L+1.
    pub fn layers(&self) -> usize {
        self.meta.layers()
    }
    pub fn hidden(&self) -> usize {
        self.meta.hidden_size
    }
    pub fn has_tokens(&self) -> bool {
        self.infos.contains_key(TENSOR_TOKENS)
    }

    /// Calls `f` on consecutive chunks of about 4 MiB of tensor `name`, each a whole number of
    /// `unit`-byte records.
    fn stream(&self, name: &str, unit: usize, mut f: impl FnMut(&[u8])) -> Result<(), HiddenError> {
        let info = &self.infos[name];
        let (s, e) = info.data_offsets;
        let io = |e| HiddenError::Io {
            path: self.path.clone(),
            err: e,
        };
        let chunk = ((4 << 20) / unit.max(1)).max(1) * unit.max(1);
        let mut buf = vec![0u8; chunk.min(e - s)];
        let mut pos = s;
        while pos < e {
            let take = chunk.min(e - pos);
            {
                let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
                file.seek(SeekFrom::Start(self.data_start + pos as u64))
                    .map_err(io)?;
                file.read_exact(&mut buf[..take]).map_err(io)?;
            }
            f(&buf[..take]);
            pos += take;
        }
        Ok(())
    }

    fn read_f32(&self, name: &str) -> Result<Vec<f32>, HiddenError> {
        let mut out = Vec::with_capacity(
            (self.infos[name].data_offsets.1 - self.infos[name].data_offsets.0) / 4,
        );
        self.stream(name, 4, |b| {
            out.extend(
                b.chunks_exact(4)
                    .map(|c| f32::from_le_bytes(c.try_into().unwrap())),
            )
        })?;
        Ok(out)
    }

    /// Labels; class labels are checked against `label_names` (-1 = unlabelled is allowed).
    pub fn labels(&self) -> Result<Labels, HiddenError> {
        if self.meta.kind == TaskKind::Regression {
            return Ok(Labels::Scores(self.read_f32(TENSOR_LABEL)?));
        }
        let mut v = Vec::with_capacity(self.n);
        self.stream(TENSOR_LABEL, 8, |b| {
            v.extend(
                b.chunks_exact(8)
                    .map(|c| i64::from_le_bytes(c.try_into().unwrap())),
            )
        })?;
        let k = self.meta.label_names.len() as i64;
        if let Some(bad) = v.iter().find(|&&y| y < -1 || (k > 0 && y >= k)) {
            return Err(HiddenError::Tensor {
                path: self.path.clone(),
                tensor: TENSOR_LABEL.into(),
                expected: format!("class indices in 0..{k} (or -1 for unlabelled)"),
                found: bad.to_string(),
            });
        }
        Ok(Labels::Classes(v))
    }

    /// Item ids.
    pub fn idx(&self) -> Result<Vec<u32>, HiddenError> {
        let mut v = Vec::with_capacity(self.n);
        self.stream(TENSOR_IDX, 4, |b| {
            v.extend(
                b.chunks_exact(4)
                    .map(|c| u32::from_le_bytes(c.try_into().unwrap())),
            )
        })?;
        Ok(v)
    }

    fn readout_info(&self, name: &str) -> Result<usize, HiddenError> {
        if !self.meta.readouts.iter().any(|r| r == name) {
            return Err(HiddenError::Missing {
                path: self.path.clone(),
                tensor: name.into(),
                expected: format!("one of the readouts {:?}", self.meta.readouts),
            });
        }
        Ok(readout_layers(name, self.layers()))
    }

    /// One readout, `[N, layers, H]` row-major.
    pub fn readout(&self, name: &str) -> Result<Vec<f32>, HiddenError> {
        self.readout_info(name)?;
        self.read_f32(name)
    }

    /// One layer of one readout, `[N, H]` row-major, read without loading the other layers.
    pub fn layer(&self, name: &str, layer: usize) -> Result<Vec<f32>, HiddenError> {
        let nl = self.readout_info(name)?;
        if layer >= nl {
            return Err(HiddenError::Invalid {
                path: self.path.clone(),
                msg: format!("readout `{name}` has layers 0..{nl}, layer {layer} asked for"),
            });
        }
        let h = self.hidden();
        let mut out = Vec::with_capacity(self.n * h);
        self.stream(name, nl * h * 4, |b| {
            for row in b.chunks_exact(nl * h * 4) {
                let part = &row[layer * h * 4..(layer + 1) * h * 4];
                out.extend(
                    part.chunks_exact(4)
                        .map(|c| f32::from_le_bytes(c.try_into().unwrap())),
                );
            }
        })?;
        Ok(out)
    }

    /// The per-token states, when the file has them.
    pub fn tokens(&self) -> Result<Option<TokenStates>, HiddenError> {
        if !self.has_tokens() {
            return Ok(None);
        }
        let mut offsets = Vec::with_capacity(self.n + 1);
        self.stream(TENSOR_OFFSETS, 8, |b| {
            offsets.extend(
                b.chunks_exact(8)
                    .map(|c| u64::from_le_bytes(c.try_into().unwrap())),
            )
        })?;
        let t = self.infos[TENSOR_TOKENS].shape[0] as u64;
        let ok = offsets.first() == Some(&0)
            && offsets.last() == Some(&t)
            && offsets.windows(2).all(|w| w[0] <= w[1]);
        if !ok {
            return Err(HiddenError::Tensor {
                path: self.path.clone(),
                tensor: TENSOR_OFFSETS.into(),
                expected: format!("non-decreasing offsets from 0 to {t}"),
                found: format!("first {:?}, last {:?}", offsets.first(), offsets.last()),
            });
        }
        Ok(Some(TokenStates {
            offsets,
            data: self.read_f32(TENSOR_TOKENS)?,
        }))
    }

    /// Everything, validated.
    pub fn read_all(self) -> Result<HiddenStates, HiddenError> {
        let readouts = self
            .meta
            .readouts
            .iter()
            .map(|r| Ok((r.clone(), self.read_f32(r)?)))
            .collect::<Result<Vec<_>, HiddenError>>()?;
        Ok(HiddenStates {
            labels: self.labels()?,
            idx: self.idx()?,
            tokens: self.tokens()?,
            readouts,
            n: self.n,
            layers: self.layers(),
            hidden: self.hidden(),
            meta: self.meta,
        })
    }
}
