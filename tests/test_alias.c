/* Topic Alias tables (cli/alias.c): set and use, the alias range, the
 * shared byte bound, replacing a mapping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "analysis/alias.h"

static void assert_topic(const struct topic_alias_table *t, uint32_t alias, const char *want)
{
    const uint8_t *topic = NULL;
    uint16_t len = 0;
    assert_int_equal(topic_alias_get(t, alias, &topic, &len), TOPIC_ALIAS_KNOWN);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(topic, want, len);
}

static bool set(struct topic_alias_table *t, uint32_t alias, const char *topic,
                struct topic_alias_bytes *bytes)
{
    return topic_alias_set(t, alias, (const uint8_t *)topic, (uint16_t)strlen(topic), bytes);
}

static void test_set_and_use(void **state)
{
    (void)state;
    struct topic_alias_table t;
    memset(&t, 0, sizeof t);
    struct topic_alias_bytes bytes = {0, 1024};
    const uint8_t *topic = NULL;
    uint16_t len = 0;
    assert_int_equal(topic_alias_get(&t, 1, &topic, &len), TOPIC_ALIAS_UNKNOWN);
    assert_true(set(&t, 1, "a/b", &bytes));
    assert_true(set(&t, 300, "far/away", &bytes)); /* grows past the first 16 */
    assert_topic(&t, 1, "a/b");
    assert_topic(&t, 300, "far/away");
    assert_int_equal(topic_alias_get(&t, 2, &topic, &len), TOPIC_ALIAS_UNKNOWN);
    assert_int_equal(topic_alias_get(&t, 5000, &topic, &len), TOPIC_ALIAS_UNKNOWN);
    /* s3.3.2.3.4: a later PUBLISH may map the alias to another topic. */
    assert_true(set(&t, 1, "shorter", &bytes));
    assert_topic(&t, 1, "shorter");
    assert_true(set(&t, 1, "x", &bytes)); /* shrinking keeps the buffer */
    assert_topic(&t, 1, "x");
    assert_int_equal(bytes.kept, strlen("shorter") + strlen("far/away"));
    topic_alias_free(&t);
    assert_null(t.a);
}

static void test_range(void **state)
{
    (void)state;
    struct topic_alias_table t;
    memset(&t, 0, sizeof t);
    struct topic_alias_bytes bytes = {0, 1024};
    assert_false(set(&t, 0, "zero", &bytes)); /* 0 is not an alias */
    assert_false(set(&t, TOPIC_ALIAS_MAX + 1, "over", &bytes));
    assert_true(set(&t, TOPIC_ALIAS_MAX, "last", &bytes));
    assert_topic(&t, TOPIC_ALIAS_MAX, "last");
    assert_int_equal(t.n, TOPIC_ALIAS_MAX + 1);
    topic_alias_free(&t);
}

/* The byte bound is shared: past it a mapping is known but not kept. */
static void test_byte_bound(void **state)
{
    (void)state;
    struct topic_alias_table up, down;
    memset(&up, 0, sizeof up);
    memset(&down, 0, sizeof down);
    struct topic_alias_bytes bytes = {0, 8};
    const uint8_t *topic = NULL;
    uint16_t len = 0;
    assert_true(set(&up, 1, "abcde", &bytes));
    assert_true(set(&down, 1, "fghij", &bytes)); /* would make 10 */
    assert_int_equal(topic_alias_get(&down, 1, &topic, &len), TOPIC_ALIAS_DROPPED);
    assert_int_equal(bytes.kept, 5);
    assert_true(set(&down, 1, "xyz", &bytes)); /* fits: kept again */
    assert_topic(&down, 1, "xyz");
    assert_int_equal(bytes.kept, 8);
    assert_topic(&up, 1, "abcde");
    topic_alias_free(&up);
    topic_alias_free(&down);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_and_use),
        cmocka_unit_test(test_range),
        cmocka_unit_test(test_byte_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
