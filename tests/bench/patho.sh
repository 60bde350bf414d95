#!/usr/bin/env bash
# Linear time on pathological inputs: mqttdissect's cost per input byte at two
# (or more) sizes of four adversarial captures written by gen_patho.
#
# Usage: tests/bench/patho.sh [SCALE...]      (default: 0.1 1)
#   SCALE is a fraction of the full scale of issue 5 item 5:
#     bytewise  a 1,000,000-byte PUBLISH in 1-byte TCP segments
#     tiny      100,000 tiny messages in maximal TCP segments (7 of 64 KiB)
#     retrans   10,000 overlapping retransmissions, partly out of order
#     partial   100,000 connections, each with one unfinished PUBLISH
# Environment:
#   REPEAT=5          timed runs of each command (the median is reported)
#   CALLGRIND=auto    also count instructions once per capture with valgrind
#                     --tool=callgrind (deterministic); 0 = off, 1 = required
#   MQD_BUILD_DIR     build tree (default: build-patho/, configured Release)
#   OUT=FILE          also write the table as markdown there
#   KEEP=1            keep the temporary directory (captures, callgrind files)
#   MIN_SECONDS=0.01  a time ratio whose smaller size ran less than this (net
#                     of startup) is shown in parentheses and not judged:
#                     timer and scheduler noise dominate it
#
# Commands: mqttdissect -r F -q for every scenario, and -T json for bytewise
# and tiny. ns/B is (median wall time - the median of the same command on an
# empty capture) / capture file bytes; Ir/B likewise with callgrind's
# instruction counts. "ratio" divides the largest size's per-byte cost by the
# smallest size's: about 1 when the cost is linear. A ratio above 2 (time or
# instructions) is flagged SUPERLINEAR, the top functions by instructions at
# the largest size are printed, and the script exits 1.
set -euo pipefail

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit "${1:-0}"; }

src=$(cd "$(dirname "$0")/../.." && pwd)
build=${MQD_BUILD_DIR:-$src/build-patho}
repeat=${REPEAT:-5}
min_seconds=${MIN_SECONDS:-0.01}
use_cg=${CALLGRIND:-auto}
out_md=${OUT:-}
scales=()
for arg in "$@"; do
  case $arg in
    -h|--help) usage 0 ;;
    -*) echo "patho.sh: unknown option $arg" >&2; usage 2 ;;
    *) [[ $arg =~ ^[0-9]*\.?[0-9]+$ ]] || { echo "patho.sh: bad scale $arg" >&2; exit 2; }
       scales+=("$arg") ;;
  esac
