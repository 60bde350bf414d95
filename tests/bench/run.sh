#!/usr/bin/env bash
# The mqttdissect benchmark: speed and peak memory against a bare libpcap read
# loop (the floor) and against tshark, on synthetic captures.
#
# Usage: tests/bench/run.sh [--no-tshark] [SIZE_MB...]      (default: 50)
# Environment:
#   REPEAT=5          runs of each mqttdissect command and of the floor
#   REPEAT_TSHARK=1   runs of each tshark command (they are slow)
#   SKIP_TSHARK=1     same as --no-tshark
#   MQD_BUILD_DIR     build tree (default: build-bench/, configured Release)
#   OUT=FILE          also write the results as markdown there
#   KEEP=1            keep the temporary directory with the captures and logs
#   SEED=1            the generator's seed
#
# For each size it generates a capture and the same messages inside TLS 1.3
# into a temporary directory, reads them once to warm the page cache, then
# runs the commands in turn, round after round, so that all see the same
# conditions; it reports the median, min and max wall time and the peak
# resident memory of each, does the same for the Sparkplug B mix of that
# size, and gives the verdicts for the targets:
#   (b) mqttdissect -q         at most 3x the floor
#   (c) mqttdissect -T json    at least 50x faster than tshark -T json -J mqtt
#   (d) mqttdissect -T text -V at least 50x faster than tshark -V
#   (m) peak memory at most 32 MiB, and the same for every capture size
#   (t) the same messages inside TLS 1.3 AES-128-GCM (gen_capture -T, read
#       with its key log): decryption adds at most 50 % to -q; -T json's
#       time against the plain capture's is reported, and so are CPU time,
#       the median of the per-round ratios and -q with --threads 1
#   (s) mqttdissect -T json of the Sparkplug B mix at most 2x the time of the
#       same messages with JSON payloads: gen_capture -n STEPS (the steps the
#       size-driven capture took) with and without -P, run round after round
#       like the rest (medians of REPEAT runs)
set -euo pipefail

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit "${1:-0}"; }

