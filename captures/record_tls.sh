#!/usr/bin/env bash
# Record the TLS decryption captures of captures/tls/: MQTT over TLS 1.3 and
# TLS 1.2, each connection's secrets in a key log beside its capture.
#
#   sudo bash captures/record_tls.sh [OUTDIR]     (default OUTDIR: captures/tls/)
#
# Reuses captures/record.sh (namespace, tcpdump, cleanup; see there for
# MQD_SCENARIOS, MQD_KEEP_WORK, MQD_NO_PIN). The broker here has only TLS
# listeners, each forcing one protocol version and one cipher suite, with a
# throwaway CA and server certificate made by openssl at record time (they
# are never kept). The client is captures/clients/tls_client.py (paho, with
# ssl.SSLContext.keylog_filename), one TCP connection per capture: CONNECT,
# SUBSCRIBE, a PUBLISH at QoS 1 that comes back, DISCONNECT.
#
# The key logs hold the secrets of these test connections only. One capture,
# tls13_aes128gcm_dsb.pcapng, carries its key log inside (scenario_dsb).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MQD_RECORD_SOURCED=1
# shellcheck source=captures/record.sh
source "$HERE/record.sh" "${1:-$HERE/tls}"

# port  version  suite (OpenSSL names; TLS 1.3 ones via ciphers_tls1.3;
# "wss": MQTT over WebSocket, OpenSSL's default suites)
TLS_LISTENERS="
8901 tlsv1.3 TLS_AES_128_GCM_SHA256
8902 tlsv1.3 TLS_AES_256_GCM_SHA384
8903 tlsv1.3 TLS_CHACHA20_POLY1305_SHA256
8911 tlsv1.2 ECDHE-RSA-AES128-GCM-SHA256
8912 tlsv1.2 ECDHE-RSA-AES256-GCM-SHA384
8913 tlsv1.2 ECDHE-RSA-CHACHA20-POLY1305
8914 tlsv1.2 ECDHE-RSA-AES128-SHA256
8915 tlsv1.2 ECDHE-RSA-AES256-SHA
8920 tlsv1.3 wss
"

write_broker_files() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=mqd-test-ca \
		-keyout "$WORK/ca.key" -out "$WORK/ca.crt" 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -subj /CN=broker.test \
		-keyout "$WORK/server.key" -out "$WORK/server.csr" 2>/dev/null
	printf 'subjectAltName=DNS:broker.test\n' >"$WORK/san.ext"
	openssl x509 -req -in "$WORK/server.csr" -CA "$WORK/ca.crt" -CAkey "$WORK/ca.key" \
		-CAcreateserial -days 2 -extfile "$WORK/san.ext" -out "$WORK/server.crt" 2>/dev/null
	# The broker's key exchange groups (OpenSSL system defaults, read from
	# OPENSSL_CONF by the broker only): X25519 and P-256, so a client whose
	# key share is for another group gets a HelloRetryRequest (scenario_hrr).
	cat >"$WORK/openssl.cnf" <<-EOF
		openssl_conf = mqd_conf
		[mqd_conf]
		ssl_conf = mqd_ssl
		[mqd_ssl]
		system_default = mqd_sys
		[mqd_sys]
		Groups = X25519:P-256
	EOF
	{
		printf 'user root\npersistence false\nlog_dest file %s\nlog_type all\n' "$WORK/mosquitto.log"
		printf 'log_timestamp false\nconnection_messages true\nallow_anonymous true\n'
		local port version suite
		while read -r port version suite; do
			[ -n "$port" ] || continue
			printf '\nlistener %s 127.0.0.1\ncertfile %s\nkeyfile %s\ntls_version %s\n' \
				"$port" "$WORK/server.crt" "$WORK/server.key" "$version"
			[ "$suite" = wss ] && printf 'protocol websockets\n'
			if [ "$suite" = wss ]; then
				:
			elif [ "$version" = tlsv1.3 ]; then
				printf 'ciphers_tls1.3 %s\n' "$suite"
			else
				printf 'ciphers %s\n' "$suite"
			fi
		done <<<"$TLS_LISTENERS"
	} >"$WORK/mosquitto.conf"
}

