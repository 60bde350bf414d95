/* The fixed header, framing, and dispatch by packet type to the parsers of
 * packet.h. MQTT 5.0 s2.1, 3.1.1 s2.2. */
#include <stddef.h>
#include <string.h>

#include "cursor.h"
#include "fields.h"
#include "packet.h"
#include "violation.h"

/* ---- fixed header ---------------------------------------------------------- */

/* s2.1.3 (3.1.1 s2.2.2): the flags each type must carry; PUBLISH's are its
 * own (DUP, QoS, RETAIN), checked separately. */
static bool flags_valid(uint8_t type, uint8_t flags)
{
    switch (type) {
    case MQD_PUBLISH:
        return true;
    case MQD_PUBREL:
    case MQD_SUBSCRIBE:
    case MQD_UNSUBSCRIBE:
        return flags == 0x2;
    default:
        return flags == 0x0;
    }
}

static uint32_t clamp_len(size_t len)
{
    return len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
}

/* Results are returned as one initialiser, never a zeroed struct patched
 * field by field: copying such a struct out reads it back whole before the
 * narrow stores have landed, which stalls every call on the hot path. */
static mqd_result fixed_header_result(int status, uint32_t size, size_t need,
                                      uint32_t err_off, uint16_t err_rule)
{
    mqd_result r = {status, size, need, err_off, err_rule};
    return r;
}

/* Reads the header byte and the remaining length into the caller's fields
 * (which are zero). Shared by mqd_fixed_header_read and mqd_parse so that
 * neither copies a freshly written header struct. */
static inline mqd_result read_fixed_header(const uint8_t *buf, size_t len,
                                           uint8_t *header,
                                           mqd_varint *remaining)
{
    mqd_cursor c = mqd_cursor_make(buf, 0, clamp_len(len));
    if (!mqd_get_u8(&c, header))
        return fixed_header_result(MQD_NEED_MORE, 0, 1, 0, 0);
    switch (mqd_get_varint(&c, remaining)) {
    case MQD_VARINT_OK:
        return fixed_header_result(
            MQD_OK, 1u + remaining->nbytes + remaining->value, 0, 0, 0);
    case MQD_VARINT_CUT:
        /* A lower bound: at least one more byte of the length. */
        return fixed_header_result(MQD_NEED_MORE, 0, len + 1, 0, 0);
    default:
        /* s1.5.5: at most 4 bytes; no frame boundary can follow. */
        return fixed_header_result(MQD_ERROR, 0, 0, 4, MQD_R_RL_TOO_LONG);
    }
}

mqd_result mqd_fixed_header_read(const uint8_t *buf, size_t len,
                                 mqd_fixed_header *out)
{
    memset(out, 0, sizeof *out);
    mqd_result r = read_fixed_header(buf, len, &out->header, &out->remaining);
    out->type = (uint8_t)(out->header >> 4);
    out->flags = (uint8_t)(out->header & 0x0Fu);
    return r;
}

/* The version the body is decoded with: AUTH exists only in 5.0; unknown
 * decodes as 3.1.1. (CONNECT replaces it with its own level.) */
static uint8_t body_version(uint8_t type, uint8_t version)
{
    if (type == MQD_AUTH)
        return MQD_V5;
    if (version == MQD_V31 || version == MQD_V311 || version == MQD_V5)
        return version;
    return MQD_V311;
}

static void check_fixed_header(mqd_frame *f, uint8_t asked_version)
{
    if (f->type == MQD_RESERVED)
        mqd_violation_add(f, MQD_R_TYPE_RESERVED, 0, 0);
    else if (!flags_valid(f->type, f->flags))
        mqd_violation_add(f, MQD_R_FLAGS_RESERVED, 0, f->flags);
    if (f->type == MQD_PUBLISH) {
        if (f->qos == 3) /* MQTT-3.3.1-4 */
            mqd_violation_add(f, MQD_R_PUBLISH_QOS_3, 0, f->qos);
        /* MQTT-3.3.1-2 (from 3.1.1 on). */
        if (f->qos == 0 && f->dup && f->version != MQD_V31)
            mqd_violation_add(f, MQD_R_PUBLISH_DUP_QOS0, 0, f->flags);
    }
    if (f->type == MQD_AUTH &&
        (asked_version == MQD_V31 || asked_version == MQD_V311))
        mqd_violation_add(f, MQD_R_AUTH_BEFORE_V5, 0, asked_version);
    /* MQTT-1.5.5-1 is a MUST of 5.0; 3.1.1 s2.2.3 only describes the
     * encoding, so there a longer one is a warning. */
    if (!f->remaining.minimal)
        mqd_violation_add(f, f->version == MQD_V5 ? MQD_R_RL_NOT_MINIMAL
                                                  : MQD_R_RL_NOT_MINIMAL_V3,
                          1, f->remaining.nbytes);
}

static void parse_body(mqd_frame *f, mqd_cursor *c)
{
    switch (f->type) {
    case MQD_CONNECT:
        mqd_parse_connect(f, c);
        break;
    case MQD_CONNACK:
        mqd_parse_connack(f, c);
        break;
    case MQD_PUBLISH:
        mqd_parse_publish(f, c);
        break;
    case MQD_PUBACK:
    case MQD_PUBREC:
    case MQD_PUBREL:
    case MQD_PUBCOMP:
        mqd_parse_pub_ack(f, c);
        break;
    case MQD_SUBSCRIBE:
        mqd_parse_subscribe(f, c);
        break;
    case MQD_SUBACK:
        mqd_parse_suback(f, c);
        break;
    case MQD_UNSUBSCRIBE:
        mqd_parse_unsubscribe(f, c);
        break;
    case MQD_UNSUBACK:
        mqd_parse_unsuback(f, c);
        break;
    case MQD_PINGREQ:
    case MQD_PINGRESP:
        mqd_parse_no_body(f, c);
        break;
    case MQD_DISCONNECT:
        mqd_parse_disconnect(f, c);
        break;
    case MQD_AUTH:
        mqd_parse_auth(f, c);
        break;
    default:
        break; /* type 0: nothing to decode, all trailing */
    }
}

