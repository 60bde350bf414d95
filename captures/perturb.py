#!/usr/bin/env python3
"""Deterministically perturb the TCP segments of a real capture.

    python3 captures/perturb.py SOURCE.pcap [OUT_DIR] [--seed N]

From SOURCE (classic pcap, Ethernet or Linux cooked v1 link type, IPv4 or
IPv6) write into OUT_DIR (default captures/perturbed/), with NAME the source
file name without its extension:

  NAME-reorder.pcap  pairs of neighbouring TCP data segments of the same
                     direction swapped (the frames trade places, timestamps
                     stay in order).
  NAME-dup.pcap      some TCP data segments sent again 1-6 frames later.
  NAME-overlap.pcap  some TCP data segments re-emitted as 2 or 3 pieces whose
                     byte ranges overlap (same bytes, seq numbers adjusted,
                     IPv4 total length / IPv6 payload length set; the IPv4
                     header and TCP checksums recomputed).
  NAME-finrst.pcap   each direction's FIN frame swapped with the data frame
                     of that direction before it (the FIN captured ahead of
                     the last data); the first FIN without data of the
                     capture is made a RST (checksum recomputed).
  NAME-xdir.pcap     about one in four data segments swapped with the next
                     frame when it goes the other way on the same
                     connection (the answer or the ACK captured ahead of the
                     data it acknowledges).
  NAME-drop.pcap     one TCP data segment removed.
  NAME-drop.txt      what was dropped, for the test: one line
                     "src dst stream_off length frame", src/dst as ip:port,
                     stream_off counted from the first data byte of that
                     direction (the byte after the SYN), frame the 1-based
                     frame number in SOURCE.

The random choices come from random.Random(seed) (default seed 1883), so
the outputs are the same on every run. Standard library only; the pcap
format is read and written here with struct.
"""
import os
import random
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


# ---- pcap reading and writing ---------------------------------------------

class Pcap:
    def __init__(self, path):
        data = open(path, "rb").read()
        magic = data[:4]
        if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
            self.endian = "<"
        elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
            self.endian = ">"
        else:
            raise SystemExit("%s: not a classic pcap file" % path)
        self.header = data[:24]
        self.linktype = struct.unpack(self.endian + "I", data[20:24])[0] & 0xFFFF
        self.records = []  # [ts_sec, ts_frac, orig_len, bytes]
        off = 24
        while off + 16 <= len(data):
            sec, frac, incl, orig = struct.unpack(self.endian + "IIII",
                                                  data[off:off + 16])
            off += 16
            self.records.append([sec, frac, orig, data[off:off + incl]])
            off += incl

    def write(self, path, records):
        with open(path, "wb") as f:
            f.write(self.header)
            for sec, frac, orig, frame in records:
                f.write(struct.pack(self.endian + "IIII", sec, frac,
                                    len(frame), len(frame)))
                f.write(frame)


class Segment:
    """Where the TCP segment of one frame is, and its identity."""

    def __init__(self, frame, net_off, ip_version, tcp_off, data_off):
        self.net_off = net_off
        self.ip_version = ip_version
        self.tcp_off = tcp_off
        self.data_off = data_off
        if ip_version == 4:
            src, dst = frame[net_off + 12:net_off + 16], frame[net_off + 16:net_off + 20]
        else:
            src, dst = frame[net_off + 8:net_off + 24], frame[net_off + 24:net_off + 40]
        sport, dport, seq = struct.unpack("!HHI", frame[tcp_off:tcp_off + 8])
        self.flags = frame[tcp_off + 13]
        self.src = (src, sport)
        self.dst = (dst, dport)
        self.seq = seq
        self.length = len(frame) - data_off

    @property
    def direction(self):
        return (self.src, self.dst)


