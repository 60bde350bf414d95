/* Tests of dissect/rules.c: the violation catalogue generated from
 * rules.def. Every rule has an id of the documented shape, a unique stable
 * name, a known severity and a one-line message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#include "mqttdissect/rules.h"

/* "MQTT-" then digits and dots (not starting or ending with a dot), "-",
 * digits: the form of the specification's normative statement ids. */
static bool is_spec_id(const char *id)
{
    if (strncmp(id, "MQTT-", 5) != 0)
        return false;
    const char *p = id + 5;
    const char *dash = strrchr(p, '-');
    if (!dash || dash == p || dash[1] == '\0')
        return false;
    if (p[0] == '.' || dash[-1] == '.')
        return false;
    for (const char *q = p; q < dash; q++)
        if (!isdigit((unsigned char)*q) && *q != '.')
            return false;
    for (const char *q = dash + 1; *q; q++)
        if (!isdigit((unsigned char)*q))
            return false;
    return true;
}

/* A "/suffix" that tells apart the checks of one statement: lower-case
 * letters, digits, '.' and '-', not empty. */
static bool suffix_well_formed(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s; s++)
        if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) &&
            *s != '.' && *s != '-')
            return false;
    return true;
}

/* /^(MQTT-[0-9.]+-[0-9]+(\/[a-z0-9.-]+)?|MQD-.+)$/ */
static bool id_well_formed(const char *id)
{
    if (strncmp(id, "MQD-", 4) == 0)
        return id[4] != '\0';
    const char *slash = strchr(id, '/');
    if (!slash)
        return is_spec_id(id);
    char head[64];
    size_t n = (size_t)(slash - id);
    if (n >= sizeof head)
        return false;
    memcpy(head, id, n);
    head[n] = '\0';
    return is_spec_id(head) && suffix_well_formed(slash + 1);
}

static void test_id_shape_checker(void **state)
{
    (void)state;
    assert_true(id_well_formed("MQTT-3.3.1-4"));
    assert_true(id_well_formed("MQTT-1.5.4-1"));
    assert_true(id_well_formed("MQD-2.4-reason-code"));
    assert_true(id_well_formed("MQTT-1.5.4-1/surrogate"));
    assert_true(id_well_formed("MQTT-3.1.2-22/v3.1.1"));
    assert_false(id_well_formed("MQTT-1.5.4-1/"));
    assert_false(id_well_formed("MQTT-1.5.4/x"));
    assert_false(id_well_formed("MQTT-1.5.4-1/Upper"));
    assert_false(id_well_formed("MQTT-3.3.1"));
    assert_false(id_well_formed("MQTT-3.3.1-"));
    assert_false(id_well_formed("MQTT--4"));
    assert_false(id_well_formed("MQTT-3.3.a-4"));
    assert_false(id_well_formed("MQD-"));
    assert_false(id_well_formed("mqtt-3.3.1-4"));
    assert_false(id_well_formed(""));
}

static void test_every_rule_complete(void **state)
{
    (void)state;
    assert_true(MQD_RULE_COUNT > 0);
    for (unsigned r = 0; r < MQD_RULE_COUNT; r++) {
        const mqd_rule_info *info = mqd_rule_get((uint16_t)r);
        assert_non_null(info);
        assert_non_null(info->id);
        assert_non_null(info->name);
        assert_non_null(info->message);
        if (!id_well_formed(info->id))
            fail_msg("rule %s: malformed id \"%s\"", info->name, info->id);
        assert_true(info->name[0] != '\0');
        for (const char *q = info->name; *q; q++)
            if (!isupper((unsigned char)*q) && !isdigit((unsigned char)*q) &&
                *q != '_')
                fail_msg("rule name \"%s\" is not UPPER_SNAKE", info->name);
        size_t mlen = strlen(info->message);
        assert_true(mlen > 0);
        if (info->message[mlen - 1] == '.' || strchr(info->message, '\n'))
            fail_msg("rule %s: message must be one line, no final period",
                     info->name);
        assert_true(info->severity <= MQD_SEV_INFO);
    }
}

