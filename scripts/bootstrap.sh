#!/usr/bin/env bash
# Installs every tool the build, the tests and the demo need, each only when it is missing or at the
# wrong version, so a second run changes nothing. Everything comes from the package registries
# (crates.io, Debian, npm): no test tool is allowed to download a prebuilt binary or browser of its own.
set -euo pipefail
cd "$(dirname "$0")/.."

# `cargo install` puts its binaries here; a fresh shell may not have it on PATH yet.
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

say() { printf 'bootstrap: %s\n' "$*"; }
fail() {
  printf 'bootstrap: FAILED: %s\n' "$*" >&2
  exit 1
}

# Root installs directly; anyone else needs sudo for apt-get.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null; then
    sudo "$@"
  else
    fail "'$*' needs root and sudo is not available"
  fi
}

# `--locked` builds a tool with the dependency versions it was released with. When the registry lacks
# one of them (wasm-bindgen-cli 0.2.130 locks webpki-roots 1.0.11, which a crates.io mirror may not
# carry), the dependencies are resolved afresh instead; the tool's own version stays exact.
cargo_install() {
  local what=$1
  shift
  cargo install --locked "$@" && return 0
  say "$what: cargo install --locked failed (above); installing with dependencies resolved afresh"
  cargo install "$@" || fail "could not install $what with cargo install"
}

# Rustup and Node are the two things bootstrap does not install: they are the base the rest stands on.
command -v rustup >/dev/null || fail "rustup is missing: install the Rust toolchain with rustup (https://rustup.rs)"
command -v cargo >/dev/null || fail "cargo is missing: install the Rust toolchain with rustup (https://rustup.rs)"
command -v node >/dev/null || fail "node is missing: install Node.js 20 or newer"
command -v npm >/dev/null || fail "npm is missing: install Node.js 20 or newer (it ships npm)"
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || fail "node $(node --version) is too old: Node.js 20 or newer is required"
say "rustup, cargo, node $(node --version), npm $(npm --version 2>/dev/null) ... ok"

if rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "rust target wasm32-unknown-unknown ... ok"
else
  say "rust target wasm32-unknown-unknown ... installing"
  rustup target add wasm32-unknown-unknown || fail "could not add the rust target wasm32-unknown-unknown"
fi

# wasm-bindgen-cli must match the wasm-bindgen crate exactly, or the generated JS glue and the wasm disagree.
if [ ! -f Cargo.lock ]; then
  say "Cargo.lock ... generating"
  cargo generate-lockfile || fail "could not generate Cargo.lock (is crates.io reachable?)"
