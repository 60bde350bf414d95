/* PUBLISH (MQTT 5.0 s3.3, 3.1.1 s3.3): the hot path. One pass over the
 * topic for UTF-8, one memchr pair for wildcards; the payload is looked at
 * only when the Payload Format Indicator says it is UTF-8. */
#include "fields.h"
#include "mqttdissect/utf8.h"
#include "packet.h"
#include "prop_block.h"
#include "topic.h"

/* s3.3.2.3.2: with Payload Format Indicator 1 the payload is UTF-8
 * character data. */
static void check_payload_format(mqd_frame *f)
{
    size_t bad = 0;
    int st = mqd_utf8_check(f->payload.data, f->payload.len, &bad);
    if (st == MQD_UTF8_ILL_FORMED || st == MQD_UTF8_SURROGATE)
        mqd_violation_add(f, MQD_R_PUBLISH_PAYLOAD_NOT_UTF8,
                          f->payload.off + (uint32_t)bad, 1);
}

void mqd_parse_publish(mqd_frame *f, mqd_cursor *c)
{
    /* MQTT-3.3.2-1: the topic name comes first, a UTF-8 string. */
    if (!mqd_required(f, c, mqd_read_utf8(f, c, &f->topic)))
        return;
    (void)mqd_check_topic_name(f, &f->topic, MQD_R_PUBLISH_TOPIC_WILDCARD);
    if (f->qos > 0) { /* s3.3.2.2; QoS 3 is decoded as if it had one */
        if (!mqd_required(f, c, mqd_read_u16(f, c, &f->packet_id)))
            return;
        if (f->packet_id.value == 0) /* MQTT-2.2.1-3 */
            mqd_violation_add(f, MQD_R_PACKET_ID_ZERO, f->packet_id.off, 0);
    }
    mqd_props_seen seen = {0, 0};
    if (f->version == MQD_V5 &&
        !mqd_required(f, c,
                      mqd_props_parse(f, c, &f->props,
                                      mqd_place_of(MQD_PUBLISH), &seen)))
        return;
    /* MQTT-4.7.3-1; in 5.0 an empty name is how a Topic Alias is used. */
    if (f->topic.len == 0 &&
        (f->version != MQD_V5 || !mqd_seen(&seen, MQD_P_TOPIC_ALIAS)))
        mqd_violation_add(f, MQD_R_PUBLISH_TOPIC_EMPTY, f->topic.off, 0);
    mqd_get_rest(c, &f->payload);
    if (seen.payload_format == 1 &&
        mqd_seen(&seen, MQD_P_PAYLOAD_FORMAT_INDICATOR))
        check_payload_format(f);
}
