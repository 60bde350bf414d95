/* IPv4 (RFC 791), IPv6 (RFC 8200), TCP (RFC 9293) and UDP (RFC 768) header
 * decoding; see ip.h. */
#include "net/ip.h"

#include <string.h>

#include "net/linklayer.h"
#include "net/endpoint.h"
#include "util/wire.h"

enum {
    IPV6_HOPOPTS = 0, IPV6_ROUTING = 43, IPV6_FRAGMENT = 44,
    IPV6_AH = 51, IPV6_DSTOPTS = 60,
    IPV6_MAX_EXT_HEADERS = 16 /* a bound, so a crafted chain cannot spin */
};

const char *ip_status_name(int status)
{
    switch (status) {
    case IP_OK: return "ok";
    case IP_TRUNCATED: return "truncated";
    case IP_MALFORMED: return "malformed";
    case IP_FRAGMENT: return "non-first fragment";
    case IP_NOT_IP: return "not IP";
    default: return "?";
    }
}

static size_t min_size(size_t a, size_t b)
{
    return a < b ? a : b;
}

/* Upper-layer slice: `hdr` bytes of IP headers out of `total` on the wire
 * (per the IP length fields), `caplen` captured. */
static void set_l4(struct ip_info *out, const uint8_t *pkt, size_t hdr,
                   size_t total, size_t caplen)
{
    out->l4 = pkt + hdr;
    out->l4_wirelen = total - hdr;
    out->l4_caplen = min_size(caplen, total) - hdr;
}

/* Bytes the IP packet occupies on the wire: its length field, clipped to what
 * the link layer says was there. A zero IPv4 length (TCP segmentation offload
 * seen before the NIC filled it in) means "the rest of the frame". */
static size_t ip_total(size_t field, size_t wirelen)
{
    if (field == 0 || field > wirelen)
        return wirelen;
    return field;
}

/* RFC 791 s3.1: IHL counts 32-bit words, minimum 5; fragment offset is in
 * 8-byte units; MF is bit 0x2000 of the flags/offset word. */
static int decode_ipv4(const uint8_t *pkt, size_t caplen, size_t wirelen,
                       struct ip_info *out)
{
    struct wire w = wire_make(pkt, caplen);
    uint8_t vihl, proto;
    uint16_t total_field, frag;
    if (!wire_u8(&w, &vihl))
        return IP_TRUNCATED;
    if (vihl >> 4 != 4)
        return IP_MALFORMED;
    size_t hdr = (size_t)(vihl & 0x0F) * 4;
    if (hdr < 20)
        return IP_MALFORMED;
    if (!wire_skip(&w, 1) || !wire_be16(&w, &total_field) ||
        !wire_skip(&w, 2) || !wire_be16(&w, &frag) || !wire_skip(&w, 1) ||
        !wire_u8(&w, &proto) || !wire_skip(&w, 2) ||
        !wire_bytes(&w, out->src, 4) || !wire_bytes(&w, out->dst, 4))
        return IP_TRUNCATED;
    size_t total = ip_total(total_field, wirelen);
    if (total < hdr)
        return IP_MALFORMED;
    if (!wire_skip(&w, hdr - 20)) /* options */
        return IP_TRUNCATED;
    out->family = PKT_AF_INET;
    out->proto = proto;
    out->net = pkt;
    out->net_hdr_len = hdr;
    set_l4(out, pkt, hdr, total, caplen);
    if ((frag & 0x3FFF) != 0) {
        out->frag.is = true;
        out->frag.more = (frag & 0x2000) != 0;
        out->frag.next = proto;
        out->frag.id = (uint32_t)(pkt[4] << 8 | pkt[5]);
        out->frag.offset = (uint32_t)(frag & 0x1FFF) * 8;
        out->frag.data = out->l4;
        out->frag.caplen = out->l4_caplen;
        out->frag.wirelen = out->l4_wirelen;
    }
    if ((frag & 0x1FFF) != 0)
        return IP_FRAGMENT;
    out->first_fragment = (frag & 0x2000) != 0;
    return IP_OK;
}

