#!/bin/bash
# Perturbed captures (captures/perturbed/, written by captures/perturb.py
# from a real capture NAME.pcap in captures/): TCP reassembly must undo
# reordering, duplication and overlapping pieces, and must lose no more than
# it has to when a segment is missing.
#
#  NAME-reorder/-dup/-overlap/-finrst/-xdir.pcap: per direction (src ->
#    dst), the sequence of messages (type, topic, packet id, QoS, payload
#    length, stream offset) equals the one of the clean NAME.pcap; no event
#    is reported (a CONNACK captured ahead of its CONNECT may say its
#    version is inferred). finrst: FINs (one made a RST) captured ahead of
#    the last data; xdir: answers and ACKs captured ahead of the data they
#    acknowledge.
#  NAME-drop.pcap (one data segment dropped, described in NAME-drop.txt): a
#    gap event is reported at the dropped bytes; the messages lost are exactly
#    those whose byte range [stream_off, stream_off+size) in the clean capture
#    intersects the dropped segment; everything else, before and after (the
#    decoder may report a resync), is decoded as in the clean capture.
#
# Regenerate the perturbed captures (checked in) with
#     python3 captures/perturb.py captures/NAME.pcap
# Usage: tests/perturb.test.sh BUILD_DIR
set -u
BUILD=${1:-${MQD_BUILD_DIR:-build}}
SRC=${MQD_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
BIN=$BUILD/mqttdissect
[ -x "$BIN" ] || { echo "no $BIN" >&2; exit 1; }
PY=/usr/bin/python3
[ -x $PY ] || PY=python3
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

run() { # capture -> json file
	"$BIN" -r "$1" -T json --color never >"$2" 2>"$2.err"
	local rc=$?
	if [ $rc -ne 0 ]; then
		echo "FAIL: mqttdissect -r $1 exited $rc:" >&2; cat "$2.err" >&2
		return 1
	fi
}

shopt -s nullglob
sets=("$SRC"/captures/perturbed/*-drop.txt)
[ ${#sets[@]} -gt 0 ] || { echo "FAIL: no captures/perturbed/*-drop.txt" >&2; exit 1; }
status=0
for info in "${sets[@]}"; do
	name=$(basename "$info" -drop.txt)
	clean="$SRC/captures/$name.pcap"
	[ -f "$clean" ] || { echo "FAIL: $clean missing (source of $info)" >&2; status=1; continue; }
	run "$clean" "$TMP/$name.jsonl" || { status=1; continue; }
	for kind in reorder dup overlap finrst xdir drop; do
		run "$SRC/captures/perturbed/$name-$kind.pcap" "$TMP/$name-$kind.jsonl" || status=1
	done
	$PY - "$name" "$TMP" "$info" <<'PYEOF' || status=1
import json, sys
from collections import defaultdict

name, tmp, info = sys.argv[1], sys.argv[2], sys.argv[3]

def load(path):
    msgs, events = defaultdict(list), []
    for line in open(path):
        o = json.loads(line)
        if "event" in o:
            events.append(o)
        else:
            msgs[(o["src"], o["dst"])].append(o)
    return msgs, events

def key(m):
    return (m["type"], m.get("topic"), m.get("packet_id"), m.get("qos"),
            (m.get("payload") or {}).get("length"), m["stream_off"])

def seqs(msgs):
    return {d: [key(m) for m in ms] for d, ms in msgs.items()}

def first_difference(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return "message %d: clean %s, perturbed %s" % (i, x, y)
    return "clean has %d messages, perturbed %d" % (len(a), len(b))

def compare(kind, want, got):
    fails = []
    for d in sorted(set(want) | set(got)):
        w, g = want.get(d, []), got.get(d, [])
        if w != g:
            fails.append("%s-%s %s -> %s: %s" % (name, kind, d[0], d[1],
                                                 first_difference(w, g)))
    return fails

clean_msgs, clean_events = load("%s/%s.jsonl" % (tmp, name))
clean = seqs(clean_msgs)
total = sum(len(v) for v in clean.values())
fails = []
if clean_events:
    fails.append("%s: the clean capture has events: %s" % (name, clean_events[:3]))
for kind in ("reorder", "dup", "overlap", "finrst", "xdir"):
    msgs, events = load("%s/%s-%s.jsonl" % (tmp, name, kind))
    f = compare(kind, clean, seqs(msgs))
    # Reordering may put a CONNACK ahead of its CONNECT in capture order:
    # its version is then inferred, and said so. Nothing else may show.
    f += ["%s-%s: unexpected event %s" % (name, kind, json.dumps(e)) for e in events
          if not (kind in ("reorder", "xdir") and e["event"] == "version_inferred")]
    print("%s-%s: %d messages, %s" % (name, kind, sum(len(v) for v in msgs.values()),
                                     "same as clean" if not f else "DIFFERENT"))
    fails += f

src, dst, off, length, frame = open(info).read().split()
off, length = int(off), int(length)
d = (src, dst)
lost = [key(m) for m in clean_msgs.get(d, [])
        if m["stream_off"] < off + length and off < m["stream_off"] + m["size"]]
want = dict(clean)
want[d] = [k for k in clean.get(d, []) if k not in lost]
msgs, events = load("%s/%s-drop.jsonl" % (tmp, name))
gaps = [e for e in events if e["event"] == "gap" and (e["src"], e["dst"]) == d]
if not any(e["stream_off"] <= off and off + length <= e["stream_off"] + e.get("bytes", 0)
           for e in gaps):
    fails.append("%s-drop: no gap event covering %s -> %s [%d, %d) (events: %s)" % (
        name, src, dst, off, off + length, [json.dumps(e) for e in events]))
allowed = {"gap", "resync"}
for e in events:
    if e["event"] not in allowed or (e["src"], e["dst"]) != d:
        fails.append("%s-drop: unexpected event %s" % (name, json.dumps(e)))
f = compare("drop", want, seqs(msgs))
fails += f
got = sum(len(v) for v in msgs.values())
print("%s-drop: dropped %d bytes at %d of %s -> %s (frame %s): %d messages touch "
      "the gap; decoded %d of %d (want %d), events %s%s" % (
          name, length, off, src, dst, frame, len(lost), got, total,
          total - len(lost), [e["event"] for e in events],
          "" if not f else ", DIFFERENT"))
for f in fails:
    print("FAIL", f)
sys.exit(1 if fails else 0)
PYEOF
done
exit $status
