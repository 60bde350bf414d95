"""Cross-check of the Sparkplug B decoding against what the publisher sent.

Usage: sparkplug_check.py EXPECTED.jsonl < mqttdissect -T json output

EXPECTED has one line per Sparkplug PUBLISH a client sent to the broker, in
order, as captures/clients/sparkplug.py wrote it while recording: the topic
and the "sparkplug" object mqttdissect must show. Every PUBLISH to port 1883
on an spBv1.0/ topic (but STATE, which is JSON) is compared with the next
expected line, member by member: integers exactly (64-bit values too),
doubles exactly, Float values (and FloatArray elements, DataSet Float
columns) as 32-bit floats.
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
        f = floats32 or want.get("datatype") in ("Float", "FloatArray") or \
            want.get("type") in ("Float", "FloatArray")
        for k in want:
            if k == "rows" and "types" in want:  # DataSet: columns typed
                err = same_rows(want, got, path)
            else:
                err = same(want[k], got[k], path + "." + k, f and k == "value")
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


def same_rows(want, got, path):
    if len(want["rows"]) != len(got.get("rows", [])):
        return "%s.rows: want %d rows, got %r" % (path, len(want["rows"]), got.get("rows"))
    for r, (wr, gr) in enumerate(zip(want["rows"], got["rows"])):
        if len(wr) != len(gr):
            return "%s.rows[%d]: want %r, got %r" % (path, r, wr, gr)
        for c, (w, g) in enumerate(zip(wr, gr)):
            err = same(w, g, "%s.rows[%d][%d]" % (path, r, c), want["types"][c] == "Float")
            if err:
                return err
    return None


def main():
    expected = [json.loads(line) for line in open(sys.argv[1])]
    got = []
    for line in sys.stdin:
        rec = json.loads(line)
        if rec.get("type") != "PUBLISH" or not rec.get("dst", "").endswith(":1883"):
            continue
        topic = rec.get("topic", "")
        if not topic.startswith("spBv1.0/") or topic.startswith("spBv1.0/STATE/"):
            continue
        got.append(rec)
    if len(got) != len(expected):
        print("FAIL: %d Sparkplug PUBLISH sent to the broker, %d expected" % (len(got), len(expected)))
        return 1
    for i, (want, rec) in enumerate(zip(expected, got)):
        where = "frame %s (%s)" % (rec.get("frame"), want["topic"])
        if rec["topic"] != want["topic"]:
            print("FAIL: %s: topic %r" % (where, rec["topic"]))
            return 1
        if "decode_error" in rec.get("payload", {}):
            print("FAIL: %s: %s" % (where, rec["payload"]["decode_error"]))
            return 1
        err = same(want["sparkplug"], rec.get("sparkplug"), "sparkplug", False)
        if err:
            print("FAIL: %s: %s" % (where, err))
            return 1
    print("sparkplug: %d messages decoded as they were sent" % len(expected))
    return 0


sys.exit(main())
