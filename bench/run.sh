#!/usr/bin/env bash
# `npm run bench`: the benchmark (see BENCHMARKS.md, which it writes). Needs what README command 2
# set up (bootstrap); installs the benchmark's own dependencies (the peers and esbuild) into
# bench/node_modules from bench/package-lock.json, so the package's dependencies stay clean.
# Arguments go to bench/run.js (`--only throughput,replay` runs a subset and writes nothing;
# `--only cluster --merge` writes that subset into bench/results.json and BENCHMARKS.md).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

say() { printf 'bench: %s\n' "$*"; }

[ -d node_modules ] || { say "FAILED: node_modules is missing: run scripts/bootstrap.sh first"; exit 1; }

# Built again when a source of the wasm is newer than it: a stale pkg/ would measure an older core
# under the current JS (the option slots of js/abi.js would no longer match the module's).
wasm=pkg/resilient_websocket_bg.wasm
if [ -f "$wasm" ] && [ -f pkg/resilient_websocket.js ] && [ -z "$(find src Cargo.toml Cargo.lock -newer "$wasm" -print -quit)" ]; then
  say "pkg/ ... ok"
else
  say "pkg/ ... building (scripts/build.sh)"
  bash scripts/build.sh
fi

# Same stamp scheme as scripts/bootstrap.sh: npm ci again only when the manifest or lock changed.
stamp=bench/node_modules/.bench-lock-hash
lock_hash=$(cat bench/package.json bench/package-lock.json | sha256sum | awk '{ print $1 }')
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$lock_hash" ]; then
  say "bench/node_modules (npm ci) ... ok"
else
  say "bench/node_modules (npm ci) ... installing"
  # --ignore-scripts: esbuild's postinstall only re-checks the binary that its platform package
  # (@esbuild/linux-x64 and the like) already brings, which esbuild's API finds on its own.
  (cd bench && npm ci --no-audit --no-fund --ignore-scripts)
  printf '%s\n' "$lock_hash" >"$stamp"
fi

exec node bench/run.js "$@"
