/* The pipeline's TCP side: the flow table's callbacks (a connection opened,
 * its bytes, gaps, conflicts, its end) and the transport under MQTT
 * (detection, WebSocket, TLS) that hands the MQTT bytes on. */
#include "pipeline_priv.h"

#include "options.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* -V: bytes of dir's MQTT stream from a decrypted TLS record; the piece is
 * remembered (one piece per record: later bytes of it extend it). */
static void note_tls_record(struct pipeline *p, struct conn_state *cs,
                            int dir, size_t len)
{
    uint64_t serial;
    const struct tls_record_meta *r = transport_tls_record(&cs->tr, &serial);
    if (!r || !p->opts->verbose || !pipeline_tcp_stream(p, cs, dir) ||
        !pipeline_mqtt_meta(cs, dir))
        return;
    struct tls_rec_ring **ring = &conn_meta_of(cs)->tls_ring[dir];
    if (!*ring && (*ring = calloc(1, sizeof **ring)) == NULL)
        return;
    struct tls_rec_ring *g = *ring;
    uint64_t start = mqd_stream_offset(&cs->dir[dir]->stream);
    if (g->n) {
        struct tls_rec_piece *last = &g->piece[(g->head + g->n - 1) % TLS_REC_RING];
        if (last->serial == serial && last->start + last->len == start) {
            last->len += len;
            return;
        }
    }
    if (g->n == TLS_REC_RING) {
        g->head = (g->head + 1) % TLS_REC_RING;
        g->n--;
    }
    struct tls_rec_piece *np = &g->piece[(g->head + g->n) % TLS_REC_RING];
    g->n++;
    np->start = start;
    np->len = len;
    np->serial = serial;
    np->rec = *r;
}

static void tr_mqtt(void *ctx, int dir, const uint8_t *data, size_t len,
                    const struct pkt_info *pkt)
{
    struct dir_ctx *x = ctx;
    struct dir_ctx d = {x->p, x->cs, dir};
    if (transport_in_tls_record(&x->cs->tr))
        note_tls_record(x->p, x->cs, dir, len);
    const struct pkt_info *was = use_packet(x->p, pkt);
    mqd_stream *s = pipeline_tcp_stream(x->p, x->cs, dir);
    if (s)
        (void)mqd_stream_feed(s, data, len, pipeline_mqtt_stream_event, &d);
    x->p->pkt = was;
}

static void tr_skip(void *ctx, int dir, uint64_t skipped)
{
    struct dir_ctx *x = ctx;
    mqd_stream *s = pipeline_tcp_stream(x->p, x->cs, dir);
    if (s)
        mqd_stream_skip(s, skipped); /* before the first frame */
    x->cs->resync_reported[dir] = true; /* transport.c said "midstream" */
}

static void tr_resync(void *ctx, int dir)
{
    struct dir_ctx *x = ctx;
    mqd_stream *s = pipeline_tcp_stream(x->p, x->cs, dir);
    if (s)
        mqd_stream_resync(s);
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
    if (!pipeline_printing(p) ||
        !pipeline_mqtt_meta_stamp(p, x->cs, dir, pkt ? pkt : p->pkt, off))
        return;
    output_event(p->out, &x->cs->meta[dir], ev);
}

static void tr_classified(void *ctx, int kind)
{
    struct dir_ctx *x = ctx;
    struct conn_state *cs = x->cs;
    if (kind == TR_WSS) { /* decrypted TLS carries WebSocket: records say so */
        pipeline_mqtt_set_transport(cs, CT_WSS);
        return;
    }
    cs->kind = kind == TR_TLS ? CONN_TLS : CONN_MQTT;
    if (kind == TR_TLS)
        x->p->stats.tls_conns++;
    else
        x->p->stats.mqtt_conns++;
    if (kind == TR_WEBSOCKET)
        pipeline_mqtt_set_transport(cs, CT_WEBSOCKET);
    if (kind == TR_TLS && x->p->keylog) /* decrypted: its records say so */
        pipeline_mqtt_set_transport(cs, CT_TLS);
}

/* What a hole took from a direction's MQTT stream: exactly its bytes; at
 * most them (framing of a layer between was in it too); an unknown number
 * (the layer between said so already). */
enum mqtt_loss { LOSS_EXACT, LOSS_AT_MOST, LOSS_UNKNOWN };

