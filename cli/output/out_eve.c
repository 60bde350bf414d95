/* Suricata EVE JSON printer. See out_eve.h for what goes where. The keys and
 * types inside "mqtt" follow Suricata's MQTT logger (its EVE documentation,
 * "Event type: MQTT"): per packet type an object named after the type in
 * lower case, with the fixed header's qos, retain and dup, then the fields
 * of that type. Strings from the wire go through jw_strn, so every line is
 * valid UTF-8 and JSON whatever the bytes. */
#include "output/out_eve.h"

#include <stdlib.h>

#include "util/hex.h"
#include "util/json_writer.h"
#include "mqttdissect/names.h"
#include "mqttdissect/props.h"
#include "mqttdissect/rules.h"
#include "mqttdissect/utf8.h"

/* An event's fields, kept until event_end: the record is written whole,
 * its fields sorted into flowints and flowvars. */
struct eve_field {
    uint8_t kind;   /* enum event_field_kind */
    char key[32];
    uint64_t u64;
    bool b;
    size_t str_off, str_len; /* into out_eve.strs */
};

struct out_eve {
    struct output base;
    struct output_opts opts;
    struct obuf b;
    struct json_writer w;
    /* the event being collected */
    struct msg_meta ev_meta;
    bool ev_skip; /* an MQTT-SN (UDP) event: not printed, as MQTT-SN is not */
    char ev_name[32];
    uint8_t nfields;
    struct eve_field fields[EVENT_MAX_FIELDS];
    struct obuf strs; /* the events' string values, in memory */
};

/* ---- the common keys ---- */

/* Suricata's timestamp: "2026-11-24T20:07:43.321563+0000" (UTC). */
static void eve_ts(struct json_writer *w, int64_t ts_us)
{
    struct civil_time t;
    char buf[64];
    civil_from_us(ts_us, &t);
    int n = snprintf(buf, sizeof buf, "\"%04lld-%02u-%02uT%02u:%02u:%02u.%06u+0000\"",
                     (long long)t.year, t.month, t.day, t.hour, t.min, t.sec, t.usec);
    if (n > 0 && (size_t)n < sizeof buf)
        jw_raw(w, buf, (size_t)n); /* digits and punctuation: no escaping */
}

/* A number for the flow: FNV-1a over its Community ID (the same for both
 * directions and for every process reading the same capture, so --shard
 * runs agree), else the connection number. 51 bits: exact in a double. */
static uint64_t eve_flow_id(const struct msg_meta *m)
{
    size_t n = strnlen(m->community_id, sizeof m->community_id);
    if (n == 0)
        return m->conn;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= (uint8_t)m->community_id[i];
        h *= 0x100000001b3ull;
    }
    h &= (1ull << 51) - 1;
    return h ? h : 1;
}

/* "1.2.3.4:1883" or "[2001:db8::1]:1883" into ip and port. */
static void eve_endpoint(struct json_writer *w, const char *ipkey,
                         const char *portkey, const char *s, size_t cap)
{
    size_t n = strnlen(s, cap);
    size_t colon = n;
    while (colon > 0 && s[colon - 1] != ':')
        colon--;
    if (colon == 0) { /* no port: the whole text is the address */
        jw_key(w, ipkey);
        jw_strn(w, (const uint8_t *)s, n);
        return;
    }
    size_t ip_start = 0, ip_end = colon - 1;
    if (ip_end >= 2 && s[0] == '[' && s[ip_end - 1] == ']') {
        ip_start = 1;
        ip_end--;
    }
    uint64_t port = 0;
    for (size_t i = colon; i < n && s[i] >= '0' && s[i] <= '9'; i++)
        port = port * 10 + (uint64_t)(s[i] - '0');
    jw_key(w, ipkey);
    jw_strn(w, (const uint8_t *)s + ip_start, ip_end - ip_start);
    jw_kv_u64(w, portkey, port);
}

