#!/bin/bash
# Captures an offer and an answer from Debian's chromium or firefox-esr into
# tests/data/sdp/. The browser runs headless inside a private network
# namespace with only lo up and multicast joins disabled, so nothing leaves
# the machine (Chromium joins mDNS groups on every interface otherwise).
#
# usage: capture.sh chromium|firefox   (as root; needs unshare, ip, python3)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(dirname "$here")
browser=${1:?chromium or firefox}
port=8765

case "$browser" in
  chromium) ver=$(chromium --version 2>/dev/null | awk '{print $2}') ;;
  firefox) ver=$(firefox-esr --version 2>/dev/null | awk '{print $3}') ;;
  *) echo "unknown browser $browser" >&2; exit 2 ;;
esac
prefix="$browser-$ver"

exec unshare --net bash -s "$browser" "$here" "$out" "$prefix" "$port" <<'INNER'
set -euo pipefail
browser=$1 here=$2 out=$3 prefix=$4 port=$5
ip link set lo up
sysctl -q -w net.ipv4.igmp_max_memberships=0
profile=$(mktemp -d)
python3 "$here/capture_server.py" "$port" "$out" "$prefix" &
srv=$!
sleep 0.5
url="http://127.0.0.1:$port/"
if [ "$browser" = chromium ]; then
  setsid chromium --headless --no-sandbox --disable-gpu --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --allow-loopback-in-peer-connection --use-fake-device-for-media-stream \
    --use-fake-ui-for-media-stream --user-data-dir="$profile" "$url" \
    >"$profile.log" 2>&1 &
else
  cat >"$profile/user.js" <<'PREFS'
user_pref("media.navigator.streams.fake", true);
user_pref("media.navigator.permission.disabled", true);
user_pref("media.peerconnection.ice.loopback", true);
user_pref("media.peerconnection.ice.obfuscate_host_addresses", false);
user_pref("browser.shell.checkDefaultBrowser", false);
user_pref("datareporting.policy.dataSubmissionEnabled", false);
user_pref("toolkit.telemetry.enabled", false);
user_pref("app.update.enabled", false);
PREFS
  setsid firefox-esr --headless --no-remote --profile "$profile" "$url" \
    >"$profile.log" 2>&1 &
fi
bpid=$!
rc=0
wait "$srv" || rc=$?
# The browser was started with setsid: its id is its process group's id.
kill -TERM -- "-$bpid" 2>/dev/null || true
sleep 1
kill -KILL -- "-$bpid" 2>/dev/null || true
wait "$bpid" 2>/dev/null || true
[ "$rc" = 0 ] || { echo "capture failed; browser log:" >&2; tail -20 "$profile.log" >&2; }
rm -rf "$profile" "$profile.log"
exit "$rc"
INNER