static void mqtt_gap(struct pipeline *p, struct conn_state *cs, int dir,
                     uint64_t offset, uint64_t len, enum mqtt_loss loss);

/* Decrypted TLS: records were lost, and with them n bytes of the MQTT
 * stream (or an unknown number). */
static void tr_gap(void *ctx, int dir, uint64_t n)
{
    struct dir_ctx *x = ctx;
    mqtt_gap(x->p, x->cs, dir, pipeline_mqtt_offset(x->cs, dir), n,
             n == TLS_DEC_LOST_UNKNOWN ? LOSS_UNKNOWN : LOSS_EXACT);
}

static struct transport_sink tr_sink(struct dir_ctx *x)
{
    struct transport_sink s = {x, tr_mqtt, tr_skip, tr_resync, tr_event,
                               tr_classified, tr_gap};
    return s;
}

/* Not MQTT: the connection's state goes; its later segments cost a lookup. */
static void drop_conn(struct pipeline *p, struct flow_conn *c)
{
    struct conn_state *cs = c->app;
    transport_free(&cs->tr);
    for (int dir = 0; dir < 2; dir++)
        if (cs->dir[dir]) {
            if (p->pool_user == cs->dir[dir])
                p->pool_user = NULL;
            mqd_stream_free(&cs->dir[dir]->stream);
            free(cs->dir[dir]);
        }
    session_free(conn_sess(cs));
    if (cs->meta)
        for (int dir = 0; dir < 2; dir++)
            free(conn_meta_of(cs)->tls_ring[dir]);
    free(cs->meta);
    if (!p->events) /* with the decoding thread cs goes with its stand-in */
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
    s->boundary = transport_direct(&cs->tr, 0) && transport_direct(&cs->tr, 1);
    for (int dir = 0; dir < 2; dir++)
        if (cs->dir[dir] && !mqd_stream_at_boundary(&cs->dir[dir]->stream))
            s->boundary = false;
}

/* A connection picked up mid-stream on the endpoints of one evicted
 * before: it continues with that one's version. True when it goes on
 * exactly where that one stopped, between frames (no frame to search). */
static bool resume_take(struct pipeline *p, const struct flow_conn *c,
                        struct conn_state *cs)
{
    if (!p->resume)
        return false;
    struct pkt_endpoint ep[2];
    memset(ep, 0, sizeof ep);
    struct resume_slot *s = resume_find(p, &c->key, ep);
    if (!s->used || memcmp(s->ep, ep, sizeof ep) != 0)
        return false;
    s->used = false;
    cs->version = s->version;
    cs->version_inferred = s->inferred;
    cs->version_reported = true; /* said on the evicted connection */
    for (int i = 0; i < 2; i++)
        if (cs->dir[i])
            mqd_stream_set_version(&cs->dir[i]->stream, cs->version);
    return s->boundary && (c->flags & FLOW_RESUMED);
}

mqd_stream *pipeline_tcp_stream(struct pipeline *p, struct conn_state *cs, int dir)
{
    struct dir_state *d = cs->dir[dir];
    if (d) {
        p->pool_user = d;
        return &d->stream;
    }
    d = malloc(sizeof *d);
    if (!d)
        return NULL;
    mqd_stream_cfg cfg = {
        .max_frame = p->opts->max_frame,
        .version = cs->version,
        .realloc_fn = pipeline_mqtt_realloc,
        .alloc_ctx = p,
    };
    mqd_stream_init(&d->stream, &cfg);
    d->cs = cs;
    cs->dir[dir] = d;
    p->pool_user = d;
    return &d->stream;
}

