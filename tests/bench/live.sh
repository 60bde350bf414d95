#!/usr/bin/env bash
# The live-capture benchmark: a synthetic capture replayed with tcpreplay
# onto one end of a veth pair, captured on the other end, both inside a
# network namespace this script creates (no traffic leaves it; it is
# deleted at the end, also on failure). Three sniffers in turn:
#   tcpdump -w /dev/null                (the reference)
#   mqttdissect -q -i                   (decode, summary only)
#   mqttdissect -T json -i > file       (decode and format everything)
# First at full speed (tcpreplay --topspeed), then at --pps steps to find
# the highest rate each takes without loss. For each run: packets/s
# tcpreplay achieved, kernel drops (and queue drops for mqttdissect), MQTT
# messages decoded (which must equal what -r of the same file decodes),
# CPU seconds (user+sys) and peak resident memory.
#
# Usage: tests/bench/live.sh [SIZE_MB]          (default 20; root only)
# Environment:
#   MQD_BUILD_DIR  build tree (default: build-bench/, configured Release)
#   PPS="..."      the --pps steps (default 50000 100000 150000 200000
#                  300000 400000 600000)
#   SEED=1         the generator's seed
#   KEEP=1         keep the temporary directory
#   MQD_ARGS="..." more options for both mqttdissect runs (--threads 1,
#                  --queue-size 16, ...)
set -euo pipefail

src=$(cd "$(dirname "$0")/../.." && pwd)
build=${MQD_BUILD_DIR:-$src/build-bench}
size=${1:-20}
seed=${SEED:-1}
read -r -a steps <<<"${PPS:-50000 100000 150000 200000 300000 400000 600000}"
read -r -a mqd_args <<<"${MQD_ARGS:-}"

[ "$(id -u)" = 0 ] || { echo "live.sh: needs root (network namespace, capture)" >&2; exit 77; }
for t in tcpreplay tcpdump ip ethtool /usr/bin/time; do
  command -v "$t" >/dev/null || { echo "live.sh: $t is missing (tests/install-deps.sh test)" >&2; exit 77; }
done

if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DMQD_SANITIZE=OFF >/dev/null
fi
cmake --build "$build" -j"$(nproc)" --target mqttdissect gen_capture >/dev/null
mqd=$build/mqttdissect
gen=$build/tests/bench/gen_capture

ns=mqd-bench-$$
tx=mqdtx$$
rx=mqdrx$$
tmp=$(mktemp -d)
cleanup() {
  ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
  sleep 0.2
  ip netns del "$ns" 2>/dev/null || true
  [ -n "${KEEP:-}" ] && echo "kept $tmp" >&2 || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- the capture and what -r decodes of it ----
cap=$tmp/live.pcap
"$gen" -s "$size" -S "$seed" -m "$tmp/counts" "$cap" 2>"$tmp/gen.log"
npackets=$(tcpdump -nr "$cap" 2>/dev/null | wc -l)
json_msgs() { grep -vc '"event":' "$1" || true; }
want_q=$("$mqd" -q -r "$cap" 2>&1 >/dev/null | sed -nE 's/.* frames, ([0-9]+) MQTT messages.*/\1/p')
"$mqd" -T json -r "$cap" >"$tmp/ref.json"
want_json=$(json_msgs "$tmp/ref.json")

# ---- the namespace: both ends of the veth pair inside it ----
ip netns add "$ns"
ip link add "$tx" type veth peer name "$rx"
ip link set "$tx" netns "$ns"
ip link set "$rx" netns "$ns"
inns() { ip netns exec "$ns" "$@"; }
for dev in "$tx" "$rx"; do
  # No IPv6 autoconfiguration traffic: the sniffers see the replay only.
  inns sysctl -qw "net.ipv6.conf.$dev.disable_ipv6=1" || true
  inns ip link set "$dev" mtu 9000 up
  inns ethtool -K "$dev" rx off tx off tso off gso off gro off lro off >/dev/null 2>&1 || true
done
inns ip link set lo up

# One run: starts the sniffer on $rx, replays at $1 (topspeed or a pps),
# waits until the sniffer is idle, stops it with SIGINT. Prints
#   pps kernel_drops queue_drops messages cpu_s peak_mib
run_one() {
  local rate=$1 tool=$2 out=$tmp/run.out err=$tmp/run.err tm=$tmp/run.time
  local -a cmd
  case $tool in
    tcpdump) cmd=(tcpdump -n -i "$rx" -w /dev/null) ;;
    q)       cmd=("$mqd" -q -i "$rx" "${mqd_args[@]}") ;;
    json)    cmd=("$mqd" -T json -i "$rx" "${mqd_args[@]}") ;;
  esac
  # ip netns exec execs: $! is time, whose child is the sniffer (time
  # ignores SIGINT itself).
  ip netns exec "$ns" /usr/bin/time -f '%U %S %M' -o "$tm" "${cmd[@]}" >"$out" 2>"$err" &
  local tp=$! child=""
  for _ in $(seq 50); do
    child=$(cat "/proc/$tp/task/$tp/children" 2>/dev/null | awk '{print $1}')
    [ -n "$child" ] && break
    sleep 0.1
  done
  sleep 1.5 # the sniffer is capturing
  local rate_arg=--topspeed
  [ "$rate" = topspeed ] || rate_arg=--pps=$rate
  local pps
  pps=$(inns tcpreplay -i "$tx" "$rate_arg" "$cap" 2>&1 | sed -nE 's/.*Rated: .* ([0-9.]+) pps.*/\1/p' | head -1)
  # tcpdump writes the kernel's blocks when they retire (1 s); then idle:
  # its CPU time no longer grows.
  sleep 1.5
  local prev=-1 cur
  for _ in $(seq 120); do
    sleep 0.25
    cur=$(awk '{print $14 + $15}' "/proc/$child/stat" 2>/dev/null || echo done)
    [ "$cur" = "$prev" ] && break
    prev=$cur
  done
  [ -n "$child" ] && kill -INT "$child" 2>/dev/null
  for _ in $(seq 100); do kill -0 "$tp" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$tp" 2>/dev/null && { kill -KILL "$child" 2>/dev/null; echo "live.sh: $tool did not stop on SIGINT" >&2; }
  wait "$tp" || true
  local kdrop=0 qdrop=0 msgs=0
  case $tool in
    tcpdump)
      kdrop=$(sed -nE 's/^([0-9]+) packets dropped by kernel.*/\1/p' "$err")
      msgs=$(sed -nE 's/^([0-9]+) packets captured.*/\1/p' "$err") ;;
    q|json)
      kdrop=$(sed -nE 's/.* ([0-9]+) dropped by the kernel.*/\1/p' "$err")
      qdrop=$(sed -nE 's/.* ([0-9]+) dropped by the queue.*/\1/p' "$err")
      if [ "$tool" = q ]; then
        msgs=$(sed -nE 's/.* frames, ([0-9]+) MQTT messages.*/\1/p' "$err")
      else
        msgs=$(json_msgs "$out")
      fi ;;
  esac
  local cpu mem
  read -r u s m <"$tm" || true
  cpu=$(awk -v u="${u:-0}" -v s="${s:-0}" 'BEGIN { printf "%.2f", u + s }')
  mem=$(awk -v m="${m:-0}" 'BEGIN { printf "%.1f", m / 1024 }')
  echo "${pps:-?} ${kdrop:-?} ${qdrop:-0} ${msgs:-?} $cpu $mem"
}

