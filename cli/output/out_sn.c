/* Printing one MQTT-SN message as JSON or text. See out_sn.h. Every wire
 * byte is reached through mqd_sn_bytes (checked against the datagram). */
#include "output/out_sn.h"

#include "util/timefmt.h"
#include "mqttdissect/utf8.h"
#include "output/out_json.h"
#include "mqttdissect/rules.h"
#include "output/out_text.h"
#include "output/payload.h"

static const char *const topic_kind_names[] = {
    [SN_TOPIC_NONE] = NULL,
    [SN_TOPIC_REGISTERED] = "registry",
    [SN_TOPIC_UNKNOWN] = "unknown",
    [SN_TOPIC_MESSAGE] = "message",
    [SN_TOPIC_SHORT] = "short",
    [SN_TOPIC_PREDEFINED] = "predefined",
};

const char *sn_topic_kind_name(enum sn_topic_kind k)
{
    if ((unsigned)k >= sizeof topic_kind_names / sizeof topic_kind_names[0])
        return NULL;
    return topic_kind_names[k];
}

/* The bytes of a field, when they lie inside the datagram. */
static bool field_data(const mqd_sn_msg *m, const mqd_bytes *b,
                       const uint8_t **data, size_t *len)
{
    if (!b->present || !mqd_sn_bytes(m, b->off, b->len, data))
        return false;
    *len = b->len;
    return true;
}

/* Message types whose flags carry a QoS (s5.4.7, 5.4.12, 5.4.15, 5.4.16,
 * 5.4.22). */
static bool has_qos(uint8_t type)
{
    return type == MQD_SN_PUBLISH || type == MQD_SN_SUBSCRIBE ||
           type == MQD_SN_SUBACK || type == MQD_SN_WILLTOPIC ||
           type == MQD_SN_WILLTOPICUPD;
}

/* Message types whose flags carry a TopicIdType. */
static bool has_topic_id_type(uint8_t type)
{
    return type == MQD_SN_PUBLISH || type == MQD_SN_SUBSCRIBE ||
           type == MQD_SN_UNSUBSCRIBE;
}

/* ---- JSON ---- */

/* The MQTT records' leading keys (a datagram has no stream offset), then
 * the version. */
static void json_meta(struct json_writer *w, const struct msg_meta *m)
{
    out_json_meta(w, m, false);
    jw_kv_str(w, "version", "sn1.2");
}

static void json_text_or_hex(struct json_writer *w, const struct output_opts *o,
                             const char *key, const mqd_sn_msg *m,
                             const mqd_bytes *b)
{
    const uint8_t *data;
    size_t len;
    if (!field_data(m, b, &data, &len))
        return;
    payload_json_raw(w, o, key, data, len);
}

/* "payload": the MQTT payload writer (--payload, --max-payload). An
 * MQTT-SN message has no Content Type: the writer is given a frame with
 * none. */
static void json_payload(struct json_writer *w, const struct output_opts *o,
                         struct payload_scratch *ps, const mqd_sn_msg *m,
                         const mqd_bytes *b)
{
    static const mqd_frame no_content_type;
    const uint8_t *data;
    size_t len;
    if (field_data(m, b, &data, &len))
        payload_json_write(w, o, ps, &no_content_type, "payload", data, len);
}

static void json_str_field(struct json_writer *w, const char *key,
                           const mqd_sn_msg *m, const mqd_bytes *b)
{
    const uint8_t *data;
    size_t len;
    if (field_data(m, b, &data, &len))
        jw_kv_strn(w, key, data, len);
}

static void json_num(struct json_writer *w, const char *key, const mqd_num *n)
{
    if (n->present)
        jw_kv_u64(w, key, n->value);
}

static void json_length(struct json_writer *w, const mqd_sn_msg *m)
{
    const uint8_t *enc;
    jw_key(w, "length");
    jw_object_begin(w);
    jw_kv_u64(w, "value", m->length.value);
    jw_kv_u64(w, "bytes", m->length.len);
    if (mqd_sn_bytes(m, m->length.off, m->length.len, &enc))
        jw_kv_hex(w, "encoded", enc, m->length.len);
    jw_object_end(w);
}

