#!/usr/bin/env python3
"""Writes the seed corpora fuzz/corpus/<target>/ from hand-built MQTT frames.

Frames of every packet type in MQTT 3.1, 3.1.1 and 5.0 (with properties),
plus malformed ones, laid out as each harness expects (see fuzz/target_*.c
for the input layouts). The pipeline corpus gets tiny crafted captures
(pcap with Ethernet, raw IPv4, Linux cooked and IPv6; pcapng) and cuts of
at most 4 KB of every capture of captures/ (make_pipeline_corpus.py).
Run it again after changing the frames; it
rewrites the seeds it owns and leaves other files alone (the files named by
a SHA-1 came from fuzzing campaigns, added with libFuzzer's -merge=1).

Usage: python3 fuzz/make_corpus.py
"""
import os
import re
import struct
import sys

import make_pipeline_corpus

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CORPUS = os.path.join(HERE, "corpus")


# ---- encoding helpers (MQTT 5.0 s1.5) ----------------------------------

def varint(n):
    out = bytearray()
    while True:
        b = n % 128
        n //= 128
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def s(text):
    data = text.encode() if isinstance(text, str) else text
    return struct.pack(">H", len(data)) + data


def u16(n):
    return struct.pack(">H", n)


def u32(n):
    return struct.pack(">I", n)


def frame(header, body):
    return bytes([header]) + varint(len(body)) + body


def props(*items):
    body = b"".join(bytes([pid]) + val for pid, val in items)
    return varint(len(body)) + body


def user(k, v):
    return (0x26, s(k) + s(v))


# ---- frames ---------------------------------------------------------------

def connect(name, level, flags, keep, client, will=None, wprops=b"",
            cprops=b"", username=None, password=None):
    vh = s(name) + bytes([level, flags]) + u16(keep) + cprops
    pl = s(client)
    if will:
        pl += wprops + s(will[0]) + s(will[1])
    if username is not None:
        pl += s(username)
    if password is not None:
        pl += s(password)
    return frame(0x10, vh + pl)


V5_CONNECT_PROPS = props((0x11, u32(3600)), (0x21, u16(20)),
                         (0x27, u32(65536)), (0x22, u16(10)), (0x19, b"\x01"),
                         (0x17, b"\x00"), user("region", "eu"),
                         (0x15, s("SCRAM-SHA-1")), (0x16, s(b"\x00\x01\xff")))
V5_WILL_PROPS = props((0x18, u32(5)), (0x01, b"\x01"), (0x02, u32(60)),
                      (0x03, s("text/plain")), (0x08, s("resp/t")),
                      (0x09, s(b"\xde\xad")), user("k", "v"))

FRAMES_V31 = {
    "connect-v31": connect("MQIsdp", 3, 0x02, 60, "client31"),
    "connect-v31-will-user": connect("MQIsdp", 3, 0xEE, 30, "c",
                                     will=("will/t", b"bye"),
                                     username="u", password=b"p"),
    "connack-v31": frame(0x20, b"\x00\x00"),
    "connack-v31-refused": frame(0x20, b"\x00\x05"),
}

FRAMES_V311 = {
    "connect-min": connect("MQTT", 4, 0x02, 60, "abc"),
    "connect-empty-id": connect("MQTT", 4, 0x02, 0, ""),
    "connect-full": connect("MQTT", 4, 0xF6, 10, "client-1",
                            will=("will/topic", b"gone"),
                            username="alice", password=b"s3cret"),
    "connack": frame(0x20, b"\x01\x00"),
    "publish-qos0": frame(0x30, s("a/b") + b"hello"),
    "publish-qos1-retain": frame(0x33, s("sensors/t1") + u16(1) + b"21.5"),
    "publish-qos2-dup": frame(0x3C, s("x") + u16(65535) + bytes(range(16))),
    "publish-empty": frame(0x31, s("t")),
    "puback": frame(0x40, u16(1)),
    "pubrec": frame(0x50, u16(2)),
    "pubrel": frame(0x62, u16(2)),
    "pubcomp": frame(0x70, u16(2)),
    "subscribe": frame(0x82, u16(10) + s("a/+") + b"\x00" + s("#") + b"\x01"
                       + s("x/y/z") + b"\x02"),
    "suback": frame(0x90, u16(10) + b"\x00\x01\x02\x80"),
    "unsubscribe": frame(0xA2, u16(11) + s("a/+") + s("#")),
    "unsuback": frame(0xB0, u16(11)),
    "pingreq": b"\xc0\x00",
    "pingresp": b"\xd0\x00",
    "disconnect": b"\xe0\x00",
}

