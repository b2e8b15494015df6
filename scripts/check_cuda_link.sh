#!/usr/bin/env bash
# Checks that every binary linking libtorch_cpu also needs libtorch_cuda, when the libtorch in use
# has it. Without that NEEDED entry (the linker's --as-needed drops it: tch calls none of its
# symbols), CUDA is never initialised: `--device cuda:0` fails and `auto` falls back to CPU.
# build/rpath.rs adds -Wl,--no-as-needed,-ltorch_cuda; this proves it took.
#   scripts/check_cuda_link.sh LIBTORCH_LIB_DIR BINARY...
set -euo pipefail
lib="$1"; shift
if [ ! -e "$lib/libtorch_cuda.so" ]; then
  echo "cuda-link: $lib has no libtorch_cuda.so (a CPU libtorch): nothing to check"
  exit 0
fi
bad=0
for bin in "$@"; do
  needed="$(readelf -d "$bin" | grep '(NEEDED)' || true)"
  if grep -q 'libtorch_cpu\.so' <<<"$needed" && ! grep -q 'libtorch_cuda\.so' <<<"$needed"; then
    echo "cuda-link: $bin links libtorch_cpu.so but does not need libtorch_cuda.so: CUDA would never initialise" >&2
    bad=1
  fi
done
[ "$bad" = 0 ] && echo "cuda-link: every binary that links libtorch_cpu.so needs libtorch_cuda.so ($lib)"
exit "$bad"
