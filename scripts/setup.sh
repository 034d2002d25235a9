#!/usr/bin/env bash
# Creates .venv (if missing) and installs glm-lsp into it:
#   scripts/setup.sh          the server only
#   scripts/setup.sh dev      + test/lint tools and the training extra (tests/training needs torch)
#   scripts/setup.sh train    + the training extra only (models/tiny: torch, tokenizers, corpus)
# Idempotent: a second run only checks what is installed. llama-cpp-python compiles from source
# the first time (several minutes on 2 cores); pip caches the built wheel afterwards. The train
# extra pins torch==2.13.0, whose CPU build plain pip takes from this machine's disk; never
# install torch unpinned (or with uv/poetry), which downloads a CUDA build of several GB.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
# shellcheck disable=SC1091
. .venv/bin/activate
python -m pip install --quiet --upgrade pip
# llama.cpp's default -march=native build turns on ggml's AMX kernels on CPUs that have AMX, and
# GCC 12 optimises their tile configuration away: SIGSEGV (ldtilecfg) on the first decode. Build
# a portable AVX2 binary instead (pip's wheel cache ignores CMAKE_ARGS: see the repair below).
export CMAKE_ARGS="${CMAKE_ARGS:-} -DGGML_NATIVE=OFF"
case "${1:-}" in
  dev) python -m pip install --quiet -e '.[dev,train]' ;;
  train) python -m pip install --quiet -e '.[train]' ;;
  "") python -m pip install --quiet -e . ;;
  *) echo "usage: scripts/setup.sh [dev|train]" >&2; exit 2 ;;
esac
# Repair a llama-cpp-python built natively with AMX (an earlier setup, or pip's cached wheel of
# it): rebuild it once with the flags above, and cache that wheel instead.
if python -c "import llama_cpp, sys; sys.exit('AMX_INT8 = 1' not in llama_cpp.llama_print_system_info().decode())" 2>/dev/null; then
  version=$(python -c "import importlib.metadata as m; print(m.version('llama-cpp-python'))")
  echo "setup: rebuilding llama-cpp-python $version without -march=native (AMX crash)" >&2
  python -m pip cache remove llama_cpp_python >/dev/null 2>&1 || true
  python -m pip install --quiet --force-reinstall --no-deps "llama-cpp-python==$version"
fi
