//! Streaming writer: the header is fixed up front (N and the token count are known from the token
//! parquet), then each batch's rows are written at their place, so memory stays flat in N.
//! Atomic like [`crate::AtomicFile`] (same temp-file naming), but seekable.

use std::fs::{self, File};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use safetensors::Dtype;
use safetensors::tensor::{Metadata, TensorInfo};

use super::{
    HiddenError, HiddenMeta, Kind, TENSOR_IDX, TENSOR_LABEL, TENSOR_OFFSETS, TENSOR_TOKENS,
    readout_layers,
};

/// Labels of one batch.
#[derive(Debug, Clone, Copy)]
pub enum LabelSlice<'a> {
    Classes(&'a [i64]),
    Scores(&'a [f32]),
}

impl LabelSlice<'_> {
    fn len(&self) -> usize {
        match self {
            LabelSlice::Classes(v) => v.len(),
            LabelSlice::Scores(v) => v.len(),
        }
    }
}

/// Per-token states of one batch: `lens[i]` real tokens of item i, `data` `[sum(lens), L+1, H]`.
#[derive(Debug, Clone, Copy)]
pub struct TokenBatch<'a> {
    pub lens: &'a [usize],
    pub data: &'a [f32],
}

/// B consecutive items.
#[derive(Debug, Clone, Copy)]
pub struct HiddenBatch<'a> {
    /// One slice per readout, in `meta.readouts` order, each `[B, readout_layers, H]`.
    pub readouts: &'a [&'a [f32]],
    pub labels: LabelSlice<'a>,
    pub idx: &'a [u32],
    /// Required iff the writer was created with a token count.
    pub tokens: Option<TokenBatch<'a>>,
}

/// Writes a hidden-state file batch by batch; nothing appears at the destination until
/// [`HiddenWriter::finish`]. Dropped unfinished, the temp file is removed.
#[derive(Debug)]
pub struct HiddenWriter {
    dest: PathBuf,
    tmp: PathBuf,
    file: Option<File>,
    meta: HiddenMeta,
    n: usize,
    rows: usize,
    /// Absolute byte offset of each readout, then label, idx, tokens, offsets.
    starts: Vec<u64>,
    tokens_total: Option<usize>,
    tokens_done: usize,
    token_offsets: Vec<u64>,
}

fn tensor_infos(meta: &HiddenMeta, n: usize, tokens: Option<usize>) -> Vec<(String, TensorInfo)> {
    let (l, h) = (meta.layers(), meta.hidden_size);
    let mut specs: Vec<(String, Dtype, Vec<usize>, usize)> = meta
        .readouts
        .iter()
        .map(|r| (r.clone(), Dtype::F32, vec![n, readout_layers(r, l), h], 4))
        .collect();
    let label_dtype = if meta.kind == Kind::Classification {
        Dtype::I64
    } else {
        Dtype::F32
    };
    let label_size = if meta.kind == Kind::Classification {
        8
    } else {
        4
    };
    specs.push((TENSOR_LABEL.into(), label_dtype, vec![n], label_size));
    specs.push((TENSOR_IDX.into(), Dtype::U32, vec![n], 4));
    if let Some(t) = tokens {
        specs.push((TENSOR_TOKENS.into(), Dtype::F32, vec![t, l, h], 4));
        specs.push((TENSOR_OFFSETS.into(), Dtype::U64, vec![n + 1], 8));
    }
    let mut off = 0;
    specs
        .into_iter()
        .map(|(name, dtype, shape, size)| {
            let len = shape.iter().product::<usize>() * size;
            let info = TensorInfo {
                dtype,
                shape,
                data_offsets: (off, off + len),
            };
            off += len;
            (name, info)
        })
        .collect()
}

fn to_bytes<T: Copy, const B: usize>(v: &[T], f: impl Fn(T) -> [u8; B]) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len() * B);
    for &x in v {
        out.extend_from_slice(&f(x));
    }
    out
}