FRAMES_V5 = {
    "connect-v5": connect("MQTT", 5, 0x02, 60, "c5", cprops=props()),
    "connect-v5-full": connect("MQTT", 5, 0xEE, 120, "client-5",
                               will=("w/t", b"\x00\x01"),
                               wprops=V5_WILL_PROPS, cprops=V5_CONNECT_PROPS,
                               username="bob", password=b"pw"),
    "connect-v5-no-user-pw": connect("MQTT", 5, 0x42, 5, "c", cprops=props(),
                                     password=b"token"),
    "connack-v5": frame(0x20, b"\x00\x00" + props(
        (0x12, s("auto-1")), (0x13, u16(30)), (0x1A, s("resp")),
        (0x1C, s("other:1883")), (0x1F, s("ok")), (0x24, b"\x01"),
        (0x25, b"\x01"), (0x28, b"\x01"), (0x29, b"\x00"), (0x2A, b"\x01"),
        (0x22, u16(5)), (0x21, u16(100)), (0x27, u32(1024)),
        user("a", "b"), (0x15, s("m")), (0x16, s(b"d")), (0x11, u32(0)))),
    "connack-v5-refused": frame(0x20, b"\x00\x87" + props((0x1F, s("no")))),
    "publish-v5": frame(0x32, s("t/1") + u16(7) + props(
        (0x23, u16(3)), (0x0B, varint(300)), (0x01, b"\x01"),
        (0x02, u32(10)), (0x03, s("application/json")),
        (0x08, s("reply/1")), (0x09, s(b"\x01\x02")), user("x", "y"))
        + b'{"v":1}'),
    "publish-v5-alias-only": frame(0x30, s("") + props((0x23, u16(3)))
                                   + b"payload"),
    "publish-v5-noprops": frame(0x30, s("a") + b"\x00" + b"p"),
    "puback-v5-short": frame(0x40, u16(5)),
    "puback-v5-reason": frame(0x40, u16(5) + b"\x10"),
    "puback-v5-props": frame(0x40, u16(5) + b"\x80"
                             + props((0x1F, s("denied")), user("k", "v"))),
    "pubrec-v5": frame(0x50, u16(6) + b"\x00" + props()),
    "pubrel-v5": frame(0x62, u16(6) + b"\x92" + props((0x1F, s("?")))),
    "pubcomp-v5": frame(0x70, u16(6) + b"\x00"),
    "subscribe-v5": frame(0x82, u16(12) + props((0x0B, varint(1)),
                                               user("s", "1"))
                          + s("a/#") + b"\x2d" + s("$share/g/b") + b"\x01"),
    "suback-v5": frame(0x90, u16(12) + props((0x1F, s("r")))
                       + b"\x00\x01\x02\x80\x83\x87\x8f\x91\x97\x9e\xa1\xa2"),
    "unsubscribe-v5": frame(0xA2, u16(13) + props(user("u", "v")) + s("a/#")),
    "unsuback-v5": frame(0xB0, u16(13) + props() + b"\x00\x11\x87"),
    "disconnect-v5": frame(0xE0, b"\x04" + props(
        (0x11, u32(0)), (0x1F, s("bye")), (0x1C, s("srv2")))),
    "disconnect-v5-short": frame(0xE0, b"\x8e"),
    "auth-v5": frame(0xF0, b"\x18" + props((0x15, s("SCRAM-SHA-1")),
                                         (0x16, s(b"\x01\x02\x03")))),
    "auth-v5-empty": b"\xf0\x00",
}

