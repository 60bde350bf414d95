#!/usr/bin/env bash
# Bad input: each case gives exactly one clear line on stderr naming the file
# or interface and the cause, a non-zero exit, and everything decoded before
# the problem still printed. Never a crash, never a hang.
set -u
build=${1:?usage: bad_input.test.sh BUILD_DIR}
bin=$build/mqttdissect
src=${MQD_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
cap=$src/captures/qos_v311.pcap
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# expect NAME WANT_RC STDERR_PATTERN -- ARGS...: runs mqttdissect with a time
# limit; checks the exit status, that stderr is one line matching the pattern.
expect() {
  local name=$1 want=$2 pattern=$3; shift 4
  timeout 60 "$bin" "$@" >"$work/$name.out" 2>"$work/$name.err"
  local rc=$?
  [ "$rc" = "$want" ] || fail "$name: exit $rc, want $want"
  [ "$(wc -l <"$work/$name.err")" = 1 ] || fail "$name: stderr is not one line: $(cat "$work/$name.err")"
  grep -qE -e "$pattern" "$work/$name.err" || fail "$name: stderr '$(cat "$work/$name.err")' does not match /$pattern/"
}

expect missing 1 "^mqttdissect: $work/nope.pcap: No such file or directory$" -- -r "$work/nope.pcap"

echo "this is not a capture file" >"$work/text.pcap"
expect notcap 1 "^mqttdissect: $work/text.pcap: not a capture file" -- -r "$work/text.pcap"

: >"$work/empty.pcap"
expect empty 1 "^mqttdissect: $work/empty.pcap: " -- -r "$work/empty.pcap"

chmod 000 "$work/text.pcap"
if [ "$(id -u)" != 0 ]; then
  expect unreadable 1 "^mqttdissect: $work/text.pcap: Permission denied" -- -r "$work/text.pcap"
fi

# A key log that cannot be one: a usage error naming it, before any reading.
for kl in "$work/nokeys.log" "$work"; do
  timeout 60 "$bin" -q -r "$cap" --tls-keylog "$kl" >"$work/kl.out" 2>"$work/kl.err"
  rc=$?
  [ "$rc" = 2 ] || fail "--tls-keylog $kl: exit $rc, want 2"
  head -1 "$work/kl.err" | grep -qE "^mqttdissect: --tls-keylog: (cannot read '$kl'|'$kl' is a directory)" ||
    fail "--tls-keylog $kl: stderr '$(cat "$work/kl.err")'"
  [ -s "$work/kl.out" ] && fail "--tls-keylog $kl: printed something: $(head -2 "$work/kl.out")"
done

# A capture cut inside a record: the messages before the cut are printed.
size=$(stat -c %s "$cap")
head -c $((size / 2)) "$cap" >"$work/cut.pcap"
expect cut 1 "^mqttdissect: $work/cut.pcap: truncated capture after frame [0-9]+: " -- -r "$work/cut.pcap" -T json
full=$("$bin" -r "$cap" -T json | grep -c '"type"')
before=$(grep -c '"type"' "$work/cut.out")
[ "$before" -gt 0 ] && [ "$before" -lt "$full" ] \
  || fail "cut: $before messages printed before the cut (the whole file has $full)"

# Packets cut by a small snaplen: decoded around gaps, reported, exit 1.
if command -v editcap >/dev/null; then
  editcap -s 80 "$cap" "$work/snap.pcap" 2>/dev/null
  expect snaplen 1 "^mqttdissect: $work/snap.pcap: [0-9]+ packets cut short by the snapshot length" -- -r "$work/snap.pcap" -T json
  grep -q '"event":"gap"' "$work/snaplen.out" || fail "snaplen: no gap event"
else
  fail "editcap is missing (tests/install-deps.sh test installs wireshark-common)"
fi

# An unsupported link type (105, IEEE 802.11): named in the error.
/usr/bin/python3 - "$work/wifi.pcap" <<'PY'
import struct, sys
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 105))
    f.write(struct.pack("<IIII", 0, 0, 4, 4) + b"\x00" * 4)
PY
expect linktype 1 "^mqttdissect: $work/wifi.pcap: unsupported link type 105 \(IEEE802_11\)" -- -r "$work/wifi.pcap"

