/* MQTT-SN 1.2: the decoder of one message per datagram, and its names.
 * Section numbers are those of the MQTT-SN Protocol Specification 1.2
 * (IBM, 2013). Every byte is read through the cursor (cursor.h). */
#include "mqttdissect/sn.h"

#include <string.h>

#include "cursor.h"
#include "mqttdissect/utf8.h"

/* ---- names (s5.2.2 table 3, s5.3.10, s5.3.4) ---- */

#define SN_TYPE_TABLE_SIZE 0x1E

static const char *const sn_type_names[SN_TYPE_TABLE_SIZE] = {
    [MQD_SN_ADVERTISE] = "ADVERTISE",
    [MQD_SN_SEARCHGW] = "SEARCHGW",
    [MQD_SN_GWINFO] = "GWINFO",
    [MQD_SN_CONNECT] = "CONNECT",
    [MQD_SN_CONNACK] = "CONNACK",
    [MQD_SN_WILLTOPICREQ] = "WILLTOPICREQ",
    [MQD_SN_WILLTOPIC] = "WILLTOPIC",
    [MQD_SN_WILLMSGREQ] = "WILLMSGREQ",
    [MQD_SN_WILLMSG] = "WILLMSG",
    [MQD_SN_REGISTER] = "REGISTER",
    [MQD_SN_REGACK] = "REGACK",
    [MQD_SN_PUBLISH] = "PUBLISH",
    [MQD_SN_PUBACK] = "PUBACK",
    [MQD_SN_PUBCOMP] = "PUBCOMP",
    [MQD_SN_PUBREC] = "PUBREC",
    [MQD_SN_PUBREL] = "PUBREL",
    [MQD_SN_SUBSCRIBE] = "SUBSCRIBE",
    [MQD_SN_SUBACK] = "SUBACK",
    [MQD_SN_UNSUBSCRIBE] = "UNSUBSCRIBE",
    [MQD_SN_UNSUBACK] = "UNSUBACK",
    [MQD_SN_PINGREQ] = "PINGREQ",
    [MQD_SN_PINGRESP] = "PINGRESP",
    [MQD_SN_DISCONNECT] = "DISCONNECT",
    [MQD_SN_WILLTOPICUPD] = "WILLTOPICUPD",
    [MQD_SN_WILLTOPICRESP] = "WILLTOPICRESP",
    [MQD_SN_WILLMSGUPD] = "WILLMSGUPD",
    [MQD_SN_WILLMSGRESP] = "WILLMSGRESP",
};

static const char *const sn_return_code_names[] = {
    [MQD_SN_RC_ACCEPTED] = "Accepted",
    [MQD_SN_RC_CONGESTION] = "Rejected: congestion",
    [MQD_SN_RC_INVALID_TOPIC_ID] = "Rejected: invalid topic ID",
    [MQD_SN_RC_NOT_SUPPORTED] = "Rejected: not supported",
};

static const char *const sn_topic_id_type_names[4] = {
    "normal", "predefined", "short", "reserved",
};

bool mqd_sn_type_known(uint8_t type)
{
    if (type == MQD_SN_ENCAPSULATED)
        return true;
    return type < SN_TYPE_TABLE_SIZE && sn_type_names[type] != NULL;
}

const char *mqd_sn_type_name(uint8_t type)
{
    if (type == MQD_SN_ENCAPSULATED)
        return "ENCAPSULATED";
    if (!mqd_sn_type_known(type))
        return "RESERVED";
    return sn_type_names[type];
}

const char *mqd_sn_return_code_name(uint8_t code)
{
    if (code >= sizeof sn_return_code_names / sizeof sn_return_code_names[0])
        return NULL;
    return sn_return_code_names[code];
}

const char *mqd_sn_topic_id_type_name(uint8_t t)
{
    return sn_topic_id_type_names[t & 3u];
}

/* ---- the flags octet (s5.3.4) ---- */

#define F_DUP 0x80u
#define F_QOS 0x60u
#define F_RETAIN 0x10u
#define F_WILL 0x08u
#define F_CLEAN 0x04u
#define F_TOPIC_ID_TYPE 0x03u

/* ---- recording violations ---- */

