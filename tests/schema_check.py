#!/usr/bin/python3
"""Checks mqttdissect's JSON against cli/output/mqttdissect.schema.json.

  schema_check.py SCHEMA SRC_DIR FILE.jsonl...

1. Every line of every FILE is valid against the schema (draft 2020-12).
2. The schema and the code agree: every JSON key the code writes as a
   literal (jw_key/jw_kv_* and the helpers that take a key, event fields,
   keys inside C string literals) is a property somewhere in the schema,
   and every event name the code emits has its definition, and the reverse
   (an event in the schema that no code emits). A key added to the code
   without its schema entry fails here, named with its file.
Prints what failed; exits 1 on any failure.
"""
import glob
import json
import os
import re
import sys

import jsonschema

# Functions whose first string-literal argument is a JSON member name.
KEY_FUNCS = (r"jw_key|jw_key_n|jw_kv_\w+|json_field_str|json_properties|payload_json_raw|"
             r"payload_json_write|json_text_or_hex|json_kv_sstr|json_limits|json_num|"
             r"json_opt_str|json_str_field|json_topics|json_datatype|event_u64|event_str|"
             r"event_bool|output_event_u64|output_event_str|output_event_bool")
# Functions whose string-literal arguments are event names (all of them:
# a ternary may choose among several); print_event's second is a key.
EVENT_FUNCS = r"event_init|pipeline_mqtt_event_begin|output_event_begin|print_event"
# Folders and files of cli/ that write -T json (EVE, text and the rule
# listing have formats of their own; cbor_json.c and msgpack_json.c copy keys from data).
SOURCES = ["cli/*.c", "cli/output/*.c", "cli/analysis/*.c", "cli/transport/*.c",
           "cli/net/*.c", "cli/decode/*.c"]
NOT_JSON = {"out_eve.c", "out_text.c", "out_text_tree.c", "out_rules.c", "cbor_json.c", "msgpack_json.c",
            "json_writer.c"}
LITERAL = r'"((?:[^"\\]|\\.)*)"'


def code_names(src):
    keys, events = {}, {}
    for pattern in SOURCES:
        for path in sorted(glob.glob(os.path.join(src, pattern))):
            if os.path.basename(path) in NOT_JSON:
                continue
            rel = os.path.relpath(path, src)
            text = re.sub(r"/\*.*?\*/", "", open(path, encoding="utf-8").read(), flags=re.S)
            for m in re.finditer(r"\b(%s)\s*\(([^;{}]*?)\)\s*[;)]" % KEY_FUNCS, text, flags=re.S):
                lits = re.findall(LITERAL, m.group(2))
                if lits and lits[0]:
                    keys.setdefault(lits[0], set()).add(rel)
            for m in re.finditer(r"\b(%s)\s*\(([^;{}]*?)\)\s*[;)]" % EVENT_FUNCS, text, flags=re.S):
                lits = re.findall(LITERAL, m.group(2))
                if m.group(1) == "print_event" and len(lits) >= 2:
                    keys.setdefault(lits[1], set()).add(rel)
                    lits = lits[:1]
                for lit in lits:
                    events.setdefault(lit, set()).add(rel)
            # JSON written by hand in a C string: \"key\": and \"event\":\"name\"
            for m in re.finditer(r'\\"event\\":\\"(\w+)\\"', text):
                events.setdefault(m.group(1), set()).add(rel)
            for m in re.finditer(r'\\"(\w+)\\":', text):
                keys.setdefault(m.group(1), set()).add(rel)
    return keys, events


def schema_names(schema):
    props, events = set(), set()

    def walk(node):
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "properties" and isinstance(v, dict):
                    props.update(v)
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(schema)
    for name, d in schema["$defs"].items():
        if name.startswith("event_"):
            events.add(d["properties"]["event"]["const"])
    return props, events


# Members that differ on nearly every line (where, when, which exchange):
# a line whose other members (and which of these it has) were already
# validated in another line has only these checked, against their own
# definitions; anything else is validated whole. That is exact, and 25
# times faster on the bundled captures.
VOLATILE = ("frame", "ts", "stream_off", "conn", "src", "dst", "community_id", "reply_to",
            "latency_us", "flow_start", "flow_latency_us", "packet_id", "size")


def main():
    schema_path, src, files = sys.argv[1], sys.argv[2], sys.argv[3:]
    schema = json.load(open(schema_path, encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    mqtt = schema["$defs"]["mqtt_message"]["properties"]
    volatile_validator = jsonschema.Draft202012Validator({
        "type": "object", "properties": {k: mqtt[k] for k in VOLATILE}})
    shapes = set()
    failures = 0
    lines = 0
    seen = {}
    for path in files:
        for n, line in enumerate(open(path, encoding="utf-8"), 1):
            lines += 1
            obj = json.loads(line)
            kind = obj.get("event") or ("stats" if "stats" in obj else
                                        "sn" if obj.get("version") == "sn1.2" else "mqtt")
            seen[kind] = seen.get(kind, 0) + 1
            rest = {k: v for k, v in obj.items() if k not in VOLATILE}
            shape = json.dumps(rest, sort_keys=True) + "|" + ",".join(k for k in VOLATILE if k in obj)
            if shape in shapes:
                errors = volatile_validator.iter_errors({k: obj[k] for k in VOLATILE if k in obj})
            else:
                shapes.add(shape)
                errors = validator.iter_errors(obj)
            for e in errors:
                failures += 1
                if failures <= 20:
                    print("FAIL: %s line %d: at /%s: %s" % (
                        os.path.basename(path), n, "/".join(str(p) for p in e.absolute_path),
                        e.message[:300]))
    if failures > 20:
        print("FAIL: ... %d schema errors in all" % failures)
    keys, events = code_names(src)
    props, schema_events = schema_names(schema)
    bad = 0
    for k in sorted(keys):
        if k not in props:
            bad += 1
            print("FAIL: JSON key \"%s\" (written in %s) is not in %s"
                  % (k, ", ".join(sorted(keys[k])), os.path.basename(schema_path)))
    for e in sorted(events):
        if e not in schema_events:
            bad += 1
            print("FAIL: event \"%s\" (emitted in %s) has no definition in %s"
                  % (e, ", ".join(sorted(events[e])), os.path.basename(schema_path)))
    for e in sorted(schema_events - set(events)):
        bad += 1
        print("FAIL: event \"%s\" is in the schema, but no code emits it" % e)
    if len(keys) < 150 or len(events) < 20:
        bad += 1
        print("FAIL: found only %d keys and %d events in the code: the scan is broken"
              % (len(keys), len(events)))
    print("%d lines validated, %d whole (%s); %d keys and %d events of the code in the schema"
          % (lines, len(shapes), ", ".join("%s %d" % kv for kv in sorted(seen.items())), len(keys), len(events)))
    return 1 if failures or bad else 0


if __name__ == "__main__":
    sys.exit(main())
