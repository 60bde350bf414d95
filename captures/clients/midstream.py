"""A long-lived connection whose capture is later cut in the middle
(see record.sh, midstream.pcap): small messages, one 20 KB message that
spans many TCP segments, more small messages."""
from mqdclient import SyncClient, pattern_payload, settle

sub = SyncClient("long-sub", version="3.1.1")
sub.connect()
sub.subscribe("long/#", qos=1)
pub = SyncClient("long-pub", version="3.1.1")
pub.connect()
n = 0
for i in range(5):
    pub.publish("long/small", ("before %d" % i).encode(), qos=1)
    n += 1
pub.publish("long/big", pattern_payload(20000, seed=3), qos=1)
n += 1
for i in range(5):
    pub.publish("long/small", ("after %d" % i).encode(), qos=1)
    n += 1
sub.wait_messages(n)
pub.disconnect()
sub.disconnect()
settle()