fi
bindgen_version=$(awk '
  $0 == "name = \"wasm-bindgen\"" { found = 1; next }
  found && /^version = / { gsub(/"/, "", $3); print $3; exit }
' Cargo.lock)
[ -n "$bindgen_version" ] || fail "no wasm-bindgen crate in Cargo.lock: is it a dependency in Cargo.toml?"
installed_bindgen=$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }' || true)
if [ "$installed_bindgen" = "$bindgen_version" ]; then
  say "wasm-bindgen-cli $bindgen_version ... ok"
else
  say "wasm-bindgen-cli $bindgen_version (found: ${installed_bindgen:-none}) ... installing"
  cargo_install "wasm-bindgen-cli $bindgen_version" wasm-bindgen-cli --version "$bindgen_version"
  installed_bindgen=$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }' || true)
  [ "$installed_bindgen" = "$bindgen_version" ] \
    || fail "wasm-bindgen-cli installed, but \`wasm-bindgen --version\` says '${installed_bindgen:-nothing}', not $bindgen_version"
fi

if command -v wasm-pack >/dev/null; then
  say "wasm-pack $(wasm-pack --version | awk '{ print $2 }') ... ok"
else
  say "wasm-pack ... installing"
  cargo_install wasm-pack wasm-pack
fi

# Debian packages, each checked by a file the tests use (the program, or a module for Tornado). The three engines and their WebDriver
# servers (Chromium; Firefox ESR, whose geckodriver comes from crates.io below; WebKitGTK, whose
# MiniBrowser has no headless mode and so runs under xvfb-run); nginx (the reverse proxy with
# proxy_read_timeout), websocketd (a Go WebSocket server) and Tornado (seed 004's Python server) for
# the fault tests in e2e/faults, which start them as child processes with their own configuration:
# the system services the packages may set up are not used.
debian_programs=(
  chromium:/usr/bin/chromium
  chromium-driver:/usr/bin/chromedriver
  firefox-esr:/usr/bin/firefox-esr
  webkit2gtk-driver:/usr/bin/WebKitWebDriver
  xvfb:/usr/bin/xvfb-run
  nginx:/usr/sbin/nginx
  websocketd:/usr/bin/websocketd
  python3-tornado:/usr/lib/python3/dist-packages/tornado/web.py
  # The Redis session store's tests and the cluster soak (e2e/store, e2e/cluster) start their own.
  redis-server:/usr/bin/redis-server
)
missing_debs=()
for entry in "${debian_programs[@]}"; do
  [ -e "${entry#*:}" ] || missing_debs+=("${entry%%:*}")
done
if [ ${#missing_debs[@]} -eq 0 ]; then
  say "$(printf '%s, ' "${debian_programs[@]%%:*}" | sed 's/, $//') (Debian) ... ok"
else
  say "${missing_debs[*]} (Debian) ... installing"
  as_root apt-get update || fail "apt-get update failed, so ${missing_debs[*]} cannot be installed"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing_debs[@]}" \
    || fail "apt-get could not install ${missing_debs[*]} (apt-cache policy ${missing_debs[*]} shows what Debian offers)"
  for entry in "${debian_programs[@]}"; do
    [ -e "${entry#*:}" ] || fail "${entry%%:*} installed but ${entry#*:} is missing"
  done
fi

# geckodriver (Firefox's WebDriver server, for wasm-pack test --firefox) is not in Debian; crates.io
# has it. Pinned like wasm-bindgen-cli so that every machine runs the same one.
geckodriver_version=0.37.1
installed_gecko=$(geckodriver --version 2>/dev/null | awk 'NR == 1 { print $2 }' || true)
if [ "$installed_gecko" = "$geckodriver_version" ]; then
  say "geckodriver $geckodriver_version ... ok"
else
  say "geckodriver $geckodriver_version (found: ${installed_gecko:-none}) ... installing (about 3 minutes on 2 cores)"
  cargo_install "geckodriver $geckodriver_version" geckodriver --version "$geckodriver_version"
fi

# wasm-pack test --safari looks for a program named safaridriver; WebKitGTK's WebDriver server speaks
# the same protocol. The link lives beside the cargo-installed tools, which are on PATH for every step.
safaridriver=${CARGO_HOME:-$HOME/.cargo}/bin/safaridriver
if [ "$(readlink "$safaridriver" 2>/dev/null)" = /usr/bin/WebKitWebDriver ]; then
  say "safaridriver -> /usr/bin/WebKitWebDriver ... ok"
else
  say "safaridriver -> /usr/bin/WebKitWebDriver ... linking"
  ln -sfn /usr/bin/WebKitWebDriver "$safaridriver" || fail "could not link $safaridriver"
fi

# npm ci brings ws, redis (node-redis, for server/redis.js and its tests), playwright-core and binaryen's wasm-opt (scripts/build.sh says why not Debian's),
# at the versions in package-lock.json. The stamp lives inside node_modules, so deleting node_modules
# also invalidates it.
npm_stamp=node_modules/.bootstrap-lock-hash
lock_hash=$(cat package.json package-lock.json | sha256sum | awk '{ print $1 }')
if [ -f "$npm_stamp" ] && [ "$(cat "$npm_stamp")" = "$lock_hash" ]; then
  say "node_modules (npm ci) ... ok"
else
  say "node_modules (npm ci) ... installing"
  npm ci --no-audit --no-fund || fail "npm ci failed: node_modules could not be installed from package-lock.json"
  printf '%s\n' "$lock_hash" >"$npm_stamp"
fi

say "done"
