#!/usr/bin/env bash
# README command 1: installs what is missing, builds pkg/, then serves the demo page with a local
# WebSocket server whose faults the page's buttons trigger (examples/demo/server.js). With
# --headless, plays a scripted fault scenario in a headless browser (--engine chromium, the default,
# firefox or webkit), prints the page's timeline as a table, saves a screenshot
# (examples/demo/output/, or --out DIR) and exits 0 only if every check held.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "demo: bootstrap"
bash scripts/bootstrap.sh
echo "demo: build"
bash scripts/build.sh
# WebKit's MiniBrowser has no headless mode: it gets a virtual display when there is none.
case " $* " in
  *" --engine webkit "* | *" --engine=webkit "*)
    if [ -z "${DISPLAY:-}" ]; then
      echo "demo: xvfb-run -a node examples/demo/server.js $*"
      exec xvfb-run -a node examples/demo/server.js "$@"
    fi
    ;;
esac
echo "demo: node examples/demo/server.js $*"
exec node examples/demo/server.js "$@"