src=$(cd "$(dirname "$0")/../.." && pwd)
build=${MQD_BUILD_DIR:-$src/build-bench}
repeat=${REPEAT:-5}
repeat_tshark=${REPEAT_TSHARK:-1}
skip_tshark=${SKIP_TSHARK:-0}
seed=${SEED:-1}
out_md=${OUT:-}
sizes=()
for arg in "$@"; do
  case $arg in
    --no-tshark) skip_tshark=1 ;;
    -h|--help) usage 0 ;;
    -*) echo "run.sh: unknown option $arg" >&2; usage 2 ;;
    *) [[ $arg =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "run.sh: bad size $arg" >&2; exit 2; }
       sizes+=("$arg") ;;
  esac
done
[ ${#sizes[@]} -gt 0 ] || sizes=(50)
[ -n "$out_md" ] && out_md=$(realpath -m "$out_md")
command -v tshark >/dev/null 2>&1 || skip_tshark=1

# ---- build -------------------------------------------------------------------
jobs=$(nproc 2>/dev/null || echo 2)
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DMQD_SANITIZE=OFF >/dev/null
fi
if ! grep -q '^CMAKE_BUILD_TYPE:STRING=Release$' "$build/CMakeCache.txt" ||
   grep -q '^MQD_SANITIZE:BOOL=ON$' "$build/CMakeCache.txt"; then
  echo "run.sh: warning: $build is not a plain Release build; numbers will be off" >&2
fi

tools=$build/tests/bench
if cmake --build "$build" --target help 2>/dev/null | grep -q 'gen_capture'; then
  cmake --build "$build" -j"$jobs" --target gen_capture pcap_floor measure >/dev/null
else
  # tests/bench is not wired into the CMake tree: build the tools directly
  tools=$build/bench-tools
  mkdir -p "$tools"
  cc=${CC:-cc}
  read -r -a crypto_flags <<<"$(pkg-config --cflags --libs libcrypto 2>/dev/null || echo -lcrypto)"
  "$cc" -std=c11 -O2 -Wall -Wextra -o "$tools/gen_capture" "$src/tests/bench/gen_capture.c" \
    "$src/tests/bench/gen_mqtt.c" "$src/tests/bench/gen_tls.c" "${crypto_flags[@]}"
  "$cc" -std=c11 -O2 -Wall -Wextra -o "$tools/measure" "$src/tests/bench/measure.c"
  read -r -a pcap_flags <<<"$(pkg-config --cflags --libs libpcap 2>/dev/null || echo -lpcap)"
  "$cc" -std=c11 -O2 -Wall -Wextra -o "$tools/pcap_floor" "$src/tests/bench/pcap_floor.c" \
    "${pcap_flags[@]}"
fi
mqd=$build/mqttdissect
if [ -f "$src/cli/main.c" ]; then
  if ! cmake --build "$build" -j"$jobs" --target mqttdissect >"$build/bench-build.log" 2>&1; then
    echo "run.sh: building mqttdissect failed (see $build/bench-build.log); measuring the rest" >&2
  fi
fi
have_mqd=0
[ -x "$mqd" ] && have_mqd=1
[ $have_mqd = 1 ] || echo "run.sh: no $mqd: measuring the floor and tshark only" >&2

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mqd-bench.XXXXXX")
if [ "${KEEP:-0}" = 1 ]; then
  echo "run.sh: keeping $tmp" >&2
else
  trap 'rm -rf "$tmp"' EXIT
fi

# ---- commands ----------------------------------------------------------------
# name|label|kind (floor, mqd or tshark)|command with @F for the capture
cmds=(
  "floor|pcap_next_ex loop (floor)|floor|$tools/pcap_floor @F"
  "q|mqttdissect -q|mqd|$mqd -r @F -q"
  "json|mqttdissect -T json|mqd|$mqd -r @F -T json"
  "qtls|mqttdissect -q, TLS|mqd|$mqd -r @T -q --tls-keylog @K"
  "jsontls|mqttdissect -T json, TLS|mqd|$mqd -r @T -T json --tls-keylog @K"
  "q1|mqttdissect -q, 1 thread|mqd|$mqd -r @F -q --threads 1"
  "qtls1|mqttdissect -q, TLS, 1 thread|mqd|$mqd -r @T -q --tls-keylog @K --threads 1"
  "textv|mqttdissect -T text -V|mqd|$mqd -r @F -T text -V"
  "tjson|tshark -T json -J mqtt|tshark|tshark -r @F -T json -J mqtt"
  "tv|tshark -V|tshark|tshark -r @F -V"
)

wanted() { # kind round
  case $1 in
    mqd) [ $have_mqd = 1 ] && [ "$2" -le "$repeat" ] ;;
    tshark) [ "$skip_tshark" = 0 ] && [ "$2" -le "$repeat_tshark" ] ;;
    *) [ "$2" -le "$repeat" ] ;;
  esac
}

# stats FILE -> "median min max peak_kib failures" over lines "secs kib exit"
stats() {
  sort -g -k1,1 "$1" | awk '
    { t[NR] = $1; if ($2 > peak) peak = $2; if ($3 != 0) bad++ }
    END {
      if (NR == 0) { print "- - - - 0"; exit }
      med = (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
      printf "%.4f %.4f %.4f %d %d\n", med, t[1], t[NR], peak, bad + 0
    }'
}

# median: the median of the numbers on standard input, one a line ("-":
# none)
median() {
  sort -g | awk '
    { t[NR] = $1 }
    END {
      if (NR == 0) { print "-"; exit }
      printf "%.4f\n", (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
    }'
}

# cpu_median FILE -> the median of the CPU seconds (measure's 4th field)
cpu_median() { awk 'NF >= 4 { print $4 }' "$1" | median; }

# paired_pct A B: the median over rounds of how much more A's time was than
# B's in the same round (line i of each file: round i), "+12 %": less
# disturbed than a ratio of medians when the machine's speed drifts.
paired_pct() {
  local m
  m=$(paste -d ' ' <(awk '{ print $1 }' "$1") <(awk '{ print $1 }' "$2") |
    awk '$2 > 0 { printf "%.6f\n", $1 / $2 }' | median)
  pct "$m" 1
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b <= 0) print "-"; else printf "%.1f", a / b }'; }
# pct A B: how much more A is than B, "+12 %"
pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b <= 0) print "-"; else printf "%+.0f %%", (a / b - 1) * 100 }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "-" && b != "-" && a + 0 <= b + 0) }'; }

declare -A med peak failed cpu
verdicts=()
verdict() { # text pass(0/1)
  local v="PASS"
  [ "$2" = 1 ] || v="FAIL"
  verdicts+=("$v  $1")
}

