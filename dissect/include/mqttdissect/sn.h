/* mqttdissect: MQTT-SN 1.2 messages (MQTT For Sensor Networks Protocol
 * Specification Version 1.2, Stanford-Clark & Truong, IBM, 2013).
 *
 * An MQTT-SN message travels alone in one datagram (UDP here): no stream
 * framing. mqd_sn_parse decodes the one message of a datagram, zero-copy and
 * without allocation. Every field is a view into the caller's buffer with its
 * offset from the datagram's first byte, so a printer can show the exact
 * bytes behind it. A message a forwarder encapsulated (type 0xFE, s5.5) is
 * decoded as its inner message, with the forwarder header in `fwd`.
 *
 * MQTT-SN strings (ClientId, TopicName, WillTopic, ...) have no length
 * prefix: they run to the end of the message, so they are mqd_bytes.
 */
#ifndef MQTTDISSECT_SN_H
#define MQTTDISSECT_SN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mqttdissect/frame.h"

#ifdef __cplusplus
extern "C" {
#endif

/* s5.2.2 table 3: MsgType values. Those not listed are reserved. */
enum mqd_sn_type {
    MQD_SN_ADVERTISE = 0x00,
    MQD_SN_SEARCHGW = 0x01,
    MQD_SN_GWINFO = 0x02,
    MQD_SN_CONNECT = 0x04,
    MQD_SN_CONNACK = 0x05,
    MQD_SN_WILLTOPICREQ = 0x06,
    MQD_SN_WILLTOPIC = 0x07,
    MQD_SN_WILLMSGREQ = 0x08,
    MQD_SN_WILLMSG = 0x09,
    MQD_SN_REGISTER = 0x0A,
    MQD_SN_REGACK = 0x0B,
    MQD_SN_PUBLISH = 0x0C,
    MQD_SN_PUBACK = 0x0D,
    MQD_SN_PUBCOMP = 0x0E,
    MQD_SN_PUBREC = 0x0F,
    MQD_SN_PUBREL = 0x10,
    MQD_SN_SUBSCRIBE = 0x12,
    MQD_SN_SUBACK = 0x13,
    MQD_SN_UNSUBSCRIBE = 0x14,
    MQD_SN_UNSUBACK = 0x15,
    MQD_SN_PINGREQ = 0x16,
    MQD_SN_PINGRESP = 0x17,
    MQD_SN_DISCONNECT = 0x18,
    MQD_SN_WILLTOPICUPD = 0x1A,
    MQD_SN_WILLTOPICRESP = 0x1B,
    MQD_SN_WILLMSGUPD = 0x1C,
    MQD_SN_WILLMSGRESP = 0x1D,
    MQD_SN_ENCAPSULATED = 0xFE
};

/* s5.3.4: TopicIdType, the two low bits of the flags octet. */
enum mqd_sn_topic_id_type {
    MQD_SN_TOPIC_NORMAL = 0,     /* a topic id registered with REGISTER/SUBACK
                                    (SUBSCRIBE: a topic name) */
    MQD_SN_TOPIC_PREDEFINED = 1, /* a topic id both sides know in advance */
    MQD_SN_TOPIC_SHORT = 2,      /* a two-character topic name */
    MQD_SN_TOPIC_RESERVED = 3
};

/* s5.3.10: ReturnCode values; 0x04..0xFF are reserved. */
enum mqd_sn_return_code {
    MQD_SN_RC_ACCEPTED = 0x00,
    MQD_SN_RC_CONGESTION = 0x01,
    MQD_SN_RC_INVALID_TOPIC_ID = 0x02,
    MQD_SN_RC_NOT_SUPPORTED = 0x03
};

/* s5.3.4: the flags octet, decoded. `byte.present` says the message has
 * one. */
typedef struct mqd_sn_flags {
    mqd_num byte;
    bool dup;              /* bit 7 */
    uint8_t qos_bits;      /* bits 6-5 as on the wire */
    int8_t qos;            /* 0, 1, 2, or -1 for 0b11 */
    bool retain;           /* bit 4 */
    bool will;             /* bit 3 */
    bool clean_session;    /* bit 2 */
    uint8_t topic_id_type; /* bits 1-0: enum mqd_sn_topic_id_type */
} mqd_sn_flags;

/* s5.5: the header a forwarder puts in front of a message it relays. */
typedef struct mqd_sn_forwarder {
    bool present;
    mqd_num length;    /* the Length octet: 3 + bytes of the node id */
    mqd_num msg_type;  /* 0xFE */
    mqd_num ctrl;      /* the Ctrl octet */
    uint8_t radius;    /* bits 1-0 of Ctrl */
    mqd_bytes node_id; /* Wireless Node Id */
} mqd_sn_forwarder;

/* One decoded MQTT-SN message. Fields the type does not carry have
 * present == false. Offsets are from base[0], the datagram's first byte. */
typedef struct mqd_sn_msg {
    const uint8_t *base;   /* the datagram, in the caller's buffer */
    uint32_t datagram_len; /* bytes of the datagram */
    mqd_sn_forwarder fwd;  /* an encapsulated message's forwarder header */

    /* The message (the inner one, when encapsulated). s5.2. */
    uint32_t off;       /* offset of its Length field */
    uint32_t size;      /* bytes decoded as the message, from off */
    mqd_num length;     /* Length: value is the message's total length;
                           off/len cover the 1 or 3 octets of the field */
    bool long_length;   /* the 3-octet form (0x01, then 2 octets) */
    mqd_num msg_type;   /* MsgType octet */
    uint8_t type;       /* enum mqd_sn_type (or a reserved value) */

    /* The variable part, s5.3 and s5.4. */
    mqd_sn_flags flags;
    mqd_num gw_id;       /* ADVERTISE, GWINFO */
    mqd_num duration;    /* ADVERTISE, CONNECT (keep alive), DISCONNECT (sleep) */
    mqd_num radius;      /* SEARCHGW */
    mqd_num protocol_id; /* CONNECT */
    mqd_num topic_id;    /* REGISTER, REGACK, PUBLISH, PUBACK, SUBACK,
                            (UN)SUBSCRIBE with a predefined id */
    mqd_num msg_id;      /* REGISTER, REGACK, PUBLISH, PUBACK, PUBREC/REL/COMP,
                            (UN)SUBSCRIBE, (UN)SUBACK */
    mqd_num return_code; /* CONNACK, REGACK, PUBACK, SUBACK, WILL*RESP */
    mqd_bytes gw_addr;   /* GWINFO, when a client answers for a gateway */
    mqd_bytes client_id; /* CONNECT, PINGREQ (sleeping client) */
    mqd_bytes will_topic; /* WILLTOPIC, WILLTOPICUPD (may be empty) */
    mqd_bytes will_msg;  /* WILLMSG, WILLMSGUPD */
    mqd_bytes topic_name; /* REGISTER, (UN)SUBSCRIBE with a normal name */
    mqd_bytes short_topic; /* the 2 characters of a short topic name:
                              PUBLISH (same bytes as topic_id), (UN)SUBSCRIBE */
    mqd_bytes data;      /* PUBLISH */

    uint16_t nviolations;
    uint16_t violations_dropped; /* found past MQD_MAX_VIOLATIONS */
    mqd_violation violations[MQD_MAX_VIOLATIONS];
} mqd_sn_msg;

/* Decodes the one MQTT-SN message in the datagram buf[0..len).
 * MQD_OK: *out filled, violations included (a length field that disagrees
 * with the datagram is a violation: the datagram bounds the message).
 * MQD_ERROR: not even the Length and MsgType could be read (err_off and
 * err_rule say where and why; *out holds what was found).
 * Never allocates; never reads outside buf[0..len). */
mqd_result mqd_sn_parse(const uint8_t *buf, size_t len, mqd_sn_msg *out);

/* "PUBLISH", "SEARCHGW", ... as in s5.2.2; "ENCAPSULATED" for 0xFE;
 * "RESERVED" for reserved values. */
const char *mqd_sn_type_name(uint8_t type);

/* True for the message types s5.2.2 defines (0xFE included). */
bool mqd_sn_type_known(uint8_t type);

/* "Accepted", "Rejected: congestion", "Rejected: invalid topic ID",
 * "Rejected: not supported"; NULL for reserved codes. */
const char *mqd_sn_return_code_name(uint8_t code);

/* "normal", "predefined", "short", "reserved". */
const char *mqd_sn_topic_id_type_name(uint8_t t);

/* Checked access to a message's bytes: true and *out set when
 * [off, off+len) lies inside the datagram. */
static inline bool mqd_sn_bytes(const mqd_sn_msg *m, uint32_t off,
                                uint32_t len, const uint8_t **out)
{
    if (!m->base || off > m->datagram_len || len > m->datagram_len - off)
        return false;
    *out = m->base + off;
    return true;
}

#ifdef __cplusplus
}
#endif

#endif
