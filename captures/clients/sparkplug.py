"""Sparkplug B (3.0) traffic: a host application and an edge node with two
devices, against the broker, for captures/sparkplug.pcap.

The payloads are encoded with python3-protobuf from the project's own schema
(cli/decode/sparkplug_b.proto), compiled with protoc into a temp dir when
this runs. The edge node:
  session 1 (MQTT 3.1.1, bdSeq 0, will NDEATH): NBIRTH with every datatype
  (scalars, arrays, DataSet, a Template definition and an instance,
  properties, metadata, null / historical / transient metrics), DBIRTH for
  two devices, NDATA/DDATA by alias until seq wraps past 255, a rebirth on
  the host's NCMD "Node Control/Rebirth", a DCMD answered by DDATA, DDEATH,
  then an NDEATH published and a clean DISCONNECT;
  session 2 (MQTT 5, bdSeq 1): NBIRTH, DBIRTH, DDATA, then the connection
  drops and the broker publishes the will NDEATH.
The host application (MQTT 5) publishes its STATE (JSON, retained, QoS 1)
online and offline and subscribes to spBv1.0/#.

Argument: a file to write the expected decoding to, one JSON line per
Sparkplug PUBLISH sent to the broker in order: {"topic", "sparkplug"} where
"sparkplug" is what mqttdissect's JSON shows (tests/sparkplug.test.sh
compares them).
"""
import json
import os
import struct
import subprocess
import sys
import tempfile

from mqdclient import SyncClient, PacketTypes, props, settle, fail

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO_DIR = os.path.join(HERE, "..", "..", "cli", "decode")

GROUP, EDGE, DEVICES, HOST = "Plant 1", "Edge-A", ("Pump-1", "Tank-2"), "scada-host"
T0 = 1700000000000  # payload timestamps: fixed, so every recording decodes alike


def load_schema():
    tmp = tempfile.mkdtemp(prefix="mqd-spb-")
    subprocess.run(["protoc", "-I", PROTO_DIR, "--python_out", tmp,
                    os.path.join(PROTO_DIR, "sparkplug_b.proto")], check=True)
    sys.path.insert(0, tmp)
    import sparkplug_b_pb2
    return sparkplug_b_pb2


pb = load_schema()
DT = {name: pb.DataType.Value(name) for name in pb.DataType.keys()}
OUT = open(sys.argv[1], "w") if len(sys.argv) > 1 else None


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


# ---------------------------------------------------------------- values
# set_value(msg, datatype, value) fills the oneof of a Metric, a property
# value, a DataSet cell or a Template parameter as Tahu's encoders do, and
# returns the value as mqttdissect shows it.

SIGNED_BITS = {"Int8": 8, "Int16": 16, "Int32": 32, "Int64": 64}
ARRAY_FMT = {"Int8Array": "b", "Int16Array": "h", "Int32Array": "i",
             "Int64Array": "q", "UInt8Array": "B", "UInt16Array": "H",
             "UInt32Array": "I", "UInt64Array": "Q", "FloatArray": "f",
             "DoubleArray": "d", "DateTimeArray": "q"}


