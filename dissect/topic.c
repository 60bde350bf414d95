/* Topic names and topic filters (MQTT 5.0 s4.7 and s4.8). */
#include "topic.h"

#include <string.h>

#include "fields.h"
#include "violation.h"

/* Offset within the frame of character i of a string field. */
static uint32_t char_off(const mqd_str *s, uint32_t i)
{
    return s->off + 2u + i;
}

bool mqd_check_topic_name(mqd_frame *f, const mqd_str *topic, uint16_t rule)
{
    /* Two memchr passes: fast on the hot path, and they find the first of
     * each wildcard. */
    const uint8_t *plus = memchr(topic->data, '+', topic->len);
    const uint8_t *hash = memchr(topic->data, '#', topic->len);
    const uint8_t *first = plus;
    if (first == NULL || (hash != NULL && hash < first))
        first = hash;
    if (first == NULL)
        return false;
    uint32_t i = (uint32_t)(first - topic->data);
    mqd_violation_add(f, rule, char_off(topic, i), *first);
    return true;
}

/* s4.7.1.2: '#' alone in the last level. s4.7.1.3: '+' fills its level.
 * Checks s[from..len) as a filter in its own right (levels start at
 * `from`). Each kind of misplacement is reported once per filter. */
static void check_wildcards(mqd_frame *f, const mqd_str *s, uint32_t from)
{
    bool hash_bad = false, plus_bad = false;
    const uint8_t *d = s->data;
    uint32_t n = s->len;
    for (uint32_t i = from; i < n; i++) {
        bool level_start = i == from || d[i - 1] == '/';
        bool level_end = i + 1 == n || d[i + 1] == '/';
        if (d[i] == '#' && !hash_bad && (!level_start || i + 1 != n)) {
            hash_bad = true;
            mqd_violation_add(f, MQD_R_FILTER_MULTI_LEVEL_MISPLACED,
                              char_off(s, i), '#');
        } else if (d[i] == '+' && !plus_bad && (!level_start || !level_end)) {
            plus_bad = true;
            mqd_violation_add(f, MQD_R_FILTER_SINGLE_LEVEL_MISPLACED,
                              char_off(s, i), '+');
        }
    }
}

#define SHARE_PREFIX "$share/"
#define SHARE_PREFIX_LEN 7u

/* s4.8.2: $share/{ShareName}/{filter}. The ShareName is at least one
 * character (MQTT-4.8.2-1) with no '/', '+' or '#', and is followed by
 * '/' and a topic filter (MQTT-4.8.2-2). Returns where the inner filter
 * starts, or 0 when there is none to check. */
static uint32_t check_shared(mqd_frame *f, const mqd_str *s)
{
    const uint8_t *d = s->data;
    uint32_t n = s->len, i = SHARE_PREFIX_LEN;
    bool bad_char = false;
    while (i < n && d[i] != '/') {
        if ((d[i] == '+' || d[i] == '#') && !bad_char) {
            bad_char = true;
            mqd_violation_add(f, MQD_R_FILTER_SHARED_NAME_CHARS,
                              char_off(s, i), d[i]);
        }
        i++;
    }
    if (i == SHARE_PREFIX_LEN) {
        mqd_violation_add(f, MQD_R_FILTER_SHARED_INVALID,
                          char_off(s, i), 0);
        return 0;
    }
    if (i + 1 >= n) { /* no '/' after the name, or nothing after it */
        mqd_violation_add(f, MQD_R_FILTER_SHARED_INVALID,
                          char_off(s, i < n ? i : n), 0);
        return 0;
    }
    return i + 1;
}

bool mqd_check_topic_filter(mqd_frame *f, const mqd_str *filter,
                            uint8_t version)
{
    if (filter->len == 0) {
        /* MQTT-4.7.3-1: at least one character. */
        mqd_violation_add(f, MQD_R_FILTER_EMPTY, filter->off, 0);
        return false;
    }
    bool shared = version == MQD_V5 && filter->len >= SHARE_PREFIX_LEN &&
                  memcmp(filter->data, SHARE_PREFIX, SHARE_PREFIX_LEN) == 0;
    uint32_t from = 0;
    if (shared) {
        from = check_shared(f, filter);
        if (from == 0)
            return true;
    }
    check_wildcards(f, filter, from);
    return shared;
}

/* A filter checked on its own, through the same checks as in a SUBSCRIBE:
 * a scratch frame collects the violations; only errors count (a
 * discouraged character is legal). */
uint16_t mqd_topic_filter_check(const uint8_t *s, size_t len, uint8_t version,
                                uint32_t *off)
{
    mqd_frame f;
    memset(&f, 0, sizeof f);
    if (len > UINT16_MAX)
        return MQD_R_FIELD_TRUNCATED;
    mqd_str str = {true, (uint16_t)len, 0, s};
    mqd_check_utf8(&f, &str);
    (void)mqd_check_topic_filter(&f, &str, version);
    for (unsigned i = 0; i < f.nviolations; i++) {
        const mqd_rule_info *r = mqd_rule_get(f.violations[i].rule);
        if (r && r->severity == MQD_SEV_ERROR) {
            if (off)
                *off = f.violations[i].off >= 2 ? f.violations[i].off - 2 : 0;
            return f.violations[i].rule;
        }
    }
    return MQD_RULE_COUNT;
}
