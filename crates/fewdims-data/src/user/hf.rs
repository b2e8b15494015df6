//! Hugging Face `datasets` parquet exports: `<dir>/<config>/<split>-NNNNN-of-NNNNN.parquet`
//! (`save_to_disk`-free exports, `to_parquet` per split, and the Hub's own layout, where the
//! config folder may be `data/`), or `<dir>/<config>/<split>/NNNN.parquet` (the Hub's parquet
//! conversion). Split names: `train`; `validation` (or `valid`, `dev`) becomes our dev; `test`.

use crate::error::{DataError, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One split of an export: its `datasets` name, ours, its shards in order, and a display path.
#[derive(Debug, Clone)]
pub struct ExportSplit {
    pub hf: String,
    pub ours: &'static str,
    pub files: Vec<PathBuf>,
    /// The shards as one path for the metadata: the file itself, or `<split>-*.parquet`.
    pub source: PathBuf,
}

/// The splits found, and the names of the ones that have no fewdims meaning (e.g. IMDb's
/// `unsupervised`).
#[derive(Debug, Clone)]
pub struct Export {
    pub dir: PathBuf,
    pub splits: Vec<ExportSplit>,
    pub ignored: Vec<String>,
}

/// Our split for a `datasets` split name.
pub fn our_split(hf: &str) -> Option<&'static str> {
    match hf {
        "train" => Some("train"),
        "validation" | "valid" | "dev" => Some("dev"),
        "test" => Some("test"),
        _ => None,
    }
}

/// Finds the export under `dir`: `dir` itself, `dir/<config>` (`--config`), `dir/data`, or
/// the one config folder there is.
pub fn locate(dir: &Path, config: Option<&str>) -> Result<Export> {
    let configs = || -> Result<Vec<String>> {
        let mut out = Vec::new();
        for sub in subdirs(dir)? {
            if our_split(&sub).is_none() && has_known_split(&scan(&dir.join(&sub))?) {
                out.push(sub);
            }
        }
        Ok(out)
    };
    if let Some(c) = config {
        let d = dir.join(c);
        if !d.is_dir() {
            return Err(DataError::source(
                dir,
                format!("no config folder `{c}`; configs here: {:?}", configs()?),
            ));
        }
        return export_in(&d);
    }
    for d in [dir.to_path_buf(), dir.join("data")] {
        if has_known_split(&scan(&d)?) {
            return export_in(&d);
        }
    }
    match configs()?.as_slice() {
        [one] => export_in(&dir.join(one)),
        [] => {
            // `save_to_disk` writes Arrow files and these JSON files, not parquet
            let saved = ["dataset_dict.json", "dataset_info.json", "state.json"]
                .iter()
                .any(|f| dir.join(f).is_file());
            let hint = if saved {
                "; this is `save_to_disk` output (Arrow files): write parquet per split with \
                 `ds[\"train\"].to_parquet(\"train-00000-of-00001.parquet\")`"
            } else {
                ""
            };
            Err(DataError::source(
                dir,
                format!(
                    "no `datasets` parquet export here: expected <split>-00000-of-00001.parquet \
                     files (split train, validation, test) in this folder or in \
                     <folder>/<config>/{hint}"
                ),
            ))
        }
        many => Err(DataError::source(
            dir,
            format!(
                "holds several configs ({}); choose one with --config",
                many.join(", ")
            ),
        )),
    }
}

fn has_known_split(found: &BTreeMap<String, Vec<Shard>>) -> bool {
    found.keys().any(|k| our_split(k).is_some())
}

fn subdirs(dir: &Path) -> Result<Vec<String>> {
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| DataError::io(dir, e))?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .collect();
    out.sort();
    Ok(out)
}

/// One parquet file of a split, with its `NNNNN-of-NNNNN` numbers when it has them.
#[derive(Debug, Clone)]
struct Shard {
    path: PathBuf,
    of: Option<(usize, usize)>,
}

