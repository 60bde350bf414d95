#!/usr/bin/env bash
# -T eve (Suricata EVE JSON): on every bundled capture, with and without
# --show-secrets, and with a --max-frame small enough to skip frames,
#   - every line validates against tests/eve/mqtt-eve.schema.json (written
#     from Suricata's documented EVE format; python3-jsonschema);
#   - a Suricata-pipeline consumer (tests/eve/check_eve.py consumer) ingests
#     the lines unchanged: timestamps parse with Suricata's format, addresses
#     and ports parse, flow_id is an integer, no field changes type;
#   - the records are those of -T json, in order (check_eve.py match);
#   - flow_id is the same for both directions of a connection and differs
#     between connections with different Community IDs.
# Skipped (77) without python3-jsonschema.
set -uo pipefail
BUILD=${1:?usage: eve.test.sh BUILD_DIR}
SRC=${MQD_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
BIN=$BUILD/mqttdissect
[ -x "$BIN" ] || { echo "no $BIN" >&2; exit 1; }
PY=/usr/bin/python3
[ -x $PY ] || PY=python3
CHECK="$SRC/tests/eve/check_eve.py"
SCHEMA="$SRC/tests/eve/mqtt-eve.schema.json"
$PY -c 'import jsonschema' 2>/dev/null || { echo "SKIP: no python3-jsonschema" >&2; exit 77; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

files=()
i=0
for cap in "$SRC"/captures/*.pcap "$SRC"/captures/*.pcapng "$SRC"/captures/perturbed/*.pcap; do
	[ -f "$cap" ] || continue
	for args in "" "--show-secrets" "--max-frame 200"; do
		i=$((i + 1))
		# shellcheck disable=SC2086
		"$BIN" -T eve $args -r "$cap" >"$TMP/$i.eve" 2>/dev/null
		# shellcheck disable=SC2086
		"$BIN" -T json $args -r "$cap" >"$TMP/$i.json" 2>/dev/null
		$PY "$CHECK" match "$TMP/$i.eve" "$TMP/$i.json" >/dev/null ||
			fail "$(basename "$cap") $args: EVE records differ from -T json"
		files+=("$TMP/$i.eve")
	done
done
[ ${#files[@]} -gt 0 ] || fail "no captures"

n=$($PY "$CHECK" schema "$SCHEMA" "${files[@]}") || fail "schema validation"
[ "$n" -gt 1000 ] || fail "only $n EVE records validated"
c=$($PY "$CHECK" consumer "${files[@]}") || fail "consumer"
[ "$c" = "$n" ] || fail "consumer read $c records, schema $n"

# Every packet type, a truncated record, an anomaly of each kind.
all="$TMP/all"
cat "${files[@]}" >"$all"
for t in connect connack publish puback pubrec pubrel pubcomp subscribe suback \
	unsubscribe unsuback pingreq pingresp disconnect auth; do
	grep -q "\"mqtt\":{\"$t\":{" "$all" || fail "no $t record in any capture"
done
grep -q '"truncated":true,"skipped_length":' "$all" || fail "no truncated record"
grep -q '"type":"applayer","event":"[A-Z0-9_]*","layer":"proto_parser","code":' "$all" ||
	fail "no violation anomaly"
grep -q '"type":"stream","event":"stream.gap"' "$all" || fail "no gap anomaly"
grep -q '"mqtt.reply_to":' "$all" || fail "no pairing in metadata"
grep -q '"password":"<redacted>"' "$all" || fail "no redacted password"

# flow_id: one per Community ID, both directions alike.
$PY - "$all" <<'PYEOF' || fail "flow_id is not one per Community ID"
import json, sys
by_cid, by_fid = {}, {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    cid, fid = r["community_id"], r["flow_id"]
    if by_cid.setdefault(cid, fid) != fid or by_fid.setdefault(fid, cid) != cid:
        sys.exit("flow_id %d, community_id %s" % (fid, cid))
PYEOF

# MQTT-SN is not printed in EVE.
"$BIN" -T eve -r "$SRC/captures/mqttsn.pcap" >"$TMP/sn.eve" 2>/dev/null
[ ! -s "$TMP/sn.eve" ] || fail "MQTT-SN records in EVE output"
# --stats keeps stdout EVE only.
"$BIN" -T eve --stats -r "$SRC/captures/hello_world.pcap" >"$TMP/st.eve" 2>"$TMP/st.err"
$PY "$CHECK" schema "$SCHEMA" "$TMP/st.eve" >/dev/null || fail "--stats output is not EVE"
[ -s "$TMP/st.err" ] || fail "--stats with -T eve: no summary on stderr"

echo "eve: $n records valid, consumed and matched"
