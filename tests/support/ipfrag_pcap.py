"""Splits every IPv4-over-Ethernet packet of a microsecond pcap whose IP
payload is longer than SIZE bytes into IP fragments of SIZE bytes (a
multiple of 8), in order, with the original timestamp: for tests of what
follows a datagram across fragments (tests/write.test.sh).
Usage: ipfrag_pcap.py IN.pcap OUT.pcap SIZE"""
import struct, sys
def csum(b):
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
src, dst, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = open(src, 'rb').read()
gh, rest = data[:24], data[24:]
assert struct.unpack('<I', gh[:4])[0] == 0xa1b2c3d4 and struct.unpack('<I', gh[20:24])[0] == 1
out = [gh]; i = 0; n_in = n_out = 0; ident = 0x4000
while i < len(rest):
    sec, usec, cap, ln = struct.unpack('<IIII', rest[i:i + 16])
    pkt = rest[i + 16:i + 16 + cap]; i += 16 + cap; n_in += 1
    eth, ip = pkt[:14], pkt[14:]
    ihl = (ip[0] & 15) * 4
    tot = struct.unpack('!H', ip[2:4])[0]
    if eth[12:14] != b'\x08\x00' or cap != ln or tot - ihl <= size:
        out.append(rest[i - 16 - cap:i]); n_out += 1; continue
    hdr, pay = bytearray(ip[:ihl]), ip[ihl:tot]
    ident += 1
    for off in range(0, len(pay), size):
        chunk = pay[off:off + size]
        more = off + size < len(pay)
        h = bytearray(hdr)
        struct.pack_into('!H', h, 2, ihl + len(chunk))
        struct.pack_into('!H', h, 4, ident)
        struct.pack_into('!H', h, 6, (0x2000 if more else 0) | (off // 8))
        struct.pack_into('!H', h, 10, 0)
        struct.pack_into('!H', h, 10, csum(bytes(h)))
        frame = eth + bytes(h) + chunk
        out.append(struct.pack('<IIII', sec, usec, len(frame), len(frame)) + frame); n_out += 1
open(dst, 'wb').write(b''.join(out))
print(n_in, n_out)
