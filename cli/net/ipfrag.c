/* IP defragmentation; see ipfrag.h. Datagrams in progress are few (MQTT
 * rarely fragments): a list in order of first fragment, searched linearly
 * and bounded; each holds its pieces sorted and disjoint. */
#include "net/ipfrag.h"

#include <stdlib.h>
#include <string.h>

#include "net/endpoint.h"

#define MAX_DATAGRAM 65535u /* IPv4 total length; IPv6 payload length */

struct piece {
    struct piece *next;
    uint32_t off, len;
    uint8_t data[];
};

struct datagram {
    struct datagram *next;
    uint8_t family, proto;
    uint8_t src[16], dst[16];
    uint32_t id;
    int64_t first_us;
    uint32_t total;     /* known once the last fragment came (have_last) */
    bool have_last;
    struct piece *pieces;
    size_t held;
};

struct ipfrag {
    struct datagram *list, *tail; /* oldest first */
    size_t count, held;
    uint8_t *buf;                 /* the last datagram made whole */
    struct ipfrag_stats stats;
};

struct ipfrag *ipfrag_new(void)
{
    return calloc(1, sizeof(struct ipfrag));
}

static void free_pieces(struct ipfrag *f, struct datagram *d)
{
    while (d->pieces) {
        struct piece *p = d->pieces;
        d->pieces = p->next;
        free(p);
    }
    f->held -= d->held;
    d->held = 0;
}

/* Unlinks d (prev: the one before it, or NULL) and frees it. */
static void drop(struct ipfrag *f, struct datagram *prev, struct datagram *d)
{
    if (prev)
        prev->next = d->next;
    else
        f->list = d->next;
    if (f->tail == d)
        f->tail = prev;
    free_pieces(f, d);
    free(d);
    f->count--;
}

void ipfrag_free(struct ipfrag *f)
{
    if (!f)
        return;
    while (f->list)
        drop(f, NULL, f->list);
    free(f->buf);
    free(f);
}

const struct ipfrag_stats *ipfrag_stats(const struct ipfrag *f)
{
    return &f->stats;
}

static bool same(const struct datagram *d, const struct ip_info *ip)
{
    return d->family == ip->family && d->id == ip->frag.id &&
           d->proto == ip->frag.next && memcmp(d->src, ip->src, 16) == 0 &&
           memcmp(d->dst, ip->dst, 16) == 0;
}

/* Drops datagrams older than the timeout (the list is in order of first
 * fragment, so they are at its head). */
static void expire(struct ipfrag *f, int64_t now_us)
{
    while (f->list && now_us - f->list->first_us > IPFRAG_TIMEOUT_US) {
        f->stats.discarded++;
        drop(f, NULL, f->list);
    }
}

static struct datagram *find_or_new(struct ipfrag *f, const struct ip_info *ip,
                                    int64_t now_us, struct datagram **prev)
{
    *prev = NULL;
    for (struct datagram *d = f->list; d; *prev = d, d = d->next)
        if (same(d, ip))
            return d;
    if (f->count >= IPFRAG_MAX_DATAGRAMS) {
        f->stats.discarded++;
        drop(f, NULL, f->list);
    }
    struct datagram *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->family = ip->family;
    d->proto = ip->frag.next;
    memcpy(d->src, ip->src, 16);
    memcpy(d->dst, ip->dst, 16);
    d->id = ip->frag.id;
    d->first_us = now_us;
    *prev = f->tail;
    if (f->tail)
        f->tail->next = d;
    else
        f->list = d;
    f->tail = d;
    f->count++;
    return d;
}

static bool add_piece(struct ipfrag *f, struct datagram *d, struct piece **at,
                      uint32_t off, const uint8_t *data, uint32_t len)
{
    if (len == 0)
        return true;
    if (f->held + len > IPFRAG_MAX_BYTES)
        return false;
    struct piece *p = malloc(sizeof *p + len);
    if (!p)
        return false;
    p->off = off;
    p->len = len;
    memcpy(p->data, data, len);
    p->next = *at;
    *at = p;
    d->held += len;
    f->held += len;
    return true;
}

/* Inserts [off, off+len): IPv4 keeps what is held (first copy wins) and
 * counts differing overlaps; IPv6 fails on any overlap but an exact
 * duplicate. False: the datagram is to be discarded. */
static bool insert(struct ipfrag *f, struct datagram *d, uint32_t off,
                   const uint8_t *data, uint32_t len)
{
    uint32_t cur = off, end = off + len;
    struct piece **pp = &d->pieces;
    while (cur < end) {
        while (*pp && (*pp)->off + (*pp)->len <= cur)
            pp = &(*pp)->next;
        struct piece *p = *pp;
        if (p && p->off < end && d->family == PKT_AF_INET6) {
            bool dup = p->off == off && p->len == len &&
                       memcmp(p->data, data, len) == 0;
            return dup;
        }
        if (p && p->off <= cur) {
            uint32_t to = p->off + p->len < end ? p->off + p->len : end;
            if (memcmp(p->data + (cur - p->off), data + (cur - off), to - cur))
                f->stats.conflicts++;
            cur = to;
            continue;
        }
        uint32_t to = p && p->off < end ? p->off : end;
        if (!add_piece(f, d, pp, cur, data + (cur - off), to - cur))
            return false;
        pp = &(*pp)->next;
        cur = to;
    }
    return true;
}

/* Whole: the pieces cover [0, total) without a hole. */
static bool whole(const struct datagram *d)
{
    if (!d->have_last)
        return false;
    uint32_t at = 0;
    for (const struct piece *p = d->pieces; p; p = p->next) {
        if (p->off != at)
            return false;
        at += p->len;
    }
    return at == d->total;
}

bool ipfrag_add(struct ipfrag *f, const struct ip_info *ip, int64_t now_us,
                const uint8_t **data, size_t *len, uint8_t *proto)
{
    f->stats.fragments++;
    expire(f, now_us);
    struct datagram *prev;
    struct datagram *d = find_or_new(f, ip, now_us, &prev);
    if (!d)
        return false;
    uint64_t end = (uint64_t)ip->frag.offset + ip->frag.wirelen;
    bool ok = ip->frag.caplen >= ip->frag.wirelen && end <= MAX_DATAGRAM &&
              !(d->have_last && end > d->total) &&
              !(d->have_last && !ip->frag.more && end != d->total);
    if (ok && !ip->frag.more) {
        for (const struct piece *p = d->pieces; p; p = p->next)
            if (p->off + p->len > end)
                ok = false; /* data held past the end */
        d->have_last = true;
        d->total = (uint32_t)end;
    }
    if (ok)
        ok = insert(f, d, ip->frag.offset, ip->frag.data,
                    (uint32_t)ip->frag.wirelen);
    if (!ok) {
        f->stats.discarded++;
        drop(f, prev, d);
        return false;
    }
    if (!whole(d))
        return false;
    uint8_t *buf = realloc(f->buf, d->total ? d->total : 1);
    if (!buf) {
        f->stats.discarded++;
        drop(f, prev, d);
        return false;
    }
    f->buf = buf;
    for (const struct piece *p = d->pieces; p; p = p->next)
        memcpy(buf + p->off, p->data, p->len);
    *data = buf;
    *len = d->total;
    *proto = d->proto;
    f->stats.reassembled++;
    drop(f, prev, d);
    return true;
}
