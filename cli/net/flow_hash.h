/* A symmetric hash of a flow's 5-tuple: the same for both directions (like
 * the Community ID, but a few multiplications instead of SHA-1, as it runs
 * for every packet of a connection that --shard turns away), and the same
 * in every process, on every machine. --shard K/N keeps the flows whose
 * hash modulo N is K - 1. */
#ifndef MQD_CLI_FLOW_HASH_H
#define MQD_CLI_FLOW_HASH_H

#include <stdbool.h>
#include <stdint.h>

#include "net/endpoint.h"

/* The hash of the flow between a and b (either order) over IP protocol
 * `proto` (6 TCP, 17 UDP). */
uint64_t flow_hash_symmetric(uint8_t proto, const struct pkt_endpoint *a,
                             const struct pkt_endpoint *b);

/* Whether the flow falls in shard k (1-based) of n; n <= 1: every flow. */
static inline bool flow_hash_in_shard(uint64_t hash, unsigned k, unsigned n)
{
    return n <= 1 || hash % n == (uint64_t)(k - 1);
}

#endif
