#!/usr/bin/env python3
"""Write captures/state_violations.pcap: every connection-state violation
that mqttdissect's session analysis (cli/session.c, rules SESSION_* and
PUBLISH_SUBSCRIPTION_ID_FROM_CLIENT) reports, each exactly once.

Ethernet/IPv4/TCP, client 10.1.0.<conn>:50000+conn -> broker 10.1.0.254:1883,
a three-way handshake, one MQTT packet per segment, FIN from the side that
closes. Deterministic: fixed timestamps, no randomness, standard library only.

    python3 captures/craft_state.py [OUT.pcap]       writes the capture
    python3 captures/craft_state.py --expected       prints the expectations

Expectations, one line each:
    <conn> <n> <TYPE> <RULE_NAME>[,<RULE_NAME>...]   the n-th (1-based) MQTT
                                                    packet of the connection
    <conn> EVENT <RULE_NAME>                         a state_violation event
Every other packet must carry no violation.
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
V4, V5 = 4, 5

# ---- MQTT encoding (MQTT 3.1.1 / 5.0 s1.5, s2) -----------------------------


def varint(n):
    out = bytearray()
    while True:
        b, n = n % 128, n // 128
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def u16(n):
    return struct.pack(">H", n)


def u32(n):
    return struct.pack(">I", n)


def s(text):
    b = text.encode() if isinstance(text, str) else text
    return u16(len(b)) + b


def pkt(header, body):
    return bytes([header]) + varint(len(body)) + body


def props(*items):
    b = b"".join(items)
    return varint(len(b)) + b


def p_u16(pid, v):
    return bytes([pid]) + u16(v)


def p_u32(pid, v):
    return bytes([pid]) + u32(v)


def p_var(pid, v):
    return bytes([pid]) + varint(v)


RECEIVE_MAXIMUM, MAXIMUM_PACKET_SIZE, TOPIC_ALIAS_MAXIMUM = 0x21, 0x27, 0x22
TOPIC_ALIAS, SUBSCRIPTION_ID = 0x23, 0x0B


def connect(version, cid, keep_alive=60, cprops=b""):
    vh = s("MQTT") + bytes([version, 0x02]) + u16(keep_alive)
    if version == V5:
        vh += props(cprops)
    return pkt(0x10, vh + s(cid))


def connack(version, cprops=b""):
    body = bytes([0, 0])
    if version == V5:
        body += props(cprops)
    return pkt(0x20, body)


def publish(version, topic, payload=b"x", qos=0, pid=1, pprops=b""):
    body = s(topic)
    if qos:
        body += u16(pid)
    if version == V5:
        body += props(pprops)
    return pkt(0x30 | (qos << 1), body + payload)


def ack(header, pid):
    return pkt(header, u16(pid))


PUBACK, PUBREC, PUBREL, PUBCOMP = 0x40, 0x50, 0x62, 0x70
PINGREQ = pkt(0xC0, b"")
DISCONNECT = pkt(0xE0, b"")

# ---- the cases -------------------------------------------------------------
# Each step: (delay in seconds before it, "c" or "s" for who sends, packet,
# expected rule names). A step ("c"|"s", "FIN") closes the connection.


def conn_client_side():
    """The client breaks the limits the server declared in CONNACK."""
    lim = props(p_u16(RECEIVE_MAXIMUM, 1), p_u32(MAXIMUM_PACKET_SIZE, 60),
                p_u16(TOPIC_ALIAS_MAXIMUM, 2))[1:]
    return V5, [
        (0, "c", connect(V5, "state-client", keep_alive=10), []),
        (0, "s", connack(V5, lim), []),
        (0, "c", publish(V5, "t/1", qos=1, pid=1), []),
        (0, "c", publish(V5, "t/1", qos=1, pid=2),
         ["SESSION_CLIENT_RECEIVE_MAXIMUM_EXCEEDED"]),
        (0, "s", ack(PUBACK, 1), []),
        (0, "s", ack(PUBACK, 2), []),
        (0, "s", ack(PUBACK, 9), ["SESSION_ACK_NOT_IN_FLIGHT"]),
        (0, "c", publish(V5, "t/3", qos=1, pid=3), []),
        (0, "s", ack(PUBACK, 3), []),
        (0, "c", publish(V5, "t/4", qos=1, pid=4), []),
        (0, "c", publish(V5, "t/4", qos=1, pid=4),
         ["SESSION_CLIENT_PACKET_ID_IN_USE"]),
        (0, "s", ack(PUBACK, 4), []),
        (0, "c", ack(PUBREL, 7), ["SESSION_PUBREL_WITHOUT_PUBREC"]),
        (0, "c", publish(V5, "t/big", payload=b"y" * 80),
         ["SESSION_CLIENT_PACKET_TOO_LARGE"]),
        (0, "c", publish(V5, "", pprops=p_u16(TOPIC_ALIAS, 1)),
         ["SESSION_TOPIC_ALIAS_UNKNOWN"]),
        (0, "c", publish(V5, "t/a", pprops=p_u16(TOPIC_ALIAS, 3)),
         ["SESSION_CLIENT_TOPIC_ALIAS_TOO_LARGE"]),
        (0, "c", publish(V5, "t/s", pprops=p_var(SUBSCRIPTION_ID, 5)),
         ["PUBLISH_SUBSCRIPTION_ID_FROM_CLIENT"]),
        (0, "c", connect(V5, "state-client"), ["SESSION_SECOND_CONNECT"]),
        (16, "c", PINGREQ, ["SESSION_KEEP_ALIVE_EXCEEDED"]),
        (0, "s", pkt(0xD0, b""), []),
        (0, "c", publish(V5, "t/left", qos=1, pid=20), []),
        (0, "c", "FIN", ["EVENT SESSION_UNACKED_AT_CLOSE"]),
    ]


def conn_server_side():
    """The server breaks the limits the client declared in CONNECT."""
    lim = props(p_u16(RECEIVE_MAXIMUM, 1), p_u32(MAXIMUM_PACKET_SIZE, 40),
                p_u16(TOPIC_ALIAS_MAXIMUM, 1))[1:]
    return V5, [
        (0, "c", connect(V5, "state-server", cprops=lim), []),
        (0, "s", connack(V5), []),
        (0, "s", publish(V5, "t/1", qos=1, pid=1), []),
        (0, "s", publish(V5, "t/1", qos=1, pid=2),
         ["SESSION_SERVER_RECEIVE_MAXIMUM_EXCEEDED"]),
        (0, "c", ack(PUBACK, 1), []),
        (0, "c", ack(PUBACK, 2), []),
        (0, "s", publish(V5, "t/5", qos=1, pid=5), []),
        (0, "s", publish(V5, "t/5", qos=1, pid=5),
         ["SESSION_SERVER_PACKET_ID_IN_USE"]),
        (0, "c", ack(PUBACK, 5), []),
        (0, "s", publish(V5, "t/big", payload=b"z" * 60),
         ["SESSION_SERVER_PACKET_TOO_LARGE"]),
        (0, "s", publish(V5, "t/a", pprops=p_u16(TOPIC_ALIAS, 2)),
         ["SESSION_SERVER_TOPIC_ALIAS_TOO_LARGE"]),
        (0, "c", DISCONNECT, []),
        (0, "c", "FIN", []),
    ]


def conn_silent_client():
    """Keep alive 5 s; the client says nothing more for 30 s: reported when
    the server closes the connection."""
    return V4, [
        (0, "c", connect(V4, "state-silent", keep_alive=5), []),
        (0, "s", connack(V4), []),
        (30, "s", "FIN", ["EVENT SESSION_KEEP_ALIVE_EXCEEDED"]),
    ]


CASES = [conn_client_side, conn_server_side, conn_silent_client]

# ---- Ethernet / IPv4 / TCP / pcap ------------------------------------------


def csum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def frame(src, dst, sport, dport, seq, ack_no, flags, payload):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack_no, 5 << 4, flags,
                      65535, 0, 0)
    pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp) + len(payload))
    c = csum(pseudo + tcp + payload)
    tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(payload), 0,
                     0x4000, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    eth = b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00"
    return eth + ip + tcp + payload


SYN, ACK, PSH, FIN = 0x02, 0x10, 0x08, 0x01


def build():
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    t = 1700000000 * 1000000  # microseconds
    expected = []

    def emit(data):
        sec, usec = divmod(t, 1000000)
        out.append(struct.pack("<IIII", sec, usec, len(data), len(data)) + data)

    for n, case in enumerate(CASES, 1):
        _, steps = case()
        cip, sip = bytes([10, 1, 0, n]), bytes([10, 1, 0, 254])
        cport, sport = 50000 + n, 1883
        cseq, sseq = 1000 * n, 500000 * n
        t += 1000000
        emit(frame(cip, sip, cport, sport, cseq, 0, SYN, b""))
        t += 100
        emit(frame(sip, cip, sport, cport, sseq, cseq + 1, SYN | ACK, b""))
        t += 100
        cseq += 1
        sseq += 1
        emit(frame(cip, sip, cport, sport, cseq, sseq, ACK, b""))
        index = 0
        for delay, who, data, rules in steps:
            t += 1000 + delay * 1000000
            fromc = who == "c"
            src, dst = (cip, sip) if fromc else (sip, cip)
            sp, dp = (cport, sport) if fromc else (sport, cport)
            seq, ack_no = (cseq, sseq) if fromc else (sseq, cseq)
            if data == "FIN":
                emit(frame(src, dst, sp, dp, seq, ack_no, FIN | ACK, b""))
                t += 100
                emit(frame(dst, src, dp, sp, ack_no, seq + 1, FIN | ACK, b""))
                for r in rules:
                    expected.append("%d %s" % (n, r))
                continue
            index += 1
            emit(frame(src, dst, sp, dp, seq, ack_no, ACK | PSH, data))
            if fromc:
                cseq += len(data)
            else:
                sseq += len(data)
            if rules:
                ptype = {1: "CONNECT", 3: "PUBLISH", 4: "PUBACK", 6: "PUBREL",
                         12: "PINGREQ"}.get(data[0] >> 4, "?")
                expected.append("%d %d %s %s" % (n, index, ptype, ",".join(rules)))
    return b"".join(out), expected


def main():
    data, expected = build()
    if len(sys.argv) > 1 and sys.argv[1] == "--expected":
        print("\n".join(expected))
        return
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "state_violations.pcap")
    with open(path, "wb") as f:
        f.write(data)


if __name__ == "__main__":
    main()
