#!/bin/bash
# End to end on the real captures: MQTT over WebSocket (ws_v311.pcap,
# ws_v5.pcap; with a lost segment and picked up mid-stream), TLS (tls.pcap), MQTT on a port nobody named (port1884.pcap)
# and a capture that starts inside a connection (midstream.pcap).
# The expected message sequences come from captures/clients/websocket.py and
# captures/clients/midstream.py.
# Usage: tests/transport.test.sh BUILD_DIR
set -u
BUILD=${1:-${MQD_BUILD_DIR:-build}}
SRC=${MQD_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
BIN=$BUILD/mqttdissect
CAP=$SRC/captures
[ -x "$BIN" ] || { echo "no $BIN" >&2; exit 1; }
for f in ws_v311 ws_v5 tls port1884 midstream; do
	[ -f "$CAP/$f.pcap" ] || { echo "SKIP: no captures/$f.pcap"; exit 77; }
done
PY=/usr/bin/python3
[ -x $PY ] || PY=python3
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail=0

run() { # name, then mqttdissect arguments: JSON Lines into $TMP/name.json
	local name=$1
	shift
	if ! "$BIN" -T json "$@" >"$TMP/$name.json" 2>"$TMP/$name.err"; then
		echo "FAIL: mqttdissect $* exited with an error:" >&2
		cat "$TMP/$name.err" >&2
		fail=1
	fi
}

check() { # name, python code reading the records as `recs`
	local name=$1 code=$2
	if ! $PY - "$TMP/$name.json" <<EOF; then
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
msgs = [r for r in recs if "type" in r]
events = [r for r in recs if "event" in r]
def ev(name):
    return [r for r in events if r["event"] == name]
def fail(why):
    print("FAIL: $name: " + why, file=sys.stderr)
    sys.exit(1)
$code
EOF
		fail=1
	else
		echo "ok: $name"
	fi
}

# ---- WebSocket ----
WS_CHECK='
def pattern(size, seed):
    out = bytearray(size)
    state = seed
    for i in range(size):
        state = (state * 1103515245 + 12345) & 0xFFFFFFFF
        out[i] = state >> 24
    return bytes(out)

want = {
    ("sub", "c"): "CONNECT SUBSCRIBE PUBACK PUBREC PUBCOMP PUBACK PUBLISH:ws/echo PUBACK DISCONNECT",
    ("sub", "s"): "CONNACK SUBACK PUBLISH:ws/hello PUBLISH:ws/qos1 PUBLISH:ws/qos2 PUBREL PUBLISH:ws/big PUBLISH:ws/echo PUBACK",
    ("pub", "c"): "CONNECT SUBSCRIBE PUBLISH:ws/hello PUBLISH:ws/qos1 PUBLISH:ws/qos2 PUBREL PUBLISH:ws/big PUBACK DISCONNECT",
    ("pub", "s"): "CONNACK SUBACK PUBACK PUBREC PUBCOMP PUBACK PUBLISH:ws/echo",
}
role = {}
for m in msgs:
    if m["type"] == "CONNECT":
        role[m["conn"]] = "sub" if m["connect"]["client_id"].startswith("ws-sub") else "pub"
got = {}
for m in msgs:
    d = "c" if m["dst"].endswith(":8080") else "s"
    item = m["type"] + (":" + m["topic"] if m["type"] == "PUBLISH" else "")
    got.setdefault((role.get(m["conn"], "?"), d), []).append(item)
for k, v in want.items():
    if " ".join(got.get(k, [])) != v:
        fail("%s/%s: got %s, want %s" % (k[0], k[1], " ".join(got.get(k, [])), v))
if len(msgs) != 34:
    fail("%d messages, want 34" % len(msgs))
if any(m["transport"] != "websocket" for m in msgs):
    fail("a message whose transport is not websocket")
if any(m.get("violations") for m in msgs):
    fail("violations in clean traffic")
det = ev("detected")
if len(det) != 2 or any(d["how"] != "websocket" or d.get("protocol") != "mqtt" for d in det):
    fail("want two detected events, how=websocket, protocol mqtt: %s" % det)
bad = [e for e in events if e["event"] not in ("detected",)]
if bad:
    fail("unexpected events: %s" % bad[:3])
big = [m for m in msgs if m.get("topic") == "ws/big"]
expect = pattern(200 * 1024, 7).hex()
if len(big) != 2 or any(m["payload"]["hex"] != expect for m in big):
    fail("the 200 KiB payload is not what the publisher sent")
'
run ws_v311 -r "$CAP/ws_v311.pcap"
check ws_v311 "$WS_CHECK"
run ws_v5 -r "$CAP/ws_v5.pcap"
check ws_v5 "$WS_CHECK
if any(m[\"version\"] != 5 for m in msgs):
    fail(\"not all messages are 5.0\")"

# -V: one ws_frame record per frame; the publisher split the big PUBLISH into
# frames of 50000 bytes: continuation frames in 3.1.1, whole binary frames
# in 5.0.
run ws_v311_verbose -V -r "$CAP/ws_v311.pcap"
check ws_v311_verbose '
frames = ev("ws_frame")
cont = [f for f in frames if f["opcode_name"] == "continuation"]
if len(cont) != 4 or [f["fin"] for f in cont] != [False, False, False, True]:
    fail("want 4 continuation frames, the last with FIN: %s" % cont)
first = [f for f in frames if f["length"] == 50000 and f["opcode_name"] == "binary"]
if len(first) != 1 or first[0]["fin"] or not first[0]["masked"]:
    fail("want one masked binary frame of 50000 bytes without FIN")
if any(f["masked"] != f["dst"].endswith(":8080") for f in frames):
    fail("client frames masked, server frames not")
if len(ev("ws_handshake")) != 2 or not all(h["accept_ok"] for h in ev("ws_handshake")):
    fail("want two good handshakes")
'
run ws_v5_verbose -V -r "$CAP/ws_v5.pcap"
check ws_v5_verbose '
frames = [f for f in ev("ws_frame") if f["length"] == 50000]
if len(frames) != 4 or not all(f["fin"] and f["opcode_name"] == "binary" for f in frames):
    fail("want four whole binary frames of 50000 bytes")
'

# A WebSocket stream with a lost TCP segment (captures/perturb.py drops one
# inside the 200 KiB message the server sends in 5 frames): the hole
# lies inside a frame, so WebSocket framing is kept; only that message is
# lost, every other one is decoded as in the clean capture, and a gap event
# names the hole.
run ws_clean -r "$CAP/ws_v311.pcap"
if $PY "$SRC/captures/perturb.py" "$CAP/ws_v311.pcap" "$TMP/perturbed" >/dev/null; then
	run ws_drop -r "$TMP/perturbed/ws_v311-drop.pcap"
	check ws_drop "
clean = [json.loads(l) for l in open('$TMP/ws_clean.json')]
def seq(rs): # in each direction's order (messages after a hole come when
             # the reassembly gives up waiting for it)
    return sorted([(r['src'], r['dst'], r['stream_off'], r['type'], r.get('topic'),
                    r.get('packet_id'), (r.get('payload') or {}).get('length'))
                   for r in rs if 'type' in r], key=lambda m: (m[0], m[1], m[2]))
lost = [m for m in seq(clean) if m[6] == 204800 and m[0].endswith(':8080')]
if len(lost) != 1:
    fail('the clean capture should hold one 204800-byte message from the server')
want = [m for m in seq(clean) if m not in lost]
if seq(recs) != want:
    fail('messages differ from the clean ones but the one the hole is in:\\n%s\\n%s' % (seq(recs), want))
if len(ev('gap')) != 1 or ev('gap')[0]['bytes'] != 1448:
    fail('want one gap event of 1448 bytes: %s' % ev('gap'))
if ev('ws_violation') or ev('ws_resync'):
    fail('framing should be kept: %s' % (ev('ws_violation') + ev('ws_resync')))
"
else
	echo "FAIL: captures/perturb.py could not perturb ws_v311.pcap" >&2
	fail=1
fi

# A WebSocket connection picked up mid-stream (the capture without its first
# 19 frames, so without any handshake): frames are searched for, and from
# the first found on, every message of each direction is the clean one.
if editcap -r "$CAP/ws_v311.pcap" "$TMP/ws_mid.pcap" 20-100000 >/dev/null 2>&1; then
	run ws_mid -r "$TMP/ws_mid.pcap"
	check ws_mid "
clean = [json.loads(l) for l in open('$TMP/ws_clean.json')]
def by_dir(rs):
    out = {}
    for r in rs:
        if 'type' in r:
            out.setdefault((r['src'], r['dst']), []).append(
                (r['type'], r.get('topic'), r.get('packet_id'),
                 (r.get('payload') or {}).get('length')))
    return out
want, got = by_dir(clean), by_dir(recs)
if sum(len(v) for v in got.values()) < 20:
    fail('too few messages decoded mid-stream: %s' % got)
for d, ms in got.items():
    if want.get(d, [])[-len(ms):] != ms:
        fail('%s: not the end of the clean sequence:\\n%s\\n%s' % (d, ms, want.get(d)))
if not any(e.get('how') == 'websocket-midstream' for e in ev('detected')):
    fail('no detected event with how=websocket-midstream')
if ev('ws_violation'):
    fail('violations: %s' % ev('ws_violation'))
"
else
	echo "FAIL: editcap could not cut ws_v311.pcap" >&2
	fail=1
fi

# ---- TLS ----
run tls -r "$CAP/tls.pcap"
check tls '
t = ev("tls")
if msgs:
    fail("TLS records parsed as MQTT")
if len(t) != 2:
    fail("want 2 tls events, got %d" % len(t))
if any(e.get("sni") != "broker.test" or e.get("server_version") != "TLS1.3" for e in t):
    fail("SNI broker.test and TLS1.3 wanted: %s" % t)
if sorted(e.get("alpn", "") for e in t) != ["", "mqtt"]:
    fail("want one ClientHello with ALPN mqtt, one without")
if not all(e.get("cipher") for e in t):
    fail("cipher suite names missing")
'

# ---- any port ----
run port1884 -r "$CAP/port1884.pcap"
check port1884 '
if len(msgs) != 23:
    fail("%d messages, want 23" % len(msgs))
if not ev("detected") or any(d["how"] != "connect" for d in ev("detected")):
    fail("want detected events with how=connect")
'
run port1884_noheur --no-heuristics -r "$CAP/port1884.pcap"
check port1884_noheur '
if recs:
    fail("--no-heuristics still decoded port 1884")
'
run port1884_p --no-heuristics -p 1884 -r "$CAP/port1884.pcap"
check port1884_p '
if len(msgs) != 23 or ev("detected"):
    fail("-p 1884: want 23 messages and no detection event")
'

# ---- mid-stream ----
run midstream -r "$CAP/midstream.pcap"
check midstream '
ms = ev("midstream")
vi = ev("version_inferred")
if not ms or not any(e["skipped"] == 18568 for e in ms):
    fail("want a midstream event skipping the rest of the 20000-byte PUBLISH: %s" % ms)
if len(vi) != 2 or any(e["version"] != 4 for e in vi):
    fail("want version_inferred 4 once per connection: %s" % vi)
if ev("framing_error") or ev("resync") or ev("truncated"):
    fail("framing trouble after the boundary was found")
if len(msgs) != 35:
    fail("%d messages, want 35" % len(msgs))
small = [m["payload"].get("text") for m in msgs
         if m["type"] == "PUBLISH" and m["dst"].endswith(":1883")]
if small != ["after %d" % i for i in range(5)]:
    fail("want the 5 PUBLISHes the publisher sent after the cut, got %d" % len(small))
if any(m.get("violations") for m in msgs):
    fail("violations in clean traffic")
'

exit $fail