static void eve_common(struct json_writer *w, const struct msg_meta *m,
                       const char *event_type)
{
    jw_key(w, "timestamp");
    eve_ts(w, m->ts_us);
    jw_kv_u64(w, "flow_id", eve_flow_id(m));
    jw_kv_u64(w, "pcap_cnt", m->frame);
    jw_kv_str(w, "event_type", event_type);
    eve_endpoint(w, "src_ip", "src_port", m->src, sizeof m->src);
    eve_endpoint(w, "dest_ip", "dest_port", m->dst, sizeof m->dst);
    jw_kv_str(w, "proto", "TCP");
    if (m->community_id[0])
        jw_kv_strn(w, "community_id", (const uint8_t *)m->community_id,
                   strnlen(m->community_id, sizeof m->community_id));
}

/* ---- values ---- */

/* Bytes as a string: the text when it is valid UTF-8, else printable ASCII
 * as is and every other byte as the four characters \xNN (as Suricata logs
 * binary data). At most `max` bytes (0: all), never splitting a character. */
static void eve_bytes(struct json_writer *w, const char *key, const uint8_t *d,
                      size_t len, uint32_t max)
{
    size_t shown = max != 0 && len > max ? max : len;
    jw_key(w, key);
    if (mqd_utf8_valid(d, len)) {
        if (shown < len)
            shown = mqd_utf8_valid_prefix(d, shown, NULL);
        jw_strn(w, d, shown);
        return;
    }
    /* Each byte becomes at most 4 characters: escape piecewise. */
    obuf_putc(w->b, '"');
    for (size_t i = 0; i < shown; i++) {
        uint8_t c = d[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            obuf_putc(w->b, (char)c);
        } else {
            char hx[2];
            hex_byte(hx, c);
            char esc[6] = {'\\', '\\', 'x', hx[0], hx[1]};
            obuf_write(w->b, esc, 5);
        }
    }
    obuf_putc(w->b, '"');
    w->need_comma = true;
}

static void eve_str(struct json_writer *w, const mqd_frame *f, const char *key,
                    const mqd_str *s)
{
    const uint8_t *d;
    size_t len;
    if (mqd_frame_str(f, s, &d, &len))
        jw_kv_strn(w, key, d, len);
}

/* Suricata's "properties": an object, one member per property named by its
 * snake_case name, a user property by its own name (a repeated property
 * repeats the member, as Suricata does). */
static void eve_properties(struct json_writer *w, const struct output_opts *o,
                           const mqd_frame *f, const mqd_props *block)
{
    mqd_prop_iter it;
    mqd_prop p;
    const uint8_t *d, *d2;
    size_t len, len2;
    if (!block->present)
        return;
    jw_key(w, "properties");
    jw_object_begin(w);
    mqd_prop_iter_init(&it, f, block);
    while (mqd_prop_next(&it, &p) && p.info) {
        switch (p.info->type) {
        case MQD_PT_UTF8:
            eve_str(w, f, p.info->key, &p.str);
            break;
        case MQD_PT_UTF8_PAIR:
            if (mqd_frame_str(f, &p.str, &d, &len) && mqd_frame_str(f, &p.str2, &d2, &len2)) {
                jw_key_n(w, (const char *)d, len);
                jw_strn(w, d2, len2);
            }
            break;
        case MQD_PT_BINARY:
            if (!mqd_frame_str(f, &p.str, &d, &len))
                break;
            /* Authentication data can carry credentials, like a password. */
            if (p.id == MQD_P_AUTHENTICATION_DATA && !o->show_secrets)
                jw_kv_str(w, p.info->key, "<redacted>");
            else
                eve_bytes(w, p.info->key, d, len, 0);
            break;
        default: /* BYTE, U16, U32, VARINT */
            jw_kv_u64(w, p.info->key, p.value);
            break;
        }
    }
    jw_object_end(w);
}

/* The fixed header's flag bits as Suricata reads them for every type. */
static void eve_header(struct json_writer *w, uint8_t flags)
{
    jw_kv_u64(w, "qos", (flags >> 1) & 3u);
    jw_kv_bool(w, "retain", (flags & 1u) != 0);
    jw_kv_bool(w, "dup", (flags & 8u) != 0);
}

