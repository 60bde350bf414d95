/* CONNECT decoding (MQTT 5.0 s3.1, 3.1.1 s3.1, 3.1): every field, the
 * version taken from the packet itself, and the flag and payload rules. */
#include "test_parse_util.h"

#define MQTT "0004 4d515454"
#define MQISDP "0006 4d5149736470"

static void test_311_minimal(void **state)
{
    (void)state;
    mqd_frame f;
    check_frame("10 0f" MQTT "04 02 003c 0003 616263", MQD_V311, NONE, &f);
    const mqd_connect *k = &f.connect;
    assert_int_equal(f.version, MQD_V311);
    assert_false(f.version_inferred);
    assert_int_equal(mqd_connect_version(&f), MQD_V311);
    assert_memory_equal(k->protocol_name.data, "MQTT", 4);
    assert_int_equal(k->protocol_name.off, 2);
    assert_int_equal(k->level.value, 4);
    assert_int_equal(k->level.off, 8);
    assert_int_equal(k->flags.value, 2);
    assert_true(k->clean_start);
    assert_false(k->will_flag);
    assert_int_equal(k->keep_alive.value, 60);
    assert_int_equal(k->keep_alive.off, 10);
    assert_false(k->props.present);
    assert_int_equal(k->client_id.off, 12);
    assert_memory_equal(k->client_id.data, "abc", 3);
    assert_false(k->will_topic.present);
    assert_false(k->username.present);
    assert_false(k->password.present);
}

static void test_31(void **state)
{
    (void)state;
    mqd_frame f;
    check_frame("10 11" MQISDP "03 02 003c 0003 616263", MQD_VERSION_UNKNOWN,
                NONE, &f);
    assert_int_equal(f.version, MQD_V31);
    assert_int_equal(mqd_connect_version(&f), MQD_V31);
    /* 3.1 client identifiers: 1 to 23 characters. */
    check_frame("10 0e" MQISDP "03 02 003c 0000", MQD_V31,
                RULES(MQD_R_CONNECT_CLIENT_ID_31_LENGTH), &f);
}

#define FULL_V5                                                          \
    "10 28" MQTT "05 ce 003c 05 110000003c 0003 616263 02 0101 0003 772f74" \
    "0002 6869 0001 75 0002 7077"

static void test_v5_full(void **state)
{
    (void)state;
    mqd_frame f;
    check_frame(FULL_V5, MQD_V5, NONE, &f);
    const mqd_connect *k = &f.connect;
    assert_int_equal(f.version, MQD_V5);
    assert_true(k->username_flag);
    assert_true(k->password_flag);
    assert_true(k->will_flag);
    assert_false(k->will_retain);
    assert_int_equal(k->will_qos, 1);
    assert_true(k->props.present);
    assert_int_equal(k->props.count, 1);
    mqd_prop p;
    assert_true(mqd_prop_find(&f, &k->props, MQD_P_SESSION_EXPIRY_INTERVAL, &p));
    assert_int_equal(p.value, 60);
    assert_true(k->will_props.present);
    assert_true(mqd_prop_find(&f, &k->will_props,
                              MQD_P_PAYLOAD_FORMAT_INDICATOR, &p));
    assert_int_equal(p.value, 1);
    assert_false(mqd_prop_find(&f, &k->props, MQD_P_PAYLOAD_FORMAT_INDICATOR,
                               &p));
    assert_memory_equal(k->will_topic.data, "w/t", 3);
    assert_memory_equal(k->will_payload.data, "hi", 2);
    assert_memory_equal(k->username.data, "u", 1);
    assert_memory_equal(k->password.data, "pw", 2);
    assert_int_equal(k->password.off + 4u, f.size);

    /* Self-describing: the level wins over the version asked for. */
    check_frame(FULL_V5, MQD_V311, NONE, &f);
    assert_int_equal(f.version, MQD_V5);
    check_frame(FULL_V5, MQD_VERSION_UNKNOWN, NONE, &f);
    assert_int_equal(f.version, MQD_V5);
    check_frame("10 0f" MQTT "04 02 003c 0003 616263", MQD_V5, NONE, &f);
    assert_int_equal(f.version, MQD_V311);
}

static void test_flags(void **state)
{
    (void)state;
    mqd_frame f;
    check_frame("10 13" MQTT "04 71 003c 0003 616263 0002 7077", MQD_V311,
                RULES(MQD_R_CONNECT_RESERVED_FLAG,
                      MQD_R_CONNECT_WILL_QOS_NO_WILL,
                      MQD_R_CONNECT_WILL_RETAIN_NO_WILL,
                      MQD_R_CONNECT_PASSWORD_NO_USERNAME),
                &f);
    assert_true(f.connect.reserved_flag);
    assert_true(f.connect.password.present);
    /* 5.0 allows a password alone. */
    check_frame("10 14" MQTT "05 71 003c 00 0003 616263 0002 7077", MQD_V5,
                RULES(MQD_R_CONNECT_RESERVED_FLAG,
                      MQD_R_CONNECT_WILL_QOS_NO_WILL,
                      MQD_R_CONNECT_WILL_RETAIN_NO_WILL),
                &f);
    check_frame("10 14" MQTT "04 1e 003c 0003 616263 0001 74 0000", MQD_V311,
                RULES(MQD_R_CONNECT_WILL_QOS_3), &f);
    assert_int_equal(f.connect.will_qos, 3);
    assert_int_equal(f.connect.will_payload.len, 0);
}

