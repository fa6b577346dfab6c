#!/usr/bin/env bash
# The GPU benchmark in one go, for a machine with an NVIDIA GPU (about 8 minutes, most of it
# generating the random ViT-H/14 once):
#   tools/bench/gpu.sh            # results under $OUT, default bench-results/gpu/
# Run from the repository root after `npm ci`. It
#   1. records the GPU and the CUDA 12 / cuDNN 9 libraries the dynamic loader finds;
#   2. installs onnxruntime-node's CUDA provider binaries (ONNXRUNTIME_NODE_INSTALL=cuda12, the
#      package's own install script: it downloads Microsoft.ML.OnnxRuntime.Gpu.Linux from
#      api.nuget.org, so it needs that host; skipped when they are already there);
#   3. runs `npm run bench -- embed --device cuda`: images/s of the real image model and of a
#      random ViT-H/14, fp32 and fp16, batch 32/64/128 (it generates the ViT-H/14, ~5 GB, under
#      .data/models/ on first use: needs Debian's python3-onnx and ~10 GB free disk).
# Each step's output goes to $OUT/<step>.txt as well as the terminal; the script stops at the
# first step that fails and says which.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT="${OUT:-bench-results/gpu}"
mkdir -p "$OUT"

step() {
  local name=$1
  shift
  echo "== $name: $*"
  if ! "$@" 2>&1 | tee "$OUT/$name.txt"; then
    echo "== $name failed (output in $OUT/$name.txt)" >&2
    exit 1
  fi
}

machine() {
  # Inside `step`'s `if`, bash ignores set -e: each command that must stop the script says so.
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv || { echo "no NVIDIA driver here (nvidia-smi)"; return 1; }
  echo "CPU cores: $(nproc); node $(node --version)"
  echo "libraries the loader finds (onnxruntime's CUDA provider needs CUDA 12 and cuDNN 9):"
  ldconfig -p | grep -E 'libcudart\.so\.12|libcublas\.so\.12|libcublasLt\.so\.12|libcufft\.so\.11|libcurand\.so\.10|libcudnn\.so\.9' ||
    echo "  none of libcudart 12, libcublas 12, libcudnn 9 in ldconfig's cache: add their folder to LD_LIBRARY_PATH"
}

install_cuda_provider() {
  local dir=node_modules/onnxruntime-node/bin/napi-v6/linux/x64
  if [[ -f $dir/libonnxruntime_providers_cuda.so ]]; then
    echo "CUDA provider already installed in $dir"
  else
    ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js || return 1
  fi
  ls -l "$dir"
}

[[ -d node_modules/onnxruntime-node ]] || { echo "run npm ci first" >&2; exit 1; }
/usr/bin/python3 -c 'import onnx, numpy' || { echo "needs Debian's python3-onnx: apt-get install -y python3-onnx" >&2; exit 1; }
step machine machine
step install-cuda-provider install_cuda_provider
step embed-cuda timeout 420 npm run bench -- embed --device cuda
echo "results in $OUT/"
