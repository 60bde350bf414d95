/* The Community ID of a flow (Corelight's Community ID Flow Hashing,
 * version 1): the identifier Suricata, Zeek, Arkime and Wireshark print for
 * the same TCP or UDP flow, so our records can be joined with theirs.
 *
 * "1:" and the base64 of the SHA-1 of: the 2-byte seed, the two addresses,
 * the IP protocol number, one zero byte, the two ports (all in network
 * order), the endpoint with the smaller address (then the smaller port)
 * first, so both directions give the same value. */
#ifndef MQD_CLI_COMMUNITY_ID_H
#define MQD_CLI_COMMUNITY_ID_H

#include <stdint.h>

#include "net/endpoint.h"

/* "1:" + 28 base64 characters + NUL. */
#define COMMUNITY_ID_SIZE 31

enum { COMMUNITY_ID_TCP = 6, COMMUNITY_ID_UDP = 17 };

/* The Community ID of the flow between a and b (either order) into out;
 * an empty string when the two families differ or are unknown. */
void community_id_v1(uint16_t seed, uint8_t proto, const struct pkt_endpoint *a,
                     const struct pkt_endpoint *b, char out[COMMUNITY_ID_SIZE]);

#endif
