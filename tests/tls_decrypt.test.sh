#!/bin/bash
# End to end: every capture of captures/tls/ read with its key log
# (--tls-keylog) gives the MQTT messages tshark finds with the same key log
# (-o tls.keylog_file:), message for message (type and direction; for
# wss_v5.pcap, which tshark cannot take apart, the client's known sequence), each
# marked "transport":"tls" ("wss" for wss_v5.pcap) and preceded by one tls_decrypt "decrypting"
# record per connection; -V shows the TLS records of each message (checked
# against tshark's record lengths); a pcapng with the secrets embedded
# decodes the same with no option. Without the right key log: a "no_key" record with
# the client random, and no message. Skips (77) without tshark.
# Usage: tests/tls_decrypt.test.sh BUILD_DIR
set -u
BUILD=${1:-${MQD_BUILD_DIR:-build}}
SRC=${MQD_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
BIN=$BUILD/mqttdissect
DIR=$SRC/captures/tls
[ -x "$BIN" ] || { echo "no $BIN" >&2; exit 1; }
command -v tshark >/dev/null || { echo "SKIP: no tshark"; exit 77; }
PY=/usr/bin/python3
[ -x $PY ] || PY=python3
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail=0
n=0

for pcap in "$DIR"/*.pcap; do
	name=$(basename "$pcap" .pcap)
	keylog=$DIR/$name.keylog
	port=$(tshark -r "$pcap" -Y 'tcp.flags.syn==1 && tcp.flags.ack==0' -T fields \
		-e tcp.dstport 2>/dev/null | head -n 1)
	tshark -r "$pcap" -d "tcp.port==$port,tls" -o "tls.keylog_file:$keylog" \
		-d "tls.port==$port,mqtt" -Y mqtt -T fields -e tcp.srcport -e mqtt.msgtype \
		2>/dev/null >"$TMP/$name.tshark"
	if ! "$BIN" -T json -r "$pcap" --tls-port "$port" --tls-keylog "$keylog" tcp \
		>"$TMP/$name.json" 2>"$TMP/$name.err"; then
		echo "FAIL: $name: mqttdissect exited with an error: $(cat "$TMP/$name.err")"
		fail=1
		continue
	fi
	if ! $PY - "$TMP/$name.json" "$TMP/$name.tshark" "$port" <<'PYEOF'; then
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
port = int(sys.argv[3])
ours = [("c" if not r["src"].endswith(":%d" % port) else "s", r["header"]["type"])
        for r in recs if "type" in r]
theirs = []
for line in open(sys.argv[2]):
    src, types = line.split("\t")
    for t in types.strip().split(","):
        if t:
            theirs.append(("s" if int(src) == port else "c", int(t)))
if sys.argv[1].endswith("/wss_v5.json"):
    # tshark 4.0 has no MQTT over WebSocket: what captures/clients/tls_client.py
    # sends and gets (CONNECT .. DISCONNECT, the PUBLISH at QoS 1 echoed)
    theirs = [("c", 1), ("s", 2), ("c", 8), ("s", 9), ("c", 3), ("s", 3),
              ("s", 4), ("c", 4), ("c", 14)]
conns = {r["conn"] for r in recs}
dec = [r for r in recs if r.get("event") == "tls_decrypt" and r["status"] == "decrypting"]
bad = [r for r in recs if r.get("event") == "tls_decrypt"
       and r["status"] not in ("decrypting", "alert")]
ok = True
if ours != theirs:
    print("messages differ from tshark:\n ours   %s\n tshark %s" % (ours, theirs)); ok = False
# MQTT in TLS says "tls"; MQTT over WebSocket over TLS "wss", from the
# handshake's "detected" record on
want = "wss" if sys.argv[1].endswith("/wss_v5.json") else "tls"
if not ours or any(r["transport"] != want for r in recs if "type" in r):
    print("no messages, or not marked transport %s" % want); ok = False
det = [r for r in recs if r.get("event") == "detected"]
if want == "wss" and (len(det) != 1 or det[0]["transport"] != "wss"):
    print("wss: no detected record, or not marked wss"); ok = False
if len(dec) != len(conns):
    print("%d decrypting records for %d connections" % (len(dec), len(conns))); ok = False
if bad:
    print("unexpected: %s" % bad[0]); ok = False
sys.exit(0 if ok else 1)
PYEOF
		echo "FAIL: $name"
		fail=1
	fi
	n=$((n + 1))
done

# -V shows the TLS records that carried each decrypted message above its
# tree: together they carry the whole message, in order, and each is a
# record tshark sees in that direction with that length (TLS 1.3: the
# length is the plaintext, one inner type byte and the 16-byte tag, at
# least). Checked on every capture, with the big message over 7 records.
vrec=0
for pcap in "$DIR"/*.pcap; do
	name=$(basename "$pcap" .pcap)
	keylog=$DIR/$name.keylog
	port=$(tshark -r "$pcap" -Y 'tcp.flags.syn==1 && tcp.flags.ack==0' -T fields \
		-e tcp.dstport 2>/dev/null | head -n 1)
	tshark -r "$pcap" -d "tcp.port==$port,tls" -o "tls.keylog_file:$keylog" \
		-Y tls -T fields -e tcp.srcport -e tls.record.opaque_type \
		-e tls.record.content_type -e tls.record.length \
		2>/dev/null >"$TMP/$name.records"
	"$BIN" -V --max-payload 16 -r "$pcap" --tls-port "$port" --tls-keylog "$keylog" \
		tcp >"$TMP/$name.V" 2>/dev/null
	if ! $PY - "$TMP/$name.V" "$TMP/$name.json" "$TMP/$name.records" "$port" <<'PYEOF'; then
import json, re, sys
port = int(sys.argv[4])
sizes = [json.loads(l)["size"] for l in open(sys.argv[2]) if '"type"' in l]
seen = {"c": [], "s": []}
for line in open(sys.argv[3]):
    f = line.rstrip("\n").split("\t")
    d = "s" if int(f[0]) == port else "c"
    opaque = f[1].split(",") if f[1] else []
    ctype = f[2].split(",") if f[2] else []
    lens = f[3].split(",") if f[3] else []
    # TLS 1.3 records have an opaque type; TLS 1.2 ones only a content type
    types = opaque + ctype[len(opaque):] if opaque else ctype
    for t, l in zip(types, lens):
        if t == "23":
            seen[d].append(int(l))
msgs = []
for line in open(sys.argv[1]):
    m = re.match(r"\d+ \S+ (\S+) \S+ \S+ v\d ", line)
    if m:
        msgs.append((("s" if m.group(1).endswith(":%d" % port) else "c"), []))
        continue
    m = re.match(r"  TLS record seq (\d+): type 23 application_data, length (\d+)"
                 r"(, inner type 23 application_data, epoch \d+)?, message bytes "
                 r"([0-9a-f]+)\.\.([0-9a-f]+) \((\d+)\)$", line)
    if m:
        msgs[-1][1].append((int(m.group(2)), bool(m.group(3)), int(m.group(4), 16),
                            int(m.group(5), 16), int(m.group(6))))
    elif line.startswith("  TLS record"):
        print("unexpected record line: " + line.strip()); sys.exit(1)
if len(msgs) != len(sizes) or not msgs:
    print("%d messages in -V, %d in JSON" % (len(msgs), len(sizes))); sys.exit(1)
for (d, recs), size in zip(msgs, sizes):
    at = 0
    for length, tls13, a, b, n in recs:
        if a != at or b - a + 1 != n or length not in seen[d] or \
           length < n + (17 if tls13 else 0):
            print("record %s does not fit (%s, message of %d bytes, at %d)"
                  % ((length, a, b, n), d, size, at)); sys.exit(1)
        at += n
    if at != size:
        print("records carry %d of %d bytes: %s" % (at, size, recs)); sys.exit(1)
PYEOF
		echo "FAIL: $name: -V TLS records"
		fail=1
	fi
	vrec=$((vrec + 1))
done

# Secrets embedded in a pcapng (a Decryption Secrets Block, written by
# editcap --inject-secrets in captures/record_tls.sh) are used with no
# option: the same output, -V and JSON, as the capture with its key log.
for fmt in "-V" "-T json"; do
	# shellcheck disable=SC2086
	"$BIN" $fmt -r "$DIR/tls13_aes128gcm_dsb.pcapng" --tls-port 8901 tcp \
		>"$TMP/dsb.out" 2>&1
	# shellcheck disable=SC2086
	"$BIN" $fmt -r "$DIR/tls13_aes128gcm.pcap" --tls-port 8901 \
		--tls-keylog "$DIR/tls13_aes128gcm.keylog" tcp >"$TMP/dsb.want" 2>&1
	if ! grep -q CONNECT "$TMP/dsb.want" || ! cmp -s "$TMP/dsb.out" "$TMP/dsb.want"; then
		echo "FAIL: the embedded secrets ($fmt) do not decode like --tls-keylog:"
		diff "$TMP/dsb.want" "$TMP/dsb.out" | head -5
		fail=1
	fi
done
# ... also read from a pipe, from standard input redirected from the file,
# and gzip-compressed (the blocks are read from the decompressed bytes).
gzip -c "$DIR/tls13_aes128gcm_dsb.pcapng" >"$TMP/dsb.pcapng.gz"
"$BIN" -T json -r "$DIR/tls13_aes128gcm_dsb.pcapng" --tls-port 8901 tcp >"$TMP/dsb.file" 2>&1
for how in pipe stdin gz gzpipe; do
	case $how in
	pipe) cat "$DIR/tls13_aes128gcm_dsb.pcapng" | "$BIN" -T json -r - --tls-port 8901 tcp ;;
	stdin) "$BIN" -T json -r - --tls-port 8901 tcp <"$DIR/tls13_aes128gcm_dsb.pcapng" ;;
	gz) "$BIN" -T json -r "$TMP/dsb.pcapng.gz" --tls-port 8901 tcp ;;
	gzpipe) cat "$TMP/dsb.pcapng.gz" | "$BIN" -T json -r - --tls-port 8901 tcp ;;
	esac >"$TMP/dsb.$how" 2>&1
	if ! grep -q '"type":"CONNECT"' "$TMP/dsb.$how" || ! cmp -s "$TMP/dsb.file" "$TMP/dsb.$how"; then
		echo "FAIL: the embedded secrets read $how do not decode as from the file:"
		diff "$TMP/dsb.file" "$TMP/dsb.$how" | head -5
		fail=1
	fi
done

# The key log of another capture: "no_key", the client random, no message.
"$BIN" -T json -r "$DIR/tls13_aes128gcm.pcap" --tls-port 8901 \
	--tls-keylog "$DIR/tls12_aes128gcm.keylog" tcp >"$TMP/nokey.json" 2>&1
if ! $PY - "$TMP/nokey.json" <<'PYEOF'; then
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
nokey = [r for r in recs if r.get("event") == "tls_decrypt" and r["status"] == "no_key"]
sys.exit(0 if len(nokey) == 1 and len(nokey[0]["client_random"]) == 64
         and not any("type" in r for r in recs) else 1)
PYEOF
	echo "FAIL: a foreign key log does not give one no_key record and no message"
	fail=1
fi

# A segment lost in the middle of the client's 100 kB PUBLISH (editcap
# drops frame 40, a full-sized segment of its second record): the decryptor
# says so ("tls_decrypt" status "gap", the TCP bytes), finds the records
# again ("resync"), and tells the MQTT layer how much of its stream went
# with the record lost (a "gap" of 16384 plaintext bytes, not the 1448 TCP
# bytes): the PUBLISH is lost, its framing is not, so every other message
# decodes at the stream offset it has in the whole capture.
editcap "$DIR/tls13_big_100k.pcap" "$TMP/gap.pcap" 40 >/dev/null 2>&1
for f in "$DIR/tls13_big_100k.pcap" "$TMP/gap.pcap"; do
	"$BIN" -T json -r "$f" --tls-port 8901 \
		--tls-keylog "$DIR/tls13_big_100k.keylog" tcp >"$TMP/$(basename "$f").json" 2>&1
done
if ! $PY - "$TMP/tls13_big_100k.pcap.json" "$TMP/gap.pcap.json" <<'PYEOF'; then
import json, sys
whole, cut = ([json.loads(l) for l in open(p)] for p in sys.argv[1:3])
seq = [(r["event"], r.get("status"), r.get("bytes")) for r in cut
       if r.get("event") in ("tls_decrypt", "gap", "resync")]
want = [("tls_decrypt", "decrypting", None), ("tls_decrypt", "gap", 1448),
        ("tls_decrypt", "resync", 12062), ("gap", None, 16384),
        ("tls_decrypt", "alert", None)]
msgs = lambda recs: [(r["src"], r["type"], r["stream_off"]) for r in recs if "type" in r]
big = [m for m in msgs(whole) if m[1] == "PUBLISH" and m[2] == 116]
ok = seq == want and len(big) == 1 and msgs(cut) == [m for m in msgs(whole) if m not in big]
if not ok:
    print(seq, msgs(cut))
sys.exit(0 if ok else 1)
PYEOF
	echo "FAIL: a segment lost inside TLS: not gap, resync, an MQTT gap of the record's plaintext, the rest in step"
	fail=1
fi

# The same inside wss: the client's SUBSCRIBE record lost (frame 18 of
# wss_v5.pcap). The record held a whole WebSocket frame, not part of one
# payload, so the frames are looked for again (ws_resync) and the MQTT
# stream, told of an unknown loss, resynchronises too (resync); the client's
# later messages decode.
editcap "$DIR/wss_v5.pcap" "$TMP/wssgap.pcap" 18 >/dev/null 2>&1
"$BIN" -T json -r "$TMP/wssgap.pcap" --tls-port 8920 \
	--tls-keylog "$DIR/wss_v5.keylog" tcp >"$TMP/wssgap.json" 2>&1
if ! $PY - "$TMP/wssgap.json" <<'PYEOF'; then
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
cli = [r.get("type") or (r["event"] + (":" + r["status"] if "status" in r else ""))
       for r in recs if r.get("src", "").endswith(":46375")]
tail = ["tls_decrypt:gap", "tls_decrypt:resync", "ws_resync", "resync",
        "PUBLISH", "PUBACK", "DISCONNECT"]
ok = cli[-len(tail):] == tail and "SUBSCRIBE" not in cli
if not ok:
    print(cli)
sys.exit(0 if ok else 1)
PYEOF
	echo "FAIL: a record lost inside wss: not gap, resync, ws_resync, resync, then the messages"
	fail=1
fi

# The summary counts: two connections, one key log for both, one for neither.
sum=$("$BIN" -q -r "$DIR/tls13_resumed.pcap" --tls-port 8901 \
	--tls-keylog "$DIR/tls13_resumed.keylog" tcp 2>&1)
grep -q '2 connections decrypted, 0 without a key, 0 records failed' <<<"$sum" ||
	{ echo "FAIL: summary: $sum"; fail=1; }
# and its first line counts them among the connections, as TLS ones
grep -qE 'MQTT messages on 2 connections \(2 TLS\)' <<<"$sum" ||
	{ echo "FAIL: summary's connections: $sum"; fail=1; }
sum=$("$BIN" -q -r "$DIR/tls13_resumed.pcap" --tls-port 8901 \
	--tls-keylog "$DIR/tls12_aes128gcm.keylog" tcp 2>&1)
grep -q '0 connections decrypted, 2 without a key' <<<"$sum" ||
	{ echo "FAIL: summary without keys: $sum"; fail=1; }

[ $n -gt 0 ] || { echo "FAIL: no captures in $DIR"; fail=1; }
[ $fail -eq 0 ] && echo "tls_decrypt: $n captures agree with tshark ($vrec with -V records)"
exit $fail
