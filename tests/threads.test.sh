#!/usr/bin/env bash
# Formatting on several threads (--threads, cli/out_parallel.c; -V and
# JSON, EVE) and decoding MQTT on a second thread (cli/flow_events.c; -q and
# one line per message) print exactly what one thread prints, byte for
# byte, with the same exit status:
# on every bundled capture, on a synthetic one large enough for many batches,
# with --stats after the messages, -c stopping early, a truncated file and a
# full disk.
set -u
build=${1:?usage: threads.test.sh BUILD_DIR}
bin=$build/mqttdissect
gen=$build/tests/bench/gen_capture
src=${MQD_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
checks=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# same NAME ARGS...: the output and exit status with 1, 2 and 4 threads.
same() {
  local name=$1; shift
  local t rc ref_rc=
  for t in 1 2 4; do
    timeout 300 "$bin" --threads "$t" "$@" >"$work/out.$t" 2>"$work/err.$t"
    rc=$?
    if [ "$t" = 1 ]; then
      ref_rc=$rc
      continue
    fi
    checks=$((checks + 1))
    [ "$rc" = "$ref_rc" ] || fail "$name: exit $rc with $t threads, $ref_rc with 1"
    cmp -s "$work/out.1" "$work/out.$t" ||
      fail "$name: output with $t threads differs from 1 thread ($(cmp "$work/out.1" "$work/out.$t" 2>&1 | head -1))"
    cmp -s "$work/err.1" "$work/err.$t" ||
      fail "$name: stderr with $t threads differs: $(head -c 300 "$work/err.$t")"
  done
}

for cap in "$src"/captures/*.pcap "$src"/captures/*.pcapng "$src"/captures/perturbed/*.pcap; do
  [ -f "$cap" ] || continue
  base=$(basename "$cap")
  same "$base -V" -r "$cap" -V --color never
  same "$base -T json" -r "$cap" -T json
  same "$base -T eve" -r "$cap" -T eve
  same "$base --stats" -r "$cap" --stats -p 1884
  same "$base" -r "$cap" -p 1884 --color never
  same "$base -q" -r "$cap" -q
done

if [ -x "$gen" ]; then
  "$gen" -s 4 -c 300 "$work/synth.pcap" 2>/dev/null || fail "gen_capture failed"
  same "synthetic -V" -r "$work/synth.pcap" -V --color never
  bytes=$(wc -c <"$work/out.1")
  [ "$bytes" -gt 2000000 ] || fail "synthetic: only $bytes bytes of text, too few for many batches"
  same "synthetic -T json" -r "$work/synth.pcap" -T json
  same "synthetic -T eve" -r "$work/synth.pcap" -T eve
  same "synthetic -c 5000" -r "$work/synth.pcap" -T json -c 5000
  same "synthetic -q" -r "$work/synth.pcap" -q
  for t in 1 2; do
    "$bin" --threads "$t" -r - -T json <"$work/synth.pcap" >"$work/stdin.$t" 2>&1
  done
  checks=$((checks + 1))
  cmp -s "$work/stdin.1" "$work/stdin.2" || fail "synthetic from stdin: 2 threads differ from 1"
  same "synthetic --stats-interval" -r "$work/synth.pcap" --stats-interval 1
  # cut in the middle: everything before the cut, then the error
  head -c 2000000 "$work/synth.pcap" >"$work/cut.pcap"
  same "truncated" -r "$work/cut.pcap" -V --color never
  [ "$(wc -l <"$work/err.1")" = 1 ] || fail "truncated: want one error line"
  same "truncated, decoded on a second thread" -r "$work/cut.pcap" --color never
  grep -q "truncated capture after frame" "$work/err.2" || fail "truncated, two threads: no error"
else
  echo "note: no $gen; the synthetic cases were skipped"
fi

# TLS decrypted with a key log, decoded on a second thread: the same output
# (one line per message, -q with the summary; with -q the reading thread
# decrypts one connection in three itself) as one thread, on every TLS
# capture, with a segment lost inside a record (the decryptor's gap, the
# records found again, the MQTT stream's gap of the plaintext lost), cut in
# the middle of a record, and on a synthetic capture of 400 connections.
tls=$src/captures/tls
tls_same() { # NAME PCAP KEYLOG PORT
  same "$1 (TLS)" -r "$2" --tls-keylog "$3" --tls-port "$4" --color never
  # -q: two threads share the decryption (pipeline_share_work)
  same "$1 (TLS) -q" -r "$2" --tls-keylog "$3" --tls-port "$4" -q
  same "$1 (TLS) -q --stats" -r "$2" --tls-keylog "$3" --tls-port "$4" -q --stats
}
for cap in "$tls"/*.pcap; do
  [ -f "$cap" ] || continue
  port=$(tshark -r "$cap" -Y 'tcp.flags.syn==1 && tcp.flags.ack==0' -T fields \
    -e tcp.dstport 2>/dev/null | head -n 1)
  tls_same "$(basename "$cap")" "$cap" "${cap%.pcap}.keylog" "${port:-8901}"
done
if [ -f "$tls/tls13_big_100k.pcap" ] && command -v editcap >/dev/null; then
  editcap "$tls/tls13_big_100k.pcap" "$work/tlsgap.pcap" 40 >/dev/null 2>&1
  tls_same "a segment lost inside TLS" "$work/tlsgap.pcap" "$tls/tls13_big_100k.keylog" 8901
  grep -q 'gap' "$work/out.2" || fail "TLS gap: no gap in the output"
  head -c 60000 "$tls/tls13_big_100k.pcap" >"$work/tlscut.pcap"
  tls_same "TLS cut mid-record" "$work/tlscut.pcap" "$tls/tls13_big_100k.keylog" 8901
fi
if [ -x "$gen" ]; then
  "$gen" -s 3 -c 400 -T "$work/synth.keylog" "$work/synth_tls.pcap" 2>/dev/null ||
    fail "gen_capture -T failed"
  tls_same "synthetic" "$work/synth_tls.pcap" "$work/synth.keylog" 8883
  grep -q '400 connections decrypted' "$work/err.2" ||
    fail "synthetic TLS: not every connection decrypted: $(grep TLS "$work/err.2")"
fi

# A full disk: an error and exit status 1 whatever the threads.
if [ -w /dev/full ]; then
  for t in 1 2; do
    "$bin" --threads "$t" -r "$src/captures/burst_500.pcap" -V >/dev/full 2>"$work/full.err"
    rc=$?
    checks=$((checks + 1))
    [ "$rc" = 1 ] || fail "/dev/full with $t threads: exit $rc, want 1"
    grep -q "error writing the output" "$work/full.err" ||
      fail "/dev/full with $t threads: no write error reported"
  done
fi

"$bin" --threads 0 -r "$src/captures/hello_world.pcap" >/dev/null 2>&1
[ $? = 2 ] || fail "--threads 0 should be a usage error"
"$bin" --threads 9 -r "$src/captures/hello_world.pcap" >/dev/null 2>&1
[ $? = 2 ] || fail "--threads 9 should be a usage error"

echo "threads: $checks comparisons, $failures failures"
[ "$failures" = 0 ]
