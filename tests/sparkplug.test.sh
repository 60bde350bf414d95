#!/bin/bash
# Sparkplug B decoded field for field as it was sent: captures/sparkplug.pcap
# was recorded with captures/clients/sparkplug.py, which also wrote what it
# published to captures/sparkplug.expected.jsonl; tests/sparkplug_check.py
# compares mqttdissect's JSON with it (every datatype, arrays, DataSet,
# Template, properties, metadata, seq wrapping, rebirth, deaths).
# Usage: tests/sparkplug.test.sh BUILD_DIR
set -u
BUILD=${1:-${MQD_BUILD_DIR:-build}}
SRC=${MQD_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
BIN=$BUILD/mqttdissect
[ -x "$BIN" ] || { echo "no $BIN" >&2; exit 1; }
PY=$(command -v python3) || { echo "SKIP: no python3" >&2; exit 77; }
"$BIN" -r "$SRC/captures/sparkplug.pcap" -T json |
	"$PY" "$SRC/tests/sparkplug_check.py" "$SRC/captures/sparkplug.expected.jsonl"