done
[ ${#scales[@]} -gt 0 ] || scales=(0.1 1)
[ ${#scales[@]} -ge 2 ] || { echo "patho.sh: give at least two scales" >&2; exit 2; }
[ -n "$out_md" ] && out_md=$(realpath -m "$out_md")
if [ "$use_cg" = auto ]; then
  use_cg=0
  command -v valgrind >/dev/null 2>&1 && use_cg=1
elif [ "$use_cg" = 1 ] && ! command -v valgrind >/dev/null 2>&1; then
  echo "patho.sh: CALLGRIND=1 but no valgrind" >&2; exit 2
fi

# ---- build -------------------------------------------------------------------
jobs=$(nproc 2>/dev/null || echo 2)
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DMQD_SANITIZE=OFF >/dev/null
fi
if ! grep -q '^CMAKE_BUILD_TYPE:STRING=Release$' "$build/CMakeCache.txt" ||
   grep -q '^MQD_SANITIZE:BOOL=ON$' "$build/CMakeCache.txt"; then
  echo "patho.sh: warning: $build is not a plain Release build; numbers will be off" >&2
fi
if ! cmake --build "$build" -j"$jobs" --target gen_patho measure mqttdissect \
     >"$build/patho-build.log" 2>&1; then
  echo "patho.sh: build failed (see $build/patho-build.log)" >&2
  exit 2
fi
tools=$build/tests/bench
mqd=$build/mqttdissect

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mqd-patho.XXXXXX")
if [ "${KEEP:-0}" = 1 ]; then
  echo "patho.sh: keeping $tmp" >&2
else
  trap 'rm -rf "$tmp"' EXIT
fi

# ---- helpers -------------------------------------------------------------------
# median of the first column; the largest second column (peak KiB); failures
median_of() {
  sort -g -k1,1 "$1" | awk '
    { t[NR] = $1; if ($2 > peak) peak = $2; if ($3 != 0) bad++ }
    END { med = (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
          printf "%.6f %d %d\n", med, peak, bad + 0 }'
}
calc() { awk "BEGIN { $1 }"; }

# time_cmd RESULT_FILE RUNS ARGS...: RUNS runs through measure
time_cmd() {
  local res=$1 runs=$2; shift 2
  : >"$res"
  for ((i = 0; i < runs; i++)); do
    "$tools/measure" -e "$res.stderr" -- "$mqd" "$@" >>"$res"
  done
}

# instructions OUT_FILE ARGS...: callgrind's instruction count (Ir) of one
# run, its profile kept in OUT_FILE
instructions() {
  local f=$1; shift
  valgrind --tool=callgrind --callgrind-out-file="$f" "$mqd" "$@" >/dev/null 2>"$f.log" || true
  awk '/^summary:/ { print $2; found = 1 } END { if (!found) print "-" }' "$f"
}

# ---- scenarios -----------------------------------------------------------------
# name|N at full scale|modes
scenarios=(
  "bytewise|1000000|q json"
  "tiny|100000|q json"
  "retrans|10000|q"
  "partial|100000|q"
)
mode_args() { case $1 in q) echo "-q" ;; json) echo "-T json" ;; esac; }

# The fixed cost of each command: an empty capture (file header only).
"$tools/gen_patho" partial 1 "$tmp/one.pcap" 2>/dev/null
head -c 24 "$tmp/one.pcap" >"$tmp/empty.pcap"
declare -A base_t base_ir
for mode in q json; do
  read -r -a margs <<<"$(mode_args "$mode")"
  time_cmd "$tmp/base-$mode" $((repeat < 10 ? 21 : 2 * repeat + 1)) -r "$tmp/empty.pcap" "${margs[@]}"
  read -r base_t[$mode] _ _ <<<"$(median_of "$tmp/base-$mode")"
  base_ir[$mode]=0
  [ "$use_cg" = 0 ] || base_ir[$mode]=$(instructions "$tmp/cg-empty-$mode.out" -r "$tmp/empty.pcap" "${margs[@]}")
done

fmt='%-9s %-5s %6s %8s %10s %9s %8s %6s %9s %7s %6s %8s\n'
header() {
  # shellcheck disable=SC2059
  printf "$fmt" scenario mode scale N "bytes" "median s" "ns/B" ratio "Ir" "Ir/B" ratio "peak MiB"
}
md() { [ -z "$out_md" ] || printf '%s\n' "$*" >>"$out_md"; }
if [ -n "$out_md" ]; then
  : >"$out_md"
  md "$(date -u +%Y-%m-%d), $(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo '?'), $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //') ($(nproc) CPUs); medians of $repeat runs; startup (empty capture) subtracted: -q ${base_t[q]} s, -T json ${base_t[json]} s."
  md ""
  md "| scenario | mode | scale | N | bytes | median s | ns/B | ratio | Ir | Ir/B | ratio | peak MiB |"
  md "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
fi

echo "startup (empty capture): -q ${base_t[q]} s, -T json ${base_t[json]} s" \
  "(Ir ${base_ir[q]} / ${base_ir[json]}); subtracted below"
header
superlinear=()
for entry in "${scenarios[@]}"; do
  IFS='|' read -r name full modes <<<"$entry"
  for mode in $modes; do
    read -r -a margs <<<"$(mode_args "$mode")"
    first_nsb="" first_irb="" first_net=0 ratio_t=- ratio_ir=- cg_large=""
    for scale in "${scales[@]}"; do
      n=$(calc "printf \"%d\", $full * $scale + 0.5")
      [ "$n" -ge 1 ] || n=1
      cap=$tmp/$name-$n.pcap
      [ -f "$cap" ] || "$tools/gen_patho" "$name" "$n" "$cap" 2>/dev/null
      cat "$cap" >/dev/null
      bytes=$(stat -c %s "$cap")
      time_cmd "$tmp/res-$name-$mode-$n" "$repeat" -r "$cap" "${margs[@]}"
      read -r med pk bad <<<"$(median_of "$tmp/res-$name-$mode-$n")"
      if [ "$bad" != 0 ]; then
        echo "patho.sh: mqttdissect ${margs[*]} on $name N=$n exited non-zero; stderr ends:" >&2
        tail -n 3 "$tmp/res-$name-$mode-$n.stderr" | sed 's/^/    /' >&2
      fi
      net=$(calc "printf \"%.6f\", $med - ${base_t[$mode]}")
      nsb=$(calc "d = ($med - ${base_t[$mode]}) * 1e9 / $bytes; if (d < 0) d = 0; printf \"%.3f\", d")
      ir=- irb=-
      if [ "$use_cg" = 1 ]; then
        cg_large=$tmp/cg-$name-$mode-$n.out
        ir=$(instructions "$cg_large" -r "$cap" "${margs[@]}")
        [ "$ir" = - ] || irb=$(calc "printf \"%.2f\", ($ir - ${base_ir[$mode]}) / $bytes")
      fi
      shown_t=- shown_ir=-
      if [ -z "$first_nsb" ]; then
        first_nsb=$nsb first_irb=$irb first_net=$net
      else
        ratio_t=$(calc "printf \"%.2f\", ($first_nsb > 0) ? $nsb / $first_nsb : 0")
        shown_t=$ratio_t
        if calc "exit !($first_net < $min_seconds)"; then
          shown_t="($ratio_t)" ratio_t=-
        fi
        if [ "$irb" != - ] && [ "$first_irb" != - ]; then
          ratio_ir=$(calc "printf \"%.2f\", ($first_irb > 0) ? $irb / $first_irb : 0")
          shown_ir=$ratio_ir
        fi
      fi
      mib=$(calc "printf \"%.1f\", $pk / 1024")
      # shellcheck disable=SC2059
      printf "$fmt" "$name" "$mode" "$scale" "$n" "$bytes" "$med" "$nsb" "$shown_t" \
        "$ir" "$irb" "$shown_ir" "$mib"
      md "| $name | $mode | $scale | $n | $bytes | $med | $nsb | $shown_t | $ir | $irb | $shown_ir | $mib |"
    done
    flag=0
    [ "$ratio_t" = - ] || { calc "exit !($ratio_t > 2)" && flag=1; }
    [ "$ratio_ir" = - ] || { calc "exit !($ratio_ir > 2)" && flag=1; }
    if [ $flag = 1 ]; then
      superlinear+=("$name $mode: ns/B ratio $ratio_t, Ir/B ratio $ratio_ir")
      if [ -n "$cg_large" ] && command -v callgrind_annotate >/dev/null; then
        echo "   SUPERLINEAR: top functions by instructions at the largest size:"
        callgrind_annotate "$cg_large" 2>/dev/null | grep -E '^ *[0-9,]+ ' | head -8 | sed 's/^/     /'
      fi
    fi
  done
done

echo
if [ ${#superlinear[@]} -gt 0 ]; then
  printf 'SUPERLINEAR  %s\n' "${superlinear[@]}"
  md ""
  for s in "${superlinear[@]}"; do md "- SUPERLINEAR $s"; done
  [ -z "$out_md" ] || echo "patho.sh: wrote $out_md"
  exit 1
fi
echo "linear: every ratio <= 2 (scales ${scales[*]})"
md ""
md "Linear: every ratio <= 2."
[ -z "$out_md" ] || echo "patho.sh: wrote $out_md"
