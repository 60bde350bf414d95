"""MQTT 5.0 clients with an empty client identifier (paho): the broker
assigns one in the CONNACK's Assigned Client Identifier property (MQTT 5.0
s3.1.3.1, s3.2.2.3.7). One subscribes, one publishes at QoS 1 and QoS 0, so
every packet type of an ordinary session is on a connection known only by
the assigned id; a named client alongside keeps the two apart.
"""
from mqdclient import SyncClient, settle

sub = SyncClient("", version="5")
sub.connect()
sub.subscribe("assigned/#", qos=1)

pub = SyncClient("", version="5")
pub.connect()
pub.publish("assigned/one", b"from a client without an id", qos=1)
pub.publish("assigned/two", b"and again at qos 0", qos=0)

named = SyncClient("assigned-named", version="5")
named.connect()
named.publish("assigned/three", b"from a named client", qos=1)

sub.wait_messages(3)
for c in (pub, named, sub):
    c.disconnect()
settle()
