/* The pipeline: flow table callbacks → per-connection MQTT state → stream
 * decoder → parser → output. */
#include "pipeline.h"
#include "flow_events.h"
#include "options.h"
#include "pipeline_sn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transport/transport.h"
#include "net/community_id.h"
#include "net/flow_hash.h"
#include "net/flow_table.h"
#include "mqttdissect/mqd.h"
#include "options.h"
#include "analysis/select.h"
#include "analysis/session.h"
#include "analysis/stats.h"

/* Stream decoders together may hold at most this much of partial frames;
 * past it a frame is skipped as oversize rather than buffered. */
#define STREAM_MEMORY_CAP (64u << 20)

enum conn_kind { CONN_MQTT, CONN_TLS };

struct dir_state {
    mqd_stream stream;
    struct msg_meta meta; /* conn once, src/dst when first printed, frame/ts
                             per message */
};

struct conn_state {
    enum conn_kind kind;
    uint8_t version;
    bool version_inferred;
    bool midstream;
    bool resync_reported[2];
    struct dir_state dir[2];
    struct transport tr;             /* detection, WebSocket, TLS (transport.c) */
    bool version_reported;           /* the version_inferred event */
    struct session *sess;            /* connection analysis (session.c) */
    struct stats_client_ref stats_ref;
    const struct flow_conn *flow;    /* its addresses, formatted when printed */
};

/* Live, a connection evicted (idle, or the table full) may resume later:
 * picked up mid-stream, it would be decoded without its version (MQTT 5
 * properties shown as payload). The version of each evicted MQTT
 * connection is kept here by its endpoint pair (a slot is overwritten on a
 * collision) and given to the next connection on the same endpoints. Used
 * on the decoding thread only. */
#define RESUME_SLOTS 4096u

struct resume_slot {
    struct pkt_endpoint ep[2]; /* in canonical order (resume_order) */
    uint8_t version;
    bool inferred;
    bool used;
};

struct pipeline {
    /* Set up once; read by the reading thread too (flow_events.h). */
    const struct options *opts;
    struct output *out;
    struct flow_table *flows;
    struct stats *st;           /* --stats (stats.c); NULL without */
    struct flow_events *events; /* the flow table on another thread; NULL: same */
    /* -c N reached: written on the decoding thread, read on the reading
     * thread too; each on a cache line of its own, apart from what the
     * decoding thread writes all the time (below). */
    _Alignas(64) bool done;
    _Alignas(64) struct pipeline_stats stats;
    const struct pkt_info *pkt; /* the packet being processed */
    uint64_t stream_bytes;      /* held by all stream decoders */
    int64_t stats_next_us;      /* --stats-interval: next live summary */
    struct resume_slot *resume; /* RESUME_SLOTS, allocated at the first
                                   eviction; NULL: none yet */
    uint64_t selected;          /* messages that passed the selection */
    bool write_failed;          /* a --stats summary could not be written */
    struct pipeline_sn *sn;     /* MQTT-SN over UDP (pipeline_sn.c) */
    struct tls_keylog *keylog;  /* --tls-keylog; NULL without */
    uint64_t tls_decrypted, tls_no_key, tls_auth_failures; /* with it */
};

/* What a stream event callback needs to know. */
struct dir_ctx {
    struct pipeline *p;
    struct conn_state *cs;
    int dir;
};

/* ---- memory for the stream decoders, accounted against one cap ---- */

/* Each block carries its size in front of it, so a realloc can account for
 * what it gives back. */
struct block_head {
    size_t size;
    max_align_t align;
};

static void *stream_realloc(void *ctx, void *ptr, size_t size)
{
    struct pipeline *p = ctx;
    struct block_head *old = ptr ? (struct block_head *)ptr - 1 : NULL;
    size_t old_size = old ? old->size : 0;
    if (size == 0) {
        p->stream_bytes -= old_size;
        free(old);
        return NULL;
    }
    if (size > old_size && p->stream_bytes - old_size + size > STREAM_MEMORY_CAP)
        return NULL;
    struct block_head *b = realloc(old, sizeof *b + size);
    if (!b)
        return NULL;
    p->stream_bytes = p->stream_bytes - old_size + size;
    if (p->stream_bytes > p->stats.stream_buffer_peak)
        p->stats.stream_buffer_peak = p->stream_bytes;
    b->size = size;
    return b + 1;
}

/* ---- addresses ---- */

static void meta_init(struct msg_meta *m, const struct flow_conn *c)
{
    m->conn = c->number;
    m->transport = "tcp";
}

/* The addresses are formatted the first time a record of the connection
 * is printed (with -q, never): a connection's first message should not pay
 * for text nobody reads. */
