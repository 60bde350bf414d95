/* The in-flight packet identifier table (cli/inflight.c): lookups after
 * adds and removals in any order (the backward-shift deletion keeps every
 * probe run whole), the entry bound, the PUBLISH count, the oldest frame. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "analysis/inflight.h"

static struct flight entry(uint16_t id, uint8_t kind, uint64_t pub_frame)
{
    struct flight e;
    memset(&e, 0, sizeof e);
    e.id = id;
    e.kind = kind;
    e.sub_slot = -1;
    e.frame = pub_frame;
    e.pub_frame = pub_frame;
    return e;
}

static void test_empty_table(void **state)
{
    (void)state;
    struct flight_table t;
    memset(&t, 0, sizeof t);
    assert_null(inflight_find(&t, 1));
    assert_null(inflight_find(&t, 0));
    assert_int_equal(inflight_oldest_frame(&t, 0), 0);
    assert_int_equal(inflight_oldest_frame(&t, 7), 7);
    inflight_free(&t);
}

static void test_add_find_remove(void **state)
{
    (void)state;
    struct flight_table t;
    memset(&t, 0, sizeof t);
    struct flight e = entry(10, FLIGHT_PUB_QOS1, 100);
    struct flight *got = inflight_add(&t, &e);
    assert_non_null(got);
    assert_int_equal(got->id, 10);
    assert_int_equal(got->pub_frame, 100);
    e = entry(11, FLIGHT_SUBSCRIBE, 90);
    assert_non_null(inflight_add(&t, &e));
    assert_int_equal(t.count, 2);
    assert_int_equal(t.pubs, 1); /* a SUBSCRIBE is not a PUBLISH flow */
    assert_ptr_equal(inflight_find(&t, 10), inflight_find(&t, 10));
    assert_null(inflight_find(&t, 12));
    assert_null(inflight_find(&t, 0)); /* never a valid identifier */
    assert_int_equal(inflight_oldest_frame(&t, 0), 90);
    assert_int_equal(inflight_oldest_frame(&t, 50), 50);
    inflight_remove(&t, inflight_find(&t, 10));
    assert_null(inflight_find(&t, 10));
    assert_non_null(inflight_find(&t, 11));
    assert_int_equal(t.count, 1);
    assert_int_equal(t.pubs, 0);
    inflight_free(&t);
    assert_int_equal(t.count, 0);
    assert_null(t.slots);
}

static void test_kinds(void **state)
{
    (void)state;
    assert_true(inflight_is_pub(FLIGHT_PUB_QOS1));
    assert_true(inflight_is_pub(FLIGHT_PUB_QOS2));
    assert_true(inflight_is_pub(FLIGHT_PUB_RECEIVED));
    assert_true(inflight_is_pub(FLIGHT_PUB_RELEASED));
    assert_false(inflight_is_pub(FLIGHT_SUBSCRIBE));
    assert_false(inflight_is_pub(FLIGHT_UNSUBSCRIBE));
}

/* Random adds and removals against a plain presence array: every lookup
 * agrees, through growth and long probe runs. */
static void test_random_against_reference(void **state)
{
    (void)state;
    static bool present[65536];
    memset(present, 0, sizeof present);
    struct flight_table t;
    memset(&t, 0, sizeof t);
    uint32_t x = 2463534242u, live = 0;
    for (int step = 0; step < 200000; step++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        /* Few distinct ids, so removals hit and runs collide. */
        uint16_t id = (uint16_t)(1 + x % 1500);
        struct flight *e = inflight_find(&t, id);
        assert_true((e != NULL) == present[id]);
        if (e) {
            assert_int_equal(e->pub_frame, id * 3u);
            inflight_remove(&t, e);
            present[id] = false;
            live--;
        } else {
            struct flight n = entry(id, (uint8_t)(id % 6), id * 3u);
            struct flight *added = inflight_add(&t, &n);
            if (live < INFLIGHT_MAX) {
                assert_non_null(added);
                present[id] = true;
                live++;
            } else {
                assert_null(added); /* full: counted by the caller, not stored */
            }
        }
        assert_int_equal(t.count, live);
        assert_true(t.cap <= 2 * INFLIGHT_MAX);
    }
    uint32_t found = 0, pubs = 0;
    for (uint32_t id = 1; id <= 1500; id++) {
        struct flight *e = inflight_find(&t, (uint16_t)id);
        assert_true((e != NULL) == present[id]);
        if (e) {
            found++;
            pubs += inflight_is_pub(e->kind);
        }
    }
    assert_int_equal(found, live);
    assert_int_equal(t.pubs, pubs);
    inflight_free(&t);
}

static void test_bound(void **state)
{
    (void)state;
    struct flight_table t;
    memset(&t, 0, sizeof t);
    for (uint32_t id = 1; id <= INFLIGHT_MAX; id++) {
        struct flight e = entry((uint16_t)id, FLIGHT_PUB_QOS2, id);
        assert_non_null(inflight_add(&t, &e));
    }
    struct flight more = entry((uint16_t)(INFLIGHT_MAX + 1), FLIGHT_PUB_QOS1, 1);
    assert_null(inflight_add(&t, &more));
    assert_int_equal(t.count, INFLIGHT_MAX);
    assert_int_equal(t.pubs, INFLIGHT_MAX);
    assert_int_equal(t.cap, 2 * INFLIGHT_MAX);
    assert_int_equal(inflight_oldest_frame(&t, 0), 1);
    inflight_remove(&t, inflight_find(&t, 1));
    assert_int_equal(inflight_oldest_frame(&t, 0), 2);
    assert_non_null(inflight_add(&t, &more)); /* room again */
    inflight_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_table),
        cmocka_unit_test(test_add_find_remove),
        cmocka_unit_test(test_kinds),
        cmocka_unit_test(test_random_against_reference),
        cmocka_unit_test(test_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
