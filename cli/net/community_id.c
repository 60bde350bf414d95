/* The Community ID of a flow. See community_id.h. */
#include "net/community_id.h"

#include <string.h>

#include "util/base64.h"
#include "util/sha1.h"

static size_t addr_len(const struct pkt_endpoint *ep)
{
    return ep->family == PKT_AF_INET ? 4 : ep->family == PKT_AF_INET6 ? 16 : 0;
}

/* Whether a comes before b: the smaller address, then the smaller port
 * (the specification's ordering, which makes the ID direction-free). */
static int endpoint_first(const struct pkt_endpoint *a,
                          const struct pkt_endpoint *b, size_t n)
{
    int c = memcmp(a->addr, b->addr, n);
    return c < 0 || (c == 0 && a->port <= b->port);
}

static size_t put_endpoint_addr(uint8_t *p, const struct pkt_endpoint *ep, size_t n)
{
    memcpy(p, ep->addr, n);
    return n;
}

static size_t put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
    return 2;
}

void community_id_v1(uint16_t seed, uint8_t proto, const struct pkt_endpoint *a,
                     const struct pkt_endpoint *b, char out[COMMUNITY_ID_SIZE])
{
    size_t n = addr_len(a);
    out[0] = '\0';
    if (n == 0 || a->family != b->family)
        return;
    if (!endpoint_first(a, b, n)) {
        const struct pkt_endpoint *t = a;
        a = b;
        b = t;
    }
    uint8_t buf[2 + 16 + 16 + 1 + 1 + 2 + 2];
    size_t len = put_u16(buf, seed);
    len += put_endpoint_addr(buf + len, a, n);
    len += put_endpoint_addr(buf + len, b, n);
    buf[len++] = proto;
    buf[len++] = 0; /* padding */
    len += put_u16(buf + len, a->port);
    len += put_u16(buf + len, b->port);
    uint8_t digest[20];
    sha1(buf, len, digest);
    out[0] = '1';
    out[1] = ':';
    base64_encode(digest, sizeof digest, out + 2);
}
