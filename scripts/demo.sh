#!/usr/bin/env bash
# The main job: set up, then start the real server on examples/sample_workspace over stdio and
# show ranked completions with their reasons, plus ghost text from the shipped tiny test model.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# shellcheck disable=SC1091
. .venv/bin/activate
exec glm-lsp demo "$@"