def parse_segment(linktype, frame):
    """The Segment of a frame, or None when it is not TCP over IP."""
    if linktype == 1:          # Ethernet
        off, ethertype = 14, struct.unpack("!H", frame[12:14])[0]
        while ethertype == 0x8100 and len(frame) >= off + 4:   # VLAN
            ethertype = struct.unpack("!H", frame[off + 2:off + 4])[0]
            off += 4
    elif linktype == 113:      # Linux cooked v1
        off, ethertype = 16, struct.unpack("!H", frame[14:16])[0]
    else:
        raise SystemExit("link type %d is not supported" % linktype)
    if ethertype == 0x0800 and len(frame) >= off + 20:
        ihl = (frame[off] & 0x0F) * 4
        if frame[off + 9] != 6:
            return None
        total = struct.unpack("!H", frame[off + 2:off + 4])[0]
        tcp_off, end, ipv = off + ihl, off + total, 4
    elif ethertype == 0x86DD and len(frame) >= off + 40:
        if frame[off + 6] != 6:
            return None   # extension headers: not in our captures
        plen = struct.unpack("!H", frame[off + 4:off + 6])[0]
        tcp_off, end, ipv = off + 40, off + 40 + plen, 6
    else:
        return None
    if len(frame) < tcp_off + 20 or end > len(frame):
        return None
    data_off = tcp_off + (frame[tcp_off + 12] >> 4) * 4
    frame = frame[:end]   # drop Ethernet padding
    return Segment(frame, off, ipv, tcp_off, data_off)


def with_payload(frame, seg, start, stop):
    """A copy of frame carrying only payload bytes [start, stop), with the
    sequence number and the IP length fields adjusted. FIN (and PSH) stay
    only on the piece that ends where the segment ended: a FIN marks the
    end of the stream (RFC 9293 s3.10.7.4), so a FIN on an earlier piece
    would end it too soon."""
    head = bytearray(frame[:seg.data_off])
    payload = frame[seg.data_off + start:seg.data_off + stop]
    struct.pack_into("!I", head, seg.tcp_off + 4, (seg.seq + start) & 0xFFFFFFFF)
    if stop < seg.length:
        head[seg.tcp_off + 13] &= ~(0x01 | 0x08) & 0xFF
    if seg.ip_version == 4:
        total = len(head) - seg.net_off + len(payload)
        struct.pack_into("!H", head, seg.net_off + 2, total)
        ihl = (head[seg.net_off] & 0x0F) * 4
        struct.pack_into("!H", head, seg.net_off + 10, 0)
        struct.pack_into("!H", head, seg.net_off + 10,
                         internet_checksum(head[seg.net_off:seg.net_off + ihl]))
    else:
        plen = len(head) - seg.net_off - 40 + len(payload)
        struct.pack_into("!H", head, seg.net_off + 4, plen)
    frame = bytearray(head) + payload
    struct.pack_into("!H", frame, seg.tcp_off + 16, tcp_checksum(frame, seg))
    return bytes(frame)


# ---- the perturbations -------------------------------------------------------

def data_frames(pcap):
    """(record index, Segment) of every TCP segment carrying data."""
    out = []
    for i, rec in enumerate(pcap.records):
        seg = parse_segment(pcap.linktype, rec[3])
        if seg is not None and seg.length > 0:
            out.append((i, seg))
    return out


def reorder(pcap, rng):
    """Swap about one in eight neighbouring same-direction data segment
    pairs; a segment takes part in at most one swap."""
    recs = [list(r) for r in pcap.records]
    last = {}          # direction -> index into `frames` of its last segment
    used = set()
    swaps = 0
    for i, seg in data_frames(pcap):
        prev = last.get(seg.direction)
        last[seg.direction] = i
        if prev is None or prev in used or rng.random() >= 0.125:
            continue
        recs[prev][3], recs[i][3] = recs[i][3], recs[prev][3]
        recs[prev][2], recs[i][2] = recs[i][2], recs[prev][2]
        used.update((prev, i))
        swaps += 1
    return recs, "%d swaps" % swaps


