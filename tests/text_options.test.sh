#!/usr/bin/env bash
# Text output options on real captures: --max-payload and --payload in the
# one-line text, -V and MQTT-SN records (JSON is golden-tested elsewhere).
set -u
build=${1:?usage: text_options.test.sh BUILD_DIR}
bin=$build/mqttdissect
src=${MQD_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
caps=$src/captures
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
# has NAME LITERAL: the last output ($work/out) holds the literal line part.
has() { grep -qF -e "$2" "$work/out" || fail "$1: no '$2' in: $(head -c 2000 "$work/out")"; }
hasnt() { grep -qF -e "$2" "$work/out" && fail "$1: '$2' should not be there"; }
run() { "$bin" --color never "$@" >"$work/out" 2>"$work/err" || fail "mqttdissect $*: exit $? $(cat "$work/err")"; }

hello=$caps/hello_world.pcap
big=$caps/large_256k_q0.pcap   # two PUBLISH of 262144 binary bytes

# --max-payload in the one-line text: cut at N bytes, the length still said.
run -r "$hello"
has default 'PUBLISH qos=0 topic="hello" payload=5B "world"'
run -r "$hello" --max-payload 2
has max2 'PUBLISH qos=0 topic="hello" payload=5B "wo"…'
run -r "$hello" --max-payload 0
has max0 'payload=5B "world"'
# --payload hex / text in the one-line text.
run -r "$hello" --payload hex
has hex 'payload=5B 0x776f726c64'
run -r "$hello" --payload hex --max-payload 2
has hex2 'payload=5B 0x776f…'
run -r "$big" --payload text --max-payload 4
has text4 'payload=262144B "H\xa1)|"…'
run -r "$big"
has bigdefault 'payload=262144B 0x48a1297ca7e546dcffcc765258d32b42…'

# -V: the payload dump up to --max-payload bytes (0: all); 64 by default.
run -r "$big" -V
[ "$(grep -c '|$' "$work/out")" = 8 ] || fail "-V default: want 4 dump rows per PUBLISH"
has vdefault '… 262080 more bytes'
run -r "$big" -V --max-payload 1000000
[ "$(grep -c '|$' "$work/out")" = 32768 ] || fail "-V --max-payload 1000000: want every byte (16384 rows per PUBLISH)"
hasnt vmax 'more bytes'
run -r "$big" -V --max-payload 0
[ "$(grep -c '|$' "$work/out")" = 32768 ] || fail "-V --max-payload 0: want every byte"
run -r "$big" -V --max-payload 20
[ "$(grep -c '|$' "$work/out")" = 4 ] || fail "-V --max-payload 20: want 2 rows per PUBLISH"
has v20 '… 262124 more bytes'
# -V --payload hex: a hex dump with offsets even for text; text: escaped.
run -r "$hello" -V --payload hex
has vhex '0009:                          payload 5 bytes, UTF-8, as hex'
has vhex '  0009: 77 6f 72 6c 64                                   |world|'
hasnt vhex '"world"'
run -r "$big" -V --payload text --max-payload 3
has vtext 'payload 262144 bytes, as text'
has vtext '"H\xa1)"…'
run -r "$hello" -V --payload none
has vnone '  0009:                          payload 5 bytes'
hasnt vnone 'world'

# MQTT-SN records: the same options.
sn=$caps/mqttsn.pcap
run -r "$sn"
has sn 'payload=5B "short"'
run -r "$sn" --max-payload 2
has sn2 'payload=5B "sh"…'
run -r "$sn" --payload hex -V
has snhex 'payload=5B 0x73686f7274'
has snhex 'Data 5 bytes 0x73686f7274'
run -r "$sn" -V --max-payload 3
has snv3 'Data 5 bytes "sho"…'

[ "$failures" = 0 ] || { echo "$failures failures"; exit 1; }
echo "text options: ok"
