/* The PROXY protocol header (HAProxy, "The PROXY protocol", versions 1 and
 * 2) that a load balancer (HAProxy, AWS NLB) puts before the first byte of a
 * connection to a broker, to say who the client really is. Pure: no state,
 * no allocation. */
#ifndef MQD_CLI_PROXY_H
#define MQD_CLI_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/endpoint.h"

/* Enough bytes to parse any header this reads: a v1 line (at most 107
 * bytes) or v2's 16 fixed bytes and an IPv6 address block (36). The rest
 * of a longer v2 header (TLVs, UNIX addresses) is skipped, not read. */
#define PROXY_PARSE_MAX 108

enum {
    PROXY_NOT = 0,        /* not a PROXY header */
    PROXY_NEED_MORE = -1, /* a prefix of one: call again with more */
    PROXY_MALFORMED = -2  /* the signature, then nonsense */
};

struct proxy_header {
    uint8_t version;   /* 1 or 2 */
    bool has_addr;     /* false: v2 LOCAL, v1 UNKNOWN, or a family not
                          TCP over IPv4/IPv6 */
    struct pkt_endpoint src, dst; /* the original client and server */
};

/* Parses buf[0..len), the first bytes of a connection. Returns the whole
 * header's length (> 0; for v2 it may exceed len: the remainder is to be
 * skipped), or PROXY_NOT, PROXY_NEED_MORE, PROXY_MALFORMED. */
long proxy_parse(const uint8_t *buf, size_t len, struct proxy_header *h);

#endif
