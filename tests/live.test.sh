#!/usr/bin/env bash
# Live capture end to end: mosquitto on loopback inside a network namespace
# this test creates (or, where namespaces cannot be entered, as in a chroot,
# on a free port of the machine's own loopback), mqttdissect capturing with
# -i lo, mosquitto_pub publishing. Checks the decoded messages, -c, and that
# SIGINT stops cleanly with capture statistics on stderr. Skips (77) only
# when the machine refuses to capture. MQD_LIVE_NO_NETNS=1 forces the second way.
set -u
build=${1:?usage: live.test.sh BUILD_DIR}
bin=$build/mqttdissect
ns=mqd-live-$$
work=$(mktemp -d)
cleanup() {
  [ -n "${broker:-}" ] && kill "$broker" 2>/dev/null
  ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
  sleep 0.2
  ip netns del "$ns" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; for f in "$work"/*.out "$work"/*.err; do [ -f "$f" ] && { echo "--- $f"; cat "$f"; }; done; exit 1; }

command -v mosquitto >/dev/null || fail "mosquitto is not installed (tests/install-deps.sh test installs it)"
command -v mosquitto_pub >/dev/null || fail "mosquitto_pub is not installed"
# "${where[@]}" runs a command where the broker is: inside the namespace, or
# here. (An array, not a function: started in the background, $! must be
# mqttdissect itself for the SIGINT below to reach it; ip netns exec execs.)
# ip netns exec needs / to be a mount point (it makes it a slave mount): in
# a chroot it is not, and trying would leave a mount on /run/netns behind.
if [ -z "${MQD_LIVE_NO_NETNS:-}" ] && mountpoint -q / && ip netns add "$ns" 2>/dev/null && ip netns exec "$ns" ip link set lo up 2>/dev/null; then
  where=(ip netns exec "$ns")
  port=1883
  capture_args=(-i lo)
else
  echo "note: network namespaces cannot be entered here; using a free port on this machine's loopback"
  ip netns del "$ns" 2>/dev/null
  where=()
  port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  capture_args=(-i lo -p "$port" tcp port "$port")
fi

# "user root": run as we are; mosquitto would otherwise switch to its own
# user, who may not be able to read anything here (in a chroot whose root
# directory is private, it cannot even read /etc/hosts.allow and refuses
# every client).
printf 'listener %s 127.0.0.1\nallow_anonymous true\nuser root\n' "$port" > "$work/mosquitto.conf"
"${where[@]}" mosquitto -c "$work/mosquitto.conf" >"$work/mosquitto.err" 2>&1 &
broker=$!
for _ in $(seq 50); do
  "${where[@]}" bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null && break
  sleep 0.1
done

# 1. -c 5: the publisher's CONNECT, CONNACK, PUBLISH, PUBACK, DISCONNECT.
"${where[@]}" "$bin" -T json -c 5 "${capture_args[@]}" >"$work/count.out" 2>"$work/count.err" &
pid=$!
sleep 1.5
if ! kill -0 "$pid" 2>/dev/null; then
  wait "$pid"
  grep -qi "permission\|not permitted" "$work/count.err" && skip "no capture permission: $(cat "$work/count.err")"
  fail "mqttdissect -i lo exited early"
fi
"${where[@]}" mosquitto_pub -h 127.0.0.1 -p "$port" -i live-test -t live/topic -m hello-live -q 1 \
  || fail "mosquitto_pub failed"
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && { kill "$pid"; fail "-c 5 did not stop after 5 messages"; }
wait "$pid" || fail "mqttdissect exited with $?"

types=$(/usr/bin/python3 -c '
import json, sys
for line in open(sys.argv[1]):
    o = json.loads(line)
    if o.get("event") == "capture_stats":
        continue
    print(o.get("type") or "event:" + o["event"], o.get("topic", ""), o.get("packet_id", ""))
' "$work/count.out") || fail "output is not JSON Lines"
expected="CONNECT  
CONNACK  
PUBLISH live/topic 1
PUBACK  1
DISCONNECT  "
[ "$types" = "$expected" ] || fail "unexpected messages:
$types"
grep -q '"client_id":"live-test"' "$work/count.out" || fail "client id not decoded"
grep -q '"text":"hello-live"' "$work/count.out" || fail "payload not decoded"
tail -n 1 "$work/count.out" | grep -q '^{"event":"capture_stats","received":[0-9]*,"dropped":0,"if_dropped":0,"queue_dropped":0}$' \
  || fail "no capture_stats record at the end of the JSON output"

# 2. SIGINT stops a capture cleanly, with capture statistics on stderr.
"${where[@]}" "$bin" "${capture_args[@]}" >"$work/sigint.out" 2>"$work/sigint.err" &
pid=$!
sleep 1.5
"${where[@]}" mosquitto_pub -h 127.0.0.1 -p "$port" -t live/sigint -m bye || fail "mosquitto_pub failed"
sleep 0.5
kill -INT "$pid"
for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && { kill -9 "$pid"; fail "SIGINT did not stop mqttdissect"; }
wait "$pid" || fail "mqttdissect exited with $? after SIGINT"
grep -q 'PUBLISH.*topic="live/sigint"' "$work/sigint.out" || fail "text output lacks the PUBLISH"
grep -q 'packets received, .* dropped by the kernel, .* dropped by the interface' "$work/sigint.err" \
  || fail "no capture statistics on stderr"

# 3. A missing interface: one clear line, exit 1.
"$bin" -i no-such-iface0 >"$work/noif.out" 2>"$work/noif.err"
rc=$?
[ "$rc" = 1 ] || fail "missing interface: exit $rc, want 1"
grep -q 'no-such-iface0' "$work/noif.err" || fail "error does not name the interface"
[ "$(wc -l < "$work/noif.err")" = 1 ] || fail "error is not one line"
echo "live capture: ok"
