/* The TCP connection table; see flow_table.h. An open-addressing hash table
 * keyed by the unordered pair of endpoints, plus an LRU list ordered by last
 * activity (capture time), which makes idle expiry O(1) per packet.
 *
 * Both live in small dense arrays (a slot holds the hash and the entry; an
 * LRU node holds the links and the last activity time), so that finding a
 * connection and moving it to the LRU tail touch neither that connection's
 * memory beyond its key nor any other connection's: with thousands of
 * connections those were cache misses on every packet. The index itself
 * is in flow_index.c; here: opening, segments, closing, caps, frames. */
#include "net/flow_table.h"

#include "net/flow_table_priv.h"

#include <stdlib.h>
#include <string.h>

#include "net/checksum.h"
#include "net/decode.h"
#include "net/ipfrag.h"

#define DEFAULT_CONN_CAP ((size_t)1 << 20)
#define MAX_CONN_CAP ((size_t)1 << 30) /* a larger conn_cap is this */
#define DEFAULT_GLOBAL_CAP ((size_t)16 << 20)
#define DEFAULT_IDLE_US ((int64_t)300 * 1000000)
#define DEFAULT_MAX_CONNS ((size_t)262144)
#define INITIAL_SLOTS ((size_t)2048)
#define INITIAL_NODES ((uint32_t)1024)
/* After an acceptable RST, data before its sequence number is still
 * accepted for this long (capture time), then reported as a gap (Zeek
 * waits about as long). */
#define RST_GRACE_US ((int64_t)5 * 1000000)
/* The receiver's window for RFC 5961's check when the handshake was not
 * seen (its window scale unknown): it bounds what an MQTT connection has in
 * flight. With the handshake, the window the receiver last advertised. */
#define RST_WINDOW ((uint64_t)1 << 20)

const char *flow_close_reason_name(enum flow_close_reason r)
{
    switch (r) {
    case FLOW_CLOSE_FIN: return "FIN";
    case FLOW_CLOSE_RST: return "RST";
    case FLOW_CLOSE_IDLE: return "IDLE";
    case FLOW_CLOSE_EVICTED: return "EVICTED";
    case FLOW_CLOSE_END_OF_CAPTURE: return "END";
    case FLOW_CLOSE_REUSED: return "REUSED";
    }
    return "?";
}

/* ---- construction ------------------------------------------------------ */

static void apply_defaults(struct flow_config *c)
{
    if (c->conn_cap == 0)
        c->conn_cap = DEFAULT_CONN_CAP;
    if (c->conn_cap > MAX_CONN_CAP) /* tcp_reasm counts in 32 bits */
        c->conn_cap = MAX_CONN_CAP;
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
    ft->lru_head = ft->lru_tail = ft->free_node = NIL;
    ft->nslots = INITIAL_SLOTS;
    ft->slots = calloc(ft->nslots, sizeof *ft->slots);
    ft->nnodes = INITIAL_NODES;
    ft->nodes = malloc(ft->nnodes * sizeof *ft->nodes);
    ft->frag = ipfrag_new();
    if (!ft->slots || !ft->nodes || !ft->frag) {
        free(ft->slots);
        free(ft->nodes);
        ipfrag_free(ft->frag);
        free(ft);
        return NULL;
    }
    return ft;
}

void flow_table_free(struct flow_table *ft)
{
    if (!ft)
        return;
    struct flow_conn *c = flow_index_lru_first(ft);
    while (c) {
        struct flow_conn *next = flow_index_lru_after(ft, c);
        flow_index_free_conn(ft, c);
        c = next;
    }
    while (ft->rst_waits) {
        struct rst_wait *w = ft->rst_waits;
        ft->rst_waits = w->next;
        free(w);
    }
    free(ft->slots);
    free(ft->nodes);
    ipfrag_free(ft->frag);
    free(ft->resume);
    free(ft);
}

