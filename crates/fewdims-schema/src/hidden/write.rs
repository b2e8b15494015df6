//! Streaming writer: the header is fixed up front (N and every item's token count are known from
//! the token parquet), then each batch's rows are written at their place, in any order, so memory
//! stays flat in N. Atomic like [`crate::AtomicFile`] (same temp-file naming), but seekable.

use std::fs::{self, File};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use safetensors::tensor::Metadata;

use super::layout::tensor_infos;
use super::{
    HiddenBatch, HiddenError, HiddenMeta, LabelSlice, TaskKind, TokenBatch, readout_layers,
};

/// Writes a hidden-state file batch by batch; nothing appears at the destination until
/// [`HiddenWriter::finish`]. Dropped unfinished, the temp file is removed.
#[derive(Debug)]
pub struct HiddenWriter {
    dest: PathBuf,
    tmp: PathBuf,
    file: Option<File>,
    meta: HiddenMeta,
    n: usize,
    /// Where the next [`HiddenWriter::push`] starts.
    next: usize,
    written: Vec<bool>,
    count: usize,
    /// Absolute byte offset of each readout, then label, idx, tokens, offsets.
    starts: Vec<u64>,
    /// Item i's tokens are rows `token_offsets[i]..token_offsets[i+1]` of `tokens`.
    token_offsets: Option<Vec<u64>>,
}

fn to_bytes<T: Copy, const B: usize>(v: &[T], f: impl Fn(T) -> [u8; B]) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len() * B);
    for &x in v {
        out.extend_from_slice(&f(x));
    }
    out
}

