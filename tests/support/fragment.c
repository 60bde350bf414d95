/* See fragment.h. */
#include "fragment.h"

#include <string.h>

static uint16_t ip_sum(const uint8_t *p, size_t len)
{
    uint32_t s = 0;
    for (size_t i = 0; i + 1 < len; i += 2)
        s += (uint32_t)p[i] << 8 | p[i + 1];
    while (s >> 16)
        s = (s & 0xFFFF) + (s >> 16);
    return (uint16_t)~s;
}

size_t fragment_ip(const uint8_t *pkt, size_t len, size_t off, size_t n,
                   bool more, uint32_t id, uint8_t *out, size_t cap)
{
    if ((pkt[0] >> 4) == 4) {
        size_t hdr = (size_t)(pkt[0] & 0x0F) * 4;
        if (hdr + off + n > len || hdr + n > cap)
            return 0;
        memcpy(out, pkt, hdr);
        memcpy(out + hdr, pkt + hdr + off, n);
        size_t total = hdr + n;
        out[2] = (uint8_t)(total >> 8);
        out[3] = (uint8_t)total;
        out[4] = (uint8_t)(id >> 8);
        out[5] = (uint8_t)id;
        uint16_t fo = (uint16_t)((off / 8) | (more ? 0x2000 : 0));
        out[6] = (uint8_t)(fo >> 8);
        out[7] = (uint8_t)fo;
        out[10] = out[11] = 0;
        uint16_t sum = ip_sum(out, hdr);
        out[10] = (uint8_t)(sum >> 8);
        out[11] = (uint8_t)sum;
        return total;
    }
    if (40 + off + n > len || 48 + n > cap)
        return 0;
    memcpy(out, pkt, 40);
    uint8_t next = pkt[6];
    out[6] = 44;
    size_t plen = 8 + n;
    out[4] = (uint8_t)(plen >> 8);
    out[5] = (uint8_t)plen;
    uint16_t fo = (uint16_t)(off | (more ? 1 : 0)); /* off: a multiple of 8 */
    uint8_t fh[8] = {next, 0, (uint8_t)(fo >> 8), (uint8_t)fo,
                     (uint8_t)(id >> 24), (uint8_t)(id >> 16),
                     (uint8_t)(id >> 8), (uint8_t)id};
    memcpy(out + 40, fh, 8);
    memcpy(out + 48, pkt + 40 + off, n);
    return 48 + n;
}
