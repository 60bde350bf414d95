/* The pipeline's MQTT over a byte stream: the stream decoders' memory,
 * a message's metadata, events, and each decoded message through the
 * connection analysis, --stats and the selection to the printer. */
#include "pipeline_priv.h"

#include "options.h"
#include "decode/sparkplug.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

/* ---- memory for the stream decoders: one pool, one cap ---- */

_Static_assert(sizeof(struct pool_block) % _Alignof(max_align_t) == 0,
               "decoder buffers stay aligned");

static void pool_unlink(struct pipeline *p, struct pool_block *b)
{
    if (b->prev)
        b->prev->next = b->next;
    else
        p->pool_oldest = b->next;
    if (b->next)
        b->next->prev = b->prev;
    else
        p->pool_newest = b->prev;
}

/* A block moved by realloc: its neighbours point to it again. */
static void pool_relink(struct pipeline *p, struct pool_block *b)
{
    if (b->prev)
        b->prev->next = b;
    else
        p->pool_oldest = b;
    if (b->next)
        b->next->prev = b;
    else
        p->pool_newest = b;
}

/* The pool is full: the oldest holder (not `self`) gives up what it holds.
 * A partial frame given up is a "stream_memcap" event on its connection.
 * False when there is no other holder. */
static bool pool_evict(struct pipeline *p, const struct dir_state *self)
{
    struct pool_block *b = p->pool_oldest;
    while (b && b->owner == self)
        b = b->next;
    if (!b)
        return false;
    struct dir_state *d = b->owner;
    uint64_t at = mqd_stream_offset(&d->stream) - mqd_stream_pending(&d->stream);
    size_t dropped = mqd_stream_shed(&d->stream); /* frees b */
    if (dropped == 0)
        return true; /* an idle buffer kept between frames */
    p->stats.memcap_drops++;
    if (pipeline_mqtt_event_begin(p, d->cs, d->cs->dir[1] == d, at, "stream_memcap")) {
        output_event_u64(p->out, "bytes", dropped);
        output_event_u64(p->out, "memcap", p->stream_memcap);
        output_event_end(p->out);
    }
    return true;
}

void *pipeline_mqtt_realloc(void *ctx, void *ptr, size_t size)
{
    struct pipeline *p = ctx;
    struct pool_block *old = ptr ? (struct pool_block *)ptr - 1 : NULL;
    size_t old_size = old ? old->size : 0;
    if (size == 0) {
        if (old) {
            pool_unlink(p, old);
            p->stream_bytes -= old_size;
            free(old);
        }
        return NULL;
    }
    /* Only the decoder in use grows its buffer (a holder given up by
     * pool_evict only frees). */
    struct dir_state *d = old ? old->owner : p->pool_user;
    if (!d)
        return NULL;
    while (size > old_size &&
           p->stream_bytes - old_size + size > p->stream_memcap)
        if (!pool_evict(p, d))
            return NULL;
    struct pool_block *b = realloc(old, sizeof *b + size);
    if (!b)
        return NULL;
    if (old) {
        pool_relink(p, b);
    } else { /* a new holder, the newest */
        b->owner = d;
        b->next = NULL;
        b->prev = p->pool_newest;
        pool_relink(p, b);
    }
    p->stream_bytes = p->stream_bytes - old_size + size;
    if (p->stream_bytes > p->stats.stream_buffer_peak)
        p->stats.stream_buffer_peak = p->stream_bytes;
    b->size = size;
    return b + 1;
}

uint64_t pipeline_mqtt_offset(const struct conn_state *cs, int dir)
{
    return cs->dir[dir] ? mqd_stream_offset(&cs->dir[dir]->stream) : 0;
}

static const char *const transport_names[] = {
    [CT_TCP] = "tcp", [CT_TLS] = "tls", [CT_WEBSOCKET] = "websocket", [CT_WSS] = "wss"};

/* The metadata of the connection's records, allocated at its first
 * message or record; NULL when memory ran out. */
struct msg_meta *pipeline_mqtt_meta(struct conn_state *cs, int dir)
{
    if (!cs->meta) {
        struct conn_meta *cm = calloc(1, sizeof *cm);
        if (!cm)
            return NULL;
        cm->stats_ref = (struct stats_client_ref)STATS_CLIENT_REF_INIT;
        cs->meta = cm->dir;
        for (int i = 0; i < 2; i++) {
            cs->meta[i].conn = cs->flow->number;
            cs->meta[i].transport = transport_names[cs->transport_name];
        }
    }
    return &cs->meta[dir];
}

void pipeline_mqtt_set_transport(struct conn_state *cs, enum conn_transport t)
{
    const char *name = transport_names[t];
    cs->transport_name = (uint8_t)t;
    if (cs->meta)
        cs->meta[0].transport = cs->meta[1].transport = name;
}

/* The connection analysis, created at the connection's first message with
 * what happened before it; NULL when memory ran out. */
