/* Internet checksums; see checksum.h. */
#include "net/checksum.h"

#include <stdint.h>

#include "net/endpoint.h"

/* One's complement sum of `len` bytes as big-endian 16-bit words (an odd
 * last byte padded with zero), added to `sum`; RFC 1071 s4.1. */
static uint32_t sum_bytes(uint32_t sum, const uint8_t *p, size_t len)
{
    uint64_t s = sum;
    size_t i = 0;
    for (; i + 1 < len; i += 2)
        s += (uint32_t)p[i] << 8 | p[i + 1];
    if (i < len)
        s += (uint32_t)p[i] << 8;
    while (s >> 16)
        s = (s & 0xFFFF) + (s >> 16);
    return (uint32_t)s;
}

static uint16_t fold(uint32_t s)
{
    while (s >> 16)
        s = (s & 0xFFFF) + (s >> 16);
    return (uint16_t)s;
}

/* The pseudo-header sum for an upper-layer length `len`. */
static uint32_t pseudo_sum(const struct ip_info *ip, uint32_t len)
{
    size_t alen = ip->family == PKT_AF_INET ? 4 : 16;
    uint32_t s = sum_bytes(0, ip->src, alen);
    s = sum_bytes(s, ip->dst, alen);
    return s + ip->proto + (len >> 16) + (len & 0xFFFF);
}

/* RFC 791 s3.1: the header's words sum to all ones. A zero field is left
 * for offload; a zero total length (segmentation offload) is not checked. */
bool checksum_ipv4_header_valid(const struct ip_info *ip)
{
    if (ip->family != PKT_AF_INET)
        return true;
    const uint8_t *h = ip->net;
    if (!h || ip->net_hdr_len < 20)
        return true;
    if ((h[10] == 0 && h[11] == 0) || (h[2] == 0 && h[3] == 0))
        return true;
    return fold(sum_bytes(0, h, ip->net_hdr_len)) == 0xFFFF;
}

static bool l4_valid(const struct ip_info *ip)
{
    size_t field_at = ip->proto == IPPROTO_TCP_ ? 16 : 6;
    if (ip->first_fragment || ip->ipv6_routing ||
        ip->l4_caplen < ip->l4_wirelen || ip->l4_wirelen < field_at + 2 ||
        ip->l4_wirelen > 0xFFFFFFFFu)
        return true;
    uint16_t field = (uint16_t)(ip->l4[field_at] << 8 | ip->l4[field_at + 1]);
    if (field == 0) /* offload, or RFC 768: UDP over IPv4 without one */
        return true;
    uint32_t len = (uint32_t)ip->l4_wirelen;
    uint16_t ps = fold(pseudo_sum(ip, len));
    uint16_t ps_not = (uint16_t)(0xFFFF ^ ps);
    if (field == ps || field == ps_not ||
        field == fold(pseudo_sum(ip, 0)))
        return true; /* only the pseudo-header sum: offload */
    return fold(sum_bytes(pseudo_sum(ip, len), ip->l4, ip->l4_wirelen)) ==
           0xFFFF;
}

bool checksum_valid(const struct ip_info *ip)
{
    if (!checksum_ipv4_header_valid(ip))
        return false;
    if (ip->proto != IPPROTO_TCP_ && ip->proto != IPPROTO_UDP_)
        return true;
    return l4_valid(ip);
}
