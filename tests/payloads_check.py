"""Cross-check of the CBOR, MessagePack and compressed-JSON decoding against
what the publishers sent.

Usage: payloads_check.py EXPECTED.jsonl < mqttdissect -T json --decode ...

EXPECTED has one line per PUBLISH the clients sent to the broker, in order,
as captures/clients/payloads.py wrote it while recording: the topic, the
payload member mqttdissect must show ("cbor", "msgpack", or "json" after
decompression) and its value. The PUBLISHes to port 1883 are compared with
it in order, and so are those the broker forwarded to the subscriber (the
same messages, in the same order). Values member by member: integers
exactly (64-bit too), floats exactly, as 32-bit floats where the line says
"float32"; no member missing or extra.
"""
import json
import struct
import sys


def f32(x):
    return struct.pack("<f", x)


def same(want, got, path, floats32):
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return "%s: want an object, got %r" % (path, got)
        if set(want) != set(got):
            return "%s: keys differ: want %s, got %s" % (path, sorted(want), sorted(got))
        for k in want:
            err = same(want[k], got[k], path + "." + k, floats32)
            if err:
                return err
        return None
    if isinstance(want, list):
        if not isinstance(got, list) or len(want) != len(got):
            return "%s: want %r, got %r" % (path, want, got)
        for i, (w, g) in enumerate(zip(want, got)):
            err = same(w, g, "%s[%d]" % (path, i), floats32)
            if err:
                return err
        return None
    if isinstance(want, float) and not isinstance(got, bool) and isinstance(got, (int, float)):
        ok = f32(want) == f32(got) if floats32 else float(got) == want
        return None if ok else "%s: want %r, got %r" % (path, want, got)
    if type(want) is not type(got) or want != got:
        return "%s: want %r, got %r" % (path, want, got)
    return None


def compare(expected, recs, what):
    if len(recs) != len(expected):
        print("FAIL: %d PUBLISH %s, %d expected" % (len(recs), what, len(expected)))
        return False
    for want, rec in zip(expected, recs):
        where = "frame %s (%s, %s)" % (rec.get("frame"), want["topic"], what)
        payload = rec.get("payload", {})
        if rec.get("topic") != want["topic"]:
            print("FAIL: %s: topic %r" % (where, rec.get("topic")))
            return False
        if "decode_error" in payload:
            print("FAIL: %s: %s" % (where, payload["decode_error"]))
            return False
        if want["key"] not in payload:
            print("FAIL: %s: no payload.%s in %s" % (where, want["key"], sorted(payload)))
            return False
        err = same(want["value"], payload[want["key"]], "payload." + want["key"],
                   want.get("float32", False))
        if err:
            print("FAIL: %s: %s" % (where, err))
            return False
    return True


def main():
    expected = [json.loads(line) for line in open(sys.argv[1])]
    sent, forwarded = [], []
    for line in sys.stdin:
        rec = json.loads(line)
        if rec.get("type") != "PUBLISH" or not rec.get("topic", "").startswith("enc/"):
            continue
        (sent if rec.get("dst", "").endswith(":1883") else forwarded).append(rec)
    if not (compare(expected, sent, "sent to the broker") and
            compare(expected, forwarded, "forwarded to the subscriber")):
        return 1
    kinds = sorted({w["key"] for w in expected})
    print("payloads: %d messages (%s) decoded as they were sent, both ways"
          % (len(expected), ", ".join(kinds)))
    return 0


sys.exit(main())
