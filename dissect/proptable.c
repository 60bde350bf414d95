/* The MQTT 5.0 property table (s2.2.2.2, table 2-4): identifier, value type,
 * whether it may repeat, where it may appear, and its names. Listed once in
 * MQD_PROPERTIES; the table and its 256-entry index are both generated from
 * that list, so mqd_prop_lookup is one array read. */
#include "mqttdissect/props.h"

#include <stddef.h>

/* Places as bits (props.h): packet types, and the will properties. */
#define P_CONNECT (1u << MQD_CONNECT)
#define P_CONNACK (1u << MQD_CONNACK)
#define P_PUBLISH (1u << MQD_PUBLISH)
#define P_PUBACK (1u << MQD_PUBACK)
#define P_PUBREC (1u << MQD_PUBREC)
#define P_PUBREL (1u << MQD_PUBREL)
#define P_PUBCOMP (1u << MQD_PUBCOMP)
#define P_SUBSCRIBE (1u << MQD_SUBSCRIBE)
#define P_SUBACK (1u << MQD_SUBACK)
#define P_UNSUBSCRIBE (1u << MQD_UNSUBSCRIBE)
#define P_UNSUBACK (1u << MQD_UNSUBACK)
#define P_DISCONNECT (1u << MQD_DISCONNECT)
#define P_AUTH (1u << MQD_AUTH)
#define P_WILL MQD_PLACE_WILL

/* The acknowledgements and other packets that carry a Reason String. */
#define P_ACKS                                                              \
    (P_CONNACK | P_PUBACK | P_PUBREC | P_PUBREL | P_PUBCOMP | P_SUBACK |    \
     P_UNSUBACK | P_DISCONNECT | P_AUTH)

/* Every packet with a property block, and the will properties: User
 * Property may appear in all of them (s2.2.2.2). */
#define P_ALL (P_CONNECT | P_PUBLISH | P_SUBSCRIBE | P_UNSUBSCRIBE | P_ACKS | P_WILL)

/* X(name, type, repeatable, places, human name, JSON key).
 *
 * Repeatable: User Property everywhere (s3.1.2.11.8 and the like: "allowed
 * to appear multiple times"). Subscription Identifier is marked repeatable
 * because a server's PUBLISH may carry one per matching subscription
 * (s3.3.2.3.8), but SUBSCRIBE may carry at most one (s3.8.2.1.2: more than
 * one is a Protocol Error): the property parser must apply the
 * PUBLISH-only case itself. Everything else is a Protocol Error when it
 * appears twice. */
