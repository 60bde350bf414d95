"""Write SIZE deterministic pseudo-random bytes to stdout: gen_payload.py SIZE [SEED]."""
import sys
from mqdclient import pattern_payload

size = int(sys.argv[1])
seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
sys.stdout.buffer.write(pattern_payload(size, seed))
