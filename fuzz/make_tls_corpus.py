#!/usr/bin/env python3
"""Seeds for the "tls" fuzz target (fuzz/target_tls.c) from the decryption
captures whose secrets the target has built in: the TCP payload of each
direction in capture order, as records (direction and length in one byte,
then the bytes; a header byte 0 = byte-by-byte chunking), and for each
capture a variant with a hole in the server's stream.

    /usr/bin/python3 fuzz/make_tls_corpus.py      (writes fuzz/corpus/tls/)
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "..", "captures", "tls")
OUT = os.path.join(HERE, "corpus", "tls")
NAMES = ["tls13_aes128gcm", "tls13_chacha20", "tls12_aes256gcm", "tls12_chacha20",
         "tls12_cbc_sha256_etm", "tls12_cbc_sha1_mte"]


def packets(path):
    data = open(path, "rb").read()
    endian = "<" if data[:4] == b"\xd4\xc3\xb2\xa1" else ">"
    pos = 24
    while pos + 16 <= len(data):
        _, _, caplen, _ = struct.unpack(endian + "IIII", data[pos:pos + 16])
        yield data[pos + 16:pos + 16 + caplen]
        pos += 16 + caplen


def segments(path):
    """(direction, payload) of Ethernet/IPv4/TCP frames; direction 0 is the
    side that sent the SYN."""
    client = None
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
        flags = tcp[13]
        if client is None and flags & 0x02 and not flags & 0x10:
            client = sport
        payload = tcp[(tcp[12] >> 4) * 4:]
        if payload and client is not None:
            yield (0 if sport == client else 1), payload


def records(segs, chunk, hole_at=None):
    out = bytearray([chunk])
    for i, (d, payload) in enumerate(segs):
        if i == hole_at:
            n = min(len(payload), 256)
            out += bytes([d << 7 | 0x7F, n - 1])
            payload = payload[n:]
        for j in range(0, len(payload), 127):
            piece = payload[j:j + 127]
            out += bytes([d << 7 | (len(piece) - 1)]) + piece
    return bytes(out)


def main():
    os.makedirs(OUT, exist_ok=True)
    for k, name in enumerate(NAMES):
        segs = list(segments(os.path.join(SRC, name + ".pcap")))
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(records(segs, 7 + k))
        server = [i for i, (d, _) in enumerate(segs) if d == 1]
        with open(os.path.join(OUT, name + "_hole"), "wb") as f:
            f.write(records(segs, 3, hole_at=server[len(server) // 2]))


main()
