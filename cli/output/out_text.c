/* Annotated text printer. See out_text.h for the format. Everything is
 * formatted by hand into the output buffer: the result depends only on the
 * frame and the options (no locale, no time zone), so golden tests can
 * compare it byte for byte. */
#include "output/out_text.h"

#include <stdlib.h>

#include "util/bytescan.h"
#include "util/hex.h"
#include "output/out_sn.h"
#include "output/payload.h"
#include "output/out_analysis.h"
#include "mqttdissect/names.h"
#include "mqttdissect/props.h"
#include "mqttdissect/rules.h"
#include "util/timefmt.h"
#include "mqttdissect/utf8.h"

struct out_text {
    struct output base;
    struct output_opts opts;
    struct obuf b;
    struct tree_memo memo;
    struct payload_scratch *payload;
};

void put_sgr(struct obuf *b, const struct output_opts *o,
                    const char *code)
{
    if (!o->color)
        return;
    obuf_puts(b, "\x1b[");
    obuf_puts(b, code);
    obuf_putc(b, 'm');
}

/* "0x1f" */
void put_hex8(struct obuf *b, uint8_t v)
{
    char *p = obuf_reserve(b, 4);
    p[0] = '0';
    p[1] = 'x';
    hex_byte(p + 2, v);
    obuf_commit(b, 4);
}

size_t fmt_tree_offset(char *p, uint32_t v)
{
    size_t n = 0;
    if (v > 0xFFFF) { /* frames above 64 KiB: all the digits, still fixed */
        hex_byte(p, (uint8_t)(v >> 24));
        hex_byte(p + 2, (uint8_t)(v >> 16));
        n = 4;
    }
    hex_byte(p + n, (uint8_t)(v >> 8));
    hex_byte(p + n + 2, (uint8_t)v);
    return n + 4;
}

void put_hex16(struct obuf *b, uint32_t v)
{
    char *p = obuf_reserve(b, 8);
    obuf_commit(b, fmt_tree_offset(p, v));
}

/* ---- the TLS record layer (-V, decrypted) ---- */

static const char *tls_content_type_name(uint8_t type)
{
    switch (type) {
    case 20: return "change_cipher_spec";
    case 21: return "alert";
    case 22: return "handshake";
    case 23: return "application_data";
    case 24: return "heartbeat";
    default: return "unknown";
    }
}

static void put_tls_type(struct obuf *b, uint8_t type)
{
    obuf_u64(b, type);
    obuf_putc(b, ' ');
    obuf_puts(b, tls_content_type_name(type));
}

/* One line per TLS record that carried the message, above its tree:
 * "  TLS record seq N: type 23 application_data, length L[, inner type 23
 * application_data, epoch E], message bytes OOOO..OOOO (N)". */
void text_tls_records(struct obuf *b, const struct msg_meta *m)
{
    if (m->tls_rec[0].msg_off > 0) {
        obuf_puts(b, "  TLS records before these carried message bytes 0000..");
        put_hex16(b, m->tls_rec[0].msg_off - 1);
        obuf_putc(b, '\n');
    }
    for (uint16_t i = 0; i < m->tls_nrec; i++) {
        const struct tls_record_meta *r = &m->tls_rec[i];
        obuf_puts(b, "  TLS record seq ");
        obuf_u64(b, r->seq);
        obuf_puts(b, ": type ");
        put_tls_type(b, r->type);
        obuf_puts(b, ", length ");
        obuf_u64(b, r->length);
        if (r->inner_type) {
            obuf_puts(b, ", inner type ");
            put_tls_type(b, r->inner_type);
            obuf_puts(b, ", epoch ");
            obuf_u64(b, r->epoch);
        }
        obuf_puts(b, ", message bytes ");
        put_hex16(b, r->msg_off);
        obuf_puts(b, "..");
        put_hex16(b, r->msg_off + r->msg_len - 1);
        obuf_puts(b, " (");
        obuf_u64(b, r->msg_len);
        obuf_puts(b, ")\n");
    }
}

/* A string field of the frame, quoted; "<cut>" when it is not inside it. */
void put_field_str(const struct text_ctx *t, const mqd_str *s, size_t limit)
{
    const uint8_t *data;
    size_t len;
    if (mqd_frame_str(t->f, s, &data, &len))
        text_quoted(t->b, data, len, limit);
    else
        obuf_puts(t->b, "<cut>");
}

/* ---- the summary line ---- */

