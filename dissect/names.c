/* Names of packet types, protocol levels, reason codes and return codes.
 * Every name mqttdissect prints for these lives here, as data. Lookups are
 * O(1): the MQTT 5.0 reason table is indexed by the code itself, and each
 * entry carries the set of packet types it is valid in. */
#include "mqttdissect/names.h"

#include <stddef.h>

#include "mqttdissect/frame.h"

/* Packet types as bits, so an entry can list where it is valid. */
#define T_CONNACK (1u << MQD_CONNACK)
#define T_PUBACK (1u << MQD_PUBACK)
#define T_PUBREC (1u << MQD_PUBREC)
#define T_PUBREL (1u << MQD_PUBREL)
#define T_PUBCOMP (1u << MQD_PUBCOMP)
#define T_SUBACK (1u << MQD_SUBACK)
#define T_UNSUBACK (1u << MQD_UNSUBACK)
#define T_DISCONNECT (1u << MQD_DISCONNECT)
#define T_AUTH (1u << MQD_AUTH)

/* Packet types that carry a failure code for a PUBLISH or a subscription:
 * the spec lists these together for most of the generic failures. */
#define T_PUB_ACKS (T_PUBACK | T_PUBREC)
#define T_SUB_ACKS (T_SUBACK | T_UNSUBACK)

/* MQTT 5.0 s2.1.2 table 2-1 (3.1.1 s2.2.1 table 2.1): control packet types. */
static const char *const type_names[16] = {
    "RESERVED", "CONNECT",  "CONNACK",     "PUBLISH",
    "PUBACK",   "PUBREC",   "PUBREL",      "PUBCOMP",
    "SUBSCRIBE", "SUBACK",  "UNSUBSCRIBE", "UNSUBACK",
    "PINGREQ",  "PINGRESP", "DISCONNECT",  "AUTH",
};

const char *mqd_type_name(uint8_t type)
{
    if (type >= 16)
        return "UNKNOWN";
    return type_names[type];
}

const char *mqd_version_name(uint8_t version)
{
    switch (version) {
    case MQD_V31:
        return "3.1";
    case MQD_V311:
        return "3.1.1";
    case MQD_V5:
        return "5.0";
    default:
        return "unknown";
    }
}

/* ---- MQTT 5.0 reason codes (s2.4, table 2-6) ---------------------------- */

/* A name that one code takes in one packet type, where it differs from the
 * code's usual name (only 0x00 has these). */
typedef struct reason_variant {
    uint8_t type;
    const char *name;
} reason_variant;

typedef struct reason_info {
    uint16_t types;                 /* bit (1u << type) per valid packet type */
    uint8_t nvariants;
    const char *name;               /* NULL: no such code */
    const reason_variant *variants; /* per-type names overriding `name` */
} reason_info;

/* 0x00 is "Success" except in DISCONNECT (s3.14.2.1) and SUBACK (s3.9.3). */
static const reason_variant zero_variants[] = {
    {MQD_DISCONNECT, "Normal disconnection"},
    {MQD_SUBACK, "Granted QoS 0"},
};

#define R(types_, name_) {(uint16_t)(types_), 0, name_, NULL}

/* Indexed by the code. The packet types of each code follow table 2-6 and
 * the per-packet lists of s3.2.2.2 (CONNACK), s3.4.2.1 (PUBACK), s3.5.2.1
 * (PUBREC), s3.6.2.1 (PUBREL), s3.7.2.1 (PUBCOMP), s3.9.3 (SUBACK), s3.11.3
 * (UNSUBACK), s3.14.2.1 (DISCONNECT) and s3.15.2.1 (AUTH); the two agree. */
