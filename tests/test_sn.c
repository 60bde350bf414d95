/* MQTT-SN 1.2 decoder (dissect/sn.c): a vector for every message type, both
 * length forms, the encapsulated message, and one vector for every SN rule.
 * The bytes are written from the MQTT-SN Protocol Specification 1.2 s5.2 -
 * s5.5, not from the decoder's behaviour. Each vector is decoded from an
 * exact-size heap copy, so ASan catches any read past the datagram; every
 * proper prefix of every vector is decoded too (it must not crash, and must
 * not find the same message clean). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mqttdissect/mqd.h"

#define MAX_VEC 1024
#define MAX_RULES 4

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Hex digits, spaces ignored, and "'text'" for ASCII. */
static size_t unhex(const char *s, uint8_t *out)
{
    size_t n = 0;
    while (*s) {
        if (*s == ' ') {
            s++;
        } else if (*s == '\'') {
            for (s++; *s && *s != '\''; s++)
                out[n++] = (uint8_t)*s;
            if (*s)
                s++;
        } else {
            assert_true(hexval(s[0]) >= 0 && hexval(s[1]) >= 0);
            out[n++] = (uint8_t)(hexval(s[0]) << 4 | hexval(s[1]));
            s += 2;
        }
    }
    return n;
}

/* Decodes hex from an exact-size copy. */
static mqd_result decode(const char *hex, mqd_sn_msg *m, uint8_t **keep)
{
    static uint8_t tmp[MAX_VEC];
    size_t n = unhex(hex, tmp);
    uint8_t *copy = malloc(n ? n : 1);
    assert_non_null(copy);
    memcpy(copy, tmp, n);
    mqd_result r = mqd_sn_parse(copy, n, m);
    *keep = copy;
    return r;
}

struct vec {
    const char *name;
    const char *hex;
    uint8_t type;
    uint16_t rules[MAX_RULES]; /* expected violations, in order; ends at 0
                                  (rule 0 is an MQTT rule, never an SN one) */
};

#define NONE {0}

