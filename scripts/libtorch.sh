#!/usr/bin/env bash
# Builds a CPU-only libtorch 2.9.0 tree (the version tch 0.22 needs) from pinned PyPI wheels.
# PyPI has no CPU-only torch wheel, so we cut one out of the CUDA wheel: libtorch_cpu, libc10,
# libgomp and the headers, plus libcudart/libcupti (which libtorch_cpu links) from two small
# nvidia wheels, and an empty stub libtorch.so (the real one pulls in libtorch_cuda).
#
# Usage: scripts/libtorch.sh [DEST]   (default: $FEWDIMS_CACHE/libtorch-2.9.0-cpu)
# Idempotent: a finished tree is marked by DEST/.complete; a second run does nothing.
set -euo pipefail

CACHE="${FEWDIMS_CACHE:-$HOME/.cache/fewdims}"
DEST="${1:-$CACHE/libtorch-2.9.0-cpu}"
DL="$CACHE/dl"
PY="${PYTHON:-python3}"

TORCH_WHL="torch-2.9.0-cp311-cp311-manylinux_2_28_x86_64.whl"
TORCH_SHA="51de31219c97c51cf4bf2be94d622e3deb5dcc526c6dc00e97c17eaec0fc1d67"
CUDART_WHL="nvidia_cuda_runtime_cu12-12.8.90-py3-none-manylinux2014_x86_64.manylinux_2_17_x86_64.whl"
CUDART_SHA="adade8dcbd0edf427b7204d480d6066d33902cab2a4707dcfc48a2d0fd44ab90"
CUPTI_WHL="nvidia_cuda_cupti_cu12-12.8.90-py3-none-manylinux2014_x86_64.manylinux_2_17_x86_64.whl"
CUPTI_SHA="ea0cb07ebda26bb9b29ba82cda34849e73c166c18162d3913575b0c9db9a6182"

if [ -f "$DEST/.complete" ]; then
  echo "libtorch: $DEST is ready"
  exit 0
fi
if [ "$(uname -sm)" != "Linux x86_64" ]; then
  echo "libtorch: this script cuts a Linux x86_64 tree; on $(uname -sm) set LIBTORCH yourself" >&2
  exit 1
fi

mkdir -p "$DL"
fetch() { # fetch FILE SHA PIP_SPEC [PIP_ARGS...]
  local file="$1" sha="$2" spec="$3"; shift 3
  if [ ! -f "$DL/$file" ] || ! echo "$sha  $DL/$file" | sha256sum --check --status; then
    rm -f "$DL/$file"
    echo "libtorch: downloading $spec"
    "$PY" -m pip download --quiet --no-deps --only-binary :all: -d "$DL" "$@" "$spec"
  fi
  if ! echo "$sha  $DL/$file" | sha256sum --check --status; then
    echo "libtorch: checksum mismatch for $DL/$file (expected sha256 $sha)" >&2
    exit 1
  fi
}
fetch "$TORCH_WHL" "$TORCH_SHA" torch==2.9.0 --python-version 3.11 --platform manylinux_2_28_x86_64
fetch "$CUDART_WHL" "$CUDART_SHA" nvidia-cuda-runtime-cu12==12.8.90 --python-version 3.11 --platform manylinux_2_17_x86_64
fetch "$CUPTI_WHL" "$CUPTI_SHA" nvidia-cuda-cupti-cu12==12.8.90 --python-version 3.11 --platform manylinux_2_17_x86_64

TMP="$(mktemp -d "${DEST}.tmp.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
echo "libtorch: unpacking into $DEST"
"$PY" - "$DL" "$TMP" "$TORCH_WHL" "$CUDART_WHL" "$CUPTI_WHL" <<'PYEOF'
import os, shutil, sys, zipfile
dl, out, torch_whl, cudart_whl, cupti_whl = sys.argv[1:]
lib = os.path.join(out, "lib")
os.makedirs(lib)
def extract(whl, keep, rename=None):
    with zipfile.ZipFile(os.path.join(dl, whl)) as z:
        for info in z.infolist():
            name = info.filename
            if info.is_dir() or not keep(name):
                continue
            target = rename(name)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with z.open(info) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst)
torch_libs = {"libtorch_cpu.so", "libc10.so", "libgomp.so.1"}
extract(torch_whl,
        lambda n: n.startswith("torch/include/") or n.split("/")[-1] in torch_libs and n.startswith("torch/lib/"),
        lambda n: os.path.join(out, n[len("torch/"):]))
for whl in (cudart_whl, cupti_whl):
    extract(whl,
            lambda n: "/lib/" in n and (".so." in n) and ("libcudart.so" in n or "libcupti.so" in n),
            lambda n: os.path.join(lib, n.split("/")[-1]))
PYEOF
cd "$TMP/lib"
ln -sf libgomp.so.1 libgomp.so
for f in libcudart.so.* libcupti.so.*; do
  base="${f%%.so.*}.so"
  [ -e "$base" ] || ln -sf "$f" "$base"
done
# The real libtorch.so only glues libtorch_cpu to libtorch_cuda: a stub keeps -ltorch happy.
echo 'void fewdims_libtorch_stub(void) {}' > stub.c
${CC:-cc} -shared -fPIC -o libtorch.so stub.c -Wl,-soname,libtorch.so
rm stub.c
echo "2.9.0" > "$TMP/build-version"
cd /
rm -rf "$DEST"
mv "$TMP" "$DEST"
trap - EXIT
touch "$DEST/.complete"
echo "libtorch: $DEST is ready ($(du -sh "$DEST" | cut -f1))"
