/* mqttdissect: decoded MQTT control packets.
 *
 * A frame is one MQTT control packet: fixed header, variable header, payload.
 * Everything here is a view into the caller's buffer: no field owns memory,
 * every field records where its bytes are (offset from the first byte of the
 * frame, and length), so a printer can show the exact bytes behind it.
 */
#ifndef MQTTDISSECT_FRAME_H
#define MQTTDISSECT_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mqttdissect/rules.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Control packet types, the high nibble of the first byte. */
enum mqd_type {
    MQD_RESERVED = 0,
    MQD_CONNECT = 1,
    MQD_CONNACK = 2,
    MQD_PUBLISH = 3,
    MQD_PUBACK = 4,
    MQD_PUBREC = 5,
    MQD_PUBREL = 6,
    MQD_PUBCOMP = 7,
    MQD_SUBSCRIBE = 8,
    MQD_SUBACK = 9,
    MQD_UNSUBSCRIBE = 10,
    MQD_UNSUBACK = 11,
    MQD_PINGREQ = 12,
    MQD_PINGRESP = 13,
    MQD_DISCONNECT = 14,
    MQD_AUTH = 15
};

/* Protocol levels as carried in CONNECT. 0 means "not known". */
enum mqd_version {
    MQD_VERSION_UNKNOWN = 0,
    MQD_V31 = 3,  /* MQTT 3.1, protocol name "MQIsdp" */
    MQD_V311 = 4, /* MQTT 3.1.1 */
    MQD_V5 = 5    /* MQTT 5.0 */
};

/* Largest remaining length the 4-byte encoding can carry (MQTT 3.1.1 s2.2.3,
 * MQTT 5.0 s1.5.5): 268,435,455 bytes. */
#define MQD_MAX_REMAINING_LENGTH 268435455u

/* A number on the wire: one byte, two- or four-byte big endian integer, or a
 * variable byte integer. */
typedef struct mqd_num {
    bool present;
    uint8_t len;  /* encoded bytes */
    uint32_t off; /* offset of the first byte within the frame */
    uint32_t value;
} mqd_num;

/* A variable byte integer (the remaining length, property length,
 * subscription identifier). */
typedef struct mqd_varint {
    bool present;
    bool minimal;   /* encoded in the fewest bytes possible (MQTT-1.5.5-1) */
    uint8_t nbytes; /* encoded bytes, 1..4 (5 when the fifth byte broke it) */
    uint32_t off;   /* offset of the first encoded byte within the frame */
    uint32_t value;
} mqd_varint;

/* A length-prefixed field: UTF-8 string or binary data (2-byte length, then
 * the bytes). */
typedef struct mqd_str {
    bool present;
    uint16_t len;         /* length of the data, as the prefix says */
    uint32_t off;         /* offset of the 2-byte length prefix */
    const uint8_t *data;  /* first data byte (off + 2), in the caller's buffer */
} mqd_str;

/* A run of bytes with no length prefix of its own (PUBLISH payload, CONNECT
 * will payload in 3.1, reason code lists). */
typedef struct mqd_bytes {
    bool present;
    uint32_t off; /* offset of the first byte */
    uint32_t len;
    const uint8_t *data;
} mqd_bytes;

/* The MQTT 5.0 property block of a packet: the property length and the
 * properties that follow it. Walk them with mqd_prop_iter (props.h). */
typedef struct mqd_props {
    bool present;      /* the packet has a property length field */
    mqd_varint length; /* the property length field */
    uint32_t off;      /* offset of the first property byte */
    uint32_t len;      /* bytes of properties inside the frame (clamped to the
                          frame when the length overruns it) */
    uint16_t count;    /* properties decoded */
} mqd_props;

/* The topic filter list of SUBSCRIBE / UNSUBSCRIBE, or the reason code list
 * of SUBACK / UNSUBACK. Walk a filter list with mqd_filter_iter. Reason
 * codes are the bytes data[0..len). */
typedef struct mqd_list {
    bool present;
    uint32_t off;
    uint32_t len;
    uint32_t count; /* filters, or reason codes */
    const uint8_t *data;
} mqd_list;

