"""Sparkplug B: mqttdissect's decoding against tshark's protobuf dissector.

Usage: sparkplug_tshark.py OURS.jsonl THEIRS.pdml

OURS is mqttdissect -T json of a capture; THEIRS is tshark -T pdml of the
same capture with the payloads of spBv1.0/ topics dissected as protobuf
message mqd.spb.Payload (pbf_as_hf on). Every PUBLISH on an spBv1.0/ topic
but STATE, in order, both directions, is compared: the payload's seq and
timestamp, then metric by metric the name, alias and datatype where they are
on the wire, and the value from its wire field as the Sparkplug spec says to
read it: Int8/16/32 sign-extended from int_value, Int64 from long_value,
Float and Double from their bits, Boolean, String/Text/UUID as UTF-8, Bytes
and File as hex, arrays unpacked from bytes_value (little-endian; Boolean:
a count then bits from the top; String: NUL-terminated). DataSet, Template
and PropertySet values are nested messages: only their metric's name,
alias and datatype are compared.
"""
import json
import struct
import sys
import xml.etree.ElementTree as ET

PB = "pbf.mqd.spb.Payload."
DATATYPES = ["Unknown", "Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16",
             "UInt32", "UInt64", "Float", "Double", "Boolean", "String",
             "DateTime", "Text", "UUID", "DataSet", "Bytes", "File", "Template",
             "PropertySet", "PropertySetList", "Int8Array", "Int16Array",
             "Int32Array", "Int64Array", "UInt8Array", "UInt16Array",
             "UInt32Array", "UInt64Array", "FloatArray", "DoubleArray",
             "BooleanArray", "StringArray", "DateTimeArray"]
SIGNED = {"Int8": 8, "Int16": 16, "Int32": 32, "Int64": 64}
ARRAY = {"Int8Array": "b", "Int16Array": "h", "Int32Array": "i", "Int64Array": "q",
         "UInt8Array": "B", "UInt16Array": "H", "UInt32Array": "I",
         "UInt64Array": "Q", "FloatArray": "f", "DoubleArray": "d",
         "DateTimeArray": "q"}
NESTED = ("DataSet", "Template", "PropertySet", "PropertySetList")


def f32(x):
    return struct.pack("<f", x)


def sign(v, bits):
    v &= (1 << bits) - 1
    return v - (1 << bits) if v >> (bits - 1) else v


def tshark_messages(path):
    """[(frame, topic, {field: element}, [metric {short name: element}])]."""
    out = []
    for packet in ET.parse(path).getroot():
        frame = None
        topic = None
        for proto in packet:
            name = proto.get("name")
            if name == "frame":
                f = proto.find("field[@name='frame.number']")
                frame = int(f.get("show"))
            elif name == "mqtt":
                t = proto.find("field[@name='mqtt.topic']")
                typ = proto.find(".//field[@name='mqtt.msgtype']")
                topic = t.get("show") if t is not None and typ is not None and \
                    typ.get("show") == "3" else None
            elif name == "protobuf" and topic is not None:
                top, metrics = {}, []
                for f in proto:
                    fname = f.get("name", "")
                    if fname == PB + "metrics":
                        metrics.append({c.get("name")[len(PB + "Metric."):]: c
                                        for c in f if c.get("name", "").startswith(PB + "Metric.")})
                    elif fname.startswith(PB):
                        top[fname[len(PB):]] = f
                out.append((frame, topic, top, metrics))
                topic = None
    return out


def raw(el):
    return bytes.fromhex(el.get("value"))