static void eve_lower_key(struct json_writer *w, const char *name)
{
    char key[24];
    size_t n = 0;
    for (; name[n] && n < sizeof key; n++)
        key[n] = (name[n] >= 'A' && name[n] <= 'Z') ? (char)(name[n] + 32) : name[n];
    jw_key_n(w, key, n);
}

/* ---- per packet type ---- */

static void eve_connect(struct json_writer *w, const struct output_opts *o,
                        const mqd_frame *f)
{
    const mqd_connect *c = &f->connect;
    const uint8_t *d;
    size_t len;
    eve_str(w, f, "protocol_string", &c->protocol_name);
    if (c->level.present)
        jw_kv_u64(w, "protocol_version", c->level.value);
    eve_str(w, f, "client_id", &c->client_id);
    if (c->flags.present) {
        jw_key(w, "flags");
        jw_object_begin(w);
        jw_kv_bool(w, "username", c->username_flag);
        jw_kv_bool(w, "password", c->password_flag);
        jw_kv_bool(w, "will_retain", c->will_retain);
        jw_kv_bool(w, "will", c->will_flag);
        jw_kv_bool(w, "clean_session", c->clean_start);
        jw_object_end(w);
    }
    eve_str(w, f, "username", &c->username);
    if (mqd_frame_str(f, &c->password, &d, &len)) {
        if (o->show_secrets)
            eve_bytes(w, "password", d, len, 0);
        else
            jw_kv_str(w, "password", "<redacted>");
    }
    if (c->will_flag) {
        jw_key(w, "will");
        jw_object_begin(w);
        eve_str(w, f, "topic", &c->will_topic);
        if (mqd_frame_str(f, &c->will_payload, &d, &len))
            eve_bytes(w, "message", d, len, o->max_payload);
        eve_properties(w, o, f, &c->will_props);
        jw_object_end(w);
    }
    eve_properties(w, o, f, &c->props);
}

/* SUBACK's return codes ("qos_granted") or UNSUBACK's reason codes. */
static void eve_codes(struct json_writer *w, const mqd_frame *f, const char *key)
{
    const uint8_t *codes;
    size_t n;
    if (!f->list.present || !mqd_frame_run(f, f->list.off, f->list.len, &codes, &n) || n == 0)
        return;
    jw_key(w, key);
    jw_array_begin(w);
    for (size_t i = 0; i < n; i++)
        jw_u64(w, codes[i]);
    jw_array_end(w);
}

static void eve_topics(struct json_writer *w, const mqd_frame *f)
{
    mqd_filter_iter it;
    mqd_filter flt;
    const uint8_t *d;
    size_t len;
    bool any = false;
    if (!f->list.present)
        return;
    mqd_filter_iter_init(&it, f);
    while (mqd_filter_next(&it, &flt)) {
        if (!mqd_frame_str(f, &flt.filter, &d, &len))
            continue;
        if (!any) {
            jw_key(w, "topics");
            jw_array_begin(w);
            any = true;
        }
        if (f->type == MQD_SUBSCRIBE) {
            jw_object_begin(w);
            jw_kv_strn(w, "topic", d, len);
            jw_kv_u64(w, "qos", flt.qos);
            jw_object_end(w);
        } else {
            jw_strn(w, d, len);
        }
    }
    if (any)
        jw_array_end(w);
}

static void eve_packet_id(struct json_writer *w, const mqd_frame *f)
{
    if (f->packet_id.present)
        jw_kv_u64(w, "message_id", f->packet_id.value);
}

static void eve_reason(struct json_writer *w, const mqd_frame *f)
{
    if (f->reason.present)
        jw_kv_u64(w, "reason_code", f->reason.value);
}