static void meta_stamp(const struct pipeline *p, struct conn_state *cs, int dir,
                       const struct pkt_info *pkt, uint64_t stream_off)
{
    struct msg_meta *m = &cs->dir[dir].meta;
    if (!m->src[0]) {
        const struct pkt_endpoint *ep = cs->flow->key.ep;
        pkt_endpoint_format(&ep[dir], m->src, sizeof m->src);
        pkt_endpoint_format(&ep[1 - dir], m->dst, sizeof m->dst);
        /* One per connection: the other direction's, when it has it. */
        const struct msg_meta *other = &cs->dir[1 - dir].meta;
        if (other->community_id[0])
            memcpy(m->community_id, other->community_id, sizeof m->community_id);
        else
            community_id_v1(p->opts->community_id_seed, COMMUNITY_ID_TCP, &ep[0],
                            &ep[1], m->community_id);
    }
    m->frame = pkt->frame;
    m->ts_us = pkt->ts_us;
    m->stream_off = stream_off;
    m->proxied_src = cs->tr.proxied_src;
}

/* ---- events ---- */

/* -c N reached. */
static void set_done(struct pipeline *p)
{
    __atomic_store_n(&p->done, true, __ATOMIC_RELAXED);
}

static bool printing(const struct pipeline *p)
{
    return !p->opts->quiet && !pipeline_done(p);
}

/* Starts an event record about direction `dir` of a connection; false when
 * nothing is printed. */
static bool event_begin(struct pipeline *p, struct conn_state *cs, int dir,
                        uint64_t stream_off, const char *name)
{
    p->stats.events++;
    if (!printing(p))
        return false;
    meta_stamp(p, cs, dir, p->pkt, stream_off);
    output_event_begin(p->out, &cs->dir[dir].meta, name);
    return true;
}

/* ---- MQTT messages ---- */

static void learn_version(struct conn_state *cs, const mqd_stream_event *ev,
                          mqd_frame *f)
{
    if (f->type == MQD_CONNECT) {
        uint8_t v = mqd_connect_version(f);
        if (v != MQD_VERSION_UNKNOWN) {
            cs->version = v;
            cs->version_inferred = false;
        }
    } else if (cs->version == MQD_VERSION_UNKNOWN) {
        uint8_t v = mqd_infer_version(ev->data, ev->len);
        if (v != MQD_VERSION_UNKNOWN) {
            cs->version = v;
            cs->version_inferred = true;
            (void)mqd_parse(ev->data, ev->len, v, f);
        }
    }
    for (int i = 0; i < 2; i++)
        mqd_stream_set_version(&cs->dir[i].stream, cs->version);
}

/* Connection analysis (session.c) and --stats (stats.c) for one message;
 * true when the selection (--topic, --type, --client) chooses it. */
static bool analyse(struct pipeline *p, struct conn_state *cs, int dir, mqd_frame *f)
{
    struct dir_state *d = &cs->dir[dir];
    struct session_step step = {.selected = true};
    memset(&d->meta.an, 0, sizeof d->meta.an);
    if (cs->sess)
        session_on_frame(cs->sess, dir, f, p->pkt->frame, p->pkt->ts_us, &d->meta.an, &step);
    if (p->st)
        stats_message(p->st, &cs->stats_ref, cs->sess ? session_info(cs->sess) : NULL,
                      dir, f, &d->meta.an, &step);
    /* --type naming MQTT-SN types alone chooses no MQTT packet. */
    bool chosen = !p->opts->type_sn_only &&
                  select_message(cs->sess, &step, f->type, p->opts->type_mask,
                                   p->opts->client);
    p->selected += chosen;
    return chosen;
}

static void on_message(struct dir_ctx *x, const mqd_stream_event *ev)
{
    struct pipeline *p = x->p;
    struct conn_state *cs = x->cs;
    struct dir_state *d = &cs->dir[x->dir];
    mqd_frame f;

    mqd_result r = mqd_parse(ev->data, ev->len, cs->version, &f);
    if (r.status != MQD_OK)
        return; /* the stream decoder only hands over whole, framed frames */
    learn_version(cs, ev, &f);
    if (cs->version_inferred && !cs->version_reported) {
        cs->version_reported = true; /* once per connection */
        if (event_begin(p, cs, x->dir, ev->offset, "version_inferred")) {
            output_event_u64(p->out, "version", cs->version);
            output_event_end(p->out);
        }
    }
    if (f.type != MQD_CONNECT)
        f.version_inferred = cs->version_inferred && f.version != MQD_VERSION_UNKNOWN;

    p->stats.messages++;
    p->stats.by_type[f.type & 0x0F]++;
    bool chosen = analyse(p, cs, x->dir, &f);
    if (f.nviolations) {
        p->stats.messages_with_violations++;
        p->stats.violations += f.nviolations + f.violations_dropped;
    }
    if (chosen && printing(p)) {
        meta_stamp(p, cs, x->dir, p->pkt, ev->offset);
        output_frame(p->out, &d->meta, &f);
    }
    if (p->opts->count && p->selected >= p->opts->count)
        set_done(p);
}