/* The record's time as --time says. */
static void put_time(struct obuf *b, const struct output_opts *o, struct tree_memo *memo,
                     int64_t ts_us)
{
    char text[48];
    size_t n;
    struct timefmt_memo *clock = memo ? &memo->clock : NULL;
    switch (o->time_format) {
    case TEXT_TIME_ISO: n = fmt_rfc3339(text, ts_us, clock); break;
    case TEXT_TIME_EPOCH: n = fmt_seconds(text, ts_us); break;
    case TEXT_TIME_REL:
    case TEXT_TIME_DELTA: {
        int64_t since = ts_us;
        if (memo) {
            if (!memo->have_first) {
                memo->have_first = true;
                memo->first_us = memo->prev_us = ts_us;
            }
            since = o->time_format == TEXT_TIME_REL ? memo->first_us : memo->prev_us;
            memo->prev_us = ts_us;
        }
        n = fmt_seconds(text, ts_us - since);
        break;
    }
    default: n = fmt_clock(text, ts_us, clock); break;
    }
    obuf_write(b, text, n);
}

void put_meta(struct obuf *b, const struct output_opts *o, struct tree_memo *memo,
              const struct msg_meta *m)
{
    obuf_u64(b, m->frame);
    obuf_putc(b, ' ');
    put_time(b, o, memo, m->ts_us);
    obuf_putc(b, ' ');
    obuf_write(b, m->src, strnlen(m->src, sizeof m->src));
    obuf_puts(b, o->ascii_arrow ? TEXT_ARROW_ASCII : TEXT_ARROW);
    obuf_write(b, m->dst, strnlen(m->dst, sizeof m->dst));
    if (m->proxied_src) {
        obuf_puts(b, " proxied_src=");
        obuf_puts(b, m->proxied_src);
    }
}

void put_violation(struct obuf *b, const struct output_opts *o,
                   const mqd_violation *v)
{
    const mqd_rule_info *r = mqd_rule_get(v->rule);
    uint8_t sev = r ? r->severity : MQD_SEV_ERROR;
    put_sgr(b, o, sev == MQD_SEV_ERROR     ? SGR_RED
                  : sev == MQD_SEV_WARNING ? SGR_YELLOW
                                           : SGR_CYAN);
    obuf_puts(b, "! ");
    obuf_puts(b, r ? r->id : "unknown");
    obuf_putc(b, ' ');
    obuf_puts(b, mqd_severity_name(sev));
    put_sgr(b, o, SGR_RESET);
    obuf_puts(b, ": ");
    obuf_puts(b, r ? r->message : "unknown rule");
    obuf_puts(b, " (value ");
    obuf_u64(b, v->value);
    obuf_puts(b, ")\n");
}

static void put_version(struct obuf *b, const mqd_frame *f)
{
    obuf_putc(b, 'v');
    if (f->version == MQD_VERSION_UNKNOWN)
        obuf_putc(b, '?');
    else
        obuf_u64(b, f->version);
    if (f->version_inferred && f->version != MQD_VERSION_UNKNOWN)
        obuf_putc(b, '?');
}

/* " rc=0x87(Not authorized)" */
static void put_reason(const struct text_ctx *t, const char *label, uint8_t code)
{
    const char *name = mqd_reason_name(t->f->type, t->f->version, code);
    obuf_putc(t->b, ' ');
    obuf_puts(t->b, label);
    obuf_putc(t->b, '=');
    put_hex8(t->b, code);
    obuf_putc(t->b, '(');
    obuf_puts(t->b, name ? name : "unknown");
    obuf_putc(t->b, ')');
}

static void put_kv_u64(struct obuf *b, const char *key, uint64_t v)
{
    obuf_putc(b, ' ');
    obuf_puts(b, key);
    obuf_putc(b, '=');
    obuf_u64(b, v);
}

static void put_kv_str(const struct text_ctx *t, const char *key, const mqd_str *s)
{
    obuf_putc(t->b, ' ');
    obuf_puts(t->b, key);
    obuf_putc(t->b, '=');
    put_field_str(t, s, SUMMARY_STR_LIMIT);
}