static void eve_mqtt(struct json_writer *w, const struct output_opts *o,
                     const mqd_frame *f)
{
    const uint8_t *d;
    size_t len;
    jw_key(w, "mqtt");
    jw_object_begin(w);
    if (f->type == 0) { /* reserved: Suricata logs nothing */
        jw_object_end(w);
        return;
    }
    eve_lower_key(w, mqd_type_name(f->type));
    jw_object_begin(w);
    eve_header(w, f->flags);
    switch (f->type) {
    case MQD_CONNECT:
        eve_connect(w, o, f);
        break;
    case MQD_CONNACK:
        if (f->ack_flags.present)
            jw_kv_bool(w, "session_present", (f->ack_flags.value & 1u) != 0);
        if (f->reason.present)
            jw_kv_u64(w, "return_code", f->reason.value);
        eve_properties(w, o, f, &f->props);
        break;
    case MQD_PUBLISH:
        eve_str(w, f, "topic", &f->topic);
        eve_packet_id(w, f);
        if (f->payload.present &&
            mqd_frame_run(f, f->payload.off, f->payload.len, &d, &len))
            eve_bytes(w, "message", d, len, o->max_payload);
        eve_properties(w, o, f, &f->props);
        break;
    case MQD_PUBACK:
    case MQD_PUBREC:
    case MQD_PUBREL:
    case MQD_PUBCOMP:
        eve_packet_id(w, f);
        eve_reason(w, f);
        eve_properties(w, o, f, &f->props);
        break;
    case MQD_SUBSCRIBE:
        eve_packet_id(w, f);
        eve_topics(w, f);
        eve_properties(w, o, f, &f->props);
        break;
    case MQD_SUBACK:
        eve_packet_id(w, f);
        eve_codes(w, f, "qos_granted");
        break;
    case MQD_UNSUBSCRIBE:
        eve_packet_id(w, f);
        eve_topics(w, f);
        break;
    case MQD_UNSUBACK:
        eve_packet_id(w, f);
        eve_codes(w, f, "reason_codes");
        break;
    case MQD_AUTH:
        /* An AUTH without a body means Success (5.0 s3.15.2.1). */
        jw_kv_u64(w, "reason_code", f->reason.present ? f->reason.value : 0);
        eve_properties(w, o, f, &f->props);
        break;
    case MQD_DISCONNECT:
        eve_reason(w, f);
        eve_properties(w, o, f, &f->props);
        break;
    default: /* PINGREQ, PINGRESP: the header only */
        break;
    }
    jw_object_end(w);
    jw_object_end(w);
}

/* Pairing and the alias topic, in Suricata's metadata object. */
static void eve_analysis(struct json_writer *w, const struct msg_meta *m)
{
    const struct msg_analysis *an = &m->an;
    bool ints = an->reply_to || an->flow_start;
    bool vars = an->has_effective_topic && an->topic_from_alias;
    if (!ints && !vars)
        return;
    jw_key(w, "metadata");
    jw_object_begin(w);
    if (ints) {
        jw_key(w, "flowints");
        jw_object_begin(w);
        if (an->reply_to) {
            jw_kv_u64(w, "mqtt.reply_to", an->reply_to);
            jw_kv_i64(w, "mqtt.latency_us", an->latency_us);
        }
        if (an->flow_start) {
            jw_kv_u64(w, "mqtt.flow_start", an->flow_start);
            jw_kv_i64(w, "mqtt.flow_latency_us", an->flow_latency_us);
        }
        jw_object_end(w);
    }
    if (vars) {
        jw_key(w, "flowvars");
        jw_array_begin(w);
        jw_object_begin(w);
        jw_kv_strn(w, "mqtt.effective_topic", an->effective_topic,
                   an->effective_topic_len);
        jw_object_end(w);
        jw_array_end(w);
    }
    jw_object_end(w);
}

/* The anomaly object of an application-layer finding; code < 0: none. */
static void eve_anomaly(struct json_writer *w, const char *type,
                        const char *event, long code)
{
    jw_kv_str(w, "app_proto", "mqtt");
    jw_key(w, "anomaly");
    jw_object_begin(w);
    jw_kv_str(w, "app_proto", "mqtt");
    jw_kv_str(w, "type", type);
    jw_kv_str(w, "event", event);
    if (strcmp(type, "applayer") == 0)
        jw_kv_str(w, "layer", "proto_parser");
    if (code >= 0)
        jw_kv_u64(w, "code", (uint64_t)code);
    jw_object_end(w);
}

/* One anomaly record: a violation of a packet. code < 0: none (a rule
 * kept above dissect/, which has no number in rules.def). */
