/* The index of the connection table (see flow_table.c): an open-addressing
 * hash of the unordered endpoint pair and an LRU list by last activity, both
 * in small dense arrays, and the entries' memory. */
#include "net/flow_table_priv.h"

#include <stdlib.h>
#include <string.h>


void flow_index_free_conn(struct flow_table *ft, struct flow_conn *c)
{
    tcp_reasm_release(conn_dir(c, 0), &ft->stats.reasm);
    tcp_reasm_release(conn_dir(c, 1), &ft->stats.reasm);
    free(entry_of(c));
}

/* The least recently active connection, or NULL. */
struct flow_conn *flow_index_lru_first(const struct flow_table *ft)
{
    return ft->lru_head == NIL ? NULL : ft->nodes[ft->lru_head].c;
}

/* The one after c in LRU order, or NULL. */
struct flow_conn *flow_index_lru_after(const struct flow_table *ft,
                                   struct flow_conn *c)
{
    uint32_t next = ft->nodes[entry_of(c)->node].next;
    return next == NIL ? NULL : ft->nodes[next].c;
}

/* One multiply per 32-bit word of the address (one word for IPv4), the
 * port folded in first: cheaper than a byte-wise hash on every packet. */
static uint32_t endpoint_hash(const struct pkt_endpoint *e)
{
    size_t words = e->family == PKT_AF_INET ? 1 : 4;
    uint64_t h = e->port;
    for (size_t i = 0; i < words; i++) {
        uint32_t w;
        memcpy(&w, e->addr + 4 * i, sizeof w);
        h = (h ^ w) * 0x9E3779B97F4A7C15u; /* 2^64 / golden ratio */
    }
    return (uint32_t)(h >> 32) ^ (uint32_t)h;
}

/* Symmetric in its two endpoints, so both directions hash alike. */
uint32_t flow_index_hash(const struct pkt_endpoint *a,
                          const struct pkt_endpoint *b)
{
    uint32_t h = endpoint_hash(a) + endpoint_hash(b);
    h ^= h >> 16; /* murmur3 finalizer */
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

static bool endpoint_equal(const struct pkt_endpoint *a,
                           const struct pkt_endpoint *b)
{
    return a->family == b->family && a->port == b->port &&
           memcmp(a->addr, b->addr, sizeof a->addr) == 0;
}

/* Finds the connection of src -> dst; *dir says which way that is. */
struct flow_conn *flow_index_lookup(const struct flow_table *ft, uint32_t hash,
                                const struct pkt_endpoint *src,
                                const struct pkt_endpoint *dst, int *dir)
{
    size_t mask = ft->nslots - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        const struct flow_slot *sl = &ft->slots[i];
        if (!sl->node1)
            return NULL;
        if (sl->hash != hash)
            continue;
        struct flow_conn *c = ft->nodes[sl->node1 - 1].c;
        if (endpoint_equal(&c->key.ep[0], src) &&
            endpoint_equal(&c->key.ep[1], dst)) {
            *dir = 0;
            return c;
        }
        if (endpoint_equal(&c->key.ep[1], src) &&
            endpoint_equal(&c->key.ep[0], dst)) {
            *dir = 1;
            return c;
        }
    }
}

/* Puts a slot in the first free place of its probe sequence. */
static void slot_place(struct flow_slot *slots, size_t nslots,
                       struct flow_slot sl)
{
    size_t mask = nslots - 1;
    size_t i = sl.hash & mask;
    while (slots[i].node1)
        i = (i + 1) & mask;
    slots[i] = sl;
}

static bool grow_slots(struct flow_table *ft)
{
    size_t n = ft->nslots * 2;
    struct flow_slot *sl = calloc(n, sizeof *sl);
    if (!sl)
        return false;
    for (size_t i = 0; i < ft->nslots; i++)
        if (ft->slots[i].node1)
            slot_place(sl, n, ft->slots[i]);
    free(ft->slots);
    ft->slots = sl;
    ft->nslots = n;
    return true;
}

