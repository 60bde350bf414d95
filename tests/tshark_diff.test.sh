#!/bin/bash
# Differential test against tshark's MQTT dissector: for every capture in
# captures/ and captures/perturbed/, per TCP connection and direction, the
# sequence of (frame, type, topic, packet id, QoS) must be the same in both.
# Deliberate differences (WebSocket, TLS, Topic Alias, malformed topics,
# out-of-order data, midstream) are named, checked and counted: see the
# docstring of tests/tshark_diff.py. Prints the counts at the end.
# Usage: tests/tshark_diff.test.sh BUILD_DIR
set -u
BUILD=${1:-${MQD_BUILD_DIR:-build}}
SRC=${MQD_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
BIN=$BUILD/mqttdissect
[ -x "$BIN" ] || { echo "no $BIN" >&2; exit 1; }
if ! command -v tshark >/dev/null; then
	echo "SKIP: tshark is not installed (tests/install-deps.sh installs it)" >&2
	exit 77
fi
PY=/usr/bin/python3
[ -x $PY ] || PY=python3
exec $PY "$SRC/tests/tshark_diff.py" "$BIN" "$SRC"
