/* The TCP connection table; see flow_table.h. Chained hash table keyed by
 * the unordered pair of endpoints, plus an LRU list ordered by last activity
 * (capture time), which makes idle expiry O(1) per packet. */
#include "flow_table.h"

#include <stdlib.h>
#include <string.h>

#include "linklayer.h"

#define DEFAULT_CONN_CAP ((size_t)1 << 20)
#define DEFAULT_GLOBAL_CAP ((size_t)16 << 20)
#define DEFAULT_IDLE_US ((int64_t)300 * 1000000)
#define DEFAULT_MAX_CONNS ((size_t)1000000)
#define INITIAL_BUCKETS ((size_t)1024)

struct flow_table {
    struct flow_config cfg;
    struct flow_sink sink;
    struct flow_conn **buckets;
    size_t nbuckets;      /* a power of two */
    size_t count;
    struct flow_conn *lru_head, *lru_tail; /* least recently active first */
    struct flow_stats stats;
    int64_t now_us;       /* latest packet timestamp seen */
    struct pkt_info last_pkt;
};

const char *flow_close_reason_name(enum flow_close_reason r)
{
    switch (r) {
    case FLOW_CLOSE_FIN: return "FIN";
    case FLOW_CLOSE_RST: return "RST";
    case FLOW_CLOSE_IDLE: return "IDLE";
    case FLOW_CLOSE_EVICTED: return "EVICTED";
    case FLOW_CLOSE_END_OF_CAPTURE: return "END";
    }
    return "?";
}

/* ---- construction ------------------------------------------------------ */

static void apply_defaults(struct flow_config *c)
{
    if (c->conn_cap == 0)
        c->conn_cap = DEFAULT_CONN_CAP;
    if (c->global_cap == 0)
        c->global_cap = DEFAULT_GLOBAL_CAP;
    if (c->idle_timeout_us == 0)
        c->idle_timeout_us = DEFAULT_IDLE_US;
    if (c->max_conns == 0)
        c->max_conns = DEFAULT_MAX_CONNS;
}

struct flow_table *flow_table_new(const struct flow_config *cfg,
                                  const struct flow_sink *sink)
{
    struct flow_table *ft = calloc(1, sizeof *ft);
    if (!ft)
        return NULL;
    if (cfg)
        ft->cfg = *cfg;
    if (sink)
        ft->sink = *sink;
    apply_defaults(&ft->cfg);
    ft->nbuckets = INITIAL_BUCKETS;
    ft->buckets = calloc(ft->nbuckets, sizeof *ft->buckets);
    if (!ft->buckets) {
        free(ft);
        return NULL;
    }
    return ft;
}

static void free_conn(struct flow_table *ft, struct flow_conn *c)
{
    tcp_reasm_release(&c->dir[0], &ft->stats.reasm);
    tcp_reasm_release(&c->dir[1], &ft->stats.reasm);
    free(c);
}

void flow_table_free(struct flow_table *ft)
{
    if (!ft)
        return;
    struct flow_conn *c = ft->lru_head;
    while (c) {
        struct flow_conn *next = c->lru_next;
        free_conn(ft, c);
        c = next;
    }
    free(ft->buckets);
    free(ft);
}

const struct flow_stats *flow_table_stats(const struct flow_table *ft)
{
    return &ft->stats;
}

/* ---- hashing and lookup ------------------------------------------------ */

static uint32_t endpoint_hash(const struct pkt_endpoint *e)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    size_t n = e->family == PKT_AF_INET ? 4 : 16;
    for (size_t i = 0; i < n; i++)
        h = (h ^ e->addr[i]) * 16777619u;
    h = (h ^ (e->port & 0xFFu)) * 16777619u;
    h = (h ^ (uint32_t)(e->port >> 8)) * 16777619u;
    return h;
}

