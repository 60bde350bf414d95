/* SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK (MQTT 5.0 s3.8 .. s3.11,
 * 3.1.1 s3.8 .. s3.11), and the public filter iterator. */
#include "fields.h"
#include "packet.h"
#include "prop_block.h"
#include "topic.h"

/* s3.8.3.1: the subscription options byte. 3.x has only the requested QoS
 * in bits 1-0; 5.0 adds No Local, Retain As Published, Retain Handling. */
static void decode_options(uint8_t version, uint8_t b, mqd_filter *out)
{
    out->qos = (uint8_t)(b & 0x3u);
    if (version != MQD_V5)
        return;
    out->no_local = (b & 0x04u) != 0;
    out->retain_as_published = (b & 0x08u) != 0;
    out->retain_handling = (uint8_t)((b >> 4) & 0x3u);
}

static void check_options(mqd_frame *f, const mqd_filter *flt, bool shared)
{
    uint8_t b = (uint8_t)flt->options.value;
    uint32_t off = flt->options.off;
    uint8_t reserved = f->version == MQD_V5 ? 0xC0u : 0xFCu;
    if ((b & reserved) != 0) /* MQTT-3.8.3-5 (3.1.1: MQTT-3.8.3-4) */
        mqd_violation_add(f, MQD_R_SUBSCRIBE_OPTIONS_RESERVED, off, b);
    if (flt->qos == 3)
        mqd_violation_add(f, MQD_R_SUBSCRIBE_QOS_3, off, b);
    if (flt->retain_handling == 3)
        mqd_violation_add(f, MQD_R_SUBSCRIBE_RETAIN_HANDLING_3, off, b);
    if (shared && flt->no_local) /* MQTT-3.8.3-4 */
        mqd_violation_add(f, MQD_R_FILTER_SHARED_NO_LOCAL, off, b);
}

/* Reads one list entry: a filter, plus the options byte for SUBSCRIBE. An
 * entry cut by the end of the packet reads nothing. */
static bool read_entry(mqd_cursor *c, uint8_t type, uint8_t version,
                       mqd_filter *out)
{
    mqd_cursor probe = *c;
    out->options.present = false;
    out->qos = 0;
    out->no_local = out->retain_as_published = false;
    out->retain_handling = 0;
    if (!mqd_get_str(&probe, &out->filter))
        return false;
    if (type == MQD_SUBSCRIBE) {
        if (!mqd_get_num8(&probe, &out->options))
            return false;
        decode_options(version, (uint8_t)out->options.value, out);
    }
    *c = probe;
    return true;
}

/* The packet identifier, and in 5.0 the properties, that start all four
 * packets (s3.8.2, s3.9.2, s3.10.2, s3.11.2). False when decoding stops. */
static bool parse_id_and_props(mqd_frame *f, mqd_cursor *c, bool with_props)
{
    if (!mqd_required(f, c, mqd_read_u16(f, c, &f->packet_id)))
        return false;
    if (f->packet_id.value == 0) /* MQTT-2.2.1-3 */
        mqd_violation_add(f, MQD_R_PACKET_ID_ZERO, f->packet_id.off, 0);
    if (!with_props || f->version != MQD_V5)
        return true;
    mqd_props_seen seen;
    return mqd_required(f, c,
                        mqd_props_parse(f, c, &f->props,
                                        mqd_place_of(f->type), &seen));
}

/* The topic filter list of SUBSCRIBE / UNSUBSCRIBE: every entry checked;
 * f->list covers the whole entries, a cut one is FIELD_TRUNCATED. */
static void parse_filters(mqd_frame *f, mqd_cursor *c, uint16_t empty_rule)
{
    f->list.present = true;
    f->list.off = c->pos;
    f->list.data = c->base + c->pos;
    mqd_filter flt;
    while (mqd_cursor_left(c) > 0 && read_entry(c, f->type, f->version, &flt)) {
        f->list.count++;
        mqd_check_utf8(f, &flt.filter); /* MQTT-3.8.3-1, MQTT-3.10.3-1 */
        bool shared = mqd_check_topic_filter(f, &flt.filter, f->version);
        if (flt.options.present)
            check_options(f, &flt, shared);
    }
    f->list.len = c->pos - f->list.off;
    if (mqd_cursor_left(c) > 0)
        mqd_span_rest(f, c, MQD_R_FIELD_TRUNCATED);
    else if (f->list.count == 0) /* MQTT-3.8.3-2, MQTT-3.10.3-2 */
        mqd_violation_add(f, empty_rule, f->list.off, 0);
}

void mqd_parse_subscribe(mqd_frame *f, mqd_cursor *c)
{
    if (parse_id_and_props(f, c, true))
        parse_filters(f, c, MQD_R_SUBSCRIBE_NO_FILTERS);
}

void mqd_parse_unsubscribe(mqd_frame *f, mqd_cursor *c)
{
    if (parse_id_and_props(f, c, true))
        parse_filters(f, c, MQD_R_UNSUBSCRIBE_NO_FILTERS);
}

/* The reason code list of SUBACK / UNSUBACK: the rest of the packet. */
static void parse_codes(mqd_frame *f, mqd_cursor *c, uint16_t empty_rule,
                        uint16_t invalid_rule)
{
    mqd_bytes codes;
    mqd_get_rest(c, &codes);
    f->list.present = true;
    f->list.off = codes.off;
    f->list.len = codes.len;
    f->list.count = codes.len;
    f->list.data = codes.data;
    if (codes.len == 0)
        mqd_violation_add(f, empty_rule, codes.off, 0);
    mqd_cursor rc = mqd_cursor_make(c->base, codes.off, codes.off + codes.len);
    mqd_num code;
    while (mqd_get_num8(&rc, &code))
        mqd_check_reason(f, &code, invalid_rule);
}

void mqd_parse_suback(mqd_frame *f, mqd_cursor *c)
{
    /* MQTT-3.9.3-2 in both 3.1.1 (reserved return codes) and 5.0. */
    if (parse_id_and_props(f, c, true))
        parse_codes(f, c, MQD_R_SUBACK_NO_CODES, MQD_R_RETURN_CODE_RESERVED);
}

void mqd_parse_unsuback(mqd_frame *f, mqd_cursor *c)
{
    if (f->version != MQD_V5) {
        /* 3.x s3.11: the packet identifier only. */
        if (f->remaining.value != 2)
            mqd_violation_add(f, MQD_R_LENGTH_MISMATCH, 1, f->remaining.value);
        (void)parse_id_and_props(f, c, false);
        return;
    }
    if (parse_id_and_props(f, c, true))
        parse_codes(f, c, MQD_R_UNSUBACK_NO_CODES,
                    MQD_R_UNSUBACK_REASON_INVALID);
}

/* ---- public iteration ---------------------------------------------------- */

void mqd_filter_iter_init(mqd_filter_iter *it, const mqd_frame *f)
{
    it->frame = f;
    it->pos = 0;
    it->end = 0;
    if (f->list.present &&
        (f->type == MQD_SUBSCRIBE || f->type == MQD_UNSUBSCRIBE)) {
        it->pos = f->list.off;
        it->end = f->list.off + f->list.len;
    }
}

bool mqd_filter_next(mqd_filter_iter *it, mqd_filter *out)
{
    if (it->pos >= it->end)
        return false;
    mqd_cursor c = mqd_cursor_make(it->frame->base, it->pos, it->end);
    if (!read_entry(&c, it->frame->type, it->frame->version, out)) {
        it->pos = it->end;
        return false;
    }
    it->pos = c.pos;
    return true;
}
