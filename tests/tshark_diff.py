#!/usr/bin/env python3
"""Differential test: mqttdissect -T json against tshark's MQTT dissector.

    tshark_diff.py MQTTDISSECT SOURCE_DIR [CAPTURE ...]

For every capture (default: captures/*.pcap, *.pcapng and
captures/perturbed/*.pcap), per direction of every TCP connection
(src ip:port -> dst ip:port), the sequence of
    (frame, packet type, topic, packet id, QoS)
must be the same in both decoders. topic is the PUBLISH topic name, or the
list of topic filters of SUBSCRIBE/UNSUBSCRIBE; QoS is the PUBLISH QoS.
frame is the frame that completed the message: tshark shows a reassembled
PDU at the frame holding its last byte, as mqttdissect does.

Deliberate differences are named, checked, and counted, never skipped:
  websocket  ws_*.pcap, port 8080: tshark 4.0 has no MQTT-over-WebSocket
             dissector and shows no MQTT; mqttdissect decodes every message,
             with transport "websocket": check both.
  mqtt-sn    MQTT-SN over UDP is not MQTT over TCP: those records are left
             out here (tests/sn.test.sh compares them with tshark's MQTT-SN
             dissector); tshark must show no MQTT in such a capture.
  tls        tls.pcap: both see no MQTT; mqttdissect reports a tls event
             per connection.
  alias      a 5.0 PUBLISH with an empty topic and a Topic Alias: tshark
             shows the topic the alias stands for; mqttdissect shows the
             topic on the wire (""). Check that tshark's topic is the one the
             alias was last given in that direction (per our own output).
  out-of-order  perturbed captures (and any capture tshark flags with
             tcp.analysis.out_of_order/retransmission/...): tshark's
             desegmentation drops out-of-order data. Check that every
             message tshark decodes is in our sequence (same order; frame
             numbers ignored) and that we decode at least as many.
  malformed  a topic we flag with an error (cut short, containing U+0000,
             an empty filter): tshark shows it its own way (cut at U+0000,
             no field); all else about that message must agree.
  midstream  a direction whose SYN is not in the capture (midstream.pcap):
             its first bytes may be the middle of a message. Both decoders'
             sequences are printed. Without a midstream/resync event from
             us, the sequences must agree exactly (today both decode the
             middle of a PUBLISH payload as a bogus PINGRESP, which we flag
             with errors); with one, every message tshark decodes after its
             first must be in ours.
Extra decoder arguments per capture come from tests/golden/ports.txt
("NAME ARGS..."); "-p PORTS" there becomes tshark's -d tcp.port==P,mqtt.
Standard library only.
"""
import glob
import json
import os
import subprocess
import sys
from collections import defaultdict

TSHARK_FIELDS = "frame ip ipv6 tcp mqtt"


def load_ports(src_dir):
    table = {}
    path = os.path.join(src_dir, "tests", "golden", "ports.txt")
    if os.path.exists(path):
        for line in open(path):
            line = line.split("#", 1)[0].split()
            if line:
                table[line[0]] = line[1:]
    return table


def mqtt_ports(args):
    ports = []
    for i, a in enumerate(args):
        if a in ("-p", "--port") and i + 1 < len(args):
            ports += [p for p in args[i + 1].split(",") if p]
    return ports


def endpoint(addr, port):
    return "%s:%s" % (addr.strip("[]"), port)


def our_endpoint(text):
    host, _, port = text.rpartition(":")
    return endpoint(host, port)


# ---- our side -----------------------------------------------------------------

SN_RECORDS = [0]  # MQTT-SN records of the capture being read


