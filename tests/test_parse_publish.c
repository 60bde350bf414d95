/* PUBLISH decoding (MQTT 5.0 s3.3, 3.1.1 s3.3) and the fixed header rules
 * that PUBLISH exercises most: QoS, DUP, the remaining length encoding. */
#include "test_parse_util.h"

static void test_qos0_311(void **state)
{
    (void)state;
    mqd_frame f;
    check_frame("30 07 0003 612f62 6869", MQD_V311, NONE, &f);
    assert_int_equal(f.type, MQD_PUBLISH);
    assert_int_equal(f.qos, 0);
    assert_false(f.dup);
    assert_false(f.retain);
    assert_int_equal(f.topic.len, 3);
    assert_memory_equal(f.topic.data, "a/b", 3);
    assert_int_equal(f.topic.off, 2);
    assert_false(f.packet_id.present);
    assert_false(f.props.present);
    assert_int_equal(f.payload.off, 7);
    assert_int_equal(f.payload.len, 2);
    assert_memory_equal(f.payload.data, "hi", 2);
    assert_int_equal(f.remaining.value, 7);
    assert_int_equal(f.remaining.nbytes, 1);
    assert_true(f.remaining.minimal);
}

static void test_qos1_retain(void **state)
{
    (void)state;
    mqd_frame f;
    check_frame("33 09 0003 612f62 000a 6869", MQD_V311, NONE, &f);
    assert_int_equal(f.qos, 1);
    assert_true(f.retain);
    assert_true(f.packet_id.present);
    assert_int_equal(f.packet_id.value, 10);
    assert_int_equal(f.packet_id.off, 7);
    assert_int_equal(f.payload.len, 2);
}

static void test_header_violations(void **state)
{
    (void)state;
    mqd_frame f;
    /* QoS 3: reported, decoded as if it had a packet identifier. */
    check_frame("36 09 0003 612f62 000a 6869", MQD_V311,
                RULES(MQD_R_PUBLISH_QOS_3), &f);
    assert_int_equal(f.qos, 3);
    assert_int_equal(f.packet_id.value, 10);
    /* DUP on QoS 0. */
    check_frame("38 07 0003 612f62 6869", MQD_V311,
                RULES(MQD_R_PUBLISH_DUP_QOS0), &f);
    assert_true(f.dup);
    /* Not a 3.1 rule. */
    check_frame("38 07 0003 612f62 6869", MQD_V31, NONE, &f);
    /* Remaining length 7 in two bytes: a warning in 3.1.1, an error in
     * 5.0 (MQTT-1.5.5-1). */
    check_frame("30 8700 0003 612f62 6869", MQD_V311,
                RULES(MQD_R_RL_NOT_MINIMAL_V3), &f);
    check_frame("30 8800 0003 612f62 00 6869", MQD_V5,
                RULES(MQD_R_RL_NOT_MINIMAL), &f);
    assert_int_equal(f.remaining.nbytes, 2);
    assert_false(f.remaining.minimal);
    assert_int_equal(f.payload.len, 2);
    /* Everything at once: every violation is reported, not the first. */
    check_frame("3e 8900 0003 612f23 0000 6869", MQD_V311,
                RULES(MQD_R_PUBLISH_QOS_3, MQD_R_RL_NOT_MINIMAL_V3,
                      MQD_R_PUBLISH_TOPIC_WILDCARD, MQD_R_PACKET_ID_ZERO),
                &f);
}

static void test_topic_rules(void **state)
{
    (void)state;
    mqd_frame f;
    check_frame("30 05 0003 612f23", MQD_V311,
                RULES(MQD_R_PUBLISH_TOPIC_WILDCARD), &f);
    const mqd_violation *v = find_rule(&f, MQD_R_PUBLISH_TOPIC_WILDCARD);
    assert_int_equal(v->off, 6); /* the '#' */
    assert_int_equal(f.payload.len, 0);
    assert_true(f.payload.present);
    check_frame("30 05 0003 2b2f62", MQD_VERSION_UNKNOWN,
                RULES(MQD_R_PUBLISH_TOPIC_WILDCARD), &f);
    check_frame("30 02 0000", MQD_V311, RULES(MQD_R_PUBLISH_TOPIC_EMPTY), &f);
    check_frame("30 05 0003 61c080", MQD_V311, RULES(MQD_R_UTF8_ILL_FORMED),
                &f);
    v = find_rule(&f, MQD_R_UTF8_ILL_FORMED);
    assert_int_equal(v->off, 5);
    assert_int_equal(v->value, 2); /* the string field's offset */
    check_frame("30 05 0003 610062", MQD_V311, RULES(MQD_R_UTF8_NUL), &f);
    check_frame("30 06 0004 61eda080", MQD_V311, RULES(MQD_R_UTF8_SURROGATE),
                &f);
}

static void test_packet_id(void **state)
{
    (void)state;
    mqd_frame f;
    check_frame("32 07 0003 612f62 0000", MQD_V311,
                RULES(MQD_R_PACKET_ID_ZERO), &f);
    /* Not even room for it. */
    check_frame("32 05 0003 612f62", MQD_V311, RULES(MQD_R_FIELD_TRUNCATED),
                &f);
    check_frame("34 06 0003 612f62 00", MQD_V311,
                RULES(MQD_R_FIELD_TRUNCATED), &f);
    const mqd_violation *v = find_rule(&f, MQD_R_FIELD_TRUNCATED);
    assert_int_equal(v->off, 7);
    assert_int_equal(v->value, 1);
}

