"""CBOR payloads: mqttdissect's JSON against tshark's CBOR dissector.

Usage: payloads_tshark.py OURS.jsonl THEIRS.pdml

OURS is mqttdissect -T json of captures/payloads.pcap (with the capture's
--decode rules); THEIRS is tshark -T pdml of it with the payloads of enc/cbor/
topics dissected as CBOR (the MQTT Message Decoding table). Every PUBLISH on
enc/cbor/, both directions, in order: tshark's item tree is turned into the
value mqttdissect shows (maps as objects with integer keys as their decimal
strings, byte strings as hex, tags dropped, simple values true, false, null,
undefined as null) and compared member by member: integers exactly, floats
from their bits at their own precision.
"""
import os
import re
import struct
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "support"))
import jsonl  # noqa: E402
from jsonl import F32  # noqa: E402

ITEMS = {"cbor.item.map", "cbor.item.array", "cbor.item.textstring",
         "cbor.item.bytestring", "cbor.item.unsigned_integer",
         "cbor.item.negative_integer", "cbor.item.float_or_simple",
         "cbor.item.tag"}


def child(el, name):
    for c in el:
        if c.get("name") == name:
            return c
    return None


def items(el):
    return [c for c in el if c.get("name") in ITEMS]


def number_in(showname):
    return int(re.search(r"(-?\d+)\s*$", showname).group(1))


def value(el):
    name = el.get("name")
    if name == "cbor.item.map":
        kids = items(el)
        out = {}
        for k, v in zip(kids[0::2], kids[1::2]):
            out[str(value(k))] = value(v)
        return out
    if name == "cbor.item.array":
        return [value(c) for c in items(el)]
    if name == "cbor.item.textstring":
        t = child(el, "cbor.type.textstring")
        return bytes.fromhex(t.get("value")).decode("utf-8") if t is not None else ""
    if name == "cbor.item.bytestring":
        b = child(el, "cbor.type.bytestring")
        return b.get("value") if b is not None else ""
    if name == "cbor.item.unsigned_integer":
        return number_in(child(el, "cbor.type.uint").get("showname"))
    if name == "cbor.item.negative_integer":
        return number_in(child(el, "cbor.type.nint").get("showname"))
    if name == "cbor.item.tag":
        return value(items(el)[0])
    for fmt, field in ((">e", "cbor.type.float16"), (">f", "cbor.type.float32"),
                       (">d", "cbor.type.float64")):
        f = child(el, field)
        if f is not None:
            x = struct.unpack(fmt, bytes.fromhex(f.get("value")))[0]
            return x if fmt == ">d" else F32(x)
    simple = int(child(el, "cbor.type.simple_data").get("show"))
    return {20: False, 21: True, 22: None, 23: None}[simple]


def main():
    ours = jsonl.publishes(jsonl.read(sys.argv[1]), "enc/cbor/")
    theirs = []
    for packet in ET.parse(sys.argv[2]).getroot():
        for proto in packet:
            if proto.get("name") == "cbor":
                theirs.append(value(items(proto)[0]))
    if len(ours) != len(theirs) or not ours:
        print("FAIL: %d CBOR PUBLISH in mqttdissect, %d in tshark" % (len(ours), len(theirs)))
        return 1
    for rec, want in zip(ours, theirs):
        err = jsonl.same(want, rec.get("payload", {}).get("cbor"), "payload.cbor")
        if err:
            print("FAIL: frame %s (%s): %s" % (rec.get("frame"), rec["topic"], err))
            return 1
    print("cbor vs tshark: %d messages equal" % len(ours))
    return 0


sys.exit(main())