static void on_open(void *ctx, struct flow_conn *c, const struct pkt_info *pkt)
{
    struct pipeline *p = ctx;
    /* With the decoding thread the state comes zeroed with the stand-in
     * (flow_events_new's app_size); without it, it is allocated here. */
    if (!p->events)
        c->app = calloc(1, sizeof(struct conn_state));
    struct conn_state *cs = c->app;
    if (!cs)
        return;
    p->pkt = pkt;
    cs->midstream = (c->flags & FLOW_MIDSTREAM) != 0;
    cs->flow = c;
    /* Resumed between frames: decoded in order (its analysis still knows
     * nothing of what came before: midstream for the session). */
    bool in_order = cs->midstream && resume_take(p, c, cs);
    uint16_t port = c->key.ep[1].port;
    struct transport_cfg tcfg = {
        .server_port = port,
        .mqtt_port = options_is_mqtt_port(p->opts, port),
        .ws_port = transport_is_ws_port(port),
        .heuristics = !p->opts->no_heuristics,
        .midstream = cs->midstream && !in_order,
        .verbose = p->opts->verbose,
        .keylog = p->keylog,
        .tls_relayed = (c->flags & FLOW_STAGED) != 0,
    };
    tcfg.tls_port = !tcfg.mqtt_port && options_is_tls_port(p->opts, port);
    transport_open(&cs->tr, &tcfg);
    cs->kind = cs->tr.kind == TR_TLS ? CONN_TLS : CONN_MQTT;
    cs->transport_name = cs->tr.kind == TR_TLS && p->keylog ? CT_TLS : CT_TCP;
    /* Mid-stream connections find their first frame in transport.c. */
    if (tcfg.tls_port)
        p->stats.tls_conns++;
    else if (tcfg.mqtt_port)
        p->stats.mqtt_conns++;
    if (cs->tr.kind == TR_IGNORED)
        drop_conn(p, c);
}

/* With thousands of connections their state is rarely in cache: ask for
 * the lines a segment will touch while the flow table reassembles it. */
static void on_lookup(void *ctx, struct flow_conn *c, int dir)
{
    (void)ctx;
    const struct conn_state *cs = c->app;
    __builtin_prefetch(cs);
    if (cs->dir[dir]) /* its fields the fast path reads (on_data) */
        __builtin_prefetch(cs->dir[dir]);
    __builtin_prefetch(&cs->tr);
    __builtin_prefetch(&cs->meta); /* and the analysis behind it */
    transport_prefetch(&cs->tr, dir); /* TLS: the decryptor's state */
}

/* An event later (on_lookup's lines are in): the lines those point to:
 * TLS's cipher context, the analysis' lines the message will read (its
 * connection metadata, then at on_data the session's: session_prefetch). */
static void on_lookup_next(void *ctx, struct flow_conn *c, int dir)
{
    (void)ctx;
    const struct conn_state *cs = c->app;
    transport_prefetch_next(&cs->tr, dir);
    if (cs->meta) {
        __builtin_prefetch(&conn_meta_of(cs)->sess);
        __builtin_prefetch(&cs->meta[dir]);
    }
}

/* What the reading thread's decryptor said about c (FLOW_STAGED:
 * pipeline_share.c). */
static void on_note(void *ctx, struct flow_conn *c, int dir, const uint8_t *note,
                    size_t len, const struct pkt_info *pkt)
{
    struct pipeline *p = ctx;
    struct conn_state *cs = c->app;
    if (!cs)
        return;
    p->pkt = pkt;
    struct dir_ctx x = {p, cs, dir};
    struct transport_sink sink = tr_sink(&x);
    transport_relayed(&cs->tr, dir, note, len, pkt, &sink);
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
    struct session *sess = conn_sess(cs); /* on_lookup_next brought it */
    if (sess)
        session_prefetch(sess, dir);
    if (cs->peer_lagging != c->holding[1 - dir]) { /* the analysis follows */
        cs->peer_lagging = c->holding[1 - dir];
        session_peer_lagging(sess, cs->peer_lagging);
    }
    if (transport_direct(&cs->tr, dir)) { /* the fast path: MQTT over TCP */
        mqd_stream *s = pipeline_tcp_stream(p, cs, dir);
        if (s)
            (void)mqd_stream_feed(s, data, len, pipeline_mqtt_stream_event, &x);
        return;
    }
    struct transport_sink sink = tr_sink(&x);
    transport_data(&cs->tr, dir, data, len, pkt, &sink); /* TLS is never MQTT */
    if (cs->tr.kind == TR_IGNORED)
        drop_conn(p, c);
}

static void on_gap(void *ctx, struct flow_conn *c, int dir, uint64_t offset,
                   uint64_t len, const struct pkt_info *pkt)
{
    struct pipeline *p = ctx;
    struct conn_state *cs = c->app;
    if (!cs)
        return;
    p->pkt = pkt;
    enum mqtt_loss loss = LOSS_EXACT;
    if (!transport_direct(&cs->tr, dir)) {
        struct dir_ctx x = {p, cs, dir};
        struct transport_sink sink = tr_sink(&x);
        enum transport_gap g = transport_gap(&cs->tr, dir, len, pkt, &sink);
        if (g == TRANSPORT_GAP_HANDLED)
            return;
        if (g == TRANSPORT_GAP_FRAMED)
            loss = LOSS_AT_MOST;
    }
    mqtt_gap(p, cs, dir, offset, len, loss);
}