def wire_value(dt, m):
    """The metric's value as the spec reads it from tshark's fields, or
    (False,) when it is not compared."""
    if dt in NESTED:
        return (False,)
    if dt in SIGNED:
        el = m.get("int_value" if SIGNED[dt] < 64 else "long_value")
        return (True, sign(int(el.get("show")), SIGNED[dt])) if el is not None else (False,)
    if dt in ("UInt8", "UInt16", "UInt32"):
        return (True, int(m["int_value"].get("show")))
    if dt in ("UInt64", "DateTime"):
        return (True, int(m["long_value"].get("show")))
    if dt == "Float":
        return (True, struct.unpack("<f", raw(m["float_value"]))[0])
    if dt == "Double":
        return (True, struct.unpack("<d", raw(m["double_value"]))[0])
    if dt == "Boolean":
        return (True, m["boolean_value"].get("show") == "1")
    if dt in ("String", "Text", "UUID"):
        return (True, raw(m["string_value"]).decode("utf-8"))
    if dt in ("Bytes", "File"):
        return (True, raw(m["bytes_value"]).hex())
    if dt in ARRAY:
        b = raw(m["bytes_value"])
        size = struct.calcsize(ARRAY[dt])
        return (True, list(struct.unpack("<%d%s" % (len(b) // size, ARRAY[dt]), b)))
    if dt == "BooleanArray":
        b = raw(m["bytes_value"])
        n = struct.unpack("<I", b[:4])[0]
        return (True, [bool(b[4 + i // 8] & (0x80 >> (i % 8))) for i in range(n)])
    if dt == "StringArray":
        b = raw(m["bytes_value"])
        return (True, [s.decode("utf-8") for s in b.split(b"\0")[:-1]])
    return (False,)


def number(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def same(dt, want, got):
    """JSON has one number type: 1.0 may print as 1."""
    if dt in ("Float", "FloatArray", "Double", "DoubleArray"):
        eq = (lambda w, g: f32(w) == f32(g)) if dt.startswith("Float") else \
            (lambda w, g: float(g) == w)
        want = want if isinstance(want, list) else [want]
        got = got if isinstance(got, list) else [got]
        return len(want) == len(got) and all(number(g) and eq(w, g) for w, g in zip(want, got))
    return type(want) is type(got) and want == got


def compare(ours, theirs):
    if len(ours) != len(theirs):
        return "%d Sparkplug PUBLISH in mqttdissect, %d in tshark" % (len(ours), len(theirs))
    values = 0
    for rec, (frame, topic, top, metrics) in zip(ours, theirs):
        where = "frame %s/%s (%s)" % (rec.get("frame"), frame, topic)
        if rec["topic"] != topic:
            return "%s: topic %r in mqttdissect" % (where, rec["topic"])
        spb = rec.get("sparkplug", {})
        for key in ("seq", "timestamp"):
            if key in top and spb.get(key) != int(top[key].get("show")):
                return "%s: %s %r, tshark %s" % (where, key, spb.get(key), top[key].get("show"))
        got = spb.get("metrics", [])
        if len(got) != len(metrics):
            return "%s: %d metrics, tshark %d" % (where, len(got), len(metrics))
        for i, (g, m) in enumerate(zip(got, metrics)):
            at = "%s metric %d" % (where, i)
            if "name" in m and g.get("name") != m["name"].get("show"):
                return "%s: name %r, tshark %r" % (at, g.get("name"), m["name"].get("show"))
            if "alias" in m and g.get("alias") != int(m["alias"].get("show")):
                return "%s: alias %r, tshark %s" % (at, g.get("alias"), m["alias"].get("show"))
            if "datatype" in m:
                dt = DATATYPES[int(m["datatype"].get("show"))]
                if g.get("datatype") != dt:
                    return "%s: datatype %r, tshark %s" % (at, g.get("datatype"), dt)
            dt = g.get("datatype")  # from the birth when not on the wire
            if g.get("is_null"):
                continue
            v = wire_value(dt, m)
            if not v[0]:
                continue
            if not same(dt, v[1], g.get("value")):
                return "%s (%s): value %r, tshark %r" % (at, dt, g.get("value"), v[1])
            values += 1
    print("sparkplug vs tshark: %d messages, %d metric values equal"
          % (len(ours), values))
    return None


def main():
    ours = []
    for line in open(sys.argv[1]):
        rec = json.loads(line)
        t = rec.get("topic", "")
        if rec.get("type") == "PUBLISH" and t.startswith("spBv1.0/") and \
                not t.startswith("spBv1.0/STATE/"):
            ours.append(rec)
    theirs = [m for m in tshark_messages(sys.argv[2])
              if not m[1].startswith("spBv1.0/STATE/")]
    err = compare(ours, theirs)
    if err:
        print("FAIL: " + err)
        return 1
    return 0


sys.exit(main())