static void add_violation(mqd_sn_msg *m, uint16_t rule, uint32_t off,
                          uint32_t value)
{
    if (m->nviolations >= MQD_MAX_VIOLATIONS) {
        if (m->violations_dropped < UINT16_MAX)
            m->violations_dropped++;
        return;
    }
    mqd_violation *v = &m->violations[m->nviolations++];
    v->rule = rule;
    v->off = off;
    v->value = value;
}

/* ---- field readers: a missing field is SN_FIELD_TRUNCATED ---- */

static bool truncated(mqd_sn_msg *m, const mqd_cursor *c)
{
    add_violation(m, MQD_R_SN_FIELD_TRUNCATED, c->pos, mqd_cursor_left(c));
    return false;
}

static bool need_u8(mqd_sn_msg *m, mqd_cursor *c, mqd_num *out)
{
    return mqd_get_num8(c, out) || truncated(m, c);
}

static bool need_u16(mqd_sn_msg *m, mqd_cursor *c, mqd_num *out)
{
    return mqd_get_num16(c, out) || truncated(m, c);
}

/* The last field of a fixed-size message has been read: whatever is left
 * is unexplained. */
static void finish(mqd_sn_msg *m, const mqd_cursor *c)
{
    uint32_t left = mqd_cursor_left(c);
    if (left > 0)
        add_violation(m, MQD_R_SN_TRAILING_BYTES, c->pos, left);
}

/* A string field running to the end of the message (s5.3: the variable
 * fields have no length of their own). Absent when nothing is left. */
static void rest_if_any(mqd_cursor *c, mqd_bytes *out)
{
    if (mqd_cursor_left(c) > 0)
        mqd_get_rest(c, out);
}

/* s5.3.10: 0x04..0xFF are reserved. */
static bool need_return_code(mqd_sn_msg *m, mqd_cursor *c)
{
    if (!need_u8(m, c, &m->return_code))
        return false;
    if (m->return_code.value > MQD_SN_RC_NOT_SUPPORTED)
        add_violation(m, MQD_R_SN_RETURN_CODE_RESERVED, m->return_code.off,
                      m->return_code.value);
    return true;
}

/* Reads and decodes the flags octet. `used` is the set of bits the message
 * type gives a meaning to (s5.4.x); the others are "not used" and should
 * be 0. */
static bool need_flags(mqd_sn_msg *m, mqd_cursor *c, uint8_t used)
{
    mqd_sn_flags *f = &m->flags;
    if (!need_u8(m, c, &f->byte))
        return false;
    uint8_t b = (uint8_t)f->byte.value;
    f->dup = (b & F_DUP) != 0;
    f->qos_bits = (uint8_t)((b & F_QOS) >> 5);
    f->qos = f->qos_bits == 3 ? (int8_t)-1 : (int8_t)f->qos_bits;
    f->retain = (b & F_RETAIN) != 0;
    f->will = (b & F_WILL) != 0;
    f->clean_session = (b & F_CLEAN) != 0;
    f->topic_id_type = (uint8_t)(b & F_TOPIC_ID_TYPE);

    uint8_t unused = (uint8_t)(b & ~used);
    if (unused)
        add_violation(m, MQD_R_SN_FLAGS_UNUSED, f->byte.off, unused);
    /* s5.3.4 / s6.8: QoS -1 exists for PUBLISH only. */
    if ((used & F_QOS) && f->qos_bits == 3 && m->type != MQD_SN_PUBLISH)
        add_violation(m, MQD_R_SN_QOS_MINUS1_NOT_PUBLISH, f->byte.off, b);
    if ((used & F_TOPIC_ID_TYPE) && f->topic_id_type == MQD_SN_TOPIC_RESERVED)
        add_violation(m, MQD_R_SN_TOPIC_ID_TYPE_RESERVED, f->byte.off, b);
    return true;
}

/* ---- topic names (s5.3.12, s5.3.14) ---- */

static void check_utf8(mqd_sn_msg *m, const mqd_bytes *name)
{
    size_t bad = 0;
    int st = mqd_utf8_check(name->data, name->len, &bad);
    if (st == MQD_UTF8_ILL_FORMED || st == MQD_UTF8_SURROGATE ||
        st == MQD_UTF8_NUL)
        add_violation(m, MQD_R_SN_TOPIC_NOT_UTF8, name->off + (uint32_t)bad,
                      name->off);
}