static void on_stream_event(void *ctx, const mqd_stream_event *ev)
{
    struct dir_ctx *x = ctx;
    struct pipeline *p = x->p;
    struct conn_state *cs = x->cs;
    int dir = x->dir;

    switch (ev->kind) {
    case MQD_SE_FRAME:
        on_message(x, ev);
        break;
    case MQD_SE_OVERSIZE:
        p->stats.oversize_frames++;
        if (event_begin(p, cs, dir, ev->offset, "oversize")) {
            output_event_str(p->out, "type", mqd_type_name(ev->hdr.type));
            output_event_u64(p->out, "size", ev->skipped);
            output_event_u64(p->out, "max_frame", p->opts->max_frame);
            output_event_end(p->out);
        }
        break;
    case MQD_SE_ERROR: {
        p->stats.framing_errors++;
        const mqd_rule_info *rule = mqd_rule_get(ev->err.err_rule);
        if (event_begin(p, cs, dir, ev->offset, "framing_error")) {
            output_event_str(p->out, "rule", rule ? rule->id : "?");
            output_event_str(p->out, "message", rule ? rule->message : "?");
            output_event_end(p->out);
        }
        break;
    }
    case MQD_SE_RESYNC: {
        p->stats.resyncs++;
        bool first = x->cs->midstream && !x->cs->resync_reported[x->dir];
        x->cs->resync_reported[x->dir] = true;
        if (event_begin(p, cs, dir, ev->offset, first ? "midstream" : "resync")) {
            output_event_u64(p->out, "skipped", ev->skipped);
            output_event_end(p->out);
        }
        break;
    }
    default:
        break;
    }
}

/* ---- flow table callbacks ---- */

/* ---- the transport under MQTT (transport.c): detection, WebSocket, TLS ---- */

/* The transport reports bytes and events with the packet that brought them
 * (an earlier one while held bytes are replayed): it is current meanwhile. */
static const struct pkt_info *use_packet(struct pipeline *p, const struct pkt_info *pkt)
{
    const struct pkt_info *was = p->pkt;
    if (pkt)
        p->pkt = pkt;
    return was;
}

static void tr_mqtt(void *ctx, int dir, const uint8_t *data, size_t len,
                    const struct pkt_info *pkt)
{
    struct dir_ctx *x = ctx;
    struct dir_ctx d = {x->p, x->cs, dir};
    const struct pkt_info *was = use_packet(x->p, pkt);
    (void)mqd_stream_feed(&x->cs->dir[dir].stream, data, len, on_stream_event, &d);
    x->p->pkt = was;
}

static void tr_skip(void *ctx, int dir, uint64_t skipped)
{
    struct dir_ctx *x = ctx;
    mqd_stream_skip(&x->cs->dir[dir].stream, skipped); /* before the first frame */
    x->cs->resync_reported[dir] = true; /* transport.c said "midstream" */
}

static void tr_resync(void *ctx, int dir)
{
    struct dir_ctx *x = ctx;
    mqd_stream_resync(&x->cs->dir[dir].stream);
}

/* --tls-keylog's summary counts, from the tls_decrypt records. */
static void count_tls(struct pipeline *p, const struct event_record *ev)
{
    if (strcmp(ev->name, "tls_decrypt") != 0)
        return;
    for (unsigned i = 0; i < ev->nfields; i++) {
        const struct event_field *f = &ev->fields[i];
        if (f->kind != EVENT_STR || strcmp(f->key, "status") != 0)
            continue;
        if (strcmp(f->v.str, "decrypting") == 0)
            p->tls_decrypted++;
        else if (strcmp(f->v.str, "no_key") == 0)
            p->tls_no_key++;
        else if (strcmp(f->v.str, "auth_failure") == 0)
            p->tls_auth_failures++;
    }
}

static void tr_event(void *ctx, int dir, uint64_t off, const struct event_record *ev,
                     const struct pkt_info *pkt)
{
    struct dir_ctx *x = ctx;
    struct pipeline *p = x->p;
    p->stats.events++;
    if (p->keylog)
        count_tls(p, ev);
    if (!printing(p))
        return;
    meta_stamp(p, x->cs, dir, pkt ? pkt : p->pkt, off);
    output_event(p->out, &x->cs->dir[dir].meta, ev);
}

