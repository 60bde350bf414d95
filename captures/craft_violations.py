#!/usr/bin/env python3
"""Write captures/violations.pcap and tests/violations.expected.

One TCP connection per case (client 10.0.0.<n>:40000+n -> broker
10.0.0.254:1883, Ethernet/IPv4/TCP, full three-way handshake, one MQTT
control packet per segment, each segment ACKed, FIN at the end). Every case
connection is:

    CONNECT (valid, of the version the case needs, unless the CONNECT itself
    is the case), CONNACK, ..., the bad packet, a valid packet after it in
    the same direction (PINGREQ, or PINGRESP after a server-side bad packet)

The expected rule ids come from the MQTT specifications (OASIS MQTT 3.1.1
and 5.0; "MQD-..." ids are mqttdissect's own names for statements the specs
make without a normative number, see dissect/include/mqttdissect/rules.def).
They are written here next to each case and copied into
tests/violations.expected, one line per case:

    <conn> <TYPE of the bad packet> <rule id> [<rule id> ...]   # what

A case with "-" instead of rule ids is a contrast case: the packet is valid
for its version and must carry no violation. "@xfail" after the ids marks a
case where the parser is known to disagree with the specification (reported
to the maintainers): the test prints it as XFAIL, and fails when it passes.

Deterministic: no randomness, fixed timestamps. Standard library only.

    python3 captures/craft_violations.py [OUT.pcap [EXPECTED]]
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_PCAP = os.path.join(HERE, "violations.pcap")
DEFAULT_EXPECTED = os.path.join(HERE, "..", "tests", "violations.expected")

V31, V311, V5 = 3, 4, 5

# ---- MQTT encoding helpers -------------------------------------------------


def varint(n):
    """Variable byte integer, minimal encoding (s1.5.5)."""
    out = bytearray()
    while True:
        b = n % 128
        n //= 128
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def u16(n):
    return struct.pack(">H", n)


def u32(n):
    return struct.pack(">I", n)


def s(text):
    """UTF-8 string / binary data: two-byte length then the bytes."""
    raw = text.encode() if isinstance(text, str) else bytes(text)
    return u16(len(raw)) + raw


def pkt(header, body, rl=None):
    """A control packet; rl overrides the encoded remaining length bytes."""
    return bytes([header]) + (varint(len(body)) if rl is None else rl) + body


def props(*items):
    """A 5.0 property block: length then the concatenated properties."""
    block = b"".join(items)
    return varint(len(block)) + block


def p_byte(pid, v):
    return bytes([pid, v])


def p_u16(pid, v):
    return bytes([pid]) + u16(v)


def p_u32(pid, v):
    return bytes([pid]) + u32(v)


def p_str(pid, v):
    return bytes([pid]) + s(v)


def p_var(pid, v):
    return bytes([pid]) + varint(v)


def connect(version, client_id="cid", flags=0x02, keep_alive=60,
            cprops=b"", payload_tail=b"", name=None, level=None):
    """CONNECT; flags default to Clean Session/Start only."""
    if name is None:
        name = "MQIsdp" if version == V31 else "MQTT"
    if level is None:
        level = version
    vh = s(name) + bytes([level, flags]) + u16(keep_alive)
    if version == V5:
        vh += props() if cprops == b"" else cprops
    return pkt(0x10, vh + s(client_id) + payload_tail)


def connack(version, rc=0, ack_flags=0):
    """CONNACK; in 5.0 with Topic Alias Maximum 10, so that the client may
    use Topic Aliases (s3.2.2.3.8)."""
    body = bytes([ack_flags, rc])
    if version == V5:
        body += props(p_u16(0x22, 10))
    return pkt(0x20, body)


def ack(header, version, pid, reason=None):
    body = u16(pid)
    if version == V5 and reason is not None:
        body += bytes([reason])
    return pkt(header, body)


def answer(version, bad):
    """The broker's SUBACK/UNSUBACK to a client's (UN)SUBSCRIBE, so that no
    request is left unanswered; None when the packet has no usable packet
    identifier or no filter to answer for."""
    kind = bad[0] & 0xF0
    if kind not in (0x80, 0xA0) or len(bad) < 4:
        return None
    i = 1
    while bad[i] & 0x80:
        i += 1
    i += 1
    pid = struct.unpack(">H", bad[i:i + 2])[0]
    i += 2
    if version == V5:
        plen = bad[i]
        i += 1 + plen
    count = 0
    while i + 2 <= len(bad):
        n = struct.unpack(">H", bad[i:i + 2])[0]
        i += 2 + n + (1 if kind == 0x80 else 0)
        count += 1
    if pid == 0 or count == 0 or i != len(bad):
        return None
    body = u16(pid) + (props() if version == V5 else b"")
    if kind == 0x80:
        return pkt(0x90, body + b"\x80" * count)
    return pkt(0xB0, body + (b"\x00" * count if version == V5 else b""))


def publish(version, topic, payload=b"x", qos=0, pid=1, flags=None,
            pprops=None):
    if flags is None:
        flags = qos << 1
    body = s(topic)
    if qos:
        body += u16(pid)
    if version == V5:
        body += props() if pprops is None else pprops
    return pkt(0x30 | flags, body + payload)


def subscribe(version, filters, pid=1, sprops=None, header=0x82):
    """filters: list of (filter, options byte)."""
    body = u16(pid)
    if version == V5:
        body += props() if sprops is None else sprops
    for f, o in filters:
        body += s(f) + bytes([o])
    return pkt(header, body)


def unsubscribe(version, filters, pid=1, header=0xA2):
    body = u16(pid)
    if version == V5:
        body += props()
    for f in filters:
        body += s(f)
    return pkt(header, body)


PINGREQ = b"\xc0\x00"
PINGRESP = b"\xd0\x00"


# ---- the cases -------------------------------------------------------------
# Each case: (description, version, side, bad packet, type, expected ids,
# packets sent before the bad one after CONNECT/CONNACK, optional custom
# CONNECT). side "c": client sends the bad packet; "s": the server does.


class Case:
    def __init__(self, what, version, bad, ptype, rules, side="c",
                 first=None, before=(), after=None, level_ok=True,
                 xfail=None):
        self.what = what
        self.version = version
        self.bad = bad
        self.ptype = ptype
        self.rules = rules.split() if rules != "-" else []
        self.side = side
        self.first = first          # a CONNECT replacing the default one
        self.before = list(before)  # (side, bytes) sent between CONNACK and bad
        self.after = after
        # A broker answers a CONNECT of an unknown level with a refusal and
        # closes; such cases leave the CONNACK out rather than guess its
        # version.
        self.level_ok = level_ok
        # A known disagreement of the parser with the specification, reported
        # to the maintainers: the test reports it as XFAIL (and fails once the
        # parser agrees, so that the mark gets removed).
        self.xfail = xfail


def cases():
    C = []

    def add(*a, **k):
        C.append(Case(*a, **k))

    # Fixed header (3.1.1 s2.2.2, 5.0 s2.1.3: MQTT-2.1.3-1) ------------------
    add("PUBACK with fixed header flags 0010", V311,
        pkt(0x42, u16(1)), "PUBACK", "MQTT-2.1.3-1",
        before=[("s", publish(V311, "a/b", qos=1))])
    add("SUBSCRIBE with fixed header flags 0000", V311,
        subscribe(V311, [("a/b", 0)], header=0x80), "SUBSCRIBE", "MQTT-2.1.3-1")
    add("PUBREL with fixed header flags 0000", V311,
        pkt(0x60, u16(1)), "PUBREL", "MQTT-2.1.3-1",
        before=[("c", publish(V311, "a/b", qos=2)),
                ("s", ack(0x50, V311, 1))])
    add("UNSUBSCRIBE with fixed header flags 0011", V311,
        unsubscribe(V311, ["a/b"], header=0xA3), "UNSUBSCRIBE", "MQTT-2.1.3-1")
    add("PINGREQ with fixed header flags 1000", V311,
        b"\xc8\x00", "PINGREQ", "MQTT-2.1.3-1")
    # Remaining length in more bytes than needed: a warning in 3.1.1, where
    # nothing requires the shortest encoding (MQTT-1.5.5-1 is 5.0).
    add("PUBLISH remaining length 6 encoded in two bytes", V311,
        pkt(0x30, s("a/b") + b"x", rl=b"\x86\x00"), "PUBLISH", "MQD-2.2.3-rl-not-minimal")
    add("PINGREQ remaining length 0 encoded in two bytes", V311,
        b"\xc0\x80\x00", "PINGREQ", "MQD-2.2.3-rl-not-minimal")
    # PUBLISH flags (MQTT-3.3.1-4: QoS 3; MQTT-3.3.1-2: DUP on QoS 0).
    add("PUBLISH with QoS 3", V311,
        pkt(0x36, s("a/b") + u16(7) + b"x"), "PUBLISH", "MQTT-3.3.1-4")
    add("PUBLISH QoS 0 with DUP", V311,
        pkt(0x38, s("a/b") + b"x"), "PUBLISH", "MQTT-3.3.1-2")
    # Packet identifier 0 (MQTT-2.2.1-3).
    add("PUBLISH QoS 1 with packet id 0", V311,
        publish(V311, "a/b", qos=1, pid=0), "PUBLISH", "MQTT-2.2.1-3")
    add("SUBSCRIBE with packet id 0", V311,
        subscribe(V311, [("a/b", 1)], pid=0), "SUBSCRIBE", "MQTT-2.2.1-3")
    add("UNSUBSCRIBE with packet id 0", V5,
        unsubscribe(V5, ["a/b"], pid=0), "UNSUBSCRIBE", "MQTT-2.2.1-3")
    # Packets without a body (s3.12, s3.13, s3.14 before 5.0).
    add("PINGREQ with a one-byte body", V311,
        b"\xc0\x01\x00", "PINGREQ", "MQD-2.1.4-no-body")
    add("DISCONNECT with a body in 3.1.1", V311,
        b"\xe0\x01\x00", "DISCONNECT", "MQD-3.14-body")
    add("DISCONNECT with a reason code in 5.0 (contrast)", V5,
        b"\xe0\x01\x04", "DISCONNECT", "-")
    add("AUTH (well-formed 5.0 AUTH) on a 3.1.1 connection", V311,
        pkt(0xF0, b"\x18" + props(p_str(0x15, "SCRAM-SHA-1"))), "AUTH",
        "MQD-3.15-version")
    add("packet type 0 (reserved)", V311,
        b"\x00\x00", "RESERVED", "MQD-2.1.2-type0")
    # Lengths.
    add("PUBACK 3.1.1 with remaining length 3", V311,
        pkt(0x40, u16(1) + b"\x00"), "PUBACK",
        "MQD-2.1.4-length MQD-2.1.4-trailing",
        before=[("s", publish(V311, "a/b", qos=1))])
    add("CONNECT 3.1.1 with a byte after the client id", V311,
        pkt(0x10, s("MQTT") + bytes([4, 2]) + u16(60) + s("cid") + b"\x00"),
        "CONNECT", "MQD-2.1.4-trailing", first=b"")
    add("PUBLISH whose topic length runs past the packet", V311,
        pkt(0x30, u16(10) + b"a/b"), "PUBLISH", "MQD-2.1.4-truncated")
    # UTF-8 (5.0 s1.5.4; 3.1.1 s1.5.3).
    add("PUBLISH topic not well-formed UTF-8 (C3 28)", V311,
        publish(V311, b"a\xc3\x28"), "PUBLISH", "MQTT-1.5.4-1")
    add("PUBLISH topic with an overlong encoding (C0 AF)", V311,
        publish(V311, b"a/\xc0\xaf"), "PUBLISH", "MQTT-1.5.4-1")
    add("PUBLISH topic encoding a surrogate (ED A0 80)", V311,
        publish(V311, b"a/\xed\xa0\x80"), "PUBLISH", "MQTT-1.5.4-1/surrogate")
    add("PUBLISH topic containing U+0000", V311,
        publish(V311, b"a\x00b"), "PUBLISH", "MQTT-1.5.4-2")
    add("PUBLISH topic containing U+0001 (discouraged)", V311,
        publish(V311, b"a\x01b"), "PUBLISH", "MQD-1.5.4-discouraged")
    add("SUBSCRIBE filter not well-formed UTF-8 (FF)", V5,
        subscribe(V5, [(b"a/\xff", 0)]), "SUBSCRIBE", "MQTT-1.5.4-1")
    # Topic names (s4.7).
    add("PUBLISH topic with '+'", V311,
        publish(V311, "a/+/b"), "PUBLISH", "MQTT-3.3.2-2")
    add("PUBLISH topic '#'", V5,
        publish(V5, "#"), "PUBLISH", "MQTT-3.3.2-2")
    add("PUBLISH with an empty topic, 3.1.1", V311,
        publish(V311, ""), "PUBLISH", "MQTT-4.7.3-1")
    add("PUBLISH with an empty topic and no Topic Alias, 5.0", V5,
        publish(V5, ""), "PUBLISH", "MQTT-4.7.3-1")
    add("PUBLISH with an empty topic and a Topic Alias (contrast)", V5,
        publish(V5, "", pprops=props(p_u16(0x23, 1))), "PUBLISH", "-",
        before=[("c", publish(V5, "a/b", pprops=props(p_u16(0x23, 1))))])
    # CONNECT (s3.1).
    add("CONNECT protocol name MQTX", V311,
        connect(V311, name="MQTX"), "CONNECT", "MQTT-3.1.2-1", first=b"")
    add("CONNECT protocol level 6", V311,
        connect(V311, level=6), "CONNECT", "MQTT-3.1.2-2", first=b"",
        level_ok=False)
    add("CONNECT name MQIsdp with level 4", V311,
        connect(V311, name="MQIsdp", level=4), "CONNECT",
        "MQD-3.1.2-name-level", first=b"")
    add("CONNECT name MQTT with level 3", V31,
        connect(V31, name="MQTT", level=3), "CONNECT",
        "MQD-3.1.2-name-level", first=b"")
    add("CONNECT reserved flag set", V311,
        connect(V311, flags=0x03), "CONNECT", "MQTT-3.1.2-3", first=b"")
    add("CONNECT Will QoS 1 without Will Flag", V311,
        connect(V311, flags=0x0A), "CONNECT", "MQTT-3.1.2-11", first=b"")
    add("CONNECT Will QoS 3", V311,
        connect(V311, flags=0x1E, payload_tail=s("w/t") + s("bye")),
        "CONNECT", "MQTT-3.1.2-12", first=b"")
    add("CONNECT Will Retain without Will Flag", V311,
        connect(V311, flags=0x22), "CONNECT", "MQTT-3.1.2-13", first=b"")
    add("CONNECT 3.1.1 Password without User Name", V311,
        connect(V311, flags=0x42, payload_tail=s("pw")), "CONNECT",
        "MQTT-3.1.2-22/v3.1.1", first=b"")
    add("CONNECT 5.0 Password without User Name (contrast: allowed)", V5,
        connect(V5, flags=0x42, payload_tail=s("pw")), "CONNECT", "-",
        first=b"")
    add("CONNECT 3.1.1 empty client id with Clean Session 0", V311,
        connect(V311, client_id="", flags=0x00), "CONNECT", "MQTT-3.1.3-7",
        first=b"")
    add("CONNECT 3.1 client id of 24 characters", V31,
        connect(V31, client_id="abcdefghijklmnopqrstuvwx"), "CONNECT",
        "MQD-3.1-client-id", first=b"")
    add("CONNECT Will Topic with '#'", V311,
        connect(V311, flags=0x06, payload_tail=s("w/#") + s("bye")),
        "CONNECT", "MQTT-4.7.0-1", first=b"")
    add("CONNECT without a client id", V311,
        pkt(0x10, s("MQTT") + bytes([4, 2]) + u16(60)), "CONNECT",
        "MQTT-3.1.3-3", first=b"")
    add("CONNECT Will Flag set, no Will Topic/Payload", V311,
        connect(V311, flags=0x06), "CONNECT", "MQTT-3.1.2-9", first=b"")
    add("CONNECT User Name Flag set, no User Name", V311,
        connect(V311, flags=0x82), "CONNECT", "MQTT-3.1.2-17", first=b"")
    add("CONNECT Password Flag set, no Password", V311,
        connect(V311, flags=0xC2, payload_tail=s("user")), "CONNECT",
        "MQTT-3.1.2-19", first=b"")
    add("CONNECT 5.0 Receive Maximum 0", V5,
        connect(V5, cprops=props(p_u16(0x21, 0))), "CONNECT",
        "MQD-3.1.2-receive-max", first=b"")
    add("CONNECT 5.0 Maximum Packet Size 0", V5,
        connect(V5, cprops=props(p_u32(0x27, 0))), "CONNECT",
        "MQD-3.1.2-max-packet", first=b"")
    add("CONNECT 5.0 Authentication Data without Method", V5,
        connect(V5, cprops=props(p_str(0x16, b"\x01\x02"))), "CONNECT",
        "MQD-3.1.2-auth-data", first=b"")
    add("CONNECT 5.0 will Payload Format 1, will payload not UTF-8", V5,
        connect(V5, flags=0x06,
                payload_tail=props(p_byte(0x01, 1)) + s("w/t") + s(b"\xff\xfe")),
        "CONNECT", "MQD-3.1.3-will-payload-format", first=b"")
    # CONNACK (s3.2), sent by the server.
    add("CONNACK 3.1.1 acknowledge flags 0x02", V311,
        connack(V311, ack_flags=0x02), "CONNACK", "MQTT-3.2.2-1", side="s",
        first=None)
    add("CONNACK 3.1.1 Session Present with return code 5", V311,
        connack(V311, rc=5, ack_flags=0x01), "CONNACK", "MQTT-3.2.2-6",
        side="s")
    add("CONNACK 3.1.1 return code 6 (reserved)", V311,
        connack(V311, rc=6), "CONNACK", "MQD-3.2.2-return-code", side="s")
    add("CONNACK 5.0 reason code 0x01", V5,
        connack(V5, rc=0x01), "CONNACK", "MQTT-3.2.2-8", side="s")
    add("CONNACK 3.1.1 remaining length 3", V311,
        pkt(0x20, b"\x00\x00\x00"), "CONNACK",
        "MQD-2.1.4-length MQD-2.1.4-trailing", side="s")
    # Acks with 5.0 reason codes (s3.4 .. s3.7, s3.11, s3.14, s3.15).
    add("PUBACK 5.0 reason code 0x05", V5,
        pkt(0x40, u16(1) + b"\x05"), "PUBACK", "MQTT-3.4.2-1",
        before=[("s", publish(V5, "a/b", qos=1))])
    add("PUBREC 5.0 reason code 0x05", V5,
        pkt(0x50, u16(1) + b"\x05"), "PUBREC", "MQTT-3.5.2-1",
        before=[("s", publish(V5, "a/b", qos=2))])
    add("PUBREL 5.0 reason code 0x10", V5,
        pkt(0x62, u16(1) + b"\x10"), "PUBREL", "MQTT-3.6.2-1",
        before=[("c", publish(V5, "a/b", qos=2)),
                ("s", ack(0x50, V5, 1))])
    add("PUBCOMP 5.0 reason code 0x10", V5,
        pkt(0x70, u16(1) + b"\x10"), "PUBCOMP", "MQTT-3.7.2-1",
        before=[("s", publish(V5, "a/b", qos=2)),
                ("c", ack(0x50, V5, 1)),
                ("s", ack(0x62, V5, 1))])
    add("DISCONNECT 5.0 reason code 0x03", V5,
        b"\xe0\x01\x03", "DISCONNECT", "MQTT-3.14.2-1")
    add("AUTH 5.0 reason code 0x05", V5,
        pkt(0xF0, b"\x05" + props(p_str(0x15, "SCRAM-SHA-1"))), "AUTH",
        "MQTT-3.15.2-1")
    add("AUTH 5.0 Continue without Authentication Method", V5,
        pkt(0xF0, b"\x18" + props(p_str(0x16, b"\x01"))), "AUTH",
        "MQD-3.15.2-method MQD-3.1.2-auth-data")
    # SUBACK / UNSUBACK, sent by the server after a valid (UN)SUBSCRIBE.
    add("SUBACK 3.1.1 return code 0x03", V311,
        pkt(0x90, u16(1) + b"\x03"), "SUBACK", "MQTT-3.9.3-2", side="s",
        before=[("c", subscribe(V311, [("a/b", 0)]))])
    add("SUBACK 5.0 reason code 0x03", V5,
        pkt(0x90, u16(1) + props() + b"\x03"), "SUBACK", "MQTT-3.9.3-2",
        side="s", before=[("c", subscribe(V5, [("a/b", 0)]))])
    add("SUBACK without return codes", V311,
        pkt(0x90, u16(1)), "SUBACK", "MQD-3.9.3-empty", side="s",
        before=[("c", subscribe(V311, [("a/b", 0)]))])
    add("UNSUBACK 5.0 without reason codes", V5,
        pkt(0xB0, u16(1) + props()), "UNSUBACK", "MQD-3.11.3-empty",
        side="s", before=[("c", unsubscribe(V5, ["a/b"]))])
    add("UNSUBACK 5.0 reason code 0x05", V5,
        pkt(0xB0, u16(1) + props() + b"\x05"), "UNSUBACK", "MQTT-3.11.3-2",
        side="s", before=[("c", unsubscribe(V5, ["a/b"]))])
    # SUBSCRIBE / UNSUBSCRIBE payloads (s3.8, s3.10, s4.7, s4.8).
    add("SUBSCRIBE without a topic filter", V311,
        pkt(0x82, u16(1)), "SUBSCRIBE", "MQTT-3.8.3-2")
    add("UNSUBSCRIBE without a topic filter", V311,
        pkt(0xA2, u16(1)), "UNSUBSCRIBE", "MQTT-3.10.3-2")
    add("SUBSCRIBE filter 'a/#/b'", V311,
        subscribe(V311, [("a/#/b", 0)]), "SUBSCRIBE", "MQTT-4.7.1-1")
    add("SUBSCRIBE filter 'a#'", V5,
        subscribe(V5, [("a#", 0)]), "SUBSCRIBE", "MQTT-4.7.1-1")
    add("SUBSCRIBE filter 'a+/b'", V311,
        subscribe(V311, [("a+/b", 0)]), "SUBSCRIBE", "MQTT-4.7.1-2")
    add("UNSUBSCRIBE filter 'a/b+'", V311,
        unsubscribe(V311, ["a/b+"]), "UNSUBSCRIBE", "MQTT-4.7.1-2")
    add("SUBSCRIBE empty filter", V311,
        subscribe(V311, [("", 0)]), "SUBSCRIBE", "MQTT-4.7.3-1/filter")
    add("SUBSCRIBE wildcards in place (contrast)", V311,
        subscribe(V311, [("+/a/#", 1), ("#", 0), ("+", 2)]), "SUBSCRIBE", "-")
    add("SUBSCRIBE 5.0 shared '$share/grp' without a filter", V5,
        subscribe(V5, [("$share/grp", 0)]), "SUBSCRIBE", "MQTT-4.8.2-1")
    add("SUBSCRIBE 5.0 shared ShareName with '+'", V5,
        subscribe(V5, [("$share/g+/a", 0)]), "SUBSCRIBE", "MQTT-4.8.2-2")
    add("SUBSCRIBE 5.0 shared with No Local", V5,
        subscribe(V5, [("$share/grp/a", 0x04)]), "SUBSCRIBE", "MQTT-3.8.3-4")
    add("SUBSCRIBE 5.0 shared subscription (contrast)", V5,
        subscribe(V5, [("$share/grp/a/#", 1)]), "SUBSCRIBE", "-")
    add("SUBSCRIBE 5.0 options reserved bits set", V5,
        subscribe(V5, [("a/b", 0xC1)]), "SUBSCRIBE", "MQTT-3.8.3-5")
    add("SUBSCRIBE 3.1.1 requested QoS byte 0x04", V311,
        subscribe(V311, [("a/b", 0x04)]), "SUBSCRIBE", "MQTT-3.8.3-5")
    add("SUBSCRIBE requested QoS 3", V311,
        subscribe(V311, [("a/b", 0x03)]), "SUBSCRIBE", "MQD-3.8.3-qos3")
    add("SUBSCRIBE 5.0 Retain Handling 3", V5,
        subscribe(V5, [("a/b", 0x30)]), "SUBSCRIBE",
        "MQD-3.8.3-retain-handling")
    add("SUBSCRIBE 5.0 Subscription Identifier 0", V5,
        subscribe(V5, [("a/b", 0)], sprops=props(p_var(0x0B, 0))),
        "SUBSCRIBE", "MQD-3.3.2-sub-id-0")
    # Properties (5.0 s2.2.2, s3.3.2.3).
    add("PUBLISH with Session Expiry Interval (not allowed)", V5,
        publish(V5, "a/b", pprops=props(p_u32(0x11, 10))), "PUBLISH",
        "MQD-2.2.2-not-allowed")
    add("PUBLISH with Message Expiry Interval twice", V5,
        publish(V5, "a/b", pprops=props(p_u32(0x02, 10), p_u32(0x02, 20))),
        "PUBLISH", "MQD-2.2.2-duplicate")
    add("PUBLISH with User Property twice (contrast: allowed)", V5,
        publish(V5, "a/b", pprops=props(p_str(0x26, "k") + s("v"),
                                        p_str(0x26, "k") + s("w"))),
        "PUBLISH", "-")
    add("PUBLISH with unknown property 0x50", V5,
        publish(V5, "a/b", payload=b"", pprops=props(p_byte(0x50, 1))),
        "PUBLISH", "MQD-2.2.2-unknown")
    add("PUBLISH property length past the end of the packet", V5,
        pkt(0x30, s("a/b") + b"\x10" + p_byte(0x01, 0)), "PUBLISH",
        "MQD-2.2.2-overrun")
    add("PUBLISH Message Expiry cut by the property length", V5,
        pkt(0x30, s("a/b") + b"\x03" + b"\x02\x00\x00" + b"xyz"), "PUBLISH",
        "MQD-2.2.2-truncated")
    add("PUBLISH Payload Format Indicator 2", V5,
        publish(V5, "a/b", pprops=props(p_byte(0x01, 2))), "PUBLISH",
        "MQD-3-property-value")
    add("PUBLISH Topic Alias 0", V5,
        publish(V5, "a/b", pprops=props(p_u16(0x23, 0))), "PUBLISH",
        "MQTT-3.3.2-8")
    add("PUBLISH Response Topic with '#'", V5,
        publish(V5, "a/b", pprops=props(p_str(0x08, "resp/#"))), "PUBLISH",
        "MQTT-3.3.2-14")
    add("PUBLISH Payload Format 1 with a non-UTF-8 payload", V5,
        publish(V5, "a/b", payload=b"\xff\xfe\xfd",
                pprops=props(p_byte(0x01, 1))), "PUBLISH",
        "MQD-3.3.2-payload-format")
    add("PUBLISH from the client with a Subscription Identifier", V5,
        publish(V5, "a/b", pprops=props(p_var(0x0B, 5))), "PUBLISH",
        "MQTT-3.3.4-6")
    add("PUBLISH property length encoded in two bytes", V5,
        pkt(0x30, s("a/b") + b"\x80\x00" + b"x"), "PUBLISH", "MQTT-1.5.5-1/varint")
    return C


# ---- pcap writing ----------------------------------------------------------

BROKER_IP = bytes([10, 0, 0, 254])
BROKER_MAC = b"\x02\x00\x00\x00\x00\xfe"


def checksum(data):
    if len(data) % 2:
        data += b"\x00"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return (~total) & 0xFFFF


def tcp_frame(src_mac, dst_mac, src_ip, dst_ip, sport, dport, seq, ack,
              flags, payload=b""):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags,
                      65535, 0, 0) + payload
    pseudo = src_ip + dst_ip + struct.pack("!BBH", 0, 6, len(tcp))
    csum = checksum(pseudo + tcp)
    tcp = tcp[:16] + struct.pack("!H", csum) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64,
                     6, 0, src_ip, dst_ip)
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    return dst_mac + src_mac + b"\x08\x00" + ip + tcp


class Writer:
    def __init__(self, path):
        self.f = open(path, "wb")
        # pcap, microseconds, LINKTYPE_ETHERNET
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        self.t = 1_700_000_000 * 1_000_000

    def write(self, frame):
        self.t += 1000
        sec, usec = divmod(self.t, 1_000_000)
        self.f.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)))
        self.f.write(frame)

    def close(self):
        self.f.close()


SYN, ACK, PSH, FIN = 0x02, 0x10, 0x08, 0x01


class Conn:
    """One TCP connection with its two sequence counters."""

    def __init__(self, w, n):
        self.w = w
        self.cip = bytes([10, 0, n // 250, 1 + n % 250])
        self.cmac = b"\x02\x00\x00\x00" + struct.pack("!H", n)
        self.cport = 40000 + n
        self.cseq = 1000 * n + 1
        self.sseq = 500000 + 1000 * n + 1

    def _send(self, side, flags, payload=b""):
        if side == "c":
            fr = tcp_frame(self.cmac, BROKER_MAC, self.cip, BROKER_IP,
                           self.cport, 1883, self.cseq, self.sseq, flags,
                           payload)
        else:
            fr = tcp_frame(BROKER_MAC, self.cmac, BROKER_IP, self.cip,
                           1883, self.cport, self.sseq, self.cseq, flags,
                           payload)
        self.w.write(fr)
        grow = len(payload) + (1 if flags & (SYN | FIN) else 0)
        if side == "c":
            self.cseq += grow
        else:
            self.sseq += grow

    def open(self):
        self.cseq -= 1
        self.sseq -= 1
        self._send("c", SYN)
        self._send("s", SYN | ACK)
        self._send("c", ACK)

    def data(self, side, payload):
        self._send(side, PSH | ACK, payload)
        self._send("s" if side == "c" else "c", ACK)

    def close(self):
        self._send("c", FIN | ACK)
        self._send("s", FIN | ACK)
        self._send("c", ACK)


def play(w, n, case):
    c = Conn(w, n)
    c.open()
    if case.first is None:
        c.data("c", connect(case.version))
    elif case.first:
        c.data("c", case.first)
    if case.side == "s":
        for side, p in case.before:
            c.data(side, p)
        if case.ptype != "CONNACK":
            if not case.before:
                c.data("s", connack(case.version))
        c.data("s", case.bad)
        c.data("c", PINGREQ)
        c.data("s", case.after or PINGRESP)
    elif case.ptype == "CONNECT":
        c.data("c", case.bad)
        if case.level_ok:
            c.data("s", connack(case.version))
        c.data("c", case.after or PINGREQ)
        c.data("s", PINGRESP)
    else:
        c.data("s", connack(case.version))
        for side, p in case.before:
            c.data(side, p)
        c.data("c", case.bad)
        reply = answer(case.version, case.bad)
        if reply:
            c.data("s", reply)
        c.data("c", case.after or PINGREQ)
        c.data("s", PINGRESP)
    c.close()


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_PCAP
    expected = sys.argv[2] if len(sys.argv) > 2 else DEFAULT_EXPECTED
    all_cases = cases()
    # CONNACK is answered before the (UN)SUBSCRIBE of server-side cases.
    for case in all_cases:
        if case.side == "s" and case.before:
            case.before.insert(0, ("s", connack(case.version)))
    w = Writer(out)
    for n, case in enumerate(all_cases, 1):
        play(w, n, case)
    w.close()
    with open(expected, "w") as f:
        f.write("# Generated by captures/craft_violations.py (expectations are\n"
                "# written there, from the MQTT 3.1.1 and 5.0 specifications).\n"
                "# conn  type-of-bad-packet  rule ids (\"-\": none)  # case\n")
        for n, case in enumerate(all_cases, 1):
            rules = " ".join(case.rules) if case.rules else "-"
            if case.xfail:
                rules += " @xfail"
            f.write("%d %s %s  # v%d %s%s\n" % (
                n, case.ptype, rules, case.version, case.what,
                " (XFAIL: %s)" % case.xfail if case.xfail else ""))
    print("%s: %d cases" % (out, len(all_cases)))


if __name__ == "__main__":
    main()
