#!/usr/bin/env bash
# Creates .venv (if missing) and installs glm-lsp into it; with "dev" also the test/lint tools.
# Idempotent: a second run only checks what is installed. llama-cpp-python compiles from source
# the first time (several minutes on 2 cores); pip caches the built wheel afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
# shellcheck disable=SC1091
. .venv/bin/activate
python -m pip install --quiet --upgrade pip
if [ "${1:-}" = "dev" ]; then
  python -m pip install --quiet -e '.[dev]'
else
  python -m pip install --quiet -e .
fi
