#!/usr/bin/env python3
"""Count MQTT control packets in a capture, independently of tshark's MQTT
dissector (which does not decode MQTT over WebSocket, nor ports other than
1883 without -d). Used to fill in captures/README.md.

    count_mqtt.py FILE [tcp|ws]     (default tcp)

tcp: the TCP payload of each direction of each TCP stream, put in sequence
     order (captures on loopback can hold reordered and retransmitted
     segments), is walked as a sequence of MQTT packets.
ws:  the same, over the unmasked payloads of WebSocket data frames.
Prints "<packets> <bytes-left-over-in-partial-packets>" and, with -v, one
line per packet type. A stream that starts mid-packet (midstream.pcap) can
not be walked from its start, so use it only on whole captures.
"""
import collections
import subprocess
import sys

NAMES = {1: "CONNECT", 2: "CONNACK", 3: "PUBLISH", 4: "PUBACK", 5: "PUBREC",
         6: "PUBREL", 7: "PUBCOMP", 8: "SUBSCRIBE", 9: "SUBACK",
         10: "UNSUBSCRIBE", 11: "UNSUBACK", 12: "PINGREQ", 13: "PINGRESP",
         14: "DISCONNECT", 15: "AUTH"}


def tshark_fields(path, display, fields):
    cmd = ["tshark", "-r", path, "-Y", display, "-T", "fields",
           "-o", "tcp.reassemble_out_of_order:TRUE"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        parts = line.split("\t")
        if len(parts) == len(fields) and parts[-1]:
            yield parts


def unhex(text):
    return bytes.fromhex(text.replace(":", "").replace(",", ""))


def in_order(segments):
    """Join (seq, bytes) segments of one direction in sequence order, dropping
    retransmitted bytes; stop at the first gap (data missing from capture)."""
    out = bytearray()
    expected = None
    for seq, data in sorted(segments, key=lambda s: s[0]):
        if expected is None:
            expected = seq
        if seq > expected:
            break
        if seq + len(data) <= expected:
            continue
        out.extend(data[expected - seq:])
        expected = seq + len(data)
    return out


def direction_streams(path, mode):
    """Bytes of each direction of each TCP stream (tcp: TCP payload ordered by
    sequence number; ws: unmasked WebSocket data frame payloads as tshark
    reassembles them)."""
    if mode == "tcp":
        segs = collections.OrderedDict()
        for stream, port, seq, payload in tshark_fields(
                path, "tcp.len > 0",
                ["tcp.stream", "tcp.srcport", "tcp.seq", "tcp.payload"]):
            segs.setdefault((stream, port), []).append((int(seq), unhex(payload)))
        return [in_order(v) for v in segs.values()]
    streams = collections.OrderedDict()
    for stream, port, payload in tshark_fields(
            path, "websocket", ["tcp.stream", "tcp.srcport", "data.data"]):
        streams.setdefault((stream, port), bytearray()).extend(unhex(payload))
    return list(streams.values())


def walk(data, counts):
    """Walk MQTT framing (fixed header, remaining length: MQTT 5.0 2.1.4)."""
    pos = 0
    while pos < len(data):
        if pos + 2 > len(data):
            break
        kind = data[pos] >> 4
        length, mult, i = 0, 1, pos + 1
        while True:
            if i >= len(data) or i - pos > 4:
                return len(data) - pos
            length += (data[i] & 0x7F) * mult
            mult *= 128
            i += 1
            if data[i - 1] & 0x80 == 0:
                break
        end = i + length
        if end > len(data):
            return len(data) - pos
        counts[NAMES.get(kind, "reserved")] += 1
        pos = end
    return len(data) - pos


def main():
    args = [a for a in sys.argv[1:] if a != "-v"]
    verbose = "-v" in sys.argv[1:]
    mode = args[1] if len(args) > 1 else "tcp"
    counts = collections.Counter()
    left = 0
    for data in direction_streams(args[0], mode):
        left += walk(data, counts)
    print(sum(counts.values()), left)
    if verbose:
        for name, n in sorted(counts.items()):
            print("  %-12s %d" % (name, n))


if __name__ == "__main__":
    main()
