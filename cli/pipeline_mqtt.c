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
#include <string.h>

/* ---- memory for the stream decoders, accounted against one cap ---- */

/* Each block carries its size in front of it, so a realloc can account for
 * what it gives back. */
struct block_head {
    size_t size;
    max_align_t align;
};

void *pipeline_mqtt_realloc(void *ctx, void *ptr, size_t size)
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

void pipeline_mqtt_meta_init(struct msg_meta *m, const struct flow_conn *c)
{
    m->conn = c->number;
    m->transport = "tcp";
}

/* The addresses are formatted the first time a record of the connection
 * is printed (with -q, never): a connection's first message should not pay
 * for text nobody reads. */
void pipeline_mqtt_meta_stamp(const struct pipeline *p, struct conn_state *cs, int dir,
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
    const struct session_info *in = cs->sess ? session_info(cs->sess) : NULL;
    bool known = in && in->connect_seen && in->client_id.present && !in->client_id.cut;
    m->client_id = known ? in->client_id.s : NULL;
}

/* ---- events ---- */

/* Starts an event record about direction `dir` of a connection; false when
 * nothing is printed. */
bool pipeline_mqtt_event_begin(struct pipeline *p, struct conn_state *cs, int dir,
                        uint64_t stream_off, const char *name)
{
    p->stats.events++;
    if (!pipeline_printing(p))
        return false;
    pipeline_mqtt_meta_stamp(p, cs, dir, p->pkt, stream_off);
    output_event_begin(p->out, &cs->dir[dir].meta, name);
    return true;
}

/* ---- MQTT messages ---- */

/* -V over decrypted TLS: the records that carried stream bytes
 * [off, off + len) of d, into d->meta (the last MSG_TLS_RECORDS_MAX). */
static void tls_records_of(struct dir_state *d, uint64_t off, uint64_t len)
{
    struct tls_rec_ring *g = d->tls_ring;
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
    d->meta.tls_rec = n ? g->msg : NULL;
    d->meta.tls_nrec = (uint16_t)n;
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
        mqd_stream_set_version(&cs->dir[i].stream, cs->version);
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
    uint64_t conn = cs->dir[dir].meta.conn;
    if (f->type == MQD_CONNECT) {
        spb_state_on_connect(p->spb, conn, f, an);
        return;
    }
    const struct session_info *info = cs->sess ? session_info(cs->sess) : NULL;
    spb_state_on_publish(p->spb, conn, dir, info && info->connect_seen && !info->midstream,
                         f, t, n, an);
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
    sparkplug(p, cs, dir, f, &d->meta.an);
    if (p->st)
        stats_message(p->st, &cs->stats_ref, cs->sess ? session_info(cs->sess) : NULL,
                      dir, f, &d->meta.an, &step);
    /* --type naming MQTT-SN types alone chooses no MQTT packet. */
    bool chosen = !p->opts->type_sn_only &&
                  select_message(cs->sess, &step, f->type, p->opts->type_mask,
                                   &p->opts->clients) &&
                  violation_sel_message(&p->opts->violation, f->violations,
                                        f->nviolations < MQD_MAX_VIOLATIONS
                                            ? f->nviolations
                                            : MQD_MAX_VIOLATIONS,
                                        f->violations_dropped);
    if (chosen)
        pipeline_save_mark(p, capture_save_tag(cs->flow->number, false));
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
    if (f.nviolations || d->meta.an.nhits) {
        p->stats.messages_with_violations++;
        p->stats.violations += f.nviolations + f.violations_dropped +
                               d->meta.an.nhits + d->meta.an.hits_dropped;
    }
    if (chosen && pipeline_printing(p)) {
        pipeline_mqtt_meta_stamp(p, cs, x->dir, p->pkt, ev->offset);
        if (d->tls_ring)
            tls_records_of(d, ev->offset, ev->len);
        output_frame(p->out, &d->meta, &f);
        d->meta.tls_rec = NULL;
        d->meta.tls_nrec = 0;
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