static void eve_violation(struct json_writer *w, const struct msg_meta *m,
                          const mqd_frame *f, const char *name, long code,
                          uint32_t off, uint32_t value, const char *id,
                          uint8_t severity, const char *message, uint32_t dropped)
{
    jw_object_begin(w);
    eve_common(w, m, "anomaly");
    eve_anomaly(w, "applayer", name, code);
    jw_key(w, "metadata");
    jw_object_begin(w);
    jw_key(w, "flowints");
    jw_object_begin(w);
    jw_kv_u64(w, "mqtt.offset", off);
    jw_kv_u64(w, "mqtt.value", value);
    if (dropped)
        jw_kv_u64(w, "mqtt.violations_dropped", dropped);
    jw_object_end(w);
    jw_key(w, "flowvars");
    jw_array_begin(w);
    jw_object_begin(w);
    jw_kv_str(w, "mqtt.rule", id);
    jw_object_end(w);
    jw_object_begin(w);
    jw_kv_str(w, "mqtt.severity", mqd_severity_name(severity));
    jw_object_end(w);
    jw_object_begin(w);
    jw_kv_str(w, "mqtt.message", message);
    jw_object_end(w);
    jw_object_begin(w);
    jw_kv_str(w, "mqtt.packet", mqd_type_name(f->type));
    jw_object_end(w);
    jw_array_end(w);
    jw_object_end(w);
    jw_object_end(w);
    jw_line_end(w);
}

/* One anomaly record per violation of a packet: the frame's, then the
 * rule hits of the analysis (the Sparkplug state's). */
static void eve_violations(struct json_writer *w, const struct msg_meta *m,
                           const mqd_frame *f)
{
    uint16_t n = f->nviolations < MQD_MAX_VIOLATIONS ? f->nviolations : MQD_MAX_VIOLATIONS;
    const struct msg_analysis *an = &m->an;
    uint8_t nh = an->nhits < MSG_MAX_RULE_HITS ? an->nhits : MSG_MAX_RULE_HITS;
    for (uint16_t i = 0; i < n; i++) {
        const mqd_violation *v = &f->violations[i];
        const mqd_rule_info *r = mqd_rule_get(v->rule);
        eve_violation(w, m, f, r ? r->name : "UNKNOWN", (long)v->rule, v->off, v->value,
                      r ? r->id : "unknown", r ? r->severity : MQD_SEV_ERROR,
                      r ? r->message : "unknown rule",
                      i + 1 == n && nh == 0 ? f->violations_dropped : 0);
    }
    for (uint8_t i = 0; i < nh; i++) {
        const struct msg_rule_hit *h = &an->hits[i];
        eve_violation(w, m, f, h->rule->name, -1, h->off, h->value, h->rule->id,
                      h->rule->severity, h->rule->message,
                      i + 1 == nh ? (uint32_t)f->violations_dropped + an->hits_dropped : 0);
    }
}

/* ---- the printer ---- */

static struct out_eve *as_eve(struct output *o)
{
    return (struct out_eve *)o;
}

static void oe_frame(struct output *o, const struct msg_meta *m,
                     const mqd_frame *f)
{
    struct out_eve *e = as_eve(o);
    jw_object_begin(&e->w);
    eve_common(&e->w, m, "mqtt");
    eve_mqtt(&e->w, &e->opts, f);
    eve_analysis(&e->w, m);
    jw_object_end(&e->w);
    jw_line_end(&e->w);
    eve_violations(&e->w, m, f);
}

static void oe_sn(struct output *o, const struct msg_meta *m,
                  const struct sn_record *r)
{
    (void)o; /* Suricata has no MQTT-SN event type: nothing is printed */
    (void)m;
    (void)r;
}

static void copy_name(char *dst, size_t cap, const char *s)
{
    size_t n = s ? strnlen(s, cap - 1) : 0;
    memcpy(dst, s ? s : "", n);
    dst[n] = '\0';
}

static void oe_event_begin(struct output *o, const struct msg_meta *m,
                           const char *name)
{
    struct out_eve *e = as_eve(o);
    e->ev_meta = *m;
    e->ev_skip = m->transport && strcmp(m->transport, "udp") == 0;
    copy_name(e->ev_name, sizeof e->ev_name, name);
    e->nfields = 0;
    e->strs.len = 0;
}

