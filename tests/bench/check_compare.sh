#!/usr/bin/env bash
# Checks compare.sh: a command that sleeps 20 ms against one that does not
# comes out slower in wall time, interval included, and not in CPU time
# by as much; a failing command makes it fail (1); bad usage is 2.
# Usage: check_compare.sh MEASURE
set -euo pipefail
measure=${1:?usage: check_compare.sh MEASURE}
here=$(cd "$(dirname "$0")" && pwd)
export MEASURE=$measure
fail() { echo "check_compare: $*" >&2; exit 1; }

out=$(bash "$here/compare.sh" -n 6 'true' 'sleep 0.02')
echo "$out"
line=$(grep '^B/A, median of 6 rounds: wall ' <<<"$out") || fail "no B/A line"
read -r ratio lo <<<"$(sed -E 's/.*wall ([0-9.]+) \(95 % interval ([0-9.]+) to.*/\1 \2/' <<<"$line")"
awk -v r="$ratio" -v lo="$lo" 'BEGIN { exit !(r > 2 && lo > 1) }' ||
  fail "sleeping 20 ms should be slower in wall time: $line"
grep -q '^A: median .* true$' <<<"$out" || fail "no A line"

rc=0
bash "$here/compare.sh" -n 2 'true' 'false' >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 1 ] || fail "a failing command gave exit status $rc, not 1"
rc=0
bash "$here/compare.sh" -n 0 'true' 'true' >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "-n 0 gave exit status $rc, not 2"
echo "check_compare: ok"
