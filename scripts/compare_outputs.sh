#!/usr/bin/env bash
# Checks that two runs of the main job gave the same numbers (old vs new binaries, say):
#   scripts/compare_outputs.sh A B [--tol X]
# A and B are checkout roots holding runs/, probes/, reports/<name>/ (and optionally hidden/).
# See scripts/compare_outputs.py. Exits 1 when any file differs.
#
# Runs in a venv at $FEWDIMS_CACHE/venv-compare (default ~/.cache/fewdims) with the pins below,
# made on first use and marked done by venv-compare/.complete holding the pins. PYTHON picks the
# interpreter for the venv (default python3).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="${FEWDIMS_CACHE:-$HOME/.cache/fewdims}"
VENV="$CACHE/venv-compare"
PY="${PYTHON:-python3}"
PINS="numpy==2.3.5 pyarrow==26.0.1"

if [ "$(cat "$VENV/.complete" 2>/dev/null)" != "$PINS" ]; then
  rm -rf "$VENV"
  "$PY" -m venv "$VENV"
  # shellcheck disable=SC2086 # PINS is a list of requirement specs
  "$VENV/bin/pip" install -q --disable-pip-version-check $PINS >&2
  echo "$PINS" > "$VENV/.complete"
fi
exec "$VENV/bin/python" "$HERE/compare_outputs.py" "$@"