impl HiddenWriter {
    /// Starts `dest` for `n` items; `token_lens` (one per item) when per-token states are kept.
    pub fn create(
        dest: impl AsRef<Path>,
        meta: HiddenMeta,
        n: usize,
        token_lens: Option<&[usize]>,
    ) -> Result<Self, HiddenError> {
        let dest = dest.as_ref().to_path_buf();
        meta.check(&dest)?;
        let token_offsets = match token_lens {
            Some(lens) if lens.len() != n => {
                return Err(HiddenError::Invalid {
                    path: dest,
                    msg: format!("{} token counts for {n} items", lens.len()),
                });
            }
            Some(lens) => Some(
                std::iter::once(0)
                    .chain(lens.iter().scan(0u64, |at, &l| {
                        *at += l as u64;
                        Some(*at)
                    }))
                    .collect::<Vec<u64>>(),
            ),
            None => None,
        };
        let tokens = token_offsets.as_ref().map(|o| o[n] as usize);
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
        let started = file
            .write_all(&(hb.len() as u64).to_le_bytes())
            .and_then(|_| file.write_all(&hb))
            .and_then(|_| file.set_len(data_start + data_len as u64));
        if let Err(e) = started {
            // Not yet owned by a writer whose drop would remove it.
            let _ = fs::remove_file(&tmp);
            return Err(io(e));
        }
        Ok(Self {
            starts: rel.iter().map(|r| data_start + r).collect(),
            dest,
            tmp,
            file: Some(file),
            meta,
            n,
            next: 0,
            written: vec![false; n],
            count: 0,
            token_offsets,
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

    /// Writes `bytes` (`width` bytes per item) of items `rows` at `start + row * width`, one
    /// write per run of consecutive rows.
    fn write_runs(
        &mut self,
        start: u64,
        width: usize,
        rows: &[usize],
        bytes: &[u8],
    ) -> Result<(), HiddenError> {
        let mut k = 0;
        while k < rows.len() {
            let mut end = k + 1;
            while end < rows.len() && rows[end] == rows[end - 1] + 1 {
                end += 1;
            }
            let pos = start + (rows[k] * width) as u64;
            self.write_at(pos, &bytes[k * width..end * width])?;
            k = end;
        }
        Ok(())
    }

    /// Appends the next items.
    pub fn push(&mut self, batch: &HiddenBatch) -> Result<(), HiddenError> {
        let b = batch.idx.len();
        if self.next + b > self.n {
            return Err(self.bad(format!(
                "{} rows pushed, more than the {} declared",
                self.next + b,
                self.n
            )));
        }
        let rows: Vec<usize> = (self.next..self.next + b).collect();
        self.write_rows(&rows, batch)?;
        self.next += b;
        Ok(())
    }

    /// Writes items at rows `rows` (any order; each row once over the writer's life).
    pub fn write_rows(&mut self, rows: &[usize], batch: &HiddenBatch) -> Result<(), HiddenError> {
        let b = rows.len();
        let (l, h, nr) = (
            self.meta.layers(),
            self.meta.hidden_size,
            self.meta.readouts.len(),
        );
        if let Some(&row) = rows.iter().find(|&&r| r >= self.n) {
            return Err(self.bad(format!("row {row} is beyond the {} declared", self.n)));
        }
        let mut sorted = rows.to_vec();
        sorted.sort_unstable();
        if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
            return Err(self.bad(format!("row {} twice in one batch", w[0])));
        }
        if let Some(&row) = rows.iter().find(|&&r| self.written[r]) {
            return Err(self.bad(format!("row {row} written twice")));
        }
        if batch.idx.len() != b {
            return Err(self.bad(format!("batch holds {} idx for {b} items", batch.idx.len())));
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
        }
        let token_rows = self.token_rows(rows, batch.tokens, l * h)?;
        for (i, data) in batch.readouts.iter().enumerate() {
            let width = data.len() / b.max(1) * 4;
            self.write_runs(
                self.starts[i],
                width,
                rows,
                &to_bytes(data, f32::to_le_bytes),
            )?;
        }
        match (batch.labels, self.meta.kind) {
            (LabelSlice::Classes(v), TaskKind::Classification) => {
                self.write_runs(self.starts[nr], 8, rows, &to_bytes(v, i64::to_le_bytes))?
            }
            (LabelSlice::Scores(v), TaskKind::Regression) => {
                self.write_runs(self.starts[nr], 4, rows, &to_bytes(v, f32::to_le_bytes))?
            }
            _ => {
                return Err(self.bad(format!(
                    "label type does not match kind {}",
                    self.meta.kind.as_str()
                )));
            }
        }
        let idx = to_bytes(batch.idx, u32::to_le_bytes);
        self.write_runs(self.starts[nr + 1], 4, rows, &idx)?;
        if let (Some(t), Some(ranges)) = (batch.tokens, token_rows) {
            let item = l * h;
            let mut at = 0;
            for (start, count) in ranges {
                let data = &t.data[at * item..(at + count) * item];
                let pos = self.starts[nr + 2] + (start * item * 4) as u64;
                self.write_at(pos, &to_bytes(data, f32::to_le_bytes))?;
                at += count;
            }
        }
        for &r in rows {
            self.written[r] = true;
        }
        self.count += b;
        Ok(())
    }

    /// Checks a batch's per-token states against the declared counts: each item's (first token
    /// row, token count), or `None` without token states.
    fn token_rows(
        &self,
        rows: &[usize],
        tokens: Option<TokenBatch>,
        item: usize,
    ) -> Result<Option<Vec<(usize, usize)>>, HiddenError> {
        match (tokens, &self.token_offsets) {
            (Some(t), Some(offsets)) => {
                let count: usize = t.lens.iter().sum();
                if t.lens.len() != rows.len() || t.data.len() != count * item {
                    return Err(self.bad(format!(
                        "token batch: {} lens and {} values for {} items of {count} tokens x {item}",
                        t.lens.len(),
                        t.data.len(),
                        rows.len()
                    )));
                }
                let mut ranges = Vec::with_capacity(rows.len());
                for (&r, &len) in rows.iter().zip(t.lens) {
                    let declared = (offsets[r + 1] - offsets[r]) as usize;
                    if len != declared {
                        return Err(self.bad(format!(
                            "row {r}: {len} token states, but {declared} tokens declared"
                        )));
                    }
                    ranges.push((offsets[r] as usize, len));
                }
                Ok(Some(ranges))
            }
            (None, None) => Ok(None),
            (Some(_), None) => Err(self.bad("token states given, but none declared".into())),
            (None, Some(_)) => Err(self.bad("token states declared, but a batch has none".into())),
        }
    }

    /// Items written so far.
    pub fn rows(&self) -> usize {
        self.count
    }

    /// Checks that every item was written, syncs and renames into place.
    pub fn finish(mut self) -> Result<(), HiddenError> {
        if self.count != self.n {
            return Err(self.bad(format!("{} rows written, {} declared", self.count, self.n)));
        }
        if let Some(offsets) = self.token_offsets.take() {
            let pos = self.starts[self.meta.readouts.len() + 3];
            self.write_at(pos, &to_bytes(&offsets, u64::to_le_bytes))?;
        }
        let io = |e| HiddenError::Io {
            path: self.dest.clone(),
            err: e,
        };
        // The file stays in `self.file` until synced, so a failed sync (a full disk's delayed
        // allocation) still removes the temp file on drop.
        self.file
            .as_ref()
            .expect("file open until finish")
            .sync_all()
            .map_err(io)?;
        drop(self.file.take());
        fs::rename(&self.tmp, &self.dest).map_err(|e| {
            let _ = fs::remove_file(&self.tmp);
            io(e)
        })
    }
}

impl Drop for HiddenWriter {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}
