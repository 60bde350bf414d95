#!/usr/bin/env bash
# Re-record every MQTT capture in captures/.
#
#   sudo bash captures/record.sh [OUTDIR]      (default OUTDIR: captures/)
#
# Environment: MQD_SCENARIOS="hello_world qos ..." runs only those scenarios
# (names: see ALL_SCENARIOS at the end); MQD_KEEP_WORK=1 keeps the temp dir
# (broker config and log, partial capture) for debugging; MQD_NO_PIN=1 does
# not pin the programs to one CPU (see PIN below).
#
# Everything runs inside a private network namespace (mqd-rec-<pid>) whose
# loopback has MTU 1500 and no segmentation offloads, so large messages really
# span many TCP segments of at most 1448 payload bytes. A mosquitto broker
# (config, throwaway TLS certificate and password file in a temp dir) listens on
#   1883  plain MQTT on 127.0.0.1 and ::1
#   1884  plain MQTT on a non-standard port
#   8080  MQTT over WebSocket
#   8883  MQTT over TLS (self-signed certificate for broker.test)
# Each scenario is captured by tcpdump (dumpcap for the pcapng file) into a
# fixed file name. The namespace, broker, temp dir and /etc/netns/<ns>/hosts
# (which "ip netns exec" mounts as /etc/hosts inside the namespace) are
# removed on exit, also on failure. No address outside the namespace is touched.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=$(realpath -m "${1:-$HERE}")
CLIENTS=$HERE/clients
PY=/usr/bin/python3
NS=mqd-rec-$$
WORK=$(mktemp -d /tmp/mqd-rec.XXXXXX)
MOSQ_PID=""
CAP_PID=""
CAP_NAME=""
SUB_PID=""

