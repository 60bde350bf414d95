#!/usr/bin/env python3
"""Write captures/sparkplug_violations.pcap: every Sparkplug B state rule
that mqttdissect's Sparkplug analysis (cli/analysis/spb_rules.def) reports,
each triggered by a case of its own; every other packet is clean.

Each case is one or more MQTT connections of an Edge Node or a host
application with a group of its own ("C<case>"), so no case sees another's
state. The payloads are encoded here by hand from the project's schema
(cli/decode/sparkplug_b.proto: Payload timestamp 1, metrics 2, seq 3;
Metric name 1, alias 2, timestamp 3, datatype 4, int_value 10, long_value
11, double_value 13, boolean_value 14): standard library only,
deterministic. The frames are built as captures/craft_state.py builds them.

    python3 captures/craft_sparkplug.py [OUT.pcap]   writes the capture
    python3 captures/craft_sparkplug.py --expected   prints the expectations

Expectations, one line each: <conn> <n> <TYPE> <RULE_NAME>[,<RULE_NAME>...]
for the n-th (1-based) MQTT packet of the connection, in the order the
violations are listed. Every other packet must carry no violation.
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from craft_state import (V4, V5, pkt, s, u16, props, connack, ack,  # noqa: E402
                         DISCONNECT, frame, SYN, ACK, PSH, FIN)

T0 = 1700000000000

# ---- protobuf (the wire format: varint keys, length-delimited fields) -----


def pb_varint(n):
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def pb_uint(field, v):
    return pb_varint(field << 3) + pb_varint(v)


def pb_bytes(field, b):
    b = b.encode() if isinstance(b, str) else b
    return pb_varint(field << 3 | 2) + pb_varint(len(b)) + b


def pb_double(field, v):
    return pb_varint(field << 3 | 1) + struct.pack("<d", v)


UINT64, DOUBLE, BOOLEAN = 8, 10, 11


def metric(name=None, alias=None, dt=DOUBLE, value=0.5):
    m = b""
    if name is not None:
        m += pb_bytes(1, name)
    if alias is not None:
        m += pb_uint(2, alias)
    m += pb_uint(3, T0) + pb_uint(4, dt)
    if dt == DOUBLE:
        m += pb_double(13, value)
    elif dt == BOOLEAN:
        m += pb_uint(14, 1 if value else 0)
    else:
        m += pb_uint(11, value)
    return m


def payload(metrics, seq=None):
    p = pb_uint(1, T0) + b"".join(pb_bytes(2, m) for m in metrics)
    if seq is not None:
        p += pb_uint(3, seq)
    return p


def bdseq(n):
    return metric("bdSeq", dt=UINT64, value=n)


REBIRTH = metric("Node Control/Rebirth", dt=BOOLEAN, value=False)


def nbirth(bd=0, seq=0, extra=None, rebirth=True, with_bd=True):
    ms = ([bdseq(bd)] if with_bd else []) + ([REBIRTH] if rebirth else [])
    ms += [metric("Temp", alias=1)] if extra is None else extra
    return payload(ms, seq)


def ndata(seq, alias=1):
    return payload([metric(alias=alias, value=1.5)], seq)


def dbirth(seq, alias=100):
    return payload([metric("Level", alias=alias)], seq)


# ---- MQTT ------------------------------------------------------------------


def connect_will(cid, will_topic, will_payload, will_qos=1, will_retain=False,
                 version=V4):
    flags = 0x02 | 0x04 | (will_qos << 3) | (0x20 if will_retain else 0)
    vh = s("MQTT") + bytes([version, flags]) + u16(60)
    if version == V5:
        vh += props(b"")
    body = s(cid)
    if version == V5:
        body += props(b"")
    body += s(will_topic) + s(will_payload)
    return pkt(0x10, vh + body)


def connect_plain(cid, version=V4):
    vh = s("MQTT") + bytes([version, 0x02]) + u16(60)
    if version == V5:
        vh += props(b"")
    return pkt(0x10, vh + s(cid))


def publish(topic, data, qos=0, retain=False, pid=1, version=V4):
    body = s(topic)
    if qos:
        body += u16(pid)
    if version == V5:
        body += props(b"")
    return pkt(0x30 | (qos << 1) | (1 if retain else 0), body + data)


# ---- cases -----------------------------------------------------------------
# A case gives its connections; a connection is a list of steps
# (who, bytes or "FIN", [rule names of the violations that packet carries]).


def topic(g, kind, device=None, edge="E"):
    t = "spBv1.0/%s/%s/%s" % (g, kind, edge)
    return t + "/" + device if device else t


def node(g, bd=0, msgs=(), will_qos=1, will_retain=False, will=None,
         connect_rules=(), version=V4):
    """An Edge Node session: CONNECT with its NDEATH will, CONNACK, then
    msgs: (kind, device, payload, rules[, qos, retain]) published."""
    wp = payload([bdseq(bd)]) if will is None else will
    steps = [("c", connect_will("node-" + g, topic(g, "NDEATH"), wp, will_qos,
                                will_retain, version), list(connect_rules)),
             ("s", connack(version), [])]
    pid = 1
    for m in msgs:
        kind, device, data, rules = m[:4]
        qos = m[4] if len(m) > 4 else 0
        retain = m[5] if len(m) > 5 else False
        steps.append(("c", publish(topic(g, kind, device), data, qos, retain, pid,
                                   version), list(rules)))
        if qos == 1:
            steps.append(("s", ack(0x40, pid), []))
            pid += 1
    steps += [("c", DISCONNECT, []), ("c", "FIN", [])]
    return steps


def host(name, msgs, version=V5, will=None, connect_rules=()):
    """A host application: CONNECT (with will = (topic, payload, qos,
    retain) when given), CONNACK, msgs: (topic, payload, qos, retain,
    rules) published."""
    c = connect_plain(name, version) if will is None else \
        connect_will(name, will[0], will[1], will[2], will[3], version)
    steps = [("c", c, list(connect_rules)), ("s", connack(version), [])]
    pid = 1
    for t, data, qos, retain, rules in msgs:
        steps.append(("c", publish(t, data, qos, retain, pid, version), list(rules)))
        if qos == 1:
            steps.append(("s", ack(0x40, pid), []))
            pid += 1
    steps += [("c", DISCONNECT, []), ("c", "FIN", [])]
    return steps


def state(online, ts=True):
    body = '{"online": %s' % ("true" if online else "false")
    return (body + (', "timestamp": %d}' % T0 if ts else "}")).encode()


def cases():
    c = []

    def add(f):
        c.append(f(("C%d" % (len(c) + 1))))

    # A clean session first: births, data, a device, a rebirth, death.
    add(lambda g: [node(g, msgs=[
        ("NBIRTH", None, nbirth(), []),
        ("DBIRTH", "D1", dbirth(1), []),
        ("NDATA", None, ndata(2), []),
        ("DDATA", "D1", payload([metric(alias=100, value=2.0)], 3), []),
        ("DDEATH", "D1", payload([], 4), []),
        ("NDEATH", None, payload([bdseq(0)]), []),
    ])])
    add(lambda g: [node(g, msgs=[("NBIRTH", None, nbirth(seq=1), ["SPB_NBIRTH_SEQ_NOT_ZERO"])])])
    add(lambda g: [node(g, msgs=[
        ("NBIRTH", None, nbirth(), []), ("NDATA", None, ndata(1), []),
        ("NDATA", None, ndata(3), ["SPB_SEQ_NOT_INCREMENTING"])])])
    add(lambda g: [node(g, msgs=[
        ("NBIRTH", None, nbirth(), []),
        ("NDATA", None, payload([metric(alias=1)]), ["SPB_SEQ_MISSING"])])])
    add(lambda g: [node(g, msgs=[
        ("NBIRTH", None, nbirth(with_bd=False), ["SPB_NBIRTH_BDSEQ_MISSING"])])])
    add(lambda g: [node(g, will=payload([]), connect_rules=["SPB_NDEATH_BDSEQ_MISSING"],
                        msgs=[("NBIRTH", None, nbirth(), [])])])
    add(lambda g: [node(g, bd=0, msgs=[
        ("NBIRTH", None, nbirth(bd=5), ["SPB_NBIRTH_BDSEQ_NOT_WILL"])])])
    add(lambda g: [node(g, bd=0, msgs=[("NBIRTH", None, nbirth(bd=0), [])]),
                   node(g, bd=2, msgs=[
                       ("NBIRTH", None, nbirth(bd=2), ["SPB_BDSEQ_NOT_INCREMENTING"])])])
    add(lambda g: [node(g, msgs=[
        ("DBIRTH", "D1", dbirth(0), ["SPB_DBIRTH_BEFORE_NBIRTH"])])])
    add(lambda g: [node(g, msgs=[("NDATA", None, ndata(0), ["SPB_NDATA_BEFORE_NBIRTH"])])])
    add(lambda g: [node(g, msgs=[
        ("NBIRTH", None, nbirth(), []),
        ("DDATA", "D1", ndata(1), ["SPB_DDATA_BEFORE_DBIRTH"])])])
    add(lambda g: [node(g, msgs=[
        ("NBIRTH", None, nbirth(), []),
        ("NDEATH", None, payload([bdseq(0)]), []),
        ("NDATA", None, ndata(1), ["SPB_DATA_AFTER_DEATH"])])])
    add(lambda g: [node(g, msgs=[
        ("NBIRTH", None, nbirth(), []), ("DBIRTH", "D1", dbirth(1), []),
        ("DDEATH", "D1", payload([], 2), []),
        ("DDATA", "D1", payload([metric(alias=100)], 3), ["SPB_DATA_AFTER_DEATH"])])])
    add(lambda g: [node(g, msgs=[
        ("NBIRTH", None, nbirth(extra=[metric("A", alias=1), metric("B", alias=1)]),
         ["SPB_ALIAS_NOT_UNIQUE"])])])
    add(lambda g: [node(g, msgs=[
        ("NBIRTH", None, nbirth(), []),
        ("DBIRTH", "D1", dbirth(1, alias=1), ["SPB_ALIAS_NOT_UNIQUE"])])])
    add(lambda g: [node(g, msgs=[
        ("NBIRTH", None, nbirth(extra=[metric("A", alias=1), metric(alias=2)]),
         ["SPB_BIRTH_METRIC_NO_NAME"])])])
    add(lambda g: [node(g, msgs=[
        ("NBIRTH", None, nbirth(), []),
        ("NDATA", None, payload([metric("Temp", alias=1)], 1),
         ["SPB_DATA_METRIC_NAME_AND_ALIAS"])])])
    add(lambda g: [node(g, msgs=[
        ("NBIRTH", None, nbirth(), []),
        ("NDATA", None, ndata(1, alias=99), ["SPB_ALIAS_UNKNOWN"])])])
    # QoS and retain of each message type, the commands from a host.
    add(lambda g: [node(g, msgs=[
        ("NBIRTH", None, nbirth(), ["SPB_NBIRTH_QOS_RETAIN"], 1),
        ("DBIRTH", "D1", dbirth(1), ["SPB_DBIRTH_QOS_RETAIN"], 1),
        ("NDATA", None, ndata(2), ["SPB_NDATA_QOS_RETAIN"], 0, True),
        ("DDATA", "D1", payload([metric(alias=100)], 3), ["SPB_DDATA_QOS_RETAIN"], 0, True),
        ("DDEATH", "D1", payload([], 4), ["SPB_DDEATH_QOS_RETAIN"], 1)]),
        host("host-" + g, [
            (topic(g, "NCMD"), payload([REBIRTH]), 1, False, ["SPB_NCMD_QOS_RETAIN"]),
            (topic(g, "DCMD", "D1"), payload([metric(alias=100)]), 0, True,
             ["SPB_DCMD_QOS_RETAIN"])])])
    add(lambda g: [node(g, will_qos=0, connect_rules=["SPB_NDEATH_WILL_QOS"],
                        msgs=[("NBIRTH", None, nbirth(), [])])])
    add(lambda g: [node(g, will_retain=True, connect_rules=["SPB_NDEATH_WILL_RETAIN"],
                        msgs=[("NBIRTH", None, nbirth(), [])])])
    add(lambda g: [node(g, msgs=[
        ("NBIRTH", None, nbirth(rebirth=False), ["SPB_NBIRTH_NO_REBIRTH_METRIC"])])])
    add(lambda g: [host("host-" + g, [
        ("spBv1.0/STATE/h" + g, state(True), 1, True, []),
        ("spBv1.0/STATE/h" + g, state(True), 0, True, ["SPB_STATE_BIRTH_QOS"]),
        ("spBv1.0/STATE/h" + g, state(True), 1, False, ["SPB_STATE_BIRTH_RETAIN"]),
        ("spBv1.0/STATE/h" + g, b"ONLINE", 1, True, ["SPB_STATE_PAYLOAD"]),
        ("spBv1.0/STATE/h" + g, state(True, ts=False), 1, True, ["SPB_STATE_PAYLOAD"]),
        ("spBv1.0/STATE/h" + g, state(False), 0, True, ["SPB_STATE_DEATH_QOS"]),
        ("spBv1.0/STATE/h" + g, state(False), 1, False, ["SPB_STATE_DEATH_RETAIN"]),
        ("spBv1.0/STATE/h" + g, state(False, ts=False), 1, True,
         ["SPB_STATE_DEATH_PAYLOAD"]),
        ("spBv1.0/STATE/h" + g, state(False), 1, True, [])])])
    add(lambda g: [node(g, msgs=[
        ("NBIRTH", None, nbirth(), []),
        ("NDATA", None, b"\xff\xff\x01", ["SPB_PAYLOAD_NOT_PROTOBUF"])])])
    # The host application's will: QoS 1, retained, online false.
    add(lambda g: [host("host-" + g, [], will=("spBv1.0/STATE/h" + g, state(False), 1, True),
                        connect_rules=[])])
    add(lambda g: [host("host-" + g, [], will=("spBv1.0/STATE/h" + g, state(False), 0, True),
                        connect_rules=["SPB_STATE_WILL_QOS"])])
    add(lambda g: [host("host-" + g, [], will=("spBv1.0/STATE/h" + g, state(False), 1, False),
                        connect_rules=["SPB_STATE_WILL_RETAIN"])])
    add(lambda g: [host("host-" + g, [], will=("spBv1.0/STATE/h" + g, state(True), 1, True),
                        connect_rules=["SPB_STATE_WILL_PAYLOAD"])])
    # seq where none belongs: NDEATH (published, and as the will), commands.
    add(lambda g: [node(g, msgs=[
        ("NBIRTH", None, nbirth(), []),
        ("NDEATH", None, payload([bdseq(0)], 1), ["SPB_NDEATH_SEQ"])])])
    add(lambda g: [node(g, will=payload([bdseq(0)], 0), connect_rules=["SPB_NDEATH_SEQ"],
                        msgs=[("NBIRTH", None, nbirth(), [])])])
    add(lambda g: [node(g, msgs=[("NBIRTH", None, nbirth(), [])]),
                   host("host-" + g, [
                       (topic(g, "NCMD"), payload([REBIRTH], 5), 0, False, ["SPB_NCMD_SEQ"]),
                       (topic(g, "DCMD", "D1"), payload([metric(alias=1)], 6), 0, False,
                        ["SPB_DCMD_SEQ"])])])
    # MQTT 5 and a rebirth in the same session: clean.
    add(lambda g: [node(g, version=V5, msgs=[
        ("NBIRTH", None, nbirth(), []), ("NDATA", None, ndata(1), []),
        ("NBIRTH", None, nbirth(), []), ("NDATA", None, ndata(1), [])])])
    return c


# ---- the capture ------------------------------------------------------------


def build():
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    t = 1700000000 * 1000000
    expected = []

    def emit(data):
        sec, usec = divmod(t, 1000000)
        out.append(struct.pack("<IIII", sec, usec, len(data), len(data)) + data)

    n = 0
    for conns in cases():
        for steps in conns:
            n += 1
            cip, sip = bytes([10, 2, n >> 8, n & 0xFF]), bytes([10, 2, 255, 254])
            cport, sport = 40000 + n, 1883
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
            for who, data, rules in steps:
                t += 1000
                fromc = who == "c"
                src, dst = (cip, sip) if fromc else (sip, cip)
                sp, dp = (cport, sport) if fromc else (sport, cport)
                seq, ack_no = (cseq, sseq) if fromc else (sseq, cseq)
                if data == "FIN":
                    emit(frame(src, dst, sp, dp, seq, ack_no, FIN | ACK, b""))
                    t += 100
                    emit(frame(dst, src, dp, sp, ack_no, seq + 1, FIN | ACK, b""))
                    continue
                index += 1
                emit(frame(src, dst, sp, dp, seq, ack_no, ACK | PSH, data))
                if fromc:
                    cseq += len(data)
                else:
                    sseq += len(data)
                if rules:
                    ptype = {1: "CONNECT", 3: "PUBLISH"}.get(data[0] >> 4, "?")
                    expected.append("%d %d %s %s" % (n, index, ptype, ",".join(rules)))
    return b"".join(out), expected


def main():
    data, expected = build()
    if len(sys.argv) > 1 and sys.argv[1] == "--expected":
        print("\n".join(expected))
        return
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "sparkplug_violations.pcap")
    with open(path, "wb") as f:
        f.write(data)


if __name__ == "__main__":
    main()
