#!/usr/bin/env bash
# Makes sure a Chromium or Chrome is there for the local HTML dashboard test and
# the site test (headless, driven by playwright-core; Playwright's own browser
# download is not used). An installed one is used as it is: CHROMIUM_PATH, else
# the first of the commands below on PATH (local/browser.ts looks in the same
# order). Otherwise Debian's chromium package is installed with apt-get, as root
# or through sudo. Without either, it says what to do and exits 1. Idempotent.
# Usage: scripts/setup-browser.sh [--quiet]
set -euo pipefail

quiet=()
[[ "${1:-}" == "--quiet" ]] && quiet=(-qq)
# Keep in step with CHROMIUM_COMMANDS in local/browser.ts.
commands=(chromium chromium-browser google-chrome google-chrome-stable chrome)

found() {
  if [[ -n "${CHROMIUM_PATH:-}" ]]; then
    [[ -f "$CHROMIUM_PATH" && -x "$CHROMIUM_PATH" ]] && echo "$CHROMIUM_PATH"
    return
  fi
  local c
  for c in "${commands[@]}"; do
    if command -v "$c" >/dev/null; then
      command -v "$c"
      return
    fi
  done
}

how="install Chromium or Google Chrome yourself (Debian/Ubuntu: sudo apt-get install chromium), or set CHROMIUM_PATH to one that is installed"

if [[ -n "${CHROMIUM_PATH:-}" && -z "$(found)" ]]; then
  echo "setup-browser: CHROMIUM_PATH=$CHROMIUM_PATH is not an executable file; $how" >&2
  exit 1
fi
if [[ -n "$(found)" ]]; then
  [[ ${#quiet[@]} -eq 0 ]] && echo "setup-browser: using $(found)"
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "setup-browser: could not install Chromium: no browser found and apt-get is not available; $how" >&2
  exit 1
fi
# Root installs directly; otherwise sudo, if it can run without a prompt or there is a terminal to prompt on.
as_root=()
if [[ "$(id -u)" != 0 ]]; then
  if command -v sudo >/dev/null && { sudo -n true 2>/dev/null || [[ -t 0 ]]; }; then
    as_root=(sudo)
  else
    echo "setup-browser: could not install Chromium: not root and no usable sudo; $how" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update "${quiet[@]}"
"${as_root[@]}" apt-get install -y "${quiet[@]}" --no-install-recommends chromium
chromium --version