md() { [ -z "$out_md" ] || printf '%s\n' "$*" >>"$out_md"; }
if [ -n "$out_md" ]; then
  : >"$out_md"
  md "## Benchmark"
  md ""
  md "$(date -u +%Y-%m-%d), $(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo '?'), $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //') ($(nproc) CPUs),"
  md "$(tshark --version 2>/dev/null | head -1 | sed -E 's/ \(Git.*//' || true). Synthetic captures from \`tests/bench/gen_capture\` (seed $seed),"
  md "medians of $repeat runs (tshark: $repeat_tshark), page cache warm, output to /dev/null."
fi

# (s) The Sparkplug B mix of size $1: the same steps as the size-driven
# capture, once with JSON payloads and once with Sparkplug B (-P).
sparkplug_mix() {
  local size=$1 steps kind round m lo hi pk bad
  steps=$(sed -n 's/.*, \([0-9][0-9]*\) steps$/\1/p' "$tmp/gen-$size.log")
  [ -n "$steps" ] || { echo "run.sh: no step count in $tmp/gen-$size.log" >&2; return; }
  "$tools/gen_capture" -s "$size" -S "$seed" -n "$steps" "$tmp/mix-json-$size.pcap" \
    2>"$tmp/gen-mix-json-$size.log"
  "$tools/gen_capture" -s "$size" -S "$seed" -n "$steps" -P "$tmp/mix-spb-$size.pcap" \
    2>"$tmp/gen-mix-spb-$size.log"
  cat "$tmp/mix-json-$size.pcap" "$tmp/mix-spb-$size.pcap" >/dev/null
  for ((round = 1; round <= repeat; round++)); do
    for kind in json spb; do
      [ ! -t 2 ] || printf '\r   round %d: %-28s' "$round" "Sparkplug mix: $kind" >&2
      "$tools/measure" -e "$tmp/stderr-mix-$size-$kind" -- "$mqd" -r "$tmp/mix-$kind-$size.pcap" \
        -T json >>"$tmp/res-mix-$size-$kind"
    done
  done
  [ ! -t 2 ] || printf '\r%60s\r' '' >&2
  echo
  echo "== Sparkplug B mix: $steps steps, $(sed -n 's/.*connections, \(.*\), [0-9]* steps$/\1/p' \
    "$tmp/gen-mix-spb-$size.log"), the same in both"
  md ""
  md "### Sparkplug B mix ($steps steps of the $size MB capture, the same messages in both)"
  md ""
  md "| \`mqttdissect -T json\` of | bytes | median s | min s | max s | peak MiB |"
  md "|---|---:|---:|---:|---:|---:|"
  fmt='%-28s %11s %9s %9s %9s %9s\n'
  # shellcheck disable=SC2059
  printf "$fmt" "-T json of" bytes "median s" "min s" "max s" "peak MiB"
  for kind in json spb; do
    read -r m lo hi pk bad <<<"$(stats "$tmp/res-mix-$size-$kind")"
    med[$size,mix$kind]=$m
    local label="JSON payloads" mib bytes
    [ $kind = spb ] && label="Sparkplug B payloads"
    mib=$(awk -v k="$pk" 'BEGIN { printf "%.1f", k / 1024 }')
    bytes=$(stat -c %s "$tmp/mix-$kind-$size.pcap")
    [ "$bad" = 0 ] || label="$label (FAILED $bad)"
    # shellcheck disable=SC2059
    printf "$fmt" "$label" "$bytes" "$m" "$lo" "$hi" "$mib"
    md "| $label | $bytes | $m | $lo | $hi | $mib |"
  done
  local r ok=0
  r=$(ratio "${med[$size,mixspb]}" "${med[$size,mixjson]}")
  le "${med[$size,mixspb]}" "$(awk -v j="${med[$size,mixjson]}" 'BEGIN { print 2 * j }')" && ok=1
  verdict "(s) $size MB mix: -T json of Sparkplug B ${med[$size,mixspb]} s <= 2 x JSON payloads ${med[$size,mixjson]} s (${r}x)" $ok
}