#define MQD_PROPERTIES(X)                                                    \
    X(PAYLOAD_FORMAT_INDICATOR, MQD_PT_BYTE, false, P_PUBLISH | P_WILL,      \
      "Payload Format Indicator", "payload_format_indicator")                \
    X(MESSAGE_EXPIRY_INTERVAL, MQD_PT_U32, false, P_PUBLISH | P_WILL,        \
      "Message Expiry Interval", "message_expiry_interval")                  \
    X(CONTENT_TYPE, MQD_PT_UTF8, false, P_PUBLISH | P_WILL, "Content Type",  \
      "content_type")                                                        \
    X(RESPONSE_TOPIC, MQD_PT_UTF8, false, P_PUBLISH | P_WILL,                \
      "Response Topic", "response_topic")                                    \
    X(CORRELATION_DATA, MQD_PT_BINARY, false, P_PUBLISH | P_WILL,            \
      "Correlation Data", "correlation_data")                                \
    X(SUBSCRIPTION_IDENTIFIER, MQD_PT_VARINT, true, P_PUBLISH | P_SUBSCRIBE, \
      "Subscription Identifier", "subscription_identifier")                  \
    X(SESSION_EXPIRY_INTERVAL, MQD_PT_U32, false,                            \
      P_CONNECT | P_CONNACK | P_DISCONNECT, "Session Expiry Interval",       \
      "session_expiry_interval")                                             \
    X(ASSIGNED_CLIENT_IDENTIFIER, MQD_PT_UTF8, false, P_CONNACK,             \
      "Assigned Client Identifier", "assigned_client_identifier")            \
    X(SERVER_KEEP_ALIVE, MQD_PT_U16, false, P_CONNACK, "Server Keep Alive",  \
      "server_keep_alive")                                                   \
    X(AUTHENTICATION_METHOD, MQD_PT_UTF8, false,                             \
      P_CONNECT | P_CONNACK | P_AUTH, "Authentication Method",               \
      "authentication_method")                                               \
    X(AUTHENTICATION_DATA, MQD_PT_BINARY, false,                             \
      P_CONNECT | P_CONNACK | P_AUTH, "Authentication Data",                 \
      "authentication_data")                                                 \
    X(REQUEST_PROBLEM_INFORMATION, MQD_PT_BYTE, false, P_CONNECT,            \
      "Request Problem Information", "request_problem_information")          \
    X(WILL_DELAY_INTERVAL, MQD_PT_U32, false, P_WILL, "Will Delay Interval", \
      "will_delay_interval")                                                 \
    X(REQUEST_RESPONSE_INFORMATION, MQD_PT_BYTE, false, P_CONNECT,           \
      "Request Response Information", "request_response_information")        \
    X(RESPONSE_INFORMATION, MQD_PT_UTF8, false, P_CONNACK,                   \
      "Response Information", "response_information")                        \
    X(SERVER_REFERENCE, MQD_PT_UTF8, false, P_CONNACK | P_DISCONNECT,        \
      "Server Reference", "server_reference")                                \
    X(REASON_STRING, MQD_PT_UTF8, false, P_ACKS, "Reason String",            \
      "reason_string")                                                       \
    X(RECEIVE_MAXIMUM, MQD_PT_U16, false, P_CONNECT | P_CONNACK,             \
      "Receive Maximum", "receive_maximum")                                  \
    X(TOPIC_ALIAS_MAXIMUM, MQD_PT_U16, false, P_CONNECT | P_CONNACK,         \
      "Topic Alias Maximum", "topic_alias_maximum")                          \
    X(TOPIC_ALIAS, MQD_PT_U16, false, P_PUBLISH, "Topic Alias",              \
      "topic_alias")                                                         \
    X(MAXIMUM_QOS, MQD_PT_BYTE, false, P_CONNACK, "Maximum QoS",             \
      "maximum_qos")                                                         \
    X(RETAIN_AVAILABLE, MQD_PT_BYTE, false, P_CONNACK, "Retain Available",   \
      "retain_available")                                                    \
    X(USER_PROPERTY, MQD_PT_UTF8_PAIR, true, P_ALL, "User Property",         \
      "user_property")                                                       \
    X(MAXIMUM_PACKET_SIZE, MQD_PT_U32, false, P_CONNECT | P_CONNACK,         \
      "Maximum Packet Size", "maximum_packet_size")                          \
    X(WILDCARD_SUBSCRIPTION_AVAILABLE, MQD_PT_BYTE, false, P_CONNACK,        \
      "Wildcard Subscription Available", "wildcard_subscription_available")  \
    X(SUBSCRIPTION_IDENTIFIER_AVAILABLE, MQD_PT_BYTE, false, P_CONNACK,      \
      "Subscription Identifier Available",                                   \
      "subscription_identifier_available")                                   \
    X(SHARED_SUBSCRIPTION_AVAILABLE, MQD_PT_BYTE, false, P_CONNACK,          \
      "Shared Subscription Available", "shared_subscription_available")

/* Position of each property in the table. */
enum prop_slot {
#define X(n, t, r, a, hn, k) SLOT_##n,
    MQD_PROPERTIES(X)
#undef X
    SLOT_COUNT
};

static const mqd_prop_info prop_table[SLOT_COUNT] = {
#define X(n, t, r, a, hn, k) [SLOT_##n] = {MQD_P_##n, (uint8_t)(t), r, (uint32_t)(a), hn, k},
    MQD_PROPERTIES(X)
#undef X
};

/* Identifier -> slot + 1; 0 for identifiers MQTT 5.0 does not define. */
static const uint8_t prop_index[256] = {
#define X(n, t, r, a, hn, k) [MQD_P_##n] = (uint8_t)(SLOT_##n + 1),
    MQD_PROPERTIES(X)
#undef X
};

const mqd_prop_info *mqd_prop_lookup(uint8_t id)
{
    uint8_t slot = prop_index[id];
    return slot ? &prop_table[slot - 1] : NULL;
}
