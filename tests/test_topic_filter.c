/* Topic filter matching (cli/topic_filter.c), MQTT 5.0 s4.7. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "analysis/topic_filter.h"

static bool match(const char *f, const char *t)
{
    return topic_filter_match((const uint8_t *)f, strlen(f), (const uint8_t *)t, strlen(t));
}

static bool overlap(const char *a, const char *b)
{
    return topic_filter_overlap((const uint8_t *)a, strlen(a), (const uint8_t *)b, strlen(b));
}

static void test_match_table(void **state)
{
    (void)state;
    static const struct { const char *f, *t; bool want; } cases[] = {
        {"a/b", "a/b", true},
        {"a/b", "a/c", false},
        {"a/b", "a/b/c", false},
        {"a/+", "a/b", true},
        {"a/+", "a/b/c", false},
        {"a/+", "a/", true},          /* an empty level is a level */
        {"+/+", "/finance", true},
        {"/+", "/finance", true},
        {"+", "/finance", false},
        {"#", "a/b/c", true},
        {"a/#", "a", true},           /* '#' also matches the parent */
        {"a/#", "a/b/c", true},
        {"a/#", "ab", false},
        {"sport/tennis/+", "sport/tennis/player1", true},
        {"sport/tennis/+", "sport/tennis/player1/ranking", false},
        {"sport/+/player1", "sport/tennis/player1", true},
        {"#", "$SYS/uptime", false},  /* s4.7.2 */
        {"+/uptime", "$SYS/uptime", false},
        {"$SYS/#", "$SYS/uptime", true},
        {"$SYS/+", "$SYS/uptime", true},
        {"", "", true},
        {"a", "", false},
        {"A", "a", false},            /* case sensitive */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (match(cases[i].f, cases[i].t) != cases[i].want)
            fail_msg("filter \"%s\" topic \"%s\": want %d", cases[i].f, cases[i].t, cases[i].want);
}

static void test_overlap_table(void **state)
{
    (void)state;
    static const struct { const char *a, *b; bool want; } cases[] = {
        {"sensors/+/temp", "sensors/#", true},
        {"sensors/+/temp", "sensors/kitchen/temp", true},
        {"sensors/+/temp", "sensors/kitchen/humidity", false},
        {"sensors/+/temp", "+/garage/+/state", false},
        {"a/#", "a", true},
        {"a/+", "a", false},
        {"#", "$SYS/x", false},
        {"$SYS/#", "$SYS/+", true},
        {"x/y", "x/y", true},
        {"+/+", "a/b/c", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (overlap(cases[i].a, cases[i].b) != cases[i].want)
            fail_msg("\"%s\" vs \"%s\": want %d", cases[i].a, cases[i].b, cases[i].want);
        if (overlap(cases[i].b, cases[i].a) != cases[i].want)
            fail_msg("\"%s\" vs \"%s\" (swapped): want %d", cases[i].b, cases[i].a, cases[i].want);
    }
}

static void test_unshare_and_selection(void **state)
{
    (void)state;
    const uint8_t *s = (const uint8_t *)"$share/group/a/b";
    size_t n = strlen((const char *)s);
    topic_filter_unshare(&s, &n);
    assert_int_equal(n, 3);
    assert_memory_equal(s, "a/b", 3);

    struct topic_sel sel = {0};
    assert_true(topic_sel_match_topic(&sel, (const uint8_t *)"any", 3)); /* empty: all */
    assert_true(topic_sel_add(&sel, "a/+"));
    assert_true(topic_sel_add(&sel, "x/#"));
    assert_true(topic_sel_match_topic(&sel, (const uint8_t *)"a/q", 3));
    assert_true(topic_sel_match_topic(&sel, (const uint8_t *)"x", 1));
    assert_false(topic_sel_match_topic(&sel, (const uint8_t *)"b/q", 3));
    const char *shared = "$share/g/a/#";
    assert_true(topic_sel_match_filter(&sel, (const uint8_t *)shared, strlen(shared)));
    assert_false(topic_sel_match_filter(&sel, (const uint8_t *)"b/#", 3));
    for (int i = 2; i < TOPIC_SEL_MAX; i++)
        assert_true(topic_sel_add(&sel, "z"));
    assert_false(topic_sel_add(&sel, "full"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match_table),
        cmocka_unit_test(test_overlap_table),
        cmocka_unit_test(test_unshare_and_selection),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
