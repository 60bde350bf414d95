"""Small synchronous wrapper around paho-mqtt (Debian python3-paho-mqtt 1.6)
used by the capture scenarios in captures/record.sh.

Every call waits for the broker's answer (CONNACK, SUBACK, the end of the QoS
flow, ...) so the order of packets on the wire is the same on every run.
Only the standard library and paho are used.
"""

import os
import sys
import threading
import time

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

TIMEOUT = 10.0


def _fragmented_frames(wrapper, data, size, mode):
    """Frame one outgoing MQTT packet as several WebSocket frames of at most
    SIZE payload bytes (RFC 6455 section 5.4; MQTT 5.0 section 6.0 allows an
    MQTT packet to span WebSocket frames).
    mode "continuation": one message: BINARY (FIN=0), CONTINUATION..., FIN=1.
    mode "split": several complete BINARY messages, each FIN=1."""
    chunks = [data[i:i + size] for i in range(0, len(data), size)]
    out = bytearray()
    for i, chunk in enumerate(chunks):
        last = i == len(chunks) - 1
        if mode == "continuation":
            opcode = wrapper.OPCODE_BINARY if i == 0 else wrapper.OPCODE_CONTINUATION
        else:
            opcode = wrapper.OPCODE_BINARY
        frame = wrapper._create_frame(opcode, bytearray(chunk))
        if mode == "continuation" and not last:
            frame[0] &= 0x7F  # clear FIN
        out.extend(frame)
    return out


def _patch_paho_websocket_send():
    """Two changes to paho 1.6.1's WebsocketWrapper._send_impl:
    1. paho loses a packet when a WebSocket send is partial: the wrapper
       returns 0 and Client._packet_write then drops the packet it popped.
       Raise BlockingIOError instead, which _packet_write handles by
       re-queueing the packet; the wrapper keeps the unsent rest of its frame.
    2. If the wrapper has an mqd_fragment = (size, mode) attribute, packets
       larger than size are sent as several frames (see _fragmented_frames).
    """
    original = mqtt.WebsocketWrapper._send_impl

    def send_impl(self, data):
        fragment = getattr(self, "mqd_fragment", None)
        if fragment and len(self._sendbuffer) == 0 and len(data) > fragment[0]:
            self._sendbuffer.extend(
                _fragmented_frames(self, data, fragment[0], fragment[1]))
            self._requested_size = len(data)
        sent = original(self, data)
        if sent == 0 and len(data) > 0:
            raise BlockingIOError("partial WebSocket frame sent")
        return sent

    mqtt.WebsocketWrapper._send_impl = send_impl


_patch_paho_websocket_send()

VERSIONS = {
    "3.1": mqtt.MQTTv31,
    "3.1.1": mqtt.MQTTv311,
    "5": mqtt.MQTTv5,
}


def broker_host():
    return os.environ.get("MQD_HOST", "127.0.0.1")


def broker_port(default=1883):
    return int(os.environ.get("MQD_PORT", str(default)))


def props(packet_type, **values):
    """Build a paho Properties object: props(PacketTypes.PUBLISH, ContentType="x")."""
    p = Properties(packet_type)
    for name, value in values.items():
        setattr(p, name, value)
    return p


def fail(msg):
    sys.stderr.write("mqdclient: %s\n" % msg)
    sys.exit(1)


