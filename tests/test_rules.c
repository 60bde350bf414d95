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

#include "mqttdissect/frame.h"
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

/* ---- documentation (dissect/rules_doc.def) ---- */

static const char *const version_labels[] = {"5.0", "3.1.1", "3.1", "SN 1.2"};

/* One "LABEL §N.N.N" segment of a section, LABEL one of version_labels:
 * true with the label's index and where the number starts. */
static bool section_segment(const char *seg, size_t len, unsigned *label,
                            const char **num, size_t *num_len)
{
    for (unsigned i = 0; i < 4; i++) {
        size_t l = strlen(version_labels[i]);
        if (len > l + 3 && strncmp(seg, version_labels[i], l) == 0 &&
            strncmp(seg + l, " \xc2\xa7", 3) == 0) {
            *label = i;
            *num = seg + l + 3;
            *num_len = len - l - 3;
            if (*num_len == 0 || !isdigit((unsigned char)(*num)[0]) ||
                (*num)[*num_len - 1] == '.')
                return false;
            for (size_t k = 0; k < *num_len; k++)
                if (!isdigit((unsigned char)(*num)[k]) && (*num)[k] != '.')
                    return false;
            return true;
        }
    }
    return false;
}

/* Is the dotted number `p` (length pn) a whole-component prefix of `n`?
 * "3.1" of "3.1.2.1" yes, of "3.10" no. A trailing ".0" of p is dropped:
 * MQTT-4.7.0-1 is a statement of s4.7 itself. */
static bool number_prefix(const char *p, size_t pn, const char *n, size_t nn)
{
    if (pn > 2 && p[pn - 2] == '.' && p[pn - 1] == '0')
        pn -= 2;
    return nn >= pn && strncmp(p, n, pn) == 0 && (nn == pn || n[pn] == '.');
}

/* The section number an id names: "MQTT-3.3.1-4" → "3.3.1",
 * "MQD-SN-5.2.1-long-form" → "5.2.1", "MQD-3-property-value" → "3". */
static bool id_number(const char *id, const char **num, size_t *len)
{
    const char *p = strncmp(id, "MQTT-", 5) == 0      ? id + 5
                    : strncmp(id, "MQD-SN-", 7) == 0 ? id + 7
                    : strncmp(id, "MQD-", 4) == 0    ? id + 4
                                                     : NULL;
    if (!p || !isdigit((unsigned char)*p))
        return false;
    size_t n = 0;
    while (isdigit((unsigned char)p[n]) || (p[n] == '.' && isdigit((unsigned char)p[n + 1])))
        n++;
    *num = p;
    *len = n;
    return true;
}

/* Every rule has its documentation, whole and of the documented shape:
 * versions among the four, a section of "LABEL §N" segments that names the
 * section of the rule's id, a statement of one to three sentences. */
static void test_every_rule_documented(void **state)
{
    (void)state;
    for (uint16_t r = 0; r < MQD_RULE_COUNT; r++) {
        const mqd_rule_info *info = mqd_rule_get(r);
        const mqd_rule_doc *d = mqd_rule_doc_get(r);
        assert_non_null(d);
        if (!d->section || !d->statement || d->versions == 0)
            fail_msg("rule %s has no entry in dissect/rules_doc.def", info->name);
        if ((d->versions & ~0xFu) != 0)
            fail_msg("rule %s: unknown version bits 0x%x", info->name, d->versions);
        bool id_section_named = false;
        const char *idn;
        size_t idn_len;
        bool has_number = id_number(info->id, &idn, &idn_len);
        const char *seg = d->section;
        for (;;) {
            const char *end = strstr(seg, "; ");
            size_t len = end ? (size_t)(end - seg) : strlen(seg);
            unsigned label = 0;
            const char *num = "";
            size_t num_len = 0;
            if (!section_segment(seg, len, &label, &num, &num_len))
                fail_msg("rule %s: section segment \"%.*s\" is not \"LABEL \xc2\xa7N.N\"",
                         info->name, (int)len, seg);
            bool sn = label == 3;
            if (sn != (d->versions == MQD_RULE_SN12))
                fail_msg("rule %s: an SN 1.2 section for an MQTT rule, or the reverse",
                         info->name);
            if (has_number && number_prefix(idn, idn_len, num, num_len))
                id_section_named = true;
            if (!end)
                break;
            seg = end + 2;
        }
        if (has_number && !id_section_named)
            fail_msg("rule %s: its id %s names s%.*s, which the section \"%s\" does not",
                     info->name, info->id, (int)idn_len, idn, d->section);
        size_t n = strlen(d->statement);
        if (n < 20 || d->statement[n - 1] != '.' || strchr(d->statement, '\n'))
            fail_msg("rule %s: the statement must be sentences ending in '.'", info->name);
        unsigned sentences = 0;
        for (size_t i = 0; i < n; i++)
            if ((d->statement[i] == '.' || d->statement[i] == '!' || d->statement[i] == '?') &&
                (i + 1 == n || (d->statement[i + 1] == ' ' && isupper((unsigned char)d->statement[i + 2]))))
                sentences++;
        if (sentences < 1 || sentences > 3)
            fail_msg("rule %s: %u sentences in the statement (1 to 3 wanted)", info->name,
                     sentences);
    }
    assert_null(mqd_rule_doc_get(MQD_RULE_COUNT));
}

