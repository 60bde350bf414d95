#!/bin/bash
# -w FILE: the packets of the connections in which a selected message was
# printed, in capture order. On the bundled captures (pcap, the pcapng one,
# the perturbed ones, and two cut into IP fragments), with and without
# selections and with -c: reading
# the written file back with the same selection prints the same message
# records (frame numbers aside, which change) and no record the first run
# did not print; tshark reads every written file and counts in it the MQTT
# messages mqttdissect finds there; pcapng in gives pcapng out, --pcapng
# too; nanosecond timestamps stay; a pipe is spooled; the file appears
# only when the run ends (SIGINT included), never half written; -w onto the
# input is refused (exit 2), an unwritable path is one line (exit 1).
# Usage: tests/write.test.sh BUILD_DIR
set -u
. "$(dirname "$0")/support/common.sh"
BIN=$(cd "$BUILD" && pwd)/mqttdissect
need_bin
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	[ -n "${feeder:-}" ] && kill "$feeder" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

# Frame numbers change in the written file: the leading one and those
# that name other frames.
strip() { sed -E 's/^[0-9]+ //; s/(reply_to|flow_start|first_frame)=[0-9]+/\1=N/g' "$1"; }

# roundtrip CAPTURE ARGS...: -w with ARGS, then read back with ARGS.
roundtrip() {
	local cap=$1
	shift
	rm -f "$TMP/w.out"
	"$BIN" -w "$TMP/w.out" -r "$cap" --color never "$@" >"$TMP/a.txt" 2>"$TMP/a.err"
	local rc=$?
	[ $rc -eq 0 ] || { bad "$cap $*: exit $rc: $(head -1 "$TMP/a.err")"; return; }
	[ -s "$TMP/w.out" ] || { bad "$cap $*: no file written"; return; }
	"$BIN" -r "$TMP/w.out" --color never "$@" >"$TMP/b.txt" 2>"$TMP/b.err" ||
		{ bad "$cap $*: reading back: $(head -1 "$TMP/b.err")"; return; }
	# Messages: identical, in order. Events: those of connections not
	# written (a TLS connection with no MQTT, a gap in a connection with no
	# selected message) are not there again; none is new.
	if ! cmp -s <(strip "$TMP/a.txt" | grep -v ' EVENT ') <(strip "$TMP/b.txt" | grep -v ' EVENT '); then
		bad "$cap $*: the messages read back differ"
		diff <(strip "$TMP/a.txt" | grep -v ' EVENT ') <(strip "$TMP/b.txt" | grep -v ' EVENT ') | head -5
		return
	fi
	local extra
	extra=$(comm -13 <(strip "$TMP/a.txt" | sort) <(strip "$TMP/b.txt" | sort))
	[ -z "$extra" ] || bad "$cap $*: records read back that were not printed: $(echo "$extra" | head -2)"
	# tshark reads the file (once per capture: it is slow to start).
	[ "${TSHARK_READ:-}" ] || return
	local nmsg written
	nmsg=$(grep -vc ' EVENT ' "$TMP/a.txt")
	written=$(tshark -r "$TMP/w.out" -T fields -e frame.number 2>"$TMP/t.err" | wc -l)
	grep -v 'Running as user' "$TMP/t.err" | grep -q . &&
		bad "$cap $*: tshark: $(grep -v 'Running as user' "$TMP/t.err" | head -1)"
	[ "$nmsg" = 0 ] || [ "$written" -gt 0 ] || bad "$cap $*: tshark reads no packet"
}

n=0
for cap in "$C"/*.pcap "$C"/*.pcapng "$C"/perturbed/*.pcap; do
	for sel in "" "--type PUBLISH" "--topic #" "--violation" "-c 7"; do
		# Sparkplug B state spans connections (a birth on one names the
		# aliases another uses): a file with only the connections that
		# violate lacks the births, so its violations differ (the man page
		# says so under -w); every other selection keeps them.
		case "$cap:$sel" in *sparkplug_violations*:--violation) continue ;; esac
		TSHARK_READ=
		[ -z "$sel" ] && TSHARK_READ=1
		# shellcheck disable=SC2086
		roundtrip "$cap" $sel
		n=$((n + 1))
	done
done
TSHARK_READ=1
roundtrip "$C/qos_v5.pcap" --topic 'qos/2' --type PUBLISH,PUBREC,PUBREL,PUBCOMP -c 3
roundtrip "$C/chat.pcapng" --client chat-bob
roundtrip "$C/mqttsn.pcap" --type PUBLISH
roundtrip "$C/tls/tls13_aes128gcm.pcap" --tls-port 8901 --tls-keylog "$C/tls/tls13_aes128gcm.keylog" tcp
# IP fragments: the fragments before the one that completes a datagram
# are written too (they belong to its connection only once it is whole).
for cap in hello_world.pcap burst_500.pcap; do
	/usr/bin/python3 "$SRC/tests/support/ipfrag_pcap.py" "$C/$cap" "$TMP/frag-$cap" 24 >/dev/null ||
		bad "cannot fragment $cap"
	nfrag=$("$BIN" -q -r "$TMP/frag-$cap" 2>&1 | sed -n 's/.*IP fragments (\([0-9]*\) datagrams reassembled.*/\1/p')
	[ "${nfrag:-0}" -gt 0 ] || bad "$cap: no datagram was fragmented"
	TSHARK_READ=1
	roundtrip "$TMP/frag-$cap"
	roundtrip "$TMP/frag-$cap" --type PUBLISH
	n=$((n + 2))
