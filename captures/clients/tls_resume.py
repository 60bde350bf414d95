"""Two MQTT 3.1.1 connections over TLS, the second resuming the first's TLS
session, secrets in one key log (ssl.SSLContext.keylog_filename). paho has
no way to pass an ssl session, so the MQTT packets are written by hand:
CONNECT, PUBLISH (QoS 0) to a topic nobody reads, PINGREQ (its PINGRESP
also shows the session ticket of TLS 1.3 has arrived), DISCONNECT.

Usage: tls_resume.py CAFILE KEYLOG NAME [tls1.2]     (port: $MQD_PORT)
Fails unless the second connection reports session_reused.
"""
import os
import socket
import ssl
import sys

cafile, keylog, name = sys.argv[1], sys.argv[2], sys.argv[3]
tls12 = "tls1.2" in sys.argv[4:]
port = int(os.environ.get("MQD_PORT", "8883"))

ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.load_verify_locations(cafile)
ctx.keylog_filename = keylog
if tls12:
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2


def utf8(s):
    b = s.encode()
    return len(b).to_bytes(2, "big") + b


def packet(first, body):
    n, rl = len(body), bytearray()
    while True:
        byte, n = n % 128, n // 128
        rl.append(byte | (0x80 if n else 0))
        if not n:
            break
    return bytes([first]) + bytes(rl) + body


def recv_exact(s, n):
    out = b""
    while len(out) < n:
        chunk = s.recv(n - len(out))
        if not chunk:
            sys.exit("%s: connection closed" % name)
        out += chunk
    return out


def one(client_id, session):
    raw = socket.create_connection(("broker.test", port), timeout=10)
    s = ctx.wrap_socket(raw, server_hostname="broker.test", session=session)
    s.sendall(packet(0x10, utf8("MQTT") + bytes([4, 2, 0, 60]) + utf8(client_id)))
    if recv_exact(s, 4) != b"\x20\x02\x00\x00":
        sys.exit("%s: CONNECT refused" % name)
    text = "secret over TLS from %s" % client_id
    s.sendall(packet(0x30, utf8("tls/resume") + text.encode()))
    s.sendall(b"\xc0\x00")  # PINGREQ
    if recv_exact(s, 2) != b"\xd0\x00":
        sys.exit("%s: no PINGRESP" % name)
    s.sendall(b"\xe0\x00")
    reused = s.session_reused
    sess = s.session
    s.close()
    return sess, reused


sess, _ = one(name + "_first", None)
_, reused = one(name + "_second", sess)
if not reused:
    sys.exit("%s: the second connection did not resume" % name)
