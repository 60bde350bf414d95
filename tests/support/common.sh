# The preamble the shell tests share. Source it right after `set -u`:
#   . "$(dirname "$0")/support/common.sh"
# It sets
#   BUILD  the build tree: the script's first argument, else $MQD_BUILD_DIR,
#          else build
#   SRC    the source tree: $MQD_SOURCE_DIR, else the parent of tests/
#   BIN    $BUILD/mqttdissect (need_bin checks it is there)
#   C      $SRC/captures
#   PY     Debian's /usr/bin/python3 (where paho, scapy, protobuf and
#          jsonschema load), else the python3 on PATH
#   TMP    a new directory, removed at exit (a script that sets an EXIT
#          trap of its own removes it there)
#   failures  0; bad adds to it
# and defines
#   fail MSG   prints FAIL: MSG on stderr and exits 1 at once
#   bad MSG    prints FAIL: MSG and counts it in $failures, going on
#   need_bin   exits 1 when $BIN is not an executable
# It sets no shell options: each script keeps its own (set -u, set -e).
# shellcheck shell=bash

BUILD=${1:-${MQD_BUILD_DIR:-build}}
SRC=${MQD_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
BIN=$BUILD/mqttdissect
C=$SRC/captures
PY=/usr/bin/python3
[ -x $PY ] || PY=python3
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
failures=0

fail() { echo "FAIL: $*" >&2; exit 1; }
bad() { echo "FAIL: $*"; failures=$((failures + 1)); }
need_bin() { [ -x "$BIN" ] || { echo "no $BIN" >&2; exit 1; }; }
