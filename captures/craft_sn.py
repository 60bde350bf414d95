#!/usr/bin/env python3
"""Write captures/mqttsn.pcap: MQTT-SN 1.2 over UDP, every message type.

The messages are built here from the MQTT-SN Protocol Specification 1.2
(IBM, 2013) section 5.4, with the standard library only (struct), so the
file is deterministic: fixed addresses, ports and timestamps.

Conversation (gateway 10.0.0.254, UDP port 1884 unless said otherwise):

  client A 10.0.0.1:50001  SEARCHGW, ADVERTISE, GWINFO (gateway's and a
                           client's answer with GwAdd), CONNECT with Will,
                           WILLTOPICREQ/WILLTOPIC/WILLMSGREQ/WILLMSG,
                           CONNACK, REGISTER "sensors/1/temp" -> REGACK id 5,
                           PUBLISH QoS 1 to id 5 + PUBACK, PUBLISH QoS 0 to
                           the short topic "ab", PUBLISH QoS -1 to the
                           predefined id 7, QoS 2 PUBLISH + PUBREC/PUBREL/
                           PUBCOMP, SUBSCRIBE "cmd/1" -> SUBACK id 9, the
                           gateway PUBLISHes to id 9, the gateway REGISTERs
                           id 12 "alerts/all" and PUBLISHes to it, PUBLISH to
                           an unknown id 99, SUBSCRIBE short "xy" and
                           predefined 7, UNSUBSCRIBE + UNSUBACK, PINGREQ
                           (with ClientId) + PINGRESP, WILLTOPICUPD/RESP,
                           WILLMSGUPD/RESP, a 300-byte PUBLISH in the 3-octet
                           length form, DISCONNECT with a sleep duration and
                           the gateway's DISCONNECT
  forwarder 10.0.0.2:50002 an encapsulated PUBLISH (s5.5, radius 1, node
                           id 0x0a0b) and an encapsulated PINGREQ
  client B 10.0.0.3:50003  CONNECT / CONNACK / PINGREQ / PINGRESP to the
                           gateway's UDP port 1883

    /usr/bin/python3 captures/craft_sn.py [OUT.pcap]
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_PCAP = os.path.join(HERE, "mqttsn.pcap")

GW = "10.0.0.254"
A = ("10.0.0.1", 50001)
FWD = ("10.0.0.2", 50002)
B = ("10.0.0.3", 50003)

# Flags octet (s5.3.4).
DUP, RETAIN, WILL, CLEAN = 0x80, 0x10, 0x08, 0x04
QOS0, QOS1, QOS2, QOSM1 = 0x00, 0x20, 0x40, 0x60
TID_NORMAL, TID_PREDEF, TID_SHORT = 0, 1, 2


def sn(msg_type, body=b""):
    """Length (1 octet, or 0x01 + 2 octets when the total exceeds 255),
    MsgType, body (s5.2)."""
    total = 2 + len(body)
    if total <= 255:
        return struct.pack("!BB", total, msg_type) + body
    return struct.pack("!BHB", 1, total + 2, msg_type) + body


def encapsulated(radius, node_id, inner):
    """s5.5: Length (3 + node id), 0xFE, Ctrl (radius in bits 1-0), node id,
    then the relayed message."""
    return struct.pack("!BBB", 3 + len(node_id), 0xFE, radius & 3) + node_id + inner


def u16(v):
    return struct.pack("!H", v)


ADVERTISE, SEARCHGW, GWINFO = 0x00, 0x01, 0x02
CONNECT, CONNACK = 0x04, 0x05
WILLTOPICREQ, WILLTOPIC, WILLMSGREQ, WILLMSG = 0x06, 0x07, 0x08, 0x09
REGISTER, REGACK, PUBLISH, PUBACK = 0x0A, 0x0B, 0x0C, 0x0D
PUBCOMP, PUBREC, PUBREL = 0x0E, 0x0F, 0x10
SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK = 0x12, 0x13, 0x14, 0x15
PINGREQ, PINGRESP, DISCONNECT = 0x16, 0x17, 0x18
WILLTOPICUPD, WILLTOPICRESP, WILLMSGUPD, WILLMSGRESP = 0x1A, 0x1B, 0x1C, 0x1D


def publish(flags, topic, msg_id, data):
    topic = topic if isinstance(topic, bytes) else u16(topic)
    return sn(PUBLISH, bytes([flags]) + topic + u16(msg_id) + data)


def conversation():
    """(client endpoint, to_gateway, gateway port, message bytes) in order."""
    up, down = True, False
    p = 1884
    m = []
    add = lambda who, d, msg, port=p: m.append((who, d, port, msg))
    add(A, up, sn(SEARCHGW, bytes([1])))
    add(A, down, sn(ADVERTISE, bytes([1]) + u16(900)))
    add(A, down, sn(GWINFO, bytes([1])))
    add(A, up, sn(GWINFO, bytes([1]) + bytes([10, 0, 0, 254])))
    add(A, up, sn(CONNECT, bytes([WILL | CLEAN, 0x01]) + u16(60) + b"sensor-1"))
    add(A, down, sn(WILLTOPICREQ))
    add(A, up, sn(WILLTOPIC, bytes([QOS1 | RETAIN]) + b"sensors/1/status"))
    add(A, down, sn(WILLMSGREQ))
    add(A, up, sn(WILLMSG, b"offline"))
    add(A, down, sn(CONNACK, bytes([0])))
    # s6.5: the client registers a name, the gateway assigns id 5.
    add(A, up, sn(REGISTER, u16(0) + u16(1) + b"sensors/1/temp"))
    add(A, down, sn(REGACK, u16(5) + u16(1) + bytes([0])))
    add(A, up, publish(QOS1 | TID_NORMAL, 5, 2, b"21.5"))
    add(A, down, sn(PUBACK, u16(5) + u16(2) + bytes([0])))
    add(A, up, publish(QOS0 | TID_SHORT, b"ab", 0, b"short"))
    add(A, up, publish(QOSM1 | TID_PREDEF, 7, 0, b"predef"))
    add(A, up, publish(QOS2 | TID_NORMAL, 5, 3, b"q2"))
    add(A, down, sn(PUBREC, u16(3)))
    add(A, up, sn(PUBREL, u16(3)))
    add(A, down, sn(PUBCOMP, u16(3)))
    # s6.9: subscribing to a name; the SUBACK carries its id (9).
    add(A, up, sn(SUBSCRIBE, bytes([QOS1 | TID_NORMAL]) + u16(4) + b"cmd/1"))
    add(A, down, sn(SUBACK, bytes([QOS1]) + u16(9) + u16(4) + bytes([0])))
    add(A, down, publish(QOS1 | TID_NORMAL, 9, 10, b"on"))
    add(A, up, sn(PUBACK, u16(9) + u16(10) + bytes([0])))
    # The gateway registers id 12 with the client before publishing to it.
    add(A, down, sn(REGISTER, u16(12) + u16(11) + b"alerts/all"))
    add(A, up, sn(REGACK, u16(12) + u16(11) + bytes([0])))
    add(A, down, publish(QOS0 | TID_NORMAL, 12, 0, b"fire"))
    add(A, up, publish(QOS0 | TID_NORMAL, 99, 0, b"lost"))
    add(A, up, sn(SUBSCRIBE, bytes([QOS0 | TID_SHORT]) + u16(5) + b"xy"))
    add(A, down, sn(SUBACK, bytes([QOS0]) + u16(0) + u16(5) + bytes([0])))
    add(A, up, sn(SUBSCRIBE, bytes([QOS2 | TID_PREDEF]) + u16(6) + u16(7)))
    add(A, down, sn(SUBACK, bytes([QOS2]) + u16(7) + u16(6) + bytes([0])))
    add(A, up, sn(UNSUBSCRIBE, bytes([TID_NORMAL]) + u16(8) + b"cmd/1"))
    add(A, down, sn(UNSUBACK, u16(8)))
    add(A, up, sn(PINGREQ, b"sensor-1"))
    add(A, down, sn(PINGRESP))
    add(A, up, sn(WILLTOPICUPD, bytes([QOS0]) + b"sensors/1/gone"))
    add(A, down, sn(WILLTOPICRESP, bytes([0])))
    add(A, up, sn(WILLMSGUPD, b"gone"))
    add(A, down, sn(WILLMSGRESP, bytes([0])))
    add(A, up, publish(QOS0 | TID_NORMAL, 5, 0, b"x" * 300))  # 3-octet length
    # A forwarder relays a client's messages (s5.5).
    add(FWD, up, encapsulated(1, b"\x0a\x0b", publish(QOS0 | TID_SHORT, b"zz", 0, b"relayed")))
    add(FWD, up, encapsulated(0, b"\x0a\x0b", sn(PINGREQ)))
    # Client B on the gateway's port 1883.
    add(B, up, sn(CONNECT, bytes([CLEAN, 0x01]) + u16(30) + b"b"), 1883)
    add(B, down, sn(CONNACK, bytes([0])), 1883)
    add(B, up, sn(PINGREQ), 1883)
    add(B, down, sn(PINGRESP), 1883)
    add(A, up, sn(DISCONNECT, u16(3600)))
    add(A, down, sn(DISCONNECT))
    return m


# ---- pcap, Ethernet, IPv4, UDP ---------------------------------------------


def ip_checksum(hdr):
    s = sum(struct.unpack("!%dH" % (len(hdr) // 2), hdr))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ip_bytes(a):
    return bytes(int(x) for x in a.split("."))


def udp_checksum(src, dst, seg):
    pseudo = ip_bytes(src) + ip_bytes(dst) + struct.pack("!BBH", 0, 17, len(seg))
    data = pseudo + seg + (b"\0" if len(seg) % 2 else b"")
    c = ip_checksum(data)
    return c or 0xFFFF


def frame(src, sport, dst, dport, payload, ident):
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    csum = udp_checksum(src, dst, udp)
    udp = udp[:6] + struct.pack("!H", csum) + udp[8:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), ident, 0, 64, 17,
                     0, ip_bytes(src), ip_bytes(dst))
    ip = ip[:10] + struct.pack("!H", ip_checksum(ip)) + ip[12:]
    eth = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00"
    return eth + ip + udp


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        t0 = 1_700_000_000
        for i, data in enumerate(frames):
            ts_us = i * 10_000
            f.write(struct.pack("<IIII", t0 + ts_us // 1_000_000,
                                ts_us % 1_000_000, len(data), len(data)))
            f.write(data)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_PCAP
    frames = []
    for i, ((addr, port), up, gw_port, msg) in enumerate(conversation()):
        if up:
            frames.append(frame(addr, port, GW, gw_port, msg, i + 1))
        else:
            frames.append(frame(GW, gw_port, addr, port, msg, i + 1))
    write_pcap(out, frames)
    print("%s: %d datagrams" % (out, len(frames)))


if __name__ == "__main__":
    main()