static void tr_classified(void *ctx, int kind)
{
    struct dir_ctx *x = ctx;
    struct conn_state *cs = x->cs;
    cs->kind = kind == TR_TLS ? CONN_TLS : CONN_MQTT;
    if (kind == TR_TLS)
        x->p->stats.tls_conns++;
    else
        x->p->stats.mqtt_conns++;
    if (kind == TR_WEBSOCKET)
        for (int i = 0; i < 2; i++)
            cs->dir[i].meta.transport = "websocket";
    if (kind == TR_TLS && x->p->keylog) /* decrypted: its records say so */
        for (int i = 0; i < 2; i++)
            cs->dir[i].meta.transport = "tls";
}

static struct transport_sink tr_sink(struct dir_ctx *x)
{
    struct transport_sink s = {x, tr_mqtt, tr_skip, tr_resync, tr_event,
                               tr_classified};
    return s;
}

/* Not MQTT: the connection's state goes; its later segments cost a lookup. */
static void drop_conn(struct flow_conn *c)
{
    struct conn_state *cs = c->app;
    transport_free(&cs->tr);
    for (int dir = 0; dir < 2; dir++)
        mqd_stream_free(&cs->dir[dir].stream);
    session_free(cs->sess);
    free(cs);
    c->app = NULL;
}

static bool accept_conn(void *ctx, const struct flow_key *k)
{
    const struct pipeline *p = ctx;
    /* --shard: the connection belongs to another run. */
    if (p->opts->shard_n > 1 &&
        !flow_hash_in_shard(flow_hash_symmetric(6, &k->ep[0], &k->ep[1]),
                            p->opts->shard_k, p->opts->shard_n))
        return false;
    if (!p->opts->no_heuristics)
        return true; /* any port: transport.c decides from the first bytes */
    for (int i = 0; i < 2; i++) {
        uint16_t port = k->ep[i].port;
        if (options_is_mqtt_port(p->opts, port) || options_is_tls_port(p->opts, port) ||
            transport_is_ws_port(port))
            return true;
    }
    return false;
}

static bool is_server_port(void *ctx, uint16_t port)
{
    const struct pipeline *p = ctx;
    return options_is_mqtt_port(p->opts, port) || options_is_tls_port(p->opts, port) ||
           transport_is_ws_port(port);
}

/* The connection's endpoints in an order independent of its orientation
 * (a resumed connection is oriented afresh); returns its slot. */
static struct resume_slot *resume_find(struct pipeline *p, const struct flow_key *k,
                                       struct pkt_endpoint ep[2])
{
    bool swap = memcmp(&k->ep[0], &k->ep[1], sizeof k->ep[0]) > 0;
    memcpy(&ep[0], &k->ep[swap ? 1 : 0], sizeof ep[0]); /* padding too */
    memcpy(&ep[1], &k->ep[swap ? 0 : 1], sizeof ep[1]);
    uint64_t h = 1469598103934665603u; /* FNV-1a */
    const uint8_t *b = (const uint8_t *)ep;
    for (size_t i = 0; i < 2 * sizeof ep[0]; i++)
        h = (h ^ b[i]) * 1099511628211u;
    return &p->resume[h % RESUME_SLOTS];
}

static void resume_keep(struct pipeline *p, const struct flow_conn *c,
                        const struct conn_state *cs)
{
    if (cs->version == MQD_VERSION_UNKNOWN)
        return;
    if (!p->resume)
        p->resume = calloc(RESUME_SLOTS, sizeof *p->resume);
    if (!p->resume)
        return;
    struct pkt_endpoint ep[2];
    memset(ep, 0, sizeof ep);
    struct resume_slot *s = resume_find(p, &c->key, ep);
    memcpy(s->ep, ep, sizeof ep);
    s->version = cs->version;
    s->inferred = cs->version_inferred;
    s->used = true;
}

/* A connection picked up mid-stream on the endpoints of one evicted
 * before: it continues with that one's version. */
static void resume_take(struct pipeline *p, const struct flow_conn *c,
                        struct conn_state *cs)
{
    if (!p->resume)
        return;
    struct pkt_endpoint ep[2];
    memset(ep, 0, sizeof ep);
    struct resume_slot *s = resume_find(p, &c->key, ep);
    if (!s->used || memcmp(s->ep, ep, sizeof ep) != 0)
        return;
    s->used = false;
    cs->version = s->version;
    cs->version_inferred = s->inferred;
    cs->version_reported = true; /* said on the evicted connection */
    for (int i = 0; i < 2; i++)
        mqd_stream_set_version(&cs->dir[i].stream, cs->version);
}

