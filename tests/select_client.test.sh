#!/bin/bash
# --client: repeatable (any pattern matches), with '*' (any run, possibly
# empty) and '+' (a run of at least one) wildcards; the records printed are
# exactly those of the connections whose client id matches, as the
# unselected -T json shows them (the CONNECT's id, or for an MQTT 5 client
# that sent an empty one, the CONNACK's Assigned Client Identifier:
# captures/assigned_id.pcap, recorded with paho against mosquitto). --stats
# lists the assigned ids, not an empty one. MQTT-SN clients too. Every
# record of a connection whose CONNECT was seen carries client_id.
# Usage: tests/select_client.test.sh BUILD_DIR
set -u
. "$(dirname "$0")/support/common.sh"
need_bin

# check CAPTURE EXPECTED-CONNECTIONS PATTERN...: the JSON printed with
# --client PATTERN... is every record of the connections whose id (from
# the unselected output) matches one of the patterns (fnmatch, '+' as '?*'),
# and those are EXPECTED-CONNECTIONS many.
check() {
	local cap=$1 want=$2
	shift 2
	local args=()
	for p in "$@"; do args+=(--client "$p"); done
	"$BIN" -r "$SRC/captures/$cap" -T json >"$TMP/all.jsonl" 2>/dev/null
	"$BIN" -r "$SRC/captures/$cap" -T json "${args[@]}" >"$TMP/sel.jsonl" 2>/dev/null
	"$BIN" -r "$SRC/captures/$cap" "${args[@]}" >"$TMP/sel.txt" 2>/dev/null
	$PY - "$TMP/all.jsonl" "$TMP/sel.jsonl" "$TMP/sel.txt" "$want" "$@" <<'PYEOF'
import json, sys, fnmatch
all_, sel, txt, want = sys.argv[1:5]
pats = [p.replace("[", "[[]").replace("+", "?*") for p in sys.argv[5:]]
recs = [json.loads(l) for l in open(all_)]
def key(o):
    return ("sn", o["conn"]) if o.get("transport") == "udp" else o.get("conn")
def match(v):
    return any(fnmatch.fnmatchcase(v, p) for p in pats)
# A connection's id is its CONNECT's (MQTT-SN: from that record on); an
# MQTT 5 client's empty one becomes the CONNACK's Assigned Client
# Identifier from the CONNACK on (the CONNECT itself went by as "").
ids = {}
expect = []
chosen = set()
for o in recs:
    k = key(o)
    if o.get("type") == "CONNECT":
        ids[k] = o.get("client_id", o.get("connect", {}).get("client_id", ""))
    if o.get("type") == "CONNACK" and ids.get(k) == "":
        for p in o.get("properties", []):
            if p.get("id") == 0x12:
                ids[k] = p["value"]
    if k in ids and match(ids[k]):
        chosen.add(k)
        if "event" not in o or o["event"] == "state_violation":
            expect.append(json.dumps(o))
got = [json.dumps(json.loads(l)) for l in open(sel) if "event" not in json.loads(l)
       or json.loads(l)["event"] == "state_violation"]
name = " ".join(sys.argv[5:])
if got != expect:
    print(f"FAIL: --client {name}: {len(got)} records, {len(expect)} expected"); sys.exit(1)
if len(chosen) != int(want):
    print(f"FAIL: --client {name}: {len(chosen)} connections match, {want} expected"); sys.exit(1)
n_txt = sum(1 for l in open(txt) if " EVENT " not in l or "state_violation" in l)
if n_txt != len(expect):
    print(f"FAIL: --client {name}: {n_txt} text lines, {len(expect)} records"); sys.exit(1)
print(f"ok: --client {name}: {len(chosen)} connections, {len(got)} records")
PYEOF
	[ $? -eq 0 ] || failures=$((failures + 1)) # it printed why
}

