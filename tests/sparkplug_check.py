"""Cross-check of the Sparkplug B decoding against what the publisher sent.

Usage: sparkplug_check.py EXPECTED.jsonl < mqttdissect -T json output

EXPECTED has one line per Sparkplug PUBLISH a client sent to the broker, in
order, as captures/clients/sparkplug.py wrote it while recording: the topic
and the "sparkplug" object mqttdissect must show. Every PUBLISH to port 1883
on an spBv1.0/ topic (but STATE, which is JSON) is compared with the next
expected line, member by member: integers exactly (64-bit values too),
doubles exactly, Float values (and FloatArray elements, DataSet Float
columns) as 32-bit floats. Alias-only metrics of data and commands must
carry the name (and, when they have none, the datatype) the births sent,
marked name_from_birth / datatype_from_birth, the value typed by it.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "support"))
import jsonl  # noqa: E402



def member(want, got, k, path, floats32):
    """A member of an object: Float metrics' values (and FloatArray
    elements) compare as 32-bit floats, DataSet rows by their column types."""
    if k == "rows" and "types" in want:  # DataSet: columns typed
        return same_rows(want, got, path)
    f = floats32 or want.get("datatype") in ("Float", "FloatArray") or \
        want.get("type") in ("Float", "FloatArray")
    return same(want[k], got[k], path + "." + k, f and k == "value")


def same(want, got, path, floats32):
    return jsonl.same(want, got, path, floats32, member)

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


SIGNED_BITS = {"Int8": 8, "Int16": 16, "Int32": 32, "Int64": 64}


def birth_names(want, births, rec, where):
    """Alias-only metrics of NDATA/DDATA/NCMD/DCMD: mqttdissect adds the
    name and datatype the Edge Node's births gave (name_from_birth,
    datatype_from_birth). Checks them against the births sent (`births`:
    (group, edge) -> alias -> (name, datatype), learnt from the expected
    NBIRTH and DBIRTH lines), then takes them out of rec so that the rest
    compares with what was sent. An error string, or None."""
    sp = want["sparkplug"]
    key = (sp["group_id"], sp["edge_node_id"])
    kind = sp["message_type"]
    if kind == "NBIRTH":
        births[key] = {}
    if kind in ("NBIRTH", "DBIRTH"):
        for m in sp.get("metrics", []):
            if "alias" in m and "name" in m:
                births.setdefault(key, {})[m["alias"]] = (m["name"], m.get("datatype"))
    table = births.get(key, {})
    gm = (rec.get("sparkplug") or {}).get("metrics", [])
    for i, (wm, g) in enumerate(zip(sp.get("metrics", []), gm)):
        path = "sparkplug.metrics[%d]" % i
        alias_only = kind in ("NDATA", "DDATA", "NCMD", "DCMD") and "alias" in wm and "name" not in wm
        if alias_only and wm["alias"] in table:
            name, dt = table[wm["alias"]]
            if g.get("name") != name or g.get("name_from_birth") is not True:
                return "%s: want the birth's name %r, got %r" % (path, name, g)
            if "datatype" not in wm and dt and (g.get("datatype") != dt or g.get("datatype_from_birth") is not True):
                return "%s: want the birth's datatype %r, got %r" % (path, dt, g)
        elif "name_from_birth" in g or "datatype_from_birth" in g:
            return "%s: a name or datatype from a birth where none applies: %r" % (path, g)
        if g.pop("name_from_birth", None):
            g.pop("name")
        if g.pop("datatype_from_birth", None):
            dt = g.pop("datatype")
            bits = SIGNED_BITS.get(dt)
            v = g.get("value")
            if bits and isinstance(v, int) and isinstance(wm.get("value"), int):
                # typed by the birth: the wire form was its low bits, unsigned
                wire = wm["value"]
                mask = (1 << bits) - 1
                low = wire & mask
                if low >> (bits - 1):
                    low -= 1 << bits
                if v != low:
                    return "%s: want %d (wire %d as %s), got %r" % (path, low, wire, dt, v)
                g["value"] = wire
    return None


def main():
    expected = jsonl.read(sys.argv[1])
    got = [rec for rec in jsonl.publishes(jsonl.read(sys.stdin), "spBv1.0/")
           if jsonl.to_broker(rec) and not rec["topic"].startswith("spBv1.0/STATE/")]
    if len(got) != len(expected):
        print("FAIL: %d Sparkplug PUBLISH sent to the broker, %d expected" % (len(got), len(expected)))
        return 1
    births = {}
    named = 0
    for i, (want, rec) in enumerate(zip(expected, got)):
        where = "frame %s (%s)" % (rec.get("frame"), want["topic"])
        named += sum(1 for m in (rec.get("sparkplug") or {}).get("metrics", []) if m.get("name_from_birth"))
        err = birth_names(want, births, rec, where)
        if err:
            print("FAIL: %s: %s" % (where, err))
            return 1
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
    if named == 0:
        print("FAIL: no metric named from the births")
        return 1
    print("sparkplug: %d messages decoded as they were sent, %d alias-only metrics named from the births"
          % (len(expected), named))
    return 0


sys.exit(main())
