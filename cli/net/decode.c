/* A captured frame decoded link layer -> IP -> TCP/UDP. See decode.h. */
#include "net/decode.h"

#include "net/checksum.h"
#include "net/linklayer.h"

/* The reason of an ip_status other than IP_OK. */
static enum decode_result ip_failure(int rc)
{
    switch (rc) {
    case IP_TRUNCATED: return DECODE_TRUNCATED;
    case IP_FRAGMENT: return DECODE_FRAGMENT;
    case IP_NOT_IP: return DECODE_NOT_IP;
    default: return DECODE_MALFORMED;
    }
}

/* TCP or UDP at out->ip.l4. */
static enum decode_result transport(struct decoded *out, bool verify)
{
    int rc;
    switch (out->ip.proto) {
    case IPPROTO_TCP_:
        rc = tcp_decode(&out->ip, &out->tcp);
        if (rc != IP_OK)
            return ip_failure(rc);
        return verify && !checksum_valid(&out->ip) ? DECODE_BAD_CHECKSUM
                                                   : DECODE_TCP;
    case IPPROTO_UDP_:
        rc = udp_decode(&out->ip, &out->udp);
        if (rc != IP_OK)
            return ip_failure(rc);
        return verify && !checksum_valid(&out->ip) ? DECODE_BAD_CHECKSUM
                                                   : DECODE_UDP;
    default:
        return DECODE_OTHER_PROTO;
    }
}

enum decode_result decode_frame(int dlt, const uint8_t *bytes, size_t caplen,
                                size_t wirelen, bool verify,
                                struct decoded *out)
{
    struct link_result link;
    int rc = linklayer_decode(dlt, bytes, caplen, wirelen, &link);
    if (rc != LINK_OK)
        return rc == LINK_UNSUPPORTED ? DECODE_LINK_UNSUPPORTED
               : rc == LINK_TRUNCATED ? DECODE_TRUNCATED
                                      : DECODE_NOT_IP;
    rc = ip_decode(link.ethertype, link.net, link.caplen, link.wirelen, &out->ip);
    if (rc != IP_OK)
        return ip_failure(rc);
    if (out->ip.frag.is)
        return DECODE_FRAGMENT; /* the first one: ipfrag.h */
    return transport(out, verify);
}

enum decode_result decode_reassembled(struct decoded *out, const uint8_t *data,
                                      size_t len, uint8_t proto, bool verify)
{
    struct ip_info *ip = &out->ip;
    ip->proto = proto;
    ip->l4 = data;
    ip->l4_caplen = ip->l4_wirelen = len;
    ip->first_fragment = false;
    ip->frag.is = false;
    ip->net = NULL;
    return transport(out, verify);
}
