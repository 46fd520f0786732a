#!/usr/bin/env bash
# README command 1: installs what is missing, builds pkg/, then serves the demo page with a local
# WebSocket server whose faults the page's buttons trigger (examples/demo/server.js). With
# --headless, plays a scripted fault scenario in headless Chromium, prints the page's timeline as a
# table, saves a screenshot (examples/demo/output/, or --out DIR) and exits 0 only if every check held.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "demo: bootstrap"
bash scripts/bootstrap.sh
echo "demo: build"
bash scripts/build.sh
echo "demo: node examples/demo/server.js $*"
exec node examples/demo/server.js "$@"
