/* Internet checksums (RFC 1071) of a decoded packet: the IPv4 header and
 * the TCP or UDP checksum with its IPv4 (RFC 9293 s3.1, RFC 768) or IPv6
 * (RFC 8200 s8.1) pseudo-header.
 *
 * Captures taken on the sending host see packets before the NIC fills the
 * checksums in (transmit offload): the field is then zero, or holds only the
 * pseudo-header sum (what Linux leaves for the NIC; with length 0 for a
 * segmentation-offload super-packet). Those patterns are accepted as valid,
 * and so is whatever cannot be checked (a cut or fragmented datagram, an
 * IPv6 routing header, whose final destination the pseudo-header uses). */
#ifndef MQD_CLI_CHECKSUM_H
#define MQD_CLI_CHECKSUM_H

#include <stdbool.h>

#include "net/ip.h"

/* False only when a checksum of the packet is provably wrong. `ip` and its
 * transport header (ip->l4) as ip_decode left them; ip->proto TCP or UDP
 * (others: true). */
bool checksum_valid(const struct ip_info *ip);

/* The IPv4 header's checksum alone (true for IPv6). */
bool checksum_ipv4_header_valid(const struct ip_info *ip);

#endif