# Standard input: the same capture through a pipe decodes the same messages.
via_stdin=$("$bin" -r - -T json <"$cap" | grep -c '"type"')
[ "$via_stdin" = "$full" ] || fail "stdin: $via_stdin messages, want $full"
: | timeout 10 "$bin" -r - >"$work/stdin-empty.out" 2>"$work/stdin-empty.err"
[ $? = 1 ] || fail "empty stdin: want exit 1"

# No permission to capture: as an unprivileged user (where that user can run
# the binary at all: not in a chroot whose root directory is private).
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
if ! command -v setpriv >/dev/null || [ "$(id -u)" != 0 ]; then
  echo "note: no capture-permission check (needs root and setpriv)"
elif ! as_nobody "$bin" --version >/dev/null 2>&1; then
  echo "note: no capture-permission check: an unprivileged user cannot run $bin here"
else
  timeout 10 setpriv --reuid=65534 --regid=65534 --clear-groups "$bin" -i lo \
    >"$work/noperm.out" 2>"$work/noperm.err"
  rc=$?
  [ "$rc" = 1 ] || fail "noperm: exit $rc, want 1"
  grep -qE "^mqttdissect: lo: .*(ermission|not permitted)" "$work/noperm.err" \
    || fail "noperm: stderr '$(cat "$work/noperm.err")'"
fi

# Usage errors: exit 2, the error and a hint to --help.
"$bin" -T json >/dev/null 2>"$work/usage.err"
[ $? = 2 ] || fail "usage: want exit 2"
grep -q "give exactly one of -r FILE or -i IFACE" "$work/usage.err" || fail "usage: $(cat "$work/usage.err")"
"$bin" -r "$cap" -T xml >/dev/null 2>"$work/badformat.err"
[ $? = 2 ] || fail "badformat: want exit 2"
grep -q -e "-T wants text, json or eve, not 'xml'" "$work/badformat.err" || fail "badformat: $(cat "$work/badformat.err")"

# A --topic that is no MQTT topic filter is a usage error naming the filter
# and the rule, not a filter that silently acts like another one.
for bad in 'chat/#/x' 'chat/pub+' ''; do
	"$bin" -r "$cap" --topic "$bad" >"$work/topic.out" 2>"$work/topic.err"
	[ $? = 2 ] || fail "--topic '$bad': want exit 2"
	[ -s "$work/topic.out" ] && fail "--topic '$bad': printed messages"
	grep -q -e "--topic '$bad' is not a valid MQTT topic filter" "$work/topic.err" ||
		fail "--topic '$bad': $(cat "$work/topic.err")"
done
grep -q 'MQTT-4.7.3-1/filter' "$work/topic.err" || fail "--topic '': no rule id"
for good in 'a/+/b' '#' '+' 'sport/tennis/#'; do
	"$bin" -r "$cap" --topic "$good" >/dev/null 2>"$work/topic.err" ||
		fail "--topic '$good': $(cat "$work/topic.err")"
done

# Every option that takes a value, without it: "option X needs ...", exit 2,
# nothing on stdout; short and long forms, and the value's kind named.
usage() { # usage NAME PATTERN ARGS...: exit 2 and the first stderr line matches
	local name=$1 pattern=$2; shift 2
	timeout 10 "$bin" "$@" >"$work/$name.out" 2>"$work/$name.err"
	local rc=$?
	[ "$rc" = 2 ] || fail "$name: exit $rc, want 2"
	[ -s "$work/$name.out" ] && fail "$name: printed on stdout"
	head -1 "$work/$name.err" | grep -qE -e "$pattern" ||
		fail "$name: stderr '$(head -1 "$work/$name.err")' does not match /$pattern/"
}
usage miss-r '^mqttdissect: option -r needs a file' -r
usage miss-read '^mqttdissect: option --read needs a file' --read
usage miss-i '^mqttdissect: option -i needs an interface$' -i
usage miss-c '^mqttdissect: option -c needs a number of messages$' -r "$cap" -c
usage miss-T '^mqttdissect: option -T needs a format: text, json or eve$' -r "$cap" -T
usage miss-maxp '^mqttdissect: option --max-payload needs a byte count$' -r "$cap" --max-payload
usage miss-topic '^mqttdissect: option --topic needs an MQTT topic filter$' -r "$cap" --topic
usage empty-count "^mqttdissect: -c wants a positive number, not ''$" -r "$cap" --count=
usage bad-count "^mqttdissect: -c wants a positive number, not 'x'$" -r "$cap" --count=x
usage unknown-short "^mqttdissect: unknown option '-z'$" -r "$cap" -z
usage unknown-long "^mqttdissect: unknown or ambiguous option '--bogus'$" -r "$cap" --bogus=1
usage ambiguous "^mqttdissect: unknown or ambiguous option '--max'$" -r "$cap" --max 3
usage novalue "^mqttdissect: option --verbose takes no value$" -r "$cap" --verbose=yes
usage two-r '^mqttdissect: -r given twice: one capture file per run' -r "$cap" -r "$cap"
usage two-i '^mqttdissect: -i given twice: one interface per run' -i lo -i lo

