#!/bin/bash
# CBOR payloads cross-checked against tshark's CBOR dissector on
# captures/payloads.pcap: tshark decodes the MQTT 5 ones by their Content
# Type application/cbor (as mqttdissect does), the others through its MQTT
# "Message Decoding" table (uat:mqtt_message_decoding, topic enc/cbor/plain,
# as --decode does for mqttdissect); tests/payloads_tshark.py compares
# tshark's item trees with mqttdissect's payload.cbor, message by message.
# Skipped (77) without tshark.
# Usage: tests/payloads_tshark.test.sh BUILD_DIR
set -u
. "$(dirname "$0")/support/common.sh"
need_bin
PY=$(command -v python3) || { echo "SKIP: no python3" >&2; exit 77; }
command -v tshark >/dev/null || { echo "SKIP: no tshark" >&2; exit 77; }
CAP=$SRC/captures/payloads.pcap
args=$(awk '$1 == "payloads.pcap" { $1 = ""; print; exit }' "$SRC/tests/golden/ports.txt")
# shellcheck disable=SC2086
"$BIN" -r "$CAP" -T json $args >"$TMP/ours.jsonl" || exit 1
tshark -r "$CAP" -Y 'mqtt.msgtype == 3' \
	-o 'uat:mqtt_message_decoding:"Equal to","enc/cbor/plain","none","cbor"' \
	-T pdml >"$TMP/theirs.pdml" 2>"$TMP/err" || { cat "$TMP/err" >&2; exit 1; }
"$PY" "$SRC/tests/payloads_tshark.py" "$TMP/ours.jsonl" "$TMP/theirs.pdml"