impl HiddenWriter {
    /// Starts `dest` for `n` items; `tokens` is the total token count when per-token states are kept.
    pub fn create(
        dest: impl AsRef<Path>,
        meta: HiddenMeta,
        n: usize,
        tokens: Option<usize>,
    ) -> Result<Self, HiddenError> {
        let dest = dest.as_ref().to_path_buf();
        meta.check(&dest)?;
        let io = |e| HiddenError::Io {
            path: dest.clone(),
            err: e,
        };
        let infos = tensor_infos(&meta, n, tokens);
        let data_len = infos.last().map_or(0, |(_, i)| i.data_offsets.1);
        let rel: Vec<u64> = infos.iter().map(|(_, i)| i.data_offsets.0 as u64).collect();
        // The header is built with sorted keys so the same states give the same bytes.
        let mut json = serde_json::Map::new();
        let md: std::collections::BTreeMap<String, String> = meta.to_map().into_iter().collect();
        json.insert(
            "__metadata__".into(),
            serde_json::to_value(md).expect("strings serialize"),
        );
        for (name, info) in &infos {
            json.insert(
                name.clone(),
                serde_json::to_value(info).expect("tensor info serializes"),
            );
        }
        let mut hb = serde_json::to_vec(&json).expect("header serializes");
        hb.resize(hb.len().next_multiple_of(8), b' ');
        Metadata::new(None, infos).map_err(|e| HiddenError::Invalid {
            path: dest.clone(),
            msg: format!("header: {e}"),
        })?;

        if let Some(parent) = dest.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(parent).map_err(io)?;
        }
        let name = dest.file_name().ok_or_else(|| HiddenError::Invalid {
            path: dest.clone(),
            msg: "no file name".into(),
        })?;
        let mut tmp_name = std::ffi::OsString::from(".");
        tmp_name.push(name);
        tmp_name.push(format!(".tmp.{}", std::process::id()));
        let tmp = dest.with_file_name(tmp_name);
        let mut file = File::create(&tmp).map_err(io)?;
        let data_start = 8 + hb.len() as u64;
        file.write_all(&(hb.len() as u64).to_le_bytes())
            .map_err(io)?;
        file.write_all(&hb).map_err(io)?;
        file.set_len(data_start + data_len as u64).map_err(io)?;
        Ok(Self {
            starts: rel.iter().map(|r| data_start + r).collect(),
            dest,
            tmp,
            file: Some(file),
            meta,
            n,
            rows: 0,
            tokens_total: tokens,
            tokens_done: 0,
            token_offsets: vec![0],
        })
    }

    fn bad(&self, msg: String) -> HiddenError {
        HiddenError::Invalid {
            path: self.dest.clone(),
            msg,
        }
    }

    fn write_at(&mut self, pos: u64, bytes: &[u8]) -> Result<(), HiddenError> {
        let file = self.file.as_mut().expect("file open until finish");
        let res = file
            .seek(SeekFrom::Start(pos))
            .and_then(|_| file.write_all(bytes));
        res.map_err(|e| HiddenError::Io {
            path: self.tmp.clone(),
            err: e,
        })
    }

    /// Appends the next items.
    pub fn push(&mut self, batch: &HiddenBatch) -> Result<(), HiddenError> {
        let b = batch.idx.len();
        let (l, h, nr) = (
            self.meta.layers(),
            self.meta.hidden_size,
            self.meta.readouts.len(),
        );
        if self.rows + b > self.n {
            return Err(self.bad(format!(
                "{} rows pushed, more than the {} declared",
                self.rows + b,
                self.n
            )));
        }
        if batch.readouts.len() != nr {
            return Err(self.bad(format!(
                "batch holds {} readouts, expected {nr}",
                batch.readouts.len()
            )));
        }
        if batch.labels.len() != b {
            return Err(self.bad(format!(
                "batch holds {} labels for {b} items",
                batch.labels.len()
            )));
        }
        for (i, data) in batch.readouts.iter().enumerate() {
            let name = self.meta.readouts[i].clone();
            let row = readout_layers(&name, l) * h;
            if data.len() != b * row {
                return Err(self.bad(format!(
                    "batch readout `{name}` holds {} values, expected {b} x {} x {h}",
                    data.len(),
                    readout_layers(&name, l)
                )));
            }
            let pos = self.starts[i] + (self.rows * row * 4) as u64;
            self.write_at(pos, &to_bytes(data, f32::to_le_bytes))?;
        }
        let label_pos = self.starts[nr];
        match (batch.labels, self.meta.kind) {
            (LabelSlice::Classes(v), Kind::Classification) => self.write_at(
                label_pos + self.rows as u64 * 8,
                &to_bytes(v, i64::to_le_bytes),
            )?,
            (LabelSlice::Scores(v), Kind::Regression) => self.write_at(
                label_pos + self.rows as u64 * 4,
                &to_bytes(v, f32::to_le_bytes),
            )?,
            _ => {
                return Err(self.bad(format!(
                    "label type does not match kind {}",
                    self.meta.kind.as_str()
                )));
            }
        }
        self.write_at(
            self.starts[nr + 1] + self.rows as u64 * 4,
            &to_bytes(batch.idx, u32::to_le_bytes),
        )?;
        match (batch.tokens, self.tokens_total) {
            (Some(t), Some(total)) => {
                let count: usize = t.lens.iter().sum();
                if t.lens.len() != b || t.data.len() != count * l * h {
                    return Err(self.bad(format!(
                        "token batch: {} lens and {} values for {b} items of {count} tokens x {l} x {h}",
                        t.lens.len(),
                        t.data.len()
                    )));
                }
                if self.tokens_done + count > total {
                    return Err(self.bad(format!("more than the {total} tokens declared")));
                }
                let pos = self.starts[nr + 2] + (self.tokens_done * l * h * 4) as u64;
                self.write_at(pos, &to_bytes(t.data, f32::to_le_bytes))?;
                for &len in t.lens {
                    self.tokens_done += len;
                    self.token_offsets.push(self.tokens_done as u64);
                }
            }
            (None, None) => {}
            (Some(_), None) => return Err(self.bad("token states given, but none declared".into())),
            (None, Some(_)) => {
                return Err(self.bad("token states declared, but a batch has none".into()));
            }
        }
        self.rows += b;
        Ok(())
    }

    /// Items pushed so far.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Checks that every item (and token) was written, syncs and renames into place.
    pub fn finish(mut self) -> Result<(), HiddenError> {
        if self.rows != self.n {
            return Err(self.bad(format!("{} rows written, {} declared", self.rows, self.n)));
        }
        if let Some(total) = self.tokens_total {
            if self.tokens_done != total {
                return Err(self.bad(format!(
                    "{} tokens written, {total} declared",
                    self.tokens_done
                )));
            }
            let pos = self.starts[self.meta.readouts.len() + 3];
            let bytes = to_bytes(&self.token_offsets, u64::to_le_bytes);
            self.write_at(pos, &bytes)?;
        }
        let file = self.file.take().expect("file open until finish");
        let io = |e| HiddenError::Io {
            path: self.dest.clone(),
            err: e,
        };
        file.sync_all().map_err(io)?;
        drop(file);
        fs::rename(&self.tmp, &self.dest).map_err(io)
    }
}

impl Drop for HiddenWriter {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}
