/* Tests of dissect/names.c and dissect/proptable.c: packet type names,
 * version names, reason and return codes per packet type and version, and
 * the MQTT 5.0 property table. The expectations are written the other way
 * round from the tables under test: reason codes as the per-packet lists of
 * MQTT 5.0 s3.x, not as table 2-6, so the two views check each other. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "mqttdissect/frame.h"
#include "mqttdissect/names.h"
#include "mqttdissect/props.h"

/* ---- packet types and versions ----------------------------------------- */

static void test_type_names(void **state)
{
    (void)state;
    static const char *const want[16] = {
        "RESERVED", "CONNECT", "CONNACK", "PUBLISH", "PUBACK", "PUBREC",
        "PUBREL", "PUBCOMP", "SUBSCRIBE", "SUBACK", "UNSUBSCRIBE", "UNSUBACK",
        "PINGREQ", "PINGRESP", "DISCONNECT", "AUTH",
    };
    for (unsigned t = 0; t < 16; t++)
        assert_string_equal(mqd_type_name((uint8_t)t), want[t]);
    assert_string_equal(mqd_type_name(MQD_AUTH), "AUTH");
    for (unsigned t = 16; t < 256; t++)
        assert_non_null(mqd_type_name((uint8_t)t)); /* never NULL */
}

static void test_version_names(void **state)
{
    (void)state;
    assert_string_equal(mqd_version_name(MQD_V31), "3.1");
    assert_string_equal(mqd_version_name(MQD_V311), "3.1.1");
    assert_string_equal(mqd_version_name(MQD_V5), "5.0");
    assert_string_equal(mqd_version_name(MQD_VERSION_UNKNOWN), "unknown");
    assert_string_equal(mqd_version_name(6), "unknown");
    assert_string_equal(mqd_version_name(255), "unknown");
}

/* ---- MQTT 5.0 reason codes ---------------------------------------------- */

typedef struct code_name {
    uint8_t code;
    const char *name;
} code_name;

typedef struct type_codes {
    uint8_t type;
    const code_name *codes;
    size_t n;
} type_codes;

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* s3.2.2.2 */
static const code_name connack5[] = {
    {0x00, "Success"},
    {0x80, "Unspecified error"},
    {0x81, "Malformed Packet"},
    {0x82, "Protocol Error"},
    {0x83, "Implementation specific error"},
    {0x84, "Unsupported Protocol Version"},
    {0x85, "Client Identifier not valid"},
    {0x86, "Bad User Name or Password"},
    {0x87, "Not authorized"},
    {0x88, "Server unavailable"},
    {0x89, "Server busy"},
    {0x8A, "Banned"},
    {0x8C, "Bad authentication method"},
    {0x90, "Topic Name invalid"},
    {0x95, "Packet too large"},
    {0x97, "Quota exceeded"},
    {0x99, "Payload format invalid"},
    {0x9A, "Retain not supported"},
    {0x9B, "QoS not supported"},
    {0x9C, "Use another server"},
    {0x9D, "Server moved"},
    {0x9F, "Connection rate exceeded"},
};

/* s3.4.2.1 and s3.5.2.1: PUBACK and PUBREC share one list. */
static const code_name puback5[] = {
    {0x00, "Success"},
    {0x10, "No matching subscribers"},
    {0x80, "Unspecified error"},
    {0x83, "Implementation specific error"},
    {0x87, "Not authorized"},
    {0x90, "Topic Name invalid"},
    {0x91, "Packet Identifier in use"},
    {0x97, "Quota exceeded"},
    {0x99, "Payload format invalid"},
};

/* s3.6.2.1 and s3.7.2.1: PUBREL and PUBCOMP. */
static const code_name pubrel5[] = {
    {0x00, "Success"},
    {0x92, "Packet Identifier not found"},
};

/* s3.9.3 */
static const code_name suback5[] = {
    {0x00, "Granted QoS 0"},
    {0x01, "Granted QoS 1"},
    {0x02, "Granted QoS 2"},
    {0x80, "Unspecified error"},
    {0x83, "Implementation specific error"},
    {0x87, "Not authorized"},
    {0x8F, "Topic Filter invalid"},
    {0x91, "Packet Identifier in use"},
    {0x97, "Quota exceeded"},
    {0x9E, "Shared Subscriptions not supported"},
    {0xA1, "Subscription Identifiers not supported"},
    {0xA2, "Wildcard Subscriptions not supported"},
};

