/* SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK (MQTT 5.0 s3.8 .. s3.11): the
 * lists, subscription options, topic filter and shared subscription rules,
 * and mqd_filter_iter. */
#include "test_parse_util.h"

#define SHARE "247368617265" /* "$share" */

static void test_subscribe_311(void **state)
{
    (void)state;
    mqd_frame f;
    check_frame("82 0c 000a 0003 612f62 01 0001 23 02", MQD_V311, NONE, &f);
    assert_int_equal(f.packet_id.value, 10);
    assert_true(f.list.present);
    assert_int_equal(f.list.count, 2);
    assert_int_equal(f.list.off, 4);
    assert_int_equal(f.list.len, 10);
    mqd_filter_iter it;
    mqd_filter flt;
    mqd_filter_iter_init(&it, &f);
    assert_true(mqd_filter_next(&it, &flt));
    assert_memory_equal(flt.filter.data, "a/b", 3);
    assert_int_equal(flt.filter.off, 4);
    assert_int_equal(flt.qos, 1);
    assert_int_equal(flt.options.off, 9);
    assert_true(mqd_filter_next(&it, &flt));
    assert_memory_equal(flt.filter.data, "#", 1);
    assert_int_equal(flt.qos, 2);
    assert_false(mqd_filter_next(&it, &flt));

    check_frame("80 0c 000a 0003 612f62 01 0001 23 02", MQD_V311,
                RULES(MQD_R_FLAGS_RESERVED), &f);
    check_frame("82 02 000a", MQD_V311, RULES(MQD_R_SUBSCRIBE_NO_FILTERS), &f);
    check_frame("82 02 0000", MQD_V311,
                RULES(MQD_R_SUBSCRIBE_NO_FILTERS, MQD_R_PACKET_ID_ZERO), &f);
    check_frame("82 08 000a 0003 612f62 05", MQD_V311,
                RULES(MQD_R_SUBSCRIBE_OPTIONS_RESERVED), &f);
    check_frame("82 08 000a 0003 612f62 03", MQD_V311,
                RULES(MQD_R_SUBSCRIBE_QOS_3), &f);
    check_frame("82 05 000a 0000 00", MQD_V311, RULES(MQD_R_FILTER_EMPTY), &f);
    /* A filter without its options byte. */
    check_frame("82 07 000a 0003 612f62", MQD_V311,
                RULES(MQD_R_FIELD_TRUNCATED), &f);
    assert_int_equal(f.list.count, 0);
    mqd_filter_iter_init(&it, &f);
    assert_false(mqd_filter_next(&it, &flt));
}

static void test_wildcards(void **state)
{
    (void)state;
    mqd_frame f;
    check_frame("82 20 000a 0004 612f6223 00 0004 612b2f62 00 0003 232f61 00"
                "0001 2b 00 0003 612f23 00",
                MQD_V311,
                RULES(MQD_R_FILTER_MULTI_LEVEL_MISPLACED,
                      MQD_R_FILTER_SINGLE_LEVEL_MISPLACED,
                      MQD_R_FILTER_MULTI_LEVEL_MISPLACED),
                &f);
    assert_int_equal(f.list.count, 5);
    assert_int_equal(find_rule(&f, MQD_R_FILTER_MULTI_LEVEL_MISPLACED)->off, 9);
    assert_int_equal(find_rule(&f, MQD_R_FILTER_SINGLE_LEVEL_MISPLACED)->off,
                     14);
}

static void test_subscribe_v5(void **state)
{
    (void)state;
    mqd_frame f;
    check_frame("82 09 000a 00 0003 612f62 2d", MQD_V5, NONE, &f);
    assert_true(f.props.present);
    mqd_filter_iter it;
    mqd_filter flt;
    mqd_filter_iter_init(&it, &f);
    assert_true(mqd_filter_next(&it, &flt));
    assert_int_equal(flt.qos, 1);
    assert_true(flt.no_local);
    assert_true(flt.retain_as_published);
    assert_int_equal(flt.retain_handling, 2);
    assert_false(mqd_filter_next(&it, &flt));

    check_frame("82 09 000a 00 0003 612f62 f0", MQD_V5,
                RULES(MQD_R_SUBSCRIBE_OPTIONS_RESERVED,
                      MQD_R_SUBSCRIBE_RETAIN_HANDLING_3),
                &f);
    /* Subscription Identifier: once in SUBSCRIBE. */
    check_frame("82 0b 000a 04 0b01 0b02 0001 74 00", MQD_V5,
                RULES(MQD_R_PROPERTY_DUPLICATE), &f);
    check_frame("82 03 000a 00", MQD_V5, RULES(MQD_R_SUBSCRIBE_NO_FILTERS), &f);
}

