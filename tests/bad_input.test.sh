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

[ "$failures" = 0 ] || { echo "$failures failures"; exit 1; }
echo "bad input: ok"
