/* MQTT 5.0 property blocks (s2.2.2): reading, walking and checking. The
 * property table itself (ids, types, where each is allowed) lives in
 * proptable.c; this file only applies it. */
#include <string.h>

#include "fields.h"
#include "prop_block.h"
#include "topic.h"

/* ---- reading one property -------------------------------------------------- */

static int read_value(mqd_cursor *c, uint8_t type, mqd_prop *p)
{
    switch (type) {
    case MQD_PT_BYTE: {
        uint8_t v;
        if (!mqd_get_u8(c, &v))
            return MQD_PROP_CUT;
        p->value = v;
        return MQD_PROP_OK;
    }
    case MQD_PT_U16: {
        uint16_t v;
        if (!mqd_get_u16(c, &v))
            return MQD_PROP_CUT;
        p->value = v;
        return MQD_PROP_OK;
    }
    case MQD_PT_U32:
        return mqd_get_u32(c, &p->value) ? MQD_PROP_OK : MQD_PROP_CUT;
    case MQD_PT_VARINT:
        switch (mqd_get_varint(c, &p->varint)) {
        case MQD_VARINT_OK:
            p->value = p->varint.value;
            return MQD_PROP_OK;
        case MQD_VARINT_CUT:
            return MQD_PROP_CUT;
        default:
            return MQD_PROP_VARINT_BAD;
        }
    case MQD_PT_UTF8_PAIR:
        if (!mqd_get_str(c, &p->str))
            return MQD_PROP_CUT;
        return mqd_get_str(c, &p->str2) ? MQD_PROP_OK : MQD_PROP_CUT;
    default: /* UTF8, BINARY */
        return mqd_get_str(c, &p->str) ? MQD_PROP_OK : MQD_PROP_CUT;
    }
}

int mqd_prop_read(mqd_cursor *c, mqd_prop *out)
{
    mqd_cursor probe = *c;
    uint8_t id;
    memset(out, 0, sizeof *out);
    out->off = c->pos;
    if (!mqd_get_u8(&probe, &id))
        return MQD_PROP_CUT;
    out->id = id;
    /* s2.2.2.2: the identifier is a variable byte integer, but every one
     * defined fits in one byte; a longer one is unknown, and so is its
     * length. */
    out->info = mqd_prop_lookup(id);
    if (out->info == NULL)
        return MQD_PROP_UNKNOWN;
    int st = read_value(&probe, out->info->type, out);
    if (st != MQD_PROP_OK)
        return st;
    out->len = probe.pos - c->pos;
    *c = probe;
    return MQD_PROP_OK;
}

/* ---- checking ------------------------------------------------------------ */

/* s3.3.2.3.9 (PUBLISH Subscription Identifier may repeat) and s3.1.2.11.8
 * and friends (User Property may always repeat). */
static bool repeatable(uint8_t id, uint32_t place)
{
    if (id == MQD_P_USER_PROPERTY)
        return true;
    return id == MQD_P_SUBSCRIPTION_IDENTIFIER &&
           place == mqd_place_of(MQD_PUBLISH);
}

/* Properties whose value is a byte that must be 0 or 1: s3.3.2.3.2,
 * s3.1.2.11.6, s3.1.2.11.7, s3.2.2.3.4 (Maximum QoS), s3.2.2.3.5,
 * s3.2.2.3.11, s3.2.2.3.12, s3.2.2.3.13. */
static bool boolean_valued(uint8_t id)
{
    switch (id) {
    case MQD_P_PAYLOAD_FORMAT_INDICATOR:
    case MQD_P_REQUEST_PROBLEM_INFORMATION:
    case MQD_P_REQUEST_RESPONSE_INFORMATION:
    case MQD_P_MAXIMUM_QOS:
    case MQD_P_RETAIN_AVAILABLE:
    case MQD_P_WILDCARD_SUBSCRIPTION_AVAILABLE:
    case MQD_P_SUBSCRIPTION_IDENTIFIER_AVAILABLE:
    case MQD_P_SHARED_SUBSCRIPTION_AVAILABLE:
        return true;
    default:
        return false;
    }
}