static void summary_connect(const struct text_ctx *t)
{
    const mqd_connect *c = &t->f->connect;
    if (c->client_id.present)
        put_kv_str(t, "client_id", &c->client_id);
    if (c->keep_alive.present)
        put_kv_u64(t->b, "keep_alive", c->keep_alive.value);
    if (c->flags.present)
        put_kv_u64(t->b, "clean_start", c->clean_start);
    if (c->will_flag) {
        if (c->will_topic.present)
            put_kv_str(t, "will_topic", &c->will_topic);
        put_kv_u64(t->b, "will_qos", c->will_qos);
        if (c->will_retain)
            put_kv_u64(t->b, "will_retain", 1);
    }
    if (c->username.present)
        put_kv_str(t, "username", &c->username);
    if (c->password.present) {
        const uint8_t *data;
        size_t len;
        obuf_puts(t->b, " password=");
        if (!t->o->show_secrets)
            obuf_puts(t->b, "<redacted>");
        else if (mqd_frame_str(t->f, &c->password, &data, &len))
            text_hex(t->b, data, len, SIZE_MAX);
        else
            obuf_puts(t->b, "<cut>");
    }
}

static void summary_publish(const struct text_ctx *t)
{
    const mqd_frame *f = t->f;
    const uint8_t *data;
    size_t len;
    put_kv_u64(t->b, "qos", f->qos);
    if (f->dup)
        put_kv_u64(t->b, "dup", 1);
    if (f->retain)
        put_kv_u64(t->b, "retain", 1);
    if (f->packet_id.present)
        put_kv_u64(t->b, "id", f->packet_id.value);
    if (f->topic.present)
        put_kv_str(t, "topic", &f->topic);
    if (t->pv)
        payload_text_summary_view(t->b, t->o, t->pv, t->payload_utf8);
    else if (f->payload.present &&
             mqd_frame_run(f, f->payload.off, f->payload.len, &data, &len))
        payload_text_summary(t->b, t->o, "payload", data, len, t->payload_utf8);
}

/* " filters="a/b":1,"c":0" (UNSUBSCRIBE: no QoS) */
static void summary_filters(const struct text_ctx *t)
{
    mqd_filter_iter it;
    mqd_filter flt;
    uint32_t shown = 0;
    obuf_puts(t->b, " filters=");
    mqd_filter_iter_init(&it, t->f);
    while (mqd_filter_next(&it, &flt)) {
        if (shown == SUMMARY_MAX_LIST) {
            obuf_puts(t->b, "," TEXT_ELLIPSIS);
            break;
        }
        if (shown++ > 0)
            obuf_putc(t->b, ',');
        put_field_str(t, &flt.filter, SUMMARY_STR_LIMIT);
        if (t->f->type == MQD_SUBSCRIBE && flt.options.present) {
            obuf_putc(t->b, ':');
            obuf_u64(t->b, flt.qos);
        }
    }
}

/* " codes=0x00,0x80" */
static void summary_codes(const struct text_ctx *t)
{
    const uint8_t *codes;
    size_t n;
    if (!mqd_frame_run(t->f, t->f->list.off, t->f->list.len, &codes, &n))
        return;
    obuf_puts(t->b, " codes=");
    for (size_t i = 0; i < n; i++) {
        if (i == SUMMARY_MAX_LIST) {
            obuf_puts(t->b, "," TEXT_ELLIPSIS);
            break;
        }
        if (i > 0)
            obuf_putc(t->b, ',');
        put_hex8(t->b, codes[i]);
    }
}

void text_violations_summary(struct obuf *b, const struct output_opts *o,
                             const mqd_violation *list, uint16_t n,
                             uint16_t dropped)
{
    uint32_t total = (uint32_t)n + dropped;
    if (n > MQD_MAX_VIOLATIONS)
        n = MQD_MAX_VIOLATIONS;
    if (total == 0)
        return;
    obuf_putc(b, ' ');
    put_sgr(b, o, SGR_RED);
    obuf_putc(b, '[');
    obuf_u64(b, total);
    obuf_puts(b, total == 1 ? " violation:" : " violations:");
    for (uint16_t i = 0; i < n; i++) {
        const mqd_rule_info *r = mqd_rule_get(list[i].rule);
        obuf_putc(b, ' ');
        obuf_puts(b, r ? r->id : "unknown");
    }
    if (dropped > 0)
        obuf_puts(b, " " TEXT_ELLIPSIS);
    obuf_putc(b, ']');
    put_sgr(b, o, SGR_RESET);
}