class SyncClient:
    """One MQTT connection whose calls block until the broker has answered."""

    def __init__(self, client_id, version="3.1.1", transport="tcp",
                 clean=True, keepalive=60):
        self.version = VERSIONS[version]
        self.client_id = client_id
        kwargs = dict(client_id=client_id, protocol=self.version,
                      transport=transport)
        if self.version != mqtt.MQTTv5:
            kwargs["clean_session"] = clean
        self.clean = clean
        self.keepalive = keepalive
        self.c = mqtt.Client(**kwargs)
        self.cond = threading.Condition()
        self.connack = None
        self.done_mids = set()
        self.messages = []
        self.c.on_connect = self._on_connect
        self.c.on_subscribe = self._on_done_mid
        self.c.on_unsubscribe = self._on_done_mid
        self.c.on_publish = self._on_publish
        self.c.on_message = self._on_message

    # ---- paho callbacks (network thread) ----
    def _on_connect(self, client, userdata, flags, rc, properties=None):
        with self.cond:
            self.connack = rc
            self.cond.notify_all()

    def _on_done_mid(self, client, userdata, mid, *rest):
        with self.cond:
            self.done_mids.add(mid)
            self.cond.notify_all()

    def _on_publish(self, client, userdata, mid):
        self._on_done_mid(client, userdata, mid)

    def _on_message(self, client, userdata, msg):
        with self.cond:
            self.messages.append(msg)
            self.cond.notify_all()

    # ---- helpers ----
    def _wait(self, predicate, what):
        with self.cond:
            if not self.cond.wait_for(predicate, TIMEOUT):
                fail("%s: timed out waiting for %s" % (self.client_id, what))

    def _wait_mid(self, mid, what):
        self._wait(lambda: mid in self.done_mids, what)

    # ---- public API ----
    def will(self, topic, payload, qos=0, retain=False, properties=None):
        self.c.will_set(topic, payload, qos, retain, properties)

    def ws_fragment(self, size, mode):
        """After connect(): send MQTT packets larger than SIZE bytes as
        several WebSocket frames ("continuation" or "split", see above)."""
        self.c.socket().mqd_fragment = (size, mode)

    def login(self, username, password):
        self.c.username_pw_set(username, password)

    def connect(self, host=None, port=None, properties=None, expect_ok=True):
        host = host or broker_host()
        port = port or broker_port()
        kwargs = dict(keepalive=self.keepalive)
        if self.version == mqtt.MQTTv5:
            kwargs["clean_start"] = self.clean
            kwargs["properties"] = properties
        self.c.connect(host, port, **kwargs)
        self.c.loop_start()
        self._wait(lambda: self.connack is not None, "CONNACK")
        if expect_ok and self.connack != 0:
            fail("%s: CONNACK refused: %s" % (self.client_id, self.connack))
        return self.connack

    def subscribe(self, topic, qos=0, properties=None, **options):
        """topic may be a string or a list of (filter, qos) tuples."""
        if self.version == mqtt.MQTTv5 and isinstance(topic, str):
            opts = SubscribeOptions(qos=qos, **options)
            rc, mid = self.c.subscribe(topic, options=opts,
                                       properties=properties)
        else:
            rc, mid = self.c.subscribe(topic, qos, properties=properties)
        if rc != mqtt.MQTT_ERR_SUCCESS:
            fail("subscribe failed: %s" % rc)
        self._wait_mid(mid, "SUBACK")

    def unsubscribe(self, topic, properties=None):
        rc, mid = self.c.unsubscribe(topic, properties=properties)
        if rc != mqtt.MQTT_ERR_SUCCESS:
            fail("unsubscribe failed: %s" % rc)
        self._wait_mid(mid, "UNSUBACK")

    def publish(self, topic, payload, qos=0, retain=False, properties=None):
        info = self.c.publish(topic, payload, qos, retain, properties)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            fail("publish failed: %s" % info.rc)
        self._wait_mid(info.mid, "end of QoS %d flow" % qos)

    def wait_messages(self, count):
        self._wait(lambda: len(self.messages) >= count,
                   "%d messages (have %d)" % (count, len(self.messages)))
        return self.messages[:count]

    def disconnect(self, properties=None):
        self.c.disconnect(properties=properties)
        self.c.loop_stop()

    def abort(self):
        """Close the TCP connection without sending DISCONNECT, so the broker
        must publish the will (MQTT 3.1.1 section 3.1.2.5)."""
        self.c.loop_stop()
        sock = self.c.socket()
        if sock is not None:
            sock.close()


def settle(seconds=0.2):
    """Let the last packets (acks, FINs) reach the wire before the next step."""
    time.sleep(seconds)


def pattern_payload(size, seed=1):
    """Deterministic pseudo-random bytes (32-bit LCG, high byte of state)."""
    out = bytearray(size)
    state = seed & 0xFFFFFFFF
    for i in range(size):
        state = (state * 1103515245 + 12345) & 0xFFFFFFFF
        out[i] = state >> 24
    return bytes(out)


__all__ = ["SyncClient", "PacketTypes", "props", "settle", "pattern_payload",
           "broker_host", "broker_port", "fail"]
