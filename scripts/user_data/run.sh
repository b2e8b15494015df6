#!/usr/bin/env bash
# Writes the user-data samples crates/fewdims-cli/tests/fixtures/user_data/ (make_samples.py says
# what each is) with `datasets` and pandas, pinned below.
#
# Makes a venv at $FEWDIMS_CACHE/venv-samples (default ~/.cache/fewdims/venv-samples) with the pinned
# set (every package, installed with --no-deps so nothing else sneaks in; pip check runs after).
# Idempotent: venv-samples/.complete holds the pin list; a second run reuses the venv.
# PYTHON picks the interpreter for the venv (default python3).
# Usage: scripts/user_data/run.sh [OUT_DIR]
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="${FEWDIMS_CACHE:-$HOME/.cache/fewdims}"
VENV="$CACHE/venv-samples"
PY="${PYTHON:-python3}"

LOCK='datasets==5.2.0
pyarrow==26.0.1
pandas==3.1.1
numpy==2.4.6
python-dateutil==4.0.0
tzdata==2026.6
dill==0.4.1
multiprocess==0.70.19
xxhash==4.1.0
fsspec==2026.9.0
huggingface_hub==2.4.0
hf-xet==1.8.0 ; platform_machine == "x86_64" or platform_machine == "amd64" or platform_machine == "arm64" or platform_machine == "aarch64"
filelock==4.3.1
packaging==26.4
PyYAML==6.0.4
tqdm==4.70.1
typing_extensions==4.16.0
click==8.5.1
httpx2==2.16.2
httpcore2==2.16.2
h11==0.16.0
anyio==4.16.0
idna==3.20
truststore==0.10.5'

if [ -f "$VENV/.complete" ] && [ "$(cat "$VENV/.complete")" = "$LOCK" ] && [ -x "$VENV/bin/python" ]; then
  echo "samples: reusing $VENV"
else
  # The stamp is removed first and written last: a killed run is redone from scratch.
  echo "samples: creating $VENV"
  rm -rf "$VENV"
  mkdir -p "$CACHE"
  "$PY" -m venv "$VENV"
  printf '%s\n' "$LOCK" > "$VENV/requirements.lock"
  "$VENV/bin/python" -m pip install --quiet --no-deps -r "$VENV/requirements.lock"
  "$VENV/bin/python" -m pip check
  printf '%s' "$LOCK" > "$VENV/.complete"
fi

exec "$VENV/bin/python" "$HERE/make_samples.py" "$@"