/* CONNECT (MQTT 3.1.1 s3.1, 5.0 s3.1). */
typedef struct mqd_connect {
    mqd_str protocol_name; /* "MQTT" or "MQIsdp" */
    mqd_num level;         /* protocol level: 3, 4 or 5 */
    mqd_num flags;         /* connect flags byte */
    bool username_flag, password_flag, will_retain, will_flag, clean_start;
    bool reserved_flag;
    uint8_t will_qos;
    mqd_num keep_alive; /* seconds */
    mqd_props props;    /* 5.0 */
    mqd_str client_id;
    mqd_props will_props; /* 5.0 */
    mqd_str will_topic;
    mqd_str will_payload; /* binary data */
    mqd_str username;
    mqd_str password; /* binary data */
} mqd_connect;

/* One violation of the specification found in a frame. */
typedef struct mqd_violation {
    uint16_t rule;  /* enum mqd_rule; see mqd_rule_get() for id and text */
    uint32_t off;   /* offset within the frame of the offending byte */
    uint32_t value; /* context: the bad value, property id, ... (rule says) */
} mqd_violation;

#define MQD_MAX_VIOLATIONS 32

/* A decoded control packet. Fields not used by the packet type have
 * present == false. Offsets are from base[0], the fixed header byte. */
typedef struct mqd_frame {
    const uint8_t *base; /* first byte of the frame, in the caller's buffer */
    uint32_t size;       /* bytes of the whole frame: 1 + nbytes + value */
    uint8_t version;     /* enum mqd_version used to decode the body */
    bool version_inferred; /* the version was inferred, not known from CONNECT */

    /* Fixed header (s2.1 / s2.2). */
    uint8_t header; /* the first byte */
    uint8_t type;   /* enum mqd_type, high nibble */
    uint8_t flags;  /* low nibble */
    bool dup;       /* PUBLISH */
    uint8_t qos;    /* PUBLISH: the two QoS bits, 0..3 as on the wire */
    bool retain;    /* PUBLISH */
    mqd_varint remaining; /* the remaining length */

    /* Variable header and payload; which are present depends on the type. */
    mqd_num packet_id;   /* PUBLISH qos>0, PUBACK..PUBCOMP, (UN)SUBSCRIBE, (UN)SUBACK */
    mqd_num ack_flags;   /* CONNACK acknowledge flags; bit 0 session present */
    mqd_num reason;      /* CONNACK return/reason code, PUBACK..PUBCOMP,
                            DISCONNECT, AUTH reason code (5.0) */
    mqd_props props;     /* 5.0 property block of the packet */
    mqd_str topic;       /* PUBLISH topic name */
    mqd_bytes payload;   /* PUBLISH application message */
    mqd_list list;       /* (UN)SUBSCRIBE filters, (UN)SUBACK reason codes */
    mqd_connect connect; /* CONNECT only */

    /* Every violation found, in order of offset as decoded. */
    uint16_t nviolations;
    uint16_t violations_dropped; /* found past MQD_MAX_VIOLATIONS */
    mqd_violation violations[MQD_MAX_VIOLATIONS];
} mqd_frame;

/* Outcome of framing or parsing. */
enum mqd_status {
    MQD_OK = 0,         /* a complete frame */
    MQD_NEED_MORE = -2, /* incomplete: call again with at least `need` bytes */
    MQD_ERROR = -1      /* framing is broken: see err_off and err_rule */
};

typedef struct mqd_result {
    int status;       /* enum mqd_status */
    uint32_t size;    /* MQD_OK: bytes of the frame */
    size_t need;      /* MQD_NEED_MORE: total bytes wanted from buf[0] (a
                         lower bound while the remaining length is cut) */
    uint32_t err_off; /* MQD_ERROR: offset of the offending byte */
    uint16_t err_rule; /* MQD_ERROR: enum mqd_rule */
} mqd_result;

/* The fixed header alone: type, flags, remaining length. */
typedef struct mqd_fixed_header {
    uint8_t header;
    uint8_t type;
    uint8_t flags;
    mqd_varint remaining;
} mqd_fixed_header;

/* Reads the fixed header at buf[0..len). MQD_OK: *out filled and r.size is
 * the whole frame's size (which may exceed len: the caller decides whether to
 * wait for it). MQD_NEED_MORE when even the remaining length is cut (need is
 * then len + 1). MQD_ERROR when the remaining length has a fifth byte
 * (MQD_R_RL_TOO_LONG): no frame boundary can be found after that. */
mqd_result mqd_fixed_header_read(const uint8_t *buf, size_t len,
                                 mqd_fixed_header *out);

