/* The short packets: PUBACK, PUBREC, PUBREL, PUBCOMP (s3.4 .. s3.7),
 * DISCONNECT (s3.14), AUTH (s3.15), PINGREQ and PINGRESP (s3.12, s3.13). */
#include "fields.h"
#include "packet.h"
#include "prop_block.h"

/* MQTT-3.4.2-1, MQTT-3.5.2-1, MQTT-3.6.2-1, MQTT-3.7.2-1. */
static uint16_t pub_ack_reason_rule(uint8_t type)
{
    switch (type) {
    case MQD_PUBACK:
        return MQD_R_PUBACK_REASON_INVALID;
    case MQD_PUBREC:
        return MQD_R_PUBREC_REASON_INVALID;
    case MQD_PUBREL:
        return MQD_R_PUBREL_REASON_INVALID;
    default:
        return MQD_R_PUBCOMP_REASON_INVALID;
    }
}

/* 5.0 tail shared by the acks, DISCONNECT and AUTH: a reason code if any
 * byte is left, then properties if any byte is left after it (s3.4.2.1,
 * s3.14.2.1, s3.15.2.1: both may be omitted, each defaulting). */
static void parse_reason_and_props(mqd_frame *f, mqd_cursor *c,
                                   uint16_t reason_rule, mqd_props_seen *seen)
{
    seen->ids = 0;
    seen->payload_format = 0;
    if (mqd_read_u8(f, c, &f->reason) != MQD_READ_OK)
        return;
    mqd_check_reason(f, &f->reason, reason_rule);
    (void)mqd_props_parse(f, c, &f->props, mqd_place_of(f->type), seen);
}

void mqd_parse_pub_ack(mqd_frame *f, mqd_cursor *c)
{
    /* 3.x: exactly the packet identifier. */
    if (f->version != MQD_V5 && f->remaining.value != 2)
        mqd_violation_add(f, MQD_R_LENGTH_MISMATCH, 1, f->remaining.value);
    if (!mqd_required(f, c, mqd_read_u16(f, c, &f->packet_id)))
        return;
    if (f->packet_id.value == 0) /* MQTT-2.2.1-3 (s2.2.1: non-zero) */
        mqd_violation_add(f, MQD_R_PACKET_ID_ZERO, f->packet_id.off, 0);
    if (f->version == MQD_V5) {
        mqd_props_seen seen;
        parse_reason_and_props(f, c, pub_ack_reason_rule(f->type), &seen);
    }
}

void mqd_parse_disconnect(mqd_frame *f, mqd_cursor *c)
{
    if (f->version != MQD_V5) {
        /* 3.1.1 s3.14: no variable header, no payload. */
        if (mqd_cursor_left(c) > 0)
            mqd_span_rest(f, c, MQD_R_DISCONNECT_BODY_BEFORE_V5);
        return;
    }
    mqd_props_seen seen;
    parse_reason_and_props(f, c, MQD_R_DISCONNECT_REASON_INVALID, &seen);
}

void mqd_parse_auth(mqd_frame *f, mqd_cursor *c)
{
    mqd_props_seen seen;
    parse_reason_and_props(f, c, MQD_R_AUTH_REASON_INVALID, &seen);
    /* s3.15.2.2.2: omitting the Authentication Method is a Protocol Error
     * (an AUTH of remaining length 0 or 1 has no properties at all). */
    if (f->props.present && !mqd_seen(&seen, MQD_P_AUTHENTICATION_METHOD))
        mqd_violation_add(f, MQD_R_AUTH_NO_METHOD, f->props.length.off, 0);
}

void mqd_parse_no_body(mqd_frame *f, mqd_cursor *c)
{
    /* s3.12, s3.13: no variable header, no payload. */
    if (mqd_cursor_left(c) > 0)
        mqd_span_rest(f, c, MQD_R_BODY_NOT_ALLOWED);
}