MALFORMED = {
    "rl-five-bytes": b"\x30\xff\xff\xff\xff\x01",
    "rl-not-minimal": b"\xc0\x80\x00",
    "rl-4-bytes-cut": b"\x30\xff\xff\xff\x7f",
    "type0": b"\x00\x00",
    "pubrel-bad-flags": frame(0x60, u16(1)),
    "publish-qos3": frame(0x36, s("t") + u16(1)),
    "publish-dup-qos0": frame(0x38, s("t")),
    "publish-wildcard-topic": frame(0x30, s("a/+/#") + b"x"),
    "publish-bad-utf8": frame(0x30, s(b"\xc0\xaf\xed\xa0\x80\x00") + b"x"),
    "publish-topic-overrun": frame(0x30, u16(200) + b"abc"),
    "publish-pid0": frame(0x32, s("t") + u16(0)),
    "connect-bad-name": connect("MQTX", 4, 0x02, 60, "c"),
    "connect-level9": connect("MQTT", 9, 0x02, 60, "c"),
    "connect-reserved-flag": connect("MQTT", 4, 0x03, 60, "c"),
    "connect-missing-will": frame(0x10, s("MQTT") + b"\x04\x06" + u16(0)
                                  + s("c")),
    "connect-cut": connect("MQTT", 4, 0xC2, 60, "c")[:-1],
    "connack-long": frame(0x20, b"\x00\x00\x00"),
    "pingreq-body": frame(0xC0, b"\x00"),
    "subscribe-empty": frame(0x82, u16(1)),
    "subscribe-bad-qos": frame(0x82, u16(1) + s("a") + b"\x03"),
    "subscribe-filter-cut": frame(0x82, u16(1) + u16(10) + b"ab"),
    "props-overrun": frame(0x30, s("t") + b"\x0a\x01\x01"),
    "props-unknown-id": frame(0x30, s("t") + b"\x02\x7f\x00"),
    "props-dup": frame(0x30, s("t") + props((0x01, b"\x00"), (0x01, b"\x01"))),
    "props-subid-zero": frame(0x30, s("t") + props((0x0B, b"\x00"))),
    "props-varint-long": frame(0x30, s("t") + b"\x06\x0b\xff\xff\xff\xff\x01"),
    "props-pair-cut": frame(0x30, s("t") + b"\x05\x26\x00\x01k\x00"),
    "auth-v311": b"\xf0\x00",
    "trailing": frame(0xA2, u16(1) + s("a")) + b"",
}


def versioned_frames():
    """(name, version selector byte, frame bytes) for every frame."""
    out = []
    sel = {0: 0, 3: 1, 4: 2, 5: 3}
    for name, f in FRAMES_V31.items():
        out.append((name, sel[3], f))
    for name, f in FRAMES_V311.items():
        out.append((name, sel[4], f))
        out.append((name + "-unknown", sel[0], f))
    for name, f in FRAMES_V5.items():
        out.append((name, sel[5], f))
    for name, f in MALFORMED.items():
        out.append((name + "-v4", sel[4], f))
        out.append((name + "-v5", sel[5], f))
    return out


def session(version):
    if version == 5:
        d = FRAMES_V5
        return b"".join([d["connect-v5-full"], d["connack-v5"],
                         d["subscribe-v5"], d["suback-v5"], d["publish-v5"],
                         d["puback-v5-props"], d["pubrec-v5"], d["pubrel-v5"],
                         d["pubcomp-v5"], d["unsubscribe-v5"],
                         d["unsuback-v5"], d["auth-v5"], b"\xc0\x00\xd0\x00",
                         d["disconnect-v5"]])
    d = FRAMES_V311
    return b"".join(d[k] for k in ["connect-full", "connack", "subscribe",
                                   "suback", "publish-qos1-retain", "puback",
                                   "publish-qos2-dup", "pubrec", "pubrel",
                                   "pubcomp", "unsubscribe", "unsuback",
                                   "pingreq", "pingresp", "disconnect"])


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as fh:
        fh.write(data)


def test_vectors():
    """(name, selector, frame) from tests/test_vectors.c, when it exists: the
    table's {"name", VERSION, "HEX" "HEX"..., ...} entries."""
    path = os.path.join(ROOT, "tests", "test_vectors.c")
    if not os.path.exists(path):
        return []
    with open(path) as fh:
        src = fh.read()
    pat = re.compile(r'\{\s*"([^"]+)",\s*(V31|V311|V5|MQD_VERSION_UNKNOWN),'
                     r'\s*((?:"[0-9A-Fa-f \n]*"\s*)+),', re.S)
    sel = {"MQD_VERSION_UNKNOWN": 0, "V31": 1, "V311": 2, "V5": 3}
    out = []
    for i, (name, ver, hexes) in enumerate(pat.findall(src)):
        digits = "".join(re.findall(r"[0-9A-Fa-f]{2}", hexes))
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60]
        out.append(("vec-%03d-%s" % (i, slug), sel[ver], bytes.fromhex(digits)))
    return out


