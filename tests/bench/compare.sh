#!/usr/bin/env bash
# Two commands timed against each other, for telling a change from the
# machine's noise: ROUNDS rounds, A then B in odd rounds and B then A in
# even ones (so that drift falls on both alike), each run through measure
# (wall and CPU time; output to /dev/null). Prints each command's median
# wall and CPU time, and the median of the per-round ratios B/A with its
# 95 % interval, taken from the order statistics of the ratios (no
# assumption about how they are distributed).
#
# On a shared machine, run the same command as A and B first (an A/A run):
# its interval is what a difference has to beat. On 2026-12-04, 300 rounds
# of -q on the 50 MB TLS benchmark capture gave 1.006 (0.978 to 1.024) in
# wall time and 1.005 (1.001 to 1.012) in CPU time.
#
# Usage: tests/bench/compare.sh [-n ROUNDS] 'COMMAND A' 'COMMAND B'
#   (each command split at spaces; default 31 rounds)
# Environment: MEASURE, the measure tool (default: the first found of
#   build-bench/ and build/, tests/bench/measure)
# Exit status: 0; 1 when a run of either command failed; 2 on bad usage.
set -euo pipefail

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }

rounds=31
while getopts n:h opt; do
  case $opt in
    n) [[ $OPTARG =~ ^[1-9][0-9]*$ ]] || usage; rounds=$OPTARG ;;
    *) usage ;;
  esac
done
shift $((OPTIND - 1))
[ $# -eq 2 ] || usage

src=$(cd "$(dirname "$0")/../.." && pwd)
measure=${MEASURE:-}
if [ -z "$measure" ]; then
  for dir in build-bench build; do
    if [ -x "$src/$dir/tests/bench/measure" ]; then
      measure=$src/$dir/tests/bench/measure
      break
    fi
  done
fi
if [ -z "$measure" ] || [ ! -x "$measure" ]; then
  echo "compare.sh: no measure tool: build a tree, or set MEASURE" >&2
  exit 2
fi

read -r -a cmd_a <<<"$1"
read -r -a cmd_b <<<"$2"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# One line per round: A's "SECONDS KIB EXIT CPU", then B's.
for ((round = 1; round <= rounds; round++)); do
  if ((round % 2)); then
    ra=$("$measure" -- "${cmd_a[@]}")
    rb=$("$measure" -- "${cmd_b[@]}")
  else
    rb=$("$measure" -- "${cmd_b[@]}")
    ra=$("$measure" -- "${cmd_a[@]}")
  fi
  echo "$ra $rb" >>"$tmp/rounds"
done

failed=$(awk '$3 != 0 || $7 != 0 { n++ } END { print n + 0 }' "$tmp/rounds")
if [ "$failed" -gt 0 ]; then
  echo "compare.sh: $failed round(s) with a failed run (exit status not 0)" >&2
  exit 1
fi

# The median of a column of numbers on stdin.
median() {
  sort -g | awk '{ v[NR] = $1 }
    END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# "LOW HIGH": the 95 % interval of the median of a column on stdin, from
# its order statistics (the k-th value from each end, k = n/2 - 0.98 sqrt(n)).
interval() {
  sort -g | awk '{ v[NR] = $1 }
    END { k = int(NR / 2 - 0.98 * sqrt(NR)); if (k < 1) k = 1; print v[k], v[NR - k + 1] }'
}

column() { awk -v c="$1" '{ print $c }' "$tmp/rounds"; }
ratio() { awk -v a="$1" -v b="$2" '{ print $b / $a }' "$tmp/rounds"; }

printf 'A: median %.4f s wall, %.4f s CPU   %s\n' "$(column 1 | median)" "$(column 4 | median)" "$1"
printf 'B: median %.4f s wall, %.4f s CPU   %s\n' "$(column 5 | median)" "$(column 8 | median)" "$2"
read -r wlo whi <<<"$(ratio 1 5 | interval)"
read -r clo chi <<<"$(ratio 4 8 | interval)"
printf 'B/A, median of %d rounds: wall %.4f (95 %% interval %.4f to %.4f), CPU %.4f (%.4f to %.4f)\n' \
  "$rounds" "$(ratio 1 5 | median)" "$wlo" "$whi" "$(ratio 4 8 | median)" "$clo" "$chi"