def pack_array(dt, values):
    if dt in ARRAY_FMT:
        return struct.pack("<%d%s" % (len(values), ARRAY_FMT[dt]), *values)
    if dt == "BooleanArray":  # count, then bits from the top of each byte
        out = bytearray((len(values) + 7) // 8)
        for i, v in enumerate(values):
            if v:
                out[i // 8] |= 0x80 >> (i % 8)
        return struct.pack("<I", len(values)) + bytes(out)
    if dt == "StringArray":
        return b"".join(s.encode() + b"\0" for s in values)
    raise ValueError(dt)


def set_value(msg, dt, value):
    if dt in ("Int8", "Int16", "Int32", "UInt8", "UInt16", "UInt32"):
        msg.int_value = value & 0xFFFFFFFF  # negative: two's complement in 32 bits
        return value
    if dt in ("Int64", "UInt64", "DateTime"):
        msg.long_value = value & 0xFFFFFFFFFFFFFFFF
        return value
    if dt == "Float":
        msg.float_value = value
        return f32(value)
    if dt == "Double":
        msg.double_value = value
        return value
    if dt == "Boolean":
        msg.boolean_value = value
        return value
    if dt in ("String", "Text", "UUID"):
        msg.string_value = value
        return value
    if dt in ("Bytes", "File"):
        msg.bytes_value = value
        return value.hex()
    if dt in ARRAY_FMT or dt in ("BooleanArray", "StringArray"):
        msg.bytes_value = pack_array(dt, value)
        if dt == "FloatArray":
            return [f32(v) for v in value]
        return list(value)
    raise ValueError(dt)


def set_propset(ps, items):
    """items: [(key, datatype, value)]; value of PropertySet: items again;
    of PropertySetList: a list of items lists. Returns the JSON shown."""
    shown = []
    for key, dt, value in items:
        ps.keys.append(key)
        pv = ps.values.add()
        pv.type = DT[dt]
        entry = {"key": key, "type": dt}
        if dt == "PropertySet":
            entry["value"] = set_propset(pv.propertyset_value, value)
        elif dt == "PropertySetList":
            entry["value"] = [set_propset(pv.propertysets_value.propertyset.add(), v)
                              for v in value]
        else:
            entry["value"] = set_value(pv, dt, value)
        shown.append(entry)
    return shown


def add_metric(payload_or_template, name=None, alias=None, dt=None, value=None,
               ts=None, **extra):
    """Adds a metric; returns the JSON mqttdissect shows for it."""
    m = payload_or_template.metrics.add()
    shown = {}
    if name is not None:
        m.name = name
        shown["name"] = name
    if alias is not None:
        m.alias = alias
        shown["alias"] = alias
    if ts is not None:
        m.timestamp = ts
        shown["timestamp"] = ts
    if dt is not None:
        m.datatype = DT[dt]
        shown["datatype"] = dt
    for flag in ("is_historical", "is_transient", "is_null"):
        if flag in extra:
            setattr(m, flag, extra[flag])
            shown[flag] = extra[flag]
    if "metadata" in extra:
        md = extra["metadata"]
        for k, v in md.items():
            setattr(m.metadata, k, v)
        shown["metadata"] = dict(md)
    if "properties" in extra:
        shown["properties"] = set_propset(m.properties, extra["properties"])
    if "wire_int" in extra:  # no datatype: the wire's int_value
        m.int_value = extra["wire_int"] & 0xFFFFFFFF
        shown["value"] = m.int_value
    elif value is not None:
        if dt == "DataSet":
            shown["value"] = set_dataset(m.dataset_value, value)
        elif dt == "Template":
            shown["value"] = set_template(m.template_value, value)
        else:
            shown["value"] = set_value(m, dt, value)
    return shown


def set_dataset(ds, spec):
    columns, types, rows = spec
    ds.num_of_columns = len(columns)
    ds.columns.extend(columns)
    ds.types.extend(DT[t] for t in types)
    shown_rows = []
    for row in rows:
        r = ds.rows.add()
        shown_rows.append([set_value(r.elements.add(), t, v) for t, v in zip(types, row)])
    return {"num_of_columns": len(columns), "columns": list(columns),
            "types": list(types), "rows": shown_rows}


def set_template(t, spec):
    shown = {}
    for key in ("version", "template_ref"):
        if key in spec:
            setattr(t, key, spec[key])
            shown[key] = spec[key]
    t.is_definition = spec["is_definition"]
    shown["is_definition"] = spec["is_definition"]
    params = []
    for name, dt, value in spec.get("parameters", []):
        p = t.parameters.add()
        p.name = name
        p.type = DT[dt]
        params.append({"name": name, "type": dt, "value": set_value(p, dt, value)})
    if params:
        shown["parameters"] = params
    shown["metrics"] = [add_metric(t, **m) for m in spec["metrics"]]
    return shown


# ---------------------------------------------------------------- messages

class Edge:
    def __init__(self, version, bdseq):
        self.seq = 0
        self.bdseq = bdseq
        self.c = SyncClient("spb-edge-%d" % bdseq, version=version)
        death = self.payload(with_seq=False)
        self.death_shown = self.finish(death, [add_metric(death, "bdSeq", None, "UInt64", bdseq, T0)])
        self.death = death.SerializeToString()
        self.c.will(self.topic("NDEATH"), self.death, qos=1)

    @staticmethod
    def topic(kind, device=None):
        t = "spBv1.0/%s/%s/%s" % (GROUP, kind, EDGE)
        return t + "/" + device if device else t

    def payload(self, with_seq=True):
        p = pb.Payload()
        p.timestamp = T0 + self.seq
        if with_seq:
            p.seq = self.seq
        return p

    @staticmethod
    def finish(p, metrics):
        shown = {"timestamp": p.timestamp}
        if p.HasField("seq"):
            shown["seq"] = p.seq
        if p.HasField("uuid"):
            shown["uuid"] = p.uuid
        if p.HasField("body"):
            shown["body"] = p.body.hex()
        shown["metrics"] = metrics
        return shown

    def send(self, kind, device, p, shown, qos=0):
        topic = self.topic(kind, device)
        self.c.publish(topic, p.SerializeToString(), qos=qos)
        expect(topic, kind, device, shown)
        if p.HasField("seq"):
            self.seq = (self.seq + 1) % 256


def expect(topic, kind, device, shown, edge=EDGE):
    obj = {"group_id": GROUP, "message_type": kind, "edge_node_id": edge}
    if device:
        obj["device_id"] = device
    obj.update(shown)
    if OUT:
        OUT.write(json.dumps({"topic": topic, "sparkplug": obj}, sort_keys=True) + "\n")


# Metric aliases: node 1..99, device d: 100 * (d + 1) + n.
SCALARS = [  # (name, datatype, value)
    ("Scalars/Int8", "Int8", -5), ("Scalars/Int16", "Int16", -300),
    ("Scalars/Int32", "Int32", -70000), ("Scalars/Int64", "Int64", -5000000000),
    ("Scalars/UInt8", "UInt8", 200), ("Scalars/UInt16", "UInt16", 60000),
    ("Scalars/UInt32", "UInt32", 4000000000), ("Scalars/UInt64", "UInt64", 2**64 - 1),
    ("Scalars/Float", "Float", 3.14159), ("Scalars/Double", "Double", 2.718281828459045),
    ("Scalars/Boolean", "Boolean", True), ("Scalars/String", "String", "h\u00e9llo w\u00f6rld"),
    ("Scalars/DateTime", "DateTime", 1699999999123), ("Scalars/Text", "Text", "two\nlines"),
    ("Scalars/UUID", "UUID", "123e4567-e89b-12d3-a456-426614174000"),
    ("Scalars/Bytes", "Bytes", b"\x00\x01\xfe\xff"),
]
ARRAYS = [
    ("Arrays/Int8", "Int8Array", [-1, 0, 127, -128]),
    ("Arrays/Int16", "Int16Array", [-32768, 32767, -2]),
    ("Arrays/Int32", "Int32Array", [-2147483648, 2147483647]),
    ("Arrays/Int64", "Int64Array", [-(2**63), 2**63 - 1, -1]),
    ("Arrays/UInt8", "UInt8Array", [0, 255]),
    ("Arrays/UInt16", "UInt16Array", [65535, 1]),
    ("Arrays/UInt32", "UInt32Array", [4294967295, 7]),
    ("Arrays/UInt64", "UInt64Array", [2**64 - 1, 0]),
    ("Arrays/Float", "FloatArray", [1.5, -0.1, 1e-30]),
    ("Arrays/Double", "DoubleArray", [0.1, -1e300]),
    ("Arrays/Boolean", "BooleanArray", [True, False, True, True, False, False, False, False, True]),
    ("Arrays/String", "StringArray", ["a", "b c", "", "\u00fcber"]),
    ("Arrays/DateTime", "DateTimeArray", [1700000000000, 0]),
]
MOTOR_DEF = {"version": "v1.2", "is_definition": True,
             "parameters": [("Scale", "Int16", -2), ("Label", "String", "motor")],
             "metrics": [{"name": "RPM", "dt": "UInt16", "value": 0},
                         {"name": "Running", "dt": "Boolean", "value": False}]}
MOTOR_1 = {"version": "v1.2", "template_ref": "Motor", "is_definition": False,
           "parameters": [("Scale", "Int16", 3)],
           "metrics": [{"name": "RPM", "dt": "UInt16", "value": 1450},
                       {"name": "Running", "dt": "Boolean", "value": True}]}
TEMP_PROPS = [("engUnit", "String", "degC"), ("engLow", "Double", -40.0),
              ("engHigh", "Float", 125.5), ("quality", "Int32", 192),
              ("limits", "PropertySet", [("hi", "Int8", -1), ("lo", "UInt64", 2**63)]),
              ("history", "PropertySetList", [[("n", "Int16", -7)], [("n", "Boolean", True)]])]


def nbirth(edge, full=True):
    p = edge.payload()
    ms = [add_metric(p, "bdSeq", None, "UInt64", edge.bdseq, T0),
          add_metric(p, "Node Control/Rebirth", 1, "Boolean", False, T0)]
    if full:
        for i, (name, dt, v) in enumerate(SCALARS + ARRAYS):
            ms.append(add_metric(p, name, 10 + i, dt, v, T0))
        ms.append(add_metric(p, "File/config.xml", 50, "File", b"<a/>\n", T0,
                             metadata={"is_multi_part": False, "content_type": "application/xml",
                                       "size": 5, "file_name": "config.xml", "file_type": "xml",
                                       "md5": "0123456789abcdef0123456789abcdef",
                                       "description": "the running config"}))
        ms.append(add_metric(p, "Table/Recent", 51, "DataSet",
                             (["id", "name", "temp", "ok"], ["Int32", "String", "Float", "Boolean"],
                              [[-1, "first", 20.5, True], [2, "second", -3.25, False]]), T0))
        ms.append(add_metric(p, "_types_/Motor", None, "Template", MOTOR_DEF, T0))
        ms.append(add_metric(p, "Motors/M1", 52, "Template", MOTOR_1, T0))
        ms.append(add_metric(p, "Temperature", 53, "Double", 21.5, T0, properties=TEMP_PROPS))
        ms.append(add_metric(p, "Unset", 54, "Int32", None, T0, is_null=True))
        ms.append(add_metric(p, "Counter", 55, "UInt32", 0, T0, is_transient=True))
    edge.send("NBIRTH", None, p, Edge.finish(p, ms))


def dbirth(edge, d):
    p = edge.payload()
    base = 100 * (d + 1)
    ms = [add_metric(p, "Level", base + 1, "Int16", -12, T0),
          add_metric(p, "Flow", base + 2, "Double", 0.125, T0),
          add_metric(p, "Output", base + 3, "Boolean", False, T0)]
    edge.send("DBIRTH", DEVICES[d], p, Edge.finish(p, ms))


def data(edge, i):
    """The i-th data message: NDATA, DDATA Pump-1, DDATA Tank-2 in turn,
    metrics by alias only."""
    p = edge.payload()
    which = i % 3
    if which == 0:
        # alias and value only (no datatype): shown as the wire has them,
        # unsigned, until the state rules know the births' datatypes
        ms = [add_metric(p, None, 55, None, None, T0 + i, wire_int=i),
              add_metric(p, None, 10, None, None, T0 + i, wire_int=-(i % 128))]
        edge.send("NDATA", None, p, Edge.finish(p, ms))
    else:
        base = 100 * which
        ms = [add_metric(p, None, base + 1, "Int16", -i, T0 + i),
              add_metric(p, None, base + 2, "Double", i / 8.0, T0 + i)]
        if i % 50 == 1:  # now and then a historical value
            ms.append(add_metric(p, None, base + 2, "Double", 0.5, T0, is_historical=True))
        edge.send("DDATA", DEVICES[which - 1], p, Edge.finish(p, ms))


class Host:
    def __init__(self):
        self.c = SyncClient("spb-host", version="5")
        self.c.will("spBv1.0/STATE/" + HOST,
                    json.dumps({"online": False, "timestamp": T0}).encode(),
                    qos=1, retain=True)

    def connect(self):
        self.c.connect()
        self.c.subscribe("spBv1.0/#", qos=1)
        self.state(True, T0)

    def state(self, online, ts):
        self.c.publish("spBv1.0/STATE/" + HOST,
                       json.dumps({"online": online, "timestamp": ts}).encode(),
                       qos=1, retain=True)

    def cmd(self, kind, device, metrics):
        topic = Edge.topic(kind, device)
        p = pb.Payload()
        p.timestamp = T0 + 999
        shown = [add_metric(p, **m) for m in metrics]
        self.c.publish(topic, p.SerializeToString(), qos=0)
        expect(topic, kind, device, {"timestamp": p.timestamp, "metrics": shown})


def wait_cmd(edge, count):
    msgs = edge.c.wait_messages(count)
    return msgs[count - 1]


def main():
    host = Host()
    host.connect()

    # session 1: MQTT 3.1.1, bdSeq 0
    edge = Edge("3.1.1", 0)
    edge.c.connect()
    edge.c.subscribe([(Edge.topic("NCMD"), 0), (Edge.topic("DCMD") + "/+", 0)])
    nbirth(edge)
    dbirth(edge, 0)
    dbirth(edge, 1)
    for i in range(262):  # seq 3 .. 255, 0 .. 8: wraps past 255
        data(edge, i)
    settle()
    host.cmd("NCMD", None, [{"name": "Node Control/Rebirth", "dt": "Boolean", "value": True}])
    msg = wait_cmd(edge, 1)
    rebirth = pb.Payload.FromString(msg.payload)
    if not any(m.name == "Node Control/Rebirth" and m.boolean_value for m in rebirth.metrics):
        fail("sparkplug: the NCMD did not ask for a rebirth")
    edge.seq = 0
    nbirth(edge, full=False)
    dbirth(edge, 0)
    dbirth(edge, 1)
    host.cmd("DCMD", DEVICES[0], [{"alias": 103, "dt": "Boolean", "value": True}])
    wait_cmd(edge, 2)
    p = edge.payload()
    edge.send("DDATA", DEVICES[0], p, Edge.finish(p, [add_metric(p, None, 103, "Boolean", True, T0 + 5)]))
    p = edge.payload()
    edge.send("DDEATH", DEVICES[1], p, Edge.finish(p, []))
    # NDEATH published by the node itself (QoS 1, as the will would be)
    edge.c.publish(Edge.topic("NDEATH"), edge.death, qos=1)
    expect(Edge.topic("NDEATH"), "NDEATH", None, edge.death_shown)
    edge.c.disconnect()
    settle()

    # session 2: MQTT 5, bdSeq 1; the connection drops, the will fires
    edge = Edge("5", 1)
    edge.c.connect()
    nbirth(edge, full=False)
    dbirth(edge, 0)
    for i in range(3):
        p = edge.payload()
        edge.send("DDATA", DEVICES[0], p,
                  Edge.finish(p, [add_metric(p, None, 101, "Int16", 30000 + i, T0 + i)]))
    settle()
    edge.c.abort()
    ndeath = Edge.topic("NDEATH")
    host.c._wait(lambda: sum(m.topic == ndeath for m in host.c.messages) >= 2,
                 "the will NDEATH")
    host.state(False, T0 + 1)
    host.c.disconnect()
    settle()
    if OUT:
        OUT.close()


main()
