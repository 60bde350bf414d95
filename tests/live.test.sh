#!/usr/bin/env bash
# Live capture end to end: mosquitto on loopback inside a network namespace
# this test creates (or, where namespaces cannot be entered, as in a chroot,
# on a free port of the machine's own loopback), mqttdissect capturing with
# -i lo, mosquitto_pub publishing. Checks the decoded messages, -c, that
# SIGINT stops cleanly with capture statistics on stderr, a burst of 3000
# messages decoded without a drop, SIGUSR1 without --stats (counts, and the
# capture goes on), a connection open before the capture (decoded from its
# next frame, nothing paired with a request never seen), and -l -r - from
# a slow writer (printed before the writer ends), -w live (SIGINT, read
# back: every message). Skips (77) only when the
# machine refuses to capture. MQD_LIVE_NO_NETNS=1 forces the second way.
set -u
build=${1:?usage: live.test.sh BUILD_DIR}
bin=$build/mqttdissect
ns=mqd-live-$$
work=$(mktemp -d)
src=${MQD_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
cleanup() {
  [ -n "${broker:-}" ] && kill "$broker" 2>/dev/null
  [ -n "${sub:-}" ] && kill "$sub" 2>/dev/null
  [ -n "${writer:-}" ] && kill "$writer" 2>/dev/null
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

# Starts mqttdissect (args: output file, stderr file, options) in the
# background: $pid. Fails if it exits early.
start_capture() {
  local out=$1 err=$2
  shift 2
  "${where[@]}" "$bin" "$@" "${capture_args[@]}" >"$out" 2>"$err" &
  pid=$!
  sleep 1.5
  kill -0 "$pid" 2>/dev/null || fail "mqttdissect $* exited early"
}
# Waits until mqttdissect has used no CPU for a moment (it has caught up),
# then stops it with SIGINT; it must exit 0.
stop_capture() {
  local prev=-1 cur
  for _ in $(seq 40); do
    sleep 0.25
    cur=$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null) || break
    [ "$cur" = "$prev" ] && break
    prev=$cur
  done
  kill -INT "$pid"
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && { kill -9 "$pid"; fail "SIGINT did not stop mqttdissect"; }
  wait "$pid" || fail "mqttdissect exited with $? after SIGINT"
}

# 3. A burst: 3000 messages within about a second through the broker, all
# decoded, nothing dropped by the kernel or the queue (issue 13: 5,882 of
# 6,000 PUBLISH lines).
start_capture "$work/burst.out" "$work/burst.err" -T json
seq 1 3000 | "${where[@]}" mosquitto_pub -h 127.0.0.1 -p "$port" -i burst -t live/burst -q 0 -l \
  || fail "mosquitto_pub -l failed"
stop_capture
n=$(grep -c '"type":"PUBLISH".*"topic":"live/burst"' "$work/burst.out")
[ "$n" = 3000 ] || fail "burst: $n of 3000 PUBLISH decoded"
grep -q ' 0 dropped by the kernel, 0 dropped by the interface, 0 dropped by the queue' "$work/burst.err" \
  || fail "burst: packets dropped"
tail -n 1 "$work/burst.out" | grep -q '"event":"capture_stats".*"dropped":0,' || fail "burst: no capture_stats record"

# 3b. The same burst through the smallest queue (--queue-size 1, one 1 MiB
# block): when it is full the reader waits (back-pressure, the kernel
# buffer holds the rest), so still every message and no drop.
for bad in 0 4097 x; do
  "$bin" --queue-size "$bad" -i lo >/dev/null 2>&1
  [ $? = 2 ] || fail "--queue-size $bad should be a usage error"
done
start_capture "$work/smallq.out" "$work/smallq.err" -T json --queue-size 1
seq 1 3000 | "${where[@]}" mosquitto_pub -h 127.0.0.1 -p "$port" -i smallq -t live/smallq -q 0 -l \
  || fail "mosquitto_pub -l failed"
stop_capture
n=$(grep -c '"type":"PUBLISH".*"topic":"live/smallq"' "$work/smallq.out")
[ "$n" = 3000 ] || fail "--queue-size 1: $n of 3000 PUBLISH decoded"
grep -q ' 0 dropped by the kernel, 0 dropped by the interface, 0 dropped by the queue' "$work/smallq.err" \
  || fail "--queue-size 1: packets dropped"

# 3c. -w live: a burst of 500 through the broker, -w with a selection,
# SIGINT; the file (spooled from the interface, written at the stop) read
# back with the same selection prints every message the capture printed.
start_capture "$work/w.out" "$work/w.err" --topic live/w -w "$work/w.pcap"
seq 1 500 | "${where[@]}" mosquitto_pub -h 127.0.0.1 -p "$port" -i wburst -t live/w -q 1 -l \
  || fail "mosquitto_pub -l (-w) failed"
"${where[@]}" mosquitto_pub -h 127.0.0.1 -p "$port" -t live/other -m no || fail "mosquitto_pub failed"
stop_capture
[ -f "$work/w.pcap" ] || fail "-w: no file after SIGINT"
ls "$work" | grep -q 'w.pcap.tmp-' && fail "-w: temporary file left"
"$bin" -r "$work/w.pcap" -p "$port" --topic live/w >"$work/wback.out" 2>"$work/wback.err" || fail "-w: reading back failed"
n=$(grep -c 'PUBLISH.*topic="live/w"' "$work/wback.out")
[ "$n" = 500 ] || fail "-w: $n of 500 PUBLISH in the written file"
cmp -s <(sed -E 's/^[0-9]+ //; s/(reply_to|flow_start)=[0-9]+//g' "$work/w.out") \
       <(sed -E 's/^[0-9]+ //; s/(reply_to|flow_start)=[0-9]+//g' "$work/wback.out") \
  || fail "-w: the records read back differ from those printed live"
"$bin" -r "$work/w.pcap" -p "$port" | grep -q 'live/other' && fail "-w: an unselected connection was written"
rm -f "$work/w.out" "$work/wback.out"

# 4. SIGUSR1 without --stats: the counts on stderr, and the capture goes on.
start_capture "$work/usr1.out" "$work/usr1.err"
kill -USR1 "$pid"
sleep 0.5
kill -0 "$pid" 2>/dev/null || fail "SIGUSR1 without --stats ended the capture"
grep -q 'packets received, .* dropped by the kernel' "$work/usr1.err" || fail "SIGUSR1: no counts on stderr"
"${where[@]}" mosquitto_pub -h 127.0.0.1 -p "$port" -t live/usr1 -m after || fail "mosquitto_pub failed"
stop_capture
grep -q 'PUBLISH.*topic="live/usr1"' "$work/usr1.out" || fail "SIGUSR1: nothing decoded after it"

# 5. A connection open before the capture began: its frames are decoded
# from the next one on, and a reply_to only ever names a frame that was
# captured (no pairing with a request never seen).
"${where[@]}" mosquitto_sub -h 127.0.0.1 -p "$port" -i early-sub -t live/early -q 1 >"$work/sub.out" &
sub=$!
sleep 0.5
start_capture "$work/early.out" "$work/early.err" -T json
for i in 1 2 3; do
  "${where[@]}" mosquitto_pub -h 127.0.0.1 -p "$port" -t live/early -m "early-$i" -q 1 || fail "mosquitto_pub failed"
done
stop_capture
kill "$sub" 2>/dev/null; wait "$sub" 2>/dev/null; sub=
/usr/bin/python3 - "$work/early.out" "$port" <<'PY' || fail "the connection open before the capture"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
msgs = [r for r in recs if "type" in r and "event" not in r]
frames = {r["frame"] for r in msgs}
# The subscriber's connection: the one whose server sends the PUBLISHes.
early = [r for r in msgs if r["type"] == "PUBLISH" and r["src"].endswith(":" + sys.argv[2])
         and r.get("topic") == "live/early"]
assert len(early) == 3, "PUBLISHes to the subscriber: %d of 3" % len(early)
conn = early[0]["conn"]
assert not any(r["type"] == "CONNECT" for r in msgs if r["conn"] == conn), "saw its CONNECT?"
for r in msgs:
    if "reply_to" in r:
        assert r["reply_to"] in frames, "frame %d paired with unseen frame %d" % (r["frame"], r["reply_to"])
PY

# 6. -l -r - from a slow writer: decoded messages appear while the writer
# is still writing (issue 13: nothing for hundreds of messages).
cat >"$work/slow.py" <<'PY'
import struct, sys, time
data = open(sys.argv[1], "rb").read()
out = sys.stdout.buffer
out.write(data[:24]); out.flush()
off = 24
while off + 16 <= len(data):
    incl = struct.unpack("<I", data[off + 8:off + 12])[0]
    out.write(data[off:off + 16 + incl]); out.flush()
    off += 16 + incl
    time.sleep(0.02)
time.sleep(3)
PY
mkfifo "$work/pipe"
/usr/bin/python3 "$work/slow.py" "$src/captures/auth.pcap" >"$work/pipe" &
writer=$!
"$bin" -l -r - <"$work/pipe" >"$work/stream.out" 2>"$work/stream.err" &
reader=$!
sleep 1.5
kill -0 "$writer" 2>/dev/null || fail "-l -r -: the writer ended too soon to tell"
[ -s "$work/stream.out" ] || fail "-l -r -: nothing printed while the writer writes"
kill -INT "$reader"
wait "$reader" || fail "-l -r -: exit $? after SIGINT"
kill "$writer" 2>/dev/null; wait "$writer" 2>/dev/null; writer=
grep -q 'CONNECT' "$work/stream.out" || fail "-l -r -: no CONNECT decoded"
grep -qi 'error' "$work/stream.err" && fail "-l -r -: error after SIGINT"

# 7. A missing interface: one clear line, exit 1.
"$bin" -i no-such-iface0 >"$work/noif.out" 2>"$work/noif.err"
rc=$?
[ "$rc" = 1 ] || fail "missing interface: exit $rc, want 1"
grep -q 'no-such-iface0' "$work/noif.err" || fail "error does not name the interface"
[ "$(wc -l < "$work/noif.err")" = 1 ] || fail "error is not one line"
echo "live capture: ok"