/* Valid messages: s5.4, one per type. */
static const struct vec valid[] = {
    {"ADVERTISE", "05 00 01 0384", MQD_SN_ADVERTISE, NONE},
    {"SEARCHGW", "03 01 02", MQD_SN_SEARCHGW, NONE},
    {"GWINFO from gateway", "03 02 01", MQD_SN_GWINFO, NONE},
    {"GWINFO from client", "07 02 01 0a0000fe", MQD_SN_GWINFO, NONE},
    {"CONNECT", "0e 04 0c 01 003c 'sensor-1'", MQD_SN_CONNECT, NONE},
    {"CONNACK", "03 05 00", MQD_SN_CONNACK, NONE},
    {"WILLTOPICREQ", "02 06", MQD_SN_WILLTOPICREQ, NONE},
    {"WILLTOPIC", "06 07 30 'a/b'", MQD_SN_WILLTOPIC, NONE},
    {"WILLTOPIC empty", "02 07", MQD_SN_WILLTOPIC, NONE},
    {"WILLMSGREQ", "02 08", MQD_SN_WILLMSGREQ, NONE},
    {"WILLMSG", "04 09 'hi'", MQD_SN_WILLMSG, NONE},
    {"REGISTER", "0b 0a 0000 0001 'a/b/c'", MQD_SN_REGISTER, NONE},
    {"REGACK", "07 0b 0005 0001 00", MQD_SN_REGACK, NONE},
    {"PUBLISH qos1", "0b 0c 20 0005 0002 '21.5'", MQD_SN_PUBLISH, NONE},
    {"PUBLISH short", "09 0c 02 'ab' 0000 'xy'", MQD_SN_PUBLISH, NONE},
    {"PUBLISH qos-1 predefined", "08 0c 61 0007 0000 'z'", MQD_SN_PUBLISH, NONE},
    {"PUBLISH empty data", "07 0c 00 0005 0000", MQD_SN_PUBLISH, NONE},
    {"PUBACK", "07 0d 0005 0002 00", MQD_SN_PUBACK, NONE},
    {"PUBCOMP", "04 0e 0003", MQD_SN_PUBCOMP, NONE},
    {"PUBREC", "04 0f 0003", MQD_SN_PUBREC, NONE},
    {"PUBREL", "04 10 0003", MQD_SN_PUBREL, NONE},
    {"SUBSCRIBE name", "0a 12 20 0004 'cmd/1'", MQD_SN_SUBSCRIBE, NONE},
    {"SUBSCRIBE wildcard", "0a 12 a0 0004 'cmd/#'", MQD_SN_SUBSCRIBE, NONE},
    {"SUBSCRIBE predefined", "07 12 01 0004 0007", MQD_SN_SUBSCRIBE, NONE},
    {"SUBSCRIBE short", "07 12 02 0004 'xy'", MQD_SN_SUBSCRIBE, NONE},
    {"SUBACK", "08 13 20 0009 0004 00", MQD_SN_SUBACK, NONE},
    {"UNSUBSCRIBE", "0a 14 00 0008 'cmd/1'", MQD_SN_UNSUBSCRIBE, NONE},
    {"UNSUBACK", "04 15 0008", MQD_SN_UNSUBACK, NONE},
    {"PINGREQ", "02 16", MQD_SN_PINGREQ, NONE},
    {"PINGREQ sleeping", "04 16 'ab'", MQD_SN_PINGREQ, NONE},
    {"PINGRESP", "02 17", MQD_SN_PINGRESP, NONE},
    {"DISCONNECT", "02 18", MQD_SN_DISCONNECT, NONE},
    {"DISCONNECT sleep", "04 18 0e10", MQD_SN_DISCONNECT, NONE},
    {"WILLTOPICUPD", "05 1a 00 'ab'", MQD_SN_WILLTOPICUPD, NONE},
    {"WILLTOPICUPD empty", "02 1a", MQD_SN_WILLTOPICUPD, NONE},
    {"WILLTOPICRESP", "03 1b 00", MQD_SN_WILLTOPICRESP, NONE},
    {"WILLMSGUPD", "04 1c 'ab'", MQD_SN_WILLMSGUPD, NONE},
    {"WILLMSGRESP", "03 1d 00", MQD_SN_WILLMSGRESP, NONE},
    {"encapsulated PINGREQ", "05 fe 01 0a0b 02 16", MQD_SN_PINGREQ, NONE},
    {"encapsulated, empty node id", "03 fe 00 03 05 00", MQD_SN_CONNACK, NONE},
};