start_broker() {
	ip netns exec "$NS" env OPENSSL_CONF="$WORK/openssl.cnf" "${PIN[@]}" \
		mosquitto -c "$WORK/mosquitto.conf" &
	MOSQ_PID=$!
	local port _
	while read -r port _; do
		[ -z "$port" ] || wait_for "broker on port $port" listening_on "$port"
	done <<<"$TLS_LISTENERS"
}

# tls_capture NAME PORT CLIENT_ARGS...: NAME.pcap and NAME.keylog in $OUT;
# the negotiated suite is checked in the capture with tshark.
tls_capture() {
	local name=$1 port=$2 suite
	shift 2
	rm -f "$WORK/$name.keylog"
	cap_start "$name.pcap" "tcp port $port"
	MQD_PORT=$port py tls_client.py "$WORK/ca.crt" "$WORK/$name.keylog" "$name" "$@"
	cap_stop
	[ -s "$WORK/$name.keylog" ] || die "$name: no key log written"
	install -m 644 "$WORK/$name.keylog" "$OUT/$name.keylog"
	suite=$(tshark -r "$OUT/$name.pcap" -Y tls.handshake.type==2 -T fields \
		-e tls.handshake.ciphersuite | head -n 1)
	log "$name: cipher suite $suite"
}

scenario_tls13() {
	tls_capture tls13_aes128gcm 8901
	tls_capture tls13_aes256gcm 8902
	tls_capture tls13_chacha20 8903
}

scenario_tls12() {
	tls_capture tls12_aes128gcm 8911 tls1.2
	tls_capture tls12_aes256gcm 8912 tls1.2
	tls_capture tls12_chacha20 8913 tls1.2
}

# CBC with HMAC: encrypt-then-MAC (RFC 7366, what OpenSSL negotiates by
# default) with HMAC-SHA256, and MAC-then-encrypt (the client does not offer
# RFC 7366) with HMAC-SHA1.
scenario_cbc() {
	tls_capture tls12_cbc_sha256_etm 8914 tls1.2
	tls_capture tls12_cbc_sha1_mte 8915 tls1.2 no-etm
}

# MQTT 5.0 over WebSocket over TLS 1.3 (wss).
scenario_wss() {
	tls_capture wss_v5 8920 wss v5
}

# One 100 kB message (QoS 1, there and back) over TLS 1.3 AES-128-GCM:
# many full 16 KiB records, each over several TCP segments.
scenario_big() {
	tls_capture tls13_big_100k 8901 102400
}

# Two connections in one capture and one key log, the second resuming the
# first's session (TLS 1.3: a PSK from a ticket; TLS 1.2: what OpenSSL
# offers, a session ticket).
scenario_resume() {
	local name port extra
	for name in tls13_resumed tls12_resumed; do
		port=8901 extra=()
		[ "$name" = tls12_resumed ] && port=8911 extra=(tls1.2)
		rm -f "$WORK/$name.keylog"
		cap_start "$name.pcap" "tcp port $port"
		MQD_PORT=$port py tls_resume.py "$WORK/ca.crt" "$WORK/$name.keylog" "$name" "${extra[@]}"
		cap_stop
		install -m 644 "$WORK/$name.keylog" "$OUT/$name.keylog"
	done
}

