#!/usr/bin/env bash
# Device check: fewdims extract-hidden on wgpu (Vulkan, the real GPU) vs transformers on CUDA.
cd "$(dirname "$0")"
export PYTHONUNBUFFERED=1
for f in gl/*.deb; do dpkg -x "$f" /; done; ldconfig
ldconfig -p | grep -c libvulkan
for d in /usr/local/nvidia/share/vulkan/icd.d /usr/share/vulkan/icd.d /etc/vulkan/icd.d; do ls $d 2>/dev/null; done
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
xz -dkf extract-hidden.xz && chmod +x extract-hidden
export LD_LIBRARY_PATH=$PWD/stub
R=cls,max-norm,mean,pos:1
python3 check.py make /tmp/rmodel 2>&1 | grep -v Warning
python3 check.py ref /tmp/rmodel dev.parquet /tmp/ref_dev.safetensors cuda 2>&1 | grep impl
t0=$EPOCHREALTIME
VK_LOADER_DEBUG=error ./extract-hidden --model /tmp/rmodel --in dev.parquet --out /tmp/ours_dev.safetensors --readouts $R --backend wgpu --device gpu:0 --quiet 2>&1 | grep -v "^   " | head -20
echo "first wgpu run (kernel compilation included): $(awk "BEGIN{print $EPOCHREALTIME - $t0}") s"
[ -f /tmp/ours_dev.safetensors ] || { echo "wgpu run failed"; exit 1; }
python3 check.py cmp /tmp/ref_dev.safetensors /tmp/ours_dev.safetensors
for bs in 64 256; do
  for i in 1 2; do
    ./extract-hidden --model /tmp/rmodel --in train.parquet --out /tmp/ours_train.safetensors --readouts $R --backend wgpu --device gpu:0 --batch-size $bs --quiet 2>&1 | tail -1
  done
done
for bs in 64 256; do python3 check.py ref /tmp/rmodel train.parquet /tmp/ref_train_$bs.safetensors cuda $bs 2>&1 | grep impl; done
python3 check.py cmp /tmp/ref_train_256.safetensors /tmp/ours_train.safetensors