static void summary_violations(const struct text_ctx *t)
{
    const mqd_frame *f = t->f;
    const struct msg_analysis *an = &t->m->an;
    if (!an->nhits) {
        text_violations_summary(t->b, t->o, f->violations, f->nviolations,
                                f->violations_dropped);
        return;
    }
    /* With the rules kept above dissect/ (the Sparkplug state's). */
    uint16_t n = f->nviolations < MQD_MAX_VIOLATIONS ? f->nviolations : MQD_MAX_VIOLATIONS;
    uint32_t total = (uint32_t)f->nviolations + f->violations_dropped + an->nhits +
                     an->hits_dropped;
    obuf_putc(t->b, ' ');
    put_sgr(t->b, t->o, SGR_RED);
    obuf_putc(t->b, '[');
    obuf_u64(t->b, total);
    obuf_puts(t->b, total == 1 ? " violation:" : " violations:");
    for (uint16_t i = 0; i < n; i++) {
        const mqd_rule_info *r = mqd_rule_get(f->violations[i].rule);
        obuf_putc(t->b, ' ');
        obuf_puts(t->b, r ? r->id : "unknown");
    }
    for (uint8_t i = 0; i < an->nhits && i < MSG_MAX_RULE_HITS; i++) {
        obuf_putc(t->b, ' ');
        obuf_puts(t->b, an->hits[i].rule->id);
    }
    if (f->violations_dropped || an->hits_dropped)
        obuf_puts(t->b, " " TEXT_ELLIPSIS);
    obuf_putc(t->b, ']');
    put_sgr(t->b, t->o, SGR_RESET);
}

void put_rule_hit(struct obuf *b, const struct output_opts *o,
                  const struct msg_rule_hit *h)
{
    uint8_t sev = h->rule->severity;
    put_sgr(b, o, sev == MQD_SEV_ERROR     ? SGR_RED
                  : sev == MQD_SEV_WARNING ? SGR_YELLOW
                                           : SGR_CYAN);
    obuf_puts(b, "! ");
    obuf_puts(b, h->rule->id);
    obuf_putc(b, ' ');
    obuf_puts(b, mqd_severity_name(sev));
    put_sgr(b, o, SGR_RESET);
    obuf_puts(b, ": ");
    obuf_puts(b, h->rule->message);
    obuf_puts(b, " (value ");
    obuf_u64(b, h->value);
    obuf_puts(b, ")\n");
}

static void summary_fields(const struct text_ctx *t)
{
    const mqd_frame *f = t->f;
    switch (f->type) {
    case MQD_CONNECT:
        summary_connect(t);
        break;
    case MQD_PUBLISH:
        summary_publish(t);
        break;
    case MQD_CONNACK:
        if (f->ack_flags.present)
            put_kv_u64(t->b, "session_present", f->ack_flags.value & 1u);
        break;
    default:
        if (f->packet_id.present)
            put_kv_u64(t->b, "id", f->packet_id.value);
        break;
    }
    if (f->reason.present)
        put_reason(t, "rc", (uint8_t)f->reason.value);
    if (f->list.present) {
        if (f->type == MQD_SUBSCRIBE || f->type == MQD_UNSUBSCRIBE)
            summary_filters(t);
        else
            summary_codes(t);
    }
    const mqd_props *props =
        f->type == MQD_CONNECT && f->connect.props.present ? &f->connect.props
                                                           : &f->props;
    if (props->present && props->count > 0)
        put_kv_u64(t->b, "props", props->count);
}

static void summary_line(const struct text_ctx *t, const struct msg_meta *m)
{
    put_meta(t->b, t->o, t->memo, m);
    obuf_putc(t->b, ' ');
    put_version(t->b, t->f);
    obuf_putc(t->b, ' ');
    put_sgr(t->b, t->o, SGR_BOLD);
    obuf_puts(t->b, mqd_type_name(t->f->type));
    put_sgr(t->b, t->o, SGR_RESET);
    summary_fields(t);
    out_analysis_text(t->b, m, t->f); /* reply_to, latency_us, ... */
    if (m->client_id && t->f->type != MQD_CONNECT) { /* CONNECT shows its own */
        obuf_puts(t->b, " client_id=");
        text_quoted(t->b, (const uint8_t *)m->client_id, strlen(m->client_id),
                    SUMMARY_STR_LIMIT);
    }
    summary_violations(t);
    obuf_putc(t->b, '\n');
}


