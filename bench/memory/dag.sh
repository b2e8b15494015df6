#!/usr/bin/env bash
# Peak memory of a small DAG under make -j N: movie's prepare and tokenize, the 4 token-wise
# fine-tunes (FT_MAX_TRAIN=200) and 3 pretrained hidden-state files. Prints the peak RSS and PSS
# summed over make's process tree (rss.py, sampled every 0.2 s) and each stage's own peak
# (SUBMIT=/usr/bin/time). Usage: bench/memory/dag.sh N   (README, "Memory")
set -euo pipefail
N="${1:?usage: bench/memory/dag.sh JOBS}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
CACHE="${FEWDIMS_CACHE:-$HOME/.cache/fewdims}"
A="$CACHE/assets"
make --no-print-directory build >/dev/null
B="${CARGO_TARGET_DIR:-$ROOT/target}/debug"
D="$(mktemp -d "${TMPDIR:-/tmp}/fewdims-mem.XXXXXX")"
trap 'rm -rf "$D"' EXIT
python3 bench/memory/rss.py "make-j$N" -- make -j "$N" --no-print-directory sweep-token hidden \
  CARGO=true CARGO_STAMP="$D/cargo-stamp" BIN="$B" ASSETS="$A" FEWDIMS_ASSETS="$A" \
  MODEL=all-MiniLM-L6-v2 MODEL_DIR="$A/all-MiniLM-L6-v2" \
  TASKS_DIR="$D/data/tasks" TOK_DIR="$D/data/tok" RUNS_DIR="$D/runs" HIDDEN_DIR="$D/hidden" \
  PROBE_DIR="$D/probes" REPORTS_DIR="$D/reports" SEEDS= FT_MAX_TRAIN=200 TASK=movie \
  MAIN_TASKS=movie PROBE_TASKS=movie CROSS_FROM=movie HIDDEN_IDS=pretrained \
  SUBMIT="/usr/bin/time -f '%M kB %e s %C' -a -o $D/stages.txt" > "$D/make.log" 2>&1 ||
  { tail -20 "$D/make.log"; exit 1; }
awk '{printf "%6d MB %6.0f s  %s\n", $1/1024, $3, $5}' "$D/stages.txt"
