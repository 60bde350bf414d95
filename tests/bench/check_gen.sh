#!/usr/bin/env bash
# Checks gen_capture against tshark: the per-type MQTT message counts that
# tshark decodes equal the ones the generator wrote, tshark's expert info has
# no errors or warnings (no malformed packets, no missing segments, no
# retransmissions), and the same seed gives the same bytes. Two variants
# must keep the messages: Sparkplug B payloads (-P), for a fixed number of
# steps (-n), have exactly the message counts of the JSON payloads of the
# same steps and pass the same tshark checks (payloads dissected as
# protobuf, every PUBLISH on a Sparkplug node topic); TLS 1.3 (-T) has the
# counts of the plain capture, which tshark finds too when it decrypts it
# with the key log the generator wrote.
# Usage: check_gen.sh GEN_CAPTURE [SIZE_MB]     (exit 77: tshark missing)
set -euo pipefail
gen=${1:?usage: check_gen.sh GEN_CAPTURE [SIZE_MB]}
size=${2:-3}
command -v tshark >/dev/null || { echo "check_gen: tshark not installed, skipping"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$gen" -s "$size" -c 500 -S 7 -m "$tmp/expected" "$tmp/a.pcap"
"$gen" -s "$size" -c 500 -S 7 "$tmp/b.pcap" 2>/dev/null
cmp "$tmp/a.pcap" "$tmp/b.pcap" || { echo "check_gen: not deterministic"; exit 1; }

# tshark prints the types of all messages in a frame as one list: "3,3,4"
tshark -r "$tmp/a.pcap" -Y mqtt -T fields -e mqtt.msgtype 2>/dev/null |
  tr ',' '\n' | sort -n | uniq -c | awk '{print $2, $1}' >"$tmp/decoded"
awk '{print $1, $2}' "$tmp/expected" >"$tmp/expected.short"
if ! diff -u "$tmp/expected.short" "$tmp/decoded"; then
  echo "check_gen: tshark's message counts (+) differ from the generator's (-)"
  exit 1
fi

tshark -r "$tmp/a.pcap" -q -z expert 2>/dev/null >"$tmp/expert"
if grep -Eq '^(Errors|Warnings) \(' "$tmp/expert"; then
  cat "$tmp/expert"
  echo "check_gen: tshark reports errors or warnings"
  exit 1
fi
# -P: the same messages as without it, for the same seed and steps
"$gen" -s "$size" -c 500 -S 7 -n 2000 -m "$tmp/json.counts" "$tmp/json.pcap" 2>/dev/null
"$gen" -s "$size" -c 500 -S 7 -n 2000 -P -m "$tmp/spb.counts" "$tmp/spb.pcap" 2>/dev/null
if ! diff -u "$tmp/json.counts" "$tmp/spb.counts"; then
  echo "check_gen: -P changed the messages (+) from the JSON variant's (-)"
  exit 1
fi
tshark -r "$tmp/spb.pcap" -Y mqtt -T fields -e mqtt.msgtype 2>/dev/null |
  tr ',' '\n' | sort -n | uniq -c | awk '{print $2, $1}' >"$tmp/spb.decoded"
awk '{print $1, $2}' "$tmp/spb.counts" >"$tmp/spb.short"
diff -u "$tmp/spb.short" "$tmp/spb.decoded" ||
  { echo "check_gen: tshark's message counts of the -P capture differ"; exit 1; }
tshark -r "$tmp/spb.pcap" -q -z expert \
  -o 'uat:mqtt_message_decoding:"Starts with","spBv1.0/","none","protobuf"' \
  2>/dev/null >"$tmp/spb.expert"
if grep -Eq '^(Errors|Warnings) \(' "$tmp/spb.expert"; then
  cat "$tmp/spb.expert"
  echo "check_gen: tshark reports errors or warnings on the -P capture"
  exit 1
fi
notspb=$(tshark -r "$tmp/spb.pcap" -Y 'mqtt.msgtype == 3 && !(mqtt.topic matches "^spBv1\\.0/site[0-9]+/N(BIRTH|DATA|CMD)/dev-[0-9]{5}$")' \
  -T fields -e frame.number 2>/dev/null | head -3)
[ -z "$notspb" ] || { echo "check_gen: -P PUBLISH not on a Sparkplug node topic: frames $notspb"; exit 1; }
# -T: the same messages inside TLS 1.3; tshark decrypts them with the key
# log the generator wrote and finds the same counts.
"$gen" -s "$size" -c 500 -S 7 -m "$tmp/expected-tls" -T "$tmp/tls.keylog" "$tmp/tls.pcap" 2>/dev/null
cmp -s "$tmp/expected" "$tmp/expected-tls" || { echo "check_gen: -T changes the messages"; exit 1; }
tshark -r "$tmp/tls.pcap" -o "tls.keylog_file:$tmp/tls.keylog" -d tcp.port==8883,tls \
  -d tls.port==8883,mqtt -Y mqtt -T fields -e mqtt.msgtype 2>/dev/null |
  tr ',' '\n' | sort -n | uniq -c | awk '{print $2, $1}' >"$tmp/decoded-tls"
if ! diff -u "$tmp/expected.short" "$tmp/decoded-tls"; then
  echo "check_gen: -T: tshark's message counts with the key log (+) differ from the generator's (-)"
  exit 1
fi

echo "check_gen: OK ($(wc -l <"$tmp/expected") message types, $(awk '{s+=$2} END {print s}' "$tmp/expected") messages)"