const struct flow_stats *flow_table_stats(const struct flow_table *ft)
{
    return &ft->stats;
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
    for (int d = 0; d < 2; d++)
        ce->c->holding[d] = tcp_reasm_lagging(conn_dir(ce->c, d));
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
    case FLOW_CLOSE_REUSED: break; /* counted as reused */
    }
}

/* Delivers what each direction still holds (gaps for holes), then on_close.
 * The entry stays, marked closed. */
static void rst_unpend(struct flow_table *ft, struct conn_entry *e)
{
    if (!e->rst_pending)
        return;
    for (struct rst_wait **pp = &ft->rst_waits; *pp; pp = &(*pp)->next)
        if ((*pp)->e == e) {
            struct rst_wait *w = *pp;
            *pp = w->next;
            free(w);
            break;
        }
    e->rst_pending = false;
}

static struct flow_resume *resume_slot(const struct flow_table *ft,
                                       const struct flow_key *k)
{
    return &ft->resume[flow_index_hash(&k->ep[0], &k->ep[1]) % FLOW_RESUME_SLOTS];
}

/* An evicted connection: where each direction's stream stopped (after the
 * flush: past what was given up as lost). */
static void resume_keep(struct flow_table *ft, struct flow_conn *c)
{
    if (!ft->resume)
        ft->resume = calloc(FLOW_RESUME_SLOTS, sizeof *ft->resume);
    if (!ft->resume)
        return;
    struct flow_resume *r = resume_slot(ft, &c->key);
    memset(r, 0, sizeof *r);
    r->key = c->key;
    for (int d = 0; d < 2; d++) {
        const struct tcp_reasm *t = conn_cdir(c, d);
        if (t->started && !t->done) {
            r->started |= (uint8_t)(1u << d);
            r->next_seq[d] = t->base_seq + (uint32_t)t->next_off;
        }
    }
    r->used = r->started != 0;
}

/* A connection picked up at a data segment from direction d: if it goes on
 * exactly where an evicted one on the same endpoints stopped, its streams
 * start there (FLOW_RESUMED). */
static void resume_take(struct flow_table *ft, struct flow_conn *c, int d,
                        uint32_t seq)
{
    if (!ft->resume)
        return;
    struct flow_resume *r = resume_slot(ft, &c->key);
    if (!r->used || !(r->started & (1u << d)) || r->next_seq[d] != seq)
        return;
    for (int x = 0; x < 2; x++) {
        const struct pkt_endpoint *a = &r->key.ep[x], *b = &c->key.ep[x];
        if (a->family != b->family || a->port != b->port ||
            memcmp(a->addr, b->addr, sizeof a->addr) != 0)
            return;
    }
    r->used = false;
    c->flags |= FLOW_RESUMED;
    for (int x = 0; x < 2; x++)
        if (r->started & (1u << x))
            tcp_reasm_start(conn_dir(c, x), r->next_seq[x]);
}

static void close_conn(struct flow_table *ft, struct flow_conn *c,
                       enum flow_close_reason why, const struct pkt_info *pkt)
{
    rst_unpend(ft, entry_of(c));
    for (int d = 0; d < 2; d++) {
        struct conn_emit ce = {ft, c, d, pkt};
        struct reasm_emit e = make_emit(&ce);
        tcp_reasm_flush(conn_dir(c, d), &e);
        tcp_reasm_release(conn_dir(c, d), &ft->stats.reasm);
    }
    if (why == FLOW_CLOSE_IDLE || why == FLOW_CLOSE_EVICTED)
        resume_keep(ft, c);
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
    flow_index_remove(ft, c);
}

/* After a RST from direction d: nothing known to exist is missing, that
 * is d is delivered up to the RST, and the other direction holds nothing
 * back, has no acknowledged bytes undelivered, and reached its FIN if one
 * was seen (data sent before the RST, captured after it). */