static void on_open(void *ctx, struct flow_conn *c, const struct pkt_info *pkt)
{
    struct pipeline *p = ctx;
    struct conn_state *cs = calloc(1, sizeof *cs);
    c->app = cs;
    if (!cs)
        return;
    p->pkt = pkt;
    cs->midstream = (c->flags & FLOW_MIDSTREAM) != 0;
    cs->flow = c;
    uint16_t port = c->key.ep[1].port;
    struct transport_cfg tcfg = {
        .server_port = port,
        .mqtt_port = options_is_mqtt_port(p->opts, port),
        .ws_port = transport_is_ws_port(port),
        .heuristics = !p->opts->no_heuristics,
        .midstream = cs->midstream,
        .verbose = p->opts->verbose,
        .keylog = p->keylog,
    };
    tcfg.tls_port = !tcfg.mqtt_port && options_is_tls_port(p->opts, port);
    transport_open(&cs->tr, &tcfg);
    cs->kind = cs->tr.kind == TR_TLS ? CONN_TLS : CONN_MQTT;
    struct session_cfg scfg = {.topics = &p->opts->topics};
    cs->sess = session_new(&scfg, cs->midstream);
    cs->stats_ref = (struct stats_client_ref)STATS_CLIENT_REF_INIT;
    for (int dir = 0; dir < 2; dir++) {
        mqd_stream_cfg cfg = {
            .max_frame = p->opts->max_frame,
            .version = MQD_VERSION_UNKNOWN,
            .realloc_fn = stream_realloc,
            .alloc_ctx = p,
        };
        mqd_stream_init(&cs->dir[dir].stream, &cfg);
        meta_init(&cs->dir[dir].meta, c);
        if (cs->tr.kind == TR_TLS && p->keylog)
            cs->dir[dir].meta.transport = "tls";
    }
    if (cs->midstream)
        resume_take(p, c, cs);
    /* Mid-stream connections find their first frame in transport.c. */
    if (tcfg.tls_port)
        p->stats.tls_conns++;
    else if (tcfg.mqtt_port)
        p->stats.mqtt_conns++;
    if (cs->tr.kind == TR_IGNORED)
        drop_conn(c);
}

/* With thousands of connections their state is rarely in cache: ask for
 * the lines a segment will touch while the flow table reassembles it. */
static void on_lookup(void *ctx, struct flow_conn *c, int dir)
{
    (void)ctx;
    const struct conn_state *cs = c->app;
    const char *d = (const char *)&cs->dir[dir];
    __builtin_prefetch(cs);
    for (size_t i = 0; i < sizeof cs->dir[dir]; i += 64)
        __builtin_prefetch(d + i);
    __builtin_prefetch(&cs->tr);
    __builtin_prefetch(&cs->sess);
}

static void on_data(void *ctx, struct flow_conn *c, int dir, const uint8_t *data,
                    size_t len, uint64_t offset, const struct pkt_info *pkt)
{
    struct pipeline *p = ctx;
    struct conn_state *cs = c->app;
    (void)offset;
    if (!cs)
        return;
    p->pkt = pkt;
    struct dir_ctx x = {p, cs, dir};
    session_peer_lagging(cs->sess, c->holding[1 - dir]);
    if (transport_direct(&cs->tr, dir)) { /* the fast path: MQTT over TCP */
        (void)mqd_stream_feed(&cs->dir[dir].stream, data, len, on_stream_event, &x);
        return;
    }
    struct transport_sink sink = tr_sink(&x);
    transport_data(&cs->tr, dir, data, len, pkt, &sink); /* TLS is never MQTT */
    if (cs->tr.kind == TR_IGNORED)
        drop_conn(c);
}

static void on_gap(void *ctx, struct flow_conn *c, int dir, uint64_t offset,
                   uint64_t len, const struct pkt_info *pkt)
{
    struct pipeline *p = ctx;
    struct conn_state *cs = c->app;
    if (!cs)
        return;
    p->pkt = pkt;
    if (!transport_direct(&cs->tr, dir) && !transport_gap(&cs->tr, dir, len))
        return;
    if (event_begin(p, cs, dir, offset, "gap")) {
        output_event_u64(p->out, "bytes", len);
        output_event_end(p->out);
    }
    mqd_stream_gap(&cs->dir[dir].stream, len);
    session_gap(cs->sess, dir);
}

static void on_conflict(void *ctx, struct flow_conn *c, int dir,
                        uint64_t offset, uint64_t len, const struct pkt_info *pkt)
{
    struct pipeline *p = ctx;
    struct conn_state *cs = c->app;
    if (!cs || !transport_carries_mqtt(&cs->tr))
        return;
    p->pkt = pkt;
    if (event_begin(p, cs, dir, offset, "overlap_conflict")) {
        output_event_u64(p->out, "bytes", len);
        output_event_end(p->out);
    }
}

