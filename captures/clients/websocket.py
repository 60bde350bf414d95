"""MQTT over WebSocket (mosquitto 'protocol websockets' listener).

Usage: websocket.py VERSION   (3.1.1 or 5)
A subscriber and a publisher, both over WebSocket; messages flow client to
broker and broker to client, one of them 200 KB (larger than one TCP
segment). Neither paho nor mosquitto fragments on its own, so the
publisher sends MQTT packets over 50000 bytes as several WebSocket frames:
for 3.1.1 one fragmented message (BINARY + CONTINUATION frames), for 5.0
several complete BINARY messages each carrying part of the MQTT packet.
"""
import sys
from mqdclient import SyncClient, pattern_payload, settle

version = sys.argv[1]
tag = "v5" if version == "5" else "v311"
big = pattern_payload(200 * 1024, seed=7)

sub = SyncClient("ws-sub-" + tag, version=version, transport="websockets")
sub.connect()
sub.subscribe("ws/#", qos=2)
pub = SyncClient("ws-pub-" + tag, version=version, transport="websockets")
pub.connect()
pub.ws_fragment(50000, "continuation" if version == "3.1.1" else "split")
pub.subscribe("ws/echo", qos=1)
pub.publish("ws/hello", b"hello over websocket", qos=0)
pub.publish("ws/qos1", b"qos 1 over websocket", qos=1)
pub.publish("ws/qos2", b"qos 2 over websocket", qos=2)
pub.publish("ws/big", big, qos=1)
msgs = sub.wait_messages(4)
if msgs[3].payload != big:
    sys.exit("big payload corrupted")
sub.publish("ws/echo", b"reply from subscriber", qos=1)
pub.wait_messages(1)
pub.disconnect()
sub.disconnect()
settle()