/* One or more vectors per rule. */
static const struct vec bad[] = {
    {"length 0", "00 17", MQD_SN_PINGRESP, {MQD_R_SN_LENGTH_INVALID}},
    {"long length 3", "01 0003 17", MQD_SN_PINGRESP,
     {MQD_R_SN_LONG_LENGTH_FORM, MQD_R_SN_LENGTH_INVALID}},
    {"length past datagram", "05 17", MQD_SN_PINGRESP,
     {MQD_R_SN_LENGTH_EXCEEDS_DATAGRAM}},
    {"datagram trailing", "02 17 00", MQD_SN_PINGRESP, {MQD_R_SN_DATAGRAM_TRAILING}},
    {"long form short message", "01 0004 17", MQD_SN_PINGRESP,
     {MQD_R_SN_LONG_LENGTH_FORM}},
    {"type 0x03", "02 03", 0x03, {MQD_R_SN_TYPE_RESERVED}},
    {"type 0x11", "03 11 00", 0x11, {MQD_R_SN_TYPE_RESERVED}},
    {"type 0x19", "02 19", 0x19, {MQD_R_SN_TYPE_RESERVED}},
    {"type 0x1e", "02 1e", 0x1e, {MQD_R_SN_TYPE_RESERVED}},
    {"type 0xff", "02 ff", 0xff, {MQD_R_SN_TYPE_RESERVED}},
    {"REGACK cut", "05 0b 0005 00", MQD_SN_REGACK, {MQD_R_SN_FIELD_TRUNCATED}},
    {"ADVERTISE cut", "02 00", MQD_SN_ADVERTISE, {MQD_R_SN_FIELD_TRUNCATED}},
    {"CONNECT cut", "04 04 04 01", MQD_SN_CONNECT, {MQD_R_SN_FIELD_TRUNCATED}},
    {"PUBLISH cut", "05 0c 00 0005", MQD_SN_PUBLISH, {MQD_R_SN_FIELD_TRUNCATED}},
    {"CONNACK trailing", "04 05 00 00", MQD_SN_CONNACK, {MQD_R_SN_TRAILING_BYTES}},
    {"PINGRESP body", "03 17 00", MQD_SN_PINGRESP, {MQD_R_SN_TRAILING_BYTES}},
    {"CONNECT with DUP", "07 04 84 01 003c 'c'", MQD_SN_CONNECT, {MQD_R_SN_FLAGS_UNUSED}},
    {"SUBACK with retain", "08 13 30 0009 0004 00", MQD_SN_SUBACK, {MQD_R_SN_FLAGS_UNUSED}},
    {"PUBLISH topic id type 3", "08 0c 03 0005 0000 'x'", MQD_SN_PUBLISH,
     {MQD_R_SN_TOPIC_ID_TYPE_RESERVED}},
    {"SUBSCRIBE qos -1", "07 12 61 0004 0007", MQD_SN_SUBSCRIBE,
     {MQD_R_SN_QOS_MINUS1_NOT_PUBLISH}},
    {"WILLTOPIC qos -1", "04 07 60 'a'", MQD_SN_WILLTOPIC, {MQD_R_SN_QOS_MINUS1_NOT_PUBLISH}},
    {"PUBLISH qos -1 normal", "08 0c 60 0005 0000 'x'", MQD_SN_PUBLISH,
     {MQD_R_SN_QOS_MINUS1_NORMAL_TOPIC}},
    {"CONNECT protocol 2", "07 04 04 02 003c 'c'", MQD_SN_CONNECT, {MQD_R_SN_PROTOCOL_ID}},
    {"CONNACK rc 4", "03 05 04", MQD_SN_CONNACK, {MQD_R_SN_RETURN_CODE_RESERVED}},
    {"PUBACK rc 0xff", "07 0d 0005 0002 ff", MQD_SN_PUBACK, {MQD_R_SN_RETURN_CODE_RESERVED}},
    {"CONNECT no client id", "06 04 04 01 003c", MQD_SN_CONNECT, {MQD_R_SN_CLIENT_ID_LENGTH}},
    {"CONNECT 24-char client id", "1e 04 04 01 003c '012345678901234567890123'",
     MQD_SN_CONNECT, {MQD_R_SN_CLIENT_ID_LENGTH}},
    {"PUBLISH qos 0 msg id", "08 0c 00 0005 0007 'x'", MQD_SN_PUBLISH, {MQD_R_SN_MSG_ID_NOT_ZERO}},
    {"PUBLISH topic id 0", "08 0c 20 0000 0007 'x'", MQD_SN_PUBLISH, {MQD_R_SN_TOPIC_ID_RESERVED}},
    {"PUBLISH topic id ffff", "08 0c 21 ffff 0007 'x'", MQD_SN_PUBLISH, {MQD_R_SN_TOPIC_ID_RESERVED}},
    {"SUBSCRIBE short 3 chars", "08 12 02 0004 'xyz'", MQD_SN_SUBSCRIBE, {MQD_R_SN_SHORT_TOPIC_LENGTH}},
    {"UNSUBSCRIBE predefined 1 octet", "06 14 01 0004 07", MQD_SN_UNSUBSCRIBE,
     {MQD_R_SN_SHORT_TOPIC_LENGTH, MQD_R_SN_FIELD_TRUNCATED}},
    {"REGISTER no name", "06 0a 0000 0001", MQD_SN_REGISTER, {MQD_R_SN_TOPIC_NAME_EMPTY}},
    {"SUBSCRIBE no name", "05 12 00 0001", MQD_SN_SUBSCRIBE, {MQD_R_SN_TOPIC_NAME_EMPTY}},
    {"REGISTER bad UTF-8", "07 0a 0000 0001 ff", MQD_SN_REGISTER, {MQD_R_SN_TOPIC_NOT_UTF8}},
    {"REGISTER wildcard", "09 0a 0000 0001 'a/+'", MQD_SN_REGISTER, {MQD_R_SN_TOPIC_WILDCARD}},
    {"WILLTOPIC wildcard", "04 07 00 '#'", MQD_SN_WILLTOPIC, {MQD_R_SN_TOPIC_WILDCARD}},
    {"encapsulation length 2", "02 fe", MQD_SN_ENCAPSULATED,
     {MQD_R_SN_ENCAP_LENGTH, MQD_R_SN_FIELD_TRUNCATED}},
    {"encapsulation past datagram", "09 fe 00 0a0b", MQD_SN_ENCAPSULATED,
     {MQD_R_SN_ENCAP_LENGTH, MQD_R_SN_FIELD_TRUNCATED}},
    {"encapsulation ctrl reserved", "05 fe 05 0a0b 02 16", MQD_SN_PINGREQ,
     {MQD_R_SN_ENCAP_CTRL_RESERVED}},
    {"encapsulation nested", "03 fe 00 03 fe 00 02 16", MQD_SN_ENCAPSULATED,
     {MQD_R_SN_ENCAP_NESTED}},
    {"encapsulated message trailing", "03 fe 00 02 16 00", MQD_SN_PINGREQ,
     {MQD_R_SN_DATAGRAM_TRAILING}},
};

