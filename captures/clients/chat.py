"""Two-user chat: alice and bob each subscribe to chat/public and to their
own chat/private/<nick>, then exchange public and private messages."""
from mqdclient import SyncClient, settle

users = {}
for nick in ("alice", "bob"):
    u = SyncClient("chat-" + nick, version="3.1.1")
    u.will("chat/public", ("%s left" % nick).encode(), qos=1)
    u.connect()
    u.subscribe([("chat/public", 1), ("chat/private/" + nick, 2)])
    users[nick] = u

script = [
    ("alice", "chat/public", "hi everyone", 1),
    ("bob", "chat/public", "hello alice", 1),
    ("alice", "chat/private/bob", "psst bob, lunch at noon?", 2),
    ("bob", "chat/private/alice", "sure, see you there", 2),
    ("bob", "chat/public", "gotta go, bye", 0),
    ("alice", "chat/public", "bye bob", 1),
]
expected = {"alice": 0, "bob": 0}
for sender, topic, text, qos in script:
    users[sender].publish(topic, text.encode("utf-8"), qos=qos)
    if topic == "chat/public":
        expected["alice"] += 1
        expected["bob"] += 1
    else:
        expected[topic.rsplit("/", 1)[1]] += 1
    for nick, u in users.items():
        u.wait_messages(expected[nick])

for u in users.values():
    u.disconnect()
settle()
