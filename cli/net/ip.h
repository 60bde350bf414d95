/* IPv4 / IPv6 (with extension headers) down to TCP and UDP headers.
 *
 * Lengths come in pairs: `caplen` is what the capture holds, `wirelen` what
 * was on the wire. When the snaplen cut a packet, caplen < wirelen and the
 * missing tail is the caller's to report (as a gap); nothing here reads past
 * caplen. Fragments are not reassembled here (ipfrag.h does): a non-first
 * fragment is IP_FRAGMENT; a first fragment decodes, flagged, with only its
 * own share of L4 bytes; both describe themselves in ip_info.frag. */
#ifndef MQD_CLI_IP_H
#define MQD_CLI_IP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ip_status {
    IP_OK = 0,
    IP_TRUNCATED = -1, /* a header is cut by the snaplen */
    IP_MALFORMED = -2, /* a header or length field is impossible */
    IP_FRAGMENT = -3,  /* a non-first fragment: not decodable alone */
    IP_NOT_IP = -4     /* ethertype is neither IPv4 nor IPv6 */
};

enum { IPPROTO_TCP_ = 6, IPPROTO_UDP_ = 17 };

struct ip_info {
    uint8_t family;        /* PKT_AF_INET or PKT_AF_INET6 (endpoint.h) */
    uint8_t src[16];       /* IPv4 uses the first 4 bytes, rest zero */
    uint8_t dst[16];
    uint8_t proto;         /* upper-layer protocol after extension headers */
    bool first_fragment;   /* offset 0 with more fragments following */
    bool ipv6_routing;     /* an IPv6 routing header was passed */
    const uint8_t *net;    /* IPv4: the header (net_hdr_len bytes, options
                              included, all captured); IPv6: NULL */
    size_t net_hdr_len;
    /* A fragment (IPv4 MF or offset; an IPv6 Fragment header other than an
     * atomic one): its place in the datagram and its bytes. next: the IPv4
     * protocol, or the Fragment header's Next Header. */
    struct {
        bool is;
        bool more;
        uint8_t next;
        uint32_t id;
        uint32_t offset;   /* bytes */
        const uint8_t *data;
        size_t caplen, wirelen;
    } frag;
    const uint8_t *l4;     /* first byte of the upper-layer header */
    size_t l4_caplen;      /* upper-layer bytes captured */
    size_t l4_wirelen;     /* upper-layer bytes per the IP length fields */
};

/* TCP flag bits (RFC 9293 s3.1). */
enum {
    TCP_FIN = 0x01, TCP_SYN = 0x02, TCP_RST = 0x04,
    TCP_PSH = 0x08, TCP_ACK = 0x10, TCP_URG = 0x20
};

#define TCP_NO_WSCALE 0xFFu

struct tcp_info {
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint8_t flags;
    /* SYN segments: the Window Scale option's shift (RFC 7323 s2.2, capped
     * at 14, s2.3); TCP_NO_WSCALE: none (in the header's padding) */
    uint8_t wscale;
    uint16_t window;
    const uint8_t *payload;
    size_t payload_caplen; /* payload bytes captured */
    size_t payload_len;    /* payload bytes on the wire (>= caplen) */
};

struct udp_info {
    uint16_t sport, dport;
    const uint8_t *payload;
    size_t payload_caplen;
    size_t payload_len;
};

/* Decodes the IP header(s) of a network-layer packet; `ethertype` comes from
 * the link layer. Returns an ip_status; `out` is valid on IP_OK. */
int ip_decode(uint16_t ethertype, const uint8_t *pkt, size_t caplen,
              size_t wirelen, struct ip_info *out);

/* Decodes the TCP header at ip->l4 (ip->proto must be TCP). Returns IP_OK,
 * IP_TRUNCATED (header cut) or IP_MALFORMED (data offset impossible). */
int tcp_decode(const struct ip_info *ip, struct tcp_info *out);

/* Decodes the UDP header at ip->l4 (ip->proto must be UDP). */
int udp_decode(const struct ip_info *ip, struct udp_info *out);

/* Short text for an ip_status. */
const char *ip_status_name(int status);

#endif