static bool rst_settled(const struct flow_conn *c, int d)
{
    const struct tcp_reasm *o = conn_cdir(c, 1 - d);
    return conn_cdir(c, d)->done && !tcp_reasm_lagging(o) &&
           !(o->fin_seen && !o->done);
}

/* A pending RST takes effect when nothing before it is missing. */
static void close_if_reset(struct flow_table *ft, struct flow_conn *c,
                           const struct pkt_info *pkt)
{
    struct conn_entry *e = entry_of(c);
    if (e->rst_pending && !(c->flags & FLOW_CLOSED) && rst_settled(c, e->rst_dir))
        close_conn(ft, c, FLOW_CLOSE_RST, pkt);
}

static void close_if_finished(struct flow_table *ft, struct flow_conn *c,
                              const struct pkt_info *pkt)
{
    if (!(c->flags & FLOW_CLOSED) && conn_dir(c, 0)->done && conn_dir(c, 1)->done)
        close_conn(ft, c, FLOW_CLOSE_FIN, pkt);
}

/* Capture time moves forward with the packets; entries idle for longer
 * than the timeout are closed and removed, oldest first. */
static void advance_clock(struct flow_table *ft, const struct pkt_info *pkt)
{
    ft->last_pkt = *pkt;
    if (pkt->ts_us > ft->now_us)
        ft->now_us = pkt->ts_us;
    while (ft->rst_waits && ft->now_us > ft->rst_waits->deadline_us)
        close_conn(ft, &ft->rst_waits->e->conn, FLOW_CLOSE_RST, pkt);
    if (ft->cfg.idle_timeout_us < 0)
        return;
    while (ft->lru_head != NIL &&
           ft->now_us - ft->nodes[ft->lru_head].last_ts_us >
               ft->cfg.idle_timeout_us)
        drop_conn(ft, ft->nodes[ft->lru_head].c, FLOW_CLOSE_IDLE, pkt);
}

/* ---- caps -------------------------------------------------------------- */

static void skip_hole_in(struct flow_table *ft, struct flow_conn *c, int d,
                         const struct pkt_info *pkt)
{
    struct conn_emit ce = {ft, c, d, pkt};
    struct reasm_emit e = make_emit(&ce);
    if (tcp_reasm_skip_hole(conn_dir(c, d), &e))
        ft->stats.cap_flushes++;
}

static size_t conn_held(const struct flow_conn *c)
{
    return tcp_reasm_held_bytes(conn_cdir(c, 0)) + tcp_reasm_held_bytes(conn_cdir(c, 1));
}

/* Per connection: give up holes in the fuller direction until under cap. */
static void enforce_conn_cap(struct flow_table *ft, struct flow_conn *c,
                             const struct pkt_info *pkt)
{
    while (conn_held(c) > ft->cfg.conn_cap) {
        int d = tcp_reasm_held_bytes(conn_dir(c, 0)) >= tcp_reasm_held_bytes(conn_dir(c, 1)) ? 0 : 1;
        skip_hole_in(ft, c, d, pkt);
    }
}

/* Global: give up the holes of the least recently active connections that
 * hold data until under cap. Only runs when the cap is exceeded. */
static void enforce_global_cap(struct flow_table *ft,
                               const struct pkt_info *pkt)
{
    struct flow_conn *c = flow_index_lru_first(ft);
    while (c && ft->stats.reasm.held_now > ft->cfg.global_cap) {
        struct flow_conn *next = flow_index_lru_after(ft, c);
        for (int d = 0; d < 2; d++)
            while (conn_dir(c, d)->held)
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
    if (ft->count >= ft->cfg.max_conns && flow_index_lru_first(ft))
        drop_conn(ft, flow_index_lru_first(ft), FLOW_CLOSE_EVICTED, pkt);
    struct conn_entry *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    struct flow_conn *c = &e->conn;
    c->number = ++ft->stats.connections;
    c->key = key;
    entry_of(c)->hash = hash;
    c->flags = syn ? FLOW_SYN_SEEN : FLOW_MIDSTREAM;
    tcp_reasm_init(conn_dir(c, 0));
    tcp_reasm_init(conn_dir(c, 1));
    if (syn && (tcp->flags & TCP_ACK))
        tcp_reasm_start(conn_dir(c, 0), tcp->ack); /* SYN lost: client's next */
    if (!syn)
        resume_take(ft, c, client ? 0 : 1, tcp->seq);
    if (!flow_index_insert(ft, c)) {
        free(e);
        ft->stats.connections--;
        return NULL;
    }
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
        .ts_us = pkt->ts_us,
    };
    struct conn_emit ce = {ft, c, d, pkt};
    struct reasm_emit e = make_emit(&ce);
    tcp_reasm_segment(conn_dir(c, d), &in, &e);
}