/* Every id names one rule (--explain, jq filters and reports rely on it). */
static void test_ids_unique(void **state)
{
    (void)state;
    for (unsigned a = 0; a < MQD_RULE_COUNT; a++)
        for (unsigned b = a + 1; b < MQD_RULE_COUNT; b++)
            if (strcmp(mqd_rule_get((uint16_t)a)->id, mqd_rule_get((uint16_t)b)->id) == 0)
                fail_msg("rules %s and %s share the id %s", mqd_rule_get((uint16_t)a)->name,
                         mqd_rule_get((uint16_t)b)->name, mqd_rule_get((uint16_t)a)->id);
}

static void test_names_unique(void **state)
{
    (void)state;
    for (unsigned a = 0; a < MQD_RULE_COUNT; a++)
        for (unsigned b = a + 1; b < MQD_RULE_COUNT; b++)
            if (strcmp(mqd_rule_get((uint16_t)a)->name,
                       mqd_rule_get((uint16_t)b)->name) == 0)
                fail_msg("duplicate rule name %s",
                         mqd_rule_get((uint16_t)a)->name);
}

/* The names in rules.def order, generated here independently of rules.c. */
static const char *const def_names[] = {
#define MQD_RULE(name, id, sev, msg) #name,
#include "mqttdissect/rules.def"
#undef MQD_RULE
};

/* The enum and the table agree: the entry for MQD_R_X is named "X". */
static void test_enum_matches_table(void **state)
{
    (void)state;
    const mqd_rule_info *q3 = mqd_rule_get(MQD_R_PUBLISH_QOS_3);
    assert_string_equal(q3->name, "PUBLISH_QOS_3");
    assert_string_equal(q3->id, "MQTT-3.3.1-4");
    assert_int_equal(q3->severity, MQD_SEV_ERROR);
    assert_string_equal(mqd_rule_get(MQD_R_TYPE_RESERVED)->name,
                        "TYPE_RESERVED");
    assert_int_equal(mqd_rule_get(MQD_R_UTF8_DISCOURAGED)->severity,
                     MQD_SEV_WARNING);
    for (unsigned r = 0; r < MQD_RULE_COUNT; r++)
        assert_string_equal(mqd_rule_get((uint16_t)r)->name, def_names[r]);
}

static void test_out_of_range(void **state)
{
    (void)state;
    assert_null(mqd_rule_get(MQD_RULE_COUNT));
    assert_null(mqd_rule_get(UINT16_MAX));
}

static void test_severity_names(void **state)
{
    (void)state;
    assert_string_equal(mqd_severity_name(MQD_SEV_ERROR), "error");
    assert_string_equal(mqd_severity_name(MQD_SEV_WARNING), "warning");
    assert_string_equal(mqd_severity_name(MQD_SEV_INFO), "info");
    assert_non_null(mqd_severity_name(3));
    assert_non_null(mqd_severity_name(255));
}

/* mqd_rule_find: every rule by its name, and by its id the first rule
 * carrying that id; nothing for what is neither. */
static void test_find(void **state)
{
    (void)state;
    for (uint16_t r = 0; r < MQD_RULE_COUNT; r++) {
        const mqd_rule_info *info = mqd_rule_get(r);
        assert_ptr_equal(mqd_rule_find(info->name), info);
        const mqd_rule_info *by_id = mqd_rule_find(info->id);
        assert_non_null(by_id);
        assert_string_equal(by_id->id, info->id);
        assert_true(by_id <= info); /* the first with that id */
        assert_int_equal(by_id - mqd_rule_get(0) <= r, 1);
    }
    assert_ptr_equal(mqd_rule_find("MQTT-3.3.1-4"), mqd_rule_get(MQD_R_PUBLISH_QOS_3));
    assert_null(mqd_rule_find(NULL));
    assert_null(mqd_rule_find(""));
    assert_null(mqd_rule_find("publish_qos_3"));
    assert_null(mqd_rule_find("MQTT-3.3.1-"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_id_shape_checker),
        cmocka_unit_test(test_every_rule_complete),
        cmocka_unit_test(test_names_unique),
        cmocka_unit_test(test_ids_unique),
        cmocka_unit_test(test_enum_matches_table),
        cmocka_unit_test(test_out_of_range),
        cmocka_unit_test(test_severity_names),
        cmocka_unit_test(test_find),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
