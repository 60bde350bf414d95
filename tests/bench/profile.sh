#!/usr/bin/env bash
# Where mqttdissect spends its time: perf (or callgrind when perf cannot
# sample) over a synthetic capture.
# Usage: tests/bench/profile.sh [SIZE_MB] [MQTTDISSECT ARGS...]
#        default: 50 -T json; e.g. profile.sh 50 -q, profile.sh 50 -T text -V
# MQD_BUILD_DIR (default build-bench/, a Release build with debug info is best:
# configure with -DCMAKE_BUILD_TYPE=RelWithDebInfo for line-level detail).
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${MQD_BUILD_DIR:-$src/build-bench}
size=${1:-50}
shift || true
[ $# -gt 0 ] || set -- -T json
mqd=$build/mqttdissect
[ -x "$mqd" ] || { echo "profile.sh: build $mqd first (tests/bench/run.sh does)" >&2; exit 1; }
gen=$build/tests/bench/gen_capture
[ -x "$gen" ] || gen=$build/bench-tools/gen_capture
[ -x "$gen" ] || { echo "profile.sh: no gen_capture; run tests/bench/run.sh once" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mqd-prof.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
if command -v perf >/dev/null && perf record -o "$tmp/probe" -- true >/dev/null 2>&1; then
  "$gen" -s "$size" "$tmp/cap.pcap" 2>/dev/null
  perf record -g -o "$tmp/perf.data" -- "$mqd" -r "$tmp/cap.pcap" "$@" >/dev/null 2>"$tmp/perf.log"
  echo "== self time (flat)"
  perf report -i "$tmp/perf.data" --stdio --no-children --sort symbol -g none 2>/dev/null |
    grep -E '^ +[0-9]' | head -40
  echo "== call graph"
  perf report -i "$tmp/perf.data" --stdio 2>/dev/null | head -60
else
  echo "profile.sh: perf cannot sample here; using callgrind on a 5 MB capture" >&2
  "$gen" -s 5 "$tmp/cap.pcap" 2>/dev/null
  valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" "$mqd" -r "$tmp/cap.pcap" "$@" \
    >/dev/null 2>"$tmp/cg.log"
  callgrind_annotate "$tmp/cg.out" 2>/dev/null | head -60
fi