/* A topic name something is published to: REGISTER, WILLTOPIC(UPD). */
static void check_publish_name(mqd_sn_msg *m, const mqd_bytes *name)
{
    check_utf8(m, name);
    if (memchr(name->data, '+', name->len) || memchr(name->data, '#', name->len))
        add_violation(m, MQD_R_SN_TOPIC_WILDCARD, name->off, 0);
}

/* ---- the message types (s5.4) ---- */

static void parse_advertise(mqd_sn_msg *m, mqd_cursor *c) /* s5.4.1 */
{
    if (need_u8(m, c, &m->gw_id) && need_u16(m, c, &m->duration))
        finish(m, c);
}

static void parse_searchgw(mqd_sn_msg *m, mqd_cursor *c) /* s5.4.2 */
{
    if (need_u8(m, c, &m->radius))
        finish(m, c);
}

/* s5.4.3: GwAdd is present only when a client answers for a gateway. */
static void parse_gwinfo(mqd_sn_msg *m, mqd_cursor *c)
{
    if (need_u8(m, c, &m->gw_id))
        rest_if_any(c, &m->gw_addr);
}

/* s5.4.4: Flags (Will, CleanSession), ProtocolId, Duration, ClientId. */
static void parse_connect(mqd_sn_msg *m, mqd_cursor *c)
{
    if (!need_flags(m, c, F_WILL | F_CLEAN) ||
        !need_u8(m, c, &m->protocol_id))
        return;
    if (m->protocol_id.value != 0x01) /* s5.3.8 */
        add_violation(m, MQD_R_SN_PROTOCOL_ID, m->protocol_id.off,
                      m->protocol_id.value);
    if (!need_u16(m, c, &m->duration))
        return;
    uint32_t at = c->pos;
    rest_if_any(c, &m->client_id);
    /* s5.3.1: "1-23 characters long", as in MQTT 3.1. */
    if (m->client_id.len < 1 || m->client_id.len > 23)
        add_violation(m, MQD_R_SN_CLIENT_ID_LENGTH, at, m->client_id.len);
}

/* CONNACK, WILLTOPICRESP, WILLMSGRESP (s5.4.5, s5.4.24, s5.4.25). */
static void parse_return_code_only(mqd_sn_msg *m, mqd_cursor *c)
{
    if (need_return_code(m, c))
        finish(m, c);
}

/* s5.4.7 / s5.4.22: an empty message (no Flags, no WillTopic) deletes the
 * Will; otherwise Flags (QoS, Retain) and the Will topic. */
static void parse_willtopic(mqd_sn_msg *m, mqd_cursor *c)
{
    if (mqd_cursor_left(c) == 0)
        return;
    if (!need_flags(m, c, F_QOS | F_RETAIN))
        return;
    mqd_get_rest(c, &m->will_topic);
    check_publish_name(m, &m->will_topic);
}

/* WILLMSG, WILLMSGUPD (s5.4.9, s5.4.23). */
static void parse_willmsg(mqd_sn_msg *m, mqd_cursor *c)
{
    mqd_get_rest(c, &m->will_msg);
}

/* s5.4.10: TopicId, MsgId, TopicName. */
static void parse_register(mqd_sn_msg *m, mqd_cursor *c)
{
    if (!need_u16(m, c, &m->topic_id) || !need_u16(m, c, &m->msg_id))
        return;
    mqd_get_rest(c, &m->topic_name);
    if (m->topic_name.len == 0)
        add_violation(m, MQD_R_SN_TOPIC_NAME_EMPTY, m->topic_name.off, 0);
    else
        check_publish_name(m, &m->topic_name);
}

/* REGACK, PUBACK (s5.4.11, s5.4.13): TopicId, MsgId, ReturnCode. */
static void parse_id_ack(mqd_sn_msg *m, mqd_cursor *c)
{
    if (need_u16(m, c, &m->topic_id) && need_u16(m, c, &m->msg_id) &&
        need_return_code(m, c))
        finish(m, c);
}