static size_t count_rules(const uint16_t *rules)
{
    size_t n = 0;
    while (n < MAX_RULES && rules[n] != 0)
        n++;
    return n;
}

static void check_vec(const struct vec *v)
{
    mqd_sn_msg m;
    uint8_t *buf;
    mqd_result r = decode(v->hex, &m, &buf);
    if (r.status != MQD_OK)
        fail_msg("%s: status %d", v->name, r.status);
    if (m.type != v->type)
        fail_msg("%s: type 0x%02x, want 0x%02x", v->name, m.type, v->type);
    size_t want = count_rules(v->rules);
    bool same = m.nviolations == want;
    for (size_t i = 0; same && i < want; i++)
        same = m.violations[i].rule == v->rules[i];
    if (!same) {
        for (uint16_t i = 0; i < m.nviolations; i++)
            print_error("  got %s at %u\n", mqd_rule_get(m.violations[i].rule)->id,
                        m.violations[i].off);
        fail_msg("%s: %u violations, want %zu", v->name, m.nviolations, want);
    }
    assert_true(r.size <= m.datagram_len);
    free(buf);
}

/* Every proper prefix: decodes without reading outside it; when `strict`
 * (the whole is a clean message), never as a clean message. */
static void check_prefixes(const char *hex, bool strict)
{
    static uint8_t tmp[MAX_VEC];
    size_t n = unhex(hex, tmp);
    for (size_t k = 0; k < n; k++) {
        uint8_t *copy = malloc(k ? k : 1);
        memcpy(copy, tmp, k);
        mqd_sn_msg m;
        mqd_result r = mqd_sn_parse(copy, k, &m);
        if (k < 2)
            assert_int_equal(r.status, MQD_ERROR);
        else if (strict && r.status == MQD_OK)
            assert_true(m.nviolations > 0); /* a cut message is never clean */
        free(copy);
    }
}

static void test_valid_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
        check_vec(&valid[i]);
        check_prefixes(valid[i].hex, true);
    }
}

static void test_violation_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        check_vec(&bad[i]);
        check_prefixes(bad[i].hex, false);
    }
}

