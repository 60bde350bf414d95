#!/usr/bin/python3
"""Writes a crafted capture (Ethernet, IPv4) whose decoding emits the events
the bundled captures do not: proxy, overlap_conflict, framing_error,
truncated, ws_handshake, ws_frame (-V), ws_ping, ws_pong, ws_close,
ws_violation, sn_undecodable; oversize with --max-frame 16 and evicted with
--max-conns 1. tests/schema.test.sh validates what mqttdissect makes of it.

  schema_events.py OUT.pcap
"""
import base64
import hashlib
import importlib.util
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location(
    "craft_state", os.path.join(HERE, "..", "captures", "craft_state.py"))
cs = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cs)
frame, csum = cs.frame, cs.csum
SYN, ACK, PSH, FIN = cs.SYN, cs.ACK, cs.PSH, cs.FIN

CONNECT_V4 = bytes([0x10, 0x10, 0, 4]) + b"MQTT" + bytes([4, 2, 0, 60, 0, 4]) + b"evts"
CONNACK = bytes([0x20, 2, 0, 0])
PUB = bytes([0x30, 10, 0, 3]) + b"a/b" + b"hello"


def udp(src, dst, sport, dport, payload):
    u = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0)
    pseudo = src + dst + struct.pack("!BBH", 0, 17, len(u) + len(payload))
    u = u[:6] + struct.pack("!H", csum(pseudo + u + payload) or 0xFFFF)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(u) + len(payload), 0,
                     0x4000, 64, 17, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00" + ip + u + payload


def ws_frame(opcode, payload, mask=None, rsv=0):
    b0 = 0x80 | (rsv << 4) | opcode
    head = bytes([b0, (0x80 if mask else 0) | len(payload)])
    if mask:
        payload = bytes(c ^ mask[i % 4] for i, c in enumerate(payload))
        head += mask
    return head + payload


def build():
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    t = [1700000000 * 1000000]

    def emit(data):
        t[0] += 1000
        sec, usec = divmod(t[0], 1000000)
        out.append(struct.pack("<IIII", sec, usec, len(data), len(data)) + data)

    def conn(n, sport, steps):
        cip, sip = bytes([10, 2, 0, n]), bytes([10, 2, 0, 254])
        cport = 40000 + n
        seq = {"c": 1000 * n, "s": 900000 * n}
        emit(frame(cip, sip, cport, sport, seq["c"], 0, SYN, b""))
        emit(frame(sip, cip, sport, cport, seq["s"], seq["c"] + 1, SYN | ACK, b""))
        seq["c"] += 1
        seq["s"] += 1
        emit(frame(cip, sip, cport, sport, seq["c"], seq["s"], ACK, b""))
        for who, data, *opt in steps:
            src, dst, sp, dp = (cip, sip, cport, sport) if who == "c" else (sip, cip, sport, cport)
            other = "s" if who == "c" else "c"
            if opt:  # bytes at seq + opt[0], ahead of the stream: held
                emit(frame(src, dst, sp, dp, seq[who] + opt[0], seq[other], ACK | PSH, data))
                continue
            emit(frame(src, dst, sp, dp, seq[who], seq[other], ACK | PSH, data))
            seq[who] += len(data)

    # 1: a PROXY v1 header, then MQTT; a retransmission that differs
    # ahead of the stream (overlap_conflict); a remaining length of five bytes (framing_error).
    conn(1, 1883, [
        ("c", b"PROXY TCP4 192.0.2.7 10.2.0.254 51000 1883\r\n" + CONNECT_V4),
        ("s", CONNACK),
        ("c", PUB[6:], 6),
        ("c", b"HELLO"[1:], 7),
        ("c", PUB[:6]),
        ("c", PUB[6:]),
        ("c", bytes([0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]) + b"junk"),
    ])
    # 2: a PUBLISH cut off by the end of the capture (truncated); a second
    # connection, so --max-conns 1 evicts the first.
    conn(2, 1883, [
        ("c", CONNECT_V4),
        ("s", CONNACK),
        ("c", bytes([0x30, 100, 0, 3]) + b"a/b" + b"only part of it"),
    ])
    # 3: MQTT over WebSocket: handshake, ping, pong, a frame with an RSV
    # bit (ws_violation), close with a code and a reason.
    key = base64.b64encode(b"0123456789abcdef").decode()
    accept = base64.b64encode(hashlib.sha1(
        (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
    m = b"\x11\x22\x33\x44"
    conn(3, 8080, [
        ("c", ("GET /mqtt HTTP/1.1\r\nHost: broker\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
               "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n" % key).encode()),
        ("s", ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n"
               "Sec-WebSocket-Protocol: mqtt\r\n\r\n" % accept).encode()),
        ("c", ws_frame(2, CONNECT_V4, m)),
        ("s", ws_frame(2, CONNACK)),
        ("c", ws_frame(9, b"hi", m)),
        ("s", ws_frame(10, b"hi")),
        ("c", ws_frame(2, bytes([0xC0, 0]), m, rsv=4)),
        ("c", ws_frame(8, struct.pack("!H", 1000) + b"bye", m)),
        ("s", ws_frame(8, struct.pack("!H", 1000))),
    ])
    # MQTT-SN: a datagram that is no message (sn_undecodable), and a
    # PUBLISH whose Length says more than the datagram holds (violations).
    emit(udp(bytes([10, 2, 0, 9]), bytes([10, 2, 0, 254]), 47000, 1884, b"\x01"))
    emit(udp(bytes([10, 2, 0, 9]), bytes([10, 2, 0, 254]), 47000, 1884, b"\x09\x0c\x00"))
    return b"".join(out)


if __name__ == "__main__":
    with open(sys.argv[1], "wb") as f:
        f.write(build())
