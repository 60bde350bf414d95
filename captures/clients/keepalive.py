"""Keep alive of 2 s while idling about 5 s: PINGREQ / PINGRESP."""
import time
from mqdclient import SyncClient, settle

c = SyncClient("keepalive-client", version="3.1.1", keepalive=2)
c.connect()
c.subscribe("keepalive/idle", qos=0)
time.sleep(5.5)
c.disconnect()
settle()
