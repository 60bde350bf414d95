#!/bin/bash
# Rewrite the golden outputs in tests/golden/ from the captures in captures/
# with BUILD_DIR/mqttdissect (default: build), then show what changed.
# READ the diff before committing: a new violation on real traffic, a missing
# message or an odd value is a bug, not a new golden output.
# Usage: bash tests/golden-refresh.sh [BUILD_DIR]
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$SRC/build}
BIN=$BUILD/mqttdissect
[ -x "$BIN" ] || { echo "no $BIN: build it first" >&2; exit 1; }
GOLDEN_SOURCE_ONLY=1 source "$SRC/tests/golden.test.sh"
rm -f "$SRC"/tests/golden/*.pcap.txt "$SRC"/tests/golden/*.pcapng.txt \
	"$SRC"/tests/golden/*.jsonl "$SRC"/tests/golden/tls/*.pcap.txt \
	"$SRC"/tests/golden/tls/*.pcapng.txt "$SRC"/tests/golden/tls/*.jsonl
golden_generate "$BIN" "$SRC" "$SRC/tests/golden"
cd "$SRC"
git --no-pager diff --stat -- tests/golden/
git --no-pager diff -- tests/golden/
echo "New (untracked) golden files:"
git status --short --untracked-files=all -- tests/golden/ | grep '^??' || echo "  none"