/* Symmetric in its two endpoints, so both directions hash alike. */
static uint32_t pair_hash(const struct pkt_endpoint *a,
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
static struct flow_conn *lookup(const struct flow_table *ft, uint32_t hash,
                                const struct pkt_endpoint *src,
                                const struct pkt_endpoint *dst, int *dir)
{
    struct flow_conn *c = ft->buckets[hash & (ft->nbuckets - 1)];
    for (; c; c = c->hash_next) {
        if (c->hash != hash)
            continue;
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
    return NULL;
}

static void grow(struct flow_table *ft)
{
    size_t n = ft->nbuckets * 2;
    struct flow_conn **b = calloc(n, sizeof *b);
    if (!b)
        return; /* keep the longer chains */
    for (size_t i = 0; i < ft->nbuckets; i++) {
        struct flow_conn *c = ft->buckets[i];
        while (c) {
            struct flow_conn *next = c->hash_next;
            c->hash_next = b[c->hash & (n - 1)];
            b[c->hash & (n - 1)] = c;
            c = next;
        }
    }
    free(ft->buckets);
    ft->buckets = b;
    ft->nbuckets = n;
}

/* ---- LRU list ---------------------------------------------------------- */

static void lru_unlink(struct flow_table *ft, struct flow_conn *c)
{
    if (c->lru_prev)
        c->lru_prev->lru_next = c->lru_next;
    else
        ft->lru_head = c->lru_next;
    if (c->lru_next)
        c->lru_next->lru_prev = c->lru_prev;
    else
        ft->lru_tail = c->lru_prev;
    c->lru_prev = c->lru_next = NULL;
}

static void lru_append(struct flow_table *ft, struct flow_conn *c)
{
    c->lru_prev = ft->lru_tail;
    c->lru_next = NULL;
    if (ft->lru_tail)
        ft->lru_tail->lru_next = c;
    else
        ft->lru_head = c;
    ft->lru_tail = c;
}

static void touch(struct flow_table *ft, struct flow_conn *c)
{
    c->last_ts_us = ft->now_us;
    if (ft->lru_tail != c) {
        lru_unlink(ft, c);
        lru_append(ft, c);
    }
}

static void insert_conn(struct flow_table *ft, struct flow_conn *c)
{
    if (ft->count >= ft->nbuckets)
        grow(ft);
    size_t i = c->hash & (ft->nbuckets - 1);
    c->hash_next = ft->buckets[i];
    ft->buckets[i] = c;
    lru_append(ft, c);
    ft->count++;
    ft->stats.entries_now = ft->count;
}

static void remove_conn(struct flow_table *ft, struct flow_conn *c)
{
    struct flow_conn **pp = &ft->buckets[c->hash & (ft->nbuckets - 1)];
    while (*pp && *pp != c)
        pp = &(*pp)->hash_next;
    if (*pp)
        *pp = c->hash_next;
    lru_unlink(ft, c);
    ft->count--;
    ft->stats.entries_now = ft->count;
    free_conn(ft, c);
}

/* ---- reassembly callbacks ---------------------------------------------- */

struct conn_emit {
    struct flow_table *ft;
    struct flow_conn *c;
    int dir;
    const struct pkt_info *pkt;
};

static void emit_data(void *ctx, const uint8_t *data, size_t len,
                      uint64_t off)
{
    struct conn_emit *ce = ctx;
    const struct flow_sink *s = &ce->ft->sink;
    if (s->on_data)
        s->on_data(s->ctx, ce->c, ce->dir, data, len, off, ce->pkt);
}

static void emit_gap(void *ctx, uint64_t off, uint64_t len)
{
    struct conn_emit *ce = ctx;
    const struct flow_sink *s = &ce->ft->sink;
    if (s->on_gap)
        s->on_gap(s->ctx, ce->c, ce->dir, off, len, ce->pkt);
}

static void emit_conflict(void *ctx, uint64_t off, uint64_t len)
{
    struct conn_emit *ce = ctx;
    const struct flow_sink *s = &ce->ft->sink;
    if (s->on_conflict)
        s->on_conflict(s->ctx, ce->c, ce->dir, off, len, ce->pkt);
}

static struct reasm_emit make_emit(struct conn_emit *ce)
{
    struct reasm_emit e = {ce, emit_data, emit_gap, emit_conflict,
                           &ce->ft->stats.reasm};
    return e;
}

/* ---- closing ----------------------------------------------------------- */

static void count_close(struct flow_stats *st, enum flow_close_reason why)
{
    switch (why) {
    case FLOW_CLOSE_FIN: st->closed_fin++; break;
    case FLOW_CLOSE_RST: st->closed_rst++; break;
    case FLOW_CLOSE_IDLE: st->evicted_idle++; break;
    case FLOW_CLOSE_EVICTED: st->evicted_full++; break;
    case FLOW_CLOSE_END_OF_CAPTURE: break;
    }
}

/* Delivers what each direction still holds (gaps for holes), then on_close.
 * The entry stays, marked closed. */
static void close_conn(struct flow_table *ft, struct flow_conn *c,
                       enum flow_close_reason why, const struct pkt_info *pkt)
{
    for (int d = 0; d < 2; d++) {
        struct conn_emit ce = {ft, c, d, pkt};
        struct reasm_emit e = make_emit(&ce);
        tcp_reasm_flush(&c->dir[d], &e);
        tcp_reasm_release(&c->dir[d], &ft->stats.reasm);
    }
    count_close(&ft->stats, why);
    if (ft->sink.on_close)
        ft->sink.on_close(ft->sink.ctx, c, why, pkt);
    c->flags |= FLOW_CLOSED;
    c->app = NULL;
}

/* Closes (if open) and removes an entry. */
static void drop_conn(struct flow_table *ft, struct flow_conn *c,
                      enum flow_close_reason why, const struct pkt_info *pkt)
{
    if (!(c->flags & FLOW_CLOSED))
        close_conn(ft, c, why, pkt);
    remove_conn(ft, c);
}

static void close_if_finished(struct flow_table *ft, struct flow_conn *c,
                              const struct pkt_info *pkt)
{
    if (!(c->flags & FLOW_CLOSED) && c->dir[0].done && c->dir[1].done)
        close_conn(ft, c, FLOW_CLOSE_FIN, pkt);
}

/* Capture time moves forward with the packets; entries idle for longer
 * than the timeout are closed and removed, oldest first. */
static void advance_clock(struct flow_table *ft, const struct pkt_info *pkt)
{
    ft->last_pkt = *pkt;
    if (pkt->ts_us > ft->now_us)
        ft->now_us = pkt->ts_us;
    if (ft->cfg.idle_timeout_us < 0)
        return;
    while (ft->lru_head &&
           ft->now_us - ft->lru_head->last_ts_us > ft->cfg.idle_timeout_us)
        drop_conn(ft, ft->lru_head, FLOW_CLOSE_IDLE, pkt);
}

/* ---- caps -------------------------------------------------------------- */

static void skip_hole_in(struct flow_table *ft, struct flow_conn *c, int d,
                         const struct pkt_info *pkt)
{
    struct conn_emit ce = {ft, c, d, pkt};
    struct reasm_emit e = make_emit(&ce);
    if (tcp_reasm_skip_hole(&c->dir[d], &e))
        ft->stats.cap_flushes++;
}

static size_t conn_held(const struct flow_conn *c)
{
    return c->dir[0].held_bytes + c->dir[1].held_bytes;
}

/* Per connection: give up holes in the fuller direction until under cap. */
static void enforce_conn_cap(struct flow_table *ft, struct flow_conn *c,
                             const struct pkt_info *pkt)
{
    while (conn_held(c) > ft->cfg.conn_cap) {
        int d = c->dir[0].held_bytes >= c->dir[1].held_bytes ? 0 : 1;
        skip_hole_in(ft, c, d, pkt);
    }
}

/* Global: give up the holes of the least recently active connections that
 * hold data until under cap. Only runs when the cap is exceeded. */
static void enforce_global_cap(struct flow_table *ft,
                               const struct pkt_info *pkt)
{
    struct flow_conn *c = ft->lru_head;
    while (c && ft->stats.reasm.held_now > ft->cfg.global_cap) {
        struct flow_conn *next = c->lru_next;
        for (int d = 0; d < 2; d++)
            while (c->dir[d].held)
                skip_hole_in(ft, c, d, pkt);
        close_if_finished(ft, c, pkt);
        c = next;
    }
}

/* ---- opening ----------------------------------------------------------- */

static bool is_server_port(const struct flow_table *ft, uint16_t port)
{
    return ft->cfg.is_server_port &&
           ft->cfg.is_server_port(ft->cfg.ctx, port);
}

/* Is src the client? The SYN sender is; the SYN-ACK sender is not; else
 * the side not on a server port, else the higher port. */
static bool src_is_client(const struct flow_table *ft,
                          const struct pkt_endpoint *src,
                          const struct pkt_endpoint *dst, uint8_t flags)
{
    if (flags & TCP_SYN)
        return !(flags & TCP_ACK);
    if (is_server_port(ft, dst->port))
        return true;
    if (is_server_port(ft, src->port))
        return false;
    return src->port >= dst->port;
}

static struct flow_conn *open_conn(struct flow_table *ft, uint32_t hash,
                                   const struct pkt_endpoint *src,
                                   const struct pkt_endpoint *dst,
                                   const struct tcp_info *tcp,
                                   const struct pkt_info *pkt, int *dir)
{
    bool syn = (tcp->flags & TCP_SYN) != 0;
    if ((!syn && tcp->payload_len == 0) || (tcp->flags & TCP_RST))
        return NULL; /* only a SYN or data starts a connection */
    bool client = src_is_client(ft, src, dst, tcp->flags);
    struct flow_key key = {{client ? *src : *dst, client ? *dst : *src}};
    if (ft->cfg.accept && !ft->cfg.accept(ft->cfg.ctx, &key))
        return NULL;
    if (ft->count >= ft->cfg.max_conns && ft->lru_head)
        drop_conn(ft, ft->lru_head, FLOW_CLOSE_EVICTED, pkt);
    struct flow_conn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->number = ++ft->stats.connections;
    c->key = key;
    c->hash = hash;
    c->flags = syn ? FLOW_SYN_SEEN : FLOW_MIDSTREAM;
    c->first_ts_us = c->last_ts_us = ft->now_us;
    tcp_reasm_init(&c->dir[0]);
    tcp_reasm_init(&c->dir[1]);
    if (syn && (tcp->flags & TCP_ACK))
        tcp_reasm_start(&c->dir[0], tcp->ack); /* SYN lost: client's next */
    insert_conn(ft, c);
    *dir = client ? 0 : 1;
    if (ft->sink.on_open)
        ft->sink.on_open(ft->sink.ctx, c, pkt);
    return c;
}

/* ---- segments ---------------------------------------------------------- */

static void endpoints_of(const struct ip_info *ip, uint16_t sport,
                         uint16_t dport, struct pkt_endpoint *src,
                         struct pkt_endpoint *dst)
{
    memset(src, 0, sizeof *src);
    memset(dst, 0, sizeof *dst);
    src->family = dst->family = ip->family;
    memcpy(src->addr, ip->src, sizeof src->addr);
    memcpy(dst->addr, ip->dst, sizeof dst->addr);
    src->port = sport;
    dst->port = dport;
}

static void feed(struct flow_table *ft, struct flow_conn *c, int d,
                 const struct tcp_info *tcp, const struct pkt_info *pkt)
{
    struct reasm_input in = {
        .seq = tcp->seq,
        .syn = (tcp->flags & TCP_SYN) != 0,
        .fin = (tcp->flags & TCP_FIN) != 0,
        .data = tcp->payload,
        .caplen = tcp->payload_caplen,
        .wirelen = tcp->payload_len,
    };
    struct conn_emit ce = {ft, c, d, pkt};
    struct reasm_emit e = make_emit(&ce);
    tcp_reasm_segment(&c->dir[d], &in, &e);
}

void flow_table_tcp(struct flow_table *ft, const struct ip_info *ip,
                    const struct tcp_info *tcp, const struct pkt_info *pkt)
{
    struct pkt_endpoint src, dst;
    int dir = 0;
    ft->stats.tcp_segments++;
    advance_clock(ft, pkt);
    endpoints_of(ip, tcp->sport, tcp->dport, &src, &dst);
    uint32_t hash = pair_hash(&src, &dst);
    struct flow_conn *c = lookup(ft, hash, &src, &dst, &dir);
    bool new_syn = (tcp->flags & (TCP_SYN | TCP_ACK)) == TCP_SYN;
    if (c && (c->flags & FLOW_CLOSED)) {
        if (!new_syn) {
            touch(ft, c); /* a straggler of a closed connection */
            return;
        }
        remove_conn(ft, c); /* the 4-tuple is reused */
        c = NULL;
    }
    if (!c)
        c = open_conn(ft, hash, &src, &dst, tcp, pkt, &dir);
    if (!c)
        return;
    touch(ft, c);
    c->packets[dir]++;
    c->bytes[dir] += tcp->payload_len;
    ft->stats.packets++;
    ft->stats.bytes += tcp->payload_len;
    if (tcp->flags & TCP_SYN)
        c->flags |= FLOW_SYN_SEEN;
    if (tcp->flags & TCP_RST) {
        close_conn(ft, c, FLOW_CLOSE_RST, pkt);
        return;
    }
    feed(ft, c, dir, tcp, pkt);
    enforce_conn_cap(ft, c, pkt);
    close_if_finished(ft, c, pkt);
    if (ft->stats.reasm.held_now > ft->cfg.global_cap)
        enforce_global_cap(ft, pkt);
}

void flow_table_udp(struct flow_table *ft, const struct ip_info *ip,
                    const struct udp_info *udp, const struct pkt_info *pkt)
{
    struct pkt_endpoint src, dst;
    ft->stats.udp_datagrams++;
    advance_clock(ft, pkt);
    endpoints_of(ip, udp->sport, udp->dport, &src, &dst);
    if (ft->sink.on_udp)
        ft->sink.on_udp(ft->sink.ctx, &src, &dst, udp->payload,
                        udp->payload_caplen, udp->payload_len, pkt);
}

void flow_table_flush(struct flow_table *ft, const struct pkt_info *pkt)
{
    if (!pkt)
        pkt = &ft->last_pkt;
    while (ft->lru_head)
        drop_conn(ft, ft->lru_head, FLOW_CLOSE_END_OF_CAPTURE, pkt);
}

/* ---- whole frames ------------------------------------------------------ */

static void count_ip_failure(struct flow_stats *st, int rc)
{
    switch (rc) {
    case IP_TRUNCATED: st->truncated++; break;
    case IP_FRAGMENT: st->fragments++; break;
    case IP_NOT_IP: st->not_ip++; break;
    default: st->malformed++; break;
    }
}

static void dispatch_l4(struct flow_table *ft, const struct ip_info *ip,
                        const struct pkt_info *pkt)
{
    struct tcp_info tcp;
    struct udp_info udp;
    int rc;
    switch (ip->proto) {
    case IPPROTO_TCP_:
        rc = tcp_decode(ip, &tcp);
        if (rc == IP_OK)
            flow_table_tcp(ft, ip, &tcp, pkt);
        else
            count_ip_failure(&ft->stats, rc);
        break;
    case IPPROTO_UDP_:
        rc = udp_decode(ip, &udp);
        if (rc == IP_OK)
            flow_table_udp(ft, ip, &udp, pkt);
        else
            count_ip_failure(&ft->stats, rc);
        break;
    default:
        ft->stats.other_proto++;
        break;
    }
}

void flow_table_frame(struct flow_table *ft, int dlt,
                      const struct pcap_pkthdr *hdr, const uint8_t *bytes,
                      uint64_t frame)
{
    struct pkt_info pkt = {
        frame, (int64_t)hdr->ts.tv_sec * 1000000 + (int64_t)hdr->ts.tv_usec};
    struct link_result link;
    struct ip_info ip;
    ft->stats.frames++;
    int rc = linklayer_decode(dlt, bytes, hdr->caplen, hdr->len, &link);
    if (rc != LINK_OK) {
        if (rc == LINK_UNSUPPORTED)
            ft->stats.link_unsupported++;
        else if (rc == LINK_TRUNCATED)
            ft->stats.truncated++;
        else
            ft->stats.not_ip++;
        return;
    }
    rc = ip_decode(link.ethertype, link.net, link.caplen, link.wirelen, &ip);
    if (rc != IP_OK) {
        count_ip_failure(&ft->stats, rc);
        return;
    }
    dispatch_l4(ft, &ip, &pkt);
}
