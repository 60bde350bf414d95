#!/bin/bash
# Golden outputs: for every capture captures/NAME (*.pcap, *.pcapng; not
# captures/perturbed/) and captures/tls/NAME, the text output with -V
# (tests/golden/NAME.txt, tests/golden/tls/NAME.txt) and the JSON Lines
# output (NAME.jsonl) must not change. Extra arguments per capture:
# tests/golden/ports.txt; a TLS capture with a key log beside it
# (captures/tls/NAME without its extension, .keylog) is read with
# --tls-keylog that file.
#
# After a deliberate output change, READ the new outputs, then refresh with
#     bash tests/golden-refresh.sh [BUILD_DIR]
# (rewrites tests/golden/ and shows git diff --stat and the diff).
# Usage: tests/golden.test.sh BUILD_DIR
set -u
BUILD=${1:-${MQD_BUILD_DIR:-build}}
SRC=${MQD_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
BIN=$BUILD/mqttdissect
[ -x "$BIN" ] || { echo "no $BIN" >&2; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# golden_generate BIN SRC OUTDIR: writes OUTDIR/NAME.txt and NAME.jsonl.
# Under a fixed UTF-8 locale: the text's arrow is "→" there, "->" in a
# locale that is not UTF-8 (tests/text_options.test.sh checks both).
golden_generate() {
	local LC_ALL=C.UTF-8
	export LC_ALL
	local bin=$1 src=$2 out=$3 cap name args rc=0
	shopt -s nullglob
	mkdir -p "$out/tls"
	for cap in "$src"/captures/*.pcap "$src"/captures/*.pcapng \
		"$src"/captures/tls/*.pcap "$src"/captures/tls/*.pcapng; do
		name=${cap#"$src"/captures/}
		args=$(awk -v n="$name" '$1 == n { $1 = ""; print; exit }' \
			"$src/tests/golden/ports.txt") || return 1
		[ -f "${cap%.*}.keylog" ] && args="$args --tls-keylog ${cap%.*}.keylog"
		# shellcheck disable=SC2086
		"$bin" -r "$cap" $args -V --color never >"$out/$name.txt" 2>"$out/$name.err" || {
			echo "mqttdissect -r $name -V failed:" >&2; cat "$out/$name.err" >&2; rc=1; }
		# shellcheck disable=SC2086
		"$bin" -r "$cap" $args -T json --color never >"$out/$name.jsonl" 2>"$out/$name.err" || {
			echo "mqttdissect -r $name -T json failed:" >&2; cat "$out/$name.err" >&2; rc=1; }
		rm -f "$out/$name.err"
	done
	return $rc
}
[ "${GOLDEN_SOURCE_ONLY:-}" = 1 ] && return 0 2>/dev/null

status=0
golden_generate "$BIN" "$SRC" "$TMP" || status=1
checked=0
shopt -s nullglob
for f in "$TMP"/*.pcap.txt "$TMP"/*.pcapng.txt "$TMP"/*.jsonl \
	"$TMP"/tls/*.pcap.txt "$TMP"/tls/*.pcapng.txt "$TMP"/tls/*.jsonl; do
	name=${f#"$TMP"/}
	g="$SRC/tests/golden/$name"
	if [ ! -f "$g" ]; then
		echo "FAIL: no golden file $g (new capture? run tests/golden-refresh.sh)"
		status=1; continue
	fi
	if ! diff -u "$g" "$f" >"$TMP/diff"; then
		echo "FAIL: $name differs from tests/golden/ (first 40 lines):"
		head -40 "$TMP/diff"
		status=1
	fi
	checked=$((checked + 1))
done
for g in "$SRC"/tests/golden/*.pcap.txt "$SRC"/tests/golden/*.pcapng.txt \
	 "$SRC"/tests/golden/*.jsonl "$SRC"/tests/golden/tls/*.pcap.txt \
	 "$SRC"/tests/golden/tls/*.pcapng.txt "$SRC"/tests/golden/tls/*.jsonl; do
	[ -f "$TMP/${g#"$SRC"/tests/golden/}" ] ||
		{ echo "FAIL: stale golden file $g (its capture is gone)"; status=1; }
done
echo "golden: $checked files compared, $([ $status = 0 ] && echo all equal || echo FAILED)"
[ $status = 0 ] || echo "If the change is deliberate: bash tests/golden-refresh.sh $BUILD"
exit $status
