#!/usr/bin/python3
"""Checks mqttdissect's -T eve output (tests/eve.test.sh).

  check_eve.py schema SCHEMA EVE...      every line validates against SCHEMA
  check_eve.py consumer EVE...           ingest as a Suricata pipeline would
  check_eve.py match EVE JSON            EVE says what -T json says

schema: JSON Schema (draft 2020-12) with python3-jsonschema; exit 77 when the
module is missing.

consumer: what Filebeat's Suricata module, Logstash or Vector rely on when
they read eve.json unchanged: one JSON object per line; "timestamp" parses
with Suricata's format (%Y-%m-%dT%H:%M:%S.%f%z); "event_type" is a string
whose object is present; src_ip/dest_ip parse as IP addresses; ports are
integers 0-65535; flow_id is an integer that fits a signed 64-bit long (and a
double exactly); pcap_cnt an integer; and across all records every dotted
field path keeps one JSON type, so an Elasticsearch index mapping takes
every record (no mapping conflict).

match: the same messages in the same order: one mqtt record per MQTT frame
of -T json (pcap_cnt = frame, the packet type, the addresses, the Community
ID, the timestamp), one anomaly record per violation and per event (an
"oversize" event: an mqtt record with "truncated"), none for MQTT-SN.
"""
import datetime
import ipaddress
import json
import sys


def lines(path):
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            yield n, line


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def cmd_schema(schema_path, paths):
    try:
        import jsonschema
    except ImportError:
        print("SKIP: no python3-jsonschema", file=sys.stderr)
        sys.exit(77)
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    cls = jsonschema.Draft202012Validator
    cls.check_schema(schema)
    v = cls(schema)
    count = 0
    for p in paths:
        for n, line in lines(p):
            rec = json.loads(line)
            errs = sorted(v.iter_errors(rec), key=lambda e: list(e.path))
            if errs:
                e = errs[0]
                fail("%s:%d: %s at %s\n%s" % (p, n, e.message,
                     "/".join(str(x) for x in e.absolute_path), line[:600]))
            count += 1
    print(count)


def json_type(v):
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "long"
    if isinstance(v, float):
        return "double"
    if isinstance(v, str):
        return "keyword"
    if isinstance(v, dict):
        return "object"
    if v is None:
        return "null"
    return "array"


def flatten(prefix, v, out):
    """Dotted paths as Elasticsearch maps them (arrays: their elements)."""
    if isinstance(v, list):
        for x in v:
            flatten(prefix, x, out)
        return
    t = json_type(v)
    if t == "null":
        return
    out.append((prefix, t))
    if t == "object":
        for k, x in v.items():
            flatten(prefix + "." + k if prefix else k, x, out)


def cmd_consumer(paths):
    mapping = {}
    count = 0
    for p in paths:
        for n, line in lines(p):
            where = "%s:%d" % (p, n)
            try:
                rec = json.loads(line)
            except ValueError as e:
                fail("%s: not JSON: %s" % (where, e))
            if not isinstance(rec, dict):
                fail(where + ": not an object")
            try:
                ts = datetime.datetime.strptime(rec["timestamp"], "%Y-%m-%dT%H:%M:%S.%f%z")
            except (KeyError, ValueError) as e:
                fail("%s: timestamp: %s" % (where, e))
            if ts.utcoffset() != datetime.timedelta(0):
                fail(where + ": timestamp not in UTC")
            et = rec.get("event_type")
            if not isinstance(et, str) or not isinstance(rec.get(et), dict):
                fail(where + ": event_type without its object")
            for k in ("src_ip", "dest_ip"):
                try:
                    ipaddress.ip_address(rec[k])
                except (KeyError, ValueError) as e:
                    fail("%s: %s: %s" % (where, k, e))
            for k in ("src_port", "dest_port"):
                v = rec.get(k)
                if type(v) is not int or not 0 <= v <= 65535:
                    fail("%s: %s is not a port number" % (where, k))
            fid = rec.get("flow_id")
            if type(fid) is not int or not 0 < fid < 2**53:
                fail(where + ": flow_id is not an integer below 2^53")
            if type(rec.get("pcap_cnt")) is not int:
                fail(where + ": pcap_cnt is not an integer")
            if rec.get("proto") not in ("TCP", "UDP"):
                fail(where + ": proto")
            paths_types = []
            flatten("", rec, paths_types)
            for path, t in paths_types:
                if t == "double":
                    fail("%s: %s is a float" % (where, path))
                seen = mapping.setdefault(path, (t, where))
                if seen[0] != t:
                    fail("%s: %s is %s, but %s at %s (mapping conflict)"
                         % (where, path, t, seen[0], seen[1]))
            count += 1
    print(count)


def json_ts_to_eve(ts):
    # "2023-11-14T22:13:20.004000Z" -> "2023-11-14T22:13:20.004000+0000"
    return ts[:-1] + "+0000" if ts.endswith("Z") else ts


def split_ep(s):
    host, _, port = s.rpartition(":")
    return host.strip("[]"), int(port)


def cmd_match(eve_path, json_path):
    want = []
    for _, line in lines(json_path):
        r = json.loads(line)
        if r.get("transport") == "udp" or "frame" not in r:
            continue
        if "type" in r:
            want.append(("mqtt", r, r["type"].lower()))
            for v in r.get("violations", []):
                want.append(("anomaly", r, v["name"]))
        elif r["event"] == "oversize":
            want.append(("mqtt", r, r["type"].lower()))
        elif "event" in r:
            want.append(("anomaly", r, None))
    got = [json.loads(line) for _, line in lines(eve_path)]
    if len(got) != len(want):
        fail("%s: %d EVE records, want %d" % (eve_path, len(got), len(want)))
    for i, (g, (et, r, name)) in enumerate(zip(got, want), 1):
        where = "%s: record %d (frame %d)" % (eve_path, i, r["frame"])
        if g["event_type"] != et:
            fail("%s: event_type %s, want %s" % (where, g["event_type"], et))
        if g["pcap_cnt"] != r["frame"]:
            fail("%s: pcap_cnt %d" % (where, g["pcap_cnt"]))
        if g["timestamp"] != json_ts_to_eve(r["ts"]):
            fail("%s: timestamp %s, ts %s" % (where, g["timestamp"], r["ts"]))
        if (g["src_ip"], g["src_port"]) != split_ep(r["src"]) or \
           (g["dest_ip"], g["dest_port"]) != split_ep(r["dst"]):
            fail(where + ": addresses differ from src/dst")
        if g.get("community_id") != r.get("community_id"):
            fail(where + ": community_id")
        if et == "mqtt":
            keys = list(g["mqtt"])
            if name == "reserved":
                continue
            if keys != [name]:
                fail("%s: mqtt object %s, want %s" % (where, keys, name))
            if "event" in r and g["mqtt"][name].get("skipped_length") != r["size"]:
                fail(where + ": skipped_length")
        elif name is not None and g["anomaly"]["event"] != name:
            fail("%s: anomaly %s, want %s" % (where, g["anomaly"]["event"], name))
    print(len(got))


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == "schema":
        cmd_schema(sys.argv[2], sys.argv[3:])
    elif len(sys.argv) >= 3 and sys.argv[1] == "consumer":
        cmd_consumer(sys.argv[2:])
    elif len(sys.argv) == 4 and sys.argv[1] == "match":
        cmd_match(sys.argv[2], sys.argv[3])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