/* s3.11.3 */
static const code_name unsuback5[] = {
    {0x00, "Success"},
    {0x11, "No subscription existed"},
    {0x80, "Unspecified error"},
    {0x83, "Implementation specific error"},
    {0x87, "Not authorized"},
    {0x8F, "Topic Filter invalid"},
    {0x91, "Packet Identifier in use"},
};

/* s3.14.2.1 */
static const code_name disconnect5[] = {
    {0x00, "Normal disconnection"},
    {0x04, "Disconnect with Will Message"},
    {0x80, "Unspecified error"},
    {0x81, "Malformed Packet"},
    {0x82, "Protocol Error"},
    {0x83, "Implementation specific error"},
    {0x87, "Not authorized"},
    {0x89, "Server busy"},
    {0x8B, "Server shutting down"},
    {0x8C, "Bad authentication method"},
    {0x8D, "Keep Alive timeout"},
    {0x8E, "Session taken over"},
    {0x8F, "Topic Filter invalid"},
    {0x90, "Topic Name invalid"},
    {0x93, "Receive Maximum exceeded"},
    {0x94, "Topic Alias invalid"},
    {0x95, "Packet too large"},
    {0x96, "Message rate too high"},
    {0x97, "Quota exceeded"},
    {0x98, "Administrative action"},
    {0x99, "Payload format invalid"},
    {0x9A, "Retain not supported"},
    {0x9B, "QoS not supported"},
    {0x9C, "Use another server"},
    {0x9D, "Server moved"},
    {0x9E, "Shared Subscriptions not supported"},
    {0x9F, "Connection rate exceeded"},
    {0xA0, "Maximum connect time"},
    {0xA1, "Subscription Identifiers not supported"},
    {0xA2, "Wildcard Subscriptions not supported"},
};

/* s3.15.2.1 */
static const code_name auth5[] = {
    {0x00, "Success"},
    {0x18, "Continue authentication"},
    {0x19, "Re-authenticate"},
};

static const type_codes v5_lists[] = {
    {MQD_CONNACK, connack5, N(connack5)},
    {MQD_PUBACK, puback5, N(puback5)},
    {MQD_PUBREC, puback5, N(puback5)},
    {MQD_PUBREL, pubrel5, N(pubrel5)},
    {MQD_PUBCOMP, pubrel5, N(pubrel5)},
    {MQD_SUBACK, suback5, N(suback5)},
    {MQD_UNSUBACK, unsuback5, N(unsuback5)},
    {MQD_DISCONNECT, disconnect5, N(disconnect5)},
    {MQD_AUTH, auth5, N(auth5)},
};

static const type_codes *v5_list_for(uint8_t type)
{
    for (size_t i = 0; i < N(v5_lists); i++)
        if (v5_lists[i].type == type)
            return &v5_lists[i];
    return NULL;
}

static const char *expected_name(const type_codes *list, uint8_t code)
{
    if (!list)
        return NULL;
    for (size_t i = 0; i < list->n; i++)
        if (list->codes[i].code == code)
            return list->codes[i].name;
    return NULL;
}

/* Every (type, code) pair: the named ones have their name, all others are
 * rejected. */
static void check_v5_everything(uint8_t version)
{
    for (unsigned t = 0; t < 16; t++) {
        const type_codes *list = v5_list_for((uint8_t)t);
        for (unsigned c = 0; c < 256; c++) {
            const char *want = expected_name(list, (uint8_t)c);
            const char *got = mqd_reason_name((uint8_t)t, version, (uint8_t)c);
            if (want == NULL) {
                if (got != NULL)
                    fail_msg("type %u code 0x%02X: got \"%s\", want none", t,
                             c, got);
                assert_false(mqd_reason_valid((uint8_t)t, version, (uint8_t)c));
            } else {
                if (got == NULL)
                    fail_msg("type %u code 0x%02X: got none, want \"%s\"", t,
                             c, want);
                assert_string_equal(got, want);
                assert_true(mqd_reason_valid((uint8_t)t, version, (uint8_t)c));
            }
        }
    }
}

static void test_v5_reason_codes(void **state)
{
    (void)state;
    check_v5_everything(MQD_V5);
}

/* The spec's count: 43 distinct codes (table 2-6 has 46 rows; 0x00 has
 * three names). Wireshark's table has been known to lack some: pin the
 * ones easy to forget. */
