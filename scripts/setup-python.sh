#!/usr/bin/env bash
# Creates the project's Python virtualenv (.venv) if missing and installs the
# compaction job's pinned requirements into it (glue/requirements-dev.txt).
# Idempotent: a stamp holding the requirements' hash skips pip when nothing changed.
# Usage: scripts/setup-python.sh [--quiet]
set -euo pipefail
cd "$(dirname "$0")/.."

quiet=()
[[ "${1:-}" == "--quiet" ]] && quiet=(--quiet)

python="${PYTHON:-python3}"
if ! command -v "$python" >/dev/null; then
  echo "setup-python: could not set up .venv: $python not found; install Python 3.11 (the Glue 5.0 job's version; Debian/Ubuntu: sudo apt-get install python3 python3-venv) or set PYTHON to one" >&2
  exit 1
fi
# The job runs on Glue 5.0 (Python 3.11); test on the same minor version when we can, never older.
if ! "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
  echo "setup-python: could not set up .venv: $("$python" --version) is older than 3.11, the Glue 5.0 job's Python; install 3.11 or newer and set PYTHON to it" >&2
  exit 1
fi

if [[ ! -x .venv/bin/python ]]; then
  if ! "$python" -m venv .venv; then
    echo "setup-python: could not create .venv with $python -m venv; Debian/Ubuntu: sudo apt-get install python3-venv (needs root), or set PYTHON to a Python 3.11+ with venv" >&2
    exit 1
  fi
fi

stamp=.venv/.requirements.sha256
want="$(cat glue/requirements.txt glue/requirements-dev.txt | sha256sum | cut -d' ' -f1)"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi
# pip asks the public index before the local mirror; where there is no internet, fail fast and fall through.
.venv/bin/python -m pip install "${quiet[@]}" --disable-pip-version-check --retries 0 --timeout 5 -r glue/requirements-dev.txt
echo "$want" >"$stamp"
