#!/usr/bin/env bash
# README command 2: every check and every test layer, in order: bootstrap, format, lints,
# native tests, wasm tests in Chromium, Firefox and WebKit, the build, end-to-end tests in Chromium,
# Firefox and WebKit. A failing step does not stop the later ones (their results still say
# something), except bootstrap, which everything needs, and the builds, which the tests after them
# need. Prints each layer's counts, then a last line
# "N passed, N failed" summed over all layers; exits non-zero if any step or test failed.
set -euo pipefail
shopt -s globstar
cd "$(dirname "$0")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
export CHROMEDRIVER=/usr/bin/chromedriver
# geckodriver comes from crates.io (bootstrap installs it); safaridriver is bootstrap's link to
# WebKitGTK's WebDriver server. Not exported: wasm-bindgen-test-runner drives the first browser whose
# variable is set (GECKODRIVER before SAFARIDRIVER before CHROMEDRIVER), so each engine's step
# passes only its own (see wasm_test).
geckodriver=${CARGO_HOME:-$HOME/.cargo}/bin/geckodriver
safaridriver=${CARGO_HOME:-$HOME/.cargo}/bin/safaridriver

logs=$(mktemp -d)
# Chromedriver leaves a 14 MB profile behind in the temporary directory on every run; keep all the
# steps' temporary files in here, which goes when the run ends.
mkdir "$logs/tmp"
export TMPDIR=$logs/tmp
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
  rm -rf "$logs"
}
trap cleanup EXIT

# timeout runs each step in a process group of its own, so Ctrl-C reaches only this script. Hand it on
# to the step's timeout, which stops the step's whole group (browsers and servers included).
step_pid=
on_interrupt() {
  if [ -n "$step_pid" ]; then pkill -TERM -P "$step_pid" 2>/dev/null || true; fi
  exit 130
}
trap on_interrupt INT TERM

started=$SECONDS
total_passed=0
total_failed=0
failed_steps=()
layer_counts=()
# The wall time of the last step, for its layer's line in the summary.
step_took=0

# run_step NAME LIMIT_SECONDS COMMAND...: shows the output and keeps a copy in $logs/NAME.log. The
# limit keeps a hung browser or server from holding CI; timeout kills the command's whole process group.
# The step runs in the background only so that the INT/TERM trap above can act while it runs.
run_step() {
  local name=$1 limit=$2
  shift 2
  printf '\n==> test: %s: %s\n' "$name" "$*"
  local step_started=$SECONDS status
  set +e
  (
    timeout --kill-after=10 "$limit" "$@" 2>&1 | tee "$logs/$name.log"
    exit "${PIPESTATUS[0]}"
  ) &
  step_pid=$!
  wait "$step_pid"
  status=$?
  step_pid=
  set -e
  local took=$((SECONDS - step_started))
  step_took=$took
  if [ "$status" -eq 0 ]; then
    printf '==> test: %s ok (%ss)\n' "$name" "$took"
    return 0
  fi
  if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
    printf '==> test: %s FAILED: no result within %ss\n' "$name" "$limit"
  else
    printf '==> test: %s FAILED (exit %s, %ss)\n' "$name" "$status" "$took"
  fi
  failed_steps+=("$name")
  return 1
}

# Adds one layer's counts to the totals. libtest and wasm-bindgen-test print one
# "test result: ok. N passed; M failed; ..." line per test binary; node's TAP ends with "# pass N" etc.
count_layer() {
  local layer=$1 passed failed
  case $layer in
    native | native-plain | wasm-*)
      read -r passed failed < <(sed 's/\x1b\[[0-9;]*m//g' "$logs/$layer.log" | awk '
        /^test result: / {
          for (i = 2; i <= NF; i++) {
            if ($i == "passed;") p += $(i - 1)
            if ($i == "failed;") f += $(i - 1)
          }
        }
        END { print p + 0, f + 0 }')
      ;;
    e2e-*)
      # A test cancelled by a timeout is a failure too.
      read -r passed failed < <(awk '
        /^# pass / { p = $3 }
        /^# (fail|cancelled) / { f += $3 }
        END { print p + 0, f + 0 }' "$logs/$layer.tap" 2>/dev/null || echo 0 0)
      ;;
  esac
  total_passed=$((total_passed + passed))
  total_failed=$((total_failed + failed))
  layer_counts+=("$(printf '%-14s %4d passed, %d failed (%ss)' "$layer:" "$passed" "$failed" "$step_took")")
  printf '==> test: %s layer: %d passed, %d failed\n' "$layer" "$passed" "$failed"
}