# TLS 1.3 KeyUpdate: openssl s_client (its command letter "K" on a line of
# its own sends a KeyUpdate asking the peer to update too) carries MQTT
# packets written with printf: CONNECT, SUBSCRIBE, a PUBLISH that comes
# back, the KeyUpdate, a second PUBLISH that comes back, DISCONNECT.
scenario_keyupdate() {
	local name=tls13_keyupdate
	# topic "tls/keyupdate" (13 bytes) with its length, as printf escapes
	local t='\x00\x0dtls/keyupdate'
	rm -f "$WORK/$name.keylog"
	cap_start "$name.pcap" "tcp port 8901"
	{
		printf '\x10\x13\x00\x04MQTT\x04\x02\x00\x3c\x00\x07keyupdt'
		sleep 0.3
		printf "\\x82\\x12\\x00\\x01$t\\x01"
		sleep 0.3
		printf "\\x30\\x27${t}secret before key update"
		sleep 0.3
		printf 'K\n'
		sleep 0.3
		printf "\\x30\\x26${t}secret after key update"
		sleep 0.3
		printf '\xe0\x00'
		sleep 0.5
	} | nsx openssl s_client -connect 127.0.0.1:8901 -servername broker.test \
		-CAfile "$WORK/ca.crt" -keylogfile "$WORK/$name.keylog" >"$WORK/$name.out" 2>&1 || true
	cap_stop
	grep -aq 'secret after key update' "$WORK/$name.out" || die "$name: the message did not come back"
	install -m 644 "$WORK/$name.keylog" "$OUT/$name.keylog"
}

# TLS 1.3 HelloRetryRequest: openssl s_client offers a key share only for
# the first group of -groups (P-384), which the broker does not take (see
# write_broker_files): it asks for X25519. MQTT as in scenario_keyupdate: CONNECT, SUBSCRIBE, a PUBLISH
# that comes back, DISCONNECT.
scenario_hrr() {
	local name=tls13_hrr groups=P-384:X25519
	local t='\x00\x07tls/hrr'
	rm -f "$WORK/$name.keylog"
	cap_start "$name.pcap" "tcp port 8901"
	{
		printf '\x10\x10\x00\x04MQTT\x04\x02\x00\x3c\x00\x04hrr1'
		sleep 0.3
		printf "\\x82\\x0c\\x00\\x01$t\\x01"
		sleep 0.3
		printf "\\x30\\x1d${t}secret after a retry"
		sleep 0.3
		printf '\xe0\x00'
		sleep 0.5
	} | nsx openssl s_client -connect 127.0.0.1:8901 -servername broker.test \
		-groups "$groups" -CAfile "$WORK/ca.crt" -keylogfile "$WORK/$name.keylog" \
		>"$WORK/$name.out" 2>&1 || true
	cap_stop
	grep -aq 'secret after a retry' "$WORK/$name.out" || die "$name: the message did not come back"
	[ "$(tshark -r "$OUT/$name.pcap" -Y tls.handshake.type==2 | wc -l)" -eq 2 ] ||
		die "$name: no HelloRetryRequest (groups $groups)"
	install -m 644 "$WORK/$name.keylog" "$OUT/$name.keylog"
}

# A pcapng with the secrets embedded (what mqttdissect reads with no
# --tls-keylog): tls13_aes128gcm.pcap, recorded above or already in OUTDIR,
# and its key log joined by editcap into a Decryption Secrets Block; no key
# log beside it. Alone (MQD_SCENARIOS=dsb) it needs no broker.
scenario_dsb() {
	local from=tls13_aes128gcm
	editcap -F pcapng --inject-secrets "tls,$OUT/$from.keylog" "$OUT/$from.pcap" \
		"$OUT/${from}_dsb.pcapng" || die "dsb: editcap failed"
	[ "$(tshark -r "$OUT/${from}_dsb.pcapng" -Y mqtt -d tcp.port==8901,tls \
		-d tls.port==8901,mqtt 2>/dev/null | wc -l)" -gt 0 ] ||
		die "dsb: tshark decrypts nothing with the embedded secrets"
}

tls_main() {
	local s
	if [ "${MQD_SCENARIOS:-}" != dsb ]; then
		setup_namespace
		write_broker_files
		start_broker
	fi
	for s in ${MQD_SCENARIOS:-tls13 tls12 cbc wss big resume keyupdate hrr dsb}; do
		"scenario_$s"
	done
	log "done: captures and key logs written to $OUT"
}

tls_main
