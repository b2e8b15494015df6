//! Reading safetensors files outside burn: the tensor names of a header, and every floating
//! tensor as f32. Used by the BERT loader and by readers that need a few tensors (a run's head).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use safetensors::{Dtype, SafeTensors};

/// Why a safetensors file could not be read; names the file.
#[derive(Debug, thiserror::Error)]
pub enum TensorFileError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {reason}", path.display())]
    Invalid { path: PathBuf, reason: String },
    #[error("serializing tensors: {0}")]
    Serialize(String),
}

/// Raw tensors of a safetensors file, as f32, keyed by name.
pub type TensorMap = BTreeMap<String, (Vec<usize>, Vec<f32>)>;

/// The tensor names of a safetensors file, from its header alone (no tensor data is read).
pub fn tensor_names(path: &Path) -> Result<Vec<String>, TensorFileError> {
    use std::io::Read;
    let bad = |reason: String| TensorFileError::Invalid {
        path: path.into(),
        reason,
    };
    let mut file = std::fs::File::open(path).map_err(|source| TensorFileError::Io {
        path: path.into(),
        source,
    })?;
    let mut len = [0u8; 8];
    file.read_exact(&mut len)
        .map_err(|e| bad(format!("not a safetensors file: {e}")))?;
    let len = u64::from_le_bytes(len);
    // Checked against the file before the header is allocated: a flipped length byte must not
    // ask for 100 MB to read a file of a few KB.
    let file_len = file
        .metadata()
        .map_err(|source| TensorFileError::Io {
            path: path.into(),
            source,
        })?
        .len();
    if len > 100 << 20 || len > file_len.saturating_sub(8) {
        return Err(bad(format!(
            "not a safetensors file: header length {len} in a file of {file_len} bytes"
        )));
    }
    let mut header = vec![0u8; len as usize];
    file.read_exact(&mut header)
        .map_err(|e| bad(format!("not a safetensors file: {e}")))?;
    let map: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&header).map_err(|e| bad(format!("not a safetensors file: {e}")))?;
    Ok(map
        .into_iter()
        .map(|(k, _)| k)
        .filter(|k| k != "__metadata__")
        .collect())
}

/// Reads every floating tensor of a safetensors file as f32 (f16/bf16 widened); integer tensors are skipped.
pub fn read_safetensors(
    path: &Path,
) -> Result<(TensorMap, HashMap<String, String>), TensorFileError> {
    let bytes = std::fs::read(path).map_err(|source| TensorFileError::Io {
        path: path.into(),
        source,
    })?;
    let bad = |reason: String| TensorFileError::Invalid {
        path: path.into(),
        reason,
    };
    let (_, meta) = SafeTensors::read_metadata(&bytes)
        .map_err(|e| bad(format!("not a safetensors file: {e}")))?;
    let tensors = SafeTensors::deserialize(&bytes)
        .map_err(|e| bad(format!("not a safetensors file: {e}")))?;
    let mut out = TensorMap::new();
    for (name, view) in tensors.tensors() {
        let data = view.data();
        let values: Vec<f32> = match view.dtype() {
            Dtype::F32 => data
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
            Dtype::F16 => data
                .chunks_exact(2)
                .map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32())
                .collect(),
            Dtype::BF16 => data
                .chunks_exact(2)
                .map(|c| half::bf16::from_le_bytes([c[0], c[1]]).to_f32())
                .collect(),
            Dtype::F64 => data
                .chunks_exact(8)
                .map(|c| f64::from_le_bytes(c.try_into().unwrap()) as f32)
                .collect(),
            _ => continue,
        };
        out.insert(name, (view.shape().to_vec(), values));
    }
    Ok((out, meta.metadata().clone().unwrap_or_default()))
}

/// Serializes f32 tensors (plus `__metadata__`) to safetensors bytes.
pub fn safetensors_bytes(
    tensors: &TensorMap,
    metadata: HashMap<String, String>,
) -> Result<Vec<u8>, TensorFileError> {
    let raw: Vec<(String, Vec<usize>, Vec<u8>)> = tensors
        .iter()
        .map(|(name, (shape, values))| {
            (
                name.clone(),
                shape.clone(),
                values.iter().flat_map(|v| v.to_le_bytes()).collect(),
            )
        })
        .collect();
    let views = raw
        .iter()
        .map(|(name, shape, bytes)| {
            let view = safetensors::tensor::TensorView::new(Dtype::F32, shape.clone(), bytes)
                .map_err(|e| TensorFileError::Serialize(format!("tensor {name}: {e}")))?;
            Ok((name.as_str(), view))
        })
        .collect::<Result<Vec<_>, TensorFileError>>()?;
    let meta = (!metadata.is_empty()).then_some(metadata);
    let bytes = safetensors::serialize(views, meta)
        .map_err(|e| TensorFileError::Serialize(e.to_string()))?;
    Ok(sorted_header(bytes))
}

/// The same file with its header's JSON keys sorted. safetensors writes `__metadata__` in
/// HashMap order, so equal tensors and metadata gave different bytes (and sha256s) run to run.
/// The sorted header is the same JSON, as long as the original: it is padded back to its length.
fn sorted_header(mut bytes: Vec<u8>) -> Vec<u8> {
    let n = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")) as usize;
    let header: serde_json::Value =
        serde_json::from_slice(&bytes[8..8 + n]).expect("safetensors writes valid JSON");
    // serde_json's Map is a BTreeMap here (no `preserve_order`): keys come out sorted.
    let mut sorted = serde_json::to_vec(&header).expect("JSON serializes");
    assert!(sorted.len() <= n, "a sorted header is no longer");
    sorted.resize(n, b' ');
    bytes[8..8 + n].copy_from_slice(&sorted);
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_tensors_and_metadata_give_equal_bytes() {
        let tensors: TensorMap = (0..6)
            .map(|i| (format!("t{i}"), (vec![2, 3], vec![i as f32; 6])))
            .collect();
        let meta = |order: &mut dyn Iterator<Item = usize>| -> HashMap<String, String> {
            order
                .map(|i| (format!("key{i}"), format!("value {i}")))
                .collect()
        };
        let first = safetensors_bytes(&tensors, meta(&mut (0..16))).unwrap();
        // Each HashMap has its own random state: 16 keys almost never iterate alike twice.
        for _ in 0..8 {
            let again = safetensors_bytes(&tensors, meta(&mut (0..16).rev())).unwrap();
            assert_eq!(first, again);
        }
        let st = SafeTensors::deserialize(&first).unwrap();
        assert_eq!(st.tensor("t3").unwrap().shape(), [2, 3]);
        let (_, md) = SafeTensors::read_metadata(&first).unwrap();
        let md = md.metadata().clone().unwrap();
        assert_eq!(md.len(), 16);
        assert_eq!(md["key7"], "value 7");
    }
}