void out_text_write_frame(struct obuf *b, const struct output_opts *o,
                          struct tree_memo *memo, struct payload_scratch *ps,
                          const struct msg_meta *m, const mqd_frame *f)
{
    struct text_ctx t = {b, o, f, memo, false, false, NULL, m};
    struct payload_view pv;
    if (f->type == MQD_PUBLISH) {
        payload_view_init(&pv, o, ps, m, f);
        t.pv = &pv;
    }
    /* -V shows a JSON payload pretty-printed after the tree; the check
     * found it well-formed UTF-8 too. The summary and the tree both need
     * to know that (one pass over the payload, not two or three). */
    bool json = o->verbose && t.pv && payload_text_json_view(ps, o, f, t.pv);
    t.payload_json = json;
    if (t.pv && t.pv->present)
        t.payload_utf8 = json || mqd_utf8_valid(t.pv->data, t.pv->len);
    summary_line(&t, m);
    if (o->verbose && m->tls_nrec)
        text_tls_records(b, m);
    if (o->verbose)
        out_text_tree(&t);
    if (json)
        payload_text_pretty(b, ps, f);
    else if (o->verbose && t.pv && t.pv->spb_decoded)
        payload_text_sparkplug(b, ps, t.pv);
    else if (o->verbose && t.pv && t.pv->inflated)
        payload_text_inflated(b, ps, t.pv);
    else if (o->verbose && t.pv && t.pv->cbor_json)
        payload_text_cbor(b, ps, t.pv);
    else if (o->verbose && t.pv && t.pv->msgpack_json)
        payload_text_msgpack(b, ps, t.pv);
}

/* ---- events and the printer ---- */

static struct out_text *as_text(struct output *o)
{
    return (struct out_text *)o;
}

static void ot_frame(struct output *o, const struct msg_meta *m,
                     const mqd_frame *f)
{
    struct out_text *t = as_text(o);
    out_text_write_frame(&t->b, &t->opts, &t->memo, t->payload, m, f);
}

static void ot_sn(struct output *o, const struct msg_meta *m,
                  const struct sn_record *r)
{
    struct out_text *t = as_text(o);
    out_sn_write_text(&t->b, &t->opts, &t->memo, m, r);
}

static void ot_event_begin(struct output *o, const struct msg_meta *m,
                           const char *name)
{
    struct out_text *t = as_text(o);
    put_meta(&t->b, &t->opts, &t->memo, m);
    obuf_putc(&t->b, ' ');
    put_sgr(&t->b, &t->opts, SGR_YELLOW);
    obuf_puts(&t->b, "EVENT ");
    obuf_puts(&t->b, name);
    put_sgr(&t->b, &t->opts, SGR_RESET);
    if (m->client_id) {
        obuf_puts(&t->b, " client_id=");
        text_quoted(&t->b, (const uint8_t *)m->client_id, strlen(m->client_id),
                    SUMMARY_STR_LIMIT);
    }
}

static void ot_event_key(struct out_text *t, const char *key)
{
    obuf_putc(&t->b, ' ');
    obuf_puts(&t->b, key);
    obuf_putc(&t->b, '=');
}

static void ot_event_u64(struct output *o, const char *key, uint64_t v)
{
    struct out_text *t = as_text(o);
    ot_event_key(t, key);
    obuf_u64(&t->b, v);
}

static void ot_event_str(struct output *o, const char *key, const char *s)
{
    struct out_text *t = as_text(o);
    ot_event_key(t, key);
    s = s ? s : "";
    text_quoted(&t->b, (const uint8_t *)s, strlen(s), 0);
}

static void ot_event_bool(struct output *o, const char *key, bool v)
{
    struct out_text *t = as_text(o);
    ot_event_key(t, key);
    obuf_puts(&t->b, v ? "true" : "false");
}

static void ot_event_end(struct output *o)
{
    obuf_putc(&as_text(o)->b, '\n');
}

static int ot_flush(struct output *o)
{
    return obuf_flush(&as_text(o)->b);
}

static int ot_close(struct output *o)
{
    struct out_text *t = as_text(o);
    int rc = obuf_flush(&t->b);
    obuf_free(&t->b);
    tree_memo_free(&t->memo);
    payload_scratch_free(t->payload);
    free(t);
    return rc;
}

static struct obuf *ot_buffer(struct output *o)
{
    return &as_text(o)->b;
}

static const struct output_ops out_text_ops = {
    .frame = ot_frame,
    .sn = ot_sn,
    .event_begin = ot_event_begin,
    .event_u64 = ot_event_u64,
    .event_str = ot_event_str,
    .event_bool = ot_event_bool,
    .event_end = ot_event_end,
    .flush = ot_flush,
    .close = ot_close,
    .buffer = ot_buffer,
};

struct output *out_text_open(const struct output_opts *opts)
{
    struct out_text *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->base.ops = &out_text_ops;
    t->opts = *opts;
    if (!t->opts.out)
        t->opts.out = stdout;
    t->payload = payload_scratch_new();
    if (!t->payload || obuf_init(&t->b, t->opts.in_memory ? NULL : t->opts.out, 0) != 0) {
        payload_scratch_free(t->payload);
        free(t);
        return NULL;
    }
    return &t->base;
}
