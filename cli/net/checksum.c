/* Internet checksums; see checksum.h. */
#include "net/checksum.h"

#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "net/endpoint.h"

/* One's complement sum of `len` bytes as big-endian 16-bit words (an odd
 * last byte padded with zero), added to `sum`; RFC 1071 s4.1. Every packet
 * that reaches TCP or UDP is summed, so this is on the hot path: 32-bit
 * words in the machine's order go into 64-bit accumulators (no carry is
 * lost before 2^32 words; with SSE2 sixteen bytes a step), which is the
 * same one's complement sum since
 * 2^16 - 1 divides 2^32 - 1; byte order costs only a swap of the folded
 * result (RFC 1071 s2(B)). */
static uint32_t sum_bytes(uint32_t sum, const uint8_t *p, size_t len)
{
    uint64_t a = 0, b = 0;
    size_t i = 0;
#if defined(__SSE2__)
    /* Thirty-two bytes a step: 32-bit words widened into 64-bit lanes, in
     * four accumulators so the adds do not wait on each other. */
    __m128i zero = _mm_setzero_si128();
    __m128i a0 = zero, a1 = zero, a2 = zero, a3 = zero; /* independent chains */
    for (; i + 32 <= len; i += 32) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        __m128i u = _mm_loadu_si128((const __m128i *)(const void *)(p + i + 16));
        a0 = _mm_add_epi64(a0, _mm_unpacklo_epi32(v, zero));
        a1 = _mm_add_epi64(a1, _mm_unpackhi_epi32(v, zero));
        a2 = _mm_add_epi64(a2, _mm_unpacklo_epi32(u, zero));
        a3 = _mm_add_epi64(a3, _mm_unpackhi_epi32(u, zero));
    }
    for (; i + 16 <= len; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        a0 = _mm_add_epi64(a0, _mm_unpacklo_epi32(v, zero));
        a1 = _mm_add_epi64(a1, _mm_unpackhi_epi32(v, zero));
    }
    __m128i acc = _mm_add_epi64(_mm_add_epi64(a0, a1), _mm_add_epi64(a2, a3));
    uint64_t lanes[2];
    _mm_storeu_si128((__m128i *)(void *)lanes, acc);
    a = lanes[0];
    b = lanes[1];
#endif
    for (; i + 8 <= len; i += 8) {
        uint32_t w[2];
        memcpy(w, p + i, 8);
        a += w[0];
        b += w[1];
    }
    if (i + 4 <= len) {
        uint32_t w;
        memcpy(&w, p + i, 4);
        a += w;
        i += 4;
    }
    uint8_t tail[4] = {0, 0, 0, 0}; /* the last 0-3 bytes, zero-padded */
    switch (len - i) {
    case 3: tail[2] = p[i + 2]; /* fall through */
    case 2: tail[1] = p[i + 1]; /* fall through */
    case 1: tail[0] = p[i]; break;
    default: break;
    }
    uint32_t t;
    memcpy(&t, tail, 4);
    uint64_t s = a + b + t;
    s = (s & 0xFFFFFFFFu) + (s >> 32);
    s = (s & 0xFFFFFFFFu) + (s >> 32);
    s = (s & 0xFFFF) + (s >> 16);
    s = (s & 0xFFFF) + (s >> 16);
    uint16_t r = (uint16_t)s;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    r = (uint16_t)(r >> 8 | r << 8);
#endif
    return sum + r;
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
    uint32_t pseudo = pseudo_sum(ip, len);
    if (fold(sum_bytes(pseudo, ip->l4, ip->l4_wirelen)) == 0xFFFF)
        return true;
    /* Wrong, unless transmit offload left only the pseudo-header sum. */
    uint16_t ps = fold(pseudo);
    uint16_t ps_not = (uint16_t)(0xFFFF ^ ps);
    return field == ps || field == ps_not || field == fold(pseudo_sum(ip, 0));
}

bool checksum_valid(const struct ip_info *ip)
{
    if (!checksum_ipv4_header_valid(ip))
        return false;
    if (ip->proto != IPPROTO_TCP_ && ip->proto != IPPROTO_UDP_)
        return true;
    return l4_valid(ip);
}