def make_parse():
    for name, sel, f in versioned_frames() + test_vectors():
        write("parse", name, bytes([sel]) + f)


def make_printers():
    for name, sel, f in versioned_frames() + test_vectors():
        write("printers", name, bytes([sel]) + f)
    write("printers", "session-v311", bytes([2]) + session(4))
    write("printers", "session-v5", bytes([3 | 0x4]) + session(5))
    write("printers", "session-v5-limit", bytes([3 | 0xC]) + session(5))


def stream_seed(version_sel, max_sel, sizes, data, refuse=False):
    ctrl = version_sel | (max_sel << 2) | (0x20 if refuse else 0)
    return bytes([ctrl, len(sizes) - 1]) + bytes(sizes) + data


def make_stream():
    s4, s5 = session(4), session(5)
    write("stream", "v311-whole", stream_seed(2, 0, [255], s4))
    write("stream", "v311-chunks", stream_seed(2, 0, [1, 2, 3, 7, 13], s4))
    write("stream", "v5-chunks", stream_seed(3, 0, [5, 1, 40], s5))
    write("stream", "v5-max64", stream_seed(3, 4, [3, 17], s5))
    write("stream", "v5-max16", stream_seed(3, 3, [9], s5))
    write("stream", "v5-refuse", stream_seed(3, 0, [2, 3], s5, refuse=True))
    junk = b"\xff\xfe\x00garbage\x30\xff\xff\xff\xff\x7f"
    write("stream", "resync", stream_seed(2, 0, [4, 1],
                                          s4[:40] + junk + s4[40:]))
    write("stream", "rl-five", stream_seed(0, 0, [2],
                                           b"\x30\xff\xff\xff\xff\x01" + s4))
    big = frame(0x30, s("big") + bytes(300))
    write("stream", "oversize", stream_seed(2, 5, [10, 100],
                                            b"\xc0\x00" + big + b"\xd0\x00"))
    write("stream", "cut-at-end", stream_seed(3, 0, [6], s5[:-3]))


# ---- MQTT-SN 1.2 datagrams (the sn target) -------------------------------

def sn(msg_type, body, long_form=False):
    if long_form:
        return b"\x01" + u16(4 + len(body)) + bytes([msg_type]) + body
    return bytes([2 + len(body), msg_type]) + body


def sn_encapsulated(inner, node=b"\x0a\x00\x00\x01", ctrl=0x01):
    return bytes([3 + len(node), 0xFE, ctrl]) + node + inner