lossless() { # tool result
  local tool=$1 kdrop qdrop msgs
  read -r _ kdrop qdrop msgs _ <<<"$2"
  [ "$kdrop" = 0 ] && [ "$qdrop" = 0 ] || return 1
  case $tool in
    tcpdump) [ "$msgs" = "$npackets" ] ;;
    q) [ "$msgs" = "$want_q" ] ;;
    json) [ "$msgs" = "$want_json" ] ;;
  esac
}

label() {
  case $1 in
    tcpdump) echo "tcpdump -w /dev/null" ;;
    q) echo "mqttdissect -q -i" ;;
    json) echo "mqttdissect -T json -i >file" ;;
  esac
}

echo "capture: $size MB, $npackets packets, $want_q MQTT messages (-r: $want_json JSON message lines); $(nproc) CPUs, $(uname -r)"
echo "tcpreplay --topspeed onto a veth pair in namespace $ns${MQD_ARGS:+; mqttdissect with $MQD_ARGS}"
printf '%-30s %10s %10s %8s %10s %8s %9s %s\n' sniffer pkts/s kern_drop q_drop messages cpu_s peak_MiB ok
declare -A best
for tool in tcpdump q json; do
  r=$(run_one topspeed "$tool")
  ok=no
  lossless "$tool" "$r" && ok=yes
  read -r a b c d e f <<<"$r"
  printf '%-30s %10s %10s %8s %10s %8s %9s %s\n' "$(label "$tool")" "$a" "$b" "$c" "$d" "$e" "$f" "$ok"
  best[$tool]=-
  [ "$ok" = yes ] && best[$tool]="topspeed ($a)"
done

echo
echo "highest loss-free --pps step (every packet / message, 0 drops):"
for tool in tcpdump q json; do
  [ "${best[$tool]}" = - ] || { printf '%-30s %s\n' "$(label "$tool")" "${best[$tool]}"; continue; }
  for rate in "${steps[@]}"; do
    r=$(run_one "$rate" "$tool")
    read -r a b c d _ <<<"$r"
    if lossless "$tool" "$r"; then
      best[$tool]="$rate (achieved $a)"
    else
      printf '   %-27s at --pps=%s: %s pkts/s, %s kernel drops, %s queue drops, %s messages\n' \
        "$(label "$tool")" "$rate" "$a" "$b" "$c" "$d"
      break
    fi
  done
  printf '%-30s %s\n' "$(label "$tool")" "${best[$tool]}"
done
