/* CONNECT (MQTT 5.0 s3.1, 3.1.1 s3.1, 3.1 "CONNECT"). CONNECT carries its
 * own protocol level, so it is decoded by that level, whatever the caller
 * guessed. */
#include <string.h>

#include "fields.h"
#include "mqttdissect/utf8.h"
#include "packet.h"
#include "prop_block.h"
#include "topic.h"

#define FLAG_USERNAME 0x80u
#define FLAG_PASSWORD 0x40u
#define FLAG_WILL_RETAIN 0x20u
#define FLAG_WILL_FLAG 0x04u
#define FLAG_CLEAN 0x02u
#define FLAG_RESERVED 0x01u

static bool name_is(const mqd_str *s, const char *want)
{
    size_t n = strlen(want);
    return s->len == n && memcmp(s->data, want, n) == 0;
}

/* s3.1.2.1/s3.1.2.2: "MQTT" with level 4 or 5, "MQIsdp" with level 3. The
 * level decides the version of the rest; the name breaks ties. */
static void check_protocol(mqd_frame *f, const mqd_connect *k)
{
    bool mqtt = name_is(&k->protocol_name, "MQTT");
    bool mqisdp = name_is(&k->protocol_name, "MQIsdp");
    uint32_t level = k->level.value;
    /* mosquitto bridges announce themselves with 0x80 | 3 or 0x80 | 4. */
    if (level == (0x80u | MQD_V31) || level == (0x80u | MQD_V311)) {
        mqd_violation_add(f, MQD_R_CONNECT_BRIDGE_LEVEL, k->level.off, level);
        level &= 0x7Fu;
    }
    bool level_ok = level == MQD_V31 || level == MQD_V311 || level == MQD_V5;
    if (!mqtt && !mqisdp)
        mqd_violation_add(f, MQD_R_CONNECT_PROTOCOL_NAME, k->protocol_name.off,
                          k->protocol_name.len);
    if (!level_ok)
        mqd_violation_add(f, MQD_R_CONNECT_PROTOCOL_LEVEL, k->level.off, level);
    if ((mqtt && level == MQD_V31) ||
        (mqisdp && (level == MQD_V311 || level == MQD_V5)))
        mqd_violation_add(f, MQD_R_CONNECT_NAME_LEVEL_MISMATCH, k->level.off,
                          level);
    if (level_ok)
        f->version = (uint8_t)level;
    else
        f->version = mqisdp ? MQD_V31 : MQD_V311;
}

/* s3.1.2.3 .. s3.1.2.9. */
static void decode_flags(mqd_frame *f, mqd_connect *k)
{
    uint8_t b = (uint8_t)k->flags.value;
    uint32_t off = k->flags.off;
    k->username_flag = (b & FLAG_USERNAME) != 0;
    k->password_flag = (b & FLAG_PASSWORD) != 0;
    k->will_retain = (b & FLAG_WILL_RETAIN) != 0;
    k->will_qos = (uint8_t)((b >> 3) & 0x3u);
    k->will_flag = (b & FLAG_WILL_FLAG) != 0;
    k->clean_start = (b & FLAG_CLEAN) != 0;
    k->reserved_flag = (b & FLAG_RESERVED) != 0;
    if (k->reserved_flag) /* MQTT-3.1.2-3 */
        mqd_violation_add(f, MQD_R_CONNECT_RESERVED_FLAG, off, b);
    if (!k->will_flag && k->will_qos != 0) /* MQTT-3.1.2-11 */
        mqd_violation_add(f, MQD_R_CONNECT_WILL_QOS_NO_WILL, off, k->will_qos);
    if (k->will_flag && k->will_qos == 3) /* MQTT-3.1.2-12 */
        mqd_violation_add(f, MQD_R_CONNECT_WILL_QOS_3, off, k->will_qos);
    if (!k->will_flag && k->will_retain) /* MQTT-3.1.2-13 */
        mqd_violation_add(f, MQD_R_CONNECT_WILL_RETAIN_NO_WILL, off, b);
    /* 3.1.1 MQTT-3.1.2-22; 5.0 allows a password without a user name. */
    if (f->version != MQD_V5 && k->password_flag && !k->username_flag)
        mqd_violation_add(f, MQD_R_CONNECT_PASSWORD_NO_USERNAME, off, b);
}

