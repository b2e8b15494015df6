#!/usr/bin/env bash
# Benchmark: every pair of dims on every layer (probe-dims --methods pair) against scikit-learn's
# LogisticRegression per probe (a timed random sample of pair fits, extrapolated). Target: >= 100x.
#   bench/probe/run.sh [HIDDEN_DIR] [READOUT]
# HIDDEN_DIR defaults to hidden/pretrained/movie; if absent, synthetic features of the same shape.
set -euo pipefail
cd "$(dirname "$0")/../.."
CACHE="${FEWDIMS_CACHE:-$HOME/.cache/fewdims}"
VENV="$CACHE/venv-bench"
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import pyarrow, sklearn, safetensors" 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "numpy==2.2.6" "scikit-learn==1.7.2" "safetensors==0.6.2" "pyarrow==21.0.0"
fi
PY="$VENV/bin/python"
HIDDEN="${1:-hidden/pretrained/movie}"
READOUT="${2:-cls}"
if [ ! -f "$HIDDEN/train.safetensors" ]; then
  HIDDEN="$CACHE/bench-probe/synthetic"
  echo "no real hidden states given or found: using synthetic movie-shaped features in $HIDDEN"
  [ -f "$HIDDEN/train.safetensors" ] || "$PY" bench/probe/synthetic.py "$HIDDEN"
fi
# Build through make (it sets LIBTORCH etc.), so the bench never times a stale binary.
make --no-print-directory build >/dev/null || { echo "bench: make build failed" >&2; exit 1; }
BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/probe-dims"
OUT="$CACHE/bench-probe/out"
mkdir -p "$OUT"
NPROC=$(nproc)

run() { # threads layers out -> seconds
  local t0=$EPOCHREALTIME
  "$BIN" --hidden "$HIDDEN" --methods pair --readouts "$READOUT" --layers "$2" --threads "$1" --quiet --out "$3" > "$3.log"
  "$PY" -c "print($EPOCHREALTIME - $t0)"
}
LAYERS=$("$PY" -c "import json,sys;from safetensors import safe_open;f=safe_open('$HIDDEN/train.safetensors','np');m=f.metadata();print(int(m['num_layers'])+1, m['hidden_size'])")
read -r NL H <<< "$LAYERS"
PAIRS=$(( H * (H - 1) / 2 ))
echo "features: $HIDDEN, readout $READOUT, $NL layers, H=$H: $PAIRS pairs per layer, $(( PAIRS * NL )) probes"
ALL=$(run 0 all "$OUT/all.parquet")
ONE=$(run 1 all "$OUT/one.parquet")
TOP=$(( NL - 1 ))
SK=$("$PY" bench/probe/sklearn_pairs.py --hidden "$HIDDEN" --probes "$OUT/all.parquet" --readout "$READOUT" --layer "$TOP" --sample 200)
echo "sklearn sample: $SK"
"$PY" - "$ALL" "$ONE" "$PAIRS" "$NL" "$NPROC" "$SK" <<'PYEOF'
import json, sys
all_s, one_s, pairs, nl, nproc, sk = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), json.loads(sys.argv[6])
ours_wall = all_s / (pairs * nl)
ours_core = one_s / (pairs * nl)
skp = sk["sklearn_per_probe_s"]
print(f"fewdims, all pairs x all layers, {nproc} threads: {all_s:.1f} s total, {ours_wall*1e6:.1f} us/probe (wall)")
print(f"fewdims, all pairs x all layers, 1 thread: {one_s:.1f} s, {ours_core*1e6:.1f} us/probe (whole process: reading and hashing the files included)")
print(f"scikit-learn LogisticRegression, 1 process: {skp*1e3:.2f} ms/probe -> all pairs x all layers ~ {skp*pairs*nl/3600:.2f} h")
print(f"ratio per probe, same single core: {skp/ours_core:.0f}x;  wall clock ({nproc} threads vs 1 sklearn process): {skp/ours_wall:.0f}x")
print(f"dev accuracy vs sklearn on {sk['compared']} sampled pairs: mean |diff| {sk['mean_abs_dev_acc_diff']:.4f}, max {sk['max_abs_dev_acc_diff']:.4f}")
PYEOF
