#!/usr/bin/env bash
# README command 1: installs what is missing, builds pkg/, then serves the demo page with a local
# WebSocket echo server. With --headless, drives the page in headless Chromium, prints the timeline
# of what happened and exits 0 only if it went as expected.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "demo: bootstrap"
bash scripts/bootstrap.sh
echo "demo: build"
bash scripts/build.sh
echo "demo: node examples/demo/server.js $*"
exec node examples/demo/server.js "$@"
