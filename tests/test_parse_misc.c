/* CONNACK, the publish acknowledgements, DISCONNECT, AUTH, PINGREQ and
 * PINGRESP, type 0; and version inference and resync plausibility. */
#include "test_parse_util.h"

static void test_connack(void **state)
{
    (void)state;
    mqd_frame f;
    check_frame("20 02 00 00", MQD_V311, NONE, &f);
    assert_int_equal(f.ack_flags.off, 2);
    assert_int_equal(f.reason.off, 3);
    check_frame("20 02 01 00", MQD_V311, NONE, &f);
    assert_int_equal(f.ack_flags.value, 1);
    check_frame("20 02 01 05", MQD_V311,
                RULES(MQD_R_CONNACK_SESSION_PRESENT_ON_ERROR), &f);
    check_frame("20 02 02 00", MQD_V311, RULES(MQD_R_CONNACK_RESERVED_FLAGS),
                &f);
    check_frame("20 02 ff 00", MQD_V31, NONE, &f);
    check_frame("20 02 00 06", MQD_V311, RULES(MQD_R_REASON_CODE_INVALID), &f);
    check_frame("20 03 00 00 00", MQD_V311,
                RULES(MQD_R_LENGTH_MISMATCH, MQD_R_TRAILING_BYTES), &f);
    check_frame("20 01 00", MQD_V311,
                RULES(MQD_R_LENGTH_MISMATCH, MQD_R_FIELD_TRUNCATED), &f);
    check_frame("20 03 00 00 00", MQD_V5, NONE, &f);
    assert_true(f.props.present);
    check_frame("20 02 00 00", MQD_V5, RULES(MQD_R_FIELD_TRUNCATED), &f);
    check_frame("20 03 00 01 00", MQD_V5, RULES(MQD_R_CONNACK_REASON_INVALID),
                &f);
    check_frame("20 03 01 87 00", MQD_V5,
                RULES(MQD_R_CONNACK_SESSION_PRESENT_ON_ERROR), &f);
}

static void test_pub_acks(void **state)
{
    (void)state;
    mqd_frame f;
    check_frame("40 02 000a", MQD_V311, NONE, &f);
    assert_int_equal(f.packet_id.value, 10);
    assert_false(f.reason.present);
    check_frame("40 02 0000", MQD_V311, RULES(MQD_R_PACKET_ID_ZERO), &f);
    check_frame("40 01 00", MQD_V311,
                RULES(MQD_R_LENGTH_MISMATCH, MQD_R_FIELD_TRUNCATED), &f);
    check_frame("40 00", MQD_V311,
                RULES(MQD_R_LENGTH_MISMATCH, MQD_R_FIELD_TRUNCATED), &f);
    check_frame("40 03 000a 00", MQD_V311,
                RULES(MQD_R_LENGTH_MISMATCH, MQD_R_TRAILING_BYTES), &f);
    /* 5.0: reason code and properties may be left out. */
    check_frame("40 02 000a", MQD_V5, NONE, &f);
    check_frame("40 03 000a 10", MQD_V5, NONE, &f);
    assert_int_equal(f.reason.value, 0x10);
    assert_false(f.props.present);
    check_frame("40 04 000a 10 00", MQD_V5, NONE, &f);
    assert_true(f.props.present);
    check_frame("40 03 000a 92", MQD_V5, RULES(MQD_R_PUBACK_REASON_INVALID),
                &f);
    check_frame("50 03 000a 92", MQD_V5, RULES(MQD_R_PUBREC_REASON_INVALID),
                &f);
    check_frame("62 03 000a 92", MQD_V5, NONE, &f);
    check_frame("62 03 000a 10", MQD_V5, RULES(MQD_R_PUBREL_REASON_INVALID),
                &f);
    check_frame("70 03 000a 80", MQD_V5, RULES(MQD_R_PUBCOMP_REASON_INVALID),
                &f);
    check_frame("60 02 000a", MQD_V311, RULES(MQD_R_FLAGS_RESERVED), &f);
    check_frame("62 02 000a", MQD_V311, NONE, &f);
}