/* Values the spec calls a Protocol Error: 0 for Receive Maximum
 * (s3.1.2.11.3), Maximum Packet Size (s3.1.2.11.4), Topic Alias
 * (MQTT-3.3.2-8) and Subscription Identifier (s3.3.2.3.8). */
static void check_zero(mqd_frame *f, const mqd_prop *p)
{
    uint16_t rule;
    switch (p->id) {
    case MQD_P_RECEIVE_MAXIMUM:
        rule = MQD_R_PROPERTY_RECEIVE_MAXIMUM_ZERO;
        break;
    case MQD_P_MAXIMUM_PACKET_SIZE:
        rule = MQD_R_PROPERTY_MAXIMUM_PACKET_SIZE_ZERO;
        break;
    case MQD_P_TOPIC_ALIAS:
        rule = MQD_R_PROPERTY_TOPIC_ALIAS_ZERO;
        break;
    case MQD_P_SUBSCRIPTION_IDENTIFIER:
        rule = MQD_R_PROPERTY_SUBSCRIPTION_ID_ZERO;
        break;
    default:
        return;
    }
    if (p->value == 0)
        mqd_violation_add(f, rule, p->off, 0);
}

static void check_value(mqd_frame *f, const mqd_prop *p)
{
    if (boolean_valued(p->id) && p->value > 1)
        mqd_violation_add(f, MQD_R_PROPERTY_VALUE_INVALID, p->off, p->value);
    check_zero(f, p);
    switch (p->info->type) {
    case MQD_PT_VARINT:
        if (!p->varint.minimal) /* MQTT-1.5.5-1 */
            mqd_violation_add(f, MQD_R_VARINT_NOT_MINIMAL, p->varint.off,
                              p->varint.nbytes);
        break;
    case MQD_PT_UTF8:
        mqd_check_utf8(f, &p->str);
        if (p->id == MQD_P_RESPONSE_TOPIC) /* MQTT-3.3.2-14 */
            (void)mqd_check_topic_name(f, &p->str,
                                       MQD_R_PROPERTY_RESPONSE_TOPIC_WILDCARD);
        break;
    case MQD_PT_UTF8_PAIR: /* MQTT-1.5.7-1: both strings */
        mqd_check_utf8(f, &p->str);
        mqd_check_utf8(f, &p->str2);
        break;
    default:
        break;
    }
}

/* Where, and how often, the property may appear. */
static void check_place(mqd_frame *f, const mqd_prop *p, uint32_t place,
                        mqd_props_seen *seen)
{
    if ((p->info->allowed & place) == 0)
        mqd_violation_add(f, MQD_R_PROPERTY_NOT_ALLOWED, p->off, p->id);
    if (mqd_seen(seen, p->id) && !repeatable(p->id, place))
        mqd_violation_add(f, MQD_R_PROPERTY_DUPLICATE, p->off, p->id);
    seen->ids |= (uint64_t)1 << p->id; /* known ids are all < 64 */
    if (p->id == MQD_P_PAYLOAD_FORMAT_INDICATOR)
        seen->payload_format = p->value;
}

/* Walks block[off, end), reporting each property's problems. Stops at an
 * unknown id or a value cut by the end of the block: nothing after either
 * can be located. */