/* len bytes of dir were lost at stream offset `offset`, which took `loss`
 * of its MQTT stream: a "gap" record with the bytes lost (but where the
 * layer between reported it), and the stream decoder and the analysis
 * told. The decoder skips exactly what it lost, else it drops the packet
 * it was in and looks for the next (its offsets move on by len). */
static void mqtt_gap(struct pipeline *p, struct conn_state *cs, int dir,
                     uint64_t offset, uint64_t len, enum mqtt_loss loss)
{
    if (loss != LOSS_UNKNOWN && pipeline_mqtt_event_begin(p, cs, dir, offset, "gap")) {
        output_event_u64(p->out, "bytes", len);
        output_event_end(p->out);
    }
    mqd_stream *s = pipeline_tcp_stream(p, cs, dir);
    if (s && loss != LOSS_EXACT)
        mqd_stream_resync(s);
    if (s && loss != LOSS_UNKNOWN)
        mqd_stream_gap(s, len);
    cs->gap_seen[dir] = true;
    session_gap(conn_sess(cs), dir);
}

static void on_conflict(void *ctx, struct flow_conn *c, int dir,
                        uint64_t offset, uint64_t len, const struct pkt_info *pkt)
{
    struct pipeline *p = ctx;
    struct conn_state *cs = c->app;
    if (!cs || !transport_carries_mqtt(&cs->tr))
        return;
    p->pkt = pkt;
    if (pipeline_mqtt_event_begin(p, cs, dir, offset, "overlap_conflict")) {
        output_event_u64(p->out, "bytes", len);
        output_event_end(p->out);
    }
}

static void report_truncated(struct pipeline *p, struct conn_state *cs, int dir)
{
    if (!cs->dir[dir])
        return;
    mqd_stream *s = &cs->dir[dir]->stream;
    size_t pending = mqd_stream_pending(s);
    if (pending == 0)
        return;
    p->stats.truncated_at_end++;
    if (pipeline_mqtt_event_begin(p, cs, dir, mqd_stream_offset(s) - pending, "truncated")) {
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
    if (!select_message(conn_sess(cs), &all, 0, 0, &p->opts->clients) ||
        !violation_sel_rule(&p->opts->violation, rule))
        return false;
    pipeline_save_mark(p, capture_save_tag(cs->flow->number, false));
    if (!pipeline_mqtt_event_begin(p, cs, 0, pipeline_mqtt_offset(cs, 0), "state_violation"))
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
    /* Without a message the analysis has nothing to report; --stats counts
     * the connection all the same. */
    if (!conn_sess(cs) && (!p->st || !pipeline_mqtt_session(p, cs)))
        return;
    if (session_close(conn_sess(cs), p->pkt->ts_us, &r)) {
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
        stats_connection(p->st, conn, session_info(conn_sess(cs)), &r);
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
            if (cs->dir[dir]) {
                p->pool_user = cs->dir[dir];
                (void)mqd_stream_finish(&cs->dir[dir]->stream, pipeline_mqtt_stream_event, &xd);
            }
            report_truncated(p, cs, dir);
        }
        if (reason == FLOW_CLOSE_IDLE || reason == FLOW_CLOSE_EVICTED)
            resume_keep(p, c, cs);
        if ((reason == FLOW_CLOSE_IDLE || reason == FLOW_CLOSE_EVICTED) &&
            pipeline_mqtt_event_begin(p, cs, 0, pipeline_mqtt_offset(cs, 0), "evicted")) {
            output_event_str(p->out, "reason", flow_close_reason_name(reason));
            output_event_end(p->out);
        }
        close_session(p, cs, c->number);
    }
    drop_conn(p, c);
}

void pipeline_tcp_callbacks(struct pipeline *p, struct flow_config *cfg,
                            struct flow_sink *sink)
{
    cfg->ctx = p;
    cfg->accept = accept_conn;
    cfg->is_server_port = is_server_port;
    sink->ctx = p;
    sink->on_open = on_open;
    sink->on_data = on_data;
    sink->on_gap = on_gap;
    sink->on_conflict = on_conflict;
    sink->on_close = on_close;
    sink->on_lookup = on_lookup;
    sink->on_lookup_next = on_lookup_next;
    sink->on_note = on_note;
}