summary() {
  printf '\n==> test: summary (%ss in all)\n' "$((SECONDS - started))"
  for line in "${layer_counts[@]}"; do printf '  %s\n' "$line"; done
  if [ ${#failed_steps[@]} -gt 0 ]; then printf '  failed steps: %s\n' "${failed_steps[*]}"; fi
  printf '%d passed, %d failed\n' "$total_passed" "$total_failed"
}

if ! run_step bootstrap 2400 bash scripts/bootstrap.sh; then
  summary
  exit 1
fi

run_step fmt 300 cargo fmt --check || true
run_step clippy 1200 cargo clippy --all-targets -- -D warnings || true
# The serde feature's code and the targets that need it (tests/machine_serde.rs, the herd bench).
run_step clippy-serde 1200 cargo clippy --all-targets --features serde -- -D warnings || true
run_step clippy-wasm 1200 cargo clippy --all-targets --target wasm32-unknown-unknown -- -D warnings || true
# The Rust face (src/client/, the feature rust-face, which turns serde on), natively and for wasm32;
# natively with the share group's machine too (the feature share, tests/group_*.rs).
run_step clippy-rust-face 1200 cargo clippy --all-targets --features rust-face,share -- -D warnings || true
run_step clippy-wasm-rust-face 1200 cargo clippy --all-targets --target wasm32-unknown-unknown --features rust-face -- -D warnings || true
# The Rust face alone, as a Rust app depends on it (default-features = false: no js-face, so no
# JS-face export and no talc), natively and, with acked, for wasm32.
run_step clippy-rust-only 1200 cargo clippy --all-targets --no-default-features --features rust-face -- -D warnings || true
run_step clippy-wasm-rust-only 1200 cargo clippy --all-targets --target wasm32-unknown-unknown --no-default-features --features acked,rust-face -- -D warnings || true
# The plain build (API.md, "Builds"): the crate without its default feature `acked` (js-face kept),
# as the default entry's module is built, natively and for wasm32.
run_step clippy-plain 1200 cargo clippy --all-targets --no-default-features --features js-face,serde -- -D warnings || true
run_step clippy-wasm-plain 1200 cargo clippy --all-targets --target wasm32-unknown-unknown --no-default-features --features js-face -- -D warnings || true

# With the serde feature, so that its round-trip test runs too, and the Rust face (which turns serde
# on), whose manual's example is a doc-test that compiles natively, and the share group's machine
# (the feature share); the builds without them are linted above.
run_step native 1200 cargo test --features rust-face,share || true
count_layer native
# The core without acknowledged delivery: what the plain build's module runs (the acked tests need
# the feature and are left out by their required-features).
run_step native-plain 1200 cargo test --no-default-features --features js-face,serde || true
count_layer native-plain

# The wasm layer: the driver against real sockets and a commandable server (tests/web_driver.rs), and
# the core's scenario tests compiled for wasm32, in each engine. The server is started once, before
# the build: its URL is compiled into the tests (RWS_TEST_SERVER), so that all three engines run the
# one build.
start_test_server() {
  node tests/support/wasm-test-server.js >"$logs/wasm-test-server.out" 2>&1 &
  server_pid=$!
  local waited
  for waited in $(seq 50); do
    RWS_TEST_SERVER=$(head -n 1 "$logs/wasm-test-server.out")
    if [[ $RWS_TEST_SERVER == http://* ]]; then
      export RWS_TEST_SERVER
      printf '==> test: test server for the wasm layer on %s\n' "$RWS_TEST_SERVER"
      return 0
    fi
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  printf '==> test: the test server for the wasm layer did not start (waited %s x 0.1s):\n' "$waited"
  cat "$logs/wasm-test-server.out"
  return 1
}

# --mode no-install: the wasm-bindgen-test-runner and the drivers already installed, never a download.
# The three browser test binaries, each one browser session per engine: tests/wasm_core.rs (the core's
# scenario and validation tests), tests/web_driver.rs and tests/rust_face.rs. (The other test targets are native; the
# doc-tests ran natively too.) WASM_BINDGEN_TEST_TIMEOUT is per test binary (the runner's
# default, 20 s, is less than the driver tests take). Browser capabilities come from webdriver.json:
# Chromium's flags and Firefox's binary; the runner sends WebKitWebDriver none, which then starts
# its default browser, MiniBrowser, which has no headless mode: hence xvfb-run.
# With tests/rust_face.rs, the Rust face against the same server, which needs the feature rust-face
# (the driver tests then run with it too: the JS face's path is the same with or without it).
wasm_args=(--test wasm_core --test web_driver --test rust_face --features rust-face)
export WASM_BINDGEN_TEST_TIMEOUT=600

# wasm_test ENGINE: the wasm layer in one engine, as the step (and layer) wasm-ENGINE. The drivers'
# variables are cleared, so that the runner finds only the one wasm-pack sets for this engine.
wasm_test() {
  local engine=$1 browser
  local pack=(env -u CHROMEDRIVER -u GECKODRIVER -u SAFARIDRIVER wasm-pack test --mode no-install --headless)
  case $engine in
    chromium) browser=Chrome pack+=(--chrome --chromedriver "$CHROMEDRIVER") ;;
    firefox) browser=Firefox pack+=(--firefox --geckodriver "$geckodriver") ;;
    webkit) browser=Safari pack=(xvfb-run -a "${pack[@]}" --safari --safaridriver "$safaridriver") ;;
  esac
  run_step "wasm-$engine" 900 "${pack[@]}" -- "${wasm_args[@]}" || true
  # A runner that drove another browser than asked for would count that browser's results here.
  if grep 'Running headless tests in ' "$logs/wasm-$engine.log" | grep -qv "tests in $browser "; then
    printf '==> test: wasm-%s FAILED: the runner drove another browser than %s:\n' "$engine" "$browser"
    grep 'Running headless tests in ' "$logs/wasm-$engine.log" | sort | uniq -c
    failed_steps+=("wasm-$engine (browser)")
  fi
  count_layer "wasm-$engine"
}

wasm_engines=(chromium firefox webkit)
if start_test_server; then
  # Built once here; each engine's step then finds the build up to date.
  if run_step wasm-build 1200 cargo test --no-run --target wasm32-unknown-unknown "${wasm_args[@]}"; then
    for engine in "${wasm_engines[@]}"; do wasm_test "$engine"; done
    # The Rust face as a Rust app builds it (default-features = false: no js-face, so no talc, the
    # allocator left to the app), in Chromium: a build of its own, about a minute.
    run_step wasm-rust-only 900 env -u CHROMEDRIVER -u GECKODRIVER -u SAFARIDRIVER wasm-pack test --mode no-install \
      --headless --chrome --chromedriver "$CHROMEDRIVER" -- --test rust_face --no-default-features --features acked,rust-face || true
    count_layer wasm-rust-only
  else
    failed_steps+=("${wasm_engines[@]/#/wasm-}" wasm-rust-only)
  fi
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" || true
  server_pid=
else
  failed_steps+=("${wasm_engines[@]/#/wasm-}" wasm-rust-only)
fi

# run_e2e ENGINE FILES...: the end-to-end files in one engine (support/browser.js reads RWS_ENGINE);
# spec for people reading the log, TAP in a file for counting. WebKit's MiniBrowser has no headless
# mode, so its run gets a virtual display.
run_e2e() {
  local engine=$1
  shift
  local display=()
  if [ "$engine" = webkit ]; then display=(xvfb-run -a); fi
  run_step "e2e-$engine" 1200 "${display[@]}" env RWS_ENGINE="$engine" node --test --test-timeout=120000 \
    --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$logs/e2e-$engine.tap" \
    "$@" || true
  count_layer "e2e-$engine"
}

if run_step build 1200 bash scripts/build.sh; then
  # The Leptos example (examples/leptos), which e2e/package/leptos.test.js serves: a Rust web app that
  # depends on the crate by path with the Rust face alone, built into examples/leptos/pkg/ in its own
  # workspace and target directory (4 to 6 minutes from cold on two shared cores: 4.5 CPU-minutes).
  # pkg/ is removed first, so that a failed build fails that test, which then finds no pkg/, rather
  # than let it serve a stale one.
  run_step leptos-build 1800 bash -c 'cd examples/leptos && rm -rf pkg && exec wasm-pack build --mode no-install --target web --dev' || true
  run_e2e chromium e2e/**/*.test.js
  # Every test that drives a browser, in the other engines too (the rest of e2e/package runs in
  # Node alone: once is enough).
  everywhere=(e2e/api/*.test.js e2e/faults/*.test.js e2e/acked/*.test.js e2e/share/*.test.js e2e/package/examples.test.js
    e2e/leak.test.js e2e/connect.test.js e2e/demo.test.js e2e/package/leptos.test.js)
  # The cluster soak (3 nodes on Redis behind nginx, 60 s) in every engine; e2e/store is Node only.
  everywhere+=(e2e/cluster/soak.test.js)
  run_e2e firefox "${everywhere[@]}"
  run_e2e webkit "${everywhere[@]}"
else
  printf '==> test: e2e skipped: it needs the build\n'
  failed_steps+=(e2e)
fi

summary
[ ${#failed_steps[@]} -eq 0 ] && [ "$total_failed" -eq 0 ]