static void json_forwarder(struct json_writer *w, const mqd_sn_msg *m)
{
    const mqd_sn_forwarder *fw = &m->fwd;
    const uint8_t *id;
    size_t len;
    jw_key(w, "encapsulated");
    jw_object_begin(w);
    jw_kv_u64(w, "length", fw->length.value);
    json_num(w, "ctrl", &fw->ctrl);
    if (fw->ctrl.present)
        jw_kv_u64(w, "radius", fw->radius);
    if (field_data(m, &fw->node_id, &id, &len))
        jw_kv_hex(w, "wireless_node_id", id, len);
    jw_object_end(w);
}

static void json_flags(struct json_writer *w, const mqd_sn_msg *m)
{
    const mqd_sn_flags *f = &m->flags;
    jw_key(w, "flags");
    jw_object_begin(w);
    jw_kv_u64(w, "byte", f->byte.value);
    jw_kv_bool(w, "dup", f->dup);
    jw_kv_i64(w, "qos", f->qos);
    jw_kv_bool(w, "retain", f->retain);
    jw_kv_bool(w, "will", f->will);
    jw_kv_bool(w, "clean_session", f->clean_session);
    jw_kv_str(w, "topic_id_type", mqd_sn_topic_id_type_name(f->topic_id_type));
    jw_object_end(w);
    if (has_qos(m->type))
        jw_kv_i64(w, "qos", f->qos);
    if (m->type == MQD_SN_PUBLISH) {
        jw_kv_bool(w, "dup", f->dup);
        jw_kv_bool(w, "retain", f->retain);
    }
}

static void json_topic(struct json_writer *w, const struct sn_record *r)
{
    const mqd_sn_msg *m = r->msg;
    json_num(w, "topic_id", &m->topic_id);
    if (m->flags.byte.present && has_topic_id_type(m->type))
        jw_kv_str(w, "topic_id_type",
                  mqd_sn_topic_id_type_name(m->flags.topic_id_type));
    else if (m->type == MQD_SN_REGISTER || m->type == MQD_SN_REGACK)
        jw_kv_str(w, "topic_id_type", "normal");
    if (r->topic.kind == SN_TOPIC_NONE)
        return;
    if (r->topic.name)
        jw_kv_strn(w, "topic", r->topic.name, r->topic.len);
    jw_kv_str(w, "topic_source", sn_topic_kind_name(r->topic.kind));
}

static void json_return_code(struct json_writer *w, const mqd_sn_msg *m)
{
    if (!m->return_code.present)
        return;
    const char *name = mqd_sn_return_code_name((uint8_t)m->return_code.value);
    jw_kv_u64(w, "return_code", m->return_code.value);
    if (name)
        jw_kv_str(w, "return_code_name", name);
    else
        jw_kv_null(w, "return_code_name");
}

void out_sn_write_json(struct json_writer *w, const struct output_opts *o,
                       struct payload_scratch *ps, const struct msg_meta *meta,
                       const struct sn_record *r)
{
    const mqd_sn_msg *m = r->msg;
    const uint8_t *data;
    size_t len;
    jw_object_begin(w);
    json_meta(w, meta);
    jw_kv_str(w, "type", mqd_sn_type_name(m->type));
    jw_kv_u64(w, "msg_type", m->type);
    jw_kv_str(w, "direction", r->dir == 0 ? "to_gateway" : "to_client");
    json_length(w, m);
    jw_kv_u64(w, "size", m->size);
    if (m->fwd.present)
        json_forwarder(w, m);
    if (m->flags.byte.present)
        json_flags(w, m);
    json_topic(w, r);
    json_num(w, "msg_id", &m->msg_id);
    json_return_code(w, m);
    json_num(w, "gw_id", &m->gw_id);
    if (field_data(m, &m->gw_addr, &data, &len))
        jw_kv_hex(w, "gw_addr", data, len);
    json_num(w, "duration", &m->duration);
    json_num(w, "radius", &m->radius);
    json_num(w, "protocol_id", &m->protocol_id);
    json_str_field(w, "client_id", m, &m->client_id);
    json_str_field(w, "will_topic", m, &m->will_topic);
    json_text_or_hex(w, o, "will_msg", m, &m->will_msg);
    json_payload(w, o, ps, m, &m->data);
    out_json_violations(w, m->violations, m->nviolations, m->violations_dropped);
    jw_object_end(w);
}

/* ---- text: the summary line ---- */

