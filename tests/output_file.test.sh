#!/usr/bin/env bash
# -o FILE: the records go to FILE (appended), exactly what standard output
# would get, for text, -V, JSON and EVE, on one thread and two; and SIGHUP
# reopens FILE by its name (log rotation): with the capture fed through a
# pipe in two halves, FILE renamed and SIGHUP sent between them, the renamed
# file and the new FILE together hold exactly the whole output, the new one
# the second half at least. Also with logrotate itself when it is installed.
set -u
build=${1:?usage: output_file.test.sh BUILD_DIR}
bin=$build/mqttdissect
src=${MQD_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
cap=$src/captures/burst_500.pcap
work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
[ -n "${MQD_KEEP:-}" ] && trap - EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

for args in "" "-V --color never" "-T json" "-T eve"; do
  for t in 1 2; do
    # shellcheck disable=SC2086
    "$bin" --threads $t $args -r "$cap" >"$work/stdout" 2>/dev/null
    rm -f "$work/file"
    # shellcheck disable=SC2086
    "$bin" --threads $t $args -r "$cap" -o "$work/file" >"$work/nothing" 2>/dev/null ||
      fail "-o $args, $t threads: exit $?"
    cmp -s "$work/stdout" "$work/file" || fail "-o $args, $t threads: FILE differs from stdout"
    [ -s "$work/nothing" ] && fail "-o $args, $t threads: something on stdout"
  done
done
# appends
"$bin" -T json -r "$cap" -o "$work/file" 2>/dev/null
cat "$work/stdout" "$work/stdout" >"$work/twice"
"$bin" -T eve -r "$cap" >"$work/stdout" 2>/dev/null
rm -f "$work/file"
"$bin" -T eve -r "$cap" -o "$work/file" 2>/dev/null
"$bin" -T eve -r "$cap" -o "$work/file" 2>/dev/null
cat "$work/stdout" "$work/stdout" | cmp -s - "$work/file" || fail "-o does not append"
"$bin" -r "$cap" -o "$work/no/such/dir/file" >/dev/null 2>"$work/err"
[ $? = 1 ] || fail "-o into a missing directory: want exit 1"
grep -q "no/such/dir/file" "$work/err" || fail "-o into a missing directory: no message naming it"

# Split the capture at a record boundary: header + first half, second half.
/usr/bin/python3 - "$cap" "$work/part1" "$work/part2" <<'PYEOF'
import struct, sys
data = open(sys.argv[1], "rb").read()
magic = data[:4]
endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
pos, offs = 24, []
while pos + 16 <= len(data):
    offs.append(pos)
    incl = struct.unpack(endian + "I", data[pos + 8:pos + 12])[0]
    pos += 16 + incl
cut = offs[len(offs) // 2]
open(sys.argv[2], "wb").write(data[:cut])
open(sys.argv[3], "wb").write(data[cut:])
PYEOF

# rotate HOW: run -T eve from a pipe, rotate with HOW between the halves.
rotate() {
  local how=$1 t
  for t in 1 2; do
    rm -f "$work"/eve "$work"/eve.[0-9]*
    mkfifo "$work/fifo.$how.$t"
    "$bin" --threads $t -T eve -r - -o "$work/eve" <"$work/fifo.$how.$t" 2>"$work/rot.err.$how.$t" &
    pid=$!
    exec 3>"$work/fifo.$how.$t"
    cat "$work/part1" >&3
    # SIGHUP is caught once the handlers are installed (SigCgt bit 1).
    for _ in $(seq 200); do
      mask=$(awk '/^SigCgt/ {print $2}' "/proc/$pid/status" 2>/dev/null)
      [ -n "$mask" ] && [ $((0x$mask & 2)) != 0 ] && break
      sleep 0.05
    done
    if [ "$how" = logrotate ]; then
      printf '%s {\n  rotate 3\n  missingok\n  postrotate\n    kill -HUP %s\n  endscript\n}\n' \
        "$work/eve" "$pid" >"$work/logrotate.conf"
      touch "$work/eve"
      logrotate -f -s "$work/logrotate.state" "$work/logrotate.conf" || fail "logrotate failed"
    else
      mv "$work/eve" "$work/eve.1" 2>/dev/null || : >"$work/eve.1"
      kill -HUP "$pid"
    fi
    cat "$work/part2" >&3
    exec 3>&-
    wait "$pid" || fail "rotation ($how, $t threads): exit $?"
    pid=
    [ -s "$work/eve" ] || fail "rotation ($how, $t threads): nothing in the reopened file"
    cat "$work/eve.1" "$work/eve" | cmp -s - "$work/stdout" ||
      fail "rotation ($how, $t threads): the two files are not the whole output"
  done
}
rotate mv
if command -v logrotate >/dev/null; then
  rotate logrotate
else
  echo "note: no logrotate; rotation tested with mv and kill -HUP only"
fi

echo "output_file: $failures failures"
[ "$failures" = 0 ]
