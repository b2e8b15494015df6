#!/usr/bin/env bash
# Extraction speed, fewdims `extract-hidden` vs PyTorch 2.9 + transformers (output_hidden_states),
# same machine, one run: same weights (all-MiniLM-L6-v2), token file, readouts (cls, max-norm, mean,
# pos:1 at every layer), batch size and threads (2). Target: >= 1.2x sentences/s.
# Usage: bench/extract/run.sh [SPLIT]   (default: movie train, 7988 rows; BACKENDS="tch flex")
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
CACHE="${FEWDIMS_CACHE:-$HOME/.cache/fewdims}"
VENV="$CACHE/venv-torch"
SPLIT="${1:-train}"
MODEL="$CACHE/assets/all-MiniLM-L6-v2"
TOK="data/tok/all-MiniLM-L6-v2/movie/$SPLIT.parquet"
OUT="${OUT:-$CACHE/bench/extract}"
BATCH="${BATCH:-64}"
mkdir -p "$OUT"
[ -f "$VENV/.complete" ] || scripts/parity/run.sh   # builds the pinned torch/transformers venv
"$VENV/bin/python" -c 'import pyarrow' 2>/dev/null || "$VENV/bin/pip" install -q pyarrow==22.0.0
make --no-print-directory build "$TOK" >/dev/null
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug"
ROWS=$("$VENV/bin/python" -c 'import pyarrow.parquet as pq,sys; print(pq.read_metadata(sys.argv[1]).num_rows)' "$TOK")
# fewdims is timed as a whole process (load, extract, write the file); transformers only its loop.
{
  for backend in ${BACKENDS:-tch flex}; do
    OMP_NUM_THREADS=2 /usr/bin/time -f '%M %e' -o "$OUT/time" "$BIN/extract-hidden" --model "$MODEL" --in "$TOK" \
      --out "$OUT/fewdims-$backend.safetensors" --readouts cls,max-norm,mean,pos:1 --batch-size "$BATCH" \
      --backend "$backend" --device cpu --quiet >/dev/null
    read -r rss wall < "$OUT/time"
    python3 -c 'import json,sys; n=int(sys.argv[3]); w=float(sys.argv[2]); print(json.dumps({"impl": "fewdims-"+sys.argv[1], "rows": n, "seconds": w, "rows_per_second": n/w, "peak_rss_mib": int(sys.argv[4])/1024}))' \
      "$backend" "$wall" "$ROWS" "$rss"
  done
  OMP_NUM_THREADS=2 "$VENV/bin/python" bench/extract/hf_extract.py --model "$MODEL" --tok "$TOK" --batch-size "$BATCH"
} | tee "$OUT/results.jsonl"
python3 - "$OUT/results.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
peer = next(r for r in rows if r["impl"] == "transformers")
for r in rows:
    print(f"{r['impl']:<14} {r['rows']} rows  {r['seconds']:7.1f} s  {r['rows_per_second']:7.1f} sentences/s  "
          f"peak RSS {r['peak_rss_mib']:6.0f} MiB  ratio vs transformers {r['rows_per_second'] / peer['rows_per_second']:.2f}x")
PY
