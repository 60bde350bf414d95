#!/usr/bin/env bash
# Live capture end to end: mosquitto on loopback inside a network namespace
# this test creates, mqttdissect capturing with -i lo, mosquitto_pub
# publishing. Checks the decoded messages, -c, and that SIGINT stops cleanly
# with capture statistics on stderr. Skips (77) only when the machine refuses
# to create the namespace or to capture.
set -u
build=${1:?usage: live.test.sh BUILD_DIR}
bin=$build/mqttdissect
ns=mqd-live-$$
work=$(mktemp -d)
cleanup() {
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
ip netns add "$ns" 2>"$work/netns.err" || skip "cannot create a network namespace: $(cat "$work/netns.err")"
ip netns exec "$ns" ip link set lo up || fail "cannot bring lo up in $ns"
in_ns() { ip netns exec "$ns" "$@"; }

printf 'listener 1883 127.0.0.1\nallow_anonymous true\n' > "$work/mosquitto.conf"
in_ns mosquitto -c "$work/mosquitto.conf" >"$work/mosquitto.err" 2>&1 &
for _ in $(seq 50); do
  in_ns bash -c 'exec 3<>/dev/tcp/127.0.0.1/1883' 2>/dev/null && break
  sleep 0.1
done

# 1. -c 5: the publisher's CONNECT, CONNACK, PUBLISH, PUBACK, DISCONNECT.
ip netns exec "$ns" "$bin" -i lo -T json -c 5 >"$work/count.out" 2>"$work/count.err" &
pid=$!
sleep 1.5
if ! kill -0 "$pid" 2>/dev/null; then
  wait "$pid"
  grep -qi "permission\|not permitted" "$work/count.err" && skip "no capture permission: $(cat "$work/count.err")"
  fail "mqttdissect -i lo exited early"
fi
in_ns mosquitto_pub -h 127.0.0.1 -p 1883 -i live-test -t live/topic -m hello-live -q 1 \
  || fail "mosquitto_pub failed"
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && { kill "$pid"; fail "-c 5 did not stop after 5 messages"; }
wait "$pid" || fail "mqttdissect exited with $?"

types=$(/usr/bin/python3 -c '
import json, sys
for line in open(sys.argv[1]):
    o = json.loads(line)
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

# 2. SIGINT stops a capture cleanly, with capture statistics on stderr. Run
# without a shell function around it, so that $! is mqttdissect itself (ip
# netns exec execs the command).
ip netns exec "$ns" "$bin" -i lo >"$work/sigint.out" 2>"$work/sigint.err" &
pid=$!
sleep 1.5
in_ns mosquitto_pub -h 127.0.0.1 -p 1883 -t live/sigint -m bye || fail "mosquitto_pub failed"
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