static void report_truncated(struct pipeline *p, struct conn_state *cs, int dir)
{
    mqd_stream *s = &cs->dir[dir].stream;
    size_t pending = mqd_stream_pending(s);
    if (pending == 0)
        return;
    p->stats.truncated_at_end++;
    if (event_begin(p, cs, dir, s->offset - pending, "truncated")) {
        output_event_u64(p->out, "bytes", pending);
        output_event_end(p->out);
    }
}

/* A state violation found at the end of a connection: an event. */
static bool close_event_begin(struct pipeline *p, struct conn_state *cs, uint16_t rule)
{
    const mqd_rule_info *r = mqd_rule_get(rule);
    struct session_step all = {.selected = true};
    if (p->st)
        stats_event_violation(p->st, rule);
    p->stats.violations++;
    if (!select_message(cs->sess, &all, 0, 0, p->opts->client) ||
        !event_begin(p, cs, 0, cs->dir[0].stream.offset, "state_violation"))
        return false;
    output_event_str(p->out, "rule", r->id);
    output_event_str(p->out, "name", r->name);
    output_event_str(p->out, "severity", mqd_severity_name(r->severity));
    output_event_str(p->out, "message", r->message);
    return true;
}

/* session.c's findings at close: unacknowledged messages, a silent client. */
static void close_session(struct pipeline *p, struct conn_state *cs, uint64_t conn)
{
    struct session_close_report r;
    if (!cs->sess)
        return;
    if (session_close(cs->sess, p->pkt->ts_us, &r)) {
        if ((r.unacked[0] || r.unacked[1]) &&
            close_event_begin(p, cs, MQD_R_SESSION_UNACKED_AT_CLOSE)) {
            output_event_u64(p->out, "unacked_client", r.unacked[0]);
            output_event_u64(p->out, "unacked_server", r.unacked[1]);
            output_event_u64(p->out, "first_frame", r.unacked_first_frame);
            output_event_end(p->out);
        }
        if (r.keep_alive_exceeded &&
            close_event_begin(p, cs, MQD_R_SESSION_KEEP_ALIVE_EXCEEDED)) {
            output_event_u64(p->out, "keep_alive", r.keep_alive);
            output_event_u64(p->out, "silent_ms", (uint64_t)r.client_silent_us / 1000);
            output_event_end(p->out);
        }
    }
    if (p->st)
        stats_connection(p->st, conn, session_info(cs->sess), &r);
}

static void on_close(void *ctx, struct flow_conn *c,
                     enum flow_close_reason reason, const struct pkt_info *pkt)
{
    struct pipeline *p = ctx;
    struct conn_state *cs = c->app;
    if (!cs)
        return;
    p->pkt = pkt;
    struct dir_ctx x = {p, cs, 0};
    struct transport_sink sink = tr_sink(&x);
    transport_close(&cs->tr, pkt, &sink);
    if (transport_is_mqtt(&cs->tr)) {
        for (int dir = 0; dir < 2; dir++) {
            /* A resync candidate still waiting for bytes that will never
             * come is given up, so the frames behind it are delivered. */
            struct dir_ctx xd = {p, cs, dir};
            (void)mqd_stream_finish(&cs->dir[dir].stream, on_stream_event, &xd);
            report_truncated(p, cs, dir);
        }
        if (reason == FLOW_CLOSE_IDLE || reason == FLOW_CLOSE_EVICTED)
            resume_keep(p, c, cs);
        if ((reason == FLOW_CLOSE_IDLE || reason == FLOW_CLOSE_EVICTED) &&
            event_begin(p, cs, 0, cs->dir[0].stream.offset, "evicted")) {
            output_event_str(p->out, "reason", flow_close_reason_name(reason));
            output_event_end(p->out);
        }
        close_session(p, cs, c->number);
    }
    drop_conn(c);
}

/* ---- the pipeline ---- */

/* ---- MQTT-SN over UDP (pipeline_sn.c) ---- */

/* A selected MQTT-SN message counts toward -c like an MQTT one. */
static void on_udp(void *ctx, const struct pkt_endpoint *src,
                   const struct pkt_endpoint *dst, const uint8_t *data,
                   size_t len, size_t wirelen, const struct pkt_info *pkt)
{
    struct pipeline *p = ctx;
    if (!p->sn || pipeline_done(p))
        return;
    if (pipeline_sn_udp(p->sn, src, dst, data, len, wirelen, pkt, printing(p))) {
        p->selected++;
        if (p->opts->count && p->selected >= p->opts->count)
            set_done(p);
    }
}

/* --tls-keylog: every file read now (and again when a connection's client
 * random is not in them yet); malformed lines are said once, not fatal. */
