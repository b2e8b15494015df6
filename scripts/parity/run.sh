#!/usr/bin/env bash
# Builds the Hugging Face parity fixture crates/fewdims-bert/tests/fixtures/minilm_parity.safetensors
# from the real all-MiniLM-L6-v2 (run scripts/assets.sh first). See scripts/parity/README.md.
#
# Makes a venv at $FEWDIMS_CACHE/venv-torch (default ~/.cache/fewdims/venv-torch) with the pinned set
# below (torch 2.9.0 from PyPI is the CUDA build; it runs on CPU here), then runs make_reference.py.
# Idempotent: the venv is marked done by venv-torch/.complete holding the pin list; a second run
# reuses it. PYTHON picks the interpreter for the venv (default python3).
# Usage: scripts/parity/run.sh [extra args for make_reference.py]
#        scripts/parity/run.sh trajectory [extra args for make_trajectory.py]
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CACHE="${FEWDIMS_CACHE:-$HOME/.cache/fewdims}"
VENV="$CACHE/venv-torch"
PY="${PYTHON:-python3}"

# The torch wheel scripts/libtorch.sh already keeps in $CACHE/dl (reused when its sha256 matches).
TORCH_WHL="torch-2.9.0-cp311-cp311-manylinux_2_28_x86_64.whl"
TORCH_SHA="51de31219c97c51cf4bf2be94d622e3deb5dcc526c6dc00e97c17eaec0fc1d67"

# Every package, pinned; installed with --no-deps so nothing else sneaks in (pip check runs after).
LOCK='torch==2.9.0
transformers==4.57.6
tokenizers==0.22.1
safetensors==0.6.2
numpy==2.3.5
huggingface-hub==0.36.0
filelock==4.3.1
fsspec==2026.9.0
hf-xet==1.8.0 ; platform_machine == "x86_64" or platform_machine == "amd64" or platform_machine == "arm64" or platform_machine == "aarch64"
Jinja2==3.1.6
MarkupSafe==3.0.4
mpmath==1.3.0
networkx==3.6.1
packaging==26.4
PyYAML==6.0.4
regex==2026.11.19
requests==2.34.2
certifi==2026.10.19.post1
charset-normalizer==3.5.3
idna==3.20
urllib3==2.8.0
sympy==1.14.0
tqdm==4.70.1
typing_extensions==4.16.0
setuptools==80.9.0 ; python_version >= "3.12"
nvidia-cublas-cu12==12.8.4.1 ; platform_system == "Linux" and platform_machine == "x86_64"
nvidia-cuda-cupti-cu12==12.8.90 ; platform_system == "Linux" and platform_machine == "x86_64"
nvidia-cuda-nvrtc-cu12==12.8.93 ; platform_system == "Linux" and platform_machine == "x86_64"
nvidia-cuda-runtime-cu12==12.8.90 ; platform_system == "Linux" and platform_machine == "x86_64"
nvidia-cudnn-cu12==9.10.2.21 ; platform_system == "Linux" and platform_machine == "x86_64"
nvidia-cufft-cu12==11.3.3.83 ; platform_system == "Linux" and platform_machine == "x86_64"
nvidia-cufile-cu12==1.13.1.3 ; platform_system == "Linux" and platform_machine == "x86_64"
nvidia-curand-cu12==10.3.9.90 ; platform_system == "Linux" and platform_machine == "x86_64"
nvidia-cusolver-cu12==11.7.3.90 ; platform_system == "Linux" and platform_machine == "x86_64"
nvidia-cusparse-cu12==12.5.8.93 ; platform_system == "Linux" and platform_machine == "x86_64"
nvidia-cusparselt-cu12==0.7.1 ; platform_system == "Linux" and platform_machine == "x86_64"
nvidia-nccl-cu12==2.27.5 ; platform_system == "Linux" and platform_machine == "x86_64"
nvidia-nvjitlink-cu12==12.8.93 ; platform_system == "Linux" and platform_machine == "x86_64"
nvidia-nvshmem-cu12==3.3.20 ; platform_system == "Linux" and platform_machine == "x86_64"
nvidia-nvtx-cu12==12.8.90 ; platform_system == "Linux" and platform_machine == "x86_64"
triton==3.5.0 ; platform_system == "Linux" and platform_machine == "x86_64"'

if [ -f "$VENV/.complete" ] && [ "$(cat "$VENV/.complete")" = "$LOCK" ] && [ -x "$VENV/bin/python" ]; then
  echo "parity: reusing $VENV"
else
  # A venv cannot be moved after creation (its scripts hold absolute paths), so instead of a
  # rename the stamp is removed first and written last: a killed run is redone from scratch.
  echo "parity: creating $VENV"
  rm -rf "$VENV"
  mkdir -p "$CACHE"
  "$PY" -m venv "$VENV"
  REQ="$VENV/requirements.lock"
  printf '%s\n' "$LOCK" > "$REQ"
  WHL="$CACHE/dl/$TORCH_WHL"
  # (the wheel is cp311; with another Python pip fetches the matching torch 2.9.0 wheel itself)
  if [ -f "$WHL" ] && "$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' \
     && [ "$("$VENV/bin/python" -c 'import hashlib,sys; print(hashlib.file_digest(open(sys.argv[1],"rb"),"sha256").hexdigest())' "$WHL")" = "$TORCH_SHA" ]; then
    echo "parity: installing torch from $WHL"
    sed -i "s|^torch==2.9.0\$|torch @ file://$WHL|" "$REQ"
  fi
  "$VENV/bin/python" -m pip install --quiet --no-deps -r "$REQ"
  "$VENV/bin/python" -m pip check
  printf '%s' "$LOCK" > "$VENV/.complete"
fi

# `run.sh trajectory [args]`: the training trajectory fixture of fewdims-train instead.
if [ "${1:-}" = trajectory ]; then
  shift
  exec "$VENV/bin/python" "$HERE/make_trajectory.py" \
    --model "$CACHE/assets/all-MiniLM-L6-v2" \
    --snippets "$CACHE/assets/vader/movieReviewSnippets_GroundTruth.txt" \
    --out "$ROOT/crates/fewdims-train/tests/fixtures/minilm_trajectory.json" "$@"
fi
exec "$VENV/bin/python" "$HERE/make_reference.py" \
  --model "$CACHE/assets/all-MiniLM-L6-v2" \
  --out "$ROOT/crates/fewdims-bert/tests/fixtures/minilm_parity.safetensors" "$@"