/* The segment's ACK tells what the other direction sent: holes there that
 * the capture lost are given up at once (tcp_reasm_ack). First, so that the
 * segment's own data sees the other direction as lagging when it was
 * acknowledged but not captured yet. */
static void feed_ack(struct flow_table *ft, struct flow_conn *c, int d,
                     const struct tcp_info *tcp, const struct pkt_info *pkt)
{
    if (!(tcp->flags & TCP_ACK))
        return;
    struct conn_emit ce = {ft, c, 1 - d, pkt};
    struct reasm_emit e = make_emit(&ce);
    tcp_reasm_ack(conn_dir(c, 1 - d), tcp->ack, pkt->ts_us, &e);
}

/* RFC 5961 s3.2: a RST outside the receiver's window is ignored (one
 * spoofed packet must not end the analysis). An acceptable one ends the
 * connection now, or, when data sent before it is missing (rst_settled),
 * once that data is delivered or RST_GRACE_US later (the missing bytes are
 * then a gap). */
static void on_rst(struct flow_table *ft, struct flow_conn *c, int d,
                   const struct tcp_info *tcp, const struct pkt_info *pkt)
{
    struct conn_entry *ent = entry_of(c);
    uint64_t window = (ent->hs & (HS_SYN | HS_SYNACK)) == (HS_SYN | HS_SYNACK)
                          ? ent->win[1 - d]
                          : RST_WINDOW;
    if (!tcp_reasm_rst_acceptable(conn_dir(c, d), tcp->seq, window)) {
        ft->stats.rst_ignored++;
        return;
    }
    struct conn_emit ce = {ft, c, d, pkt};
    struct reasm_emit e = make_emit(&ce);
    tcp_reasm_reset(conn_dir(c, d), tcp->seq, &e);
    if (rst_settled(c, d)) {
        close_conn(ft, c, FLOW_CLOSE_RST, pkt);
        return;
    }
    if (ent->rst_pending)
        return;
    struct rst_wait *w = malloc(sizeof *w);
    if (!w) { /* no memory to wait: closed now */
        close_conn(ft, c, FLOW_CLOSE_RST, pkt);
        return;
    }
    /* Deadlines grow with capture time: appending keeps the list sorted. */
    ent->rst_pending = true;
    ent->rst_dir = (uint8_t)d;
    *w = (struct rst_wait){ent, ft->now_us + RST_GRACE_US, NULL};
    struct rst_wait **pp = &ft->rst_waits;
    while (*pp)
        pp = &(*pp)->next;
    *pp = w;
}

/* A SYN (not a SYN-ACK) on an open connection that is not a
 * retransmission of its SYN: the 4-tuple is reused by a new connection. */
/* RFC 7323 s2.2, s2.3: a SYN's window is never scaled, and carries the
 * sender's Window Scale; the windows after the handshake are scaled by
 * their sender's shift when both SYNs had the option. */
