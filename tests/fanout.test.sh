#!/usr/bin/env bash
# --fanout GROUP, live: two mqttdissect processes in one AF_PACKET fanout
# group on the loopback of a network namespace this test creates, with
# mosquitto and 20 mosquitto_pub clients (QoS 1). Together they decode every
# message exactly once: their records, without what is per process (frame
# and conn numbers, capture times, latencies), are those of a third process
# capturing everything at the same time; each
# connection is wholly in one of them, and both have some. The same for one
# command with --fanout GROUP,2 (two worker processes) writing to a pipe,
# and another writing with -o to a file: every line whole (valid JSON),
# every message once, one capture_stats record per worker, exit 0 after a
# SIGINT (the pipe) or SIGTERM (-o) to the command alone. Also: --fanout
# with -r is a usage error. Skips (77) where namespaces cannot be entered
# (the live test covers capture there) or the kernel refuses fanout.
set -u
build=${1:?usage: fanout.test.sh BUILD_DIR}
bin=$build/mqttdissect
src=${MQD_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
ns=mqd-fanout-$$
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
  sleep 0.2
  ip netns del "$ns" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; for f in "$work"/*.out "$work"/*.err; do [ -f "$f" ] && { echo "--- $f"; head -c 2000 "$f"; }; done; exit 1; }

"$bin" --fanout 3 -r "$src/captures/hello_world.pcap" >/dev/null 2>&1
[ $? = 2 ] || fail "--fanout with -r should be a usage error"
"$bin" --fanout 70000 -i lo >/dev/null 2>&1
[ $? = 2 ] || fail "--fanout 70000 should be a usage error"
for bad in 3,0 3,65 3, ,2 3,2,1; do
  "$bin" --fanout "$bad" -i lo >/dev/null 2>&1
  [ $? = 2 ] || fail "--fanout $bad should be a usage error"
done

command -v mosquitto >/dev/null || fail "mosquitto is not installed (tests/install-deps.sh test installs it)"
command -v mosquitto_pub >/dev/null || fail "mosquitto_pub is not installed"
mountpoint -q / && ip netns add "$ns" 2>/dev/null && ip netns exec "$ns" ip link set lo up 2>/dev/null ||
  skip "network namespaces cannot be entered here"
in_ns=(ip netns exec "$ns")

printf 'listener 1883 127.0.0.1\nallow_anonymous true\nuser root\n' >"$work/mosquitto.conf"
"${in_ns[@]}" mosquitto -c "$work/mosquitto.conf" >"$work/mosquitto.err" 2>&1 &
pids+=($!)
for _ in $(seq 50); do
  "${in_ns[@]}" bash -c "exec 3<>/dev/tcp/127.0.0.1/1883" 2>/dev/null && break
  sleep 0.1
done

"${in_ns[@]}" "$bin" -i lo -T json >"$work/all.out" 2>"$work/all.err" &
all=$!
"${in_ns[@]}" "$bin" -i lo --fanout 7 -T json >"$work/a.out" 2>"$work/a.err" &
a=$!
"${in_ns[@]}" "$bin" -i lo --fanout 7 -T json >"$work/b.out" 2>"$work/b.err" &
b=$!
# One command, two workers: to a pipe (both write into it), and with -o.
"${in_ns[@]}" "$bin" -i lo --fanout 8,2 -T json > >(cat >"$work/pipe.out") 2>"$work/pipe.err" &
piped=$!
"${in_ns[@]}" "$bin" -i lo --fanout 9,2 -T json -o "$work/file.out" 2>"$work/file.err" &
filed=$!
pids+=("$all" "$a" "$b" "$piped" "$filed")
sleep 2
for p in "$a" "$b" "$piped" "$filed"; do
  if ! kill -0 "$p" 2>/dev/null; then
    grep -qi "fanout" "$work/a.err" "$work/b.err" && skip "the kernel refuses fanout: $(cat "$work/a.err")"
    fail "a fanout process exited early"
  fi
done
for i in $(seq 20); do
  "${in_ns[@]}" mosquitto_pub -h 127.0.0.1 -t "fan/$i" -m "m$i" -q 1 -i "fan$i" ||
    fail "mosquitto_pub $i"
done
# The reference process has seen all 100 messages: then the others have
# been given theirs.
for _ in $(seq 100); do
  [ "$(grep -c '"type"' "$work/all.out")" -ge 100 ] && break
  sleep 0.1
done
sleep 0.5
kill -INT "$all" "$a" "$b" "$piped"
kill -TERM "$filed"
wait "$all" "$a" "$b"
wait "$piped" || fail "--fanout 8,2: exit $? after SIGINT"
wait "$filed" || fail "--fanout 9,2 -o: exit $? after SIGTERM"
sleep 0.2 # the pipe's reader
for w in pipe file; do
  n=$(grep -c 'dropped by the queue' "$work/$w.err")
  [ "$n" = 2 ] || fail "--fanout G,2 ($w): $n capture counts on stderr, want one per worker"
  grep -q '^mqttdissect: worker 2 of 2: [0-9]* packets received' "$work/$w.err" ||
    fail "--fanout G,2 ($w): no counts of worker 2"
done

n=$(grep -c '"type"' "$work/all.out")
[ "$n" = 100 ] || fail "the reference process decoded $n messages, want 100 (20 x CONNECT, CONNACK, PUBLISH, PUBACK, DISCONNECT)"
# Per process: frame numbers, capture times (each socket stamps its own
# copy), conn numbers and what derives from them; the rest must be equal.
/usr/bin/python3 - "$work/all.out" "$work/a.out" "$work/b.out" <<'PYEOF' || fail "the two fanout processes together differ from one process"
import json, sys
PER_PROCESS = ("frame", "ts", "conn", "reply_to", "latency_us", "flow_start", "flow_latency_us")
def load(*paths):
    out = []
    for p in paths:
        for line in open(p):
            r = json.loads(line)
            if r.get("event") == "capture_stats":
                continue  # each process counts its own share of the packets
            for k in PER_PROCESS:
                r.pop(k, None)
            out.append(json.dumps(r, sort_keys=True))
    return sorted(out)
ref, ab = load(sys.argv[1]), load(sys.argv[2], sys.argv[3])
if ref != ab:
    extra = sorted(set(ab) - set(ref))[:2]
    missing = sorted(set(ref) - set(ab))[:2]
    sys.exit("%d records vs %d; extra %s; missing %s" % (len(ab), len(ref), extra, missing))
PYEOF
# The workers of one command: whole lines, every message once.
/usr/bin/python3 - "$work/all.out" "$work/pipe.out" "$work/file.out" <<'PYEOF' || fail "--fanout G,2: the workers' output differs from one process's"
import json, sys
PER_PROCESS = ("frame", "ts", "conn", "reply_to", "latency_us", "flow_start", "flow_latency_us")
def load(path):
    out, workers, owner = [], [], {}
    for line in open(path):
        r = json.loads(line)  # a line broken by another worker's fails here
        if r.get("event") == "capture_stats":
            workers.append(r.get("worker"))
            continue
        for k in PER_PROCESS:
            r.pop(k, None)
        out.append(json.dumps(r, sort_keys=True))
    return sorted(out), sorted(workers)
ref = load(sys.argv[1])[0]
for path in sys.argv[2:]:
    recs, workers = load(path)
    if workers != [1, 2]:
        sys.exit("%s: capture_stats of workers %s, want [1, 2]" % (path, workers))
    if recs != ref:
        sys.exit("%s: %d records vs %d" % (path, len(recs), len(ref)))
PYEOF
/usr/bin/python3 - "$work/a.out" "$work/b.out" <<'PYEOF' || fail "a connection in both processes, or one process had none"
import json, sys
owner = {}
for proc, path in enumerate(sys.argv[1:]):
    for line in open(path):
        r = json.loads(line)
        if r.get("event") == "capture_stats":
            continue
        cid = r["community_id"]
        if owner.setdefault(cid, proc) != proc:
            sys.exit("%s in both" % cid)
if set(owner.values()) != {0, 1}:
    sys.exit("one process decoded no connection")
PYEOF
echo "fanout: 100 messages, each decoded once by one of two processes, and by one of two workers of one command (pipe and -o)"
