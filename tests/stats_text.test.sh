#!/usr/bin/env bash
# The --stats text tables: --top on a 2000-client synthetic capture
# (tests/bench/gen_capture), interval headers with the capture time, and no
# table without rows.
set -u
. "$(dirname "$0")/support/common.sh"
gen=$BUILD/tests/bench/gen_capture
has() { grep -qF -e "$2" "$TMP/out" || bad "$1: no '$2'"; }
hasnt() { grep -qF -e "$2" "$TMP/out" && bad "$1: '$2' should not be there"; }
# rows TITLE_PREFIX: rows of the table under that title, after its column
# header line, to the blank line.
rows() { awk -v t="$1" 'index($0, t) == 1 { on = 1; next } on && /^$/ { exit } on && ++k > 1 { n++ } END { print n + 0 }' "$TMP/out"; }

[ -x "$gen" ] || { echo "no $gen"; exit 1; }
"$gen" -s 3 -c 2000 "$TMP/c2000.pcap" 2>/dev/null || bad "gen_capture failed"

"$BIN" -r "$TMP/c2000.pcap" --stats -q >"$TMP/out" 2>/dev/null || bad "--stats: exit $?"
has top 'Clients (top 20 of 2,000)'
has top 'Connections (receive max / max packet size / topic alias max: as declared by the client in CONNECT, then by the server in CONNACK) (first 20 of 2,000)'
grep -qE '^Top topics by messages \(top 20 of [0-9,]+\)$' "$TMP/out" || bad "top: no topic table cut at 20"
[ "$(rows 'Clients')" = 20 ] || bad "top: $(rows 'Clients') client rows, want 20"
[ "$(rows 'Top topics by messages')" = 20 ] || bad "top: $(rows 'Top topics by messages') topic rows"
[ "$(rows 'Connections')" = 20 ] || bad "top: $(rows 'Connections') connection rows"
[ "$(wc -l <"$TMP/out")" -lt 200 ] || bad "top: $(wc -l <"$TMP/out") lines"

"$BIN" -r "$TMP/c2000.pcap" --stats -q --top 5 >"$TMP/out" 2>/dev/null
has top5 'Clients (top 5 of 2,000)'
[ "$(rows 'Clients')" = 5 ] || bad "top 5: $(rows 'Clients') client rows"

"$BIN" -r "$TMP/c2000.pcap" --stats -q --top 0 >"$TMP/out" 2>/dev/null
[ "$(rows 'Clients')" = 2000 ] || bad "top 0: $(rows 'Clients') client rows, want 2000"
hasnt top0 'Clients (top'
topics=$(rows 'Top topics by messages')
[ "$topics" -gt 1000 ] || bad "top 0: only $topics topics"
# The client ranking: the first 20 of --top 0 are the 20 of the default.
"$BIN" -r "$TMP/c2000.pcap" --stats -q >"$TMP/top20" 2>/dev/null
diff <(awk '/^Clients/{on=1;next} on&&/^$/{exit} on' "$TMP/out" | head -21) \
	<(awk '/^Clients/{on=1;next} on&&/^$/{exit} on' "$TMP/top20") >/dev/null ||
	bad "top: the 20 rows are not the first 20 of all"

# No empty tables: a capture without violations has no "Violations by rule".
"$BIN" -r "$C/hello_world.pcap" --stats -q >"$TMP/out" 2>/dev/null
hasnt empty 'Violations by rule'
hasnt empty '(none)'
has empty 'Top topics by messages'
"$BIN" -r "$C/violations.pcap" --stats -q >"$TMP/out" 2>/dev/null
has violations 'Violations by rule ('
"$BIN" -r "$C/hello_world.pcap" --stats -q --type PINGREQ >"$TMP/out" 2>/dev/null
has types 'Messages by type'

# Interval headers: the capture time (as --time says), cumulative.
ka=$C/keepalive.pcap
"$BIN" -r "$ka" --stats-interval 1 -q >"$TMP/out" 2>/dev/null
has interval '== mqttdissect statistics at 20:07:57.527414, cumulative since the start: 5 messages =='
has interval '== mqttdissect statistics at 20:07:59.529815, cumulative since the start: 7 messages =='
has interval '== mqttdissect statistics: 9 messages =='
"$BIN" -r "$ka" --stats-interval 1 -q --time iso >"$TMP/out" 2>/dev/null
has iso '== mqttdissect statistics at 2026-11-24T20:07:57.527414Z, cumulative'
"$BIN" -r "$ka" --stats-interval 1 -q --time rel >"$TMP/out" 2>/dev/null
has rel '== mqttdissect statistics at 4.004459, cumulative since the start: 7 messages =='
"$BIN" -r "$ka" --stats-interval 1 -q --time delta >"$TMP/out" 2>/dev/null
has delta '== mqttdissect statistics at 2.002401, cumulative since the start: 7 messages =='

"$BIN" -r "$ka" --top 3 >/dev/null 2>"$TMP/err"
grep -q 'warning: --top applies to the --stats tables' "$TMP/err" || bad "--top without --stats: no warning"

[ "$failures" = 0 ] || { echo "$failures failures"; exit 1; }
echo "stats text: ok"