/* Clears every field but the violation entries: only violations[0 ..
 * nviolations) mean anything, and the entries are half the frame, cleared
 * for nothing on every message otherwise. */
static void frame_clear(mqd_frame *f)
{
    memset(f, 0, offsetof(mqd_frame, violations));
}

mqd_result mqd_parse(const uint8_t *buf, size_t len, uint8_t version,
                     mqd_frame *out)
{
    frame_clear(out);
    mqd_result r = read_fixed_header(buf, len, &out->header, &out->remaining);
    if (r.status != MQD_OK || len < r.size) {
        uint32_t size = r.size;
        frame_clear(out); /* nothing decoded */
        if (r.status != MQD_OK)
            return r;
        return fixed_header_result(MQD_NEED_MORE, 0, size, 0, 0);
    }
    uint8_t type = (uint8_t)(out->header >> 4);
    uint8_t flags = (uint8_t)(out->header & 0x0Fu);
    out->base = buf;
    out->size = r.size;
    out->type = type;
    out->flags = flags;
    if (type == MQD_PUBLISH) {
        out->dup = (flags & 0x8u) != 0;
        out->qos = (uint8_t)((flags >> 1) & 0x3u);
        out->retain = (flags & 0x1u) != 0;
    }
    out->version = body_version(type, version);
    out->version_inferred = version == MQD_VERSION_UNKNOWN && type != MQD_CONNECT;
    check_fixed_header(out, version);

    mqd_cursor body = mqd_cursor_make(buf, 1u + out->remaining.nbytes, r.size);
    parse_body(out, &body);
    if (mqd_cursor_left(&body) > 0)
        mqd_span_rest(out, &body, MQD_R_TRAILING_BYTES);
    return fixed_header_result(MQD_OK, r.size, 0, 0, 0);
}

uint8_t mqd_connect_version(const mqd_frame *f)
{
    if (f->type != MQD_CONNECT || !f->connect.level.present)
        return MQD_VERSION_UNKNOWN;
    uint32_t level = f->connect.level.value;
    if (level == (0x80u | MQD_V31) || level == (0x80u | MQD_V311))
        level &= 0x7Fu; /* a mosquitto bridge (MQD_R_CONNECT_BRIDGE_LEVEL) */
    if (level == MQD_V31 || level == MQD_V311 || level == MQD_V5)
        return (uint8_t)level;
    return MQD_VERSION_UNKNOWN;
}

/* ---- version inference and resync scoring -------------------------------- */

uint8_t mqd_infer_version(const uint8_t *buf, size_t len)
{
    mqd_frame f4, f5;
    if (mqd_parse(buf, len, MQD_V311, &f4).status != MQD_OK)
        return MQD_VERSION_UNKNOWN;
    if (f4.type == MQD_CONNECT)
        return mqd_connect_version(&f4);
    (void)mqd_parse(buf, len, MQD_V5, &f5);
    unsigned e4 = mqd_violation_errors(&f4);
    unsigned e5 = mqd_violation_errors(&f5);
    if (e4 == 0 && e5 > 0)
        return MQD_V311;
    if (e5 == 0 && e4 > 0)
        return MQD_V5;
    return MQD_VERSION_UNKNOWN;
}

/* True when buf[0..len) starts with a header byte whose type and flags are
 * a legal combination (used to look one frame ahead). */
static bool header_byte_plausible(const uint8_t *buf, size_t len)
{
    mqd_cursor c = mqd_cursor_make(buf, 0, clamp_len(len));
    uint8_t b;
    if (!mqd_get_u8(&c, &b))
        return false;
    uint8_t type = (uint8_t)(b >> 4), flags = (uint8_t)(b & 0xFu);
    if (type == MQD_RESERVED || !flags_valid(type, flags))
        return false;
    return type != MQD_PUBLISH || (flags & 0x6u) != 0x6u;
}

int mqd_frame_plausibility(const uint8_t *buf, size_t len, uint8_t version)
{
    mqd_fixed_header h;
    mqd_result r = mqd_fixed_header_read(buf, len, &h);
    if (r.status == MQD_ERROR || (r.status == MQD_OK && len == 0))
        return 0;
    if (!header_byte_plausible(buf, len))
        return 0;
    if (h.type == MQD_AUTH && (version == MQD_V31 || version == MQD_V311))
        return 2;
    if (r.status == MQD_NEED_MORE)
        return 10; /* a good header byte, the length still cut */
    if (!h.remaining.minimal)
        return 5;
    if (len < r.size)
        return 30; /* cannot check the body yet */

    mqd_frame f;
    (void)mqd_parse(buf, len, version, &f);
    unsigned errors = mqd_violation_errors(&f);
    int score;
    if (errors > 0)
        score = errors >= 5 ? 10 : 40 - 6 * (int)errors;
    else if (f.size <= 2)
        score = 35; /* 0xC0 0x00 and friends turn up in data by chance */
    else if (f.size <= 4)
        score = 70;
    else
        score = 85;
    /* A plausible header right after the frame is strong evidence. */
    if (len > f.size && header_byte_plausible(buf + f.size, len - f.size))
        score += 15;
    return score > 100 ? 100 : score;
}
