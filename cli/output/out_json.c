/* JSON Lines printer. See out_json.h for the keys. Every string that comes
 * from the wire goes through jw_strn, which escapes it and replaces
 * ill-formed UTF-8 with U+FFFD, so every line is valid UTF-8 and JSON. */
#include "output/out_json.h"

#include <stdlib.h>

#include "util/hex.h"
#include "output/out_sn.h"
#include "output/payload.h"
#include "output/out_analysis.h"
#include "mqttdissect/names.h"
#include "mqttdissect/props.h"
#include "mqttdissect/rules.h"
#include "util/timefmt.h"
#include "mqttdissect/utf8.h"

struct out_json {
    struct output base;
    struct output_opts opts;
    struct obuf b;
    struct json_writer w;
    struct payload_scratch *payload;
};

/* ---- metadata common to packets and events ---- */

/* An address from a fixed-size array: never read past it, even unterminated. */
static void json_fixed_str(struct json_writer *w, const char *s, size_t cap)
{
    jw_strn(w, (const uint8_t *)s, strnlen(s, cap));
}

void out_json_meta(struct json_writer *w, const struct msg_meta *m, bool stream)
{
    jw_kv_u64(w, "frame", m->frame);
    jw_key(w, "ts");
    jw_timestamp(w, m->ts_us);
    jw_key(w, "src");
    json_fixed_str(w, m->src, sizeof m->src);
    jw_key(w, "dst");
    json_fixed_str(w, m->dst, sizeof m->dst);
    if (m->proxied_src)
        jw_kv_str(w, "proxied_src", m->proxied_src);
    jw_kv_u64(w, "conn", m->conn);
    if (m->client_id)
        jw_kv_strn(w, "client_id", (const uint8_t *)m->client_id, strlen(m->client_id));
    if (m->community_id[0]) {
        /* "1:" and base64: nothing to escape, copied as it is. */
        char q[sizeof m->community_id + 2];
        size_t n = strnlen(m->community_id, sizeof m->community_id);
        q[0] = '"';
        memcpy(q + 1, m->community_id, n);
        q[n + 1] = '"';
        jw_key(w, "community_id");
        jw_raw(w, q, n + 2);
    }
    jw_kv_str(w, "transport", m->transport ? m->transport : "tcp");
    if (stream)
        jw_kv_u64(w, "stream_off", m->stream_off);
}

static void json_meta(struct json_writer *w, const struct msg_meta *m)
{
    out_json_meta(w, m, true);
}

/* ---- fixed header (3.1.1 s2.2, 5.0 s2.1) ---- */

static void json_header(struct json_writer *w, const mqd_frame *f)
{
    char hex[2];
    hex_byte(hex, f->header);
    jw_key(w, "header");
    jw_object_begin(w);
    jw_kv_u64(w, "byte", f->header);
    jw_key(w, "hex");
    jw_strn(w, (const uint8_t *)hex, 2);
    jw_kv_u64(w, "type", f->type);
    jw_kv_u64(w, "flags", f->flags);
    if (f->type == MQD_PUBLISH) {
        jw_kv_bool(w, "dup", f->dup);
        jw_kv_u64(w, "qos", f->qos);
        jw_kv_bool(w, "retain", f->retain);
    }
    jw_object_end(w);
}

/* The remaining length with its encoding (s1.5.5 / 3.1.1 s2.2.3). */
static void json_remaining(struct json_writer *w, const mqd_frame *f)
{
    const uint8_t *enc;
    jw_key(w, "remaining_length");
    jw_object_begin(w);
    jw_kv_u64(w, "value", f->remaining.value);
    if (mqd_frame_bytes(f, f->remaining.off, f->remaining.nbytes, &enc))
        jw_kv_hex(w, "encoded", enc, f->remaining.nbytes);
    jw_kv_u64(w, "bytes", f->remaining.nbytes);
    jw_kv_bool(w, "minimal", f->remaining.minimal);
    jw_object_end(w);
}