/* Decodes the frame at buf[0..len) as protocol level `version` (3, 4 or 5;
 * MQD_VERSION_UNKNOWN decodes as 3.1.1 for every type but AUTH, and as 5.0
 * for AUTH). MQD_OK: *out filled, violations included, r.size bytes
 * consumed. MQD_NEED_MORE: `need` says how many bytes in all. MQD_ERROR: the
 * remaining length is broken. Never allocates; never reads outside
 * buf[0..len). A malformed body is MQD_OK with violations: framing is still
 * intact. */
mqd_result mqd_parse(const uint8_t *buf, size_t len, uint8_t version,
                     mqd_frame *out);

/* The version a CONNECT frame asks for (its protocol level when it is 3, 4 or
 * 5), or MQD_VERSION_UNKNOWN. */
uint8_t mqd_connect_version(const mqd_frame *f);

/* Guesses the protocol version of a connection seen mid-stream from one
 * complete frame: MQD_V5 or MQD_V311 when the frame decodes cleanly as one and
 * not the other, MQD_VERSION_UNKNOWN when it cannot tell (PINGREQ, ...). */
uint8_t mqd_infer_version(const uint8_t *buf, size_t len);

/* How likely buf starts a well-formed frame, for resynchronisation after a
 * gap: 0 (not at all) to 100. Needs the whole frame in buf to score high. */
int mqd_frame_plausibility(const uint8_t *buf, size_t len, uint8_t version);

/* One entry of a SUBSCRIBE or UNSUBSCRIBE topic filter list. */
typedef struct mqd_filter {
    mqd_str filter;
    mqd_num options; /* SUBSCRIBE: requested QoS (3.x) or subscription options (5.0) */
    uint8_t qos;
    bool no_local;            /* 5.0 */
    bool retain_as_published; /* 5.0 */
    uint8_t retain_handling;  /* 5.0 */
} mqd_filter;

typedef struct mqd_filter_iter {
    const mqd_frame *frame;
    uint32_t pos, end;
} mqd_filter_iter;

void mqd_filter_iter_init(mqd_filter_iter *it, const mqd_frame *f);
/* Next filter: true and *out filled, or false at the end (or at a filter cut
 * by the end of the packet, which mqd_parse has already reported). */
bool mqd_filter_next(mqd_filter_iter *it, mqd_filter *out);

/* Checked access to a decoded frame's bytes: offsets and lengths come from
 * the parser, yet they are checked against the frame's size before a byte is
 * touched. False (and *out untouched) when the range is not inside the
 * frame. */
static inline bool mqd_frame_bytes(const mqd_frame *f, uint32_t off, uint32_t len,
                                   const uint8_t **out)
{
    if (!f->base || off > f->size || len > f->size - off)
        return false;
    *out = f->base + off;
    return true;
}

/* The data of a length-prefixed field (after its 2-byte prefix). */
static inline bool mqd_frame_str(const mqd_frame *f, const mqd_str *s,
                                 const uint8_t **data, size_t *len)
{
    if (!s->present || s->off > UINT32_MAX - 2 ||
        !mqd_frame_bytes(f, s->off + 2, s->len, data))
        return false;
    *len = s->len;
    return true;
}

/* A run of bytes without a prefix (payload, reason code list). */
static inline bool mqd_frame_run(const mqd_frame *f, uint32_t off, uint32_t len,
                                 const uint8_t **data, size_t *n)
{
    if (!mqd_frame_bytes(f, off, len, data))
        return false;
    *n = len;
    return true;
}

/* Checks a topic filter as a SUBSCRIBE's is checked under `version` (5.0
 * also knows shared subscriptions): well-formed UTF-8 without U+0000, not
 * empty, '#' alone as the last level, '+' a whole level (s4.7.1, s4.7.3).
 * Returns the first rule (enum mqd_rule) of error severity it breaks, with
 * the offset of the offending character in *off (may be NULL), or
 * MQD_RULE_COUNT when the filter is valid. */
uint16_t mqd_topic_filter_check(const uint8_t *s, size_t len, uint8_t version,
                                uint32_t *off);

/* Appends a violation found outside the parser (connection state, see
 * cli/session.c) to a decoded frame, so that it prints like the others.
 * `off` is an offset within the frame, `value` the rule's context value.
 * True when recorded; false when `rule` is unknown or the frame already
 * holds MQD_MAX_VIOLATIONS (then it is counted in violations_dropped). */
bool mqd_frame_add_violation(mqd_frame *f, uint16_t rule, uint32_t off,
                             uint32_t value);

#ifdef __cplusplus
}
#endif

#endif