SN_MESSAGES = {
    "advertise": sn(0x00, b"\x01" + u16(900)),
    "searchgw": sn(0x01, b"\x01"),
    "gwinfo": sn(0x02, b"\x01"),
    "gwinfo-addr": sn(0x02, b"\x01\xc0\x00\x02\x01"),
    "connect": sn(0x04, b"\x04\x01" + u16(60) + b"sn-client"),
    "connect-will": sn(0x04, b"\x0c\x01" + u16(30) + b"c"),
    "connack": sn(0x05, b"\x00"),
    "willtopicreq": sn(0x06, b""),
    "willtopic": sn(0x07, b"\x30will/t"),
    "willtopic-empty": sn(0x07, b""),
    "willmsgreq": sn(0x08, b""),
    "willmsg": sn(0x09, b"bye"),
    "register": sn(0x0A, u16(0) + u16(1) + b"a/b"),
    "regack": sn(0x0B, u16(5) + u16(1) + b"\x00"),
    "publish-normal": sn(0x0C, b"\x20" + u16(5) + u16(2) + b"data"),
    "publish-short": sn(0x0C, b"\x02ab" + u16(0) + b"x"),
    "publish-predef-qosm1": sn(0x0C, b"\x61" + u16(7) + u16(0) + b"y"),
    "publish-long": sn(0x0C, b"\x00" + u16(5) + u16(0) + bytes(300),
                       long_form=True),
    "puback": sn(0x0D, u16(5) + u16(2) + b"\x02"),
    "pubrec": sn(0x0F, u16(3)),
    "pubrel": sn(0x10, u16(3)),
    "pubcomp": sn(0x0E, u16(3)),
    "subscribe-name": sn(0x12, b"\x20" + u16(4) + b"a/+"),
    "subscribe-predef": sn(0x12, b"\x01" + u16(4) + u16(9)),
    "subscribe-short": sn(0x12, b"\x02" + u16(4) + b"ab"),
    "suback": sn(0x13, b"\x20" + u16(5) + u16(4) + b"\x00"),
    "unsubscribe": sn(0x14, b"\x00" + u16(6) + b"a/+"),
    "unsuback": sn(0x15, u16(6)),
    "pingreq": sn(0x16, b""),
    "pingreq-sleeping": sn(0x16, b"sn-client"),
    "pingresp": sn(0x17, b""),
    "disconnect": sn(0x18, b""),
    "disconnect-sleep": sn(0x18, u16(600)),
    "willtopicupd": sn(0x1A, b"\x10new/t"),
    "willtopicresp": sn(0x1B, b"\x00"),
    "willmsgupd": sn(0x1C, b"msg"),
    "willmsgresp": sn(0x1D, b"\x03"),
    "encapsulated-publish": sn_encapsulated(
        sn(0x0C, b"\x02ab" + u16(0) + b"x")),
    "reserved-type": sn(0x03, b"\x00"),
    "length-too-big": b"\x09\x0c\x00\x00",
    "length-zero-long": b"\x01\x00\x00\x0c",
    "length-one": b"\x01",
    "empty": b"",
}


def make_sn():
    for name, m in SN_MESSAGES.items():
        write("sn", name, m)


# ---- captures for the pipeline target ------------------------------------

def ip4_checksum(hdr):
    total = sum(struct.unpack(">10H", hdr))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return (~total) & 0xFFFF


def tcp_segment(sport, dport, seq, ack, flags, payload):
    return struct.pack(">HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags,
                       65535, 0, 0) + payload


def udp(sport, dport, payload):
    return struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload


def ipv4(src, dst, payload, proto=6):
    hdr = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0x4000,
                      64, proto, 0, bytes(src), bytes(dst))
    hdr = hdr[:10] + u16(ip4_checksum(hdr)) + hdr[12:]
    return hdr + payload


def ipv6(src, dst, payload):
    return struct.pack(">IHBB16s16s", 0x60000000, len(payload), 6, 64,
                       bytes(src), bytes(dst)) + payload


def ether(payload, ethertype=0x0800):
    return b"\x00\x11\x22\x33\x44\x55" + b"\x66\x77\x88\x99\xaa\xbb" \
        + u16(ethertype) + payload


def sll(payload, ethertype=0x0800):
    return u16(0) + u16(1) + u16(6) + b"\x00\x11\x22\x33\x44\x55\x00\x00" \
        + u16(ethertype) + payload


def conversation(client_msgs, server_msgs, split=None):
    """TCP segments (direction, seq, ack, flags, payload) for a session:
    handshake, then the client's and the server's messages alternately."""
    cseq, sseq = 1000, 5000
    segs = [("c", cseq, 0, 0x02, b""), ("s", sseq, cseq + 1, 0x12, b""),
            ("c", cseq + 1, sseq + 1, 0x10, b"")]
    cseq += 1
    sseq += 1
    for i in range(max(len(client_msgs), len(server_msgs))):
        if i < len(client_msgs):
            data = client_msgs[i]
            parts = [data] if not split else [data[:split], data[split:]]
            for p in parts:
                if p:
                    segs.append(("c", cseq, sseq, 0x18, p))
                    cseq += len(p)
        if i < len(server_msgs):
            segs.append(("s", sseq, cseq, 0x18, server_msgs[i]))
            sseq += len(server_msgs[i])
    segs.append(("c", cseq, sseq, 0x11, b""))
    segs.append(("s", sseq, cseq + 1, 0x11, b""))
    return segs


def packets(segs, wrap):
    out = []
    for d, seq, ack, flags, payload in segs:
        sport, dport = (51000, 1883) if d == "c" else (1883, 51000)
        out.append(wrap(d, tcp_segment(sport, dport, seq, ack, flags,
                                       payload)))
    return out