for size in "${sizes[@]}"; do
  cap=$tmp/cap-${size}MB.pcap
  "$tools/gen_capture" -s "$size" -S "$seed" -m "$tmp/counts-$size" "$cap" 2>"$tmp/gen-$size.log"
  tcap=$tmp/cap-${size}MB-tls.pcap tkey=$tmp/cap-${size}MB-tls.keylog
  "$tools/gen_capture" -s "$size" -S "$seed" -m "$tmp/counts-$size-tls" -T "$tkey" "$tcap" \
    2>"$tmp/gen-$size-tls.log"
  cmp -s "$tmp/counts-$size" "$tmp/counts-$size-tls" ||
    { echo "run.sh: the TLS capture's messages differ from the plain one's" >&2; exit 1; }
  cat "$cap" "$tcap" >/dev/null
  floor_out=$("$tools/pcap_floor" "$cap")
  read -r npackets _ <<<"$floor_out"
  nmsgs=$(awk '{ s += $2 } END { print s }' "$tmp/counts-$size")
  echo
  echo "== capture: $size MB ($(stat -c %s "$cap") bytes, $npackets packets, $nmsgs MQTT messages)"

  for ((round = 1; round <= repeat || round <= repeat_tshark; round++)); do
    for entry in "${cmds[@]}"; do
      IFS='|' read -r name label kind cmd <<<"$entry"
      wanted "$kind" "$round" || continue
      cmd=${cmd//@T/$tcap}
      read -r -a argv <<<"${cmd//@F/$cap}"
      argv=("${argv[@]//@K/$tkey}")
      [ ! -t 2 ] || printf '\r   round %d: %-28s' "$round" "$label" >&2
      "$tools/measure" -e "$tmp/stderr-$size-$name" -- "${argv[@]}" >>"$tmp/res-$size-$name"
    done
  done
  [ ! -t 2 ] || printf '\r%60s\r' '' >&2

  for entry in "${cmds[@]}"; do
    IFS='|' read -r name _ _ _ <<<"$entry"
    if [ -s "$tmp/res-$size-$name" ]; then
      read -r m lo hi pk bad <<<"$(stats "$tmp/res-$size-$name")"
    else
      m=- lo=- hi=- pk=- bad=0
    fi
    med[$size,$name]=$m
    peak[$size,$name]=$pk
    failed[$size,$name]=$bad
    echo "$m $lo $hi $pk $bad" >"$tmp/stat-$size-$name"
  done

  fmt='%-28s %9s %9s %9s %9s %8s %11s\n'
  # shellcheck disable=SC2059
  printf "$fmt" command "median s" "min s" "max s" "peak MiB" "x floor" "vs tshark"
  md ""
  md "### $size MB capture ($npackets packets, $nmsgs MQTT messages)"
  md ""
  md "| command | median s | min s | max s | peak MiB | × floor | vs tshark |"
  md "|---|---:|---:|---:|---:|---:|---:|"
  for entry in "${cmds[@]}"; do
    IFS='|' read -r name label kind _ <<<"$entry"
    read -r m lo hi pk bad <"$tmp/stat-$size-$name"
    [ "$m" = - ] && continue
    mib=$(awk -v k="$pk" 'BEGIN { printf "%.1f", k / 1024 }')
    xfloor=$(ratio "$m" "${med[$size,floor]}")
    vs=-
    case $name in
      json) t=$(ratio "${med[$size,tjson]:--}" "$m"); [ "$t" = - ] || vs="${t}x faster" ;;
      textv) t=$(ratio "${med[$size,tv]:--}" "$m"); [ "$t" = - ] || vs="${t}x faster" ;;
      qtls) vs="$(pct "$m" "${med[$size,q]}") vs -q" ;;
      qtls1) vs="$(pct "$m" "${med[$size,q1]}") vs -q" ;;
      jsontls) vs="$(pct "$m" "${med[$size,json]}") vs json" ;;
    esac
    [ "$bad" = 0 ] || label="$label (FAILED $bad)"
    # shellcheck disable=SC2059
    printf "$fmt" "$label" "$m" "$lo" "$hi" "$mib" "$xfloor" "$vs"
    md "| \`$label\` | $m | $lo | $hi | $mib | $xfloor | $vs |"
    if [ "$bad" != 0 ]; then
      echo "   $label exited non-zero; its stderr ends with:" >&2
      tail -n 5 "$tmp/stderr-$size-$name" | sed 's/^/     /' >&2
    fi
  done

  if [ $have_mqd = 1 ]; then
    ok=0; le "${med[$size,q]}" "$(awk -v f="${med[$size,floor]}" 'BEGIN { print 3 * f }')" && ok=1
    verdict "(b) $size MB: -q ${med[$size,q]} s <= 3 x floor ${med[$size,floor]} s ($(ratio "${med[$size,q]}" "${med[$size,floor]}")x)" $ok
    if [ "$skip_tshark" = 0 ]; then
      r=$(ratio "${med[$size,tjson]}" "${med[$size,json]}"); ok=0; le 50 "$r" && ok=1
      verdict "(c) $size MB: -T json ${r}x faster than tshark -T json -J mqtt (target >= 50x)" $ok
      r=$(ratio "${med[$size,tv]}" "${med[$size,textv]}"); ok=0; le 50 "$r" && ok=1
      verdict "(d) $size MB: -T text -V ${r}x faster than tshark -V (target >= 50x)" $ok
    fi
    ok=0; le "${med[$size,qtls]}" "$(awk -v q="${med[$size,q]}" 'BEGIN { print 1.5 * q }')" && ok=1
    verdict "(t) $size MB: -q on TLS ${med[$size,qtls]} s <= 1.5 x -q ${med[$size,q]} s (decryption adds $(pct "${med[$size,qtls]}" "${med[$size,q]}"); -T json: $(pct "${med[$size,jsontls]}" "${med[$size,json]}"))" $ok
    # The same in CPU time (user + system, all threads; medians), which
    # other load on the machine disturbs less than wall time.
    for name in q qtls json jsontls; do
      cpu[$name]=$(cpu_median "$tmp/res-$size-$name")
    done
    echo "(t) $size MB CPU time: -q ${cpu[q]} s, on TLS ${cpu[qtls]} s ($(pct "${cpu[qtls]}" "${cpu[q]}")); -T json ${cpu[json]} s, on TLS ${cpu[jsontls]} s ($(pct "${cpu[jsontls]}" "${cpu[json]}"))"
    md ""
    md "(t) CPU time (user + system, medians): -q ${cpu[q]} s, on TLS ${cpu[qtls]} s ($(pct "${cpu[qtls]}" "${cpu[q]}")); -T json ${cpu[json]} s, on TLS ${cpu[jsontls]} s ($(pct "${cpu[jsontls]}" "${cpu[json]}"))."
    # Round by round, and on one thread (--threads 1: the decoding work
    # and the reading on one CPU, so the ratio is that of the work done).
    round_paired=$(paired_pct "$tmp/res-$size-qtls" "$tmp/res-$size-q")
    one_thread=$(pct "${med[$size,qtls1]}" "${med[$size,q1]}")
    one_paired=$(paired_pct "$tmp/res-$size-qtls1" "$tmp/res-$size-q1")
    echo "(t) $size MB decryption's share, other measures: -q on TLS against -q in the same round $round_paired (median of $repeat rounds); with --threads 1: ${med[$size,qtls1]} s against ${med[$size,q1]} s ($one_thread; round by round $one_paired)"
    md ""
    md "(t) Other measures of decryption's share: round by round (median of the per-round ratios) $round_paired; with \`--threads 1\` ${med[$size,qtls1]} s against ${med[$size,q1]} s ($one_thread; round by round $one_paired)."
    for name in q json textv qtls jsontls; do
      mib=$(awk -v k="${peak[$size,$name]}" 'BEGIN { printf "%.1f", k / 1024 }')
      ok=0; le "$mib" 32 && ok=1
      verdict "(m) $size MB: $name peak $mib MiB <= 32 MiB" $ok
      ok=1; [ "${failed[$size,$name]}" = 0 ] || ok=0
      [ $ok = 1 ] || verdict "$size MB: mqttdissect $name exited non-zero" 0
    done
    sparkplug_mix "$size"
  fi
done

# (m) memory independent of the capture size: within 5 % (at least 1 MiB)
if [ $have_mqd = 1 ] && [ ${#sizes[@]} -gt 1 ]; then
  small=${sizes[0]} large=${sizes[-1]}
  for name in q json textv; do
    a=${peak[$small,$name]} b=${peak[$large,$name]}
    ok=0
    awk -v a="$a" -v b="$b" 'BEGIN { d = b - a; if (d < 0) d = -d; tol = a * 0.05; if (tol < 1024) tol = 1024; exit !(d <= tol) }' && ok=1
    verdict "(m) $name peak $(awk -v k="$a" 'BEGIN { printf "%.1f", k / 1024 }') MiB at $small MB vs $(awk -v k="$b" 'BEGIN { printf "%.1f", k / 1024 }') MiB at $large MB (same within 5 %)" $ok
  done
fi

if [ ${#verdicts[@]} -gt 0 ]; then
  echo
  echo "== targets"
  printf '%s\n' "${verdicts[@]}"
  md ""
  md "Targets:"
  md ""
  for v in "${verdicts[@]}"; do md "- $v"; done
fi
[ -z "$out_md" ] || echo "run.sh: wrote $out_md"
