#!/usr/bin/env bash
# Assembles .gpucheck/, the folder a lent GPU machine gets (`device` tool: carry [".gpucheck"],
# command `bash .gpucheck/run.sh`). That machine has CUDA, PyTorch and transformers but no
# libtorch 2.9 and no network, so:
#   - extract-hidden travels stripped and xz-compressed, with stub libtorch_cpu.so/libc10.so that
#     define the symbols it links (each aborts if called; the wgpu path never calls them);
#   - the Vulkan loader and glvnd travel as Debian packages (unpacked there);
#   - the weights are made there: random MiniLM-shaped weights (seed 0, LayerNorms perturbed so
#     max-norm has no ties), the same file for both sides.
# run.sh checks wgpu (Vulkan) against transformers on CUDA on movie dev (every readout, every
# layer), then times both on movie train at batch 64 and 256.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
CACHE="${FEWDIMS_CACHE:-$HOME/.cache/fewdims}"
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/extract-hidden"
LIB="${LIBTORCH:-$CACHE/libtorch-2.9.0-cpu}/lib"
DEST=.gpucheck
EXCLUDE="$(git rev-parse --git-common-dir)/info/exclude"
grep -qx '/.gpucheck/' "$EXCLUDE" 2>/dev/null || echo '/.gpucheck/' >>"$EXCLUDE"
rm -rf "$DEST" && mkdir -p "$DEST/stub" "$DEST/gl"
make --no-print-directory build data/tok/all-MiniLM-L6-v2/movie/train.parquet >/dev/null
cp bench/gpu/check.py bench/gpu/run.sh "$CACHE/assets/all-MiniLM-L6-v2/config.json" "$DEST/"
cp data/tok/all-MiniLM-L6-v2/movie/{dev,train}.parquet "$DEST/"
strip -o "$DEST/extract-hidden" "$BIN" && xz -6 -T2 -f "$DEST/extract-hidden"
# Stubs: every symbol the binary takes from libtorch_cpu/libc10 (data symbols as zeroed storage).
nm -D --undefined-only "$BIN" | awk '{print $2}' | sed 's/@.*//' | sort -u >"$DEST/undef.txt"
for lib in libtorch_cpu libc10; do
  nm -D --defined-only "$LIB/$lib.so" | awk '{print $3, $2}' | sed 's/@[^ ]*//' | sort -u -k1,1 |
    join - "$DEST/undef.txt" | awk '
      BEGIN { print "#include <stdio.h>\n#include <stdlib.h>" }
      $2 ~ /^[VBDR]$/ { printf "char %s[4096] __attribute__((aligned(64)));\n", $1; next }
      { printf "void %s(void) { fputs(\"stub %s called\\n\", stderr); abort(); }\n", $1, $1 }' \
      >"$DEST/$lib.c"
  gcc -shared -fPIC -O1 -Wl,-soname,$lib.so -o "$DEST/stub/$lib.so" "$DEST/$lib.c"
done
# The stripped binary starts on the stubs alone (no libtorch at all).
xz -dc "$DEST/extract-hidden.xz" >/tmp/extract-hidden-stubbed && chmod +x /tmp/extract-hidden-stubbed
LD_LIBRARY_PATH="$DEST/stub" /tmp/extract-hidden-stubbed --help >/dev/null
mkdir -p /tmp/amd64/partial
o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
apt-get $o update -qq >/dev/null
(cd "$DEST/gl" && apt-get $o download -qq libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 2>/dev/null)
du -sh "$DEST"
