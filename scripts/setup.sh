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
case "${1:-}" in
  dev) python -m pip install --quiet -e '.[dev,train]' ;;
  train) python -m pip install --quiet -e '.[train]' ;;
  "") python -m pip install --quiet -e . ;;
  *) echo "usage: scripts/setup.sh [dev|train]" >&2; exit 2 ;;
esac
