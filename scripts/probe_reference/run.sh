#!/usr/bin/env bash
# Makes the scikit-learn reference fixtures for crates/fewdims-probe/tests/it/sklearn.rs.
#   scripts/probe_reference/run.sh                  # synthetic fixture (committed)
#   scripts/probe_reference/run.sh hidden/pretrained/movie   # real features, once extract-hidden ran
set -euo pipefail
cd "$(dirname "$0")/../.."
CACHE="${FEWDIMS_CACHE:-$HOME/.cache/fewdims}"
VENV="$CACHE/venv-bench"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "numpy==2.2.6" "scikit-learn==1.7.2" "safetensors==0.6.2"
fi
FIX=crates/fewdims-probe/tests/fixtures
if [ $# -eq 0 ]; then
  "$VENV/bin/python" scripts/probe_reference/make_fixture.py --synthetic "$FIX/synthetic" --out "$FIX/sklearn_synthetic.json"
else
  name="$(basename "$1")"
  "$VENV/bin/python" scripts/probe_reference/make_fixture.py --hidden "$1" --out "$FIX/sklearn_$name.json"
fi
