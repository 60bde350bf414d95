/* The symmetric flow hash (flow_hash.h): the endpoints are ordered as the
 * Community ID orders them (smaller address, then smaller port, first), then
 * hashed as 64-bit words with a multiply-xorshift mix. Endianness does not
 * matter: the words are assembled byte by byte. */
#include "net/flow_hash.h"

#include <string.h>

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v;
    h *= 0x9e3779b97f4a7c15ull;
    return h ^ (h >> 29);
}

static uint64_t load64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

static uint64_t endpoint_words(uint64_t h, const struct pkt_endpoint *e)
{
    h = mix(h, load64(e->addr));
    h = mix(h, load64(e->addr + 8));
    return mix(h, e->port);
}

/* Negative when a sorts before b. */
static int endpoint_cmp(const struct pkt_endpoint *a, const struct pkt_endpoint *b)
{
    int c = memcmp(a->addr, b->addr, sizeof a->addr);
    if (c != 0)
        return c;
    return (int)a->port - (int)b->port;
}

uint64_t flow_hash_symmetric(uint8_t proto, const struct pkt_endpoint *a,
                             const struct pkt_endpoint *b)
{
    if (endpoint_cmp(a, b) > 0) {
        const struct pkt_endpoint *t = a;
        a = b;
        b = t;
    }
    uint64_t h = mix(0x6d71746473686172ull, ((uint64_t)proto << 8) | a->family);
    h = endpoint_words(h, a);
    h = endpoint_words(h, b);
    /* splitmix64's finaliser: every input bit reaches the low bits that
     * `% n` reads. */
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebull;
    return h ^ (h >> 31);
}
