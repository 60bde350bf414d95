/* The Sparkplug 3.0 STATE payload reader (cli/analysis/spb_state_json.c):
 * one strict JSON object whose top-level "online" (a Boolean) and
 * "timestamp" (a number) members are picked out; members of the same name
 * deeper down do not count, escaped names are decoded, and a payload the
 * strict JSON check refuses (not JSON, trailing text, a duplicate member,
 * ill-formed UTF-8) is no STATE payload at all. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analysis/spb_state_priv.h"

struct state_case {
    const char *text;
    bool ok;
    int online;
    bool timestamp;
};

static const struct state_case cases[] = {
    {"{\"online\":true,\"timestamp\":1700000000000}", true, 1, true},
    {" {\"timestamp\": 1.5e3 , \"online\" : false}\n", true, 0, true},
    {"{\"online\":true}", true, 1, false},
    {"{\"online\":\"true\",\"timestamp\":1}", true, -1, true},
    {"{\"online\":null,\"timestamp\":\"1\"}", true, -1, false},
    {"{}", true, -1, false},
    /* only the top level counts */
    {"{\"x\":{\"online\":true,\"timestamp\":1}}", true, -1, false},
    {"{\"x\":[{\"online\":false}],\"online\":true,\"timestamp\":2}", true, 1, true},
    {"{\"online\":[true],\"timestamp\":{\"t\":1}}", true, -1, false},
    /* names are compared decoded */
    {"{\"onl\\u0069ne\":false,\"time\\u0073tamp\":0}", true, 0, true},
    {"{\"online \":true,\"Timestamp\":1}", true, -1, false},
    /* refused by the strict check */
    {"", false, -1, false},
    {"[true]", false, -1, false},
    {"true", false, -1, false},
    {"{\"online\":true", false, -1, false},
    {"{\"online\":true} x", false, -1, false},
    {"{\"online\":tru}", false, -1, false},
    {"{\"online\":true,\"online\":false,\"timestamp\":1}", false, -1, false},
    {"{\"on\xC3line\":true}", false, -1, false},
    {"{\"online\":true,\"timestamp\":01}", false, -1, false},
};

static void test_cases(void **state)
{
    (void)state;
    struct json_embed *je = calloc(1, sizeof *je);
    assert_non_null(je);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct state_case *c = &cases[i];
        int online = 7;
        bool ts = true;
        bool ok = spb_state_payload(je, (const uint8_t *)c->text, strlen(c->text), &online, &ts);
        if (ok != c->ok || online != c->online || ts != c->timestamp)
            fail_msg("case %zu %s: ok %d online %d timestamp %d", i, c->text, ok, online, ts);
    }
    free(je);
}

/* An empty payload may come with no pointer at all. */
static void test_null_empty(void **state)
{
    (void)state;
    struct json_embed *je = calloc(1, sizeof *je);
    assert_non_null(je);
    int online = 7;
    bool ts = true;
    assert_false(spb_state_payload(je, NULL, 0, &online, &ts));
    assert_int_equal(online, -1);
    assert_false(ts);
    free(je);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_null_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