static bool load_keylogs(struct pipeline *p)
{
    const struct options *o = p->opts;
    if ((p->keylog = tls_keylog_new(0)) == NULL)
        return false;
    for (size_t i = 0; i < o->ntls_keylogs; i++) {
        if (tls_keylog_add_file(p->keylog, o->tls_keylogs[i]) != 0) {
            fprintf(stderr, "mqttdissect: --tls-keylog %s: %s\n", o->tls_keylogs[i],
                    strerror(errno));
            tls_keylog_free(p->keylog);
            p->keylog = NULL;
            return false;
        }
    }
    const struct tls_keylog_stats *st = tls_keylog_stats(p->keylog);
    if (st->malformed)
        fprintf(stderr, "mqttdissect: --tls-keylog: %llu malformed line(s) skipped, "
                        "the first at %s:%llu\n",
                (unsigned long long)st->malformed, st->first_malformed_source,
                (unsigned long long)st->first_malformed_line);
    return true;
}

struct pipeline *pipeline_new(const struct options *o, struct output *out,
                              bool two_threads)
{
    struct pipeline *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->opts = o;
    p->out = out;
    if (o->stats) {
        p->st = stats_new();
        if (!p->st) {
            free(p);
            return NULL;
        }
    }
    struct flow_config cfg = {
        .ctx = p,
        .accept = accept_conn,
        .is_server_port = is_server_port,
        .max_conns = o->max_conns, /* 0 (options not parsed): the table's default */
        /* A file: no eviction on idle time alone (a quiet connection is not
         * split in two; max_conns bounds memory). Live: the default. */
        .idle_timeout_us = o->read_file ? -1 : 0,
        .no_checksum = o->no_checksum,
    };
    struct flow_sink sink = {
        .ctx = p,
        .on_open = on_open,
        .on_data = on_data,
        .on_gap = on_gap,
        .on_conflict = on_conflict,
        .on_close = on_close,
        .on_udp = on_udp,
        .on_lookup = on_lookup,
    };
    if (o->ntls_keylogs && !load_keylogs(p)) {
        stats_free(p->st);
        free(p);
        return NULL;
    }
    p->sn = pipeline_sn_new(o, out);
    if (p->sn && two_threads)
        p->events = flow_events_new(&sink); /* NULL: one thread after all */
    p->flows = p->sn ? flow_table_new(&cfg, p->events ? flow_events_sink(p->events)
                                                      : &sink)
                     : NULL;
    if (!p->flows) {
        flow_events_free(p->events);
        pipeline_sn_free(p->sn);
        tls_keylog_free(p->keylog);
        stats_free(p->st);
        free(p);
        return NULL;
    }
    return p;
}

/* --stats: the summary on stdout after what is printed so far. 0, or -1
 * when it (or the output before it) could not be written; remembered for
 * pipeline_finish. */
static int write_stats(struct pipeline *p)
{
    int rc = output_flush(p->out);
    if (p->opts->format == OUT_JSON)
        rc |= stats_write_json(p->st, &p->stats, flow_table_stats(p->flows), stdout);
    else if (p->opts->format == OUT_EVE) /* stdout holds EVE records only */
        rc |= stats_write_text(p->st, &p->stats, flow_table_stats(p->flows), stderr);
    else
        rc |= stats_write_text(p->st, &p->stats, flow_table_stats(p->flows), stdout);
    if (fflush(stdout) != 0 || ferror(stdout))
        rc = -1;
    if (rc != 0)
        p->write_failed = true;
    return rc != 0 ? -1 : 0;
}

/* Live summaries every --stats-interval seconds of capture time (and on
 * request: pipeline_stats_now). */
static void live_stats(struct pipeline *p, const struct pcap_pkthdr *h)
{
    int64_t now = pkt_timestamp_us(&h->ts);
    bool due = false;
    if (p->opts->stats_interval) {
        int64_t step = (int64_t)p->opts->stats_interval * 1000000;
        if (p->stats_next_us == 0)
            p->stats_next_us = now + step;
        else if (now >= p->stats_next_us) {
            /* The next boundary after now, however far time jumped. */
            due = true;
            p->stats_next_us = now + step - (now - p->stats_next_us) % step;
        }
    }
    if (due)
        (void)write_stats(p); /* a failure is remembered (write_failed) */
}

void pipeline_frame(struct pipeline *p, int dlt, const struct pcap_pkthdr *h,
                    const uint8_t *bytes, uint64_t frame)
{
    flow_table_frame(p->flows, dlt, h, bytes, frame);
    if (p->st)
        live_stats(p, h);
}

void pipeline_flush(struct pipeline *p)
{
    if (p->events)
        flow_events_drain(p->events);
    (void)output_flush(p->out);
}

void pipeline_stats_now(struct pipeline *p)
{
    if (p->st)
        write_stats(p);
}