static void test_disconnect(void **state)
{
    (void)state;
    mqd_frame f;
    check_frame("e0 00", MQD_V311, NONE, &f);
    check_frame("e0 01 00", MQD_V311, RULES(MQD_R_DISCONNECT_BODY_BEFORE_V5),
                &f);
    check_frame("e2 00", MQD_V311, RULES(MQD_R_FLAGS_RESERVED), &f);
    check_frame("e0 00", MQD_V5, NONE, &f);
    assert_false(f.reason.present);
    check_frame("e0 01 04", MQD_V5, NONE, &f);
    assert_int_equal(f.reason.value, 4);
    check_frame("e0 02 00 00", MQD_V5, NONE, &f);
    check_frame("e0 01 19", MQD_V5, RULES(MQD_R_DISCONNECT_REASON_INVALID), &f);
    check_frame("e0 07 00 05 1100000000", MQD_V5, NONE, &f);
    check_frame("e0 05 00 03 230001", MQD_V5,
                RULES(MQD_R_PROPERTY_NOT_ALLOWED), &f);
}

static void test_auth(void **state)
{
    (void)state;
    mqd_frame f;
    check_frame("f0 00", MQD_V5, NONE, &f);
    check_frame("f0 00", MQD_VERSION_UNKNOWN, NONE, &f);
    assert_int_equal(f.version, MQD_V5);
    assert_true(f.version_inferred);
    check_frame("f0 00", MQD_V311, RULES(MQD_R_AUTH_BEFORE_V5), &f);
    check_frame("f0 08 18 06 150003616263", MQD_V5, NONE, &f);
    mqd_prop p;
    assert_true(mqd_prop_find(&f, &f.props, MQD_P_AUTHENTICATION_METHOD, &p));
    assert_memory_equal(p.str.data, "abc", 3);
    check_frame("f0 02 18 00", MQD_V5, RULES(MQD_R_AUTH_NO_METHOD), &f);
    check_frame("f0 01 05", MQD_V5, RULES(MQD_R_AUTH_REASON_INVALID), &f);
    check_frame("f1 00", MQD_V5, RULES(MQD_R_FLAGS_RESERVED), &f);
}

static void test_ping_and_reserved(void **state)
{
    (void)state;
    mqd_frame f;
    check_frame("c0 00", MQD_V311, NONE, &f);
    check_frame("d0 00", MQD_V5, NONE, &f);
    check_frame("c0 01 00", MQD_V311, RULES(MQD_R_BODY_NOT_ALLOWED), &f);
    check_frame("c1 00", MQD_V311, RULES(MQD_R_FLAGS_RESERVED), &f);
    check_frame("00 00", MQD_V311, RULES(MQD_R_TYPE_RESERVED), &f);
    check_frame("00 02 abcd", MQD_V311,
                RULES(MQD_R_TYPE_RESERVED, MQD_R_TRAILING_BYTES), &f);
}

static size_t bin(const char *hex, uint8_t *out)
{
    return hex2bin(hex, out, 64);
}

static void test_infer_version(void **state)
{
    (void)state;
    uint8_t b[64];
    size_t n;
    n = bin("20 02 00 00", b);
    assert_int_equal(mqd_infer_version(b, n), MQD_V311);
    n = bin("20 03 00 00 00", b);
    assert_int_equal(mqd_infer_version(b, n), MQD_V5);
    n = bin("30 07 0003 612f62 6869", b);
    assert_int_equal(mqd_infer_version(b, n), MQD_V311);
    n = bin("30 08 0003 612f62 00 6869", b);
    assert_int_equal(mqd_infer_version(b, n), MQD_VERSION_UNKNOWN);
    n = bin("82 09 000a 00 0003 612f62 2d", b);
    assert_int_equal(mqd_infer_version(b, n), MQD_V5);
    n = bin("40 03 000a 10", b);
    assert_int_equal(mqd_infer_version(b, n), MQD_V5);
    n = bin("40 02 000a", b);
    assert_int_equal(mqd_infer_version(b, n), MQD_VERSION_UNKNOWN);
    n = bin("c0 00", b);
    assert_int_equal(mqd_infer_version(b, n), MQD_VERSION_UNKNOWN);
    n = bin("f0 00", b);
    assert_int_equal(mqd_infer_version(b, n), MQD_V5);
    n = bin("10 0f 0004 4d515454 04 02 003c 0003 616263", b);
    assert_int_equal(mqd_infer_version(b, n), MQD_V311);
    n = bin("30 07 0003", b); /* incomplete */
    assert_int_equal(mqd_infer_version(b, n), MQD_VERSION_UNKNOWN);
}

