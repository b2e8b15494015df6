#!/usr/bin/env bash
# Assembles .gpucheck/ for the tch CUDA device check (bench/gpu/cuda.sh): one `device` tool call,
# carry [".gpucheck"], command `bash .gpucheck/cuda.sh`. That machine has torch 2.11.0+cu130 and
# transformers but no libtorch 2.9 and no network, and only 64 MiB travel, so:
#   - extract-hidden and finetune are built against torch 2.11.0 (scripts/build_cuda.sh), stripped
#     and xz-compressed; there they load the machine's own torch/lib (LD_LIBRARY_PATH);
#   - random MiniLM- and bert-base-shaped weights are made there (check.py make);
#   - the training check's model, the first 2 layers of the real all-MiniLM-L6-v2, travels as fp16;
#   - the Vulkan loader and glvnd travel as Debian packages, for the wgpu speed rows.
# DRY_RUN=1 then runs cuda.sh here on the CPU (DEVICE=cpu SMALL=1, with the 2.11 venv's torch).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
CACHE="${FEWDIMS_CACHE:-$HOME/.cache/fewdims}"
MODEL="$CACHE/assets/all-MiniLM-L6-v2"
BINS="${CUDA_BINS:-$CACHE/cuda-bin/torch-2.11.0}"
PY="$CACHE/venv-torch-2.11.0/bin/python"
DEST=.gpucheck
EXCLUDE="$(git rev-parse --git-common-dir)/info/exclude"
grep -qx '/.gpucheck/' "$EXCLUDE" 2>/dev/null || echo '/.gpucheck/' >>"$EXCLUDE"

[ -x "$BINS/finetune" ] || scripts/build_cuda.sh "$BINS"
# What the lent machine has beside torch 2.11 (for the minilm2 cut here, and the dry run).
"$PY" -c 'import transformers, safetensors, pyarrow' 2>/dev/null ||
  "$PY" -m pip install --quiet --no-input transformers==5.17.0 safetensors==0.8.0 pyarrow==26.0.1
make --no-print-directory data/tok/all-MiniLM-L6-v2/movie/train.parquet >/dev/null
rm -rf "$DEST" && mkdir -p "$DEST/gl" "$DEST/minilm2"
cp bench/gpu/check.py bench/gpu/cuda.sh "$DEST/"
cp data/tok/all-MiniLM-L6-v2/movie/{dev,train}.parquet "$DEST/"
for b in extract-hidden finetune; do xz -6 -T2 -c "$BINS/$b" >"$DEST/$b.xz"; done
"$PY" - "$MODEL" "$DEST" <<'PY'
import json, os, sys, torch
from safetensors.torch import load_file, save_file
model, dest = sys.argv[1:]
cfg = json.load(open(os.path.join(model, "config.json")))
json.dump(cfg, open(os.path.join(dest, "config-minilm.json"), "w"), indent=1)
base = dict(cfg, hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072)
json.dump(base, open(os.path.join(dest, "config-bert-base.json"), "w"), indent=1)
# The real MiniLM's embeddings and first 2 layers, fp16 (check.py widen makes them fp32 there).
keep = lambda k: not k.startswith(("encoder.layer.", "pooler.")) or k.split(".")[2] in ("0", "1")
t = {k: v.half().contiguous() for k, v in load_file(os.path.join(model, "model.safetensors")).items() if keep(k)}
save_file(t, os.path.join(dest, "minilm2", "model.safetensors"), metadata={"format": "pt"})
json.dump(dict(cfg, num_hidden_layers=2), open(os.path.join(dest, "minilm2", "config.json"), "w"), indent=1)
PY
mkdir -p /tmp/amd64/partial
o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
apt-get $o update -qq >/dev/null
(cd "$DEST/gl" && apt-get $o download -qq libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 2>/dev/null)
size=$(du -sm "$DEST" | cut -f1)
echo "prepare-cuda: $DEST is ${size} MiB (64 MiB travel)"
[ "$size" -lt 62 ] || { echo "prepare-cuda: $DEST is too big to travel" >&2; exit 1; }
if [ "${DRY_RUN:-0}" = 1 ]; then
  DEVICE=cpu SMALL=1 WGPU=0 PYTHON="$PY" bash "$DEST/cuda.sh"
fi
