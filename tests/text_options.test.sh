#!/usr/bin/env bash
# Text output options on real captures: --max-payload and --payload in the
# one-line text, -V and MQTT-SN records (JSON is golden-tested elsewhere).
set -u
. "$(dirname "$0")/support/common.sh"
# has NAME LITERAL: the last output ($TMP/out) holds the literal line part.
has() { grep -qF -e "$2" "$TMP/out" || bad "$1: no '$2' in: $(head -c 2000 "$TMP/out")"; }
hasnt() { grep -qF -e "$2" "$TMP/out" && bad "$1: '$2' should not be there"; }
run() { "$BIN" --color never "$@" >"$TMP/out" 2>"$TMP/err" || bad "mqttdissect $*: exit $? $(cat "$TMP/err")"; }

hello=$C/hello_world.pcap
big=$C/large_256k_q0.pcap   # two PUBLISH of 262144 binary bytes

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
[ "$(grep -c '|$' "$TMP/out")" = 8 ] || bad "-V default: want 4 dump rows per PUBLISH"
has vdefault '… 262080 more bytes'
run -r "$big" -V --max-payload 1000000
[ "$(grep -c '|$' "$TMP/out")" = 32768 ] || bad "-V --max-payload 1000000: want every byte (16384 rows per PUBLISH)"
hasnt vmax 'more bytes'
run -r "$big" -V --max-payload 0
[ "$(grep -c '|$' "$TMP/out")" = 32768 ] || bad "-V --max-payload 0: want every byte"
run -r "$big" -V --max-payload 20
[ "$(grep -c '|$' "$TMP/out")" = 4 ] || bad "-V --max-payload 20: want 2 rows per PUBLISH"
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
sn=$C/mqttsn.pcap
run -r "$sn"
has sn 'payload=5B "short"'
run -r "$sn" --max-payload 2
has sn2 'payload=5B "sh"…'
run -r "$sn" --payload hex -V
has snhex 'payload=5B 0x73686f7274'
has snhex 'Data 5 bytes 0x73686f7274'
run -r "$sn" -V --max-payload 3
has snv3 'Data 5 bytes "sho"…'

# --time: the text records' time; JSON keeps its timestamp.
run -r "$hello" --time abs -c 3
has abs '4 20:07:43.321563 127.0.0.1:33610 '
run -r "$hello" --time iso -c 3
has iso '4 2026-11-24T20:07:43.321563Z 127.0.0.1:33610 '
run -r "$hello" --time ISO -c 3
has ISO '6 2026-11-24T20:07:43.321609Z '
run -r "$hello" --time epoch -c 3
has epoch '4 1795550863.321563 '    # date -u -d @1795550863: 2026-11-24 20:07:43
has epoch '6 1795550863.321609 '
run -r "$hello" --time rel -c 3
has rel '4 0.000000 '
has rel '6 0.000046 '
has rel '8 0.000064 '
run -r "$hello" --time delta -c 3
has delta '4 0.000000 '
has delta '6 0.000046 '
has delta '8 0.000018 '
# Across threads (--threads 4 is ignored for rel/delta: one printer), -V,
# events and MQTT-SN records.
run -r "$hello" --time delta -V --threads 4
has deltaV '14 0.111538 127.0.0.1:33624 '
has deltaV '25 0.000240 '
run -r "$hello" --time rel -V --threads 4
has relV '25 0.111990 '
run -r "$sn" --time rel -c 2
has snrel '1 0.000000 10.0.0.1:50001 '
run -r "$sn" --time iso -c 1
has sniso '1 2023-11-14T22:13:20.000000Z 10.0.0.1:50001'
"$BIN" -r "$hello" --time iso -T json -c 1 2>"$TMP/err" | grep -q '"ts":"2026-11-24T20:07:43.321563Z"' ||
	bad "--time with -T json: the JSON timestamp changed"
grep -q 'warning: --time applies to text output' "$TMP/err" || bad "--time -T json: no warning"
"$BIN" -r "$hello" --time week >/dev/null 2>"$TMP/err"
[ $? = 2 ] && grep -q "^mqttdissect: --time wants abs, iso, epoch, rel or delta, not 'week'" "$TMP/err" ||
	bad "--time week: $(cat "$TMP/err")"

# The arrow: U+2192 only in a UTF-8 locale, "->" otherwise.
LC_ALL=C "$BIN" -r "$hello" -c 1 >"$TMP/out"
has ascii '4 20:07:43.321563 127.0.0.1:33610 -> 127.0.0.1:1883 v4 CONNECT'
LC_ALL=C.UTF-8 "$BIN" -r "$hello" -c 1 >"$TMP/out"
has utf8 '4 20:07:43.321563 127.0.0.1:33610 → 127.0.0.1:1883 v4 CONNECT'
env -u LC_ALL LANG=C.UTF-8 "$BIN" -r "$hello" -c 1 >"$TMP/out"
has lang '127.0.0.1:33610 → 127.0.0.1:1883'
env -u LC_ALL -u LANG -u LC_CTYPE "$BIN" -r "$hello" -c 1 >"$TMP/out"
has nolocale '127.0.0.1:33610 -> 127.0.0.1:1883'
LC_ALL=C "$BIN" -r "$sn" -c 1 >"$TMP/out"
has snascii '10.0.0.1:50001 -> 10.0.0.254:1884 sn1.2'

[ "$failures" = 0 ] || { echo "$failures failures"; exit 1; }
echo "text options: ok"