done
echo "ok: $n round trips"

# A selection writes fewer packets than there are, and only whole
# connections: with --client, the other clients' connections are absent.
"$BIN" -r "$C/chat.pcapng" --client chat-bob -w "$TMP/bob.pcapng" >/dev/null 2>&1
clients=$("$BIN" -r "$TMP/bob.pcapng" -T json | grep -o '"client_id":"[^"]*"' | sort -u | tr '\n' ' ')
[ "$clients" = '"client_id":"chat-bob" ' ] || bad "--client chat-bob wrote connections of: $clients"

# tshark counts the MQTT messages of the written connections as mqttdissect
# does (captures on port 1883, which tshark dissects as MQTT).
for cap in hello_world.pcap qos_v5.pcap burst_500.pcap chat.pcapng retained.pcap; do
	for sel in "--type PUBLISH" "-c 9"; do
		# shellcheck disable=SC2086
		"$BIN" -r "$C/$cap" $sel -w "$TMP/t.out" >/dev/null 2>&1 || bad "$cap $sel: -w failed"
		ours=$("$BIN" -r "$TMP/t.out" | grep -vc ' EVENT ')
		theirs=$(tshark -r "$TMP/t.out" -Y mqtt -T fields -e mqtt.msgtype 2>/dev/null | tr ',' '\n' | grep -c .)
		[ "$ours" -gt 0 ] && [ "$ours" = "$theirs" ] ||
			bad "$cap $sel: mqttdissect reads $ours messages in the written file, tshark $theirs"
	done
done
echo "ok: tshark counts"

# -c: the file holds what was read up to the Nth selected message; read
# back with the same -c, the same N.
"$BIN" -r "$C/burst_500.pcap" -c 10 -w "$TMP/c.pcap" >"$TMP/c1.txt"
"$BIN" -r "$TMP/c.pcap" >"$TMP/c2.txt"
[ "$(wc -l <"$TMP/c1.txt")" = 10 ] && [ "$(wc -l <"$TMP/c2.txt")" -ge 10 ] &&
	[ "$(tshark -r "$TMP/c.pcap" 2>/dev/null | wc -l)" -lt "$(tshark -r "$C/burst_500.pcap" 2>/dev/null | wc -l)" ] ||
	bad "-c 10: $(wc -l <"$TMP/c1.txt") then $(wc -l <"$TMP/c2.txt") records; not cut short"

# Formats: pcapng in, pcapng out; --pcapng; pcap stays pcap.
ftype() { capinfos -t "$1" 2>/dev/null | sed -n 's/^File type: *//p'; }
"$BIN" -r "$C/chat.pcapng" -w "$TMP/f1" >/dev/null
"$BIN" -r "$C/hello_world.pcap" --pcapng -w "$TMP/f2" >/dev/null
"$BIN" -r "$C/hello_world.pcap" -w "$TMP/f3" >/dev/null
case "$(ftype "$TMP/f1")" in *pcapng*) ;; *) bad "pcapng input: wrote $(ftype "$TMP/f1")" ;; esac
case "$(ftype "$TMP/f2")" in *pcapng*) ;; *) bad "--pcapng: wrote $(ftype "$TMP/f2")" ;; esac
case "$(ftype "$TMP/f3")" in *pcapng*|*nanosecond*) bad "pcap input: wrote $(ftype "$TMP/f3")" ;; esac
cmp -s <("$BIN" -r "$TMP/f2" | strip /dev/stdin) <("$BIN" -r "$C/hello_world.pcap" | strip /dev/stdin) ||
	bad "--pcapng: read back differs"
for f in f1 f2 f3; do
	lt_in=$(tshark -r "$TMP/$f" -T fields -e frame.encap_type 2>/dev/null | sort -u)
	[ "$lt_in" = 1 ] || bad "$f: link type $lt_in"
done
# Timestamps exact, nanoseconds kept (123 ns added to every packet).
editcap -F nsecpcap -t 0.000000123 "$C/hello_world.pcap" "$TMP/ns.pcap" >/dev/null 2>&1
for opt in "" --pcapng; do
	# shellcheck disable=SC2086
	"$BIN" -r "$TMP/ns.pcap" $opt -w "$TMP/ns.out" >/dev/null
	cmp -s <(tshark -r "$TMP/ns.pcap" -T fields -e frame.time_epoch 2>/dev/null) \
		<(tshark -r "$TMP/ns.out" -T fields -e frame.time_epoch 2>/dev/null) ||
		bad "nanosecond timestamps changed ($opt)"
	grep -q 123 <(tshark -r "$TMP/ns.out" -T fields -e frame.time_epoch 2>/dev/null | head -1) ||
		bad "nanoseconds lost ($opt)"
