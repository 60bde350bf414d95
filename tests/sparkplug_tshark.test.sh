#!/bin/bash
# Sparkplug B cross-checked against tshark: tshark 4.0 decodes the payloads
# of captures/sparkplug.pcap with its protobuf dissector, given our schema
# (protobuf.search_paths: cli/decode/sparkplug_b.proto), the MQTT "Message
# Decoding" table (uat:mqtt_message_decoding: topics starting with spBv1.0/)
# and tests/sparkplug_tshark.lua (which tells the protobuf dissector the
# message type: the MQTT dissector passes none). tests/sparkplug_tshark.py
# compares mqttdissect's JSON with tshark's PDML message by message: seq,
# timestamp, metric names, aliases, datatypes and values.
# Skipped (77) without tshark or without its Lua support.
# Usage: tests/sparkplug_tshark.test.sh BUILD_DIR
set -u
. "$(dirname "$0")/support/common.sh"
need_bin
PY=$(command -v python3) || { echo "SKIP: no python3" >&2; exit 77; }
command -v tshark >/dev/null || { echo "SKIP: no tshark" >&2; exit 77; }
tshark -v 2>/dev/null | grep -q 'with Lua' || { echo "SKIP: tshark without Lua" >&2; exit 77; }
CAP=$SRC/captures/sparkplug.pcap
"$BIN" -r "$CAP" -T json >"$TMP/ours.jsonl" || exit 1
tshark -X "lua_script:$SRC/tests/sparkplug_tshark.lua" -r "$CAP" \
	-o 'uat:mqtt_message_decoding:"Starts with","spBv1.0/","none","spbpayload"' \
	-o "uat:protobuf_search_paths:\"$SRC/cli/decode\",\"TRUE\"" \
	-o protobuf.pbf_as_hf:TRUE -T pdml >"$TMP/theirs.pdml" 2>"$TMP/err" ||
	{ cat "$TMP/err" >&2; exit 1; }
grep -q 'name="pbf.mqd.spb.Payload.metrics"' "$TMP/theirs.pdml" ||
	{ echo "FAIL: tshark decoded no Sparkplug metric"; cat "$TMP/err"; exit 1; }
"$PY" "$SRC/tests/sparkplug_tshark.py" "$TMP/ours.jsonl" "$TMP/theirs.pdml"
