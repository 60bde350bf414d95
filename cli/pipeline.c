/* The pipeline: flow table callbacks → per-connection MQTT state → stream
 * decoder → parser → output. */
#include "pipeline.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "flow_table.h"
#include "mqttdissect/mqd.h"

/* Stream decoders together may hold at most this much of partial frames;
 * past it a frame is skipped as oversize rather than buffered. */
#define STREAM_MEMORY_CAP (64u << 20)

enum conn_kind { CONN_MQTT, CONN_TLS };

struct dir_state {
    mqd_stream stream;
    struct msg_meta meta; /* src/dst/conn filled once; frame/ts per message */
};

struct conn_state {
    enum conn_kind kind;
    uint8_t version;
    bool version_inferred;
    bool midstream;
    bool resync_reported[2];
    struct dir_state dir[2];
};

struct pipeline {
    const struct options *opts;
    struct output *out;
    struct flow_table *flows;
    struct pipeline_stats stats;
    const struct pkt_info *pkt; /* the packet being processed */
    uint64_t stream_bytes;      /* held by all stream decoders */
    bool done;
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

static void format_endpoint(const struct pkt_endpoint *ep, char *buf, size_t len)
{
    char addr[INET6_ADDRSTRLEN];
    if (ep->family == PKT_AF_INET6) {
        inet_ntop(AF_INET6, ep->addr, addr, sizeof addr);
        snprintf(buf, len, "[%s]:%u", addr, (unsigned)ep->port);
    } else {
        inet_ntop(AF_INET, ep->addr, addr, sizeof addr);
        snprintf(buf, len, "%s:%u", addr, (unsigned)ep->port);
    }
}

static void meta_init(struct msg_meta *m, const struct flow_conn *c, int dir)
{
    memset(m, 0, sizeof *m);
    format_endpoint(&c->key.ep[dir], m->src, sizeof m->src);
    format_endpoint(&c->key.ep[1 - dir], m->dst, sizeof m->dst);
    m->conn = c->number;
    m->transport = "tcp";
}

static void meta_stamp(struct msg_meta *m, const struct pkt_info *pkt,
                       uint64_t stream_off)
{
    m->frame = pkt->frame;
    m->ts_us = pkt->ts_us;
    m->stream_off = stream_off;
}

/* ---- events ---- */

static bool printing(const struct pipeline *p)
{
    return !p->opts->quiet && !p->done;
}

/* Starts an event record about direction `dir` of a connection; false when
 * nothing is printed. */
static bool event_begin(struct pipeline *p, struct dir_state *d,
                        uint64_t stream_off, const char *name)
{
    p->stats.events++;
    if (!printing(p))
        return false;
    meta_stamp(&d->meta, p->pkt, stream_off);
    output_event_begin(p->out, &d->meta, name);
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
    if (f.type != MQD_CONNECT)
        f.version_inferred = cs->version_inferred && f.version != MQD_VERSION_UNKNOWN;

    p->stats.messages++;
    p->stats.by_type[f.type & 0x0F]++;
    if (f.nviolations) {
        p->stats.messages_with_violations++;
        p->stats.violations += f.nviolations + f.violations_dropped;
    }
    if (printing(p)) {
        meta_stamp(&d->meta, p->pkt, ev->offset);
        output_frame(p->out, &d->meta, &f);
    }
    if (p->opts->count && p->stats.messages >= p->opts->count)
        p->done = true;
}

static void on_stream_event(void *ctx, const mqd_stream_event *ev)
{
    struct dir_ctx *x = ctx;
    struct pipeline *p = x->p;
    struct dir_state *d = &x->cs->dir[x->dir];

    switch (ev->kind) {
    case MQD_SE_FRAME:
        on_message(x, ev);
        break;
    case MQD_SE_OVERSIZE:
        p->stats.oversize_frames++;
        if (event_begin(p, d, ev->offset, "oversize")) {
            output_event_str(p->out, "type", mqd_type_name(ev->hdr.type));
            output_event_u64(p->out, "size", ev->skipped);
            output_event_u64(p->out, "max_frame", p->opts->max_frame);
            output_event_end(p->out);
        }
        break;
    case MQD_SE_ERROR: {
        p->stats.framing_errors++;
        const mqd_rule_info *rule = mqd_rule_get(ev->err.err_rule);
        if (event_begin(p, d, ev->offset, "framing_error")) {
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
        if (event_begin(p, d, ev->offset, first ? "midstream" : "resync")) {
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

static bool accept_conn(void *ctx, const struct flow_key *k)
{
    const struct pipeline *p = ctx;
    for (int i = 0; i < 2; i++) {
        uint16_t port = k->ep[i].port;
        if (options_is_mqtt_port(p->opts, port) || options_is_tls_port(p->opts, port))
            return true;
    }
    return false;
}

static bool is_server_port(void *ctx, uint16_t port)
{
    const struct pipeline *p = ctx;
    return options_is_mqtt_port(p->opts, port) || options_is_tls_port(p->opts, port);
}

static void on_open(void *ctx, struct flow_conn *c, const struct pkt_info *pkt)
{
    struct pipeline *p = ctx;
    struct conn_state *cs = calloc(1, sizeof *cs);
    c->app = cs;
    if (!cs)
        return;
    p->pkt = pkt;
    uint16_t server_port = c->key.ep[1].port;
    bool tls = options_is_tls_port(p->opts, server_port) &&
               !options_is_mqtt_port(p->opts, server_port);
    cs->kind = tls ? CONN_TLS : CONN_MQTT;
    cs->midstream = (c->flags & FLOW_MIDSTREAM) != 0;
    for (int dir = 0; dir < 2; dir++) {
        mqd_stream_cfg cfg = {
            .max_frame = p->opts->max_frame,
            .version = MQD_VERSION_UNKNOWN,
            .realloc_fn = stream_realloc,
            .alloc_ctx = p,
        };
        mqd_stream_init(&cs->dir[dir].stream, &cfg);
        meta_init(&cs->dir[dir].meta, c, dir);
        if (cs->midstream)
            mqd_stream_gap(&cs->dir[dir].stream, 0); /* find a frame boundary */
    }
    if (tls) {
        p->stats.tls_conns++;
        if (event_begin(p, &cs->dir[0], 0, "tls")) {
            output_event_u64(p->out, "port", server_port);
            output_event_end(p->out);
        }
    } else {
        p->stats.mqtt_conns++;
    }
}

static void on_data(void *ctx, struct flow_conn *c, int dir, const uint8_t *data,
                    size_t len, uint64_t offset, const struct pkt_info *pkt)
{
    struct pipeline *p = ctx;
    struct conn_state *cs = c->app;
    (void)offset;
    if (!cs || cs->kind != CONN_MQTT)
        return; /* TLS records are never parsed as MQTT */
    p->pkt = pkt;
    struct dir_ctx x = {p, cs, dir};
    (void)mqd_stream_feed(&cs->dir[dir].stream, data, len, on_stream_event, &x);
}

static void on_gap(void *ctx, struct flow_conn *c, int dir, uint64_t offset,
                   uint64_t len, const struct pkt_info *pkt)
{
    struct pipeline *p = ctx;
    struct conn_state *cs = c->app;
    if (!cs || cs->kind != CONN_MQTT)
        return;
    p->pkt = pkt;
    if (event_begin(p, &cs->dir[dir], offset, "gap")) {
        output_event_u64(p->out, "bytes", len);
        output_event_end(p->out);
    }
    mqd_stream_gap(&cs->dir[dir].stream, len);
}

static void on_conflict(void *ctx, struct flow_conn *c, int dir,
                        uint64_t offset, uint64_t len, const struct pkt_info *pkt)
{
    struct pipeline *p = ctx;
    struct conn_state *cs = c->app;
    if (!cs || cs->kind != CONN_MQTT)
        return;
    p->pkt = pkt;
    if (event_begin(p, &cs->dir[dir], offset, "overlap_conflict")) {
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
    if (event_begin(p, &cs->dir[dir], s->offset - pending, "truncated")) {
        output_event_u64(p->out, "bytes", pending);
        output_event_end(p->out);
    }
}

static void on_close(void *ctx, struct flow_conn *c,
                     enum flow_close_reason reason, const struct pkt_info *pkt)
{
    struct pipeline *p = ctx;
    struct conn_state *cs = c->app;
    if (!cs)
        return;
    p->pkt = pkt;
    if (cs->kind == CONN_MQTT) {
        for (int dir = 0; dir < 2; dir++)
            report_truncated(p, cs, dir);
        if ((reason == FLOW_CLOSE_IDLE || reason == FLOW_CLOSE_EVICTED) &&
            event_begin(p, &cs->dir[0], cs->dir[0].stream.offset, "evicted")) {
            output_event_str(p->out, "reason", flow_close_reason_name(reason));
            output_event_end(p->out);
        }
    }
    for (int dir = 0; dir < 2; dir++)
        mqd_stream_free(&cs->dir[dir].stream);
    free(cs);
    c->app = NULL;
}

/* ---- the pipeline ---- */

struct pipeline *pipeline_new(const struct options *o, struct output *out)
{
    struct pipeline *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->opts = o;
    p->out = out;
    struct flow_config cfg = {
        .ctx = p,
        .accept = accept_conn,
        .is_server_port = is_server_port,
    };
    struct flow_sink sink = {
        .ctx = p,
        .on_open = on_open,
        .on_data = on_data,
        .on_gap = on_gap,
        .on_conflict = on_conflict,
        .on_close = on_close,
    };
    p->flows = flow_table_new(&cfg, &sink);
    if (!p->flows) {
        free(p);
        return NULL;
    }
    return p;
}

void pipeline_frame(struct pipeline *p, int dlt, const struct pcap_pkthdr *h,
                    const uint8_t *bytes, uint64_t frame)
{
    flow_table_frame(p->flows, dlt, h, bytes, frame);
}

bool pipeline_done(const struct pipeline *p)
{
    return p->done;
}

void pipeline_finish(struct pipeline *p)
{
    flow_table_flush(p->flows, NULL);
}

const struct pipeline_stats *pipeline_stats(const struct pipeline *p)
{
    return &p->stats;
}

const struct flow_stats *pipeline_flow_stats(const struct pipeline *p)
{
    return flow_table_stats(p->flows);
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
    fputs("mqttdissect: messages by type:", f);
    for (int t = 0; t < 16; t++)
        if (s->by_type[t])
            fprintf(f, " %s=%llu", mqd_type_name((uint8_t)t),
                    (unsigned long long)s->by_type[t]);
    fputc('\n', f);
    fprintf(f, "mqttdissect: reassembly: %llu out-of-order segments, %llu duplicate "
               "bytes, %llu conflicts, %llu gaps (%llu bytes lost), %llu idle "
               "evictions, %llu table evictions\n",
            (unsigned long long)fs->reasm.ooo_segments,
            (unsigned long long)fs->reasm.dup_bytes,
            (unsigned long long)fs->reasm.conflicts,
            (unsigned long long)fs->reasm.gaps,
            (unsigned long long)fs->reasm.gap_bytes,
            (unsigned long long)fs->evicted_idle,
            (unsigned long long)fs->evicted_full);
    fprintf(f, "mqttdissect: framing: %llu oversize frames skipped, %llu framing "
               "errors, %llu resyncs, %llu messages cut off at the end\n",
            (unsigned long long)s->oversize_frames,
            (unsigned long long)s->framing_errors, (unsigned long long)s->resyncs,
            (unsigned long long)s->truncated_at_end);
}

void pipeline_free(struct pipeline *p)
{
    if (!p)
        return;
    flow_table_free(p->flows);
    free(p);
}