static void test_v5_reason_count_and_rare_codes(void **state)
{
    (void)state;
    unsigned distinct = 0;
    for (unsigned c = 0; c < 256; c++) {
        bool any = false;
        for (unsigned t = 0; t < 16; t++)
            any = any || mqd_reason_valid((uint8_t)t, MQD_V5, (uint8_t)c);
        distinct += any;
    }
    assert_int_equal(distinct, 43);

    assert_string_equal(mqd_reason_name(MQD_DISCONNECT, MQD_V5, 0x04),
                        "Disconnect with Will Message");
    assert_string_equal(mqd_reason_name(MQD_UNSUBACK, MQD_V5, 0x11),
                        "No subscription existed");
    assert_string_equal(mqd_reason_name(MQD_AUTH, MQD_V5, 0x19),
                        "Re-authenticate");
    assert_string_equal(mqd_reason_name(MQD_CONNACK, MQD_V5, 0x9F),
                        "Connection rate exceeded");
    assert_string_equal(mqd_reason_name(MQD_DISCONNECT, MQD_V5, 0xA0),
                        "Maximum connect time");
    assert_null(mqd_reason_name(MQD_CONNACK, MQD_V5, 0x04));
    assert_null(mqd_reason_name(MQD_PUBACK, MQD_V5, 0x11));
    assert_null(mqd_reason_name(MQD_PUBREL, MQD_V5, 0x10));
    assert_null(mqd_reason_name(MQD_CONNACK, MQD_V5, 0x01));
    assert_null(mqd_reason_name(MQD_CONNACK, MQD_V5, 0x05));
    assert_null(mqd_reason_name(MQD_UNSUBACK, MQD_V5, 0x97));
    assert_null(mqd_reason_name(MQD_AUTH, MQD_V5, 0x80));
    assert_null(mqd_reason_name(MQD_PUBLISH, MQD_V5, 0x00));
    assert_null(mqd_reason_name(MQD_CONNECT, MQD_V5, 0x00));
    assert_null(mqd_reason_name(MQD_PINGRESP, MQD_V5, 0x00));
    assert_null(mqd_reason_name(16, MQD_V5, 0x00));
    assert_null(mqd_reason_name(255, MQD_V5, 0x80));
}

/* ---- MQTT 3.1 and 3.1.1 return codes ------------------------------------ */

static const char *const v3_connack[6] = {
    "Connection Accepted",
    "Connection Refused, unacceptable protocol version",
    "Connection Refused, identifier rejected",
    "Connection Refused, Server unavailable",
    "Connection Refused, bad user name or password",
    "Connection Refused, not authorized",
};

static void check_v3(uint8_t version)
{
    for (unsigned c = 0; c < 256; c++) {
        const char *got = mqd_reason_name(MQD_CONNACK, version, (uint8_t)c);
        if (c < 6)
            assert_string_equal(got, v3_connack[c]);
        else
            assert_null(got);

        got = mqd_reason_name(MQD_SUBACK, version, (uint8_t)c);
        if (c <= 2) {
            char want[32];
            snprintf(want, sizeof want, "Success - Maximum QoS %u", c);
            assert_string_equal(got, want);
        } else if (c == 0x80 && version == MQD_V311) {
            assert_string_equal(got, "Failure");
        } else {
            assert_null(got);
        }

        /* No other packet carries a code before 5.0. */
        for (unsigned t = 0; t < 16; t++)
            if (t != MQD_CONNACK && t != MQD_SUBACK)
                assert_false(mqd_reason_valid((uint8_t)t, version, (uint8_t)c));
    }
}

static void test_v311_return_codes(void **state)
{
    (void)state;
    check_v3(MQD_V311);
}

static void test_v31_return_codes(void **state)
{
    (void)state;
    check_v3(MQD_V31);
    assert_false(mqd_reason_valid(MQD_SUBACK, MQD_V31, 0x80));
    assert_true(mqd_reason_valid(MQD_SUBACK, MQD_V311, 0x80));
}

/* Unknown version: CONNACK and SUBACK as 3.1.1, the rest as 5.0. Versions
 * MQTT never had give nothing. */