def run_ours(binary, capture, args):
    SN_RECORDS[0] = 0
    p = subprocess.run([binary, "-r", capture, "-T", "json", "--color", "never"]
                       + args, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError("mqttdissect -r %s exited %d: %s" % (
            capture, p.returncode, p.stderr.strip()))
    msgs, events = defaultdict(list), defaultdict(list)
    for line in p.stdout.splitlines():
        o = json.loads(line)
        if o.get("transport") == "udp":
            SN_RECORDS[0] += 1
            continue
        d = (our_endpoint(o["src"]), our_endpoint(o["dst"]))
        (events if "event" in o else msgs)[d].append(o)
    return msgs, events


def our_topic(o):
    if o["type"] == "PUBLISH":
        return o.get("topic")
    if o["type"] in ("SUBSCRIBE", "UNSUBSCRIBE"):
        return [f.get("topic") for f in o.get("filters", [])]
    return None


def our_alias(o):
    for p in o.get("properties") or []:
        if p.get("key") == "topic_alias":
            return p.get("value")
    return None


def our_item(o):
    return (o["frame"], o["header"]["type"], our_topic(o), o.get("packet_id"),
            o.get("qos") if o["type"] == "PUBLISH" else None)


# ---- tshark's side --------------------------------------------------------------

def as_list(v):
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


def run_tshark(capture, ports):
    cmd = ["tshark", "-r", capture, "-o", "tcp.desegment_tcp_streams:TRUE",
           "-T", "json", "-J", TSHARK_FIELDS, "--no-duplicate-keys"]
    for p in ports:
        cmd += ["-d", "tcp.port==%s,mqtt" % p]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError("tshark -r %s exited %d: %s" % (
            capture, p.returncode, p.stderr.strip()))
    msgs = defaultdict(list)
    syn_seen = set()
    flagged = False
    for pkt in json.loads(p.stdout or "[]"):
        layers = pkt["_source"]["layers"]
        tcp = layers.get("tcp")
        if isinstance(tcp, list):
            tcp = tcp[0]
        if not tcp:
            continue
        ip = layers.get("ip") or layers.get("ipv6")
        if isinstance(ip, list):
            ip = ip[-1]
        if not ip:
            continue
        src = ip.get("ip.src") or ip.get("ipv6.src")
        dst = ip.get("ip.dst") or ip.get("ipv6.dst")
        d = (endpoint(src, tcp["tcp.srcport"]), endpoint(dst, tcp["tcp.dstport"]))
        flags = tcp.get("tcp.flags_tree", {})
        if flags.get("tcp.flags.syn") == "1":
            syn_seen.add(d)
        analysis = json.dumps(tcp.get("tcp.analysis", {}))
        if any(k in analysis for k in ("out_of_order", "retransmission",
                                       "lost_segment", "overlap")):
            flagged = True
        frame = int(layers["frame"]["frame.number"])
        for m in as_list(layers.get("mqtt")):
            if not isinstance(m, dict) or "mqtt.hdrflags_tree" not in m:
                continue
            hdr = m["mqtt.hdrflags_tree"]
            mtype = int(hdr["mqtt.msgtype"])
            topics = as_list(m.get("mqtt.topic"))
            if mtype == 3:
                topic = topics[0] if topics else ""
            elif mtype in (8, 10):
                topic = topics
            else:
                topic = None
            msgid = m.get("mqtt.msgid")
            qos = int(hdr["mqtt.qos"]) if mtype == 3 and "mqtt.qos" in hdr else None
            msgs[d].append((frame, mtype, topic,
                            int(msgid) if msgid is not None else None, qos))
    return msgs, syn_seen, flagged


# ---- comparison ------------------------------------------------------------------

class Tally:
    def __init__(self):
        self.captures = 0
        self.ours = 0
        self.theirs = 0
        self.agree = 0
        self.deliberate = defaultdict(int)
        self.failures = []

    def fail(self, text):
        self.failures.append(text)
        print("  FAIL " + text)


def is_subsequence(small, big):
    it = iter(big)
    return all(any(x == y for y in it) for x in small)


def without_frame(items):
    return [i[1:] for i in items]


def compare_direction(name, d, ours_objs, theirs, t):
    """Exact comparison, with the alias difference named and checked."""
    aliases = {}
    ours = []
    alias_diffs = 0
    for k, o in enumerate(ours_objs):
        item = our_item(o)
        alias = our_alias(o)
        if o["type"] == "PUBLISH" and alias is not None:
            if o.get("topic"):
                aliases[alias] = o["topic"]
            elif k < len(theirs) and theirs[k][2] and theirs[k][2] != "":
                if theirs[k][2] != aliases.get(alias):
                    t.fail("%s %s->%s frame %d: tshark's aliased topic %r is "
                           "not what alias %d was set to (%r)" % (
                               name, d[0], d[1], o["frame"], theirs[k][2],
                               alias, aliases.get(alias)))
                item = item[:2] + (theirs[k][2],) + item[3:]
                alias_diffs += 1
        ours.append(item)
    # A malformed topic (cut, with U+0000, empty filter) that we flag with
    # an error: tshark shows the string its own way (cut at U+0000, no field
    # for an empty or cut string). Everything but the topic must agree.
    malformed = 0
    for k, o in enumerate(ours_objs):
        if k < len(theirs) and ours[k] != theirs[k] and \
                ours[k][:2] + ours[k][3:] == theirs[k][:2] + theirs[k][3:] and \
                any(v["severity"] == "error" for v in o["violations"]):
            ours[k] = theirs[k]
            malformed += 1
    if ours == theirs:
        t.agree += len(ours) - alias_diffs - malformed
        if alias_diffs:
            t.deliberate["alias (tshark resolves Topic Alias)"] += alias_diffs
        if malformed:
            t.deliberate["malformed topic we flag (tshark shows it its way)"] += malformed
        return
    for k, (a, b) in enumerate(zip(ours, theirs)):
        if a != b:
            t.fail("%s %s->%s message %d: ours %s, tshark %s" % (
                name, d[0], d[1], k, a, b))
            return
    t.fail("%s %s->%s: ours %d messages, tshark %d (first extra: %s)" % (
        name, d[0], d[1], len(ours), len(theirs),
        (ours[len(theirs):] or theirs[len(ours):])[:1]))


def check_capture(binary, capture, args, t):
    name = os.path.basename(capture)
    ours, events = run_ours(binary, capture, args)
    theirs, syn_seen, flagged = run_tshark(capture, mqtt_ports(args))
    n_ours = sum(len(v) for v in ours.values())
    n_theirs = sum(len(v) for v in theirs.values())
    t.captures += 1
    t.ours += n_ours
    t.theirs += n_theirs
    nfail = len(t.failures)
    kind = "exact"
    if name.startswith("ws_"):
        kind = "websocket"
        not_ws = sum(1 for v in ours.values() for o in v
                     if o.get("transport") != "websocket")
        if n_theirs or not n_ours or not_ws:
            t.fail("%s: expected MQTT over WebSocket from us only: ours %d "
                   "(%d not websocket), tshark %d" % (name, n_ours, not_ws,
                                                      n_theirs))
        else:
            t.deliberate["websocket (we decode it, tshark 4.0 cannot)"] += 1
    elif SN_RECORDS[0]:
        kind = "mqtt-sn"
        if n_ours or n_theirs:
            t.fail("%s: MQTT-SN capture with MQTT over TCP: ours %d, tshark %d"
                   % (name, n_ours, n_theirs))
        else:
            t.deliberate["mqtt-sn (UDP; compared in sn.test.sh)"] += 1
    elif name.startswith("tls"):
        kind = "tls"
        tls_events = sum(1 for v in events.values() for e in v
                         if e["event"] == "tls")
        if n_ours or n_theirs or not tls_events:
            t.fail("%s: expected no MQTT and tls events, ours %d messages "
                   "%d tls events, tshark %d" % (name, n_ours, tls_events,
                                                 n_theirs))
        else:
            t.deliberate["tls (both: no MQTT; we report tls events)"] += 1
    elif "/perturbed/" in capture or flagged:
        kind = "out-of-order"
        for d in sorted(set(ours) | set(theirs)):
            mine = without_frame(our_item(o) for o in ours.get(d, []))
            tsh = without_frame(theirs.get(d, []))
            if not is_subsequence(tsh, mine):
                t.fail("%s %s->%s: tshark decodes messages we do not "
                       "(ours %d, tshark %d)" % (name, d[0], d[1], len(mine),
                                                 len(tsh)))
        t.agree += n_theirs
        t.deliberate["out-of-order (tshark drops data, decodes fewer)"] += 1
    else:
        midstream = [d for d in set(ours) | set(theirs)
                     if d not in syn_seen and d[::-1] not in syn_seen]
        if midstream:
            kind = "midstream"
            t.deliberate["midstream (documented per direction)"] += 1
            print("  midstream: no SYN seen for %d direction(s)" % len(midstream))
        for d in sorted(set(ours) | set(theirs)):
            if d in midstream:
                mine = ours.get(d, [])
                print("  midstream %s->%s: ours %s; tshark %s" % (
                    d[0], d[1],
                    [(o["frame"], o["type"], len(o["violations"])) for o in mine]
                    + [(e["frame"], e["event"]) for e in events.get(d, [])],
                    [(i[0], i[1]) for i in theirs.get(d, [])]))
                marked = any(e["event"] in ("midstream", "resync")
                             for e in events.get(d, []))
                if marked:
                    tsh = theirs.get(d, [])[1:]
                    if not is_subsequence(tsh, [our_item(o) for o in mine]):
                        t.fail("%s %s->%s: after the start, tshark decodes "
                               "messages we do not" % (name, d[0], d[1]))
                    t.agree += len(tsh)
                    continue
            compare_direction(name, d, ours.get(d, []), theirs.get(d, []), t)
    print("%-32s %-13s ours %5d, tshark %5d%s" % (
        name, kind, n_ours, n_theirs,
        "" if len(t.failures) == nfail else "  FAILED"))


def main(argv):
    binary, src_dir = argv[1], argv[2]
    captures = argv[3:]
    if not captures:
        for pat in ("captures/*.pcap", "captures/*.pcapng",
                    "captures/perturbed/*.pcap"):
            captures += sorted(glob.glob(os.path.join(src_dir, pat)))
    ports = load_ports(src_dir)
    t = Tally()
    for cap in captures:
        try:
            check_capture(binary, cap, ports.get(os.path.basename(cap), []), t)
        except (RuntimeError, ValueError) as e:
            t.fail(str(e))
    print("tshark differential: %d captures; messages: ours %d, tshark %d; "
          "%d agree exactly" % (t.captures, t.ours, t.theirs, t.agree))
    for k, v in sorted(t.deliberate.items()):
        print("  deliberate difference %-50s %d" % (k, v))
    print("  failures: %d" % len(t.failures))
    return 1 if t.failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
