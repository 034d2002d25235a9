#!/usr/bin/env bash
# The test job: set up (dev + train extras, so tests/training has torch; real-editor
# dependencies), lint, type-check, run every test.
# Exits non-zero on any failure; pytest itself fails when no test was collected.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh dev
bash .ci/editors.sh
# shellcheck disable=SC1091
. .venv/bin/activate
echo "== ruff check"; ruff check .
echo "== ruff format --check"; ruff format --check .
echo "== mypy --strict glm_lsp"; mypy --strict glm_lsp
echo "== pytest"; python -m pytest -q -p no:cacheprovider "$@"