def pcap(linktype, pkts):
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, linktype)
    for i, p in enumerate(pkts):
        out += struct.pack("<IIII", 1700000000 + i, 1000 * i, len(p), len(p))
        out += p
    return out


def pcapng(linktype, pkts):
    def block(btype, body):
        body += b"\x00" * (-len(body) % 4)
        n = 12 + len(body)
        return struct.pack("<II", btype, n) + body + struct.pack("<I", n)
    out = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    out += block(1, struct.pack("<HHI", linktype, 0, 65535))
    for i, p in enumerate(pkts):
        ts = (1700000000 + i) * 1000000
        out += block(6, struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF,
                                    len(p), len(p)) + p)
    return out


def make_pipeline():
    c4 = [FRAMES_V311["connect-full"], FRAMES_V311["subscribe"],
          FRAMES_V311["publish-qos1-retain"] + FRAMES_V311["pingreq"],
          FRAMES_V311["disconnect"]]
    s4 = [FRAMES_V311["connack"], FRAMES_V311["suback"],
          FRAMES_V311["puback"] + FRAMES_V311["pingresp"]]
    c5 = [FRAMES_V5["connect-v5-full"], FRAMES_V5["subscribe-v5"],
          FRAMES_V5["publish-v5"], FRAMES_V5["auth-v5"],
          FRAMES_V5["disconnect-v5"]]
    s5 = [FRAMES_V5["connack-v5"], FRAMES_V5["suback-v5"],
          FRAMES_V5["puback-v5-props"]]
    a4, b4 = [192, 0, 2, 1], [192, 0, 2, 2]
    a6 = [0x20, 0x01, 0x0d, 0xb8] + [0] * 11 + [1]
    b6 = [0x20, 0x01, 0x0d, 0xb8] + [0] * 11 + [2]

    def w4(link):
        return lambda d, seg: link(ipv4(a4, b4, seg) if d == "c"
                                   else ipv4(b4, a4, seg))

    def w6(link):
        return lambda d, seg: link(ipv6(a6, b6, seg) if d == "c"
                                   else ipv6(b6, a6, seg), 0x86DD)

    conv4 = conversation(c4, s4)
    conv5 = conversation(c5, s5, split=7)
    write("pipeline", "eth-v311.pcap", pcap(1, packets(conv4, w4(ether))))
    write("pipeline", "eth-v5-split.pcap", pcap(1, packets(conv5, w4(ether))))
    write("pipeline", "raw-v311.pcap",
          pcap(101, packets(conv4, w4(lambda p: p))))
    write("pipeline", "sll-v5.pcap", pcap(113, packets(conv5, w4(sll))))
    write("pipeline", "eth-ipv6-v5.pcap",
          pcap(1, packets(conv5, w6(lambda p, t: ether(p, t)))))
    write("pipeline", "eth-v311.pcapng", pcapng(1, packets(conv4, w4(ether))))
    # Out of order and retransmitted segments.
    segs = conversation(c4, s4, split=5)
    segs = segs[:4] + [segs[5], segs[4]] + segs[4:]
    write("pipeline", "eth-reorder.pcap", pcap(1, packets(segs, w4(ether))))
    # Junk in the stream: the decoder must resynchronise.
    junk = conversation([b"\xff\xff\x00junk" + FRAMES_V311["connect-min"]],
                        [FRAMES_V311["connack"]])
    write("pipeline", "eth-junk.pcap", pcap(1, packets(junk, w4(ether))))
    # MQTT-SN over UDP, to and from port 1884, one message per datagram.
    sn_pkts = []
    for i, name in enumerate(sorted(SN_MESSAGES)):
        to_gw = i % 2 == 0
        sport, dport = (40000, 1884) if to_gw else (1884, 40000)
        src, dst = (a4, b4) if to_gw else (b4, a4)
        sn_pkts.append(ether(ipv4(src, dst, udp(sport, dport,
                                                SN_MESSAGES[name]), 17)))
    write("pipeline", "eth-udp-mqttsn.pcap", pcap(1, sn_pkts))
    # The captures of captures/, cut to fuzz-sized seeds.
    make_pipeline_corpus.main()


def main():
    targets = sys.argv[1:] or ["parse", "stream", "printers", "pipeline",
                               "sn"]
    for t in targets:
        globals()["make_" + t]()


if __name__ == "__main__":
    main()
