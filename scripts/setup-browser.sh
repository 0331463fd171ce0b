#!/usr/bin/env bash
# Installs Debian's chromium for the local HTML dashboard test (headless, driven
# by playwright-core with executablePath /usr/bin/chromium). Playwright's own
# browser download is not used: only Debian's package. Idempotent.
# Usage: scripts/setup-browser.sh [--quiet]
set -euo pipefail

quiet=()
[[ "${1:-}" == "--quiet" ]] && quiet=(-qq)

if [[ -x /usr/bin/chromium ]]; then
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "setup-browser: /usr/bin/chromium is missing and apt-get is not available; install Chromium by hand" >&2
  exit 1
fi
sudo=()
if [[ "$(id -u)" != 0 ]]; then
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update "${quiet[@]}"
"${sudo[@]}" apt-get install -y "${quiet[@]}" --no-install-recommends chromium
/usr/bin/chromium --version