static struct eve_field *field_add(struct out_eve *e, const char *key, uint8_t kind)
{
    if (e->nfields >= EVENT_MAX_FIELDS)
        return NULL;
    struct eve_field *f = &e->fields[e->nfields++];
    memset(f, 0, sizeof *f);
    f->kind = kind;
    copy_name(f->key, sizeof f->key, key);
    return f;
}

static void oe_event_u64(struct output *o, const char *key, uint64_t v)
{
    struct eve_field *f = field_add(as_eve(o), key, EVENT_U64);
    if (f)
        f->u64 = v;
}

static void oe_event_str(struct output *o, const char *key, const char *s)
{
    struct out_eve *e = as_eve(o);
    struct eve_field *f = field_add(e, key, EVENT_STR);
    if (!f)
        return;
    f->str_off = e->strs.len;
    f->str_len = s ? strlen(s) : 0;
    obuf_write(&e->strs, s ? s : "", f->str_len);
}

static void oe_event_bool(struct output *o, const char *key, bool v)
{
    struct eve_field *f = field_add(as_eve(o), key, EVENT_BOOL);
    if (f)
        f->b = v;
}

static const struct eve_field *find_field(const struct out_eve *e,
                                          const char *key, uint8_t kind)
{
    for (uint8_t i = 0; i < e->nfields; i++)
        if (e->fields[i].kind == kind && strcmp(e->fields[i].key, key) == 0)
            return &e->fields[i];
    return NULL;
}

/* "mqtt.<key>" as a member name. */
static void meta_key(struct json_writer *w, const char *key)
{
    char buf[48];
    int n = snprintf(buf, sizeof buf, "mqtt.%s", key);
    jw_key_n(w, buf, n > 0 && (size_t)n < sizeof buf ? (size_t)n : strlen(buf));
}

/* An "oversize" event: the frame was skipped unread, which Suricata logs
 * as an mqtt record of the type with truncated and skipped_length. */
static void oe_truncated(struct out_eve *e)
{
    struct json_writer *w = &e->w;
    const struct eve_field *t = find_field(e, "type", EVENT_STR);
    const struct eve_field *sz = find_field(e, "size", EVENT_U64);
    char type[24] = "unassigned";
    if (t)
        copy_name(type, t->str_len + 1 < sizeof type ? t->str_len + 1 : sizeof type,
                  e->strs.buf + t->str_off);
    jw_object_begin(w);
    eve_common(w, &e->ev_meta, "mqtt");
    jw_key(w, "mqtt");
    jw_object_begin(w);
    eve_lower_key(w, type);
    jw_object_begin(w);
    jw_kv_bool(w, "truncated", true);
    jw_kv_u64(w, "skipped_length", sz ? sz->u64 : 0);
    jw_object_end(w);
    jw_object_end(w);
    jw_object_end(w);
    jw_line_end(w);
}

/* Events about lost bytes are stream anomalies, the rest application
 * layer ones. */
static bool stream_event(const char *name)
{
    static const char *const stream_names[] = {"gap", "overlap_conflict",
                                               "truncated", "evicted",
                                               "stream_memcap"};
    for (size_t i = 0; i < sizeof stream_names / sizeof stream_names[0]; i++)
        if (strcmp(name, stream_names[i]) == 0)
            return true;
    return false;
}

/* The catalogue number of a rule given by its name or id; -1: none. */
static long rule_code(const char *id, size_t len)
{
    char buf[64];
    if (len >= sizeof buf)
        return -1;
    memcpy(buf, id, len);
    buf[len] = '\0';
    const mqd_rule_info *r = mqd_rule_find(buf);
    return r ? (long)(r - mqd_rule_get(0)) : -1;
}