static uint16_t walk(mqd_frame *f, mqd_cursor *c, uint32_t place,
                     mqd_props_seen *seen)
{
    uint16_t count = 0;
    uint32_t auth_data_off = 0;
    while (mqd_cursor_left(c) > 0) {
        mqd_prop p;
        int st = mqd_prop_read(c, &p);
        if (st == MQD_PROP_UNKNOWN) {
            mqd_violation_add(f, MQD_R_PROPERTY_UNKNOWN, p.off, p.id);
            break;
        }
        if (st == MQD_PROP_CUT) {
            mqd_violation_add(f, MQD_R_PROPERTY_VALUE_TRUNCATED, p.off, p.id);
            break;
        }
        if (st == MQD_PROP_VARINT_BAD) {
            mqd_violation_add(f, MQD_R_VARINT_TOO_LONG, p.off + 1u, p.id);
            break;
        }
        if (count < UINT16_MAX)
            count++;
        check_place(f, &p, place, seen);
        check_value(f, &p);
        if (p.id == MQD_P_AUTHENTICATION_DATA && auth_data_off == 0)
            auth_data_off = p.off;
    }
    /* s3.1.2.11.10: Authentication Data without a Method is an error. */
    if (auth_data_off != 0 && !mqd_seen(seen, MQD_P_AUTHENTICATION_METHOD))
        mqd_violation_add(f, MQD_R_PROPERTY_AUTH_DATA_NO_METHOD,
                          auth_data_off, MQD_P_AUTHENTICATION_DATA);
    return count;
}

int mqd_props_parse(mqd_frame *f, mqd_cursor *c, mqd_props *out,
                    uint32_t place, mqd_props_seen *seen)
{
    memset(out, 0, sizeof *out);
    memset(seen, 0, sizeof *seen);
    if (mqd_cursor_left(c) == 0)
        return MQD_READ_ABSENT;
    out->present = true;
    int vst = mqd_get_varint(c, &out->length);
    if (vst != MQD_VARINT_OK) {
        out->off = c->pos;
        if (vst == MQD_VARINT_TOO_LONG) {
            mqd_violation_add(f, MQD_R_VARINT_TOO_LONG, c->pos, 0);
            /* The four bytes are the (broken) length field. */
            out->length.present = true;
            c->pos += 4;
            out->off = c->pos;
        }
        if (mqd_cursor_left(c) > 0)
            mqd_span_rest(f, c, MQD_R_FIELD_TRUNCATED);
        else if (vst == MQD_VARINT_CUT)
            mqd_violation_add(f, MQD_R_FIELD_TRUNCATED, c->pos, 0);
        return MQD_READ_CUT;
    }
    if (!out->length.minimal) /* MQTT-1.5.5-1 */
        mqd_violation_add(f, MQD_R_VARINT_NOT_MINIMAL, out->length.off,
                          out->length.nbytes);
    out->off = c->pos;
    uint32_t left = mqd_cursor_left(c);
    int st = MQD_READ_OK;
    out->len = out->length.value;
    if (out->len > left) {
        mqd_violation_add(f, MQD_R_PROPERTY_LENGTH_OVERRUN, out->length.off,
                          out->length.value);
        out->len = left;
        st = MQD_READ_CUT;
    }
    mqd_cursor block = mqd_cursor_make(c->base, c->pos, c->pos + out->len);
    out->count = walk(f, &block, place, seen);
    c->pos += out->len;
    return st;
}

/* ---- public iteration ---------------------------------------------------- */

void mqd_prop_iter_init(mqd_prop_iter *it, const mqd_frame *f,
                        const mqd_props *block)
{
    it->base = f->base;
    it->pos = 0;
    it->end = 0;
    if (block->present && f->base != NULL) {
        it->pos = block->off;
        it->end = block->off + block->len;
    }
}

bool mqd_prop_next(mqd_prop_iter *it, mqd_prop *out)
{
    if (it->pos >= it->end)
        return false;
    mqd_cursor c = mqd_cursor_make(it->base, it->pos, it->end);
    if (mqd_prop_read(&c, out) != MQD_PROP_OK) {
        it->pos = it->end;
        return false;
    }
    it->pos = c.pos;
    return true;
}

bool mqd_prop_find(const mqd_frame *f, const mqd_props *block, uint8_t id,
                   mqd_prop *out)
{
    mqd_prop_iter it;
    mqd_prop_iter_init(&it, f, block);
    while (mqd_prop_next(&it, out))
        if (out->id == id)
            return true;
    return false;
}
