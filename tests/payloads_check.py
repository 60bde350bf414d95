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
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "support"))
import jsonl  # noqa: E402


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
        err = jsonl.same(want["value"], payload[want["key"]], "payload." + want["key"],
                   want.get("float32", False))
        if err:
            print("FAIL: %s: %s" % (where, err))
            return False
    return True


def main():
    expected = jsonl.read(sys.argv[1])
    sent, forwarded = [], []
    for rec in jsonl.publishes(jsonl.read(sys.stdin), "enc/"):
        (sent if jsonl.to_broker(rec) else forwarded).append(rec)
    if not (compare(expected, sent, "sent to the broker") and
            compare(expected, forwarded, "forwarded to the subscriber")):
        return 1
    kinds = sorted({w["key"] for w in expected})
    print("payloads: %d messages (%s) decoded as they were sent, both ways"
          % (len(expected), ", ".join(kinds)))
    return 0


sys.exit(main())