def duplicate(pcap, rng):
    """About one in eight data segments is sent again 1-6 frames later."""
    inserts = {}       # record index -> copies to emit after it
    count = 0
    n = len(pcap.records)
    for i, _seg in data_frames(pcap):
        if rng.random() < 0.125:
            at = min(n - 1, i + rng.randint(1, 6))
            inserts.setdefault(at, []).append(pcap.records[i])
            count += 1
    out = []
    for i, rec in enumerate(pcap.records):
        out.append(list(rec))
        for copy in inserts.get(i, []):
            out.append([rec[0], rec[1], copy[2], copy[3]])
    return out, "%d duplicates" % count


def split_overlapping(length, rng):
    """2 or 3 (start, stop) ranges covering [0, length), each overlapping
    the previous one by at least one byte."""
    if length < 6 or rng.random() < 0.5:
        cut = rng.randint(1, length - 1)
        back = rng.randint(1, cut)
        return [(0, cut), (cut - back, length)]
    a = rng.randint(2, length // 2)
    b = rng.randint(a + 1, length - 1)
    return [(0, a), (rng.randint(1, a - 1) if a > 1 else 0, b),
            (rng.randint(a, b - 1), length)]


def overlap(pcap, rng):
    """About one in four data segments (of 2 bytes or more) becomes 2-3
    overlapping pieces, emitted in order."""
    split = {}
    for i, seg in data_frames(pcap):
        if seg.length >= 2 and rng.random() < 0.25:
            split[i] = (seg, split_overlapping(seg.length, rng))
    out = []
    for i, rec in enumerate(pcap.records):
        if i not in split:
            out.append(list(rec))
            continue
        seg, ranges = split[i]
        frame = rec[3][:seg.data_off + seg.length]
        for start, stop in ranges:
            piece = with_payload(frame, seg, start, stop)
            out.append([rec[0], rec[1], len(piece), piece])
    return out, "%d segments split" % len(split)


def internet_checksum(data):
    """RFC 1071: the complement of the one's complement sum of 16-bit
    words (an odd last byte padded with zero)."""
    data = bytes(data)
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return (~total) & 0xFFFF


def tcp_checksum(frame, seg):
    """The TCP checksum of frame's segment (RFC 9293 s3.1, the IPv4 or
    IPv6 pseudo-header), computed with the checksum field as zero."""
    tcp = bytearray(frame[seg.tcp_off:])
    tcp[16:18] = b"\0\0"
    if seg.ip_version == 4:
        o = seg.net_off
        pseudo = frame[o + 12:o + 20] + struct.pack("!BBH", 0, 6, len(tcp))
    else:
        o = seg.net_off
        pseudo = frame[o + 8:o + 40] + struct.pack("!IxxxB", len(tcp), 6)
    return internet_checksum(bytes(pseudo) + bytes(tcp))


def fin_to_rst(frame, seg):
    """frame with its FIN flag replaced by RST, checksum recomputed."""
    f = bytearray(frame)
    f[seg.tcp_off + 13] = (f[seg.tcp_off + 13] & ~0x01 & 0xFF) | 0x04
    struct.pack_into("!H", f, seg.tcp_off + 16, tcp_checksum(f, seg))
    return bytes(f)


def conn_of(seg):
    return tuple(sorted((seg.src, seg.dst)))


def fin_rst(pcap, rng):
    """Each direction's FIN frame trades places with the data frame of the
    same direction before it; the first FIN without data becomes a RST."""
    recs = [list(r) for r in pcap.records]
    last_data = {}
    moved = []
    rst_done = False
    for i, rec in enumerate(pcap.records):
        seg = parse_segment(pcap.linktype, rec[3])
        if seg is None:
            continue
        if seg.flags & 0x01 and seg.direction in last_data:
            j = last_data.pop(seg.direction)
            frame = rec[3]
            if not rst_done and seg.length == 0:
                frame = fin_to_rst(frame[:seg.data_off], seg)
                rst_done = True
            recs[i][3], recs[j][3] = recs[j][3], frame
            recs[i][2], recs[j][2] = recs[j][2], len(frame)
            moved.append(i)
        elif seg.length > 0:
            last_data[seg.direction] = i
    return recs, "%d FIN/RST moved ahead" % len(moved)


def cross_direction(pcap, rng):
    """About one in four data frames trades places with the next frame when
    that one goes the other way on the same connection."""
    recs = [list(r) for r in pcap.records]
    segs = [parse_segment(pcap.linktype, r[3]) for r in pcap.records]
    swaps = 0
    i = 0
    while i + 1 < len(segs):
        a, b = segs[i], segs[i + 1]
        if (a is not None and b is not None and a.length > 0 and
                conn_of(a) == conn_of(b) and a.direction != b.direction and
                not (a.flags | b.flags) & 0x07 and rng.random() < 0.25):
            recs[i][3], recs[i + 1][3] = recs[i + 1][3], recs[i][3]
            recs[i][2], recs[i + 1][2] = recs[i + 1][2], recs[i][2]
            swaps += 1
            i += 2
            continue
        i += 1
    return recs, "%d swaps" % swaps


def first_data_seq(pcap):
    """direction -> sequence number of its first data byte (ISN + 1)."""
    isn = {}
    for rec in pcap.records:
        seg = parse_segment(pcap.linktype, rec[3])
        if seg is not None and seg.flags & 0x02 and seg.direction not in isn:
            isn[seg.direction] = (seg.seq + 1) & 0xFFFFFFFF
    return isn


def fmt_endpoint(ep):
    ip, port = ep
    if len(ip) == 4:
        return "%s:%d" % (".".join(str(b) for b in ip), port)
    words = ["%x" % w for w in struct.unpack("!8H", ip)]
    return "[%s]:%d" % (":".join(words), port)


def drop(pcap, rng):
    """Remove one data segment from the middle half of the direction that
    carries the most data segments (never its first or last one)."""
    frames = data_frames(pcap)
    per_dir = {}
    for i, seg in frames:
        per_dir.setdefault(seg.direction, []).append((i, seg))
    busiest = max(per_dir.values(), key=len)
    lo, hi = len(busiest) // 4, max(len(busiest) // 4, 3 * len(busiest) // 4)
    i, seg = busiest[rng.randint(max(1, lo), max(1, hi - 1))]
    start = first_data_seq(pcap).get(seg.direction)
    if start is None:
        raise SystemExit("no SYN for the dropped segment's direction")
    stream_off = (seg.seq - start) & 0xFFFFFFFF
    out = [list(r) for k, r in enumerate(pcap.records) if k != i]
    info = "%s %s %d %d %d\n" % (fmt_endpoint(seg.src), fmt_endpoint(seg.dst),
                                  stream_off, seg.length, i + 1)
    return out, info


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--seed")]
    seed = 1883
    for a in argv[1:]:
        if a.startswith("--seed="):
            seed = int(a.split("=", 1)[1])
    if not args:
        raise SystemExit(__doc__)
    src = args[0]
    out_dir = args[1] if len(args) > 1 else os.path.join(HERE, "perturbed")
    os.makedirs(out_dir, exist_ok=True)
    name = os.path.splitext(os.path.basename(src))[0]
    pcap = Pcap(src)
    for kind, fn in (("reorder", reorder), ("dup", duplicate),
                     ("overlap", overlap), ("finrst", fin_rst),
                     ("xdir", cross_direction)):
        recs, what = fn(pcap, random.Random("%d-%s" % (seed, kind)))
        path = os.path.join(out_dir, "%s-%s.pcap" % (name, kind))
        pcap.write(path, recs)
        print("%s: %s" % (path, what))
    recs, info = drop(pcap, random.Random("%d-drop" % seed))
    path = os.path.join(out_dir, "%s-drop.pcap" % name)
    pcap.write(path, recs)
    with open(os.path.join(out_dir, "%s-drop.txt" % name), "w") as f:
        f.write(info)
    print("%s: dropped %s" % (path, info.strip()))


if __name__ == "__main__":
    main(sys.argv)
