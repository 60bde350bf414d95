/* IP defragmentation (IPv4, RFC 791 s3.2; IPv6, RFC 8200 s4.5) in front of
 * TCP and UDP. Fragments are keyed by (family, source, destination,
 * protocol, identification) and held, copied, until the datagram is whole.
 *
 * Bounds: at most IPFRAG_MAX_BYTES held in all (a new fragment beyond is
 * dropped, its datagram with it) and IPFRAG_MAX_DATAGRAMS in progress (the
 * oldest is dropped); a datagram not complete IPFRAG_TIMEOUT_US of capture
 * time after its first fragment is dropped. Overlaps: IPv4, the first copy
 * wins and differing bytes count as a conflict; IPv6, RFC 5722: the whole
 * datagram is discarded (an exact duplicate is ignored). */
#ifndef MQD_CLI_IPFRAG_H
#define MQD_CLI_IPFRAG_H

#include <stddef.h>
#include <stdint.h>

#include "net/ip.h"

#define IPFRAG_MAX_BYTES ((size_t)4 << 20)
#define IPFRAG_MAX_DATAGRAMS 1024
#define IPFRAG_TIMEOUT_US ((int64_t)30 * 1000000)

struct ipfrag_stats {
    uint64_t fragments;   /* fragments fed */
    uint64_t reassembled; /* datagrams made whole */
    uint64_t conflicts;   /* IPv4 overlaps whose bytes differed */
    uint64_t discarded;   /* datagrams given up: IPv6 overlap, cut
                             fragment, too large, memory, time */
};

struct ipfrag;

struct ipfrag *ipfrag_new(void); /* NULL on allocation failure */
void ipfrag_free(struct ipfrag *f);

/* Feeds the fragment described by ip->frag (ip as ip_decode filled it), at
 * capture time now_us. When it completes its datagram, returns true and
 * sets *data / *len to the whole upper-layer datagram (valid until the next
 * call) and *proto to its protocol. */
bool ipfrag_add(struct ipfrag *f, const struct ip_info *ip, int64_t now_us,
                const uint8_t **data, size_t *len, uint8_t *proto);

const struct ipfrag_stats *ipfrag_stats(const struct ipfrag *f);

#endif