void pipeline_write_capture_stats(struct pipeline *p, const struct capture_stats *cs,
                                  FILE *f)
{
    if (p->opts->format != OUT_JSON)
        return;
    pipeline_flush(p);
    fprintf(f, "{\"event\":\"capture_stats\",\"received\":%llu,\"dropped\":%llu,"
           "\"if_dropped\":%llu,\"queue_dropped\":%llu}\n",
           (unsigned long long)cs->received, (unsigned long long)cs->dropped,
           (unsigned long long)cs->if_dropped, (unsigned long long)cs->queue_dropped);
}

bool pipeline_done(const struct pipeline *p)
{
    /* Set on the decoding thread, read also on the reading thread. */
    return __atomic_load_n(&p->done, __ATOMIC_RELAXED);
}

int pipeline_finish(struct pipeline *p)
{
    flow_table_flush(p->flows, NULL);
    if (p->events)
        flow_events_drain(p->events);
    if (p->st)
        (void)write_stats(p);
    return p->write_failed ? -1 : 0;
}

const struct pipeline_stats *pipeline_stats(const struct pipeline *p)
{
    return &p->stats;
}

void pipeline_print_summary(const struct pipeline *p, FILE *f)
{
    const struct pipeline_stats *s = &p->stats;
    const struct flow_stats *fs = flow_table_stats(p->flows);
    fprintf(f, "mqttdissect: %llu frames, %llu MQTT messages on %llu connections "
               "(%llu TLS), %llu violations in %llu messages\n",
            (unsigned long long)fs->frames, (unsigned long long)s->messages,
            (unsigned long long)s->mqtt_conns, (unsigned long long)s->tls_conns,
            (unsigned long long)s->violations,
            (unsigned long long)s->messages_with_violations);
    if (p->keylog)
        fprintf(f, "mqttdissect: TLS with --tls-keylog: %llu connections decrypted, "
                   "%llu without a key, %llu records failed authentication\n",
                (unsigned long long)p->tls_decrypted, (unsigned long long)p->tls_no_key,
                (unsigned long long)p->tls_auth_failures);
    fputs("mqttdissect: messages by type:", f);
    for (int t = 0; t < 16; t++)
        if (s->by_type[t])
            fprintf(f, " %s=%llu", mqd_type_name((uint8_t)t),
                    (unsigned long long)s->by_type[t]);
    fputc('\n', f);
    fprintf(f, "mqttdissect: reassembly: %llu out-of-order segments, %llu duplicate "
               "bytes, %llu conflicts, %llu gaps (%llu bytes lost), %llu idle "
               "evictions, %llu table evictions, %llu bad_checksum, %llu IP "
               "fragments (%llu datagrams reassembled, %llu conflicts, %llu "
               "discarded)\n",
            (unsigned long long)fs->reasm.ooo_segments,
            (unsigned long long)fs->reasm.dup_bytes,
            (unsigned long long)fs->reasm.conflicts,
            (unsigned long long)fs->reasm.gaps,
            (unsigned long long)fs->reasm.gap_bytes,
            (unsigned long long)fs->evicted_idle,
            (unsigned long long)fs->evicted_full,
            (unsigned long long)fs->bad_checksum,
            (unsigned long long)fs->fragments,
            (unsigned long long)fs->frag_reassembled,
            (unsigned long long)fs->frag_conflicts,
            (unsigned long long)fs->frag_discarded);
    fprintf(f, "mqttdissect: framing: %llu oversize frames skipped, %llu framing "
               "errors, %llu resyncs, %llu messages cut off at the end\n",
            (unsigned long long)s->oversize_frames,
            (unsigned long long)s->framing_errors, (unsigned long long)s->resyncs,
            (unsigned long long)s->truncated_at_end);
    const struct sn_registry_stats *sn = pipeline_sn_stats(p->sn);
    if (sn->datagrams == 0)
        return;
    fprintf(f, "mqttdissect: MQTT-SN: %llu datagrams, %llu messages from %llu "
               "clients, %llu violations in %llu messages, %llu undecodable, "
               "%llu cut short, %llu publishes to unknown topic ids\n",
            (unsigned long long)sn->datagrams, (unsigned long long)sn->messages,
            (unsigned long long)sn->clients, (unsigned long long)sn->violations,
            (unsigned long long)sn->messages_with_violations,
            (unsigned long long)sn->undecodable, (unsigned long long)sn->cut,
            (unsigned long long)sn->topics_unknown);
}

void pipeline_free(struct pipeline *p)
{
    if (!p)
        return;
    flow_events_free(p->events);
    flow_table_free(p->flows);
    pipeline_sn_free(p->sn);
    tls_keylog_free(p->keylog); /* after the connections that point to it */
    stats_free(p->st);
    free(p->resume);
    free(p);
}