static void json_version(struct json_writer *w, const mqd_frame *f)
{
    jw_key(w, "version");
    if (f->version == MQD_VERSION_UNKNOWN)
        jw_null(w);
    else
        jw_u64(w, f->version);
    jw_kv_bool(w, "version_inferred", f->version_inferred);
}

/* ---- field helpers ---- */

/* key: "string from the wire", when the field is present and inside the
 * frame. */
static void json_field_str(struct json_writer *w, const mqd_frame *f,
                           const char *key, const mqd_str *s)
{
    const uint8_t *data;
    size_t len;
    if (mqd_frame_str(f, s, &data, &len))
        jw_kv_strn(w, key, data, len);
}

/* ---- MQTT 5.0 properties (5.0 s2.2.2) ---- */

static void json_prop_value(struct json_writer *w, const struct output_opts *o,
                            const mqd_frame *f, const mqd_prop *p)
{
    const uint8_t *data;
    size_t len;
    switch (p->info->type) {
    case MQD_PT_UTF8:
        json_field_str(w, f, "value", &p->str);
        break;
    case MQD_PT_UTF8_PAIR:
        jw_key(w, "value");
        jw_object_begin(w);
        json_field_str(w, f, "name", &p->str);
        json_field_str(w, f, "value", &p->str2);
        jw_object_end(w);
        break;
    case MQD_PT_BINARY:
        if (!mqd_frame_str(f, &p->str, &data, &len))
            break;
        jw_kv_u64(w, "length", len);
        /* Authentication data can carry credentials: treat like a password. */
        if (p->id == MQD_P_AUTHENTICATION_DATA && !o->show_secrets)
            jw_kv_bool(w, "redacted", true);
        else
            jw_kv_hex(w, "value_hex", data, len);
        break;
    default: /* BYTE, U16, U32, VARINT */
        jw_kv_u64(w, "value", p->value);
        break;
    }
}

static void json_properties(struct json_writer *w, const struct output_opts *o,
                            const mqd_frame *f, const char *key,
                            const mqd_props *block)
{
    mqd_prop_iter it;
    mqd_prop p;
    if (!block->present)
        return;
    jw_key(w, key);
    jw_array_begin(w);
    uint32_t done = block->off, end = block->off + block->len;
    mqd_prop_iter_init(&it, f, block);
    while (mqd_prop_next(&it, &p) && p.info) {
        done = p.off + p.len;
        jw_object_begin(w);
        jw_kv_u64(w, "id", p.id);
        jw_kv_str(w, "name", p.info->name);
        jw_kv_str(w, "key", p.info->key);
        jw_kv_u64(w, "offset", p.off);
        json_prop_value(w, o, f, &p);
        jw_object_end(w);
    }
    jw_array_end(w);
    /* Bytes the iterator could not walk (unknown or cut property). */
    if (done < end) {
        char ukey[48];
        size_t n = strlen(key);
        if (n > sizeof ukey - sizeof "_undecoded")
            n = sizeof ukey - sizeof "_undecoded";
        memcpy(ukey, key, n);
        memcpy(ukey + n, "_undecoded", sizeof "_undecoded");
        jw_kv_u64(w, ukey, end - done);
    }
}

/* The block a packet's own properties are in. */
static const mqd_props *frame_props(const mqd_frame *f)
{
    if (f->type == MQD_CONNECT && f->connect.props.present)
        return &f->connect.props;
    return &f->props;
}

/* ---- CONNECT (3.1.1 s3.1, 5.0 s3.1) ---- */

static void json_connect_flags(struct json_writer *w, const mqd_connect *c)
{
    jw_key(w, "flags");
    jw_object_begin(w);
    jw_kv_u64(w, "byte", c->flags.value);
    jw_kv_bool(w, "username", c->username_flag);
    jw_kv_bool(w, "password", c->password_flag);
    jw_kv_bool(w, "will_retain", c->will_retain);
    jw_kv_u64(w, "will_qos", c->will_qos);
    jw_kv_bool(w, "will", c->will_flag);
    jw_kv_bool(w, "clean_start", c->clean_start);
    jw_kv_bool(w, "reserved", c->reserved_flag);
    jw_object_end(w);
}

