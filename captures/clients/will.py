"""Wills with QoS 1 and retain that really fire (MQTT 3.1.1 and 5.0).

A client sets a will and then loses its connection without DISCONNECT
(the socket is closed), so the broker publishes the will to a watcher.
A later subscriber receives the retained will; finally the retained
message is cleared.
"""
from mqdclient import SyncClient, PacketTypes, props, settle


def run(version, tag):
    watcher = SyncClient("will-watch-" + tag, version=version)
    watcher.connect()
    watcher.subscribe("will/" + tag, qos=1)

    dying = SyncClient("will-dying-" + tag, version=version)
    will_props = None
    if version == "5":
        will_props = props(PacketTypes.WILLMESSAGE,
                           WillDelayInterval=0,
                           MessageExpiryInterval=600,
                           ContentType="text/plain",
                           UserProperty=[("reason", "lost")])
    dying.will("will/" + tag, b"client " + tag.encode() + b" went away",
               qos=1, retain=True, properties=will_props)
    dying.connect()
    settle()
    dying.abort()

    watcher.wait_messages(1)
    watcher.disconnect()

    late = SyncClient("will-late-" + tag, version=version)
    late.connect()
    late.subscribe("will/" + tag, qos=1)
    late.wait_messages(1)
    late.publish("will/" + tag, b"", qos=1, retain=True)  # clear retained
    late.disconnect()
    settle()


run("3.1.1", "v311")
run("5", "v5")