log() { printf '[record] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
# Every program runs pinned to CPU 0: on several CPUs, loopback traffic from a
# process that migrates between CPUs can be reordered (each CPU has its own
# receive backlog), which gives out-of-order segments and spurious
# retransmissions at random. MQD_NO_PIN=1 turns pinning off.
PIN=(taskset -c 0)
[ -n "${MQD_NO_PIN:-}" ] && PIN=()
nsx() { ip netns exec "$NS" "${PIN[@]}" "$@"; }
# Background jobs call "ip netns exec" directly (not the nsx function) so that
# $! is the pid of the real program (ip and taskset exec it) rather than of a
# subshell.

cleanup() {
	local rc=$? pid
	set +e
	[ -n "$CAP_PID" ] && kill -TERM "$CAP_PID" 2>/dev/null && wait "$CAP_PID" 2>/dev/null
	[ -n "$SUB_PID" ] && kill "$SUB_PID" 2>/dev/null && wait "$SUB_PID" 2>/dev/null
	[ -n "$MOSQ_PID" ] && kill "$MOSQ_PID" 2>/dev/null && wait "$MOSQ_PID" 2>/dev/null
	if ip netns list | grep -qw "$NS"; then
		# Only processes this script started can live in its namespace.
		for pid in $(ip netns pids "$NS" 2>/dev/null); do
			kill "$pid" 2>/dev/null
		done
		ip netns del "$NS"
	fi
	rm -rf "/etc/netns/$NS"
	if [ -n "${MQD_KEEP_WORK:-}" ]; then
		log "kept work dir (partial capture, broker log): $WORK"
	else
		rm -rf "$WORK"
	fi
	[ $rc -ne 0 ] && log "failed (exit $rc); namespace and broker cleaned up"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wait_for WHAT CMD...: poll CMD every 0.1 s for up to 10 s.
wait_for() {
	local what=$1 _
	shift
	for _ in $(seq 100); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	die "timed out waiting for $what"
}

[ "$(id -u)" -eq 0 ] || die "run as root (network namespaces, tcpdump)"
for tool in ip ethtool taskset mosquitto mosquitto_pub mosquitto_sub mosquitto_passwd \
	tcpdump dumpcap editcap tshark openssl ss "$PY"; do
	command -v "$tool" >/dev/null || die "missing tool: $tool"
done
mkdir -p "$OUT"

# ---------------------------------------------------------------- namespace

setup_namespace() {
	ip netns add "$NS"
	nsx ip link set lo mtu 1500
	nsx ip link set lo up
	# Offloads would hand tcpdump 64 KB "segments"; switch off what lo has.
	local feature
	for feature in tso gso gro tx-sctp-segmentation tx-udp-segmentation; do
		nsx ethtool -K lo "$feature" off 2>/dev/null || true
	done
	# localhost (IPv4 only) and broker.test resolve inside the namespace only (ip netns exec
	# bind-mounts /etc/netns/<ns>/hosts over /etc/hosts), used as TLS SNI.
	mkdir -p "/etc/netns/$NS"
	printf '127.0.0.1 localhost broker.test\n::1 ip6-localhost ip6-loopback\n' \
		>"/etc/netns/$NS/hosts"
}

# ---------------------------------------------------------------- broker

write_broker_files() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 \
		-subj /CN=broker.test -addext subjectAltName=DNS:broker.test \
		-keyout "$WORK/server.key" -out "$WORK/server.crt" 2>/dev/null
	mosquitto_passwd -c -b "$WORK/passwd" alice wonderland
	mosquitto_passwd -b "$WORK/passwd" bob builder
	cat >"$WORK/mosquitto.conf" <<-EOF
		user root
		persistence false
		log_dest file $WORK/mosquitto.log
		log_type all
		log_timestamp false
		connection_messages true
		allow_anonymous true
		password_file $WORK/passwd

		listener 1883 127.0.0.1
		listener 1883 ::1
		listener 1884 127.0.0.1
		listener 8080 127.0.0.1
		protocol websockets
		listener 8883 127.0.0.1
		certfile $WORK/server.crt
		keyfile $WORK/server.key
	EOF
}

listening_on() { nsx ss -Hltn "sport = :$1" | grep -q LISTEN; }

start_broker() {
	ip netns exec "$NS" "${PIN[@]}" mosquitto -c "$WORK/mosquitto.conf" &
	MOSQ_PID=$!
	local port
	for port in 1883 1884 8080 8883; do
		wait_for "broker on port $port" listening_on "$port"
	done
	[ "$(nsx ss -Hltn 'sport = :1883' | wc -l)" -eq 2 ] ||
		die "broker does not listen on both 127.0.0.1 and ::1"
}

# ---------------------------------------------------------------- capture

# cap_start FILE FILTER [CAPTURE ARGS...]: capture into $WORK/FILE.
# Default capture args: tcpdump on lo (Ethernet link type).
cap_start() {
	CAP_NAME=$1
	local filter=$2
	shift 2
	[ $# -gt 0 ] || set -- tcpdump -i lo
	rm -f "$WORK/$CAP_NAME" "$WORK/capture.err"
	if [ "$1" = tcpdump ]; then
		ip netns exec "$NS" "${PIN[@]}" "$@" -s 0 -B 32768 -U --immediate-mode -n -Z root -w "$WORK/$CAP_NAME" "$filter" \
			2>"$WORK/capture.err" &
		CAP_PID=$!
		wait_for "tcpdump to start" grep -q 'listening on' "$WORK/capture.err"
	else
		ip netns exec "$NS" "${PIN[@]}" "$@" -s 0 -B 32 -q -f "$filter" -w "$WORK/$CAP_NAME" \
			2>"$WORK/capture.err" &
		CAP_PID=$!
		wait_for "dumpcap to start" grep -q 'Capturing on' "$WORK/capture.err"
	fi
	log "recording $CAP_NAME"
}

# cap_stop: let the last ACK/FIN reach the wire, stop the capture so the
# file is flushed, then move it into $OUT. SIGTERM, not SIGINT: background
# jobs of a non-interactive shell start with SIGINT ignored; tcpdump and
# dumpcap treat SIGTERM like SIGINT (flush, print statistics, exit 0).
cap_stop() {
	sleep 0.5
	kill -TERM "$CAP_PID"
	wait "$CAP_PID" || die "capture of $CAP_NAME failed: $(cat "$WORK/capture.err")"
	CAP_PID=""
	if grep -Eq '^[1-9][0-9]* packets? dropped by kernel' "$WORK/capture.err"; then
		die "$CAP_NAME: kernel dropped packets: $(cat "$WORK/capture.err")"
	fi
	[ "$(stat -c %s "$WORK/$CAP_NAME")" -gt 200 ] || die "$CAP_NAME captured no packets"
	chmod 644 "$WORK/$CAP_NAME"
	mv -f "$WORK/$CAP_NAME" "$OUT/$CAP_NAME"
}

# ---------------------------------------------------------------- clients

# sub_start CLIENT_ID OUTFILE ARGS...: run mosquitto_sub in the background and
# wait until the broker has sent its SUBACK, so later publishes are delivered.
sub_start() {
	local id=$1 outfile=$2 before
	shift 2
	before=$(wc -l <"$WORK/mosquitto.log")
	ip netns exec "$NS" "${PIN[@]}" mosquitto_sub -i "$id" -W 30 "$@" >"$outfile" &
	SUB_PID=$!
	wait_for "SUBACK to $id" \
		sh -c "tail -n +$((before + 1)) '$WORK/mosquitto.log' | grep -q 'Sending SUBACK to $id'"
}

sub_wait() {
	wait "$SUB_PID" || die "mosquitto_sub (pid $SUB_PID) failed"
	SUB_PID=""
}

pub() { nsx mosquitto_pub "$@"; }

# py SCRIPT [ARGS...] with MQD_HOST / MQD_PORT from the environment.
py() {
	local script=$1
	shift
	nsx env PYTHONDONTWRITEBYTECODE=1 MQD_HOST="${MQD_HOST:-127.0.0.1}" \
		MQD_PORT="${MQD_PORT:-1883}" "$PY" -u "$CLIENTS/$script" "$@"
}

expect_lines() { # FILE N
	local n
	n=$(wc -l <"$1")
	[ "$n" -eq "$2" ] || die "$1: expected $2 lines, got $n"
}

# ---------------------------------------------------------------- scenarios

scenario_hello_world() {
	cap_start hello_world.pcap "tcp port 1883"
	sub_start hello-sub "$WORK/hello.out" -V mqttv311 -t hello -C 1
	pub -V mqttv311 -i hello-pub -t hello -m world
	sub_wait
	cap_stop
	[ "$(cat "$WORK/hello.out")" = world ] || die "hello: subscriber got '$(cat "$WORK/hello.out")'"
}

# One subscriber at QoS 2 and one publisher per QoS 0, 1, 2, so both the
# client->broker and broker->client acknowledgement flows appear.
scenario_qos() {
	local v name q
	for v in mqttv31 mqttv311 mqttv5; do
		name=qos_${v#mqtt}.pcap
		cap_start "$name" "tcp port 1883"
		sub_start "qos-sub-${v#mqtt}" "$WORK/qos.out" -V "$v" -q 2 -t 'qos/#' -C 3 -v
		for q in 0 1 2; do
			pub -V "$v" -i "qos-pub-${v#mqtt}-q$q" -q "$q" -t "qos/$q" -m "message at qos $q"
		done
		sub_wait
		cap_stop
		expect_lines "$WORK/qos.out" 3
	done
}

scenario_retained() {
	cap_start retained.pcap "tcp port 1883"
	pub -V mqttv311 -i ret-pub-1 -q 1 -r -t retained/status -m online
	pub -V mqttv311 -i ret-pub-2 -q 2 -r -t retained/config -m '{"interval":10}'
	# A later subscriber gets both retained messages (retain flag set), then
	# a live one (retain flag clear, MQTT 3.1.1 section 3.3.1.3).
	sub_start ret-sub "$WORK/ret.out" -V mqttv311 -q 1 -t 'retained/#' -C 3 -v
	pub -V mqttv311 -i ret-pub-3 -q 1 -r -t retained/status -m 'online again'
	sub_wait
	# Clear both retained messages with empty retained payloads.
	pub -V mqttv311 -i ret-clear-1 -q 1 -r -n -t retained/status
	pub -V mqttv311 -i ret-clear-2 -q 1 -r -n -t retained/config
	cap_stop
	expect_lines "$WORK/ret.out" 3
}

scenario_will() {
	cap_start will.pcap "tcp port 1883"
	py will.py
	cap_stop
}

scenario_auth() {
	cap_start auth.pcap "tcp port 1883"
	sub_start auth-sub "$WORK/auth.out" -V mqttv311 -u bob -P builder -q 1 -t 'auth/#' -C 2 -v
	pub -V mqttv311 -i auth-pub-v311 -u alice -P wonderland -q 1 -t auth/hello -m 'hi from alice'
	pub -V mqttv5 -i auth-pub-v5 -u alice -P wonderland -q 1 -t auth/hello -m 'hi again (v5)'
	sub_wait
	# Wrong passwords: CONNACK 5 (3.1.1) and reason code 0x86 (5.0).
	pub -V mqttv311 -i auth-bad-v311 -u alice -P wrong -t auth/x -m no 2>/dev/null &&
		die "bad password accepted"
	pub -V mqttv5 -i auth-bad-v5 -u alice -P wrong -t auth/x -m no 2>/dev/null &&
		die "bad password accepted"
	cap_stop
	expect_lines "$WORK/auth.out" 2
}

scenario_props_v5() {
	cap_start props_v5.pcap "tcp port 1883"
	py props_v5.py
	cap_stop
}

scenario_wildcards() {
	cap_start wildcards.pcap "tcp port 1883"
	py wildcards.py
	cap_stop
}

scenario_keepalive() {
	cap_start keepalive.pcap "tcp port 1883"
	py keepalive.py
	cap_stop
}

# 256 KiB of deterministic pseudo-random bytes at each QoS, one file per QoS
# to keep each capture under 2 MB.
scenario_large() {
	local q size=262144
	"$PY" "$CLIENTS/gen_payload.py" "$size" 5 >"$WORK/large.bin"
	for q in 0 1 2; do
		cap_start "large_256k_q$q.pcap" "tcp port 1883"
		sub_start "large-sub-q$q" "$WORK/large.out" -V mqttv311 -q 2 -t "large/q$q" -C 1 -N
		pub -V mqttv311 -i "large-pub-q$q" -q "$q" -t "large/q$q" -f "$WORK/large.bin"
		sub_wait
		cap_stop
		cmp -s "$WORK/large.bin" "$WORK/large.out" || die "large q$q: payload differs"
	done
}

scenario_burst() {
	cap_start burst_500.pcap "tcp port 1883"
	sub_start burst-sub "$WORK/burst.out" -V mqttv311 -q 1 -t burst/lines -C 500
	seq -f 'burst message %03g' 1 500 |
		pub -V mqttv311 -i burst-pub -q 1 -t burst/lines -l
	sub_wait
	cap_stop
	expect_lines "$WORK/burst.out" 500
}

scenario_chat() {
	cap_start chat.pcapng "tcp port 1883" dumpcap -i lo
	py chat.py
	cap_stop
}

scenario_ipv6() {
	cap_start ipv6.pcap "tcp port 1883"
	sub_start ipv6-sub "$WORK/ipv6.out" -h ::1 -V mqttv311 -q 1 -t ipv6/test -C 2
	pub -h ::1 -V mqttv311 -i ipv6-pub-1 -q 1 -t ipv6/test -m 'over IPv6'
	pub -h ::1 -V mqttv5 -i ipv6-pub-2 -q 2 -t ipv6/test -m 'over IPv6, MQTT 5'
	sub_wait
	cap_stop
	expect_lines "$WORK/ipv6.out" 2
}

# Linux cooked captures on the "any" device: SLL2 and SLL (v1).
scenario_cooked() {
	local lt lower name
	for lt in LINUX_SLL2 LINUX_SLL; do
		lower=${lt,,}
		name=cooked_${lower#linux_}.pcap
		cap_start "$name" "tcp port 1883" tcpdump -i any -y "$lt"
		sub_start "cooked-sub-$lt" "$WORK/cooked.out" -V mqttv311 -q 1 -t cooked/test -C 2
		pub -V mqttv311 -i "cooked-pub-$lt" -q 1 -t cooked/test -m "captured as $lt"
		pub -V mqttv5 -i "cooked-pub5-$lt" -q 2 -t cooked/test -m "captured as $lt, MQTT 5"
		sub_wait
		cap_stop
		expect_lines "$WORK/cooked.out" 2
	done
}

scenario_websocket() {
	cap_start ws_v311.pcap "tcp port 8080"
	MQD_PORT=8080 py websocket.py 3.1.1
	cap_stop
	cap_start ws_v5.pcap "tcp port 8080"
	MQD_PORT=8080 py websocket.py 5
	cap_stop
}

scenario_tls() {
	local tls=(-h broker.test -p 8883 --cafile "$WORK/server.crt" --insecure)
	cap_start tls.pcap "tcp port 8883"
	sub_start tls-sub "$WORK/tls.out" "${tls[@]}" -V mqttv311 -q 1 -t tls/test -C 1
	pub "${tls[@]}" --tls-alpn mqtt -V mqttv311 -i tls-pub -q 1 -t tls/test -m 'secret over TLS'
	sub_wait
	cap_stop
	expect_lines "$WORK/tls.out" 1
}

scenario_port1884() {
	cap_start port1884.pcap "tcp port 1884"
	sub_start p1884-sub "$WORK/p1884.out" -p 1884 -V mqttv311 -q 2 -t other/port -C 2
	pub -p 1884 -V mqttv311 -i p1884-pub-1 -q 1 -t other/port -m 'plain MQTT on 1884'
	pub -p 1884 -V mqttv5 -i p1884-pub-2 -q 2 -t other/port -m 'MQTT 5 on 1884'
	sub_wait
	cap_stop
	expect_lines "$WORK/p1884.out" 2
}

# A long-lived connection, then the same capture cut so it starts inside the
# 20 KB PUBLISH from the publisher (at its second TCP segment).
scenario_midstream() {
	local segs first
	cap_start midstream_full.pcap "tcp port 1883"
	py midstream.py
	cap_stop
	segs=$(tshark -r "$OUT/midstream_full.pcap" -Y 'mqtt.topic == "long/big" && tcp.srcport != 1883' \
		-T fields -e tcp.segment | head -n 1)
	first=$(echo "$segs" | cut -d, -f2)
	[ -n "$first" ] || die "midstream: no multi-segment PUBLISH found"
	editcap -r "$OUT/midstream_full.pcap" "$OUT/midstream.pcap" "$first-999999"
	log "midstream.pcap starts at packet $first of midstream_full.pcap"
}
# Sparkplug B: a host application and an edge node with two devices
# (clients/sparkplug.py); the payloads it sent, as mqttdissect should decode
# them, go to sparkplug.expected.jsonl for tests/sparkplug.test.sh. Needs
# protoc (protobuf-compiler) and python3-protobuf.
scenario_sparkplug() {
	command -v protoc >/dev/null || die "missing tool: protoc (protobuf-compiler)"
	cap_start sparkplug.pcap "tcp port 1883"
	py sparkplug.py "$WORK/sparkplug.expected.jsonl"
	cap_stop
	mv -f "$WORK/sparkplug.expected.jsonl" "$OUT/sparkplug.expected.jsonl"
	chmod 644 "$OUT/sparkplug.expected.jsonl"
}

# CBOR, MessagePack, gzip and zlib JSON publishers (clients/payloads.py),
# with and without an MQTT 5 Content Type; what they sent goes to
# payloads.expected.jsonl for tests/payloads.test.sh. Needs python3-cbor2
# and python3-msgpack.
scenario_payloads() {
	"$PY" -c 'import cbor2, msgpack' 2>/dev/null ||
		die "missing python modules: python3-cbor2, python3-msgpack"
	cap_start payloads.pcap "tcp port 1883"
	py payloads.py "$WORK/payloads.expected.jsonl"
	cap_stop
	mv -f "$WORK/payloads.expected.jsonl" "$OUT/payloads.expected.jsonl"
	chmod 644 "$OUT/payloads.expected.jsonl"
}

# MQTT 5.0 clients with an empty client id: mosquitto assigns one in the
# CONNACK (clients/assigned_id.py).
scenario_assigned() {
	cap_start assigned_id.pcap "tcp port 1883"
	py assigned_id.py
	cap_stop
}

ALL_SCENARIOS="hello_world qos retained will auth props_v5 wildcards keepalive
large burst chat ipv6 cooked websocket tls port1884 midstream sparkplug payloads
assigned"

main() {
	local s
	setup_namespace
	write_broker_files
	start_broker
	for s in ${MQD_SCENARIOS:-$ALL_SCENARIOS}; do
		"scenario_$s"
	done
	log "done: captures written to $OUT"
}

# captures/record_tls.sh sources this file for its helpers and runs its own
# scenarios.
[ -n "${MQD_RECORD_SOURCED:-}" ] || main
