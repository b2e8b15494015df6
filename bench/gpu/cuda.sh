#!/usr/bin/env bash
# Device check of the tch CUDA path (issue 15), run from .gpucheck/ (bench/gpu/prepare_cuda.sh):
#   1. parity: extract-hidden --backend tch against transformers, TF32 off, random MiniLM- and
#      bert-base-shaped weights made here; every readout at every layer within 1e-4;
#   2. training: fine-tuning the first 2 layers of the real all-MiniLM-L6-v2 (carried as fp16) for
#      2 epochs of 4,800 movie rows (300 steps); the loss falls and dev accuracy beats the majority;
#   3. speed on the bert-base shape, batch 64 (extraction) and 32 (training), fp32 everywhere:
#      fewdims tch, fewdims wgpu, transformers, and transformers with bf16 autocast.
# DEVICE=cpu runs it all on the CPU (a dry run of the script; SMALL=1 shrinks it); WGPU=0 skips wgpu.
set -uo pipefail
cd "$(dirname "$0")"
export PYTHONUNBUFFERED=1
DEV="${DEVICE:-cuda:0}"; TDEV="${DEV%%:*}"
SMALL="${SMALL:-0}"; WGPU="${WGPU:-1}"
PY="${PYTHON:-python3}"
TORCH_LIB="$("$PY" -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')"
export LD_LIBRARY_PATH="$TORCH_LIB${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
W=/tmp/fewdims-cuda-check; rm -rf "$W"; mkdir -p "$W"
for b in extract-hidden finetune; do xz -dc "$b.xz" >"$W/$b" && chmod +x "$W/$b"; done
if [ "$WGPU" = 1 ] && [ -d gl ]; then # the Vulkan loader and glvnd, for wgpu (as run.sh)
  for f in gl/*.deb; do dpkg -x "$f" /; done; ldconfig
  icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  [ -f "$icd" ] && export VK_DRIVER_FILES="$icd" \
    __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
fi
fail=0
step() { echo; echo "== $*"; }

step "machine"
"$PY" -c 'import torch, transformers; print("torch", torch.__version__, "transformers", transformers.__version__,
  "cuda", torch.cuda.is_available() and torch.cuda.get_device_name(0))'
"$W/finetune" --help >/dev/null || { echo "finetune does not start (libtorch from $TORCH_LIB)"; exit 1; }
readelf -d "$W/finetune" | grep -o 'libtorch_cuda.so' | head -1

TRAIN=train.parquet; DEVSET=dev.parquet; FT_ROWS=4800; SPEED_ROWS=4000; SHAPES="minilm bert-base"
if [ "$SMALL" = 1 ]; then FT_ROWS=320; SPEED_ROWS=256; SHAPES=minilm
  "$PY" -c 'import pyarrow.parquet as pq; t = pq.read_table("dev.parquet"); pq.write_table(t.take(list(range(0, len(t), 8))), "/tmp/fewdims-cuda-check/dev.parquet")'
  DEVSET="$W/dev.parquet"; fi

step "1. parity: tch $DEV vs transformers $TDEV"
for shape in $SHAPES; do
  "$PY" check.py make "$W/$shape" "config-$shape.json" 2>&1 | grep -v Warning
  "$PY" check.py ref "$W/$shape" "$DEVSET" "$W/ref-$shape.safetensors" "$TDEV" 64 2>&1 | grep impl
  "$W/extract-hidden" --model "$W/$shape" --in "$DEVSET" --out "$W/ours-$shape.safetensors" \
    --readouts cls,max-norm,mean,pos:1 --backend tch --device "$DEV" --batch-size 64 --quiet || fail=1
  echo "$shape:"; "$PY" check.py cmp "$W/ref-$shape.safetensors" "$W/ours-$shape.safetensors" 1e-4 || fail=1
done

step "2. training: real MiniLM, 2 layers, $FT_ROWS rows x 2 epochs, tch $DEV"
"$PY" check.py widen minilm2 "$W/minilm2"
"$W/finetune" --model "$W/minilm2" --train "$TRAIN" --dev "$DEVSET" --out "$W/ft" --epochs 2 \
  --max-train "$FT_ROWS" --batch-size 32 --lr 1e-4 --seed 1 --backend tch --device "$DEV" --quiet >/dev/null || fail=1
"$PY" check.py learned "$W/ft" "$DEVSET" || fail=1

step "3. speed, bert-base shape ($SPEED_ROWS rows): extraction rows/s (batch 64, second run's loop)"
speed_model="$W/bert-base"; [ "$SMALL" = 1 ] && speed_model="$W/minilm"
"$PY" -c "import pyarrow.parquet as pq; pq.write_table(pq.read_table('$TRAIN').slice(0, $SPEED_ROWS), '$W/speed.parquet')"
extract_rate() { # backend device
  for i in 1 2; do
    line="$("$W/extract-hidden" --model "$speed_model" --in "$W/speed.parquet" --out "$W/speed-$1.safetensors" \
      --readouts cls,max-norm,mean,pos:1 --backend "$1" --device "$2" --batch-size 64 --quiet 2>&1 | tail -1)"
  done
  echo "$line" | sed -E 's/.* ([0-9]+) rows .*\(loop ([0-9.]+) s\).*/\1 \2/' |
    awk -v b="fewdims-$1" -v d="$2" '{ printf "{\"impl\": \"%s\", \"device\": \"%s\", \"rows_per_second\": %.1f}\n", b, d, $1 / $2 }'
}
extract_rate tch "$DEV"
[ "$WGPU" = 1 ] && extract_rate wgpu "${WGPU_DEVICE:-gpu:0}"
"$PY" check.py ref "$speed_model" "$W/speed.parquet" "$W/ref-speed.safetensors" "$TDEV" 64 2>&1 | grep impl

step "3. speed: train examples/s (batch 32, steady state: the difference of two run lengths)"
train_rate() { # backend device
  for n in 320 $((SPEED_ROWS < 1600 ? 640 : 1600)); do
    "$W/finetune" --model "$speed_model" --train "$TRAIN" --dev "$DEVSET" --out "$W/speed-ft-$1-$n" --epochs 1 \
      --max-train "$n" --batch-size 32 --seed 1 --backend "$1" --device "$2" --quiet >/dev/null || return 1
  done
  "$PY" - "$W/speed-ft-$1-320/run.json" "$W/speed-ft-$1-$n/run.json" "fewdims-$1" "$2" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
rows = lambda r: r["timings"]["train_seconds"] * r["timings"]["train_examples_per_second"]
rate = (rows(b) - rows(a)) / (b["timings"]["train_seconds"] - a["timings"]["train_seconds"])
print(json.dumps({"impl": sys.argv[3], "device": sys.argv[4], "train_examples_per_second": round(rate, 1)}))
PY
}
train_rate tch "$DEV" || fail=1
[ "$WGPU" = 1 ] && { train_rate wgpu "${WGPU_DEVICE:-gpu:0}" || echo "wgpu training failed (not counted)"; }
steps=$([ "$SMALL" = 1 ] && echo 4 || echo 40)
"$PY" check.py train "$speed_model" "$TRAIN" "$TDEV" 32 "$steps" 2>&1 | grep impl
[ "$TDEV" = cuda ] && "$PY" check.py train "$speed_model" "$TRAIN" "$TDEV" 32 "$steps" bf16 2>&1 | grep impl

echo; [ "$fail" = 0 ] && echo "cuda check: PASS" || echo "cuda check: FAIL"
exit "$fail"
