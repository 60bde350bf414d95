#!/bin/bash
# The JSON schema (cli/output/mqttdissect.schema.json, issue 17 item 4):
# every -T json line of every bundled capture (captures/*.pcap*, perturbed/,
# tls/ with its key logs and without, MQTT-SN), under every option that
# changes what the JSON holds (-V, --show-secrets, --stats, --payload,
# --max-payload, --decode, --community-id-seed), and of a crafted capture
# for the events the others do not make (tests/schema_events.py; with
# --max-frame and --max-conns), is valid against the schema; and the schema
# names every key and event the code writes, and no event it does not
# (tests/schema_check.py). The schema is also the one installed.
#
# Usage: tests/schema.test.sh BUILD_DIR
set -u
. "$(dirname "$0")/support/common.sh"
need_bin
SCHEMA=$SRC/cli/output/mqttdissect.schema.json
$PY -c 'import jsonschema' 2>/dev/null || { echo "SKIP: no python3-jsonschema" >&2; exit 77; }

TLS_PORTS=8901,8902,8903,8911,8912,8913,8914,8915,8920
# run OUT FILE OPTIONS...: -T json of FILE appended to OUT; exit 0 wanted.
run() {
	local out=$1 f=$2
	shift 2
	"$BIN" -T json -r "$f" "$@" >>"$out" 2>"$TMP/err" ||
		fail "mqttdissect -T json -r $f $*: exit $?: $(head -c 300 "$TMP/err")"
}
ALL=("$C"/*.pcap "$C"/*.pcapng "$C"/perturbed/*.pcap)
for f in "${ALL[@]}"; do
	run "$TMP/default.jsonl" "$f"
	run "$TMP/secrets.jsonl" "$f" -V --show-secrets --stats --community-id-seed 7 \
		--payload hex --max-payload 4
done
# The payload renderings on each capture once (the perturbed ones repeat
# burst_500 and midstream_full).
for f in "$C"/*.pcap "$C"/*.pcapng; do
	run "$TMP/payload.jsonl" "$f" --payload text --stats
	run "$TMP/payload.jsonl" "$f" --payload none
	run "$TMP/payload.jsonl" "$f" --max-payload 3
	for fmt in json cbor msgpack gzip+json sparkplug text hex; do
		run "$TMP/decode.jsonl" "$f" --decode "#=$fmt"
	done
done
for f in "$C"/tls/*.pcap; do
	run "$TMP/tls.jsonl" "$f" --tls-port $TLS_PORTS --tls-keylog "${f%.pcap}.keylog" tcp
	run "$TMP/tls.jsonl" "$f" -V --tls-port $TLS_PORTS --tls-keylog "${f%.pcap}.keylog" --stats tcp
	run "$TMP/tls.jsonl" "$f" --tls-port $TLS_PORTS tcp
done
$PY "$SRC/tests/schema_events.py" "$TMP/events.pcap" || fail "schema_events.py"
for opts in "" "-V" "--max-frame 16" "--max-conns 1" "--stats --show-secrets"; do
	# shellcheck disable=SC2086
	run "$TMP/events.jsonl" "$TMP/events.pcap" $opts
done
for want in proxy overlap_conflict framing_error truncated ws_handshake ws_frame ws_ping \
	ws_pong ws_close ws_violation sn_undecodable oversize evicted; do
	grep -q "\"event\":\"$want\"" "$TMP/events.jsonl" || fail "the crafted capture made no $want event"
done
grep -q '"password_hex"' "$TMP/secrets.jsonl" || fail "--show-secrets wrote no password_hex"
grep -q '"stats"' "$TMP/secrets.jsonl" || fail "--stats wrote no stats line"
grep -q '"version":"sn1.2"' "$TMP/default.jsonl" || fail "no MQTT-SN record"
grep -q '"sparkplug"' "$TMP/default.jsonl" || fail "no Sparkplug record"

$PY "$SRC/tests/schema_check.py" "$SCHEMA" "$SRC" "$TMP"/*.jsonl || exit 1

# Installed where the man page says: share/mqttdissect/.
cmake --install "$BUILD" --prefix "$TMP/prefix" >"$TMP/install.log" 2>&1 ||
	fail "cmake --install: $(tail -3 "$TMP/install.log")"
cmp -s "$TMP/prefix/share/mqttdissect/mqttdissect.schema.json" "$SCHEMA" ||
	fail "share/mqttdissect/mqttdissect.schema.json is not installed"
echo "PASS: schema"
