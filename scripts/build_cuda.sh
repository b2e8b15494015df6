#!/usr/bin/env bash
# Builds CUDA-capable stage binaries against a PyTorch install's libtorch, in a target dir of their
# own (the everyday build under ~/.cache/fewdims/target is untouched), then strips them into OUT.
#
#   scripts/build_cuda.sh [OUT]          (default OUT: $FEWDIMS_CACHE/cuda-bin/torch-<version>)
#
# PYTHON picks the interpreter whose `torch` is linked (LIBTORCH_USE_PYTORCH=1); it must be a CUDA
# build (torch/lib/libtorch_cuda.so). Without PYTHON the script makes a pinned venv with
# torch==2.11.0 from PyPI (cu130: the lent H200 machine's version) under $FEWDIMS_CACHE.
# tch 0.22 is written for libtorch 2.9; for another version the check is bypassed
# (LIBTORCH_BYPASS_VERSION_CHECK=1): 2.9 to 2.11 compile with C++17 (2.15 needs C++20).
# BINS picks the binaries (default: extract-hidden finetune, what the device check needs).
# Every binary must list libtorch_cuda.so as NEEDED (scripts/check_cuda_link.sh), or CUDA would
# never initialise; the script fails otherwise.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${FEWDIMS_CACHE:-$HOME/.cache/fewdims}"
TORCH_PIN="2.11.0"
BINS=(${BINS:-extract-hidden finetune})

if [ -z "${PYTHON:-}" ]; then
  venv="$CACHE/venv-torch-$TORCH_PIN"
  if [ ! -f "$venv/.complete" ]; then
    echo "build-cuda: making $venv (torch==$TORCH_PIN with its CUDA 13 wheels, about 3 GB)"
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --no-input "torch==$TORCH_PIN" numpy
    touch "$venv/.complete"
  fi
  PYTHON="$venv/bin/python"
fi
read -r version torch_lib < <("$PYTHON" -c 'import os, torch
print(torch.__version__.split("+")[0], os.path.join(os.path.dirname(torch.__file__), "lib"))')
if [ ! -f "$torch_lib/libtorch_cuda.so" ]; then
  echo "build-cuda: $torch_lib has no libtorch_cuda.so: $PYTHON's torch $version is a CPU build" >&2
  exit 1
fi
OUT="${1:-$CACHE/cuda-bin/torch-$version}"

# torch-sys asks `python` (in a venv) or `python3` for torch's paths; build/rpath.rs asks python3.
export VIRTUAL_ENV="$(dirname "$(dirname "$PYTHON")")" PATH="$(dirname "$PYTHON"):$PATH"
export PYTHON_SYS_EXECUTABLE="$PYTHON" LIBTORCH_USE_PYTORCH=1
unset LIBTORCH LIBTORCH_LIB LIBTORCH_INCLUDE
[ "$version" = 2.9.0 ] || export LIBTORCH_BYPASS_VERSION_CHECK=1
export CARGO_TARGET_DIR="${CUDA_TARGET_DIR:-$CACHE/target-torch-$version}"
echo "build-cuda: torch $version ($torch_lib), target dir $CARGO_TARGET_DIR"

cd "$ROOT"
# The same --workspace --all-targets set as `make`, so features unify exactly as in the everyday
# build (a copy of that target dir only rebuilds what sits above torch-sys).
cargo build --workspace --all-targets
bins=("${BINS[@]/#/$CARGO_TARGET_DIR/debug/}")
scripts/check_cuda_link.sh "$torch_lib" "${bins[@]}"

mkdir -p "$(dirname "$OUT")"
tmp="$(mktemp -d "${OUT%/}.tmp.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
for b in "${BINS[@]}"; do strip -o "$tmp/$b" "$CARGO_TARGET_DIR/debug/$b"; done
echo "$version" >"$tmp/torch-version"
rm -rf "$OUT" && mv "$tmp" "$OUT"
trap - EXIT
echo "build-cuda: $OUT ($(du -sh "$OUT" | cut -f1)): ${BINS[*]}; they load libtorch from $torch_lib"
echo "build-cuda: elsewhere, run them with LD_LIBRARY_PATH=<that machine's torch/lib>"
