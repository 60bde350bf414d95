"""Binary and compressed payloads as publishers really send them, for
captures/payloads.pcap: CBOR (python3-cbor2), MessagePack (python3-msgpack),
gzip- and zlib-compressed JSON (the standard library), against the broker.

Publishers (topics under enc/):
  MQTT 5, Content Type application/cbor    enc/cbor/ct      (chosen by it)
  MQTT 5 and 3.1.1, no Content Type        enc/cbor/plain   (--decode ...=cbor)
  MQTT 5, application/msgpack, and
          application/x-msgpack            enc/msgpack/ct
  MQTT 5 and 3.1.1, no Content Type        enc/msgpack/plain (--decode ...=msgpack)
  MQTT 3.1.1, gzip and zlib JSON           enc/zip/gzip, enc/zip/zlib
                                           (--decode enc/zip/#=gzip+json)
A subscriber (MQTT 5) on enc/# gets every message back from the broker, the
Content Type with it.

Argument: a file to write, one JSON line per PUBLISH sent to the broker in
order: {"topic", "key", "value"[, "float32"]}: the payload member that
mqttdissect's JSON must show ("cbor", "msgpack", or "json" for decompressed
JSON) and its value, with bytes as hex, MessagePack extensions as
{"ext", "data"} and timestamps as {"timestamp": {"seconds", "nanoseconds"}}
(tests/payloads_check.py compares them). "float32": the floats were sent as
32-bit floats.
"""
import datetime
import gzip
import json
import sys
import zlib

import cbor2
import msgpack

from mqdclient import SyncClient, PacketTypes, props, settle

OUT = open(sys.argv[1], "w") if len(sys.argv) > 1 else None


def shown(v):
    """A value as the decoders show it in JSON."""
    if isinstance(v, (bytes, bytearray)):
        return v.hex()
    if isinstance(v, dict):
        return {str(k): shown(x) for k, x in v.items()}
    if isinstance(v, msgpack.Timestamp):
        return {"timestamp": {"seconds": v.seconds, "nanoseconds": v.nanoseconds}}
    if isinstance(v, msgpack.ExtType):  # a namedtuple: before the tuples
        return {"ext": v.code, "data": v.data.hex()}
    if isinstance(v, (list, tuple)):
        return [shown(x) for x in v]
    if isinstance(v, datetime.datetime):  # CBOR tag 0: the tag is dropped
        return v.isoformat().replace("+00:00", "Z")
    return v


def expect(topic, key, value, float32=False):
    if OUT:
        line = {"topic": topic, "key": key, "value": value}
        if float32:
            line["float32"] = True
        OUT.write(json.dumps(line) + "\n")


# A reading as a sensor gateway sends it, with the edge cases of each format.
READING = {
    "device": "th-01", "seq": 1, "temp": 21.5, "hum": 40.25, "ok": True,
    "fault": None, "raw": b"\x00\x01\xfe\xff", "samples": [1, -2, 300, -70000],
    "u64max": 2 ** 64 - 1, "i64min": -2 ** 63, "name": "caf\u00e9 \u2603",
    "nested": {"a": [], "b": {}, "c": [[1.1, -0.5]]},
}
UTC = datetime.timezone.utc


def cbor_messages():
    """(payload bytes, the JSON mqttdissect shows)."""
    out = []
    v = dict(READING, at=datetime.datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC))
    out.append((cbor2.dumps(v), shown(v)))
    # canonical: the shortest float that holds the value (half, single)
    v = {"t": 1.5, "x": 100000.0, "y": 1.1, "k": {1: "int key", -3: "negative"}}
    out.append((cbor2.dumps(v, canonical=True), shown(v)))
    v = [b"\x01" * 40, "s" * 300, list(range(30))]  # 1- and 2-byte lengths
    out.append((cbor2.dumps(v), shown(v)))
    return out


def msgpack_messages():
    """(payload bytes, the JSON mqttdissect shows, float32)."""
    out = []
    v = dict(READING)
    out.append((msgpack.packb(v, use_bin_type=True), shown(v), False))
    v = {"t": 21.5, "y": 0.1, "ts": msgpack.Timestamp(1700000000, 0),
         "ts64": msgpack.Timestamp(1700000000, 123456789),
         "ts96": msgpack.Timestamp(-1, 999999999),
         "ts_far": msgpack.Timestamp(2 ** 35, 0),
         "ext": msgpack.ExtType(42, b"\x01\x02\x03"), 7: "int key", -8: "negative"}
    out.append((msgpack.packb(v, use_bin_type=True, use_single_float=True), shown(v), True))
    v = [b"\x02" * 300, "m" * 3000, list(range(20)),
         [0, 127, 128, 255, 256, 65535, 65536, 2 ** 32, -1, -32, -33, -128, -129,
          -32768, -32769, -2 ** 31, -2 ** 31 - 1]]
    out.append((msgpack.packb(v, use_bin_type=True), shown(v), False))
    return out


def json_messages():
    """(topic, compressed bytes, the JSON text)."""
    small = json.dumps({"device": "th-02", "temp": -3.25, "ok": False})
    big = json.dumps({"device": "logger-9", "readings": [
        {"i": i, "v": round(i * 0.37, 2), "s": "ok" if i % 7 else "warn"}
        for i in range(120)]})
    return [("enc/zip/gzip", gzip.compress(small.encode(), mtime=0), small),
            ("enc/zip/zlib", zlib.compress(small.encode()), small),
            ("enc/zip/gzip", gzip.compress(big.encode(), mtime=0), big),
            ("enc/zip/zlib", zlib.compress(big.encode(), 9), big)]


def main():
    sub = SyncClient("enc-sub", version="5")
    sub.connect()
    sub.subscribe("enc/#", qos=1)
    sent = 0

    v5 = SyncClient("enc-pub-5", version="5")
    v5.connect()
    cbor = cbor_messages()
    for payload, value in cbor:
        v5.publish("enc/cbor/ct", payload, qos=1,
                   properties=props(PacketTypes.PUBLISH, ContentType="application/cbor"))
        expect("enc/cbor/ct", "cbor", value)
        sent += 1
    payload, value = cbor[0]
    v5.publish("enc/cbor/plain", payload, qos=0)
    expect("enc/cbor/plain", "cbor", value)
    sent += 1
    mp = msgpack_messages()
    for (payload, value, f32), ct in zip(mp, ("application/msgpack", "application/x-msgpack",
                                              "application/msgpack")):
        v5.publish("enc/msgpack/ct", payload, qos=1,
                   properties=props(PacketTypes.PUBLISH, ContentType=ct))
        expect("enc/msgpack/ct", "msgpack", value, f32)
        sent += 1
    payload, value, f32 = mp[0]
    v5.publish("enc/msgpack/plain", payload, qos=0)
    expect("enc/msgpack/plain", "msgpack", value, f32)
    sent += 1
    v5.disconnect()

    v3 = SyncClient("enc-pub-311", version="3.1.1")
    v3.connect()
    v3.publish("enc/cbor/plain", cbor[1][0], qos=1)
    expect("enc/cbor/plain", "cbor", cbor[1][1])
    v3.publish("enc/msgpack/plain", mp[1][0], qos=1)
    expect("enc/msgpack/plain", "msgpack", mp[1][1], mp[1][2])
    sent += 2
    for topic, payload, text in json_messages():
        v3.publish(topic, payload, qos=1)
        expect(topic, "json", json.loads(text))
        sent += 1
    v3.disconnect()

    sub.wait_messages(sent)
    settle()
    sub.disconnect()


main()