/* s3.1.3.1. */
static void check_client_id(mqd_frame *f, const mqd_connect *k)
{
    const mqd_str *id = &k->client_id;
    if (f->version == MQD_V31) {
        /* 3.1: 1 to 23 characters. */
        if (id->len == 0 || id->len > 23)
            mqd_violation_add(f, MQD_R_CONNECT_CLIENT_ID_31_LENGTH, id->off,
                              id->len);
        return;
    }
    if (f->version == MQD_V311 && id->len == 0 && !k->clean_start)
        mqd_violation_add(f, MQD_R_CONNECT_CLIENT_ID_EMPTY_SESSION, id->off, 0);
    /* MQTT-3.1.3-5: every server must accept 1 to 23 bytes; a longer one
     * may be rejected. Characters outside 0-9a-zA-Z are not flagged: every
     * broker in use accepts '-', '_' and the like, and clients use them
     * everywhere, so reporting them would bury real problems. */
    if (id->len > 23)
        mqd_violation_add(f, MQD_R_CONNECT_CLIENT_ID_UNUSUAL, id->off, id->len);
}

/* A payload field the flags announce: ABSENT is `missing_rule`. */
static bool announced(mqd_frame *f, const mqd_cursor *c, int st,
                      uint16_t missing_rule)
{
    if (st == MQD_READ_ABSENT)
        mqd_violation_add(f, missing_rule, c->pos, 0);
    return st == MQD_READ_OK;
}

/* s3.1.3.2 .. s3.1.3.4: will properties (5.0), topic, payload. */
static bool parse_will(mqd_frame *f, mqd_cursor *c, mqd_connect *k)
{
    mqd_props_seen seen = {0, 0};
    if (f->version == MQD_V5 &&
        !announced(f, c, mqd_props_parse(f, c, &k->will_props, MQD_PLACE_WILL,
                                         &seen),
                   MQD_R_CONNECT_WILL_MISSING))
        return false;
    if (!announced(f, c, mqd_read_utf8(f, c, &k->will_topic),
                   MQD_R_CONNECT_WILL_MISSING))
        return false;
    (void)mqd_check_topic_name(f, &k->will_topic,
                               MQD_R_CONNECT_WILL_TOPIC_WILDCARD);
    if (!announced(f, c, mqd_read_binary(f, c, &k->will_payload),
                   MQD_R_CONNECT_WILL_MISSING))
        return false;
    if (mqd_seen(&seen, MQD_P_PAYLOAD_FORMAT_INDICATOR) &&
        seen.payload_format == 1) {
        size_t bad = 0;
        int st = mqd_utf8_check(k->will_payload.data, k->will_payload.len,
                                &bad);
        if (st == MQD_UTF8_ILL_FORMED || st == MQD_UTF8_SURROGATE)
            mqd_violation_add(f, MQD_R_CONNECT_WILL_PAYLOAD_NOT_UTF8,
                              k->will_payload.off + 2u + (uint32_t)bad, 1);
    }
    return true;
}

static bool parse_variable_header(mqd_frame *f, mqd_cursor *c, mqd_connect *k)
{
    if (!mqd_required(f, c, mqd_read_binary(f, c, &k->protocol_name)))
        return false;
    if (!mqd_required(f, c, mqd_read_u8(f, c, &k->level)))
        return false;
    check_protocol(f, k);
    if (!mqd_required(f, c, mqd_read_u8(f, c, &k->flags)))
        return false;
    decode_flags(f, k);
    if (!mqd_required(f, c, mqd_read_u16(f, c, &k->keep_alive)))
        return false;
    if (f->version == MQD_V5) {
        mqd_props_seen seen;
        int st = mqd_props_parse(f, c, &k->props, mqd_place_of(MQD_CONNECT),
                                 &seen);
        if (!mqd_required(f, c, st))
            return false;
    }
    return true;
}

void mqd_parse_connect(mqd_frame *f, mqd_cursor *c)
{
    mqd_connect *k = &f->connect;
    if (!parse_variable_header(f, c, k))
        return;
    /* MQTT-3.1.3-3: the Client Identifier is always there, first. */
    if (!announced(f, c, mqd_read_utf8(f, c, &k->client_id),
                   MQD_R_CONNECT_CLIENT_ID_MISSING))
        return;
    check_client_id(f, k);
    if (k->will_flag && !parse_will(f, c, k)) /* MQTT-3.1.2-9 */
        return;
    if (k->username_flag && /* MQTT-3.1.2-17, MQTT-3.1.3-12 */
        !announced(f, c, mqd_read_utf8(f, c, &k->username),
                   MQD_R_CONNECT_USERNAME_MISSING))
        return;
    if (k->password_flag) /* MQTT-3.1.2-19 */
        (void)announced(f, c, mqd_read_binary(f, c, &k->password),
                        MQD_R_CONNECT_PASSWORD_MISSING);
}