static void test_protocol(void **state)
{
    (void)state;
    mqd_frame f;
    check_frame("10 0f 0004 4d515458 04 02 003c 0003 616263", MQD_V311,
                RULES(MQD_R_CONNECT_PROTOCOL_NAME), &f);
    check_frame("10 0f" MQTT "07 02 003c 0003 616263", MQD_V311,
                RULES(MQD_R_CONNECT_PROTOCOL_LEVEL), &f);
    assert_int_equal(f.version, MQD_V311);
    assert_int_equal(mqd_connect_version(&f), MQD_VERSION_UNKNOWN);
    check_frame("10 11" MQISDP "04 02 003c 0003 616263", MQD_V311,
                RULES(MQD_R_CONNECT_NAME_LEVEL_MISMATCH), &f);
    assert_int_equal(f.version, MQD_V311);
    check_frame("10 0f" MQTT "03 02 003c 0003 616263", MQD_V311,
                RULES(MQD_R_CONNECT_NAME_LEVEL_MISMATCH), &f);
    assert_int_equal(f.version, MQD_V31);
    /* Level 7 under "MQIsdp": decoded as 3.1. */
    check_frame("10 11" MQISDP "07 02 003c 0003 616263", MQD_V311,
                RULES(MQD_R_CONNECT_PROTOCOL_LEVEL), &f);
    assert_int_equal(f.version, MQD_V31);
}

static void test_missing_fields(void **state)
{
    (void)state;
    mqd_frame f;
    check_frame("10 0f" MQTT "04 82 003c 0003 616263", MQD_V311,
                RULES(MQD_R_CONNECT_USERNAME_MISSING), &f);
    check_frame("10 12" MQTT "04 c2 003c 0003 616263 0001 75", MQD_V311,
                RULES(MQD_R_CONNECT_PASSWORD_MISSING), &f);
    check_frame("10 0f" MQTT "04 06 003c 0003 616263", MQD_V311,
                RULES(MQD_R_CONNECT_WILL_MISSING), &f);
    check_frame("10 12" MQTT "04 06 003c 0003 616263 0001 74", MQD_V311,
                RULES(MQD_R_CONNECT_WILL_MISSING), &f);
    check_frame("10 0a" MQTT "04 02 003c", MQD_V311,
                RULES(MQD_R_CONNECT_CLIENT_ID_MISSING), &f);
    check_frame("10 0e" MQTT "04 02 003c 0005 6162", MQD_V311,
                RULES(MQD_R_FIELD_TRUNCATED), &f);
    check_frame("10 03 0004 4d", MQD_V311, RULES(MQD_R_FIELD_TRUNCATED), &f);
    check_frame("10 08" MQTT "04 02", MQD_V311, RULES(MQD_R_FIELD_TRUNCATED),
                &f);
    check_frame("10 09" MQTT "04 02 00", MQD_V311,
                RULES(MQD_R_FIELD_TRUNCATED), &f);
    /* 5.0 without its property length. */
    check_frame("10 0a" MQTT "05 02 003c", MQD_V5,
                RULES(MQD_R_FIELD_TRUNCATED), &f);
    /* Announced by nothing: trailing. */
    check_frame("10 11" MQTT "04 02 003c 0003 616263 ffff", MQD_V311,
                RULES(MQD_R_TRAILING_BYTES), &f);
}

static void test_client_id(void **state)
{
    (void)state;
    mqd_frame f;
    check_frame("10 0c" MQTT "04 00 003c 0000", MQD_V311,
                RULES(MQD_R_CONNECT_CLIENT_ID_EMPTY_SESSION), &f);
    check_frame("10 0c" MQTT "04 02 003c 0000", MQD_V311, NONE, &f);
    check_frame("10 0d" MQTT "05 00 003c 00 0000", MQD_V5, NONE, &f);
    /* 23 bytes: every server must accept it; 24: a server may refuse. */
    check_frame("10 23" MQTT "04 02 003c 0017 6162636465666768696a6b6c6d6e6f7071727374752d77",
                MQD_V311, NONE, &f);
    check_frame("10 24" MQTT "04 02 003c 0018 6162636465666768696a6b6c6d6e6f7071727374752d7778",
                MQD_V311, RULES(MQD_R_CONNECT_CLIENT_ID_UNUSUAL), &f);
    check_frame("10 0f" MQTT "04 02 003c 0003 612d62", MQD_V311, NONE, &f);
    check_frame("10 0f" MQTT "04 02 003c 0003 61ff62", MQD_V311,
                RULES(MQD_R_UTF8_ILL_FORMED), &f);
}

static void test_will(void **state)
{
    (void)state;
    mqd_frame f;
    check_frame("10 14" MQTT "04 06 003c 0003 616263 0001 23 0000", MQD_V311,
                RULES(MQD_R_CONNECT_WILL_TOPIC_WILDCARD), &f);
    check_frame("10 19" MQTT "05 06 003c 00 0003 616263 02 0101 0001 74 0001 ff",
                MQD_V5, RULES(MQD_R_CONNECT_WILL_PAYLOAD_NOT_UTF8), &f);
    check_frame("10 19" MQTT "05 06 003c 00 0003 616263 02 0101 0001 74 0001 41",
                MQD_V5, NONE, &f);
    /* A Topic Alias is no will property; Will Delay is no CONNECT one. */
    check_frame("10 1f" MQTT "05 06 003c 05 1800000005 0003 616263 03 230001"
                "0001 74 0001 41",
                MQD_V5,
                RULES(MQD_R_PROPERTY_NOT_ALLOWED, MQD_R_PROPERTY_NOT_ALLOWED),
                &f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_311_minimal), cmocka_unit_test(test_31),
        cmocka_unit_test(test_v5_full),     cmocka_unit_test(test_flags),
        cmocka_unit_test(test_protocol),    cmocka_unit_test(test_missing_fields),
        cmocka_unit_test(test_client_id),   cmocka_unit_test(test_will),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
