/* CONNACK (MQTT 5.0 s3.2, 3.1.1 s3.2). */
#include "fields.h"
#include "packet.h"
#include "prop_block.h"

#define SESSION_PRESENT 0x01u

static void check_ack_flags(mqd_frame *f)
{
    uint32_t flags = f->ack_flags.value;
    /* 3.1 has no Session Present: the whole byte is reserved, unchecked. */
    if (f->version == MQD_V31)
        return;
    if ((flags & ~SESSION_PRESENT) != 0) /* MQTT-3.2.2-1 */
        mqd_violation_add(f, MQD_R_CONNACK_RESERVED_FLAGS, f->ack_flags.off,
                          flags);
    /* MQTT-3.2.2-6 (3.1.1: MQTT-3.2.2-4). */
    if ((flags & SESSION_PRESENT) != 0 && f->reason.value != 0)
        mqd_violation_add(f, MQD_R_CONNACK_SESSION_PRESENT_ON_ERROR,
                          f->ack_flags.off, f->reason.value);
}

void mqd_parse_connack(mqd_frame *f, mqd_cursor *c)
{
    /* 3.x s3.2.1: the remaining length is 2. */
    if (f->version != MQD_V5 && f->remaining.value != 2)
        mqd_violation_add(f, MQD_R_LENGTH_MISMATCH, 1, f->remaining.value);
    if (!mqd_required(f, c, mqd_read_u8(f, c, &f->ack_flags)))
        return;
    if (!mqd_required(f, c, mqd_read_u8(f, c, &f->reason)))
        return;
    check_ack_flags(f);
    /* MQTT-3.2.2-8 in 5.0; 3.1.1 s3.2.2.3 reserves return codes 6-255. */
    mqd_check_reason(f, &f->reason,
                     f->version == MQD_V5 ? MQD_R_CONNACK_REASON_INVALID
                                          : MQD_R_REASON_CODE_INVALID);
    if (f->version == MQD_V5) {
        /* s3.2.2.3: unlike the acks, a 5.0 CONNACK always has properties. */
        mqd_props_seen seen;
        (void)mqd_required(f, c,
                           mqd_props_parse(f, c, &f->props,
                                           mqd_place_of(MQD_CONNACK), &seen));
    }
}