static void put_key(struct obuf *b, const char *key)
{
    obuf_putc(b, ' ');
    obuf_puts(b, key);
    obuf_putc(b, '=');
}

static void put_num(struct obuf *b, const char *key, const mqd_num *n)
{
    if (!n->present)
        return;
    put_key(b, key);
    obuf_u64(b, n->value);
}

static void put_str(struct obuf *b, const char *key, const mqd_sn_msg *m,
                    const mqd_bytes *f)
{
    const uint8_t *data;
    size_t len;
    if (!field_data(m, f, &data, &len))
        return;
    put_key(b, key);
    text_quoted(b, data, len, SUMMARY_STR_LIMIT);
}

/* "payload=5B "hello"" or "payload=3B 0x00ff10": the MQTT printer's
 * payload writer. WillMsg is shown as in auto mode whatever --payload says
 * (the JSON output shows a will message as an MQTT will payload). */
static void put_payload(struct obuf *b, const struct output_opts *o,
                        const char *key, const mqd_sn_msg *m, const mqd_bytes *f)
{
    const uint8_t *data;
    size_t len;
    if (!field_data(m, f, &data, &len))
        return;
    payload_text_summary(b, o, key, data, len, mqd_utf8_valid(data, len));
}

static void put_topic(struct obuf *b, const struct sn_record *r)
{
    const mqd_sn_msg *m = r->msg;
    if (m->topic_id.present && r->topic.kind != SN_TOPIC_SHORT) {
        put_key(b, "topic_id");
        obuf_u64(b, m->topic_id.value);
        if (r->topic.kind == SN_TOPIC_PREDEFINED)
            obuf_puts(b, "(predefined)");
    }
    switch (r->topic.kind) {
    case SN_TOPIC_REGISTERED:
    case SN_TOPIC_MESSAGE:
        put_key(b, "topic");
        text_quoted(b, r->topic.name, r->topic.len, SUMMARY_STR_LIMIT);
        break;
    case SN_TOPIC_SHORT:
        put_key(b, "short_topic");
        text_quoted(b, r->topic.name, r->topic.len, SUMMARY_STR_LIMIT);
        break;
    case SN_TOPIC_UNKNOWN:
        obuf_puts(b, " topic=<unknown id>");
        break;
    default:
        break;
    }
}

static void put_return_code(struct obuf *b, const mqd_sn_msg *m)
{
    if (!m->return_code.present)
        return;
    const char *name = mqd_sn_return_code_name((uint8_t)m->return_code.value);
    put_key(b, "rc");
    put_hex8(b, (uint8_t)m->return_code.value);
    obuf_putc(b, '(');
    obuf_puts(b, name ? name : "reserved");
    obuf_putc(b, ')');
}

static void put_flags_summary(struct obuf *b, const mqd_sn_msg *m)
{
    const mqd_sn_flags *f = &m->flags;
    if (!f->byte.present)
        return;
    if (has_qos(m->type)) {
        put_key(b, "qos");
        obuf_i64(b, f->qos);
    }
    if (f->dup)
        obuf_puts(b, " dup=1");
    if (f->retain)
        obuf_puts(b, " retain=1");
    if (m->type == MQD_SN_CONNECT) {
        put_key(b, "will");
        obuf_u64(b, f->will);
        put_key(b, "clean");
        obuf_u64(b, f->clean_session);
    }
}

static void summary_line(struct obuf *b, const struct output_opts *o,
                         struct tree_memo *memo,
                         const struct msg_meta *meta, const struct sn_record *r)
{
    const mqd_sn_msg *m = r->msg;
    const uint8_t *data;
    size_t len;
    put_meta(b, o, memo, meta);
    obuf_puts(b, " sn1.2 ");
    put_sgr(b, o, SGR_BOLD);
    obuf_puts(b, mqd_sn_type_name(m->type));
    put_sgr(b, o, SGR_RESET);
    if (m->fwd.present) {
        obuf_puts(b, " via_forwarder");
        if (field_data(m, &m->fwd.node_id, &data, &len)) {
            put_key(b, "node");
            text_hex(b, data, len, SUMMARY_HEX_LIMIT);
        }
        if (m->fwd.ctrl.present) {
            put_key(b, "radius");
            obuf_u64(b, m->fwd.radius);
        }
    }
    put_flags_summary(b, m);
    put_num(b, "id", &m->msg_id);
    put_topic(b, r);
    put_return_code(b, m);
    put_num(b, "gw_id", &m->gw_id);
    if (field_data(m, &m->gw_addr, &data, &len)) {
        put_key(b, "gw_addr");
        text_hex(b, data, len, SUMMARY_HEX_LIMIT);
    }
    put_num(b, "duration", &m->duration);
    put_num(b, "radius", &m->radius);
    put_num(b, "protocol_id", &m->protocol_id);
    put_str(b, "client_id", m, &m->client_id);
    put_str(b, "will_topic", m, &m->will_topic);
    struct output_opts will = *o;
    will.payload_mode = PAYLOAD_AUTO;
    put_payload(b, &will, "will_msg", m, &m->will_msg);
    put_payload(b, o, "payload", m, &m->data);
    text_violations_summary(b, o, m->violations, m->nviolations,
                            m->violations_dropped);
    obuf_putc(b, '\n');
}

