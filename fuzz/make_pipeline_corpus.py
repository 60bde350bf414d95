#!/usr/bin/env python3
"""Writes the capture seeds of the pipeline fuzz target (fuzz/corpus/pipeline/
capture-*) as fuzz-sized cuts of every capture in captures/.

A seed is a fuzz input: libFuzzer runs the whole pipeline on it at every
execution and mutates it byte by byte, so a capture of many kilobytes costs
every execution of it and of its mutants (and -max_len follows the largest
seed). Each capture gives, within BUDGET bytes of file:

  capture-NAME         its first packets (the whole file when it fits)
  capture-NAME-tail    its last packets, picked up mid-stream (when cut)
  capture-NAME-cK      the first packets of its K-th connection (TCP or
                       UDP, both directions; only when the capture has more
                       than one: every connection, as the crafted captures
                       give each its own scenario, but the first PERTURBED
                       of a captures/perturbed/ one, a variant of another)
  capture-NAME-cK-tail that connection's last packets (when cut)

A packet that does not fit in what is left of the budget is cut to it (its
captured length below its length, as a capture taken with a snap length
would have it), when at least its headers fit; the cut then ends. Link
layer and timestamps are the capture's; a pcapng capture gives pcapng
seeds (one interface), a pcap one pcap seeds; a capture that fits whole is
copied byte for byte (a pcapng keeps its other blocks, such as Decryption
Secrets). capture-hello_world.pcap.gz is the gzip image of one cut (the
pipeline reads gzip-compressed images too). Identical cuts are written once.

Run it again after adding or changing captures: it removes the capture-*
seeds and writes them afresh, leaving the other seeds (make_corpus.py's
crafted captures) alone. No dependency beyond the Python standard library.

Usage: python3 fuzz/make_pipeline_corpus.py
"""
import gzip
import hashlib
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(HERE, "corpus", "pipeline")
CAPTURES = os.path.join(ROOT, "captures")

BUDGET = 4096   # bytes of file per seed
PERTURBED = 8   # connections cut per captures/perturbed/ capture
MIN_CUT = 96    # a packet cut to the budget keeps at least this much

# ---- reading pcap and pcapng -----------------------------------------------


def read_pcap(data):
    """(format, linktype, [(ts_sec, ts_usec, orig_len, bytes)]) of a pcap."""
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        end = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        end = ">"
    else:
        raise ValueError("not a pcap")
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    linktype = struct.unpack(end + "I", data[20:24])[0] & 0x0FFFFFFF
    pkts, off = [], 24
    while off + 16 <= len(data):
        sec, frac, incl, orig = struct.unpack(end + "IIII", data[off:off + 16])
        off += 16
        pkts.append((sec, frac // 1000 if nano else frac, orig,
                     data[off:off + incl]))
        off += incl
    return "pcap", linktype, pkts


def read_pcapng(data):
    """The same for a pcapng of one section (every interface's packets;
    the first interface's link type)."""
    end = "<" if data[8:12] == b"\x4d\x3c\x2b\x1a" else ">"
    linktypes, resol, pkts, off = [], [], [], 0
    while off + 12 <= len(data):
        btype, blen = struct.unpack(end + "II", data[off:off + 8])
        if blen < 12 or off + blen > len(data):
            break
        body = data[off + 8:off + blen - 4]
        if btype == 1:  # Interface Description
            linktypes.append(struct.unpack(end + "H", body[:2])[0])
            units = 1000000
            opt = 8
            while opt + 4 <= len(body):
                code, olen = struct.unpack(end + "HH", body[opt:opt + 4])
                if code == 0:
                    break
                if code == 9 and olen >= 1:  # if_tsresol
                    v = body[opt + 4]
                    units = 2 ** (v & 0x7F) if v & 0x80 else 10 ** v
                opt += 4 + olen + (-olen % 4)
            resol.append(units)
        elif btype == 6:  # Enhanced Packet
            iface, hi, lo, incl, orig = struct.unpack(end + "IIIII", body[:20])
            ts = (hi << 32 | lo) * 1000000 // resol[iface]
            pkts.append((ts // 1000000, ts % 1000000, orig,
                         body[20:20 + incl]))
        off += blen
    return "pcapng", linktypes[0], pkts


# ---- link, IP and transport headers: which connection ----------------------


def ip_flow(pkt, ethertype):
    """((addr, port), (addr, port), proto) of an IPv4 / IPv6 TCP or UDP
    packet, the two ends sorted; None for anything else."""
    if ethertype == 0x0800 and len(pkt) >= 20:
        ihl = (pkt[0] & 0x0F) * 4
        proto, src, dst, l4 = pkt[9], pkt[12:16], pkt[16:20], pkt[ihl:]
    elif ethertype == 0x86DD and len(pkt) >= 40:
        proto, src, dst, l4 = pkt[6], pkt[8:24], pkt[24:40], pkt[40:]
    else:
        return None
    if proto not in (6, 17) or len(l4) < 4:
        return None
    sport, dport = struct.unpack(">HH", l4[:4])
    a, b = sorted([(src, sport), (dst, dport)])
    return a, b, proto


