#!/usr/bin/env bash
# Before any GPU time: the binaries scripts/build_cuda.sh built against torch 2.11 run here on the
# CPU and match the everyday build (libtorch 2.9): extract-hidden on movie dev (every readout,
# every layer) and a short fine-tune (curve, dev/test scores), both `--backend tch --device cpu`.
# Also: `--device cuda` on this GPU-less machine must fail with a clear message.
#   bench/gpu/cpu_parity.sh [CUDA_BIN_DIR]   (default $FEWDIMS_CACHE/cuda-bin/torch-2.11.0)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
CACHE="${FEWDIMS_CACHE:-$HOME/.cache/fewdims}"
NEW="${1:-$CACHE/cuda-bin/torch-2.11.0}"
OLD="${CARGO_TARGET_DIR:-$ROOT/target}/debug"
PY="$CACHE/venv-torch-2.11.0/bin/python"
MODEL="$CACHE/assets/all-MiniLM-L6-v2"; TOK=data/tok/all-MiniLM-L6-v2/movie
W="$(mktemp -d)"; trap 'rm -rf "$W"' EXIT
make --no-print-directory build "$TOK/dev.parquet" "$TOK/test.parquet" >/dev/null
for side in old new; do
  bin="$OLD"; [ "$side" = new ] && bin="$NEW"
  "$bin/extract-hidden" --model "$MODEL" --in "$TOK/dev.parquet" --out "$W/$side.safetensors" \
    --readouts cls,max-norm,mean,pos:1 --backend tch --device cpu --quiet | sed "s/^/$side: /"
  "$bin/finetune" --model "$MODEL" --train "$TOK/train.parquet" --dev "$TOK/dev.parquet" \
    --test "$TOK/test.parquet" --out "$W/ft-$side" --max-train 320 --epochs 1 --seed 1 \
    --backend tch --device cpu --quiet >/dev/null
done
"$PY" - "$W" <<'PY'
import json, sys
import numpy as np, pyarrow.parquet as pq
from safetensors.numpy import load_file
w = sys.argv[1]
a, b = load_file(f"{w}/old.safetensors"), load_file(f"{w}/new.safetensors")
hid = max(float(np.abs(a[k].astype(np.float64) - b[k]).max()) for k in a if a[k].dtype.kind == "f")
ca, cb = (pq.read_table(f"{w}/ft-{s}/curve.parquet").to_pydict() for s in ("old", "new"))
loss = max(abs(x - y) / abs(x) for x, y in zip(ca["loss"], cb["loss"]))
fa, fb = (json.load(open(f"{w}/ft-{s}/run.json"))["final"] for s in ("old", "new"))
score = max(abs((x["value"] or 0) - (y["value"] or 0)) for x, y in zip(fa, fb))
ok = hid <= 1e-4 and loss <= 1e-3 and score <= 0.01 and len(ca["loss"]) == len(cb["loss"])
print(f"cpu parity, torch 2.11 build vs 2.9 build: hidden max |diff| {hid:.2e} (bound 1e-4); "
      f"{len(ca['loss'])} curve points, loss max rel diff {loss:.2e} (1e-3); scores max diff {score:.4f} (0.01)")
print("cpu parity: PASS" if ok else "cpu parity: FAIL")
sys.exit(0 if ok else 1)
PY
if out="$("$NEW/extract-hidden" --model "$MODEL" --in "$TOK/dev.parquet" --out "$W/cuda.safetensors" \
    --backend tch --device cuda:0 --quiet 2>&1)"; then
  echo "--device cuda:0 ran on a machine without a GPU" >&2; exit 1
fi
echo "--device cuda:0 here:$(grep -m1 "CUDA device" <<<"$out")"
