//! Shared helpers of the BERT integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// The asset cache `make assets` fills (FEWDIMS_ASSETS, else $FEWDIMS_CACHE/assets, else ~/.cache/fewdims/assets).
pub fn assets_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("FEWDIMS_ASSETS") {
        return dir.into();
    }
    let cache = std::env::var_os("FEWDIMS_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").expect("HOME is set")).join(".cache/fewdims")
        });
    cache.join("assets")
}

/// The real all-MiniLM-L6-v2 model dir; panics (never skips) when `make assets` has not run.
pub fn minilm_dir() -> PathBuf {
    let dir = assets_dir().join("all-MiniLM-L6-v2");
    assert!(
        dir.join("model.safetensors").exists(),
        "the real model is missing at {}: run `make assets` first",
        dir.display()
    );
    dir
}