done
case "$(ftype "$TMP/ns.pcap")" in *nanosecond*) ;; *) bad "editcap made no nanosecond pcap" ;; esac
"$BIN" -r "$TMP/ns.pcap" -w "$TMP/ns2.out" >/dev/null
case "$(ftype "$TMP/ns2.out")" in *nanosecond*) ;; *) bad "nanosecond pcap written as $(ftype "$TMP/ns2.out")" ;; esac
# Microsecond timestamps of a pcap, and those of the pcapng capture.
for cap in burst_500.pcap chat.pcapng; do
	"$BIN" -r "$C/$cap" -w "$TMP/ts.out" >/dev/null
	cmp -s <(tshark -r "$TMP/ts.out" -T fields -e frame.time_epoch 2>/dev/null) \
		<(tshark -r "$C/$cap" -T fields -e frame.time_epoch -Y tcp 2>/dev/null) ||
		bad "$cap: timestamps differ"
done
echo "ok: formats and timestamps"

# A pipe is spooled: -r - gives the same file as the path.
"$BIN" -r "$C/qos_v5.pcap" --type PUBLISH -w "$TMP/p1.pcap" >/dev/null
cat "$C/qos_v5.pcap" | "$BIN" -r - --type PUBLISH -w "$TMP/p2.pcap" >/dev/null
cmp -s "$TMP/p1.pcap" "$TMP/p2.pcap" || bad "-r - and -r FILE write different files"
"$BIN" -r - --type PUBLISH -w "$TMP/p3.pcap" <"$C/qos_v5.pcap" >/dev/null
cmp -s "$TMP/p1.pcap" "$TMP/p3.pcap" || bad "-r - from a file writes a different file"
# ... and not left behind.
ls "$TMP" | grep -q spool && bad "a spool file is left: $(ls "$TMP")"

# The file appears whole when the run ends, here on SIGINT while a pipe
# is still open: until then only its temporary sibling exists.
mkfifo "$TMP/fifo"
echo old >"$TMP/live.pcap"
"$BIN" -r - -w "$TMP/live.pcap" <"$TMP/fifo" >"$TMP/sig.txt" 2>"$TMP/sig.err" &
pid=$!
{ cat "$C/burst_500.pcap"; sleep 30; } >"$TMP/fifo" &
feeder=$!
for _ in $(seq 50); do [ "$(wc -l <"$TMP/sig.txt")" -ge 2008 ] && break; sleep 0.1; done
[ "$(cat "$TMP/live.pcap")" = old ] || bad "FILE replaced before the run ended"
ls "$TMP" | grep -q '^live.pcap.tmp-' || bad "no temporary sibling while running: $(ls "$TMP")"
kill -INT "$pid"
wait "$pid"
rc=$?
pid=
kill "$feeder" 2>/dev/null
feeder=
[ $rc -eq 0 ] || bad "SIGINT: exit $rc $(cat "$TMP/sig.err")"
ls "$TMP" | grep -q '^live.pcap.tmp-' && bad "temporary file left after SIGINT"
n=$("$BIN" -r "$TMP/live.pcap" 2>/dev/null | wc -l)
[ "$n" = 2008 ] || bad "after SIGINT the file holds $n of 2008 messages"

# Refusals: the input itself (also through a link), an unwritable path.
cp "$C/hello_world.pcap" "$TMP/in.pcap"
ln -s in.pcap "$TMP/link.pcap"
for w in "$TMP/in.pcap" "$TMP/link.pcap"; do
	"$BIN" -r "$TMP/in.pcap" -w "$w" >/dev/null 2>"$TMP/e"
	rc=$?
	[ $rc -eq 2 ] && grep -q "input" "$TMP/e" || bad "-w onto the input: exit $rc $(cat "$TMP/e")"
done
cmp -s "$TMP/in.pcap" "$C/hello_world.pcap" || bad "the input was changed"
"$BIN" -r "$C/hello_world.pcap" -w "$TMP/no/such/dir/x.pcap" >"$TMP/o" 2>"$TMP/e"
rc=$?
[ $rc -eq 1 ] && [ "$(wc -l <"$TMP/e")" = 1 ] && grep -q "$TMP/no/such/dir/x.pcap" "$TMP/e" &&
	[ ! -s "$TMP/o" ] || bad "unwritable path: exit $rc, $(cat "$TMP/e")"
# A failed input leaves nothing.
"$BIN" -r "$TMP/nonexistent.pcap" -w "$TMP/never.pcap" >/dev/null 2>&1
ls "$TMP" | grep -q never && bad "a failed run left $(ls "$TMP" | grep never)"
"$BIN" -r "$C/hello_world.pcap" --pcapng >/dev/null 2>&1
[ $? -eq 2 ] || bad "--pcapng without -w is accepted"

[ $failures -eq 0 ] || exit 1
echo "write: all ok"
