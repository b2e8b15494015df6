#!/usr/bin/env bash
# Extraction speed and memory, fewdims `extract-hidden` vs PyTorch 2.9 + transformers
# (output_hidden_states), same machine, one run: same weights (all-MiniLM-L6-v2), token file,
# readouts (cls, max-norm, mean, pos:1 at every layer), batch size and CPU threads.
# Target: >= 1.2x sentences/s.
#
# Usage: bench/extract/run.sh [SPLIT]     movie SPLIT (default train, 7,988 rows)
#   REPEAT=3      runs per side, interleaved (this VM's timings drift by ~10%); medians reported
#   THREADS=2     the CPU threads both sides get (OMP_NUM_THREADS and torch.set_num_threads)
#   SCALE=4       also run once on the split repeated SCALE times, for peak RSS at two sizes of N
#   BACKENDS=tch  fewdims backends to time (tch, flex)
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
REPEAT="${REPEAT:-3}"
THREADS="${THREADS:-2}"
SCALE="${SCALE:-4}"
mkdir -p "$OUT"
[ -f "$VENV/.complete" ] || scripts/parity/run.sh   # builds the pinned torch/transformers venv
"$VENV/bin/python" -c 'import pyarrow' 2>/dev/null || "$VENV/bin/pip" install -q pyarrow==22.0.0
make --no-print-directory build "$TOK" >/dev/null
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug"
PY="$VENV/bin/python"
rows() { "$PY" -c 'import pyarrow.parquet as pq,sys; print(pq.read_metadata(sys.argv[1]).num_rows)' "$1"; }

# One fewdims run as a JSON line: whole process (start, load, extract, write) and its batch loop.
fewdims() { # backend tokfile
  local log="$OUT/fewdims.log"
  OMP_NUM_THREADS=$THREADS /usr/bin/time -f '%M %e' -o "$OUT/time" "$BIN/extract-hidden" --model "$MODEL" \
    --in "$2" --out "$OUT/fewdims-$1.safetensors" --readouts cls,max-norm,mean,pos:1 \
    --batch-size "$BATCH" --backend "$1" --device cpu --quiet >"$log"
  read -r rss wall <"$OUT/time"
  "$PY" - "$1" "$(rows "$2")" "$wall" "$rss" "$log" <<'PY'
import json, re, sys
backend, n, wall, rss, log = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
text = open(log).read()
loop = float(re.search(r"\(loop ([0-9.]+) s\)", text).group(1))
workers = re.search(r"(\d+) workers", text)
print(json.dumps({"impl": "fewdims-" + backend, "rows": n, "seconds": wall, "loop_seconds": loop,
                  "peak_rss_mib": rss / 1024, "workers": int(workers.group(1)) if workers else 1}))
PY
}

peer() { # tokfile
  OMP_NUM_THREADS=$THREADS "$PY" bench/extract/hf_extract.py --model "$MODEL" --tok "$1" \
    --batch-size "$BATCH" --threads "$THREADS"
}

: >"$OUT/results.jsonl"
for rep in $(seq "$REPEAT"); do
  for backend in ${BACKENDS:-tch}; do fewdims "$backend" "$TOK" | tee -a "$OUT/results.jsonl"; done
  peer "$TOK" | tee -a "$OUT/results.jsonl"
done

if [ "$SCALE" -gt 1 ]; then
  BIG="$OUT/movie-$SPLIT-x$SCALE.parquet"
  "$PY" - "$TOK" "$BIG" "$SCALE" <<'PY'
import sys, pyarrow as pa, pyarrow.parquet as pq
t = pq.read_table(sys.argv[1])
pq.write_table(pa.concat_tables([t] * int(sys.argv[3])), sys.argv[2])
PY
  fewdims tch "$BIG" | sed 's/"impl": "fewdims-tch"/"impl": "fewdims-tch", "scaled": true/' | tee -a "$OUT/results.jsonl"
  peer "$BIG" | sed 's/"impl": "transformers"/"impl": "transformers", "scaled": true/' | tee -a "$OUT/results.jsonl"
fi

"$PY" - "$OUT/results.jsonl" "$THREADS" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
timed = [r for r in rows if not r.get("scaled")]
peer = [r for r in timed if r["impl"] == "transformers"]
peer_rate = statistics.median(r["rows"] / r["seconds"] for r in peer)
print(f"\nmedians over {len(peer)} interleaved runs, {sys.argv[2]} CPU threads each side "
      f"(transformers is timed on its loop only, everything kept in RAM):")
print(f"  {'transformers':<14} loop {peer_rate:7.1f} sentences/s")
for impl in sorted({r["impl"] for r in timed} - {"transformers"}):
    mine = [r for r in timed if r["impl"] == impl]
    whole = statistics.median(r["rows"] / r["seconds"] for r in mine)
    loop = statistics.median(r["rows"] / r["loop_seconds"] for r in mine)
    print(f"  {impl:<14} loop {loop:7.1f} sentences/s  ({loop / peer_rate:.2f}x, like for like)   "
          f"whole process {whole:7.1f} sentences/s  ({whole / peer_rate:.2f}x)   "
          f"{mine[0]['workers']} workers")
print("\npeak RSS by N:")
for r in rows:
    print(f"  {r['impl']:<14} N={r['rows']:>6}  {r['peak_rss_mib']:6.0f} MiB")
PY