/* Every SN rule has at least one vector. */
static void test_every_sn_rule_covered(void **state)
{
    (void)state;
    for (uint16_t rule = 0; rule < MQD_RULE_COUNT; rule++) {
        const mqd_rule_info *info = mqd_rule_get(rule);
        if (strncmp(info->name, "SN_", 3) != 0)
            continue;
        bool found = false;
        for (size_t i = 0; !found && i < sizeof bad / sizeof bad[0]; i++)
            for (size_t k = 0; k < MAX_RULES && bad[i].rules[k]; k++)
                found |= bad[i].rules[k] == rule;
        if (!found)
            fail_msg("rule %s has no vector", info->name);
        assert_int_equal(strncmp(info->id, "MQD-SN-", 7), 0);
    }
}

static void test_every_type_decoded(void **state)
{
    (void)state;
    /* s5.2.2 table 3: 27 message types, and the encapsulation. */
    unsigned known = 0;
    for (unsigned t = 0; t < 256; t++) {
        if (!mqd_sn_type_known((uint8_t)t)) {
            assert_string_equal(mqd_sn_type_name((uint8_t)t), "RESERVED");
            continue;
        }
        known++;
        bool seen = t == MQD_SN_ENCAPSULATED;
        for (size_t i = 0; !seen && i < sizeof valid / sizeof valid[0]; i++)
            seen = valid[i].type == t;
        if (!seen)
            fail_msg("type 0x%02x (%s) has no valid vector", t,
                     mqd_sn_type_name((uint8_t)t));
    }
    assert_int_equal(known, 28);
}

static void test_fields_publish(void **state)
{
    (void)state;
    mqd_sn_msg m;
    uint8_t *buf;
    decode("0b 0c b0 0005 0002 '21.5'", &m, &buf); /* DUP, QoS 1, retain */
    assert_int_equal(m.length.value, 11);
    assert_int_equal(m.length.len, 1);
    assert_false(m.long_length);
    assert_int_equal(m.msg_type.off, 1);
    assert_true(m.flags.byte.present);
    assert_true(m.flags.dup);
    assert_int_equal(m.flags.qos, 1);
    assert_true(m.flags.retain);
    assert_int_equal(m.flags.topic_id_type, MQD_SN_TOPIC_NORMAL);
    assert_int_equal(m.topic_id.value, 5);
    assert_int_equal(m.topic_id.off, 3);
    assert_int_equal(m.msg_id.value, 2);
    assert_int_equal(m.msg_id.off, 5);
    assert_int_equal(m.data.off, 7);
    assert_int_equal(m.data.len, 4);
    assert_memory_equal(m.data.data, "21.5", 4);
    assert_false(m.short_topic.present);
    assert_int_equal(m.size, 11);
    free(buf);

    decode("09 0c 62 'ab' 0000 'xy'", &m, &buf); /* QoS -1, short */
    assert_int_equal(m.flags.qos, -1);
    assert_int_equal(m.flags.qos_bits, 3);
    assert_int_equal(m.flags.topic_id_type, MQD_SN_TOPIC_SHORT);
    assert_true(m.short_topic.present);
    assert_int_equal(m.short_topic.off, 3);
    assert_memory_equal(m.short_topic.data, "ab", 2);
    assert_int_equal(m.nviolations, 0);
    free(buf);
}

static void test_long_length(void **state)
{
    (void)state;
    static char hex[2 * 400 + 64];
    /* 0x01, then 2 octets: 4 + 3 + 2 + 300 = 309 octets in all (s5.2.1). */
    int n = snprintf(hex, sizeof hex, "01 0135 0c 02 'ab' 0000 ");
    for (int i = 0; i < 300; i++)
        n += snprintf(hex + n, sizeof hex - (size_t)n, "78");
    mqd_sn_msg m;
    uint8_t *buf;
    mqd_result r = decode(hex, &m, &buf);
    assert_int_equal(r.status, MQD_OK);
    assert_true(m.long_length);
    assert_int_equal(m.length.len, 3);
    assert_int_equal(m.length.value, 309);
    assert_int_equal(m.msg_type.off, 3);
    assert_int_equal(m.data.len, 300);
    assert_int_equal(m.nviolations, 0);
    assert_int_equal(r.size, 309);
    free(buf);
}