static void json_will(struct json_writer *w, const struct output_opts *o,
                      const mqd_frame *f, const mqd_connect *c)
{
    const uint8_t *data;
    size_t len;
    jw_key(w, "will");
    jw_object_begin(w);
    jw_kv_u64(w, "qos", c->will_qos);
    jw_kv_bool(w, "retain", c->will_retain);
    json_field_str(w, f, "topic", &c->will_topic);
    if (mqd_frame_str(f, &c->will_payload, &data, &len))
        payload_json_raw(w, o, "payload", data, len);
    json_properties(w, o, f, "properties", &c->will_props);
    jw_object_end(w);
}

static void json_password(struct json_writer *w, const struct output_opts *o,
                          const mqd_frame *f, const mqd_str *pw)
{
    const uint8_t *data;
    size_t len;
    if (!mqd_frame_str(f, pw, &data, &len))
        return;
    if (o->show_secrets)
        jw_kv_hex(w, "password_hex", data, len);
    else
        jw_kv_str(w, "password", "<redacted>");
}

static void json_connect(struct json_writer *w, const struct output_opts *o,
                         const mqd_frame *f)
{
    const mqd_connect *c = &f->connect;
    jw_key(w, "connect");
    jw_object_begin(w);
    json_field_str(w, f, "protocol_name", &c->protocol_name);
    if (c->level.present)
        jw_kv_u64(w, "protocol_level", c->level.value);
    if (c->flags.present)
        json_connect_flags(w, c);
    if (c->keep_alive.present)
        jw_kv_u64(w, "keep_alive", c->keep_alive.value);
    json_field_str(w, f, "client_id", &c->client_id);
    if (c->will_flag)
        json_will(w, o, f, c);
    json_field_str(w, f, "username", &c->username);
    json_password(w, o, f, &c->password);
    jw_object_end(w);
}

/* ---- SUBSCRIBE / UNSUBSCRIBE / SUBACK / UNSUBACK ---- */

static void json_filters(struct json_writer *w, const mqd_frame *f)
{
    mqd_filter_iter it;
    mqd_filter flt;
    jw_key(w, "filters");
    jw_array_begin(w);
    mqd_filter_iter_init(&it, f);
    while (mqd_filter_next(&it, &flt)) {
        jw_object_begin(w);
        json_field_str(w, f, "topic", &flt.filter);
        if (f->type == MQD_SUBSCRIBE && flt.options.present) {
            jw_kv_u64(w, "qos", flt.qos);
            if (f->version == MQD_V5) {
                /* Subscription options (5.0 s3.8.3.1). */
                jw_kv_bool(w, "no_local", flt.no_local);
                jw_kv_bool(w, "retain_as_published", flt.retain_as_published);
                jw_kv_u64(w, "retain_handling", flt.retain_handling);
            }
        }
        jw_object_end(w);
    }
    jw_array_end(w);
}

static void json_reason_name(struct json_writer *w, const mqd_frame *f,
                             const char *key, uint8_t code)
{
    const char *name = mqd_reason_name(f->type, f->version, code);
    jw_key(w, key);
    if (name)
        jw_str(w, name);
    else
        jw_null(w);
}

static void json_reason_codes(struct json_writer *w, const mqd_frame *f)
{
    const uint8_t *codes;
    size_t n;
    if (!mqd_frame_run(f, f->list.off, f->list.len, &codes, &n))
        return;
    jw_key(w, "reason_codes");
    jw_array_begin(w);
    for (size_t i = 0; i < n; i++) {
        jw_object_begin(w);
        jw_kv_u64(w, "code", codes[i]);
        json_reason_name(w, f, "name", codes[i]);
        jw_object_end(w);
    }
    jw_array_end(w);
}

/* ---- per-type fields ---- */

static void json_publish(struct json_writer *w, const struct output_opts *o,
                         struct payload_scratch *ps, const struct msg_meta *m,
                         const mqd_frame *f)
{
    struct payload_view v;
    jw_kv_u64(w, "qos", f->qos);
    jw_kv_bool(w, "dup", f->dup);
    jw_kv_bool(w, "retain", f->retain);
    json_field_str(w, f, "topic", &f->topic);
    payload_view_init(&v, o, ps, m, f);
    payload_json_write_view(w, o, ps, f, &v);
}

