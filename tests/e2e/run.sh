#!/usr/bin/env bash
# Browser end-to-end tests of rtcgate (docs/sdk-js.md).
#
# usage: tests/e2e/run.sh [--harness-only] [TEST_FILE...]     (as root)
#
# Everything runs inside a private network namespace (`unshare --net`) with
# only `lo` up and multicast joins disabled: Chromium joins mDNS groups on
# every interface otherwise, and nothing here may reach past loopback.
# Inside it: `rtcgate serve --demo` on 127.0.0.1 with kernel-chosen ports,
# then `node --test` drives Debian's chromium through playwright-core.
# The server is killed by its PID on exit.
#
# --harness-only  skips the server and the call tests: checks only that the
#                 namespace, chromium, playwright and the fake devices work.
# Environment: RTCGATE_BIN (default build/bin/rtcgate; rtcgate-call is taken
# from the same directory), CHROMIUM (default
# /usr/bin/chromium), E2E_KEEP_LOG=1 prints the server log even on success,
# E2E_SERVE_ARGS adds flags to `rtcgate serve` (e.g. "--media-address ::1").
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

if [ "$(id -u)" -ne 0 ]; then
  echo "e2e: needs root for unshare --net (a private network namespace)" >&2
  exit 2
fi

if [ -z "${RTCGATE_E2E_IN_NETNS:-}" ]; then
  command -v node >/dev/null || { echo "e2e: node is missing (scripts/setup installs nodejs)" >&2; exit 2; }
  [ -x "${CHROMIUM:-/usr/bin/chromium}" ] || { echo "e2e: ${CHROMIUM:-/usr/bin/chromium} is missing (scripts/setup)" >&2; exit 2; }
  # The npm registry is reachable only outside the namespace: install first.
  if [ ! -f "$here/node_modules/playwright-core/package.json" ] ||
     ! cmp -s "$here/package-lock.json" "$here/node_modules/.package-lock.json.copy" 2>/dev/null; then
    (cd "$here" && npm ci --no-audit --no-fund --loglevel=error) >&2
    cp "$here/package-lock.json" "$here/node_modules/.package-lock.json.copy"
  fi
  export RTCGATE_E2E_IN_NETNS=1
  exec unshare --net "$0" "$@"
fi

# --- inside the namespace ---------------------------------------------------
ip link set lo up
sysctl -q -w net.ipv4.igmp_max_memberships=0

harness_only=0
files=()
for a in "$@"; do
  case "$a" in
    --harness-only) harness_only=1 ;;
    *) files+=("$a") ;;
  esac
done

node_test() {
  # One file at a time: each launches its own chromium on a 2-core machine.
  # A hard bound on the whole run (it takes about 35 s), enforced here so
  # that this shell survives to stop the server.
  timeout --kill-after=10 "${E2E_TIMEOUT:-240}" node --test --test-concurrency=1 --test-reporter=spec "$@"
}

cd "$here"
if [ "$harness_only" = 1 ]; then
  [ "${#files[@]}" -gt 0 ] || files=(sdp_mutators.test.mjs harness.test.mjs sdk_stub.test.mjs)
  node_test "${files[@]}"
  exit
fi
if [ "${#files[@]}" -eq 0 ]; then
  files=(sdp_mutators.test.mjs harness.test.mjs sdk_stub.test.mjs call.test.mjs negative.test.mjs demo.test.mjs
         native.test.mjs)
fi

bin=${RTCGATE_BIN:-$root/build/bin/rtcgate}
[ -x "$bin" ] || { echo "e2e: $bin is missing: build first (make build)" >&2; exit 2; }

state=$(mktemp -d /tmp/rtcgate-e2e.XXXXXX)
log="$state/server.log"
srv=""
cleanup() {
  rc=$?
  if [ -n "$srv" ] && kill -0 "$srv" 2>/dev/null; then
    kill -TERM "$srv" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$srv" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$srv" 2>/dev/null || true
  fi
  [ -n "$srv" ] && wait "$srv" 2>/dev/null || true
  if [ "$rc" -ne 0 ] || [ -n "${E2E_KEEP_LOG:-}" ]; then
    echo "---- rtcgate serve log (last 60 lines) ----" >&2
    tail -n 60 "$log" >&2 || true
  fi
  rm -rf "$state"
  exit "$rc"
}
trap cleanup EXIT

# A fresh application key for this run; RTCGATE_APP_KEY overrides the
# generated one, so the key never has to be parsed from the log.
RTCGATE_APP_KEY=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
export RTCGATE_APP_KEY
# shellcheck disable=SC2086 # E2E_SERVE_ARGS: extra flags, split into words on purpose
"$bin" serve --demo --listen 127.0.0.1:0 --media-port 0 --state-dir "$state/var" ${E2E_SERVE_ARGS:-} >"$log" 2>&1 &
srv=$!

# The server prints the address it listens on; wait for it (bounded).
port=""
for _ in $(seq 100); do
  # "https://127.0.0.1:PORT" anywhere, else a line about listening/HTTPS
  # naming 127.0.0.1:PORT (the media port's line names UDP, not these).
  port=$( { grep -oE 'https://127\.0\.0\.1:[0-9]+' "$log" ||
            grep -iE 'listen|https|wss' "$log" | grep -viE 'udp|media' | grep -oE '127\.0\.0\.1:[0-9]+'; } 2>/dev/null |
          head -n1 | sed 's/.*://') || true
  [ -n "$port" ] && [ "$port" != 0 ] && break
  kill -0 "$srv" 2>/dev/null || { echo "e2e: rtcgate serve exited early" >&2; exit 1; }
  sleep 0.1
done
[ -n "$port" ] || { echo "e2e: no https://127.0.0.1:PORT line from rtcgate serve in 10 s" >&2; exit 1; }
export RTCGATE_URL="https://127.0.0.1:$port"
# For native.test.mjs: the directory of rtcgate-call (built next to rtcgate)
# and the server's self-signed certificate, which rtcgate-call trusts as --ca.
RTCGATE_BIN_DIR=$(cd "$(dirname "$bin")" && pwd)
RTCGATE_CERT="$state/var/cert.pem"
export RTCGATE_BIN_DIR RTCGATE_CERT
echo "e2e: rtcgate serve (pid $srv) on $RTCGATE_URL"

node_test "${files[@]}"