static void test_unknown_and_bad_versions(void **state)
{
    (void)state;
    assert_string_equal(mqd_reason_name(MQD_CONNACK, MQD_VERSION_UNKNOWN, 5),
                        "Connection Refused, not authorized");
    assert_string_equal(mqd_reason_name(MQD_SUBACK, MQD_VERSION_UNKNOWN, 0x80),
                        "Failure");
    assert_string_equal(mqd_reason_name(MQD_PUBACK, MQD_VERSION_UNKNOWN, 0x10),
                        "No matching subscribers");
    assert_string_equal(mqd_reason_name(MQD_AUTH, MQD_VERSION_UNKNOWN, 0x18),
                        "Continue authentication");
    assert_string_equal(
        mqd_reason_name(MQD_DISCONNECT, MQD_VERSION_UNKNOWN, 0x00),
        "Normal disconnection");
    static const uint8_t bad[] = {1, 2, 6, 7, 0x83, 255};
    for (size_t i = 0; i < sizeof bad; i++)
        for (unsigned t = 0; t < 16; t++)
            for (unsigned c = 0; c < 256; c++)
                assert_null(mqd_reason_name((uint8_t)t, bad[i], (uint8_t)c));
}

/* ---- MQTT 5.0 properties (s2.2.2.2, table 2-4) -------------------------- */

#define B(t) (1u << (t))
#define WILL MQD_PLACE_WILL

typedef struct want_prop {
    uint8_t id;
    uint8_t type;
    bool repeatable;
    uint32_t allowed;
    const char *name;
} want_prop;

static const want_prop want_props[] = {
    {0x01, MQD_PT_BYTE, false, B(MQD_PUBLISH) | WILL, "Payload Format Indicator"},
    {0x02, MQD_PT_U32, false, B(MQD_PUBLISH) | WILL, "Message Expiry Interval"},
    {0x03, MQD_PT_UTF8, false, B(MQD_PUBLISH) | WILL, "Content Type"},
    {0x08, MQD_PT_UTF8, false, B(MQD_PUBLISH) | WILL, "Response Topic"},
    {0x09, MQD_PT_BINARY, false, B(MQD_PUBLISH) | WILL, "Correlation Data"},
    {0x0B, MQD_PT_VARINT, true, B(MQD_PUBLISH) | B(MQD_SUBSCRIBE),
     "Subscription Identifier"},
    {0x11, MQD_PT_U32, false, B(MQD_CONNECT) | B(MQD_CONNACK) | B(MQD_DISCONNECT),
     "Session Expiry Interval"},
    {0x12, MQD_PT_UTF8, false, B(MQD_CONNACK), "Assigned Client Identifier"},
    {0x13, MQD_PT_U16, false, B(MQD_CONNACK), "Server Keep Alive"},
    {0x15, MQD_PT_UTF8, false, B(MQD_CONNECT) | B(MQD_CONNACK) | B(MQD_AUTH),
     "Authentication Method"},
    {0x16, MQD_PT_BINARY, false, B(MQD_CONNECT) | B(MQD_CONNACK) | B(MQD_AUTH),
     "Authentication Data"},
    {0x17, MQD_PT_BYTE, false, B(MQD_CONNECT), "Request Problem Information"},
    {0x18, MQD_PT_U32, false, WILL, "Will Delay Interval"},
    {0x19, MQD_PT_BYTE, false, B(MQD_CONNECT), "Request Response Information"},
    {0x1A, MQD_PT_UTF8, false, B(MQD_CONNACK), "Response Information"},
    {0x1C, MQD_PT_UTF8, false, B(MQD_CONNACK) | B(MQD_DISCONNECT),
     "Server Reference"},
    {0x1F, MQD_PT_UTF8, false,
     B(MQD_CONNACK) | B(MQD_PUBACK) | B(MQD_PUBREC) | B(MQD_PUBREL) |
         B(MQD_PUBCOMP) | B(MQD_SUBACK) | B(MQD_UNSUBACK) | B(MQD_DISCONNECT) |
         B(MQD_AUTH),
     "Reason String"},
    {0x21, MQD_PT_U16, false, B(MQD_CONNECT) | B(MQD_CONNACK), "Receive Maximum"},
    {0x22, MQD_PT_U16, false, B(MQD_CONNECT) | B(MQD_CONNACK),
     "Topic Alias Maximum"},
    {0x23, MQD_PT_U16, false, B(MQD_PUBLISH), "Topic Alias"},
    {0x24, MQD_PT_BYTE, false, B(MQD_CONNACK), "Maximum QoS"},
    {0x25, MQD_PT_BYTE, false, B(MQD_CONNACK), "Retain Available"},
    {0x26, MQD_PT_UTF8_PAIR, true,
     B(MQD_CONNECT) | B(MQD_CONNACK) | B(MQD_PUBLISH) | WILL | B(MQD_PUBACK) |
         B(MQD_PUBREC) | B(MQD_PUBREL) | B(MQD_PUBCOMP) | B(MQD_SUBSCRIBE) |
         B(MQD_SUBACK) | B(MQD_UNSUBSCRIBE) | B(MQD_UNSUBACK) |
         B(MQD_DISCONNECT) | B(MQD_AUTH),
     "User Property"},
    {0x27, MQD_PT_U32, false, B(MQD_CONNECT) | B(MQD_CONNACK),
     "Maximum Packet Size"},
    {0x28, MQD_PT_BYTE, false, B(MQD_CONNACK), "Wildcard Subscription Available"},
    {0x29, MQD_PT_BYTE, false, B(MQD_CONNACK),
     "Subscription Identifier Available"},
    {0x2A, MQD_PT_BYTE, false, B(MQD_CONNACK), "Shared Subscription Available"},
};