static void test_encapsulated_fields(void **state)
{
    (void)state;
    mqd_sn_msg m;
    uint8_t *buf;
    decode("05 fe 01 0a0b 09 0c 02 'zz' 0000 'ok'", &m, &buf);
    assert_true(m.fwd.present);
    assert_int_equal(m.fwd.length.value, 5);
    assert_int_equal(m.fwd.msg_type.value, 0xFE);
    assert_int_equal(m.fwd.ctrl.value, 1);
    assert_int_equal(m.fwd.radius, 1);
    assert_int_equal(m.fwd.node_id.off, 3);
    assert_int_equal(m.fwd.node_id.len, 2);
    assert_int_equal(m.off, 5);
    assert_int_equal(m.type, MQD_SN_PUBLISH);
    assert_int_equal(m.length.off, 5);
    assert_int_equal(m.msg_type.off, 6);
    assert_memory_equal(m.short_topic.data, "zz", 2);
    assert_int_equal(m.data.off, 12);
    assert_int_equal(m.size, 9);
    assert_int_equal(m.nviolations, 0);
    free(buf);
}

static void test_errors(void **state)
{
    (void)state;
    mqd_sn_msg m;
    uint8_t *buf;
    assert_int_equal(decode("", &m, &buf).status, MQD_ERROR);
    free(buf);
    assert_int_equal(decode("05", &m, &buf).status, MQD_ERROR);
    free(buf);
    mqd_result r = decode("01 00", &m, &buf); /* the 3-octet form, cut */
    assert_int_equal(r.status, MQD_ERROR);
    assert_int_equal(r.err_rule, MQD_R_SN_FIELD_TRUNCATED);
    free(buf);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(mqd_sn_type_name(MQD_SN_SEARCHGW), "SEARCHGW");
    assert_string_equal(mqd_sn_type_name(MQD_SN_WILLMSGRESP), "WILLMSGRESP");
    assert_string_equal(mqd_sn_type_name(0xFE), "ENCAPSULATED");
    assert_string_equal(mqd_sn_type_name(0x03), "RESERVED");
    assert_string_equal(mqd_sn_return_code_name(0), "Accepted");
    assert_string_equal(mqd_sn_return_code_name(1), "Rejected: congestion");
    assert_string_equal(mqd_sn_return_code_name(2), "Rejected: invalid topic ID");
    assert_string_equal(mqd_sn_return_code_name(3), "Rejected: not supported");
    assert_null(mqd_sn_return_code_name(4));
    assert_string_equal(mqd_sn_topic_id_type_name(0), "normal");
    assert_string_equal(mqd_sn_topic_id_type_name(1), "predefined");
    assert_string_equal(mqd_sn_topic_id_type_name(2), "short");
    assert_string_equal(mqd_sn_topic_id_type_name(3), "reserved");
}

/* Every byte value as every position of short datagrams: no crash, no read
 * outside (ASan), size within the datagram. */
static void test_exhaustive_small(void **state)
{
    (void)state;
    for (unsigned a = 0; a < 256; a++) {
        for (unsigned t = 0; t < 256; t++) {
            uint8_t *buf = malloc(4);
            buf[0] = (uint8_t)a;
            buf[1] = (uint8_t)t;
            buf[2] = (uint8_t)(a ^ t);
            buf[3] = 0x02;
            for (size_t len = 2; len <= 4; len++) {
                mqd_sn_msg m;
                mqd_result r = mqd_sn_parse(buf, len, &m);
                if (r.status == MQD_OK)
                    assert_true(r.size <= len);
            }
            free(buf);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_vectors),
        cmocka_unit_test(test_violation_vectors),
        cmocka_unit_test(test_every_sn_rule_covered),
        cmocka_unit_test(test_every_type_decoded),
        cmocka_unit_test(test_fields_publish),
        cmocka_unit_test(test_long_length),
        cmocka_unit_test(test_encapsulated_fields),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_exhaustive_small),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
