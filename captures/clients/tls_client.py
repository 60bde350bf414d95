"""One MQTT 3.1.1 client over TLS that writes its secrets to a key log
(NSS key log format, ssl.SSLContext.keylog_filename), for the decryption
captures of captures/record_tls.sh.

Usage: tls_client.py CAFILE KEYLOG CLIENT_ID [tls1.2] [no-etm] [wss] [v5] [BIG_BYTES]
Connects to broker.test:$MQD_PORT (TLS, the certificate checked against
CAFILE), subscribes to tls/<CLIENT_ID>, publishes "secret over TLS from
<CLIENT_ID>" at QoS 1 and waits for it to come back; with BIG_BYTES also a
message of that many pattern bytes (QoS 1), which spans many TLS records.
no-etm: the client does not offer encrypt-then-MAC (RFC 7366), so a CBC
suite runs MAC-then-encrypt. wss: MQTT over WebSocket over TLS (path
/mqtt). v5: MQTT 5.0 instead of 3.1.1.
One TCP connection, so both directions carry every message.
"""
import os
import ssl
import sys
import threading

import paho.mqtt.client as mqtt
from mqdclient import pattern_payload

cafile, keylog, cid = sys.argv[1], sys.argv[2], sys.argv[3]
rest = sys.argv[4:]
tls12 = "tls1.2" in rest
no_etm = "no-etm" in rest
wss = "wss" in rest
v5 = "v5" in rest
big = int(rest[-1]) if rest and rest[-1].isdigit() else 0
port = int(os.environ.get("MQD_PORT", "8883"))
topic = "tls/" + cid
TIMEOUT = 10.0

ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.load_verify_locations(cafile)
ctx.keylog_filename = keylog
if tls12:
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
if no_etm:
    ctx.options |= 1 << 19  # SSL_OP_NO_ENCRYPT_THEN_MAC (OpenSSL 3)

got = []
cond = threading.Condition()


def on_message(client, userdata, msg):
    with cond:
        got.append(msg.payload)
        cond.notify_all()


def on_subscribe(client, userdata, mid, *granted):
    with cond:
        got.append(b"SUBACK")
        cond.notify_all()


def wait_count(n):
    with cond:
        if not cond.wait_for(lambda: len(got) >= n, TIMEOUT):
            sys.exit("%s: timed out waiting for message %d" % (cid, n))


c = mqtt.Client(cid, protocol=mqtt.MQTTv5 if v5 else mqtt.MQTTv311,
                transport="websockets" if wss else "tcp")
c.tls_set_context(ctx)
c.on_message = on_message
c.on_subscribe = on_subscribe
c.connect("broker.test", port, keepalive=60)
c.loop_start()
c.subscribe(topic, qos=1)
wait_count(1)
text = ("secret over TLS from " + cid).encode()
c.publish(topic, text, qos=1).wait_for_publish()
wait_count(2)
if got[1] != text:
    sys.exit("%s: got %r" % (cid, got[1]))
if big:
    payload = pattern_payload(big, seed=11)
    c.publish(topic, payload, qos=1).wait_for_publish()
    wait_count(3)
    if got[2] != payload:
        sys.exit("%s: big payload corrupted" % cid)
c.disconnect()
c.loop_stop()