check chat.pcapng 1 chat-alice
check chat.pcapng 2 chat-alice chat-bob
check chat.pcapng 2 'chat-*'
check chat.pcapng 2 'chat-+'
check chat.pcapng 0 'chat-'
check chat.pcapng 1 '*-b+b'
check chat.pcapng 1 'chat-a*' 'nobody'
check chat.pcapng 2 '*'
check hello_world.pcap 1 '+-pub'
check qos_v5.pcap 0 'qos'
# The assigned ids (mosquitto's "auto-" + a UUID) are found; the named
# client is not.
check assigned_id.pcap 2 'auto-*'
check assigned_id.pcap 3 'auto-*' 'assigned-named'
# An empty pattern: the two CONNECTs that carried an empty id, nothing
# after the server assigned one.
check assigned_id.pcap 2 ''
# MQTT-SN: the CONNECT's client id.
check mqttsn.pcap 1 "$("$BIN" -r "$SRC/captures/mqttsn.pcap" -T json | grep -m1 -o '"type":"CONNECT".*' | sed -n 's/.*"client_id":"\([^"]*\)".*/\1/p')"

# A pattern that matches nothing prints nothing (and is not an error).
n=$("$BIN" -r "$SRC/captures/chat.pcapng" --client 'zzz*' | wc -l)
[ "$n" = 0 ] || bad "--client zzz* printed $n lines"

# --stats: the assigned ids are listed, each with its connection, and no
# empty client id.
"$BIN" -r "$SRC/captures/assigned_id.pcap" --stats -T json -q 2>/dev/null | tail -1 >"$TMP/stats.json"
$PY - "$TMP/stats.json" <<'PYEOF' || failures=$((failures + 1)) # it printed why
import json, sys
st = json.load(open(sys.argv[1]))["stats"]
ids = sorted(c["client_id"] for c in st["clients"])
auto = [i for i in ids if i.startswith("auto-")]
if len(auto) != 2 or "" in ids or "assigned-named" not in ids:
    print("FAIL: --stats clients:", ids); sys.exit(1)
if any(c["connections"] != 1 for c in st["clients"]):
    print("FAIL: --stats connections:", st["clients"]); sys.exit(1)
print("ok: --stats lists", ids)
PYEOF
"$BIN" -r "$SRC/captures/assigned_id.pcap" --stats -q 2>/dev/null | grep -c '^  auto-' | grep -qx 2 ||
	bad "--stats text does not list the two assigned ids"

# client_id on every record (messages and events) of a connection from its
# CONNECT on: the CONNECT's id, or from the CONNACK on the assigned one;
# none on connections whose CONNECT was not captured, nor on MQTT-SN. In
# text, client_id= on every line of those connections but the CONNECTs.
for cap in hello_world.pcap chat.pcapng qos_v5.pcap burst_500.pcap assigned_id.pcap \
	state_violations.pcap midstream.pcap mqttsn.pcap; do
	"$BIN" -r "$SRC/captures/$cap" -T json >"$TMP/cid.jsonl" 2>/dev/null
	"$BIN" -r "$SRC/captures/$cap" --color never >"$TMP/cid.txt" 2>/dev/null
	$PY - "$TMP/cid.jsonl" "$TMP/cid.txt" "$cap" <<'PYEOF' || failures=$((failures + 1)) # it printed why
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
txt = open(sys.argv[2]).read().split("\n")[:-1]
ids, n_with, bad = {}, 0, []
for o, line in zip(recs, txt):
    if o.get("transport") == "udp":
        continue  # MQTT-SN: client_id only where the message has one
    k = o["conn"]
    if k is not None and o.get("type") == "CONNECT":
        ids[k] = o["connect"].get("client_id", "")
    if k is not None and o.get("type") == "CONNACK" and ids.get(k) == "":
        for p in o.get("properties", []):
            if p.get("id") == 0x12:
                ids[k] = p["value"]
    want = ids.get(k)
    if o.get("client_id") != want:
        bad.append(f"frame {o['frame']}: client_id {o.get('client_id')!r}, want {want!r}")
    if want is not None:
        n_with += 1
        has = f'client_id="{want}"' in line
        if o.get("type") != "CONNECT" and not has:
            bad.append(f"text line lacks client_id: {line[:120]}")
        if o.get("type") == "CONNECT" and line.count("client_id=") != 1:
            bad.append(f"CONNECT line repeats client_id: {line[:120]}")
    elif "client_id=" in line and o.get("type") != "CONNECT":
        bad.append(f"client_id in text where none is known: {line[:120]}")
if len(recs) != len(txt):
    bad.append(f"{len(recs)} JSON records, {len(txt)} text lines")
if bad:
    print(f"FAIL: {sys.argv[3]}: " + "; ".join(bad[:3])); sys.exit(1)
print(f"ok: {sys.argv[3]}: client_id on {n_with} of {len(recs)} records")
PYEOF
done
# EVE's mqtt object gains no key.
"$BIN" -r "$SRC/captures/hello_world.pcap" -T eve | grep -q client_id_ &&
	bad "EVE has a new key"

# Too many patterns is a usage error.
args=()
for i in $(seq 17); do args+=(--client "c$i"); done
"$BIN" -r "$SRC/captures/chat.pcapng" "${args[@]}" >/dev/null 2>&1
[ $? -eq 2 ] || bad "17 --client patterns accepted"

[ "$failures" -eq 0 ] || exit 1
echo "select_client: all ok"
