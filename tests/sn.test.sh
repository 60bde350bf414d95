#!/bin/bash
# MQTT-SN 1.2 over UDP: captures/mqttsn.pcap (written by captures/craft_sn.py)
# holds every message type, an encapsulated message, a REGISTER/REGACK and
# a SUBSCRIBE/SUBACK followed by PUBLISHes to the ids they establish, short
# and predefined topics, and a client on UDP port 1883 as well as 1884.
#
# Checks: the capture is what the script writes today; every datagram is one
# JSON record with transport "udp", version "sn1.2", the right type and
# fields, and no violations; topic names are resolved; the text output and
# -V run clean; --sn-port moves the port; the selection (--type, --topic,
# --client), -c, --payload, --max-payload and write errors apply to MQTT-SN
# as to MQTT; and the message types agree with tshark's MQTT-SN dissector
# frame by frame (skipped without tshark).
#
# Usage: tests/sn.test.sh BUILD_DIR
set -u
BUILD=${1:-${MQD_BUILD_DIR:-build}}
SRC=${MQD_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
BIN=$BUILD/mqttdissect
PCAP=$SRC/captures/mqttsn.pcap
[ -x "$BIN" ] || { echo "no $BIN" >&2; exit 1; }
PY=/usr/bin/python3
[ -x $PY ] || PY=python3
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

$PY "$SRC/captures/craft_sn.py" "$TMP/sn.pcap" >/dev/null || fail "craft_sn.py"
cmp -s "$TMP/sn.pcap" "$PCAP" ||
	fail "captures/mqttsn.pcap is stale; run /usr/bin/python3 captures/craft_sn.py"

"$BIN" -r "$PCAP" -T json >"$TMP/out.jsonl" 2>"$TMP/err" ||
	{ cat "$TMP/err" >&2; fail "mqttdissect -T json exited $?"; }

$PY - "$TMP/out.jsonl" <<'PYEOF' || exit 1
import json, sys

recs = [json.loads(line) for line in open(sys.argv[1])]
errors = []
def check(cond, what):
    if not cond:
        errors.append(what)

check(len(recs) == 49, "49 records, got %d" % len(recs))
by_frame = {r["frame"]: r for r in recs}
for r in recs:
    check(r.get("transport") == "udp", "frame %d: transport" % r["frame"])
    check(r.get("version") == "sn1.2", "frame %d: version" % r["frame"])
    check(r.get("violations") == [], "frame %d: violations %r" % (r["frame"], r.get("violations")))

types = {r["type"] for r in recs}
every = {"ADVERTISE", "SEARCHGW", "GWINFO", "CONNECT", "CONNACK", "WILLTOPICREQ",
         "WILLTOPIC", "WILLMSGREQ", "WILLMSG", "REGISTER", "REGACK", "PUBLISH",
         "PUBACK", "PUBCOMP", "PUBREC", "PUBREL", "SUBSCRIBE", "SUBACK",
         "UNSUBSCRIBE", "UNSUBACK", "PINGREQ", "PINGRESP", "DISCONNECT",
         "WILLTOPICUPD", "WILLTOPICRESP", "WILLMSGUPD", "WILLMSGRESP"}
check(every <= types, "types missing: %s" % sorted(every - types))

def expect(frame, **kv):
    r = by_frame.get(frame)
    if r is None:
        errors.append("frame %d missing" % frame)
        return
    for k, v in kv.items():
        got = r
        for part in k.split("__"):
            got = got.get(part) if isinstance(got, dict) else None
        check(got == v, "frame %d: %s = %r, want %r" % (frame, k, got, v))

expect(1, type="SEARCHGW", radius=1, direction="to_gateway")
expect(2, type="ADVERTISE", gw_id=1, duration=900, direction="to_client")
expect(4, type="GWINFO", gw_addr="0a0000fe")
expect(5, type="CONNECT", client_id="sensor-1", duration=60, protocol_id=1,
       flags__will=True, flags__clean_session=True)
expect(7, type="WILLTOPIC", will_topic="sensors/1/status", qos=1, flags__retain=True)
expect(9, type="WILLMSG", will_msg__text="offline")
expect(10, type="CONNACK", return_code=0, return_code_name="Accepted")
expect(11, type="REGISTER", topic_id=0, msg_id=1, topic="sensors/1/temp",
       topic_source="message")
expect(12, type="REGACK", topic_id=5, msg_id=1, topic="sensors/1/temp")
# PUBLISH to the id the REGACK assigned: the name comes from the registry.
expect(13, type="PUBLISH", qos=1, topic_id=5, msg_id=2, topic_id_type="normal",
       topic="sensors/1/temp", topic_source="registry", payload__text="21.5")
expect(15, type="PUBLISH", qos=0, topic_id_type="short", topic="ab",
       topic_source="short", payload__text="short")
expect(16, type="PUBLISH", qos=-1, topic_id=7, topic_id_type="predefined",
       topic_source="predefined", payload__text="predef")
expect(17, type="PUBLISH", qos=2, msg_id=3, topic="sensors/1/temp")
expect(18, type="PUBREC", msg_id=3)
expect(19, type="PUBREL", msg_id=3)
expect(20, type="PUBCOMP", msg_id=3)
expect(21, type="SUBSCRIBE", qos=1, msg_id=4, topic="cmd/1")
expect(22, type="SUBACK", qos=1, topic_id=9, msg_id=4, return_code=0)
expect(23, type="PUBLISH", topic_id=9, topic="cmd/1", topic_source="registry",
       direction="to_client")
expect(25, type="REGISTER", topic_id=12, topic="alerts/all", direction="to_client")
expect(27, type="PUBLISH", topic_id=12, topic="alerts/all", topic_source="registry")
expect(28, type="PUBLISH", topic_id=99, topic_source="unknown")
check("topic" not in by_frame.get(28, {}), "frame 28: an unknown id has no topic")
expect(29, type="SUBSCRIBE", topic_id_type="short", topic="xy")
expect(31, type="SUBSCRIBE", qos=2, topic_id=7, topic_id_type="predefined")
expect(33, type="UNSUBSCRIBE", msg_id=8, topic="cmd/1")
expect(34, type="UNSUBACK", msg_id=8)
expect(35, type="PINGREQ", client_id="sensor-1")
expect(37, type="WILLTOPICUPD", will_topic="sensors/1/gone")
expect(38, type="WILLTOPICRESP", return_code=0)
expect(39, type="WILLMSGUPD", will_msg__text="gone")
expect(40, type="WILLMSGRESP", return_code=0)
expect(41, type="PUBLISH", length__bytes=3, length__value=309, size=309,
       payload__length=300, topic="sensors/1/temp")
expect(42, type="PUBLISH", encapsulated__radius=1, encapsulated__wireless_node_id="0a0b",
       topic="zz", payload__text="relayed", src="10.0.0.2:50002")
expect(43, type="PINGREQ", encapsulated__length=5)
expect(44, type="CONNECT", dst="10.0.0.254:1883", client_id="b")
expect(47, type="PINGRESP", src="10.0.0.254:1883")
expect(48, type="DISCONNECT", duration=3600)
expect(49, type="DISCONNECT")
check("duration" not in by_frame.get(49, {}), "frame 49: no duration")
check(by_frame[13]["conn"] == by_frame[14]["conn"] != by_frame[44]["conn"],
      "conn numbers per client")

for e in errors:
    print("FAIL:", e, file=sys.stderr)
sys.exit(1 if errors else 0)
PYEOF

# Text, verbose text: clean runs, one line per datagram without -V.
"$BIN" -r "$PCAP" >"$TMP/out.txt" 2>"$TMP/err" || fail "text output exited $?"
[ "$(wc -l <"$TMP/out.txt")" -eq 49 ] || fail "49 text lines"
grep -q 'sn1.2 PUBLISH qos=1 id=2 topic_id=5 topic="sensors/1/temp" payload=4B "21.5"' "$TMP/out.txt" ||
	fail "text PUBLISH line"
"$BIN" -r "$PCAP" -V >"$TMP/out.V" 2>"$TMP/err" || fail "-V exited $?"
grep -q 'TopicId 5 = "sensors/1/temp" (registered)' "$TMP/out.V" || fail "-V topic"
grep -q 'not decoded' "$TMP/out.V" && fail "-V: bytes left unexplained"

# --sn-port: the same datagrams on another port are only decoded when asked.
$PY - "$PCAP" "$TMP/moved.pcap" <<'PYEOF' || fail "rewriting ports"
import struct, sys
data = bytearray(open(sys.argv[1], "rb").read())
pos = 24
while pos < len(data):
    incl = struct.unpack_from("<I", data, pos + 8)[0]
    udp = pos + 16 + 14 + 20
    for off in (0, 2):
        if struct.unpack_from("!H", data, udp + off)[0] in (1883, 1884):
            struct.pack_into("!H", data, udp + off, 47193)
    struct.pack_into("!H", data, udp + 6, 0)  # checksum: not computed
    pos += 16 + incl
open(sys.argv[2], "wb").write(data)
PYEOF
[ "$("$BIN" -r "$TMP/moved.pcap" -T json | wc -l)" -eq 0 ] || fail "port 47193 decoded by default"
[ "$("$BIN" -r "$TMP/moved.pcap" -T json --sn-port 47193 | wc -l)" -eq 49 ] || fail "--sn-port 47193"

# -q: the summary counts the MQTT-SN messages.
"$BIN" -r "$PCAP" -q 2>"$TMP/sum" >/dev/null || fail "-q exited $?"
grep -q 'MQTT-SN: 49 datagrams, 49 messages from 3 clients, 0 violations' "$TMP/sum" ||
	{ cat "$TMP/sum" >&2; fail "summary line"; }

# One path for every record: MQTT-SN messages are selected, counted for
# -c, shown with the payload options and their write errors reach the exit
# status exactly like MQTT messages.
J=$TMP/sel.jsonl
frames() { # the frame numbers of a JSON Lines file, space-separated
	$PY -c 'import json,sys; print(" ".join(str(json.loads(l)["frame"]) for l in open(sys.argv[1])))' "$1"
}
"$BIN" -r "$PCAP" -T json --topic sensors/1/temp >"$J" || fail "--topic exited $?"
[ "$(frames "$J")" = "11 12 13 14 17 41" ] ||
	fail "--topic sensors/1/temp on MQTT-SN: frames $(frames "$J")"
"$BIN" -r "$PCAP" -T json --topic 'cmd/#' >"$J" || fail "--topic exited $?"
[ "$(frames "$J")" = "21 22 23 24 33" ] || fail "--topic cmd/# on MQTT-SN: frames $(frames "$J")"
"$BIN" -r "$PCAP" -T json --client b >"$J" || fail "--client exited $?"
[ "$(frames "$J")" = "44 45 46 47" ] || fail "--client b on MQTT-SN: frames $(frames "$J")"
"$BIN" -r "$PCAP" -T json --type PUBLISH,DISCONNECT >"$J" || fail "--type exited $?"
[ "$(frames "$J")" = "13 15 16 17 23 27 28 41 42 48 49" ] ||
	fail "--type PUBLISH,DISCONNECT on MQTT-SN: frames $(frames "$J")"
"$BIN" -r "$PCAP" -T json --type searchgw,REGISTER >"$J" || fail "--type exited $?"
[ "$(frames "$J")" = "1 11 25" ] || fail "--type searchgw,REGISTER on MQTT-SN: frames $(frames "$J")"
"$BIN" -r "$PCAP" -T json --type PUBLISH -c 2 >"$J" || fail "-c exited $?"
[ "$(frames "$J")" = "13 15" ] || fail "--type PUBLISH -c 2 on MQTT-SN: frames $(frames "$J")"
"$BIN" -r "$PCAP" -c 3 >"$TMP/c.txt" || fail "-c 3 exited $?"
[ "$(wc -l <"$TMP/c.txt")" -eq 3 ] || fail "-c 3 on MQTT-SN: $(wc -l <"$TMP/c.txt") lines"
if command -v mergecap >/dev/null; then
	mergecap -F pcap -w "$TMP/merged.pcap" "$SRC/captures/hello_world.pcap" "$PCAP" ||
		fail "mergecap"
	"$BIN" -r "$TMP/merged.pcap" --type DISCONNECT -c 2 >"$TMP/m.txt" || fail "merged: exited $?"
	[ "$(wc -l <"$TMP/m.txt")" -eq 2 ] && [ "$(grep -c ' DISCONNECT' "$TMP/m.txt")" -eq 2 ] ||
		{ cat "$TMP/m.txt" >&2; fail "merged MQTT + MQTT-SN: --type DISCONNECT -c 2"; }
	"$BIN" -r "$TMP/merged.pcap" --type SEARCHGW >"$TMP/m.txt" || fail "merged: exited $?"
	[ "$(wc -l <"$TMP/m.txt")" -eq 1 ] || { cat "$TMP/m.txt" >&2; fail "merged: --type SEARCHGW"; }
else
	echo "note: no mergecap; the merged MQTT + MQTT-SN case is not checked" >&2
fi
# The payload options (frame 13: PUBLISH "21.5").
"$BIN" -r "$PCAP" -T json --max-payload 2 >"$J" || fail "--max-payload exited $?"
grep -q '"frame":13,.*"payload":{"length":4,"text":"21","truncated":true,"shown":2}' "$J" ||
	fail "--max-payload 2 on MQTT-SN"
"$BIN" -r "$PCAP" --payload hex >"$TMP/hex.txt" || fail "--payload hex exited $?"
grep -q '^13 .* payload=4B 0x32312e35$' "$TMP/hex.txt" || fail "--payload hex on MQTT-SN"
"$BIN" -r "$PCAP" --payload none >"$TMP/none.txt" || fail "--payload none exited $?"
grep -q '^13 .* payload=4B$' "$TMP/none.txt" || fail "--payload none on MQTT-SN"
# --color auto: colour on a terminal (script(1) gives one).
if command -v script >/dev/null; then
	script -qec "env -u NO_COLOR '$BIN' -r '$PCAP' -c 1" /dev/null >"$TMP/tty.txt" 2>&1
	grep -q $'sn1.2 \e\\[1mSEARCHGW\e\\[0m' "$TMP/tty.txt" || fail "--color auto on a terminal: no colour"
else
	echo "note: no script(1); --color auto on a terminal is not checked" >&2
fi
# Write errors reach the exit status, with one line on stderr.
for args in "" "-T json" "-q --stats" "-q --stats -T json" "--threads 2 -V"; do
	# shellcheck disable=SC2086
	"$BIN" -r "$PCAP" $args >/dev/full 2>"$TMP/full.err"
	rc=$?
	[ $rc -eq 1 ] || fail "'$args' > /dev/full: exit $rc, want 1"
	[ "$(grep -c 'error writing the output' "$TMP/full.err")" -eq 1 ] ||
		fail "'$args' > /dev/full: $(cat "$TMP/full.err")"
done

# The differential against tshark: the message type of every frame.
if ! command -v tshark >/dev/null; then
	echo "SKIP: tshark comparison (no tshark; everything before it passed)" >&2; exit 77
fi
tshark -r "$PCAP" -d udp.port==1884,mqttsn -d udp.port==1883,mqttsn -T fields \
	-e frame.number -e mqttsn.msg.type >"$TMP/tshark.tsv" 2>/dev/null ||
	fail "tshark exited $?"
$PY - "$TMP/tshark.tsv" "$TMP/out.jsonl" <<'PYEOF' || exit 1
import json, sys
ours = {}
for line in open(sys.argv[2]):
    r = json.loads(line)
    ours[r["frame"]] = r["msg_type"]
bad = 0
n = 0
for line in open(sys.argv[1]):
    frame, _, types = line.rstrip("\n").partition("\t")
    if not types:
        continue
    n += 1
    # An encapsulated message lists 0xfe, then the relayed message's type.
    last = int(types.split(",")[-1], 16)
    if ours.get(int(frame)) != last:
        print("FAIL: frame %s: tshark %s, mqttdissect %r" % (frame, types, ours.get(int(frame))),
              file=sys.stderr)
        bad += 1
if n != len(ours):
    print("FAIL: tshark decoded %d frames, mqttdissect %d" % (n, len(ours)), file=sys.stderr)
    bad += 1
sys.exit(1 if bad else 0)
PYEOF
echo "PASS"