/* ---- text: the tree of every byte (-V) ---- */

enum tree_kind {
    TK_LENGTH, TK_TYPE, TK_FWD_LENGTH, TK_FWD_TYPE, TK_CTRL, TK_NODE_ID,
    TK_FLAGS, TK_NUM, TK_TOPIC_ID, TK_RC, TK_TEXT, TK_HEX, TK_DATA, TK_WILL_MSG
};

/* One field of the message: where it is and how to explain it. */
struct tree_item {
    uint32_t off, len;
    uint8_t kind;
    const char *label;
    uint32_t value;
};

#define TREE_MAX_ITEMS 24

struct tree {
    struct obuf *b;
    const struct output_opts *o;
    const struct sn_record *r;
    struct tree_item items[TREE_MAX_ITEMS];
    unsigned n;
};

static void tree_add(struct tree *t, uint32_t off, uint32_t len, uint8_t kind,
                     const char *label, uint32_t value)
{
    if (t->n < TREE_MAX_ITEMS)
        t->items[t->n++] = (struct tree_item){off, len, kind, label, value};
}

static void tree_add_num(struct tree *t, const mqd_num *n, uint8_t kind,
                         const char *label)
{
    if (n->present)
        tree_add(t, n->off, n->len, kind, label, n->value);
}

static void tree_add_bytes(struct tree *t, const mqd_bytes *b, uint8_t kind,
                           const char *label)
{
    if (b->present)
        tree_add(t, b->off, b->len, kind, label, b->len);
}

/* Every field present, in any order; sorted by offset afterwards. */
static void tree_collect(struct tree *t)
{
    const mqd_sn_msg *m = t->r->msg;
    const mqd_sn_forwarder *fw = &m->fwd;
    if (fw->present) {
        tree_add_num(t, &fw->length, TK_FWD_LENGTH, "encapsulation length");
        tree_add_num(t, &fw->msg_type, TK_FWD_TYPE, "MsgType");
        tree_add_num(t, &fw->ctrl, TK_CTRL, "Ctrl");
        tree_add_bytes(t, &fw->node_id, TK_NODE_ID, "Wireless Node Id");
    }
    if (!fw->present || m->off > fw->length.off) { /* the inner header */
        tree_add_num(t, &m->length, TK_LENGTH, "length");
        tree_add_num(t, &m->msg_type, TK_TYPE, "MsgType");
    }
    tree_add_num(t, &m->flags.byte, TK_FLAGS, "flags");
    tree_add_num(t, &m->gw_id, TK_NUM, "GwId");
    tree_add_num(t, &m->duration, TK_NUM, "Duration (s)");
    tree_add_num(t, &m->radius, TK_NUM, "Radius");
    tree_add_num(t, &m->protocol_id, TK_NUM, "ProtocolId");
    if (m->short_topic.present && m->topic_id.present &&
        m->short_topic.off == m->topic_id.off)
        tree_add_bytes(t, &m->short_topic, TK_TEXT, "TopicId: short topic name");
    else
        tree_add_num(t, &m->topic_id, TK_TOPIC_ID, "TopicId");
    tree_add_num(t, &m->msg_id, TK_NUM, "MsgId");
    tree_add_num(t, &m->return_code, TK_RC, "ReturnCode");
    tree_add_bytes(t, &m->gw_addr, TK_HEX, "GwAdd");
    tree_add_bytes(t, &m->client_id, TK_TEXT, "ClientId");
    tree_add_bytes(t, &m->will_topic, TK_TEXT, "WillTopic");
    tree_add_bytes(t, &m->will_msg, TK_WILL_MSG, "WillMsg");
    tree_add_bytes(t, &m->topic_name, TK_TEXT, "TopicName");
    if (!(m->short_topic.present && m->topic_id.present))
        tree_add_bytes(t, &m->short_topic, TK_TEXT, "short topic name");
    tree_add_bytes(t, &m->data, TK_DATA, "Data");
}