struct session *pipeline_mqtt_session(struct pipeline *p, struct conn_state *cs)
{
    struct session *sess = conn_sess(cs);
    if (sess)
        return sess;
    if (!pipeline_mqtt_meta(cs, 0))
        return NULL;
    struct conn_meta *cm = conn_meta_of(cs);
    if (!cm->sess) {
        struct session_cfg scfg = {.topics = &p->opts->topics};
        cm->sess = session_new(&scfg, cs->midstream);
        for (int dir = 0; dir < 2; dir++)
            if (cs->gap_seen[dir])
                session_gap(cm->sess, dir);
        session_peer_lagging(cm->sess, cs->peer_lagging);
    }
    return cm->sess;
}

/* The addresses are formatted the first time a record of the connection
 * is printed (with -q, never): a connection's first message should not pay
 * for text nobody reads. False when there is no memory for them. */
bool pipeline_mqtt_meta_stamp(const struct pipeline *p, struct conn_state *cs, int dir,
                              const struct pkt_info *pkt, uint64_t stream_off)
{
    struct msg_meta *m = pipeline_mqtt_meta(cs, dir);
    if (!m)
        return false;
    if (!m->src[0]) {
        const struct pkt_endpoint *ep = cs->flow->key.ep;
        pkt_endpoint_format(&ep[dir], m->src, sizeof m->src);
        pkt_endpoint_format(&ep[1 - dir], m->dst, sizeof m->dst);
        /* One per connection: the other direction's, when it has it. */
        const struct msg_meta *other = &cs->meta[1 - dir];
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
    const struct session_info *in = conn_sess(cs) ? session_info(conn_sess(cs)) : NULL;
    bool known = in && in->connect_seen && in->client_id.present && !in->client_id.cut;
    m->client_id = known ? in->client_id.s : NULL;
    return true;
}

/* ---- events ---- */

/* Starts an event record about direction `dir` of a connection; false when
 * nothing is printed. */
bool pipeline_mqtt_event_begin(struct pipeline *p, struct conn_state *cs, int dir,
                        uint64_t stream_off, const char *name)
{
    p->stats.events++;
    if (!pipeline_printing(p) || !pipeline_mqtt_meta_stamp(p, cs, dir, p->pkt, stream_off))
        return false;
    output_event_begin(p->out, &cs->meta[dir], name);
    return true;
}

/* ---- MQTT messages ---- */

/* -V over decrypted TLS: the records that carried stream bytes
 * [off, off + len) of d, into m (the last MSG_TLS_RECORDS_MAX). */
static void tls_records_of(struct tls_rec_ring *g, struct msg_meta *m, uint64_t off,
                           uint64_t len)
{
    unsigned n = 0;
    for (unsigned i = 0; i < g->n; i++) {
        const struct tls_rec_piece *pc = &g->piece[(g->head + i) % TLS_REC_RING];
        uint64_t a = pc->start > off ? pc->start : off;
        uint64_t b = pc->start + pc->len < off + len ? pc->start + pc->len : off + len;
        if (a >= b)
            continue;
        if (n == MSG_TLS_RECORDS_MAX) { /* keep the last ones */
            memmove(g->msg, g->msg + 1, (n - 1) * sizeof g->msg[0]);
            n--;
        }
        struct tls_record_meta *r = &g->msg[n++];
        *r = pc->rec;
        r->msg_off = (uint32_t)(a - off);
        r->msg_len = (uint32_t)(b - a);
    }
    m->tls_rec = n ? g->msg : NULL;
    m->tls_nrec = (uint16_t)n;
}

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
        if (cs->dir[i])
            mqd_stream_set_version(&cs->dir[i]->stream, cs->version);
}

/* The Sparkplug B state (analysis/spb_state.h): PUBLISH on an spBv1.0
 * topic (the effective one: a topic alias may give it), CONNECT with a will
 * there. Made the first time it is needed. */
static void sparkplug(struct pipeline *p, struct conn_state *cs, int dir,
                      const mqd_frame *f, struct msg_analysis *an)
{
    const uint8_t *t;
    size_t n;
    if (f->type == MQD_PUBLISH) {
        t = an->has_effective_topic ? an->effective_topic : f->topic.data;
        n = an->has_effective_topic ? an->effective_topic_len : f->topic.len;
    } else if (f->type == MQD_CONNECT && f->connect.will_flag && f->connect.will_topic.present) {
        t = f->connect.will_topic.data;
        n = f->connect.will_topic.len;
    } else {
        return;
    }
    if (!t || !spb_topic_is_sparkplug(t, n))
        return;
    if (!p->spb) {
        p->spb = spb_state_new();
        if (!p->spb)
            return;
        if (p->st)
            stats_set_sparkplug(p->st, p->spb);
    }
    uint64_t conn = cs->flow->number;
    if (f->type == MQD_CONNECT) {
        spb_state_on_connect(p->spb, conn, f, an);
        return;
    }
    const struct session_info *info = conn_sess(cs) ? session_info(conn_sess(cs)) : NULL;
    spb_state_on_publish(p->spb, conn, dir, info && info->connect_seen && !info->midstream,
                         f, t, n, an);
}

/* Connection analysis (session.c) and --stats (stats.c) for one message;
 * true when the selection (--topic, --type, --client) chooses it. */