/* The versions agree with the code where its structure shows them: the
 * MQTT-SN parser's rules (SN_) apply to MQTT-SN alone; properties, Variable
 * Byte Integers and Topic Aliases exist only in 5.0; rules about what came
 * before 5.0 do not apply to it; topic filter checks as the library does
 * them (mqd_topic_filter_check) at each version. */
static void test_versions_agree_with_code(void **state)
{
    (void)state;
    for (uint16_t r = 0; r < MQD_RULE_COUNT; r++) {
        const char *name = mqd_rule_get(r)->name;
        uint8_t v = mqd_rule_doc_get(r)->versions;
        if ((strncmp(name, "SN_", 3) == 0) != (v == MQD_RULE_SN12))
            fail_msg("rule %s: SN_ rules, and only they, apply to MQTT-SN 1.2", name);
        if ((strncmp(name, "PROPERTY_", 9) == 0 || strncmp(name, "VARINT_", 7) == 0 ||
             strstr(name, "TOPIC_ALIAS") || strstr(name, "RECEIVE_MAXIMUM") ||
             strstr(name, "_REASON_INVALID")) &&
            v != MQD_RULE_V5)
            fail_msg("rule %s: a 5.0 feature, so 5.0 only", name);
        if ((strstr(name, "BEFORE_V5") || strstr(name, "_V3") || strstr(name, "_31_")) &&
            (v & MQD_RULE_V5))
            fail_msg("rule %s: not a 5.0 rule", name);
    }
    /* Shared subscriptions: checked at 5.0 only. */
    const char *shared = "$share//x";
    uint32_t off;
    uint16_t at5 = mqd_topic_filter_check((const uint8_t *)shared, strlen(shared), 5, &off);
    uint16_t at4 = mqd_topic_filter_check((const uint8_t *)shared, strlen(shared), 4, &off);
    assert_int_equal(at5, MQD_R_FILTER_SHARED_INVALID);
    assert_int_not_equal(at4, MQD_R_FILTER_SHARED_INVALID);
    assert_int_equal(mqd_rule_doc_get(MQD_R_FILTER_SHARED_INVALID)->versions, MQD_RULE_V5);
    /* '#' misplaced: every MQTT version. */
    for (uint8_t ver = 3; ver <= 5; ver++)
        assert_int_equal(mqd_topic_filter_check((const uint8_t *)"a/#/b", 5, ver, &off),
                         MQD_R_FILTER_MULTI_LEVEL_MISPLACED);
    assert_int_equal(mqd_rule_doc_get(MQD_R_FILTER_MULTI_LEVEL_MISPLACED)->versions,
                     MQD_RULE_V31 | MQD_RULE_V311 | MQD_RULE_V5);
}

static void test_version_names(void **state)
{
    (void)state;
    assert_string_equal(mqd_rule_version_name(MQD_RULE_V31), "3.1");
    assert_string_equal(mqd_rule_version_name(MQD_RULE_V311), "3.1.1");
    assert_string_equal(mqd_rule_version_name(MQD_RULE_V5), "5.0");
    assert_string_equal(mqd_rule_version_name(MQD_RULE_SN12), "sn1.2");
    assert_null(mqd_rule_version_name(0));
    assert_null(mqd_rule_version_name(3));
    assert_null(mqd_rule_version_name(16));
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
        cmocka_unit_test(test_every_rule_documented),
        cmocka_unit_test(test_versions_agree_with_code),
        cmocka_unit_test(test_version_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