static void tree_sort(struct tree *t)
{
    for (unsigned i = 1; i < t->n; i++) {
        struct tree_item x = t->items[i];
        unsigned j = i;
        while (j > 0 && t->items[j - 1].off > x.off) {
            t->items[j] = t->items[j - 1];
            j--;
        }
        t->items[j] = x;
    }
}

/* A Data or WillMsg field's bytes after "N bytes": --payload (WillMsg:
 * auto, as on the summary line) and --max-payload when given, else the
 * tree's previews. */
static void tree_data(const struct tree *t, const uint8_t *data, size_t len,
                      bool will)
{
    uint8_t mode = will ? PAYLOAD_AUTO : t->o->payload_mode;
    if (mode == PAYLOAD_NONE)
        return;
    obuf_putc(t->b, ' ');
    bool utf8 = mqd_utf8_valid(data, len);
    if (mode == PAYLOAD_TEXT || (mode != PAYLOAD_HEX && utf8)) {
        size_t limit = payload_text_limit(t->o, TREE_TEXT_PREVIEW);
        if (len > limit && utf8)
            limit = mqd_utf8_valid_prefix(data, limit, NULL);
        if (limit == 0)
            obuf_puts(t->b, "\"\"" TEXT_ELLIPSIS);
        else
            text_quoted(t->b, data, len, limit);
    } else {
        text_hex(t->b, data, len, payload_text_limit(t->o, TREE_HEX_PREVIEW));
    }
}

/* "  OOOO: xx xx ...   " up to the description column: the MQTT tree's
 * prefix, showing the bytes that lie inside the datagram. */
static void tree_prefix(const struct tree *t, uint32_t off, uint32_t len)
{
    const mqd_sn_msg *m = t->r->msg;
    const uint8_t *raw = NULL;
    if (off > m->datagram_len)
        len = 0;
    else if (len > m->datagram_len - off)
        len = m->datagram_len - off;
    if (len > 0 && !mqd_sn_bytes(m, off, len, &raw))
        len = 0;
    text_tree_prefix(t->b, t->o, off, raw, len);
}

/* A bit diagram line under a flags octet: "1... .... = DUP 1". */
static void tree_bits(const struct tree *t, uint8_t byte, uint8_t mask,
                      const char *label, int64_t value)
{
    text_tree_bits(t->b, byte, mask, label, value);
}

/* s5.3.4: every bit of the flags octet. */
static void tree_flags(const struct tree *t, uint8_t v)
{
    const mqd_sn_flags *f = &t->r->msg->flags;
    put_hex8(t->b, v);
    obuf_putc(t->b, '\n');
    tree_bits(t, v, 0x80, "DUP", f->dup);
    obuf_putc(t->b, '\n');
    tree_bits(t, v, 0x60, "QoS", f->qos);
    obuf_putc(t->b, '\n');
    tree_bits(t, v, 0x10, "Retain", f->retain);
    obuf_putc(t->b, '\n');
    tree_bits(t, v, 0x08, "Will", f->will);
    obuf_putc(t->b, '\n');
    tree_bits(t, v, 0x04, "CleanSession", f->clean_session);
    obuf_putc(t->b, '\n');
    tree_bits(t, v, 0x03, "TopicIdType", f->topic_id_type);
    obuf_puts(t->b, " (");
    obuf_puts(t->b, mqd_sn_topic_id_type_name(f->topic_id_type));
    obuf_putc(t->b, ')');
}

