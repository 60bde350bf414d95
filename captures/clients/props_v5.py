"""MQTT 5.0 properties on CONNECT, SUBSCRIBE and PUBLISH (paho).

A subscriber with a subscription identifier and a publisher that uses
user properties, content type, message expiry, response topic, binary
correlation data, payload format indicator and a topic alias (first with
topic + alias, then with an empty topic + alias).
"""
from mqdclient import SyncClient, PacketTypes, props, settle

CORRELATION = bytes([0x00, 0xFF, 0xFE, 0x80, 0xC3, 0x28, 0x01, 0x7F])

sub = SyncClient("props-sub", version="5")
sub.connect(properties=props(PacketTypes.CONNECT,
                             SessionExpiryInterval=30,
                             ReceiveMaximum=16,
                             MaximumPacketSize=65536,
                             TopicAliasMaximum=4,
                             RequestProblemInformation=1,
                             UserProperty=[("role", "subscriber")]))
sub.subscribe("props/#", qos=1, retainAsPublished=True,
              properties=props(PacketTypes.SUBSCRIBE,
                               SubscriptionIdentifier=42,
                               UserProperty=[("sub-key", "sub-value")]))

pub = SyncClient("props-pub", version="5")
pub.connect(properties=props(PacketTypes.CONNECT,
                             SessionExpiryInterval=0,
                             ReceiveMaximum=20,
                             MaximumPacketSize=1048576,
                             UserProperty=[("role", "publisher"),
                                           ("lang", "en")]))

pub.publish("props/request", b'{"temp": 21.5}', qos=1,
            properties=props(PacketTypes.PUBLISH,
                             PayloadFormatIndicator=1,
                             ContentType="application/json",
                             MessageExpiryInterval=3600,
                             ResponseTopic="props/reply/props-pub",
                             CorrelationData=CORRELATION,
                             UserProperty=[("trace", "abc123"),
                                           ("trace", "def456")]))
pub.publish("props/alias", b"first with topic and alias", qos=1,
            properties=props(PacketTypes.PUBLISH, TopicAlias=1))
pub.publish("", b"second with empty topic and alias", qos=1,
            properties=props(PacketTypes.PUBLISH, TopicAlias=1))
pub.publish("props/binary", bytes(range(256)), qos=0,
            properties=props(PacketTypes.PUBLISH, PayloadFormatIndicator=0))

sub.wait_messages(4)
settle()
pub.disconnect(properties=props(PacketTypes.DISCONNECT,
                                SessionExpiryInterval=0))
sub.unsubscribe("props/#")
sub.disconnect()
settle()