static void json_common_fields(struct json_writer *w, const mqd_frame *f)
{
    if (f->packet_id.present)
        jw_kv_u64(w, "packet_id", f->packet_id.value);
    if (f->type == MQD_CONNACK && f->ack_flags.present)
        jw_kv_bool(w, "session_present", (f->ack_flags.value & 1u) != 0);
    if (f->reason.present) {
        jw_kv_u64(w, "reason_code", f->reason.value);
        json_reason_name(w, f, "reason", (uint8_t)f->reason.value);
    }
}

/* One member of a "violations" array. */
static void json_violation(struct json_writer *w, const char *id, const char *name,
                           const char *severity, const char *message, uint32_t off,
                           uint32_t value)
{
    jw_object_begin(w);
    jw_kv_str(w, "rule", id);
    jw_kv_str(w, "name", name);
    jw_kv_str(w, "severity", severity);
    jw_kv_u64(w, "offset", off);
    jw_kv_str(w, "message", message);
    jw_kv_u64(w, "value", value);
    jw_object_end(w);
}

/* The first n of dissect/'s violations of a frame, as array members. */
static void json_dissect_violations(struct json_writer *w, const mqd_violation *list,
                                    uint16_t n)
{
    for (uint16_t i = 0; i < n; i++) {
        const mqd_rule_info *r = mqd_rule_get(list[i].rule);
        json_violation(w, r ? r->id : "unknown", r ? r->name : "UNKNOWN",
                       r ? mqd_severity_name(r->severity) : "error",
                       r ? r->message : "unknown rule", list[i].off, list[i].value);
    }
}

void out_json_violations(struct json_writer *w, const mqd_violation *list,
                         uint16_t count, uint16_t dropped)
{
    uint16_t n = count < MQD_MAX_VIOLATIONS ? count : MQD_MAX_VIOLATIONS;
    jw_key(w, "violations");
    jw_array_begin(w);
    json_dissect_violations(w, list, n);
    jw_array_end(w);
    if (dropped > 0)
        jw_kv_u64(w, "violations_dropped", dropped);
}

/* The frame's violations, then those of the rules kept above dissect/
 * (the Sparkplug state's), in one "violations" array. */
static void json_frame_violations(struct json_writer *w, const mqd_frame *f,
                                  const struct msg_analysis *an)
{
    if (!an->nhits) {
        out_json_violations(w, f->violations, f->nviolations, f->violations_dropped);
        return;
    }
    uint16_t n = f->nviolations < MQD_MAX_VIOLATIONS ? f->nviolations : MQD_MAX_VIOLATIONS;
    jw_key(w, "violations");
    jw_array_begin(w);
    json_dissect_violations(w, f->violations, n);
    for (uint8_t i = 0; i < an->nhits && i < MSG_MAX_RULE_HITS; i++) {
        const struct msg_rule_hit *h = &an->hits[i];
        json_violation(w, h->rule->id, h->rule->name, mqd_severity_name(h->rule->severity),
                       h->rule->message, h->off, h->value);
    }
    jw_array_end(w);
    if (f->violations_dropped + an->hits_dropped > 0)
        jw_kv_u64(w, "violations_dropped", (uint64_t)f->violations_dropped + an->hits_dropped);
}

void out_json_write_frame(struct json_writer *w, const struct output_opts *o,
                          struct payload_scratch *ps, const struct msg_meta *m,
                          const mqd_frame *f)
{
    jw_object_begin(w);
    json_meta(w, m);
    json_version(w, f);
    jw_kv_str(w, "type", mqd_type_name(f->type));
    json_header(w, f);
    json_remaining(w, f);
    jw_kv_u64(w, "size", f->size);
    if (f->type == MQD_PUBLISH)
        json_publish(w, o, ps, m, f);
    json_common_fields(w, f);
    out_analysis_json(w, m, f); /* reply_to, latency_us, effective_topic, ... */
    if (f->type == MQD_CONNECT)
        json_connect(w, o, f);
    json_properties(w, o, f, "properties", frame_props(f));
    if (f->list.present) {
        if (f->type == MQD_SUBSCRIBE || f->type == MQD_UNSUBSCRIBE)
            json_filters(w, f);
        else if (f->type == MQD_SUBACK || f->type == MQD_UNSUBACK)
            json_reason_codes(w, f);
    }
    json_frame_violations(w, f, &m->an);
    jw_object_end(w);
}

