#!/usr/bin/env bash
# `npm run setup`: every setup step, each one run even when an earlier one could
# not finish (each says what it could not install and how), then one summary.
# Exits 1 when a step failed, so CI still stops.
# Usage: scripts/setup.sh [--quiet]
set -uo pipefail
cd "$(dirname "$0")/.."

failed=()
for step in python browser; do
  if ! bash "scripts/setup-$step.sh" "$@"; then
    failed+=("$step")
  fi
done
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "setup: not done: ${failed[*]} (see the lines above); the rest is set up" >&2
  exit 1
fi
