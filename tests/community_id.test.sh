#!/usr/bin/env bash
# The Community ID of every JSON record and event (TCP and UDP flows) must be
# the one tshark's communityid dissector gives the frame that completed it,
# on every bundled capture (IPv4 and IPv6, MQTT, WebSocket, TLS, MQTT-SN),
# with the default seed and with --community-id-seed 7. Skipped (77) without
# tshark.
set -uo pipefail
BUILD=${1:?usage: community_id.test.sh BUILD_DIR}
SRC=${MQD_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
BIN=$BUILD/mqttdissect
[ -x "$BIN" ] || { echo "no $BIN" >&2; exit 1; }
command -v tshark >/dev/null || { echo "SKIP: no tshark" >&2; exit 77; }
PY=/usr/bin/python3
[ -x $PY ] || PY=python3
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

checked=0
for cap in "$SRC"/captures/*.pcap "$SRC"/captures/*.pcapng; do
	[ -f "$cap" ] || continue
	for seed in 0 7; do
		"$BIN" -T json --community-id-seed $seed -r "$cap" >"$TMP/ours.jsonl" 2>/dev/null
		tshark -r "$cap" --enable-protocol communityid -o communityid.seed:$seed \
			-d udp.port==1884,mqttsn -T fields -e frame.number -e communityid \
			>"$TMP/theirs.tsv" 2>/dev/null || fail "tshark on $cap"
		n=$($PY - "$TMP/ours.jsonl" "$TMP/theirs.tsv" <<'PYEOF'
import json, sys
theirs = {}
for line in open(sys.argv[2]):
    parts = line.rstrip("\n").split("\t")
    if len(parts) == 2 and parts[1]:
        theirs[int(parts[0])] = parts[1].split(",")[0]
n = 0
for line in open(sys.argv[1]):
    rec = json.loads(line)
    if "frame" not in rec or rec.get("transport") is None:
        continue
    cid = rec.get("community_id")
    want = theirs.get(rec["frame"])
    if cid is None or cid != want:
        sys.exit("frame %d: community_id %r, tshark %r" % (rec["frame"], cid, want))
    n += 1
print(n)
PYEOF
		) || fail "$(basename "$cap") seed $seed"
		checked=$((checked + n))
	done
done
[ "$checked" -gt 1000 ] || fail "only $checked records checked"
echo "community_id: $checked records agree with tshark"