static void tree_topic_id(const struct tree *t, uint32_t id)
{
    const struct sn_topic_view *v = &t->r->topic;
    obuf_u64(t->b, id);
    switch (v->kind) {
    case SN_TOPIC_REGISTERED:
        obuf_puts(t->b, " = ");
        text_quoted(t->b, v->name, v->len, TREE_TEXT_PREVIEW);
        obuf_puts(t->b, " (registered)");
        break;
    case SN_TOPIC_UNKNOWN:
        obuf_puts(t->b, " (not registered in this capture)");
        break;
    case SN_TOPIC_PREDEFINED:
        obuf_puts(t->b, " (predefined)");
        break;
    default:
        break;
    }
}

static void tree_item_desc(const struct tree *t, const struct tree_item *it)
{
    const mqd_sn_msg *m = t->r->msg;
    const uint8_t *data = NULL;
    (void)mqd_sn_bytes(m, it->off, it->len, &data);
    obuf_puts(t->b, it->label);
    obuf_putc(t->b, ' ');
    switch (it->kind) {
    case TK_LENGTH:
    case TK_FWD_LENGTH:
        obuf_u64(t->b, it->value);
        obuf_puts(t->b, it->len == 3 ? " (3-octet form)" : " (1 octet)");
        break;
    case TK_TYPE:
    case TK_FWD_TYPE:
        put_hex8(t->b, (uint8_t)it->value);
        obuf_putc(t->b, ' ');
        obuf_puts(t->b, mqd_sn_type_name((uint8_t)it->value));
        break;
    case TK_CTRL:
        put_hex8(t->b, (uint8_t)it->value);
        obuf_putc(t->b, '\n');
        tree_bits(t, (uint8_t)it->value, 0xFC, "reserved", it->value >> 2);
        obuf_putc(t->b, '\n');
        tree_bits(t, (uint8_t)it->value, 0x03, "Radius", it->value & 3u);
        break;
    case TK_FLAGS:
        tree_flags(t, (uint8_t)it->value);
        break;
    case TK_TOPIC_ID:
        tree_topic_id(t, it->value);
        break;
    case TK_RC: {
        const char *name = mqd_sn_return_code_name((uint8_t)it->value);
        put_hex8(t->b, (uint8_t)it->value);
        obuf_puts(t->b, " (");
        obuf_puts(t->b, name ? name : "reserved");
        obuf_putc(t->b, ')');
        break;
    }
    case TK_TEXT:
        if (data)
            text_quoted(t->b, data, it->len, TREE_TEXT_PREVIEW);
        break;
    case TK_NODE_ID:
    case TK_HEX:
        if (data)
            text_hex(t->b, data, it->len, TREE_HEX_PREVIEW);
        break;
    case TK_DATA:
    case TK_WILL_MSG:
        obuf_u64(t->b, it->len);
        obuf_puts(t->b, " bytes");
        if (data && it->len > 0) /* as the MQTT tree shows a payload */
            tree_data(t, data, it->len, it->kind == TK_WILL_MSG);
        break;
    default:
        obuf_u64(t->b, it->value);
        break;
    }
    obuf_putc(t->b, '\n');
}

/* Bytes [from, to) no field explains. */
static void tree_gap(const struct tree *t, uint32_t from, uint32_t to)
{
    if (to <= from)
        return;
    tree_prefix(t, from, to - from);
    obuf_u64(t->b, to - from);
    obuf_puts(t->b, to - from == 1 ? " byte not decoded\n" : " bytes not decoded\n");
}

/* Every byte of the datagram, in order: fields, and what no field
 * explains. */
static void out_sn_tree(struct obuf *b, const struct output_opts *o,
                        const struct sn_record *r)
{
    struct tree t = {.b = b, .o = o, .r = r, .n = 0};
    uint32_t pos = 0;
    tree_collect(&t);
    tree_sort(&t);
    for (unsigned i = 0; i < t.n; i++) {
        const struct tree_item *it = &t.items[i];
        tree_gap(&t, pos, it->off);
        tree_prefix(&t, it->off, it->len);
        tree_item_desc(&t, it);
        if (it->off + it->len > pos)
            pos = it->off + it->len;
    }
    tree_gap(&t, pos, r->msg->datagram_len);
    text_tree_violations(b, o, r->msg->violations, r->msg->nviolations,
                         r->msg->violations_dropped);
}

void out_sn_write_text(struct obuf *b, const struct output_opts *o,
                       struct tree_memo *memo, const struct msg_meta *meta,
                       const struct sn_record *r)
{
    summary_line(b, o, memo, meta, r);
    if (o->verbose)
        out_sn_tree(b, o, r);
}
