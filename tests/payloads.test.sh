#!/bin/bash
# CBOR, MessagePack, gzip and zlib JSON decoded as they were sent:
# captures/payloads.pcap was recorded with captures/clients/payloads.py,
# which also wrote what it published to captures/payloads.expected.jsonl;
# tests/payloads_check.py compares mqttdissect's JSON with it. The topics
# without a Content Type are chosen by --decode (the arguments
# tests/golden/ports.txt gives this capture), the others by their MQTT 5
# Content Type.
# Usage: tests/payloads.test.sh BUILD_DIR
set -u
. "$(dirname "$0")/support/common.sh"
need_bin
PY=$(command -v python3) || { echo "SKIP: no python3" >&2; exit 77; }
args=$(awk '$1 == "payloads.pcap" { $1 = ""; print; exit }' "$SRC/tests/golden/ports.txt")
[ -n "$args" ] || { echo "no payloads.pcap line in tests/golden/ports.txt" >&2; exit 1; }
# shellcheck disable=SC2086
"$BIN" -r "$SRC/captures/payloads.pcap" -T json $args |
	"$PY" "$SRC/tests/payloads_check.py" "$SRC/captures/payloads.expected.jsonl"
