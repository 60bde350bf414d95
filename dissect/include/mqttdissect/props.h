/* mqttdissect: MQTT 5.0 properties (MQTT 5.0 s2.2.2). */
#ifndef MQTTDISSECT_PROPS_H
#define MQTTDISSECT_PROPS_H

#include "mqttdissect/frame.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Property identifiers (MQTT 5.0 s2.2.2.2, table 2-4). */
enum mqd_prop_id {
    MQD_P_PAYLOAD_FORMAT_INDICATOR = 0x01,
    MQD_P_MESSAGE_EXPIRY_INTERVAL = 0x02,
    MQD_P_CONTENT_TYPE = 0x03,
    MQD_P_RESPONSE_TOPIC = 0x08,
    MQD_P_CORRELATION_DATA = 0x09,
    MQD_P_SUBSCRIPTION_IDENTIFIER = 0x0B,
    MQD_P_SESSION_EXPIRY_INTERVAL = 0x11,
    MQD_P_ASSIGNED_CLIENT_IDENTIFIER = 0x12,
    MQD_P_SERVER_KEEP_ALIVE = 0x13,
    MQD_P_AUTHENTICATION_METHOD = 0x15,
    MQD_P_AUTHENTICATION_DATA = 0x16,
    MQD_P_REQUEST_PROBLEM_INFORMATION = 0x17,
    MQD_P_WILL_DELAY_INTERVAL = 0x18,
    MQD_P_REQUEST_RESPONSE_INFORMATION = 0x19,
    MQD_P_RESPONSE_INFORMATION = 0x1A,
    MQD_P_SERVER_REFERENCE = 0x1C,
    MQD_P_REASON_STRING = 0x1F,
    MQD_P_RECEIVE_MAXIMUM = 0x21,
    MQD_P_TOPIC_ALIAS_MAXIMUM = 0x22,
    MQD_P_TOPIC_ALIAS = 0x23,
    MQD_P_MAXIMUM_QOS = 0x24,
    MQD_P_RETAIN_AVAILABLE = 0x25,
    MQD_P_USER_PROPERTY = 0x26,
    MQD_P_MAXIMUM_PACKET_SIZE = 0x27,
    MQD_P_WILDCARD_SUBSCRIPTION_AVAILABLE = 0x28,
    MQD_P_SUBSCRIPTION_IDENTIFIER_AVAILABLE = 0x29,
    MQD_P_SHARED_SUBSCRIPTION_AVAILABLE = 0x2A
};

/* The data types a property value can have (MQTT 5.0 s1.5). */
enum mqd_prop_type {
    MQD_PT_BYTE,
    MQD_PT_U16,
    MQD_PT_U32,
    MQD_PT_VARINT,
    MQD_PT_UTF8,
    MQD_PT_UTF8_PAIR,
    MQD_PT_BINARY
};

/* Where a property may appear: the packet types as bits (1u << MQD_CONNECT,
 * ...), plus the will properties of CONNECT, which are not CONNECT's own. */
#define MQD_PLACE_WILL (1u << 16)

typedef struct mqd_prop_info {
    uint8_t id;
    uint8_t type;        /* enum mqd_prop_type */
    bool repeatable;     /* may appear more than once in one packet */
    uint32_t allowed;    /* bit set of places, see MQD_PLACE_WILL */
    const char *name;    /* "Payload Format Indicator" */
    const char *key;     /* "payload_format_indicator": for JSON output */
} mqd_prop_info;

/* The table entry for a property id, or NULL for an unknown id. */
const mqd_prop_info *mqd_prop_lookup(uint8_t id);

/* One decoded property. Offsets are from the frame's first byte. */
typedef struct mqd_prop {
    uint8_t id;
    const mqd_prop_info *info; /* NULL when the id is unknown */
    uint32_t off;              /* offset of the identifier byte */
    uint32_t len;              /* bytes of identifier and value */
    uint32_t value;            /* BYTE, U16, U32, VARINT */
    mqd_varint varint;         /* VARINT: its encoding */
    mqd_str str;               /* UTF8, BINARY, and the name of a UTF8_PAIR */
    mqd_str str2;              /* the value of a UTF8_PAIR */
} mqd_prop;

typedef struct mqd_prop_iter {
    const uint8_t *base; /* the frame's first byte */
    uint32_t pos, end;
} mqd_prop_iter;

void mqd_prop_iter_init(mqd_prop_iter *it, const mqd_frame *f,
                        const mqd_props *block);
/* Next property: true with *out filled; false at the end of the block, at an
 * unknown id, or at a value cut by the end of the block (mqd_parse has
 * reported those; iteration cannot continue past them). */
bool mqd_prop_next(mqd_prop_iter *it, mqd_prop *out);

/* Finds the first property `id` in a block: true with *out filled. */
bool mqd_prop_find(const mqd_frame *f, const mqd_props *block, uint8_t id,
                   mqd_prop *out);

#ifdef __cplusplus
}
#endif

#endif