/* One IPv6 extension header: its length and the next header's type.
 * RFC 8200 s4.3-4.6: Hdr Ext Len counts 8-octet units beyond the first;
 * the fragment header is always 8 bytes; RFC 4302 s2.2: AH's Payload Len
 * counts 4-octet units minus 2. */
static int skip_ipv6_ext(struct wire *w, uint8_t type, uint8_t *next,
                         struct ip_info *out)
{
    uint8_t len;
    uint16_t frag;
    if (!wire_u8(w, next) || !wire_u8(w, &len))
        return IP_TRUNCATED;
    switch (type) {
    case IPV6_FRAGMENT: {
        uint32_t id;
        if (!wire_be16(w, &frag) || !wire_be32(w, &id))
            return IP_TRUNCATED;
        if (frag & 0xFFF9) { /* not atomic (RFC 6946) */
            out->frag.is = true;
            out->frag.more = (frag & 1) != 0;
            out->frag.next = *next;
            out->frag.id = id;
            out->frag.offset = (uint32_t)(frag >> 3) * 8;
            out->frag.data = wire_here(w);
            out->frag.caplen = wire_left(w);
        }
        if ((frag >> 3) != 0)
            return IP_FRAGMENT;
        out->first_fragment = (frag & 1) != 0;
        return IP_OK;
    }
    case IPV6_AH:
        return wire_skip(w, ((size_t)len + 2) * 4 - 2) ? IP_OK : IP_TRUNCATED;
    default:
        if (type == IPV6_ROUTING)
            out->ipv6_routing = true;
        return wire_skip(w, ((size_t)len + 1) * 8 - 2) ? IP_OK : IP_TRUNCATED;
    }
}

static bool is_ipv6_ext(uint8_t type)
{
    return type == IPV6_HOPOPTS || type == IPV6_ROUTING ||
           type == IPV6_FRAGMENT || type == IPV6_AH || type == IPV6_DSTOPTS;
}

/* RFC 8200 s3: 40-byte fixed header; Payload Length excludes it. A zero
 * payload length is a jumbogram (RFC 2675) or offload: use the frame. */
static int decode_ipv6(const uint8_t *pkt, size_t caplen, size_t wirelen,
                       struct ip_info *out)
{
    struct wire w = wire_make(pkt, caplen);
    uint8_t vtc, next;
    uint16_t plen;
    if (!wire_u8(&w, &vtc))
        return IP_TRUNCATED;
    if (vtc >> 4 != 6)
        return IP_MALFORMED;
    if (!wire_skip(&w, 3) || !wire_be16(&w, &plen) || !wire_u8(&w, &next) ||
        !wire_skip(&w, 1) || !wire_bytes(&w, out->src, 16) ||
        !wire_bytes(&w, out->dst, 16))
        return IP_TRUNCATED;
    out->family = PKT_AF_INET6;
    size_t total = plen == 0 ? wirelen : ip_total((size_t)plen + 40, wirelen);
    if (total < 40)
        return IP_MALFORMED;
    w.len = min_size(caplen, total); /* ignore link-layer padding */
    for (int i = 0; is_ipv6_ext(next); i++) {
        if (i == IPV6_MAX_EXT_HEADERS)
            return IP_MALFORMED;
        uint8_t type = next;
        int rc = skip_ipv6_ext(&w, type, &next, out);
        if (rc == IP_TRUNCATED && caplen >= total)
            return IP_MALFORMED; /* runs past the packet, not the capture */
        if (out->frag.is && out->frag.wirelen == 0)
            out->frag.wirelen = total - (size_t)(out->frag.data - pkt);
        if (rc != IP_OK)
            return rc;
    }
    out->proto = next;
    set_l4(out, pkt, w.pos, total, caplen);
    return IP_OK;
}