static bool analyse(struct pipeline *p, struct conn_state *cs, int dir, mqd_frame *f)
{
    struct msg_meta *m = pipeline_mqtt_meta(cs, dir);
    struct msg_analysis none, *an = m ? &m->an : &none;
    struct session *sess = conn_sess(cs); /* made at the first message */
    if (!sess)
        sess = pipeline_mqtt_session(p, cs);
    struct session_step step = {.selected = true};
    if (sess)
        session_on_frame(sess, dir, f, p->pkt->frame, p->pkt->ts_us, an, &step);
    else
        msg_analysis_clear(an); /* each message's analysis starts empty */
    sparkplug(p, cs, dir, f, an);
    struct stats_client_ref lost = STATS_CLIENT_REF_INIT; /* out of memory */
    if (p->st)
        stats_message(p->st, m ? &conn_meta_of(cs)->stats_ref : &lost,
                      sess ? session_info(sess) : NULL, dir, f, an, &step);
    /* --type naming MQTT-SN types alone chooses no MQTT packet. */
    bool chosen = !p->opts->type_sn_only &&
                  select_message(sess, &step, f->type, p->opts->type_mask,
                                   &p->opts->clients) &&
                  violation_sel_message(&p->opts->violation, f->violations,
                                        f->nviolations < MQD_MAX_VIOLATIONS
                                            ? f->nviolations
                                            : MQD_MAX_VIOLATIONS,
                                        f->violations_dropped, an);
    if (chosen && p->save) /* -w: the tag reads the flow's line */
        pipeline_save_mark(p, capture_save_tag(cs->flow->number, false));
    p->selected += chosen;
    return chosen;
}

static void on_message(struct dir_ctx *x, const mqd_stream_event *ev)
{
    struct pipeline *p = x->p;
    struct conn_state *cs = x->cs;
    mqd_frame f;

    mqd_result r = mqd_parse(ev->data, ev->len, cs->version, &f);
    if (r.status != MQD_OK)
        return; /* the stream decoder only hands over whole, framed frames */
    learn_version(cs, ev, &f);
    if (cs->version_inferred && !cs->version_reported) {
        cs->version_reported = true; /* once per connection */
        if (pipeline_mqtt_event_begin(p, cs, x->dir, ev->offset, "version_inferred")) {
            output_event_u64(p->out, "version", cs->version);
            output_event_end(p->out);
        }
    }
    if (f.type != MQD_CONNECT)
        f.version_inferred = cs->version_inferred && f.version != MQD_VERSION_UNKNOWN;

    p->stats.messages++;
    p->stats.by_type[f.type & 0x0F]++;
    bool chosen = analyse(p, cs, x->dir, &f);
    const struct msg_analysis *an = cs->meta ? &cs->meta[x->dir].an : NULL;
    uint32_t hits = an ? an->nhits + an->hits_dropped : 0;
    if (f.nviolations || hits) {
        p->stats.messages_with_violations++;
        p->stats.violations += f.nviolations + f.violations_dropped + hits;
    }
    if (chosen && pipeline_printing(p) &&
        pipeline_mqtt_meta_stamp(p, cs, x->dir, p->pkt, ev->offset)) {
        struct msg_meta *m = &cs->meta[x->dir]; /* the stamp made it */
        struct tls_rec_ring *g = conn_meta_of(cs)->tls_ring[x->dir];
        if (g)
            tls_records_of(g, m, ev->offset, ev->len);
        output_frame(p->out, m, &f);
        m->tls_rec = NULL;
        m->tls_nrec = 0;
    }
    if (p->opts->count && p->selected >= p->opts->count)
        pipeline_set_done(p);
}

void pipeline_mqtt_stream_event(void *ctx, const mqd_stream_event *ev)
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
        if (ev->skipped <= p->opts->max_frame) { /* refused by the pool */
            p->stats.memcap_drops++;
            if (pipeline_mqtt_event_begin(p, cs, dir, ev->offset, "stream_memcap")) {
                output_event_str(p->out, "type", mqd_type_name(ev->hdr.type));
                output_event_u64(p->out, "size", ev->skipped);
                output_event_u64(p->out, "memcap", p->stream_memcap);
                output_event_end(p->out);
            }
            break;
        }
        p->stats.oversize_frames++;
        if (pipeline_mqtt_event_begin(p, cs, dir, ev->offset, "oversize")) {
            output_event_str(p->out, "type", mqd_type_name(ev->hdr.type));
            output_event_u64(p->out, "size", ev->skipped);
            output_event_u64(p->out, "max_frame", p->opts->max_frame);
            output_event_end(p->out);
        }
        break;
    case MQD_SE_ERROR: {
        p->stats.framing_errors++;
        const mqd_rule_info *rule = mqd_rule_get(ev->err.err_rule);
        if (pipeline_mqtt_event_begin(p, cs, dir, ev->offset, "framing_error")) {
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
        if (pipeline_mqtt_event_begin(p, cs, dir, ev->offset, first ? "midstream" : "resync")) {
            output_event_u64(p->out, "skipped", ev->skipped);
            output_event_end(p->out);
        }
        break;
    }
    default:
        break;
    }
}