/* s5.4.12 and s6.8: the QoS -1 and MsgId rules of PUBLISH. */
static void check_publish(mqd_sn_msg *m)
{
    const mqd_sn_flags *f = &m->flags;
    if (f->qos == -1 && f->topic_id_type == MQD_SN_TOPIC_NORMAL)
        add_violation(m, MQD_R_SN_QOS_MINUS1_NORMAL_TOPIC, f->byte.off,
                      f->byte.value);
    if (f->qos <= 0 && m->msg_id.present && m->msg_id.value != 0)
        add_violation(m, MQD_R_SN_MSG_ID_NOT_ZERO, m->msg_id.off,
                      m->msg_id.value);
}

/* s5.4.12: Flags, TopicId (or a short topic name), MsgId, Data. */
static void parse_publish(mqd_sn_msg *m, mqd_cursor *c)
{
    if (!need_flags(m, c, F_DUP | F_QOS | F_RETAIN | F_TOPIC_ID_TYPE))
        return;
    uint32_t at = c->pos;
    if (!need_u16(m, c, &m->topic_id))
        return;
    if (m->flags.topic_id_type == MQD_SN_TOPIC_SHORT) {
        mqd_cursor again = mqd_cursor_make(c->base, at, c->end);
        (void)mqd_get_bytes(&again, 2, &m->short_topic);
    } else if (m->topic_id.value == 0x0000 || m->topic_id.value == 0xFFFF) {
        add_violation(m, MQD_R_SN_TOPIC_ID_RESERVED, m->topic_id.off,
                      m->topic_id.value); /* s5.3.11 */
    }
    if (!need_u16(m, c, &m->msg_id))
        return;
    check_publish(m);
    mqd_get_rest(c, &m->data);
}

/* PUBREC, PUBREL, PUBCOMP, UNSUBACK (s5.4.14, s5.4.18): MsgId. */
static void parse_msg_id_only(mqd_sn_msg *m, mqd_cursor *c)
{
    if (need_u16(m, c, &m->msg_id))
        finish(m, c);
}

/* The topic of (UN)SUBSCRIBE, after the MsgId (s5.4.15, s5.4.17): a topic
 * name (which may hold wildcards), a predefined id or a short name. */
static void parse_sub_topic(mqd_sn_msg *m, mqd_cursor *c)
{
    uint32_t at = c->pos, left = mqd_cursor_left(c);
    switch (m->flags.topic_id_type) {
    case MQD_SN_TOPIC_PREDEFINED:
        if (left != 2)
            add_violation(m, MQD_R_SN_SHORT_TOPIC_LENGTH, at, left);
        if (need_u16(m, c, &m->topic_id))
            finish(m, c);
        break;
    case MQD_SN_TOPIC_SHORT:
        if (left != 2)
            add_violation(m, MQD_R_SN_SHORT_TOPIC_LENGTH, at, left);
        mqd_get_rest(c, &m->short_topic);
        break;
    default: /* normal; reserved is decoded as a name, already reported */
        mqd_get_rest(c, &m->topic_name);
        if (m->topic_name.len == 0)
            add_violation(m, MQD_R_SN_TOPIC_NAME_EMPTY, at, 0);
        else
            check_utf8(m, &m->topic_name);
        break;
    }
}

static void parse_subscribe(mqd_sn_msg *m, mqd_cursor *c) /* s5.4.15 */
{
    if (need_flags(m, c, F_DUP | F_QOS | F_TOPIC_ID_TYPE) &&
        need_u16(m, c, &m->msg_id))
        parse_sub_topic(m, c);
}

static void parse_unsubscribe(mqd_sn_msg *m, mqd_cursor *c) /* s5.4.17 */
{
    if (need_flags(m, c, F_TOPIC_ID_TYPE) && need_u16(m, c, &m->msg_id))
        parse_sub_topic(m, c);
}

/* s5.4.16: Flags (granted QoS), TopicId, MsgId, ReturnCode. */
static void parse_suback(mqd_sn_msg *m, mqd_cursor *c)
{
    if (need_flags(m, c, F_QOS) && need_u16(m, c, &m->topic_id) &&
        need_u16(m, c, &m->msg_id) && need_return_code(m, c))
        finish(m, c);
}

