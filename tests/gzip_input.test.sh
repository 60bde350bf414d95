#!/usr/bin/env bash
# gzip-compressed captures are read transparently (found by their first
# bytes, not their name; files and standard input): the output is byte for
# byte that of the plain file. Corrupt or cut gzip data: one line on stderr
# naming the file, exit 1, everything decoded before it printed.
set -u
. "$(dirname "$0")/support/common.sh"
command -v gzip >/dev/null || { echo "no gzip"; exit 77; }

# same NAME PLAIN GZ [ARGS...]: -V text and JSON of both are identical.
same() {
	local name=$1 plain=$2 gz=$3; shift 3
	for mode in "-V" "-T json"; do
		# shellcheck disable=SC2086
		"$BIN" -r "$plain" $mode "$@" >"$TMP/want" 2>"$TMP/want.err"
		local want_rc=$?
		# shellcheck disable=SC2086
		"$BIN" -r "$gz" $mode "$@" >"$TMP/got" 2>"$TMP/got.err"
		local rc=$?
		[ "$rc" = "$want_rc" ] || bad "$name $mode: exit $rc, want $want_rc: $(cat "$TMP/got.err")"
		cmp -s "$TMP/want" "$TMP/got" || bad "$name $mode: output differs from the plain file's"
		[ -s "$TMP/want" ] || bad "$name $mode: no output at all"
	done
}

for c in qos_v5.pcap large_256k_q1.pcap ws_v5.pcap mqttsn.pcap; do
	gzip -c "$C/$c" >"$TMP/$c.gz"
	same "$c.gz" "$C/$c" "$TMP/$c.gz"
done
for c in "$C"/*.pcapng; do
	n=$(basename "$c")
	gzip -9 -c "$c" >"$TMP/$n.gz"
	same "$n.gz" "$c" "$TMP/$n.gz"
done
# Not by its name: a gzip file called .pcap.
cp "$TMP/qos_v5.pcap.gz" "$TMP/named.pcap"
same named "$C/qos_v5.pcap" "$TMP/named.pcap"
# Several members (as cat a.gz b.gz), cut at an odd byte.
cap=$C/large_256k_q1.pcap
size=$(stat -c %s "$cap")
head -c 100001 "$cap" | gzip -c >"$TMP/multi.gz"
tail -c $((size - 100001)) "$cap" | gzip -1 -c >>"$TMP/multi.gz"
same multi "$cap" "$TMP/multi.gz"
# Standard input: a pipe and a file.
"$BIN" -r "$cap" -T json >"$TMP/want"
gzip -c "$cap" | "$BIN" -r - -T json >"$TMP/got" || bad "pipe: exit $?"
cmp -s "$TMP/want" "$TMP/got" || bad "pipe: output differs"
"$BIN" -r - -T json <"$TMP/multi.gz" >"$TMP/got" || bad "stdin file: exit $?"
cmp -s "$TMP/want" "$TMP/got" || bad "stdin file: output differs"

# Cut gzip data: the messages before the cut, then one line and exit 1.
gz=$TMP/qos_v5.pcap.gz
full=$("$BIN" -r "$gz" -T json | grep -c '"type"')
gsize=$(stat -c %s "$gz")
head -c $((gsize * 2 / 3)) "$gz" >"$TMP/cut.pcap.gz"
"$BIN" -r "$TMP/cut.pcap.gz" -T json >"$TMP/cut.out" 2>"$TMP/cut.err"
rc=$?
[ "$rc" = 1 ] || bad "cut: exit $rc, want 1"
[ "$(wc -l <"$TMP/cut.err")" = 1 ] || bad "cut: stderr: $(cat "$TMP/cut.err")"
grep -qE "^mqttdissect: $TMP/cut.pcap.gz: gzip data ends early \(truncated file\) after frame [0-9]+$" "$TMP/cut.err" ||
	bad "cut: stderr '$(cat "$TMP/cut.err")'"
before=$(grep -c '"type"' "$TMP/cut.out")
[ "$before" -gt 0 ] && [ "$before" -lt "$full" ] || bad "cut: $before messages before the cut, the whole file has $full"
cat "$TMP/cut.pcap.gz" | "$BIN" -r - -T json >/dev/null 2>"$TMP/cut.err"
[ $? = 1 ] && grep -q '^mqttdissect: -: gzip data ends early' "$TMP/cut.err" || bad "cut pipe: $(cat "$TMP/cut.err")"

# Corrupt gzip data: flipped bytes in the middle, and a bad first block.
/usr/bin/python3 - "$gz" "$TMP" <<'PY'
import sys
d = bytearray(open(sys.argv[1], "rb").read())
mid = bytearray(d)
for i in range(len(d) // 2, len(d) // 2 + 40):
    mid[i] ^= 0x55
open(sys.argv[2] + "/mid.pcap.gz", "wb").write(mid)
head = bytearray(d)
head[20] ^= 0xFF
head[21] ^= 0xFF
open(sys.argv[2] + "/head.pcap.gz", "wb").write(head)
PY
for n in mid head; do
	"$BIN" -r "$TMP/$n.pcap.gz" -T json >"$TMP/$n.out" 2>"$TMP/$n.err"
	rc=$?
	[ "$rc" = 1 ] || bad "$n: exit $rc, want 1"
	[ "$(wc -l <"$TMP/$n.err")" = 1 ] || bad "$n: stderr: $(cat "$TMP/$n.err")"
	grep -qE "^mqttdissect: $TMP/$n.pcap.gz: corrupt gzip data \(.+\)" "$TMP/$n.err" ||
		bad "$n: stderr '$(cat "$TMP/$n.err")'"
done
grep -q '"type"' "$TMP/mid.out" || bad "mid: nothing printed before the corrupt data"

[ "$failures" = 0 ] || { echo "$failures failures"; exit 1; }
echo "gzip input: ok"
