#!/usr/bin/env bash
# --shard K/N: N runs over the same capture print together exactly what one
# run prints, and each connection (Community ID) is wholly in one shard.
# For every bundled capture (TCP, WebSocket, TLS, IPv6, MQTT-SN over UDP) and
# a synthetic one from tests/bench/gen_capture, with N = 3:
#   - JSON: the sorted union of the three shards' lines equals the whole
#     run's sorted lines once "conn" numbers (per process) are removed;
#   - EVE: the same without removing anything (flow_id comes from the
#     Community ID, so it is the same in every process);
#   - no Community ID appears in two shards.
# Also N = 1 prints what no --shard prints, and bad K/N are usage errors.
set -uo pipefail
BUILD=${1:?usage: shard.test.sh BUILD_DIR}
SRC=${MQD_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
BIN=$BUILD/mqttdissect
GEN=$BUILD/tests/bench/gen_capture
[ -x "$BIN" ] || { echo "no $BIN" >&2; exit 1; }
PY=/usr/bin/python3
[ -x $PY ] || PY=python3
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
failures=0
checks=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# Removes "conn":N from JSON lines (stdin to stdout), then sorts.
noconn() { sed -E 's/,"conn":[0-9]+//' | LC_ALL=C sort; }

# Sparkplug B state is kept per group and Edge Node across connections (a
# birth on one connection names the aliases another one uses; bdSeq counts
# sessions, each a connection): a shard sees only its own connections, so
# these facts may differ and are taken out before comparing (documented
# under --shard): birth names and datatypes given to aliases, Sparkplug
# rule ids in JSON violations, and EVE anomaly records of Sparkplug rules.
nospb_json() {
	$PY -c '
import json, sys
def strip(o):
    if isinstance(o, dict):
        if o.pop("name_from_birth", None): o.pop("name", None)
        if o.pop("datatype_from_birth", None): o.pop("datatype", None)
        for v in o.values(): strip(v)
    elif isinstance(o, list):
        for v in o: strip(v)
for line in sys.stdin:
    o = json.loads(line)
    if isinstance(o.get("violations"), list):
        o["violations"] = [v for v in o["violations"]
                           if not v["rule"].startswith(("tck-id-", "MQD-SPB-"))]
    strip(o)
    print(json.dumps(o, separators=(",", ":"), ensure_ascii=False))
'
}
nospb_eve() { grep -v '"event":"SPB_'; }

# check NAME CAPTURE: the three shards against the whole run.
check() {
	local name=$1 cap=$2 k
	"$BIN" -T json -r "$cap" --threads 1 >"$TMP/whole.json" 2>/dev/null
	"$BIN" -T eve -r "$cap" --threads 1 >"$TMP/whole.eve" 2>/dev/null
	[ -s "$TMP/whole.json" ] || { fail "$name: no output at all"; return; }
	for k in 1 2 3; do
		"$BIN" -T json -r "$cap" --shard $k/3 >"$TMP/s$k.json" 2>/dev/null
		"$BIN" -T eve -r "$cap" --shard $k/3 >"$TMP/s$k.eve" 2>/dev/null
	done
	checks=$((checks + 1))
	cat "$TMP"/s[123].json | nospb_json | noconn >"$TMP/union.json"
	nospb_json <"$TMP/whole.json" | noconn >"$TMP/whole.sorted.json"
	cmp -s "$TMP/union.json" "$TMP/whole.sorted.json" ||
		fail "$name: the JSON shards do not add up to the whole ($(diff "$TMP/union.json" "$TMP/whole.sorted.json" | head -3))"
	checks=$((checks + 1))
	cat "$TMP"/s[123].eve | nospb_eve | LC_ALL=C sort >"$TMP/union.eve"
	nospb_eve <"$TMP/whole.eve" | LC_ALL=C sort >"$TMP/whole.sorted.eve"
	cmp -s "$TMP/union.eve" "$TMP/whole.sorted.eve" ||
		fail "$name: the EVE shards do not add up to the whole"
	checks=$((checks + 1))
	$PY - "$TMP"/s[123].json <<'PYEOF' || fail "$name: a connection in two shards"
import json, sys
owner = {}
for shard, path in enumerate(sys.argv[1:], 1):
    for line in open(path):
        cid = json.loads(line).get("community_id")
        if cid and owner.setdefault(cid, shard) != shard:
            sys.exit("%s in shards %d and %d" % (cid, owner[cid], shard))
PYEOF
}

n=0
for cap in "$SRC"/captures/*.pcap "$SRC"/captures/*.pcapng; do
	[ -f "$cap" ] || continue
	check "$(basename "$cap")" "$cap"
	n=$((n + 1))
done
[ "$n" -ge 5 ] || fail "only $n captures"

if [ -x "$GEN" ]; then
	"$GEN" -s 2 -c 200 -S 7 "$TMP/synth.pcap" 2>/dev/null || fail "gen_capture failed"
	check synthetic "$TMP/synth.pcap"
	# every shard has some of the 200 connections
	for k in 1 2 3; do
		[ -s "$TMP/s$k.json" ] || fail "synthetic: shard $k/3 is empty"
	done
else
	echo "note: no $GEN; the synthetic case was skipped"
fi

"$BIN" -T json -r "$SRC/captures/chat.pcapng" --shard 1/1 >"$TMP/one" 2>/dev/null
"$BIN" -T json -r "$SRC/captures/chat.pcapng" >"$TMP/none" 2>/dev/null
checks=$((checks + 1))
cmp -s "$TMP/one" "$TMP/none" || fail "--shard 1/1 differs from no --shard"

for bad in 0/3 4/3 3 1/0 /3 1/ a/b 1/65537 -1/3; do
	"$BIN" --shard "$bad" -r "$SRC/captures/hello_world.pcap" >/dev/null 2>&1
	[ $? = 2 ] || fail "--shard $bad should be a usage error"
done

echo "shard: $checks checks, $failures failures"
[ "$failures" = 0 ]