static void track_window(struct conn_entry *ent, int d, const struct tcp_info *tcp)
{
    unsigned shift = 0;
    if (tcp->flags & TCP_SYN) {
        bool ack = (tcp->flags & TCP_ACK) != 0;
        if (d == (ack ? 1 : 0)) {
            ent->hs |= ack ? HS_SYNACK : HS_SYN;
            ent->hs &= (uint8_t)~(ack ? HS_WS1 : HS_WS0);
            if (tcp->wscale != TCP_NO_WSCALE) {
                ent->hs |= ack ? HS_WS1 : HS_WS0;
                ent->wscale[d] = tcp->wscale;
            }
        }
    } else if ((ent->hs & (HS_WS0 | HS_WS1)) == (HS_WS0 | HS_WS1)) {
        shift = ent->wscale[d];
    }
    ent->win[d] = (uint32_t)tcp->window << shift;
}

static bool is_new_syn(const struct flow_conn *c, int d,
                       const struct tcp_info *tcp)
{
    const struct tcp_reasm *r = conn_cdir(c, d);
    if ((tcp->flags & (TCP_SYN | TCP_ACK | TCP_RST)) != TCP_SYN)
        return false;
    return !(r->started && r->base_seq == tcp->seq + 1);
}

/* A segment on a connection that has ended: a retransmission of what was
 * delivered is nothing new; bytes never delivered are counted, as they are
 * not decoded (after a valid RST the analysis of the connection is over,
 * and without a SYN no new connection is known to start). */
static void count_after_close(struct flow_table *ft, struct flow_conn *c, int d,
                              const struct tcp_info *tcp)
{
    if (tcp->payload_len == 0 || (tcp->flags & TCP_RST))
        return;
    uint64_t n = tcp_reasm_undelivered(conn_dir(c, d), tcp->seq, tcp->payload_len);
    if (!n)
        return;
    ft->stats.after_close_segments++;
    ft->stats.after_close_bytes += n;
}

void flow_table_tcp(struct flow_table *ft, const struct ip_info *ip,
                    const struct tcp_info *tcp, const struct pkt_info *pkt)
{
    struct pkt_endpoint src, dst;
    int dir = 0;
    ft->stats.tcp_segments++;
    advance_clock(ft, pkt);
    endpoints_of(ip, tcp->sport, tcp->dport, &src, &dst);
    uint32_t hash = flow_index_hash(&src, &dst);
    struct flow_conn *c = flow_index_lookup(ft, hash, &src, &dst, &dir);
    if (c && c->app && ft->sink.on_lookup)
        ft->sink.on_lookup(ft->sink.ctx, c, dir);
    bool new_syn = (tcp->flags & (TCP_SYN | TCP_ACK)) == TCP_SYN;
    if (c && (c->flags & FLOW_CLOSED)) {
        if (!new_syn) {
            count_after_close(ft, c, dir, tcp);
            flow_index_touch(ft, c); /* a straggler of a closed connection */
            ft->frame_conn = c->number;
            return;
        }
        flow_index_remove(ft, c); /* the 4-tuple is reused */
        c = NULL;
    } else if (c && is_new_syn(c, dir, tcp)) {
        ft->stats.reused++; /* Zeek: connection reuse */
        drop_conn(ft, c, FLOW_CLOSE_REUSED, pkt);
        c = NULL;
    }
    if (!c)
        c = open_conn(ft, hash, &src, &dst, tcp, pkt, &dir);
    if (!c)
        return;
    ft->frame_conn = c->number;
    flow_index_touch(ft, c);
    ft->stats.packets++;
    ft->stats.bytes += tcp->payload_len;
    if (tcp->flags & TCP_SYN)
        c->flags |= FLOW_SYN_SEEN;
    if (tcp->flags & TCP_RST) {
        on_rst(ft, c, dir, tcp, pkt);
        return;
    }
    track_window(entry_of(c), dir, tcp);
    feed_ack(ft, c, dir, tcp, pkt);
    feed(ft, c, dir, tcp, pkt);
    enforce_conn_cap(ft, c, pkt);
    close_if_reset(ft, c, pkt);
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
    while (flow_index_lru_first(ft))
        drop_conn(ft, flow_index_lru_first(ft), FLOW_CLOSE_END_OF_CAPTURE, pkt);
}

