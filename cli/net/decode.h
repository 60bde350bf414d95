/* One captured frame decoded down to its transport header: link layer
 * (linklayer.h) -> IPv4/IPv6 (ip.h) -> TCP or UDP. Pure: no state, no
 * allocation; the results point into the frame's bytes. The flow table
 * (flow_table.h) feeds what comes out to its connections and counts the
 * frames that do not decode by the reason given here. */
#ifndef MQD_CLI_DECODE_H
#define MQD_CLI_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/ip.h"

/* What a frame turned out to be. */
enum decode_result {
    DECODE_TCP,              /* ip and tcp are filled */
    DECODE_UDP,              /* ip and udp are filled */
    DECODE_LINK_UNSUPPORTED, /* a link type linklayer.h does not read */
    DECODE_TRUNCATED,        /* a header is cut by the snaplen */
    DECODE_NOT_IP,           /* neither IPv4 nor IPv6 */
    DECODE_FRAGMENT,         /* an IP fragment: ip.frag describes it */
    DECODE_MALFORMED,        /* a header or length field is impossible */
    DECODE_OTHER_PROTO,      /* IP carrying neither TCP nor UDP */
    DECODE_BAD_CHECKSUM      /* TCP/UDP with a wrong checksum (checksum.h) */
};

struct decoded {
    struct ip_info ip;
    struct tcp_info tcp;
    struct udp_info udp;
};

/* Decodes bytes[0..caplen) of a frame of link type dlt, `wirelen` bytes on
 * the wire. With `verify`, a TCP segment or UDP datagram whose IPv4 header
 * or transport checksum is provably wrong is DECODE_BAD_CHECKSUM. */
enum decode_result decode_frame(int dlt, const uint8_t *bytes, size_t caplen,
                                size_t wirelen, bool verify,
                                struct decoded *out);

/* The TCP segment or UDP datagram of a datagram that ipfrag.h made whole:
 * out->ip is its last fragment's, `data`/`len` the whole upper-layer
 * datagram, `proto` its protocol. Results as decode_frame's (the IPv4
 * header checksums were the fragments' to check). */
enum decode_result decode_reassembled(struct decoded *out, const uint8_t *data,
                                      size_t len, uint8_t proto, bool verify);

#endif
