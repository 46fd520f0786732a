#!/usr/bin/env bash
# Builds the three wasm packages (API.md, "Builds"), each the JS glue and the optimised .wasm:
#   pkg/        plain delivery only (`--no-default-features --features js-face`): the default, slim
#               and IIFE entries;
#   pkg-acked/  both modes (the crate's default features, `acked` and `js-face`): resilient-websocket/acked;
#   pkg-share/  both modes and `share` (the default features plus `share`): resilient-websocket/share.
# Then the npm entries' generated files in dist/.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

say() { printf 'build: %s\n' "$*"; }

# wasm-opt is binaryen's, pinned in package-lock.json (bootstrap's npm ci installs it). Not Debian's:
# bookworm's binaryen 108 writes a table export with the wrong table index, so the module exported
# the function table as wasm-bindgen's externref table and failed at init ("WebAssembly.Table.set():
# Argument 1 is invalid for table"). rustc records the wasm features it used in the module's
# target_features section and wasm-opt enables exactly those, so no --enable-* flag can go stale.
wasm_opt=node_modules/.bin/wasm-opt
[ -x "$wasm_opt" ] || { say "FAILED: $wasm_opt is missing: run scripts/bootstrap.sh (npm ci)"; exit 1; }
names=$(mktemp)
trap 'rm -f "$names" pkg/*.min pkg-acked/*.min pkg-share/*.min' EXIT

# build_package DIR OPT_LEVEL [CARGO_ARGS...]: one wasm package into DIR, its Rust compiled at
# OPT_LEVEL (the release profile's opt-level for this package only).
build_package() {
  local out=$1 opt_level=$2
  shift 2
  local cargo_args=()
  [ $# -eq 0 ] || cargo_args=(-- "$@")
  # --mode no-install: wasm-pack must use the wasm-bindgen that bootstrap installed, never download one.
  # Cargo.toml turns off wasm-pack's own wasm-opt (it would download binaryen); the one below runs instead.
  # wasm-pack also asks crates.io's web API for a newer wasm-pack; where that API is out of reach it warns
  # "failed to get wasm-pack version", which is harmless.
  # The module links std, with talc as its allocator (src/lib.rs) and the release profile's
  # panic = "abort" (Cargo.toml), the same code that the wasm tests and clippy build.
  say "wasm-pack build --target web --release --out-dir $out --no-pack ${cargo_args[*]} (opt-level $opt_level)"
  CARGO_PROFILE_RELEASE_OPT_LEVEL=$opt_level wasm-pack build --mode no-install --target web --release --out-dir "$out" --no-pack "${cargo_args[@]}"

  local wasm=$out/resilient_websocket_bg.wasm
  [ -f "$wasm" ] || { say "FAILED: wasm-pack did not produce $wasm"; exit 1; }

  local features
  features=$("$wasm_opt" --print-features "$wasm" -o /dev/null | sed 's/^--enable-//' | paste -sd, -)
  say "wasm-opt --minify-imports-and-exports-and-modules ($("$wasm_opt" --version); features from the module: $features; $(stat -c %s "$wasm") bytes before)"
  # wasm-bindgen's import and export names end in hashes that gzip cannot compress: binaryen renames
  # them all and prints the mapping, which scripts/minify-glue.js applies to the glue. Of binaryen's
  # three such passes only the one that also renames modules touches wasm-bindgen's imports:
  # --minify-imports and --minify-imports-and-exports rename only those from `env` and `wasi_*`.
  # Measured against the import rewriter this replaced (scripts/shorten-wasm-imports.js, which left
  # the exports long), gzipped: 24,700 bytes of .wasm against 24,955, and 34,973 bytes of the default
  # entry against 35,376 (the glue shrinks too). It runs on its own, before -Oz:
  # --converge would run it again on every round, renaming the renamed; and renaming first measured
  # 88 bytes smaller gzipped than renaming last. The exports' names are the glue's business alone:
  # no entry hands them out (the tests that read the module's memory find it by its type).
  "$wasm_opt" --minify-imports-and-exports-and-modules "$wasm" -o "$wasm.min" >"$names"
  # Besides -Oz: a function with a single caller is inlined only up to 30 instructions (larger ones
  # stay apart, which costs some raw bytes but leaves gzip more repeats: about 2% less gzipped);
  # --converge repeats the passes while the module still shrinks; and the producers and
  # target_features sections go, metadata that no engine reads.
  say "wasm-opt -Oz"
  "$wasm_opt" -Oz --one-caller-inline-max-function-size=30 --converge \
    --strip-producers --strip-target-features "$wasm.min" -o "$wasm"
  node scripts/minify-glue.js "$wasm" "$names" "$out/resilient_websocket.js"
  rm -f "$wasm.min"

  # The shipped module's size, raw and gzip -9 (e2e/package/size.test.js holds it to the budget; from
  # standard input, as there, so that gzip stores no file name in its output).
  say "size: $wasm $(stat -c %s "$wasm") bytes raw, $(gzip -9 -c <"$wasm" | wc -c) bytes gzipped"
}

# The opt-level that ships each module smaller, measured gzipped after wasm-opt (2026-12-02): the
# plain build at "s" ships a default entry of 29,418 bytes against 29,733 at "z" (its .wasm 19,628
# against 19,901), while the acked build at "s" ships 35,693 against 35,572 at "z".
build_package pkg s --no-default-features --features js-face
build_package pkg-acked z
build_package pkg-share z --features share

# The npm entries (see scripts/package-entries.js): the inlining entries' wasm and the IIFE bundle go
# to dist/, which is generated like pkg/ and pkg-acked/.
say "package entries (node scripts/package-entries.js)"
node scripts/package-entries.js