/* ---- whole frames ------------------------------------------------------ */

/* A fragment: to the defragmenter; a datagram made whole goes on as a
 * TCP segment or UDP datagram of the frame that completed it. */
static void fragment(struct flow_table *ft, struct decoded *d,
                     const struct pkt_info *pkt)
{
    struct flow_stats *st = &ft->stats;
    const uint8_t *data;
    size_t len;
    uint8_t proto;
    if (!ft->cfg.no_checksum && !checksum_ipv4_header_valid(&d->ip)) {
        st->bad_checksum++;
        return;
    }
    /* FNV-1a over what keys the datagram (ipfrag.h). */
    uint32_t h = 2166136261u;
    const uint8_t key[] = {d->ip.family, d->ip.frag.next, (uint8_t)(d->ip.frag.id >> 24),
                           (uint8_t)(d->ip.frag.id >> 16), (uint8_t)(d->ip.frag.id >> 8),
                           (uint8_t)d->ip.frag.id};
    for (size_t i = 0; i < sizeof key; i++)
        h = (h ^ key[i]) * 16777619u;
    for (size_t i = 0; i < 16; i++)
        h = ((h ^ d->ip.src[i]) * 16777619u ^ d->ip.dst[i]) * 16777619u;
    ft->frame_fragment = h | 1u;
    bool whole = ipfrag_add(ft->frag, &d->ip, pkt->ts_us, &data, &len, &proto);
    const struct ipfrag_stats *fs = ipfrag_stats(ft->frag);
    st->frag_reassembled = fs->reassembled;
    st->frag_conflicts = fs->conflicts;
    st->frag_discarded = fs->discarded;
    if (!whole)
        return;
    switch (decode_reassembled(d, data, len, proto, !ft->cfg.no_checksum)) {
    case DECODE_TCP: flow_table_tcp(ft, &d->ip, &d->tcp, pkt); break;
    case DECODE_UDP: flow_table_udp(ft, &d->ip, &d->udp, pkt); break;
    case DECODE_BAD_CHECKSUM: st->bad_checksum++; break;
    case DECODE_TRUNCATED:
    case DECODE_MALFORMED: st->malformed++; break;
    default: st->other_proto++; break;
    }
}

void flow_table_frame(struct flow_table *ft, int dlt,
                      const struct pcap_pkthdr *hdr, const uint8_t *bytes,
                      uint64_t frame)
{
    struct pkt_info pkt = {frame, pkt_timestamp_us(&hdr->ts)};
    struct decoded d;
    struct flow_stats *st = &ft->stats;
    st->frames++;
    ft->frame_conn = 0;
    ft->frame_fragment = 0;
    switch (decode_frame(dlt, bytes, hdr->caplen, hdr->len,
                         !ft->cfg.no_checksum, &d)) {
    case DECODE_TCP: flow_table_tcp(ft, &d.ip, &d.tcp, &pkt); break;
    case DECODE_UDP: flow_table_udp(ft, &d.ip, &d.udp, &pkt); break;
    case DECODE_LINK_UNSUPPORTED: st->link_unsupported++; break;
    case DECODE_TRUNCATED: st->truncated++; break;
    case DECODE_NOT_IP: st->not_ip++; break;
    case DECODE_FRAGMENT: st->fragments++; fragment(ft, &d, &pkt); break;
    case DECODE_MALFORMED: st->malformed++; break;
    case DECODE_OTHER_PROTO: st->other_proto++; break;
    case DECODE_BAD_CHECKSUM: st->bad_checksum++; break;
    }
}

uint64_t flow_table_frame_conn(const struct flow_table *ft)
{
    return ft->frame_conn;
}

uint32_t flow_table_frame_fragment(const struct flow_table *ft)
{
    return ft->frame_fragment;
}