static void oe_event_end(struct output *o)
{
    struct out_eve *e = as_eve(o);
    struct json_writer *w = &e->w;
    if (e->ev_skip)
        return;
    if (strcmp(e->ev_name, "oversize") == 0) {
        oe_truncated(e);
        return;
    }
    /* The anomaly's name: a violated rule's name, else the event's name,
     * upper case for an application layer event (Suricata's convention)
     * and "stream.<name>" for a stream one. */
    char event[64];
    long code = -1;
    const struct eve_field *rname = find_field(e, "name", EVENT_STR);
    const struct eve_field *rid = find_field(e, "rule", EVENT_STR);
    bool stream = stream_event(e->ev_name);
    if (stream) {
        snprintf(event, sizeof event, "stream.%s", e->ev_name);
    } else if (rname && rname->str_len > 0) {
        copy_name(event, rname->str_len + 1 < sizeof event ? rname->str_len + 1 : sizeof event,
                  e->strs.buf + rname->str_off);
    } else {
        size_t n = 0;
        for (; e->ev_name[n] && n + 1 < sizeof event; n++) {
            char c = e->ev_name[n];
            event[n] = (c >= 'a' && c <= 'z') ? (char)(c - 32) : c;
        }
        event[n] = '\0';
    }
    /* The name is unique; a few rules share one id. */
    if (rname)
        code = rule_code(e->strs.buf + rname->str_off, rname->str_len);
    else if (rid)
        code = rule_code(e->strs.buf + rid->str_off, rid->str_len);

    jw_object_begin(w);
    eve_common(w, &e->ev_meta, "anomaly");
    eve_anomaly(w, stream ? "stream" : "applayer", event, code);
    jw_key(w, "metadata");
    jw_object_begin(w);
    jw_key(w, "flowints");
    jw_object_begin(w);
    jw_kv_u64(w, "mqtt.stream_off", e->ev_meta.stream_off);
    for (uint8_t i = 0; i < e->nfields; i++) {
        const struct eve_field *f = &e->fields[i];
        if (f->kind == EVENT_U64) {
            meta_key(w, f->key);
            jw_u64(w, f->u64);
        } else if (f->kind == EVENT_BOOL) {
            meta_key(w, f->key);
            jw_u64(w, f->b ? 1 : 0);
        }
    }
    jw_object_end(w);
    jw_key(w, "flowvars");
    jw_array_begin(w);
    jw_object_begin(w);
    jw_kv_str(w, "mqtt.event", e->ev_name);
    jw_object_end(w);
    for (uint8_t i = 0; i < e->nfields; i++) {
        const struct eve_field *f = &e->fields[i];
        if (f->kind != EVENT_STR)
            continue;
        jw_object_begin(w);
        meta_key(w, f->key);
        jw_strn(w, (const uint8_t *)e->strs.buf + f->str_off, f->str_len);
        jw_object_end(w);
    }
    jw_array_end(w);
    jw_object_end(w);
    jw_object_end(w);
    jw_line_end(w);
}

static int oe_flush(struct output *o)
{
    return obuf_flush(&as_eve(o)->b);
}

static int oe_close(struct output *o)
{
    struct out_eve *e = as_eve(o);
    int rc = obuf_flush(&e->b);
    obuf_free(&e->b);
    obuf_free(&e->strs);
    free(e);
    return rc;
}

static struct obuf *oe_buffer(struct output *o)
{
    return &as_eve(o)->b;
}

static const struct output_ops out_eve_ops = {
    .frame = oe_frame,
    .sn = oe_sn,
    .event_begin = oe_event_begin,
    .event_u64 = oe_event_u64,
    .event_str = oe_event_str,
    .event_bool = oe_event_bool,
    .event_end = oe_event_end,
    .flush = oe_flush,
    .close = oe_close,
    .buffer = oe_buffer,
};

struct output *out_eve_open(const struct output_opts *opts)
{
    struct out_eve *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->base.ops = &out_eve_ops;
    e->opts = *opts;
    if (!e->opts.out)
        e->opts.out = stdout;
    if (obuf_init(&e->b, e->opts.in_memory ? NULL : e->opts.out, 0) != 0) {
        free(e);
        return NULL;
    }
    if (obuf_init(&e->strs, NULL, 1024) != 0) {
        obuf_free(&e->b);
        free(e);
        return NULL;
    }
    jw_init(&e->w, &e->b);
    return &e->base;
}