static const reason_info v5_reasons[256] = {
    [0x00] = {(uint16_t)(T_CONNACK | T_PUB_ACKS | T_PUBREL | T_PUBCOMP |
                         T_SUB_ACKS | T_DISCONNECT | T_AUTH),
              (uint8_t)(sizeof zero_variants / sizeof zero_variants[0]),
              "Success", zero_variants},
    [0x01] = R(T_SUBACK, "Granted QoS 1"),
    [0x02] = R(T_SUBACK, "Granted QoS 2"),
    [0x04] = R(T_DISCONNECT, "Disconnect with Will Message"),
    [0x10] = R(T_PUB_ACKS, "No matching subscribers"),
    [0x11] = R(T_UNSUBACK, "No subscription existed"),
    [0x18] = R(T_AUTH, "Continue authentication"),
    [0x19] = R(T_AUTH, "Re-authenticate"),
    [0x80] = R(T_CONNACK | T_PUB_ACKS | T_SUB_ACKS | T_DISCONNECT,
               "Unspecified error"),
    [0x81] = R(T_CONNACK | T_DISCONNECT, "Malformed Packet"),
    [0x82] = R(T_CONNACK | T_DISCONNECT, "Protocol Error"),
    [0x83] = R(T_CONNACK | T_PUB_ACKS | T_SUB_ACKS | T_DISCONNECT,
               "Implementation specific error"),
    [0x84] = R(T_CONNACK, "Unsupported Protocol Version"),
    [0x85] = R(T_CONNACK, "Client Identifier not valid"),
    [0x86] = R(T_CONNACK, "Bad User Name or Password"),
    [0x87] = R(T_CONNACK | T_PUB_ACKS | T_SUB_ACKS | T_DISCONNECT,
               "Not authorized"),
    [0x88] = R(T_CONNACK, "Server unavailable"),
    [0x89] = R(T_CONNACK | T_DISCONNECT, "Server busy"),
    [0x8A] = R(T_CONNACK, "Banned"),
    [0x8B] = R(T_DISCONNECT, "Server shutting down"),
    [0x8C] = R(T_CONNACK | T_DISCONNECT, "Bad authentication method"),
    [0x8D] = R(T_DISCONNECT, "Keep Alive timeout"),
    [0x8E] = R(T_DISCONNECT, "Session taken over"),
    [0x8F] = R(T_SUB_ACKS | T_DISCONNECT, "Topic Filter invalid"),
    [0x90] = R(T_CONNACK | T_PUB_ACKS | T_DISCONNECT, "Topic Name invalid"),
    [0x91] = R(T_PUB_ACKS | T_SUB_ACKS, "Packet Identifier in use"),
    [0x92] = R(T_PUBREL | T_PUBCOMP, "Packet Identifier not found"),
    [0x93] = R(T_DISCONNECT, "Receive Maximum exceeded"),
    [0x94] = R(T_DISCONNECT, "Topic Alias invalid"),
    [0x95] = R(T_CONNACK | T_DISCONNECT, "Packet too large"),
    [0x96] = R(T_DISCONNECT, "Message rate too high"),
    [0x97] = R(T_CONNACK | T_PUB_ACKS | T_SUBACK | T_DISCONNECT,
               "Quota exceeded"),
    [0x98] = R(T_DISCONNECT, "Administrative action"),
    [0x99] = R(T_CONNACK | T_PUB_ACKS | T_DISCONNECT,
               "Payload format invalid"),
    [0x9A] = R(T_CONNACK | T_DISCONNECT, "Retain not supported"),
    [0x9B] = R(T_CONNACK | T_DISCONNECT, "QoS not supported"),
    [0x9C] = R(T_CONNACK | T_DISCONNECT, "Use another server"),
    [0x9D] = R(T_CONNACK | T_DISCONNECT, "Server moved"),
    [0x9E] = R(T_SUBACK | T_DISCONNECT, "Shared Subscriptions not supported"),
    [0x9F] = R(T_CONNACK | T_DISCONNECT, "Connection rate exceeded"),
    [0xA0] = R(T_DISCONNECT, "Maximum connect time"),
    [0xA1] = R(T_SUBACK | T_DISCONNECT,
               "Subscription Identifiers not supported"),
    [0xA2] = R(T_SUBACK | T_DISCONNECT, "Wildcard Subscriptions not supported"),
};

#undef R

static const char *v5_reason_name(uint8_t type, uint8_t code)
{
    const reason_info *r = &v5_reasons[code];
    if (type >= 16 || (r->types & (1u << type)) == 0)
        return NULL;
    for (uint8_t i = 0; i < r->nvariants; i++)
        if (r->variants[i].type == type)
            return r->variants[i].name;
    return r->name;
}

/* ---- MQTT 3.1 / 3.1.1 return codes --------------------------------------- */

/* CONNACK return codes: 3.1.1 s3.2.2.3 table 3.1; MQTT 3.1 defines the same
 * six. 6..255 are reserved. */
static const char *const v3_connack[6] = {
    "Connection Accepted",
    "Connection Refused, unacceptable protocol version",
    "Connection Refused, identifier rejected",
    "Connection Refused, Server unavailable",
    "Connection Refused, bad user name or password",
    "Connection Refused, not authorized",
};

/* SUBACK return codes: 3.1.1 s3.9.3 (0x00..0x02 and 0x80; the rest are
 * reserved, MQTT-3.9.3-2). MQTT 3.1 has only the granted QoS values: a failed
 * subscription could not be reported before 3.1.1. */
static const char *const v3_suback_granted[3] = {
    "Success - Maximum QoS 0",
    "Success - Maximum QoS 1",
    "Success - Maximum QoS 2",
};

static const char *v3_reason_name(uint8_t type, uint8_t version, uint8_t code)
{
    if (type == MQD_CONNACK)
        return code < 6 ? v3_connack[code] : NULL;
    if (type != MQD_SUBACK)
        return NULL;
    if (code < 3)
        return v3_suback_granted[code];
    if (code == 0x80 && version == MQD_V311)
        return "Failure";
    return NULL;
}

/* MQD_VERSION_UNKNOWN: CONNACK and SUBACK as 3.1.1 (the codes they share
 * with 5.0 mean the same), every other type as 5.0, the only version in
 * which it has a reason code. This matches how mqd_parse decodes frames of
 * an unknown version: nothing but 5.0 gives a PUBACK a reason code. */
const char *mqd_reason_name(uint8_t type, uint8_t version, uint8_t code)
{
    switch (version) {
    case MQD_V31:
    case MQD_V311:
        return v3_reason_name(type, version, code);
    case MQD_V5:
        return v5_reason_name(type, code);
    case MQD_VERSION_UNKNOWN:
        if (type == MQD_CONNACK || type == MQD_SUBACK)
            return v3_reason_name(type, MQD_V311, code);
        return v5_reason_name(type, code);
    default:
        return NULL;
    }
}

bool mqd_reason_valid(uint8_t type, uint8_t version, uint8_t code)
{
    return mqd_reason_name(type, version, code) != NULL;
}