/* s5.4.19: a sleeping client names itself; otherwise empty. */
static void parse_pingreq(mqd_sn_msg *m, mqd_cursor *c)
{
    rest_if_any(c, &m->client_id);
}

/* s5.4.21: Duration only when the client goes to sleep. */
static void parse_disconnect(mqd_sn_msg *m, mqd_cursor *c)
{
    if (mqd_cursor_left(c) > 0 && need_u16(m, c, &m->duration))
        finish(m, c);
}

/* WILLTOPICREQ, WILLMSGREQ, PINGRESP (s5.4.6, s5.4.8, s5.4.20): header
 * only. */
static void parse_empty(mqd_sn_msg *m, mqd_cursor *c)
{
    finish(m, c);
}

typedef void (*sn_body_parser)(mqd_sn_msg *m, mqd_cursor *c);

/* Body parser per MsgType; NULL for reserved types. Types without a body
 * (WILLTOPICREQ, WILLMSGREQ, PINGRESP) use parse_empty. */
static const sn_body_parser sn_parsers[SN_TYPE_TABLE_SIZE] = {
    [MQD_SN_ADVERTISE] = parse_advertise,
    [MQD_SN_SEARCHGW] = parse_searchgw,
    [MQD_SN_GWINFO] = parse_gwinfo,
    [MQD_SN_CONNECT] = parse_connect,
    [MQD_SN_CONNACK] = parse_return_code_only,
    [MQD_SN_WILLTOPICREQ] = parse_empty,
    [MQD_SN_WILLTOPIC] = parse_willtopic,
    [MQD_SN_WILLMSGREQ] = parse_empty,
    [MQD_SN_WILLMSG] = parse_willmsg,
    [MQD_SN_REGISTER] = parse_register,
    [MQD_SN_REGACK] = parse_id_ack,
    [MQD_SN_PUBLISH] = parse_publish,
    [MQD_SN_PUBACK] = parse_id_ack,
    [MQD_SN_PUBCOMP] = parse_msg_id_only,
    [MQD_SN_PUBREC] = parse_msg_id_only,
    [MQD_SN_PUBREL] = parse_msg_id_only,
    [MQD_SN_SUBSCRIBE] = parse_subscribe,
    [MQD_SN_SUBACK] = parse_suback,
    [MQD_SN_UNSUBSCRIBE] = parse_unsubscribe,
    [MQD_SN_UNSUBACK] = parse_msg_id_only,
    [MQD_SN_PINGREQ] = parse_pingreq,
    [MQD_SN_PINGRESP] = parse_empty,
    [MQD_SN_DISCONNECT] = parse_disconnect,
    [MQD_SN_WILLTOPICUPD] = parse_willtopic,
    [MQD_SN_WILLTOPICRESP] = parse_return_code_only,
    [MQD_SN_WILLMSGUPD] = parse_willmsg,
    [MQD_SN_WILLMSGRESP] = parse_return_code_only,
};

/* ---- the header (s5.2) ---- */

/* Reads Length (s5.2.1: one octet, or 0x01 and two octets) and MsgType at
 * c->pos into m. False, cursor unmoved, when they do not fit. */
static bool read_header(mqd_sn_msg *m, mqd_cursor *c)
{
    mqd_cursor probe = *c;
    uint8_t first;
    mqd_num length, msg_type;
    if (!mqd_get_u8(&probe, &first))
        return false;
    bool long_length = first == 0x01;
    if (long_length) {
        uint16_t v;
        if (!mqd_get_u16(&probe, &v))
            return false;
        length = (mqd_num){true, 3, c->pos, v};
    } else {
        length = (mqd_num){true, 1, c->pos, first};
    }
    if (!mqd_get_num8(&probe, &msg_type))
        return false;
    /* Only a whole header changes m: an encapsulated message whose inner
     * header is cut keeps describing the forwarder's. */
    m->off = c->pos;
    m->long_length = long_length;
    m->length = length;
    m->msg_type = msg_type;
    m->type = (uint8_t)msg_type.value;
    *c = probe;
    return true;
}

/* Where the message ends, checking its Length against the datagram
 * (s5.2.1: Length counts every octet of the message, itself included). */