static void test_truncated_topic(void **state)
{
    (void)state;
    mqd_frame f;
    check_frame("30 04 0005 6162", MQD_V311, RULES(MQD_R_FIELD_TRUNCATED), &f);
    assert_false(f.topic.present);
    check_frame("30 01 00", MQD_V311, RULES(MQD_R_FIELD_TRUNCATED), &f);
    check_frame("30 00", MQD_V311, RULES(MQD_R_FIELD_TRUNCATED), &f);
}

static void test_v5(void **state)
{
    (void)state;
    mqd_frame f;
    /* Empty topic with a Topic Alias: how aliases are used. */
    check_frame("30 06 0000 03 230005", MQD_V5, NONE, &f);
    assert_true(f.props.present);
    assert_int_equal(f.props.length.value, 3);
    assert_int_equal(f.props.off, 5);
    assert_int_equal(f.props.len, 3);
    assert_int_equal(f.props.count, 1);
    mqd_prop p;
    assert_true(mqd_prop_find(&f, &f.props, MQD_P_TOPIC_ALIAS, &p));
    assert_int_equal(p.value, 5);
    assert_int_equal(p.off, 5);
    assert_int_equal(p.len, 3);
    /* Empty topic without one. */
    check_frame("30 03 0000 00", MQD_V5, RULES(MQD_R_PUBLISH_TOPIC_EMPTY), &f);
    /* Topic Alias 0. */
    check_frame("30 09 0003 612f62 03 230000", MQD_V5,
                RULES(MQD_R_PROPERTY_TOPIC_ALIAS_ZERO), &f);
    /* The property length is not optional in 5.0. */
    check_frame("30 05 0003 612f62", MQD_V5, RULES(MQD_R_FIELD_TRUNCATED), &f);
    /* Subscription Identifier may repeat in PUBLISH. */
    check_frame("30 0b 0003 612f62 04 0b01 0b02 78", MQD_V5, NONE, &f);
    assert_int_equal(f.props.count, 2);
    assert_int_equal(f.payload.len, 1);
    /* ... but not be 0, nor padded. */
    check_frame("30 07 0001 74 03 0b8000", MQD_V5,
                RULES(MQD_R_VARINT_NOT_MINIMAL,
                      MQD_R_PROPERTY_SUBSCRIPTION_ID_ZERO),
                &f);
}

static void test_payload_format(void **state)
{
    (void)state;
    mqd_frame f;
    check_frame("30 0a 0003 612f62 02 0101 6869", MQD_V5, NONE, &f);
    check_frame("30 0a 0003 612f62 02 0101 fffe", MQD_V5,
                RULES(MQD_R_PUBLISH_PAYLOAD_NOT_UTF8), &f);
    const mqd_violation *v = find_rule(&f, MQD_R_PUBLISH_PAYLOAD_NOT_UTF8);
    assert_int_equal(v->off, 10);
    /* Indicator 0: bytes are bytes. */
    check_frame("30 0a 0003 612f62 02 0100 fffe", MQD_V5, NONE, &f);
    /* Indicator 2: out of range. */
    check_frame("30 0a 0003 612f62 02 0102 fffe", MQD_V5,
                RULES(MQD_R_PROPERTY_VALUE_INVALID), &f);
}

static void test_big_payload(void **state)
{
    (void)state;
    /* 200-byte payload: remaining length 203 = cb 01. */
    char hex[2 * 210 + 32] = "30 cb01 0001 74";
    for (int i = 0; i < 200; i++)
        strcat(hex, "78");
    mqd_frame f;
    check_frame(hex, MQD_V311, NONE, &f);
    assert_int_equal(f.remaining.nbytes, 2);
    assert_int_equal(f.remaining.value, 203);
    assert_int_equal(f.payload.off, 6);
    assert_int_equal(f.payload.len, 200);
}

static void test_framing(void **state)
{
    (void)state;
    static const uint8_t too_long[] = {0x30, 0xff, 0xff, 0xff, 0xff, 0x01};
    mqd_frame f;
    mqd_result r = mqd_parse(too_long, sizeof too_long, MQD_V311, &f);
    assert_int_equal(r.status, MQD_ERROR);
    assert_int_equal(r.err_rule, MQD_R_RL_TOO_LONG);
    assert_int_equal(r.err_off, 4);
    /* Three continuation bytes: still only "need more". */
    r = mqd_parse(too_long, 4, MQD_V311, &f);
    assert_int_equal(r.status, MQD_NEED_MORE);
    assert_int_equal(r.need, 5);
    r = mqd_parse(too_long, 0, MQD_V311, &f);
    assert_int_equal(r.status, MQD_NEED_MORE);
    assert_int_equal(r.need, 1);
    /* The largest remaining length: only need. */
    static const uint8_t huge[] = {0x30, 0xff, 0xff, 0xff, 0x7f};
    r = mqd_parse(huge, sizeof huge, MQD_V311, &f);
    assert_int_equal(r.status, MQD_NEED_MORE);
    assert_int_equal(r.need, 5u + MQD_MAX_REMAINING_LENGTH);
    mqd_fixed_header h;
    r = mqd_fixed_header_read(huge, sizeof huge, &h);
    assert_int_equal(r.status, MQD_OK);
    assert_int_equal(r.size, 5u + MQD_MAX_REMAINING_LENGTH);
    assert_int_equal(h.type, MQD_PUBLISH);
    assert_int_equal(h.remaining.nbytes, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_qos0_311),
        cmocka_unit_test(test_qos1_retain),
        cmocka_unit_test(test_header_violations),
        cmocka_unit_test(test_topic_rules),
        cmocka_unit_test(test_packet_id),
        cmocka_unit_test(test_truncated_topic),
        cmocka_unit_test(test_v5),
        cmocka_unit_test(test_payload_format),
        cmocka_unit_test(test_big_payload),
        cmocka_unit_test(test_framing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
