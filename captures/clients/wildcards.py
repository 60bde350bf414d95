"""Wildcard subscriptions ('+' and '#'), then UNSUBSCRIBE (3.1.1 and 5.0)."""
from mqdclient import SyncClient, settle

TOPICS = ["sensors/kitchen/temp", "sensors/kitchen/humidity",
          "sensors/garage/temp", "sensors/garage/door/state", "other/x"]


def run(version, tag):
    sub = SyncClient("wild-sub-" + tag, version=version)
    sub.connect()
    sub.subscribe([("sensors/+/temp", 1), ("sensors/#", 0)])
    sub.subscribe("+/garage/+/state", qos=2)
    pub = SyncClient("wild-pub-" + tag, version=version)
    pub.connect()
    for i, topic in enumerate(TOPICS):
        pub.publish(topic, ("reading %d" % i).encode(), qos=1)
    sub.wait_messages(4)  # every sensors/ topic matches 'sensors/#'
    settle(0.5)
    sub.unsubscribe(["sensors/+/temp", "sensors/#"])
    sub.unsubscribe("+/garage/+/state")
    pub.publish("sensors/kitchen/temp", b"nobody listens", qos=1)
    settle()
    pub.disconnect()
    sub.disconnect()
    settle()


run("3.1.1", "v311")
run("5", "v5")