/* ---- the printer ---- */

static struct out_json *as_json(struct output *o)
{
    return (struct out_json *)o;
}

static void oj_frame(struct output *o, const struct msg_meta *m,
                     const mqd_frame *f)
{
    struct out_json *j = as_json(o);
    out_json_write_frame(&j->w, &j->opts, j->payload, m, f);
    jw_line_end(&j->w);
}

static void oj_sn(struct output *o, const struct msg_meta *m,
                  const struct sn_record *r)
{
    struct out_json *j = as_json(o);
    out_sn_write_json(&j->w, &j->opts, j->payload, m, r);
    jw_line_end(&j->w);
}

static void oj_event_begin(struct output *o, const struct msg_meta *m,
                           const char *name)
{
    struct out_json *j = as_json(o);
    jw_object_begin(&j->w);
    json_meta(&j->w, m);
    jw_kv_str(&j->w, "event", name);
}

static void oj_event_u64(struct output *o, const char *key, uint64_t v)
{
    jw_kv_u64(&as_json(o)->w, key, v);
}

static void oj_event_str(struct output *o, const char *key, const char *s)
{
    jw_kv_str(&as_json(o)->w, key, s ? s : "");
}

static void oj_event_bool(struct output *o, const char *key, bool v)
{
    jw_kv_bool(&as_json(o)->w, key, v);
}

static void oj_event_end(struct output *o)
{
    struct out_json *j = as_json(o);
    jw_object_end(&j->w);
    jw_line_end(&j->w);
}

/* {"event":"capture_stats",...}: no flow, so no meta. */
static void oj_capture(struct output *o, const struct capture_stats_record *r)
{
    struct json_writer *w = &as_json(o)->w;
    jw_object_begin(w);
    jw_kv_str(w, "event", "capture_stats");
    jw_kv_u64(w, "received", r->received);
    jw_kv_u64(w, "dropped", r->dropped);
    jw_kv_u64(w, "if_dropped", r->if_dropped);
    jw_kv_u64(w, "queue_dropped", r->queue_dropped);
    if (r->worker)
        jw_kv_u64(w, "worker", r->worker);
    jw_object_end(w);
    jw_line_end(w);
}

static int oj_flush(struct output *o)
{
    return obuf_flush(&as_json(o)->b);
}

static int oj_close(struct output *o)
{
    struct out_json *j = as_json(o);
    int rc = obuf_flush(&j->b);
    obuf_free(&j->b);
    payload_scratch_free(j->payload);
    free(j);
    return rc;
}

static struct obuf *oj_buffer(struct output *o)
{
    return &as_json(o)->b;
}

static const struct output_ops out_json_ops = {
    .frame = oj_frame,
    .sn = oj_sn,
    .event_begin = oj_event_begin,
    .event_u64 = oj_event_u64,
    .event_str = oj_event_str,
    .event_bool = oj_event_bool,
    .event_end = oj_event_end,
    .flush = oj_flush,
    .close = oj_close,
    .buffer = oj_buffer,
    .capture = oj_capture,
};

struct output *out_json_open(const struct output_opts *opts)
{
    struct out_json *j = calloc(1, sizeof *j);
    if (!j)
        return NULL;
    j->base.ops = &out_json_ops;
    j->opts = *opts;
    if (!j->opts.out)
        j->opts.out = stdout;
    j->payload = payload_scratch_new();
    if (!j->payload || obuf_init(&j->b, j->opts.in_memory ? NULL : j->opts.out, 0) != 0) {
        payload_scratch_free(j->payload);
        free(j);
        return NULL;
    }
    jw_init(&j->w, &j->b);
    return &j->base;
}
