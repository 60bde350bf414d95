#!/usr/bin/env python3
"""Seeds for the "ws" fuzz target (fuzz/target_ws.c) from real WebSocket
captures: every TCP connection of captures/ws_v311.pcap and ws_v5.pcap, cut
to its first KEEP bytes per direction, as records (direction and length in
one byte, then the bytes), plus a few hand-made frames.

    /usr/bin/python3 fuzz/make_ws_corpus.py      (writes fuzz/corpus/ws/)
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "..", "captures")
OUT = os.path.join(HERE, "corpus", "ws")
KEEP = 3000


def packets(path):
    data = open(path, "rb").read()
    endian = "<" if data[:4] == b"\xd4\xc3\xb2\xa1" else ">"
    pos = 24
    while pos + 16 <= len(data):
        _, _, caplen, _ = struct.unpack(endian + "IIII", data[pos:pos + 16])
        yield data[pos + 16:pos + 16 + caplen]
        pos += 16 + caplen


def tcp_segments(path):
    """(client->server?, conn key, payload) for Ethernet/IPv4/TCP."""
    for frame in packets(path):
        if len(frame) < 54 or frame[12:14] != b"\x08\x00":
            continue
        ip = frame[14:]
        ihl = (ip[0] & 0x0F) * 4
        total = struct.unpack(">H", ip[2:4])[0]
        if ip[9] != 6:
            continue
        tcp = ip[ihl:total]
        sport, dport = struct.unpack(">HH", tcp[:4])
        off = (tcp[12] >> 4) * 4
        payload = tcp[off:]
        if payload:
            to_server = dport == 8080
            key = (ip[12:16], sport) if to_server else (ip[16:20], dport)
            yield to_server, key, payload


def records(chunks):
    out = bytearray([0])  # chunk size byte: whole records
    for to_server, data in chunks:
        d = 0 if to_server else 0x80
        for i in range(0, len(data), 128):
            piece = data[i:i + 128]
            out.append(d | (len(piece) - 1))
            out += piece
    return bytes(out)


def from_captures():
    seeds = {}
    for name in ("ws_v311.pcap", "ws_v5.pcap"):
        conns, kept = {}, {}
        for to_server, key, payload in tcp_segments(os.path.join(SRC, name)):
            used = kept.setdefault((key, to_server), 0)
            if used >= KEEP:
                continue
            payload = payload[:KEEP - used]
            kept[(key, to_server)] = used + len(payload)
            conns.setdefault(key, []).append((to_server, payload))
        for i, chunks in enumerate(conns.values()):
            seeds["%s-conn%d" % (name[:-5], i)] = records(chunks)
    return seeds


def by_hand():
    key = b"dGhlIHNhbXBsZSBub25jZQ=="
    req = (b"GET /mqtt HTTP/1.1\r\nHost: b\r\nUpgrade: websocket\r\n"
           b"Connection: Upgrade\r\nSec-WebSocket-Key: " + key +
           b"\r\nSec-WebSocket-Protocol: mqtt\r\nSec-WebSocket-Version: 13\r\n\r\n")
    resp = (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Accept: "
            b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n")
    mask = b"\x01\x02\x03\x04"
    def masked(op, payload, fin=True):
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        return bytes([(0x80 if fin else 0) | op, 0x80 | len(payload)]) + mask + body
    connect = bytes.fromhex("100c00044d5154540402003c0000")
    return {
        "hand-binary": records([(True, req), (False, resp), (True, masked(2, connect)),
                                (False, bytes.fromhex("82042002000000"[:12]))]),
        "hand-fragmented": records([(True, req), (False, resp),
                                    (True, masked(2, connect[:5], fin=False)),
                                    (True, masked(9, b"ping")),
                                    (True, masked(0, connect[5:]))]),
        "hand-close": records([(True, req), (False, resp),
                               (True, masked(8, b"\x03\xe8bye")),
                               (False, b"\x88\x02\x03\xe8")]),
        "hand-unmasked-text": records([(True, req), (False, resp),
                                       (True, b"\x81\x05hello"),
                                       (False, b"\x82\x7e\x00\x02ab")]),
    }


def main():
    os.makedirs(OUT, exist_ok=True)
    seeds = from_captures()
    seeds.update(by_hand())
    for name, data in sorted(seeds.items()):
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    print("%d seeds in %s" % (len(seeds), OUT), file=sys.stderr)


if __name__ == "__main__":
    main()
