#!/usr/bin/env bash
# gzip-compressed captures are read transparently (found by their first
# bytes, not their name; files and standard input): the output is byte for
# byte that of the plain file. Corrupt or cut gzip data: one line on stderr
# naming the file, exit 1, everything decoded before it printed.
set -u
build=${1:?usage: gzip_input.test.sh BUILD_DIR}
bin=$build/mqttdissect
src=${MQD_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
caps=$src/captures
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
command -v gzip >/dev/null || { echo "no gzip"; exit 77; }

# same NAME PLAIN GZ [ARGS...]: -V text and JSON of both are identical.
same() {
	local name=$1 plain=$2 gz=$3; shift 3
	for mode in "-V" "-T json"; do
		# shellcheck disable=SC2086
		"$bin" -r "$plain" $mode "$@" >"$work/want" 2>"$work/want.err"
		local want_rc=$?
		# shellcheck disable=SC2086
		"$bin" -r "$gz" $mode "$@" >"$work/got" 2>"$work/got.err"
		local rc=$?
		[ "$rc" = "$want_rc" ] || fail "$name $mode: exit $rc, want $want_rc: $(cat "$work/got.err")"
		cmp -s "$work/want" "$work/got" || fail "$name $mode: output differs from the plain file's"
		[ -s "$work/want" ] || fail "$name $mode: no output at all"
	done
}

for c in qos_v5.pcap large_256k_q1.pcap ws_v5.pcap mqttsn.pcap; do
	gzip -c "$caps/$c" >"$work/$c.gz"
	same "$c.gz" "$caps/$c" "$work/$c.gz"
done
for c in "$caps"/*.pcapng; do
	n=$(basename "$c")
	gzip -9 -c "$c" >"$work/$n.gz"
	same "$n.gz" "$c" "$work/$n.gz"
done
# Not by its name: a gzip file called .pcap.
cp "$work/qos_v5.pcap.gz" "$work/named.pcap"
same named "$caps/qos_v5.pcap" "$work/named.pcap"
# Several members (as cat a.gz b.gz), cut at an odd byte.
cap=$caps/large_256k_q1.pcap
size=$(stat -c %s "$cap")
head -c 100001 "$cap" | gzip -c >"$work/multi.gz"
tail -c $((size - 100001)) "$cap" | gzip -1 -c >>"$work/multi.gz"
same multi "$cap" "$work/multi.gz"
# Standard input: a pipe and a file.
"$bin" -r "$cap" -T json >"$work/want"
gzip -c "$cap" | "$bin" -r - -T json >"$work/got" || fail "pipe: exit $?"
cmp -s "$work/want" "$work/got" || fail "pipe: output differs"
"$bin" -r - -T json <"$work/multi.gz" >"$work/got" || fail "stdin file: exit $?"
cmp -s "$work/want" "$work/got" || fail "stdin file: output differs"

# Cut gzip data: the messages before the cut, then one line and exit 1.
gz=$work/qos_v5.pcap.gz
full=$("$bin" -r "$gz" -T json | grep -c '"type"')
gsize=$(stat -c %s "$gz")
head -c $((gsize * 2 / 3)) "$gz" >"$work/cut.pcap.gz"
"$bin" -r "$work/cut.pcap.gz" -T json >"$work/cut.out" 2>"$work/cut.err"
rc=$?
[ "$rc" = 1 ] || fail "cut: exit $rc, want 1"
[ "$(wc -l <"$work/cut.err")" = 1 ] || fail "cut: stderr: $(cat "$work/cut.err")"
grep -qE "^mqttdissect: $work/cut.pcap.gz: gzip data ends early \(truncated file\) after frame [0-9]+$" "$work/cut.err" ||
	fail "cut: stderr '$(cat "$work/cut.err")'"
before=$(grep -c '"type"' "$work/cut.out")
[ "$before" -gt 0 ] && [ "$before" -lt "$full" ] || fail "cut: $before messages before the cut, the whole file has $full"
cat "$work/cut.pcap.gz" | "$bin" -r - -T json >/dev/null 2>"$work/cut.err"
[ $? = 1 ] && grep -q '^mqttdissect: -: gzip data ends early' "$work/cut.err" || fail "cut pipe: $(cat "$work/cut.err")"

# Corrupt gzip data: flipped bytes in the middle, and a bad first block.
/usr/bin/python3 - "$gz" "$work" <<'PY'
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
	"$bin" -r "$work/$n.pcap.gz" -T json >"$work/$n.out" 2>"$work/$n.err"
	rc=$?
	[ "$rc" = 1 ] || fail "$n: exit $rc, want 1"
	[ "$(wc -l <"$work/$n.err")" = 1 ] || fail "$n: stderr: $(cat "$work/$n.err")"
	grep -qE "^mqttdissect: $work/$n.pcap.gz: corrupt gzip data \(.+\)" "$work/$n.err" ||
		fail "$n: stderr '$(cat "$work/$n.err")'"
done
grep -q '"type"' "$work/mid.out" || fail "mid: nothing printed before the corrupt data"

[ "$failures" = 0 ] || { echo "$failures failures"; exit 1; }
echo "gzip input: ok"
