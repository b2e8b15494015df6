#!/usr/bin/env bash
# Tokenize throughput, ours vs Python `tokenizers` encode_batch, on the same task file and
# tokenizer, same machine, one run each. Prints sentences/s of both and the ratio.
#
#   bench/tokenize/run.sh [TASK_PARQUET]      (default: data/tasks/tweets3/train.parquet; run `make tasks` first)
#
# Env: FEWDIMS_CACHE (default ~/.cache/fewdims), BIN (folder of prebuilt stage binaries; by default
# `make build` builds them into $CARGO_TARGET_DIR/debug, ./target/debug without it), TOKENIZER,
# MAX_LEN (128). The Python venv (tokenizers, pyarrow) is made on first use in $FEWDIMS_CACHE/venv-bench.
set -euo pipefail
cd "$(dirname "$0")/../.."
CACHE="${FEWDIMS_CACHE:-$HOME/.cache/fewdims}"
if [[ -z "${BIN:-}" ]]; then  # build through make (it sets LIBTORCH etc.): never a stale binary
    make --no-print-directory build >/dev/null || { echo "bench: make build failed" >&2; exit 1; }
    BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug"
fi
TOKENIZER="${TOKENIZER:-$CACHE/assets/all-MiniLM-L6-v2/tokenizer.json}"
MAX_LEN="${MAX_LEN:-128}"
INPUT="${1:-data/tasks/tweets3/train.parquet}"
VENV="$CACHE/venv-bench"

for f in "$BIN/tokenize" "$TOKENIZER" "$INPUT"; do
    [[ -e "$f" ]] || { echo "bench: missing $f (make assets, make tasks first)" >&2; exit 1; }
done
if [[ ! -x "$VENV/bin/python" ]] || ! "$VENV/bin/python" -c "import tokenizers, pyarrow" 2>/dev/null; then
    "${PYTHON:-python3}" -m venv "$VENV"
    "$VENV/bin/pip" install --quiet "tokenizers==0.22.2" "pyarrow==22.0.0"
fi

OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
echo "input: $INPUT   tokenizer: $TOKENIZER   max_len: $MAX_LEN   cores: $(nproc)"

# ours: the stage binary reports its encode time (reading/writing parquet excluded) and rows/s
start=$(date +%s.%N)
line="$("$BIN/tokenize" --tokenizer "$TOKENIZER" --max-len "$MAX_LEN" --in "$INPUT" --out "$OUT/tok.parquet" --no-progress)"
end=$(date +%s.%N)
ours_rate="$(sed -E 's/.*\(([0-9.]+) rows\/s\).*/\1/' <<<"$line")"
ours_wall="$("$VENV/bin/python" -c "print(f'{$end - $start:.3f}')")"
echo "ours:   $line"

py_line="$("$VENV/bin/python" - "$INPUT" "$TOKENIZER" "$MAX_LEN" <<'PY'
import sys, time
import pyarrow.parquet as pq
from tokenizers import Tokenizer
path, tok_path, max_len = sys.argv[1], sys.argv[2], int(sys.argv[3])
t0 = time.perf_counter()
table = pq.read_table(path, columns=["text_a", "text_b"])
a, b = table.column("text_a").to_pylist(), table.column("text_b").to_pylist()
inputs = a if all(x is None for x in b) else list(zip(a, b))
tok = Tokenizer.from_file(tok_path)
tok.no_padding()
tok.enable_truncation(max_len, strategy="longest_first")
t1 = time.perf_counter()
enc = tok.encode_batch(inputs)
t2 = time.perf_counter()
n = len(enc)
print(f"{n} {t2 - t1:.4f} {n / (t2 - t1):.0f} {t2 - t0:.4f} {sum(len(e.ids) for e in enc)}")
PY
)"
read -r py_rows py_secs py_rate py_total py_tokens <<<"$py_line"
echo "python: rows=$py_rows tokens=$py_tokens encode_batch ${py_secs}s ($py_rate rows/s); with parquet read ${py_total}s"
echo "ours end to end (process, parquet read+write): ${ours_wall}s"
"$VENV/bin/python" -c "print(f'ratio (ours / python encode_batch, sentences/s): {$ours_rate / $py_rate:.2f}')"