static void test_plausibility(void **state)
{
    (void)state;
    uint8_t b[64];
    size_t n;
    n = bin("30 07 0003 612f62 6869", b);
    int publish = mqd_frame_plausibility(b, n, MQD_V311);
    assert_true(publish >= 80);
    n = bin("30 07 0003 612f62 6869 c0", b);
    assert_true(mqd_frame_plausibility(b, n, MQD_V311) > publish);
    n = bin("c0 00", b);
    int ping = mqd_frame_plausibility(b, n, MQD_V311);
    assert_true(ping > 0 && ping < 50);
    n = bin("30 07 0003 612f23 0000", b); /* wildcard, cut payload */
    assert_true(mqd_frame_plausibility(b, n, MQD_V311) < publish);
    n = bin("30 07 00", b);
    assert_int_equal(mqd_frame_plausibility(b, n, MQD_V311), 30);
    n = bin("30 ff", b);
    assert_int_equal(mqd_frame_plausibility(b, n, MQD_V311), 10);
    n = bin("00 00", b);
    assert_int_equal(mqd_frame_plausibility(b, n, MQD_V311), 0);
    n = bin("36 00", b);
    assert_int_equal(mqd_frame_plausibility(b, n, MQD_V311), 0);
    n = bin("31 ffffffff 01", b);
    assert_int_equal(mqd_frame_plausibility(b, n, MQD_V311), 0);
    n = bin("f0 00", b);
    assert_true(mqd_frame_plausibility(b, n, MQD_V311) < 5);
    n = bin("30 8700 0003 612f62 6869", b);
    assert_true(mqd_frame_plausibility(b, n, MQD_V311) <= 5);
    assert_int_equal(mqd_frame_plausibility(b, 0, MQD_V311), 0);
}

static void test_fixed_header(void **state)
{
    (void)state;
    static const uint8_t one[] = {0x30};
    mqd_fixed_header h;
    mqd_result r = mqd_fixed_header_read(one, 1, &h);
    assert_int_equal(r.status, MQD_NEED_MORE);
    assert_int_equal(r.need, 2);
    r = mqd_fixed_header_read(one, 0, &h);
    assert_int_equal(r.status, MQD_NEED_MORE);
    assert_int_equal(r.need, 1);
    static const uint8_t ping[] = {0xd0, 0x00};
    r = mqd_fixed_header_read(ping, 2, &h);
    assert_int_equal(r.status, MQD_OK);
    assert_int_equal(r.size, 2);
    assert_int_equal(h.type, MQD_PINGRESP);
    assert_int_equal(h.header, 0xd0);
}

/* Random bodies under every header byte and version: never a crash or an
 * over-read (ASan), always MQD_OK, always every byte explained. */
static uint32_t rng_state = 0x12345678u;
static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static void test_random_bodies(void **state)
{
    (void)state;
    static const uint8_t versions[] = {0, 3, 4, 5};
    for (int iter = 0; iter < 200000; iter++) {
        uint8_t body[40];
        uint32_t n = rnd() % sizeof body;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t r = rnd();
            /* Small values make lengths that fit, so deeper fields get
             * reached. */
            body[i] = (uint8_t)((r & 0x300u) ? (r & 0x7u) : (r >> 16));
        }
        uint8_t *frame = malloc(2 + n);
        frame[0] = (uint8_t)rnd();
        frame[1] = (uint8_t)n;
        memcpy(frame + 2, body, n);
        mqd_frame f;
        mqd_result r = mqd_parse(frame, 2 + n, versions[iter & 3], &f);
        assert_int_equal(r.status, MQD_OK);
        assert_int_equal(r.size, 2 + n);
        assert_covered(&f);
        for (unsigned i = 0; i < f.nviolations; i++)
            assert_true(f.violations[i].off <= f.size);
        (void)mqd_infer_version(frame, 2 + n);
        (void)mqd_frame_plausibility(frame, 2 + n, versions[iter & 3]);
        mqd_prop_iter it;
        mqd_prop p;
        mqd_prop_iter_init(&it, &f, &f.props);
        while (mqd_prop_next(&it, &p))
            assert_true(p.off + p.len <= f.props.off + f.props.len);
        mqd_filter_iter fi;
        mqd_filter flt;
        mqd_filter_iter_init(&fi, &f);
        while (mqd_filter_next(&fi, &flt))
            assert_true(flt.filter.off + 2u + flt.filter.len <= f.size);
        free(frame);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_connack),      cmocka_unit_test(test_pub_acks),
        cmocka_unit_test(test_disconnect),   cmocka_unit_test(test_auth),
        cmocka_unit_test(test_ping_and_reserved),
        cmocka_unit_test(test_infer_version),
        cmocka_unit_test(test_plausibility), cmocka_unit_test(test_fixed_header),
        cmocka_unit_test(test_random_bodies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
