#!/usr/bin/env bash
# Makes the scikit-learn reference fixtures for crates/fewdims-probe/tests/it/sklearn.rs.
#   scripts/probe_reference/run.sh                  # synthetic fixtures, binary and 3-class (committed)
#   scripts/probe_reference/run.sh hidden/pretrained/movie   # real features, after `make` made them
#     (make probe-fixture). They are not committed: fewdims-cli's probe_sklearn test makes them
#     the same way in a temp dir and checks this fixture on them.
set -euo pipefail
cd "$(dirname "$0")/../.."
CACHE="${FEWDIMS_CACHE:-$HOME/.cache/fewdims}"
VENV="$CACHE/venv-bench"
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import sklearn, safetensors" 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "numpy==2.2.6" "scikit-learn==1.7.2" "safetensors==0.6.2"
fi
PY="$VENV/bin/python"
FIX=crates/fewdims-probe/tests/fixtures
if [ $# -eq 0 ]; then
  "$PY" scripts/probe_reference/make_fixture.py --synthetic "$FIX/synthetic" --layers 0,1 --out "$FIX/sklearn_synthetic.json"
  "$PY" scripts/probe_reference/make_fixture.py --synthetic "$FIX/synthetic3" --classes 3 --layers 0,1 --out "$FIX/sklearn_synthetic3.json"
else
  name="$(basename "$1")"
  "$PY" scripts/probe_reference/make_fixture.py --hidden "$1" --out "$FIX/sklearn_$name.json"
fi
