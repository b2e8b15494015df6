#!/usr/bin/env bash
# Fine-tune accuracy and speed, fewdims vs PyTorch 2.9 + transformers, same machine, one run.
# Same weights (all-MiniLM-L6-v2), same token files (data/tok/.../movie), same readout (CLS of the
# last layer, linear head), batch size, epochs, lr schedule, clipping and thread count (2).
# Then defaults vs defaults: `finetune` with no flags but the data vs transformers' Trainer with its
# defaults (batch 8, 3 epochs), on DEFAULTS_TRAIN rows (default 640; DEFAULTS_TRAIN=0 skips it).
# Usage: bench/finetune/run.sh [SEEDS...]   (default seeds 1 2 3; MAX_TRAIN=N subsamples train)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
CACHE="${FEWDIMS_CACHE:-$HOME/.cache/fewdims}"
VENV="$CACHE/venv-torch"
SEEDS=("${@:-1 2 3}"); SEEDS=(${SEEDS[*]})
EPOCHS="${EPOCHS:-2}"
MODEL="$CACHE/assets/all-MiniLM-L6-v2"
TOK="data/tok/all-MiniLM-L6-v2/movie"
OUT="${OUT:-$CACHE/bench/finetune}"
mkdir -p "$OUT"
[ -f "$VENV/.complete" ] || scripts/parity/run.sh   # builds the pinned torch/transformers venv
"$VENV/bin/python" -c 'import pyarrow' 2>/dev/null || "$VENV/bin/pip" install -q pyarrow==22.0.0
make --no-print-directory build "$TOK/train.parquet" "$TOK/dev.parquet" "$TOK/test.parquet" >/dev/null
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug"
sub=(); [ -n "${MAX_TRAIN:-}" ] && sub=(--max-train "$MAX_TRAIN")
for seed in "${SEEDS[@]}"; do
  OMP_NUM_THREADS=2 /usr/bin/time -f '%M' -o "$OUT/rss" "$BIN/finetune" --model "$MODEL" --train "$TOK/train.parquet" \
    --dev "$TOK/dev.parquet" --test "$TOK/test.parquet" --out "$OUT/fewdims-$seed" --epochs "$EPOCHS" \
    --seed "$seed" --backend "${BACKEND:-tch}" --device cpu --quiet "${sub[@]}" >/dev/null
  python3 - "$OUT/fewdims-$seed/run.json" "$(cat "$OUT/rss")" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); f = {m["split"]: m["value"] for m in r["final"] if m["metric"] == "accuracy"}
print(json.dumps({"impl": "fewdims-" + r["backend"], "seed": r["seed"], "best_epoch": r["best_epoch"],
  "dev_accuracy": f["dev"], "test_accuracy": f.get("test"),
  "train_examples_per_second": r["timings"]["train_examples_per_second"], "peak_rss_mib": int(sys.argv[2]) / 1024}))
PY
  OMP_NUM_THREADS=2 "$VENV/bin/python" bench/finetune/hf_finetune.py --model "$MODEL" --tok "$TOK" --seed "$seed" \
    --epochs "$EPOCHS" "${sub[@]}"
done | tee "$OUT/results.jsonl"
DEFAULTS_TRAIN="${DEFAULTS_TRAIN:-640}"
if [ "$DEFAULTS_TRAIN" != 0 ]; then
  OMP_NUM_THREADS=2 "$BIN/finetune" --model "$MODEL" --train "$TOK/train.parquet" --dev "$TOK/dev.parquet" \
    --test "$TOK/test.parquet" --out "$OUT/fewdims-defaults" --max-train "$DEFAULTS_TRAIN" --quiet >/dev/null
  python3 - "$OUT/fewdims-defaults/run.json" <<'PY' | tee -a "$OUT/results.jsonl"
import json, sys
r = json.load(open(sys.argv[1])); f = {m["split"]: m["value"] for m in r["final"] if m["metric"] == "accuracy"}
print(json.dumps({"impl": "fewdims-defaults", "seed": r["seed"], "best_epoch": r["best_epoch"],
  "dev_accuracy": f["dev"], "test_accuracy": f.get("test"), "backend": r["backend"],
  "train_examples_per_second": r["timings"]["train_examples_per_second"], "peak_rss_mib": float("nan")}))
PY
  OMP_NUM_THREADS=2 "$VENV/bin/python" bench/finetune/hf_finetune.py --model "$MODEL" --tok "$TOK" \
    --max-train "$DEFAULTS_TRAIN" --trainer-defaults 2>/dev/null | grep '^{"impl"' | tee -a "$OUT/results.jsonl"
fi
python3 bench/finetune/summary.py "$OUT/results.jsonl"