int ip_decode(uint16_t ethertype, const uint8_t *pkt, size_t caplen,
              size_t wirelen, struct ip_info *out)
{
    memset(out, 0, sizeof *out);
    if (wirelen < caplen)
        wirelen = caplen;
    switch (ethertype) {
    case ETHERTYPE_IPV4: return decode_ipv4(pkt, caplen, wirelen, out);
    case ETHERTYPE_IPV6: return decode_ipv6(pkt, caplen, wirelen, out);
    default: return IP_NOT_IP;
    }
}

/* RFC 9293 s3.1 options: End of Option List (0), No-Operation (1), else
 * kind, length (counting both), data. RFC 7323 s2.2: Window Scale is kind
 * 3, length 3, the shift count; s2.3: a shift above 14 is taken as 14. An
 * option cut short (or by the snaplen) ends the search. */
static void tcp_window_scale(const uint8_t *opt, size_t len, struct tcp_info *out)
{
    struct wire w = wire_make(opt, len);
    uint8_t kind, olen, shift;
    while (wire_u8(&w, &kind) && kind != 0) {
        if (kind == 1)
            continue;
        if (!wire_u8(&w, &olen) || olen < 2)
            return;
        if (kind == 3 && olen == 3) {
            if (!wire_u8(&w, &shift))
                return;
            out->wscale = shift > 14 ? 14 : shift;
            return;
        }
        if (!wire_skip(&w, (size_t)olen - 2))
            return;
    }
}

/* RFC 9293 s3.1: Data Offset counts 32-bit words, minimum 5. */
int tcp_decode(const struct ip_info *ip, struct tcp_info *out)
{
    struct wire w = wire_make(ip->l4, ip->l4_caplen);
    uint8_t off_byte;
    memset(out, 0, sizeof *out);
    out->wscale = TCP_NO_WSCALE;
    if (ip->l4_wirelen < 20 && ip->l4_caplen >= ip->l4_wirelen)
        return IP_MALFORMED;
    if (!wire_be16(&w, &out->sport) || !wire_be16(&w, &out->dport) ||
        !wire_be32(&w, &out->seq) || !wire_be32(&w, &out->ack) ||
        !wire_u8(&w, &off_byte) || !wire_u8(&w, &out->flags) ||
        !wire_be16(&w, &out->window) || !wire_skip(&w, 4))
        return IP_TRUNCATED;
    size_t hdr = (size_t)(off_byte >> 4) * 4;
    if (hdr < 20 || hdr > ip->l4_wirelen)
        return IP_MALFORMED;
    if ((out->flags & 0x02) && hdr > 20) /* SYN */
        tcp_window_scale(wire_here(&w), hdr - 20 < wire_left(&w) ? hdr - 20 : wire_left(&w), out);
    if (!wire_skip(&w, hdr - 20))
        return IP_TRUNCATED;
    out->payload = wire_here(&w);
    out->payload_caplen = wire_left(&w);
    out->payload_len = ip->l4_wirelen - hdr;
    return IP_OK;
}

/* RFC 768: the UDP Length covers header and data, minimum 8. */
int udp_decode(const struct ip_info *ip, struct udp_info *out)
{
    struct wire w = wire_make(ip->l4, ip->l4_caplen);
    uint16_t len;
    memset(out, 0, sizeof *out);
    if (!wire_be16(&w, &out->sport) || !wire_be16(&w, &out->dport) ||
        !wire_be16(&w, &len) || !wire_skip(&w, 2))
        return IP_TRUNCATED;
    if (len < 8 || len > ip->l4_wirelen)
        return IP_MALFORMED;
    out->payload = wire_here(&w);
    out->payload_len = (size_t)len - 8;
    out->payload_caplen = wire_left(&w) < out->payload_len ? wire_left(&w)
                                                           : out->payload_len;
    return IP_OK;
}