/// The splits in `dir`: `<split>[-NNNNN-of-NNNNN[-suffix]].parquet` files and `<split>/`
/// folders of parquet files.
fn scan(dir: &Path) -> Result<BTreeMap<String, Vec<Shard>>> {
    let mut found: BTreeMap<String, Vec<Shard>> = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(found);
    };
    for e in entries.filter_map(|e| e.ok()) {
        let path = e.path();
        let name = e.file_name().to_string_lossy().to_string();
        if path.is_dir() {
            if our_split(&name).is_some() {
                for f in parquet_files(&path)? {
                    found
                        .entry(name.clone())
                        .or_default()
                        .push(Shard { path: f, of: None });
                }
            }
            continue;
        }
        let Some(stem) = name.strip_suffix(".parquet") else {
            continue;
        };
        let (split, of) = shard_name(stem);
        found.entry(split).or_default().push(Shard { path, of });
    }
    for shards in found.values_mut() {
        shards.sort_by(|a, b| a.path.cmp(&b.path));
    }
    Ok(found)
}

fn parquet_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| DataError::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
        .collect();
    out.sort();
    Ok(out)
}

/// `train-00001-of-00004[-a1b2]` -> (`train`, Some((1, 4))); `train` -> (`train`, None).
fn shard_name(stem: &str) -> (String, Option<(usize, usize)>) {
    let parts: Vec<&str> = stem.split('-').collect();
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    for k in 1..parts.len().saturating_sub(1) {
        if parts[k] == "of" && k >= 2 && digits(parts[k - 1]) && digits(parts[k + 1]) {
            let n = (
                parts[k - 1].parse().unwrap_or(0),
                parts[k + 1].parse().unwrap_or(0),
            );
            return (parts[..k - 1].join("-"), Some(n));
        }
    }
    (stem.to_string(), None)
}

fn export_in(dir: &Path) -> Result<Export> {
    let mut splits: Vec<ExportSplit> = Vec::new();
    let mut ignored = Vec::new();
    for (hf, shards) in scan(dir)? {
        let Some(ours) = our_split(&hf) else {
            ignored.push(hf);
            continue;
        };
        if let Some(other) = splits.iter().find(|s| s.ours == ours) {
            return Err(DataError::source(
                dir,
                format!(
                    "splits `{}` and `{hf}` both map to our `{ours}`; keep one",
                    other.hf
                ),
            ));
        }
        check_shards(dir, &hf, &shards)?;
        let files: Vec<PathBuf> = shards.into_iter().map(|s| s.path).collect();
        let source = if files.len() == 1 {
            files[0].clone()
        } else if files[0].parent() == Some(dir) {
            dir.join(format!("{hf}-*.parquet"))
        } else {
            dir.join(&hf).join("*.parquet")
        };
        splits.push(ExportSplit {
            hf,
            ours,
            files,
            source,
        });
    }
    if !splits.iter().any(|s| s.ours == "train") {
        let have: Vec<&str> = splits
            .iter()
            .map(|s| s.hf.as_str())
            .chain(ignored.iter().map(String::as_str))
            .collect();
        return Err(DataError::source(
            dir,
            format!("no `train` split in this export (it has {have:?})"),
        ));
    }
    let order = |s: &ExportSplit| ["train", "dev", "test"].iter().position(|o| *o == s.ours);
    splits.sort_by_key(order);
    Ok(Export {
        dir: dir.into(),
        splits,
        ignored,
    })
}

/// Every shard `i` of `n` is there, once: a missing shard would silently drop rows.
fn check_shards(dir: &Path, split: &str, shards: &[Shard]) -> Result<()> {
    let numbered: Vec<(usize, usize)> = shards.iter().filter_map(|s| s.of).collect();
    if numbered.is_empty() {
        return Ok(());
    }
    let n = numbered[0].1;
    let bad = |msg: String| Err(DataError::source(dir, format!("split `{split}`: {msg}")));
    if numbered.len() != shards.len() || numbered.iter().any(|&(_, m)| m != n) {
        return bad("shard files disagree on the shard count (NNNNN-of-NNNNN)".into());
    }
    for i in 0..n {
        match numbered.iter().filter(|&&(j, _)| j == i).count() {
            1 => {}
            0 => return bad(format!("shard {i:05} of {n:05} is missing")),
            _ => return bad(format!("shard {i:05} of {n:05} is there more than once")),
        }
    }
    if numbered.len() != n {
        return bad(format!("{} shard files for {n:05} shards", numbered.len()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_names() {
        assert_eq!(
            shard_name("train-00001-of-00004"),
            ("train".into(), Some((1, 4)))
        );
        assert_eq!(
            shard_name("validation_matched-00000-of-00001-a1b2c3"),
            ("validation_matched".into(), Some((0, 1)))
        );
        assert_eq!(shard_name("test"), ("test".into(), None));
        assert_eq!(shard_name("my-split"), ("my-split".into(), None));
    }
}