static void test_shared(void **state)
{
    (void)state;
    mqd_frame f;
    check_frame("82 10 000a 00 000a" SHARE "2f672f74 00", MQD_V5, NONE, &f);
    check_frame("82 10 000a 00 000a" SHARE "2f672f74 04", MQD_V5,
                RULES(MQD_R_FILTER_SHARED_NO_LOCAL), &f);
    check_frame("82 0f 000a 00 0009" SHARE "2f2f74 00", MQD_V5,
                RULES(MQD_R_FILTER_SHARED_INVALID), &f);
    check_frame("82 0e 000a 00 0008" SHARE "2f67 00", MQD_V5,
                RULES(MQD_R_FILTER_SHARED_INVALID), &f);
    check_frame("82 11 000a 00 000b" SHARE "2f672b2f74 00", MQD_V5,
                RULES(MQD_R_FILTER_SHARED_NAME_CHARS), &f);
    /* The filter after the share name is checked like any other. */
    check_frame("82 11 000a 00 000b" SHARE "2f672f7423 00", MQD_V5,
                RULES(MQD_R_FILTER_MULTI_LEVEL_MISPLACED), &f);
    /* Not a thing before 5.0. */
    check_frame("82 0e 000a 0009" SHARE "2f2f74 00", MQD_V311, NONE, &f);
}

static void test_unsubscribe(void **state)
{
    (void)state;
    mqd_frame f;
    check_frame("a2 07 000b 0003 612f62", MQD_V311, NONE, &f);
    assert_int_equal(f.list.count, 1);
    mqd_filter_iter it;
    mqd_filter flt;
    mqd_filter_iter_init(&it, &f);
    assert_true(mqd_filter_next(&it, &flt));
    assert_false(flt.options.present);
    assert_false(mqd_filter_next(&it, &flt));
    check_frame("a2 02 000b", MQD_V311, RULES(MQD_R_UNSUBSCRIBE_NO_FILTERS),
                &f);
    check_frame("a2 08 000b 00 0003 612f62", MQD_V5, NONE, &f);
    check_frame("a2 08 000b 00 0003 61ff62", MQD_V5,
                RULES(MQD_R_UTF8_ILL_FORMED), &f);
    check_frame("a0 07 000b 0003 612f62", MQD_V311,
                RULES(MQD_R_FLAGS_RESERVED), &f);
}

static void test_acks(void **state)
{
    (void)state;
    mqd_frame f;
    check_frame("90 06 000a 00 01 02 80", MQD_V311, NONE, &f);
    assert_int_equal(f.list.count, 4);
    assert_int_equal(f.list.off, 4);
    check_frame("90 03 000a 03", MQD_V311, RULES(MQD_R_RETURN_CODE_RESERVED),
                &f);
    check_frame("90 02 000a", MQD_V311, RULES(MQD_R_SUBACK_NO_CODES), &f);
    check_frame("90 0a 000a 00 00 01 02 80 87 8f 91", MQD_V5, NONE, &f);
    assert_int_equal(f.list.count, 7);
    check_frame("90 04 000a 00 05", MQD_V5, RULES(MQD_R_RETURN_CODE_RESERVED),
                &f);
    check_frame("b0 02 000b", MQD_V311, NONE, &f);
    assert_false(f.list.present);
    check_frame("b0 03 000b 00", MQD_V311,
                RULES(MQD_R_LENGTH_MISMATCH, MQD_R_TRAILING_BYTES), &f);
    check_frame("b0 05 000b 00 00 11", MQD_V5, NONE, &f);
    assert_int_equal(f.list.count, 2);
    check_frame("b0 04 000b 00 02", MQD_V5,
                RULES(MQD_R_UNSUBACK_REASON_INVALID), &f);
    check_frame("b0 03 000b 00", MQD_V5, RULES(MQD_R_UNSUBACK_NO_CODES), &f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_subscribe_311), cmocka_unit_test(test_wildcards),
        cmocka_unit_test(test_subscribe_v5),  cmocka_unit_test(test_shared),
        cmocka_unit_test(test_unsubscribe),   cmocka_unit_test(test_acks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
