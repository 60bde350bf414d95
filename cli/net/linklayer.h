/* Link layers: from a captured frame to the network-layer packet inside it.
 *
 * Supported DLTs: EN10MB (Ethernet, with any stack of 802.1Q / 802.1ad /
 * QinQ tags), LINUX_SLL, LINUX_SLL2, NULL and LOOP (BSD loopback), RAW (and
 * LINKTYPE_RAW 101 as libpcap maps it), IPV4, IPV6. */
#ifndef MQD_CLI_LINKLAYER_H
#define MQD_CLI_LINKLAYER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { ETHERTYPE_IPV4 = 0x0800, ETHERTYPE_IPV6 = 0x86DD };

enum link_status {
    LINK_OK = 0,         /* out filled; ethertype says what the payload is */
    LINK_TRUNCATED = -1, /* the link header itself is cut by the snaplen */
    LINK_NOT_IP = -2,    /* a valid frame carrying neither IPv4 nor IPv6 */
    LINK_UNSUPPORTED = -3 /* linklayer_supported(dlt) is false */
};

#define LINK_MAX_VLANS 4

struct link_result {
    uint16_t ethertype;   /* ETHERTYPE_IPV4 / ETHERTYPE_IPV6 (or other) */
    const uint8_t *net;   /* first byte of the network-layer packet */
    size_t caplen;        /* bytes of it captured */
    size_t wirelen;       /* bytes of it on the wire (>= caplen) */
    unsigned vlan_count;  /* tags passed (may exceed LINK_MAX_VLANS) */
    uint16_t vlan_id[LINK_MAX_VLANS]; /* 12-bit VLAN ids, outermost first */
};

/* True when linklayer_decode understands `dlt` (as pcap_datalink returns). */
bool linklayer_supported(int dlt);

/* Decodes the link header of a frame of `caplen` captured bytes out of
 * `wirelen` on the wire. Returns a link_status; on LINK_OK and LINK_NOT_IP
 * `out` is filled (ethertype says what was found). Never reads past caplen. */
int linklayer_decode(int dlt, const uint8_t *frame, size_t caplen,
                     size_t wirelen, struct link_result *out);

/* Short text for a link_status, for diagnostics. */
const char *linklayer_status_name(int status);

#endif