# Contradictory or repeated options: one warning line each on stderr, and the
# run goes on (exit 0, the output of the options as they are taken).
warns() { # warns NAME WANT_LINES PATTERN ARGS...
	local name=$1 lines=$2 pattern=$3; shift 3
	timeout 60 "$bin" "$@" >"$work/$name.out" 2>"$work/$name.err"
	local rc=$?
	[ "$rc" = 0 ] || fail "$name: exit $rc, want 0"
	[ "$(grep -c 'warning' "$work/$name.err")" = "$lines" ] ||
		fail "$name: want $lines warnings: $(cat "$work/$name.err")"
	grep -qE -e "$pattern" "$work/$name.err" || fail "$name: stderr '$(cat "$work/$name.err")' does not match /$pattern/"
}
warns qV 1 '^mqttdissect: warning: -V has no effect with -q' -r "$cap" -q -V
warns VT 1 '^mqttdissect: warning: -V annotates text output; it has no effect with -T json$' -r "$cap" -V -T json
warns VE 1 'no effect with -T eve$' -r "$cap" -V -T eve
warns cc 1 '^mqttdissect: warning: -c given more than once; the last \(-c 2\) is used$' -r "$cap" -c 1 -c 2 -T json
[ "$(grep -c '"type"' "$work/cc.out")" = 2 ] || fail "cc: -c 1 -c 2 did not stop after 2"
warns TT 1 'warning: -T given more than once; the last \(-T text\) is used' -r "$cap" -T json -T text
grep -q '"type"' "$work/TT.out" && fail "TT: the last -T is not the one used"
warns Br 1 'warning: -B applies to live capture' -r "$cap" -B 1024
"$bin" -r "$cap" -c 1 -V >/dev/null 2>"$work/none.err" || fail "none: exit $?"
[ -s "$work/none.err" ] && fail "none: stderr not empty: $(cat "$work/none.err")"

# -T is case-insensitive, as --type is.
for f in JSON Json jSoN; do
	"$bin" -r "$cap" -T "$f" -c 1 | grep -q '^{"frame"' || fail "-T $f: not JSON"
done
"$bin" -r "$cap" -T EVE -c 1 | grep -q '"event_type"' || fail "-T EVE: not EVE"
"$bin" -r "$cap" -T Text -c 1 | grep -q ' CONNECT ' || fail "-T Text: not text"

# -D lists the interfaces as tcpdump -D does (the same lines where tcpdump
# is installed), exit 0; with -r it is a usage error. -s: 0..262144, live.
"$bin" -D >"$work/D.out" 2>"$work/D.err" || fail "-D: exit $?: $(cat "$work/D.err")"
grep -qE '^[0-9]+\.lo \[.*Loopback' "$work/D.out" || fail "-D: no lo line: $(cat "$work/D.out")"
if command -v tcpdump >/dev/null && [ "$(id -u)" = 0 ]; then
	tcpdump -D >"$work/tcpdump-D.out" 2>/dev/null &&
		{ diff "$work/tcpdump-D.out" "$work/D.out" >/dev/null || fail "-D differs from tcpdump -D: $(diff "$work/tcpdump-D.out" "$work/D.out")"; }
fi
usage D-r '^mqttdissect: -D lists the interfaces; it takes no -r or -i$' -D -r "$cap"
usage s-big "^mqttdissect: -s wants a snapshot length from 0 to 262144 bytes, not '300000'$" -i lo -s 300000
usage s-miss '^mqttdissect: option -s needs a snapshot length in bytes$' -i lo -s
warns s-r 1 '^mqttdissect: warning: -s applies to live capture \(-i\); ignored with -r$' -r "$cap" -s 96

[ "$failures" = 0 ] || { echo "$failures failures"; exit 1; }
echo "bad input: ok"