/* Removes c's slot, shifting back the entries probed past it (linear
 * probing without tombstones). */
static void slot_remove(struct flow_table *ft, const struct flow_conn *c)
{
    size_t mask = ft->nslots - 1;
    size_t i = centry_of(c)->hash & mask;
    uint32_t node1 = centry_of(c)->node + 1;
    while (ft->slots[i].node1 && ft->slots[i].node1 != node1)
        i = (i + 1) & mask;
    if (!ft->slots[i].node1)
        return;
    for (size_t j = (i + 1) & mask; ft->slots[j].node1; j = (j + 1) & mask) {
        size_t home = ft->slots[j].hash & mask;
        /* j may move to i when its home is not in (i, j] cyclically. */
        bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!stays) {
            ft->slots[i] = ft->slots[j];
            i = j;
        }
    }
    ft->slots[i].node1 = 0;
    ft->slots[i].hash = 0;
}

/* ---- LRU list ---------------------------------------------------------- */

static bool node_alloc(struct flow_table *ft, uint32_t *out)
{
    if (ft->free_node != NIL) {
        *out = ft->free_node;
        ft->free_node = ft->nodes[*out].next;
        return true;
    }
    if (ft->nodes_used == ft->nnodes) {
        if (ft->nnodes > (NIL - 1) / 2)
            return false;
        uint32_t n = ft->nnodes * 2;
        struct lru_node *p = realloc(ft->nodes, (size_t)n * sizeof *p);
        if (!p)
            return false;
        ft->nodes = p;
        ft->nnodes = n;
    }
    *out = ft->nodes_used++;
    return true;
}

static void node_free(struct flow_table *ft, uint32_t i)
{
    ft->nodes[i].c = NULL;
    ft->nodes[i].next = ft->free_node;
    ft->free_node = i;
}

static void lru_unlink(struct flow_table *ft, uint32_t i)
{
    struct lru_node *n = &ft->nodes[i];
    if (n->prev != NIL)
        ft->nodes[n->prev].next = n->next;
    else
        ft->lru_head = n->next;
    if (n->next != NIL)
        ft->nodes[n->next].prev = n->prev;
    else
        ft->lru_tail = n->prev;
    n->prev = n->next = NIL;
}

static void lru_append(struct flow_table *ft, uint32_t i)
{
    struct lru_node *n = &ft->nodes[i];
    n->prev = ft->lru_tail;
    n->next = NIL;
    if (ft->lru_tail != NIL)
        ft->nodes[ft->lru_tail].next = i;
    else
        ft->lru_head = i;
    ft->lru_tail = i;
}

void flow_index_touch(struct flow_table *ft, struct flow_conn *c)
{
    uint32_t i = entry_of(c)->node;
    ft->nodes[i].last_ts_us = ft->now_us;
    if (ft->lru_tail != i) {
        lru_unlink(ft, i);
        lru_append(ft, i);
    }
}

/* False (nothing inserted) when the table cannot grow. */
bool flow_index_insert(struct flow_table *ft, struct flow_conn *c)
{
    uint32_t i;
    if ((ft->count + 1) * 2 > ft->nslots && !grow_slots(ft) &&
        (ft->count + 1) * 4 > ft->nslots * 3)
        return false; /* keep at least a quarter of the slots empty */
    if (!node_alloc(ft, &i))
        return false;
    entry_of(c)->node = i;
    ft->nodes[i].c = c;
    ft->nodes[i].last_ts_us = ft->now_us;
    slot_place(ft->slots, ft->nslots,
               (struct flow_slot){.node1 = i + 1, .hash = entry_of(c)->hash});
    lru_append(ft, i);
    ft->count++;
    ft->stats.entries_now = ft->count;
    return true;
}

void flow_index_remove(struct flow_table *ft, struct flow_conn *c)
{
    uint32_t i = entry_of(c)->node;
    slot_remove(ft, c);
    lru_unlink(ft, i);
    node_free(ft, i);
    ft->count--;
    ft->stats.entries_now = ft->count;
    flow_index_free_conn(ft, c);
}

