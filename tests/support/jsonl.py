"""What the checks of mqttdissect -T json output share: reading JSON lines,
picking the PUBLISH records, and comparing an expected value with the one
mqttdissect shows, member by member (integers exactly, floats exactly or as
32-bit floats, no member missing or extra), with the path of the first
difference.

Used by tests/payloads_check.py, payloads_tshark.py and sparkplug_check.py
(they put tests/support on sys.path).
"""
import json
import struct


def read(src):
    """The JSON values of a JSON-lines file (a path or an open file)."""
    f = open(src) if isinstance(src, str) else src
    return [json.loads(line) for line in f]


def publishes(recs, prefix=""):
    """The PUBLISH records whose topic starts with prefix, in order."""
    return [r for r in recs
            if r.get("type") == "PUBLISH" and r.get("topic", "").startswith(prefix)]


def to_broker(rec):
    """True for a packet sent to the broker's port 1883."""
    return rec.get("dst", "").endswith(":1883")


class F32(float):
    """A float known to have been sent as half or single precision: always
    compared as a 32-bit float."""


def f32(x):
    return struct.pack("<f", x)


def same(want, got, path, floats32=False, member=None):
    """None when got is want, else a message saying where they differ.
    Floats compare as 32-bit floats when floats32 is true or want is an F32.
    member(want, got, key, path, floats32), when given, compares each member
    of an object instead of the plain recursion (and gets it passed on)."""
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return "%s: want an object, got %r" % (path, got)
        if set(want) != set(got):
            return "%s: keys differ: want %s, got %s" % (path, sorted(want), sorted(got))
        for k in want:
            if member:
                err = member(want, got, k, path, floats32)
            else:
                err = same(want[k], got[k], path + "." + k, floats32)
            if err:
                return err
        return None
    if isinstance(want, list):
        if not isinstance(got, list) or len(want) != len(got):
            return "%s: want %r, got %r" % (path, want, got)
        for i, (w, g) in enumerate(zip(want, got)):
            err = same(w, g, "%s[%d]" % (path, i), floats32, member)
            if err:
                return err
        return None
    if isinstance(want, float) and not isinstance(got, bool) and isinstance(got, (int, float)):
        as32 = floats32 or isinstance(want, F32)
        ok = f32(want) == f32(got) if as32 else float(got) == want
        return None if ok else "%s: want %r, got %r" % (path, want, got)
    if type(want) is not type(got) or want != got:
        return "%s: want %r, got %r" % (path, want, got)
    return None