def flow_of(linktype, pkt):
    if linktype == 1:  # Ethernet, VLAN tags skipped
        off, et = 14, struct.unpack(">H", pkt[12:14])[0] if len(pkt) >= 14 else 0
        while et in (0x8100, 0x88A8) and len(pkt) >= off + 4:
            et = struct.unpack(">H", pkt[off + 2:off + 4])[0]
            off += 4
        return ip_flow(pkt[off:], et)
    if linktype == 113 and len(pkt) >= 16:  # Linux cooked
        return ip_flow(pkt[16:], struct.unpack(">H", pkt[14:16])[0])
    if linktype == 276 and len(pkt) >= 20:  # Linux cooked v2
        return ip_flow(pkt[20:], struct.unpack(">H", pkt[0:2])[0])
    if linktype in (101, 12, 14) and pkt:  # raw IP
        return ip_flow(pkt, 0x0800 if pkt[0] >> 4 == 4 else 0x86DD)
    return None


# ---- writing ---------------------------------------------------------------


def pcap_image(linktype, pkts):
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, linktype)
    for sec, usec, orig, data in pkts:
        out += struct.pack("<IIII", sec, usec, len(data), orig) + data
    return out


def pcapng_image(linktype, pkts):
    def block(btype, body):
        body += b"\x00" * (-len(body) % 4)
        n = 12 + len(body)
        return struct.pack("<II", btype, n) + body + struct.pack("<I", n)
    out = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    out += block(1, struct.pack("<HHI", linktype, 0, 262144))
    for sec, usec, orig, data in pkts:
        ts = sec * 1000000 + usec
        out += block(6, struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF,
                                    len(data), orig) + data)
    return out


def cut(fmt, linktype, pkts, from_end=False):
    """The packets of pkts (in order) that fit in BUDGET from the start (or
    the end), the last one cut to what is left. (image, whole)."""
    image = pcap_image if fmt == "pcap" else pcapng_image
    order = list(reversed(pkts)) if from_end else list(pkts)
    chosen = []
    for p in order:
        trial = chosen + [p]
        size = len(image(linktype, trial))
        if size <= BUDGET:
            chosen = trial
            continue
        left = len(p[3]) - (size - BUDGET)
        if left >= MIN_CUT:
            chosen.append((p[0], p[1], p[2], p[3][:left]))
        break
    if from_end:
        chosen.reverse()
    whole = len(chosen) == len(pkts) and all(
        len(c[3]) == len(p[3]) for c, p in zip(chosen, pkts))
    return image(linktype, chosen), whole


def seeds_of(data, conns_max):
    """(suffix, image) of one capture's seeds."""
    fmt, linktype, pkts = (read_pcapng(data) if data[:4] == b"\x0a\x0d\x0d\x0a"
                           else read_pcap(data))
    if len(data) <= BUDGET:
        yield "", data
    else:
        head, whole = cut(fmt, linktype, pkts)
        yield "", head
        if not whole:
            yield "-tail", cut(fmt, linktype, pkts, from_end=True)[0]
    conns = {}
    for p in pkts:
        key = flow_of(linktype, p[3])
        if key is not None:
            conns.setdefault(key, []).append(p)
    if len(conns) < 2:
        return
    for k, cp in enumerate(list(conns.values())[:conns_max]):
        head, whole = cut(fmt, linktype, cp)
        yield "-c%d" % k, head
        if not whole:
            yield "-c%d-tail" % k, cut(fmt, linktype, cp, from_end=True)[0]


def main():
    os.makedirs(OUT, exist_ok=True)
    for fn in os.listdir(OUT):
        if fn.startswith("capture-"):
            os.remove(os.path.join(OUT, fn))
    seen = set()
    written = 0
    for dirpath, _, files in sorted(os.walk(CAPTURES)):
        for fn in sorted(files):
            if not fn.endswith((".pcap", ".pcapng")):
                continue
            with open(os.path.join(dirpath, fn), "rb") as fh:
                data = fh.read()
            base, ext = os.path.splitext(fn)
            perturbed = os.path.basename(dirpath) == "perturbed"
            for suffix, image in seeds_of(data, PERTURBED if perturbed else None):
                digest = hashlib.sha1(image).digest()
                if digest in seen:
                    continue
                seen.add(digest)
                with open(os.path.join(OUT, "capture-%s%s%s" % (base, suffix, ext)),
                          "wb") as out:
                    out.write(image)
                written += 1
                if fn == "hello_world.pcap" and suffix == "":
                    with open(os.path.join(OUT, "capture-hello_world.pcap.gz"),
                              "wb") as out:
                        out.write(gzip.compress(image, mtime=0))
                    written += 1
    print("fuzz/corpus/pipeline: %d capture seeds of at most %d bytes"
          % (written, BUDGET))


if __name__ == "__main__":
    main()