static uint32_t message_end(mqd_sn_msg *m)
{
    uint32_t hdr = m->long_length ? 4u : 2u;
    uint32_t avail = m->datagram_len - m->off;
    uint32_t len = m->length.value;
    if (m->long_length && len < 256)
        add_violation(m, MQD_R_SN_LONG_LENGTH_FORM, m->length.off, len);
    if (len < hdr) {
        add_violation(m, MQD_R_SN_LENGTH_INVALID, m->length.off, len);
        return m->datagram_len;
    }
    if (len > avail) {
        add_violation(m, MQD_R_SN_LENGTH_EXCEEDS_DATAGRAM, m->length.off, len);
        return m->datagram_len;
    }
    if (len < avail)
        add_violation(m, MQD_R_SN_DATAGRAM_TRAILING, m->off + len, avail - len);
    return m->off + len;
}

/* s5.5: Length (3 + node id octets), 0xFE, Ctrl, Wireless Node Id; the
 * relayed message follows. On return c is at the inner message. */
static void parse_forwarder(mqd_sn_msg *m, mqd_cursor *c)
{
    mqd_sn_forwarder *fw = &m->fwd;
    fw->present = true;
    fw->length = m->length;
    fw->msg_type = m->msg_type;
    uint32_t hdr_end = m->off + m->length.value;
    if (m->length.value < m->length.len + 2u || hdr_end > m->datagram_len) {
        add_violation(m, MQD_R_SN_ENCAP_LENGTH, m->length.off, m->length.value);
        if (hdr_end > m->datagram_len)
            hdr_end = m->datagram_len;
    }
    if (!mqd_get_num8(c, &fw->ctrl)) {
        (void)truncated(m, c);
        return;
    }
    fw->radius = (uint8_t)(fw->ctrl.value & 0x03u);
    if (fw->ctrl.value & 0xFCu)
        add_violation(m, MQD_R_SN_ENCAP_CTRL_RESERVED, fw->ctrl.off,
                      fw->ctrl.value);
    uint32_t id_len = hdr_end > c->pos ? hdr_end - c->pos : 0;
    (void)mqd_get_bytes(c, id_len, &fw->node_id);
}

static void parse_message(mqd_sn_msg *m, mqd_cursor *c)
{
    mqd_cursor body = mqd_cursor_make(c->base, c->pos, message_end(m));
    m->size = body.end - m->off;
    sn_body_parser parse =
        m->type < SN_TYPE_TABLE_SIZE ? sn_parsers[m->type] : NULL;
    if (parse == NULL) {
        add_violation(m, MQD_R_SN_TYPE_RESERVED, m->msg_type.off, m->type);
        return;
    }
    parse(m, &body);
}

mqd_result mqd_sn_parse(const uint8_t *buf, size_t len, mqd_sn_msg *out)
{
    mqd_result r = {MQD_OK, 0, 0, 0, 0};
    memset(out, 0, sizeof *out);
    out->base = buf;
    out->datagram_len = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
    mqd_cursor c = mqd_cursor_make(buf, 0, out->datagram_len);

    if (!read_header(out, &c)) {
        r.status = MQD_ERROR;
        r.err_rule = MQD_R_SN_FIELD_TRUNCATED;
        add_violation(out, MQD_R_SN_FIELD_TRUNCATED, 0, out->datagram_len);
        return r;
    }
    if (out->type == MQD_SN_ENCAPSULATED) {
        parse_forwarder(out, &c);
        uint32_t inner = c.pos;
        if (!out->fwd.ctrl.present || !read_header(out, &c)) {
            out->size = out->datagram_len;
            if (out->fwd.ctrl.present)
                add_violation(out, MQD_R_SN_FIELD_TRUNCATED, inner,
                              out->datagram_len - inner);
            r.size = out->size;
            return r;
        }
        if (out->type == MQD_SN_ENCAPSULATED) {
            /* s5.5 relays a message, not another encapsulation. */
            add_violation(out, MQD_R_SN_ENCAP_NESTED, out->msg_type.off, 0);
            out->size = out->datagram_len - out->off;
            r.size = out->datagram_len;
            return r;
        }
    }
    parse_message(out, &c);
    r.size = out->off + out->size;
    return r;
}
