#!/usr/bin/env bash
# The memory of many open connections is bounded: --max-conns N keeps at most
# N TCP connections, evicting the least recently active one (an "evicted"
# event, reason EVICTED), so peak memory no longer grows with the number of
# connections; and an open connection costs little (session.c allocates its
# rarely used tables on first use).
# Captures from gen_patho partial: N connections, each a TCP handshake and
# 13 bytes of a PUBLISH announcing 1000, never finished, never closed.
set -u
build=${1:?usage: connmem.test.sh BUILD_DIR}
bin=$build/mqttdissect
gen=$build/tests/bench/gen_patho
measure=$build/tests/bench/measure
[ -x "$gen" ] || { echo "SKIP: no $gen"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# count_events FILE REASON: "evicted" events with that reason in JSON lines.
count_events() {
  grep '"event":"evicted"' "$1" | grep -c "\"reason\":\"$2\""
}

"$gen" partial 3000 "$work/p3k.pcap" 2>/dev/null || fail "gen_patho partial 3000"

# 3000 connections, at most 100 at once: 2900 evicted, the last 100 end
# with the capture (no event).
timeout 120 "$bin" -r "$work/p3k.pcap" -T json --max-conns 100 >"$work/bounded.json"
rc=$?
[ "$rc" = 0 ] || fail "--max-conns 100: exit $rc"
n=$(count_events "$work/bounded.json" EVICTED)
[ "$n" = 2900 ] || fail "--max-conns 100: $n evicted events, want 2900"
n=$(grep -c '"event":"evicted"' "$work/bounded.json")
[ "$n" = 2900 ] || fail "--max-conns 100: $n evicted events in all, want 2900"

# The default (262144) holds them all.
timeout 120 "$bin" -r "$work/p3k.pcap" -T json >"$work/default.json"
n=$(grep -c '"event":"evicted"' "$work/default.json")
[ "$n" = 0 ] || fail "default --max-conns: $n evicted events, want 0"

# Bad values are usage errors.
for v in 0 -1 x 16777217; do
  timeout 10 "$bin" -r "$work/p3k.pcap" --max-conns "$v" >/dev/null 2>&1
  rc=$?
  [ "$rc" = 2 ] || fail "--max-conns $v: exit $rc, want 2"
done

# Peak memory (not under the sanitizers: their quarantine and shadow memory
# blur it).
if grep -q '^MQD_SANITIZE:BOOL=ON' "$build/CMakeCache.txt" 2>/dev/null || [ ! -x "$measure" ]; then
  echo "memory checks skipped (sanitizer build or no measure)"
else
  "$gen" partial 2000 "$work/p2k.pcap" 2>/dev/null || fail "gen_patho partial 2000"
  "$gen" partial 40000 "$work/p40k.pcap" 2>/dev/null || fail "gen_patho partial 40000"
  # rss FILE ARGS...: peak resident KiB of mqttdissect -q on FILE.
  rss() {
    local f=$1; shift
    "$measure" -- "$bin" -r "$f" -q "$@" | awk '{print $2}'
  }
  small=$(rss "$work/p2k.pcap" --max-conns 1000)
  large=$(rss "$work/p40k.pcap" --max-conns 1000)
  echo "peak with --max-conns 1000: $small KiB (2000 connections), $large KiB (40000)"
  # 20 times the connections, the same bound: the same memory, give or take.
  [ "$large" -le $((small + 2048)) ] || fail "--max-conns 1000: $large KiB for 40000 connections, $small KiB for 2000"
  small=$(rss "$work/p2k.pcap")
  large=$(rss "$work/p40k.pcap")
  per=$(( (large - small) * 1024 / 38000 ))
  echo "unbounded: $small KiB (2000 connections), $large KiB (40000): $per bytes per connection"
  # About 2.3 KB each (1 KB of it the partial PUBLISH buffered); 6.8 KB
  # before the session's rare tables became lazy.
  [ "$per" -le 3584 ] || fail "$per bytes per open connection, want at most 3584"
fi

[ "$failures" = 0 ] && echo "PASS" || exit 1