static const want_prop *want_prop_for(uint8_t id)
{
    for (size_t i = 0; i < N(want_props); i++)
        if (want_props[i].id == id)
            return &want_props[i];
    return NULL;
}

/* "Payload Format Indicator" -> "payload_format_indicator". */
static void snake_case(const char *name, char *out, size_t size)
{
    size_t i = 0;
    for (; name[i] && i + 1 < size; i++)
        out[i] = name[i] == ' ' ? '_' : (char)tolower((unsigned char)name[i]);
    out[i] = '\0';
}

static void test_properties(void **state)
{
    (void)state;
    assert_int_equal(N(want_props), 27);
    unsigned found = 0;
    for (unsigned id = 0; id < 256; id++) {
        const mqd_prop_info *p = mqd_prop_lookup((uint8_t)id);
        const want_prop *w = want_prop_for((uint8_t)id);
        if (!w) {
            if (p)
                fail_msg("property 0x%02X should be unknown, is %s", id,
                         p->name);
            continue;
        }
        if (!p)
            fail_msg("property 0x%02X (%s) missing", id, w->name);
        found++;
        assert_int_equal(p->id, id);
        assert_int_equal(p->type, w->type);
        assert_int_equal(p->repeatable, w->repeatable);
        if (p->allowed != w->allowed)
            fail_msg("property 0x%02X (%s): allowed 0x%05X, want 0x%05X", id,
                     w->name, p->allowed, w->allowed);
        assert_string_equal(p->name, w->name);
        char key[64];
        snake_case(w->name, key, sizeof key);
        assert_string_equal(p->key, key);
    }
    assert_int_equal(found, 27);
}

/* Spot checks by enum name, so a renumbered header is caught too. */
static void test_property_enum_names(void **state)
{
    (void)state;
    assert_string_equal(mqd_prop_lookup(MQD_P_USER_PROPERTY)->key,
                        "user_property");
    assert_int_equal(mqd_prop_lookup(MQD_P_SUBSCRIPTION_IDENTIFIER)->type,
                     MQD_PT_VARINT);
    assert_true(mqd_prop_lookup(MQD_P_WILL_DELAY_INTERVAL)->allowed &
                MQD_PLACE_WILL);
    assert_false(mqd_prop_lookup(MQD_P_WILL_DELAY_INTERVAL)->allowed &
                 (1u << MQD_CONNECT));
    assert_false(mqd_prop_lookup(MQD_P_TOPIC_ALIAS)->allowed & MQD_PLACE_WILL);
    assert_null(mqd_prop_lookup(0x00));
    assert_null(mqd_prop_lookup(0x04));
    assert_null(mqd_prop_lookup(0x2B));
    assert_null(mqd_prop_lookup(0xFF));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_type_names),
        cmocka_unit_test(test_version_names),
        cmocka_unit_test(test_v5_reason_codes),
        cmocka_unit_test(test_v5_reason_count_and_rare_codes),
        cmocka_unit_test(test_v311_return_codes),
        cmocka_unit_test(test_v31_return_codes),
        cmocka_unit_test(test_unknown_and_bad_versions),
        cmocka_unit_test(test_properties),
        cmocka_unit_test(test_property_enum_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
