/* MQTT 5.0 property blocks (s2.2.2): the walk, the per-packet table, the
 * value ranges, and the public iterator. */
#include "test_parse_util.h"

static void test_unknown_and_duplicate(void **state)
{
    (void)state;
    mqd_frame f;
    check_frame("30 07 0001 74 03 ff0000", MQD_V5,
                RULES(MQD_R_PROPERTY_UNKNOWN), &f);
    assert_int_equal(find_rule(&f, MQD_R_PROPERTY_UNKNOWN)->value, 0xff);
    assert_int_equal(find_rule(&f, MQD_R_PROPERTY_UNKNOWN)->off, 6);
    assert_int_equal(f.props.count, 0);
    mqd_prop_iter it;
    mqd_prop p;
    mqd_prop_iter_init(&it, &f, &f.props);
    assert_false(mqd_prop_next(&it, &p));

    check_frame("30 0e 0001 74 0a 0200000001 0200000002", MQD_V5,
                RULES(MQD_R_PROPERTY_DUPLICATE), &f);
    assert_int_equal(find_rule(&f, MQD_R_PROPERTY_DUPLICATE)->off, 11);
    /* User Property repeats freely. */
    check_frame("30 12 0001 74 0e 26000161000162 26000161000162", MQD_V5, NONE,
                &f);
    assert_int_equal(f.props.count, 2);
    mqd_prop_iter_init(&it, &f, &f.props);
    assert_true(mqd_prop_next(&it, &p));
    assert_int_equal(p.id, MQD_P_USER_PROPERTY);
    assert_non_null(p.info);
    assert_int_equal(p.off, 6);
    assert_int_equal(p.len, 7);
    assert_memory_equal(p.str.data, "a", 1);
    assert_memory_equal(p.str2.data, "b", 1);
    assert_true(mqd_prop_next(&it, &p));
    assert_int_equal(p.off, 13);
    assert_false(mqd_prop_next(&it, &p));
}

static void test_not_allowed(void **state)
{
    (void)state;
    mqd_frame f;
    check_frame("30 09 0001 74 05 1100000001", MQD_V5,
                RULES(MQD_R_PROPERTY_NOT_ALLOWED), &f);
    assert_int_equal(find_rule(&f, MQD_R_PROPERTY_NOT_ALLOWED)->value, 0x11);
    /* A Reason String on PUBACK is fine. */
    check_frame("40 09 000a 00 05 1f00026f6b", MQD_V5, NONE, &f);
}

static void test_lengths(void **state)
{
    (void)state;
    mqd_frame f;
    /* Property length 10 with 2 bytes left. */
    check_frame("30 06 0001 74 0a 2300", MQD_V5,
                RULES(MQD_R_PROPERTY_LENGTH_OVERRUN,
                      MQD_R_PROPERTY_VALUE_TRUNCATED),
                &f);
    assert_int_equal(f.props.len, 2);
    assert_false(f.payload.present);
    /* Property length field of 4 continuation bytes. */
    check_frame("30 07 0001 74 ffffffff", MQD_V5,
                RULES(MQD_R_VARINT_TOO_LONG), &f);
    check_frame("30 09 0001 74 ffffffff 4142", MQD_V5,
                RULES(MQD_R_VARINT_TOO_LONG, MQD_R_FIELD_TRUNCATED), &f);
    /* Cut inside the property length. */
    check_frame("30 04 0001 74 80", MQD_V5, RULES(MQD_R_FIELD_TRUNCATED), &f);
    /* Padded property length. */
    check_frame("30 05 0001 74 8000", MQD_V5,
                RULES(MQD_R_VARINT_NOT_MINIMAL), &f);
    /* A Subscription Identifier of 4 continuation bytes. */
    check_frame("30 09 0001 74 05 0bffffffff", MQD_V5,
                RULES(MQD_R_VARINT_TOO_LONG), &f);
}

static void test_values(void **state)
{
    (void)state;
    mqd_frame f;
    check_frame("20 15 00 00 12 2402 2502 210000 2700000000 2805 2907 2a09",
                MQD_V5,
                RULES(MQD_R_PROPERTY_VALUE_INVALID, MQD_R_PROPERTY_VALUE_INVALID,
                      MQD_R_PROPERTY_VALUE_INVALID, MQD_R_PROPERTY_VALUE_INVALID,
                      MQD_R_PROPERTY_VALUE_INVALID,
                      MQD_R_PROPERTY_RECEIVE_MAXIMUM_ZERO,
                      MQD_R_PROPERTY_MAXIMUM_PACKET_SIZE_ZERO),
                &f);
    assert_int_equal(f.props.count, 7);
    mqd_prop p;
    assert_true(mqd_prop_find(&f, &f.props, MQD_P_MAXIMUM_PACKET_SIZE, &p));
    assert_int_equal(p.off, 12);
    assert_int_equal(p.len, 5);
    check_frame("10 15 0004 4d515454 05 02 003c 08 1702 1903 160001aa 0000",
                MQD_V5,
                RULES(MQD_R_PROPERTY_VALUE_INVALID, MQD_R_PROPERTY_VALUE_INVALID,
                      MQD_R_PROPERTY_AUTH_DATA_NO_METHOD),
                &f);
    check_frame("30 0a 0001 74 06 080003612f2b", MQD_V5,
                RULES(MQD_R_PROPERTY_RESPONSE_TOPIC_WILDCARD), &f);
    check_frame("30 0b 0001 74 07 26 0001 61 0001 ff", MQD_V5,
                RULES(MQD_R_UTF8_ILL_FORMED), &f);
    check_frame("30 0b 0001 74 07 26 0001 00 0001 61", MQD_V5,
                RULES(MQD_R_UTF8_NUL), &f);
}

static void test_iter_empty(void **state)
{
    (void)state;
    mqd_frame f;
    check_frame("30 07 0003 612f62 6869", MQD_V311, NONE, &f);
    mqd_prop_iter it;
    mqd_prop p;
    mqd_prop_iter_init(&it, &f, &f.props);
    assert_false(mqd_prop_next(&it, &p));
    assert_false(mqd_prop_find(&f, &f.props, MQD_P_TOPIC_ALIAS, &p));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unknown_and_duplicate),
        cmocka_unit_test(test_not_allowed),
        cmocka_unit_test(test_lengths),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_iter_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
