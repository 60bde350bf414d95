#!/usr/bin/env python3
"""Seeds for the "payload" fuzz target (fuzz/corpus/payload/) from the
PUBLISH payloads of captures/sparkplug.pcap, read with tshark: one file per
distinct Sparkplug message type (the first payload sent of each, and of the
first few DATA messages), prefixed with the byte that picks the decoder
(target_payload.c): 0x04 Sparkplug on a node topic with -V, 0x01 on a device
topic, 0x02 JSON (the STATE payload), 0x03 the topic parser (the topics).

Usage: python3 fuzz/make_payload_corpus.py   (from the repository root)
"""
import os
import subprocess

CAPTURE = "captures/sparkplug.pcap"
OUT = "fuzz/corpus/payload"


def publishes():
    out = subprocess.run(
        ["tshark", "-r", CAPTURE, "-Y", "mqtt.msgtype == 3 && tcp.dstport == 1883",
         "-T", "fields", "-E", "occurrence=a", "-e", "mqtt.topic", "-e", "mqtt.msg"],
        check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        topics, msgs = line.split("\t")
        for topic, msg in zip(topics.split(","), msgs.split(",")):
            yield topic, bytes.fromhex(msg)


def main():
    os.makedirs(OUT, exist_ok=True)
    seen = {}
    for topic, payload in publishes():
        kind = topic.split("/")[2] if topic.count("/") >= 2 else "other"
        if "STATE" in topic:
            kind = "STATE"
        seen.setdefault(kind, []).append((topic, payload))
    written = 0
    for kind, items in sorted(seen.items()):
        for i, (topic, payload) in enumerate(items[:3 if "DATA" in kind else 1]):
            if kind == "STATE":
                pick = b"\x02"
            elif topic.count("/") == 4:
                pick = b"\x01"
            else:
                pick = b"\x04"
            name = "%s_%d" % (kind.lower(), i)
            with open(os.path.join(OUT, name), "wb") as f:
                f.write(pick + payload)
            with open(os.path.join(OUT, "topic_" + name), "wb") as f:
                f.write(b"\x03" + topic.encode())
            written += 2
    print("wrote %d seeds to %s" % (written, OUT))


main()
