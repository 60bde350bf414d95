/* The --stats summary (cli/stats.c, cli/stats_text.c): histogram
 * precision, counts, bounds, the JSON object and the text tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "mqttdissect/mqd.h"
#include "analysis/stats.h"

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* Percentiles within 0.8% of the exact rank value (or 1 us). */
static void test_histogram_precision(void **state)
{
    (void)state;
    static struct latency_hist h;
    enum { N = 20000 };
    static int64_t v[N];
    uint64_t x = 12345;
    memset(&h, 0, sizeof h);
    for (int i = 0; i < N; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        int shift = (int)((x >> 33) % 30);
        v[i] = (int64_t)((x >> 20) & ((1ull << shift) - 1 + (shift == 0)));
        hist_add(&h, v[i]);
    }
    qsort(v, N, sizeof v[0], cmp_i64);
    assert_int_equal(h.min, v[0]);
    assert_int_equal(h.max, v[N - 1]);
    static const double ps[] = {1, 50, 90, 99, 99.9, 100};
    for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++) {
        size_t rank = (size_t)(ps[i] / 100.0 * N + 0.999999);
        int64_t exact = v[rank - 1], got = hist_percentile(&h, ps[i]);
        int64_t err = got > exact ? got - exact : exact - got;
        if (err > 1 && (double)err > (double)exact * 0.008)
            fail_msg("p%g: %lld, exact %lld", ps[i], (long long)got, (long long)exact);
    }
    struct latency_hist one;
    memset(&one, 0, sizeof one);
    hist_add(&one, -5); /* time going backwards counts as 0 */
    hist_add(&one, (int64_t)1 << 50); /* clamped into the last bucket, max exact */
    assert_int_equal(one.min, 0);
    assert_int_equal(hist_percentile(&one, 100), (int64_t)1 << 50);
}

static void parse(const uint8_t *b, size_t n, mqd_frame *f)
{
    assert_int_equal(mqd_parse(b, n, 4, f).status, MQD_OK);
}

static void test_counts_and_json(void **state)
{
    (void)state;
    struct stats *st = stats_new();
    assert_non_null(st);
    struct stats_client_ref ref = STATS_CLIENT_REF_INIT;
    struct session_info info;
    memset(&info, 0, sizeof info);
    info.connect_seen = true;
    info.client_id.present = true;
    info.client_id.len = 3;
    strcpy(info.client_id.s, "cli");
    static const uint8_t pub[] = {0x32, 8, 0, 3, 'a', '/', 'b', 0, 1, 'x'};
    static const uint8_t pub0[] = {0x30, 6, 0, 1, 'c', 'y', 'y', 'y'};
    static const uint8_t ack[] = {0x40, 2, 0, 1};
    mqd_frame f;
    struct msg_analysis an;
    struct session_step step = {.selected = true};
    memset(&an, 0, sizeof an);
    an.has_effective_topic = true;
    for (int i = 0; i < 3; i++) {
        parse(pub, sizeof pub, &f);
        an.effective_topic = (const uint8_t *)"a/b";
        an.effective_topic_len = 3;
        stats_message(st, &ref, &info, 0, &f, &an, &step);
    }
    parse(pub0, sizeof pub0, &f);
    an.effective_topic = (const uint8_t *)"c";
    an.effective_topic_len = 1;
    stats_message(st, &ref, &info, 1, &f, &an, &step);
    parse(ack, sizeof ack, &f);
    memset(&an, 0, sizeof an);
    step.nsamples = 1;
    step.samples[0].pair = PAIR_PUBLISH_PUBACK;
    step.samples[0].latency_us = 250;
    stats_message(st, &ref, &info, 1, &f, &an, &step);
    stats_event_violation(st, MQD_R_SESSION_UNACKED_AT_CLOSE);
    stats_connection(st, 1, &info, NULL);
    assert_int_equal(stats_messages(st), 5);

    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    assert_int_equal(stats_write_json(st, NULL, NULL, tmp), 0);
    rewind(tmp);
    json_error_t err;
    json_t *doc = json_loadf(tmp, 0, &err);
    if (!doc)
        fail_msg("stats JSON does not parse: %s", err.text);
    json_t *s = json_object_get(doc, "stats");
    assert_int_equal(json_integer_value(json_object_get(s, "messages")), 5);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(s, "by_type"), "PUBLISH")), 4);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(s, "qos"), "1")), 3);
    json_t *top = json_array_get(json_object_get(s, "top_topics_by_messages"), 0);
    assert_string_equal(json_string_value(json_object_get(top, "topic")), "a/b");
    assert_int_equal(json_integer_value(json_object_get(top, "messages")), 3);
    top = json_array_get(json_object_get(s, "top_topics_by_bytes"), 0);
    assert_string_equal(json_string_value(json_object_get(top, "topic")), "c");
    json_t *lat = json_object_get(json_object_get(s, "latency_us"), "PUBLISH->PUBACK");
    assert_int_equal(json_integer_value(json_object_get(lat, "p99")), 250);
    json_t *cl = json_array_get(json_object_get(s, "clients"), 0);
    assert_string_equal(json_string_value(json_object_get(cl, "client_id")), "cli");
    assert_int_equal(json_integer_value(json_object_get(cl, "messages_sent")), 3);
    assert_int_equal(json_integer_value(json_object_get(cl, "messages_received")), 2);
    json_t *v = json_object_get(s, "violations");
    assert_int_equal(json_integer_value(json_object_get(v, "total")), 1);
    json_decref(doc);
    fclose(tmp);

    tmp = tmpfile();
    assert_int_equal(stats_write_text(st, NULL, NULL, NULL, tmp), 0);
    long size = ftell(tmp);
    assert_true(size > 200);
    fclose(tmp);
    stats_free(st);
}

/* More distinct topics than the bound: the rest are counted as "other". */
static void test_topic_bound(void **state)
{
    (void)state;
    struct stats *st = stats_new();
    struct stats_client_ref ref = STATS_CLIENT_REF_INIT;
    static const uint8_t pub0[] = {0x30, 4, 0, 1, 'c', 'y'};
    mqd_frame f;
    parse(pub0, sizeof pub0, &f);
    struct session_step step = {.selected = true};
    struct msg_analysis an;
    memset(&an, 0, sizeof an);
    an.has_effective_topic = true;
    char name[32];
    for (unsigned i = 0; i < STATS_MAX_TOPICS + 100; i++) {
        int n = snprintf(name, sizeof name, "t/%u", i);
        an.effective_topic = (const uint8_t *)name;
        an.effective_topic_len = (uint16_t)n;
        stats_message(st, &ref, NULL, 0, &f, &an, &step);
    }
    FILE *tmp = tmpfile();
    assert_int_equal(stats_write_json(st, NULL, NULL, tmp), 0);
    rewind(tmp);
    json_error_t err;
    json_t *doc = json_loadf(tmp, 0, &err);
    assert_non_null(doc);
    json_t *s = json_object_get(doc, "stats");
    assert_int_equal(json_integer_value(json_object_get(s, "topics")), STATS_MAX_TOPICS);
    assert_int_equal(json_integer_value(json_object_get(s, "topics_uncounted")), 100);
    json_decref(doc);
    fclose(tmp);
    stats_free(st);
}

static void count_publish(struct stats *st, const char *topic, size_t len)
{
    static const uint8_t pub0[] = {0x30, 4, 0, 1, 'c', 'y'};
    mqd_frame f;
    parse(pub0, sizeof pub0, &f);
    struct stats_client_ref ref = STATS_CLIENT_REF_INIT;
    struct session_step step = {.selected = true};
    struct msg_analysis an;
    memset(&an, 0, sizeof an);
    an.has_effective_topic = true;
    an.effective_topic = (const uint8_t *)topic;
    an.effective_topic_len = (uint16_t)len;
    stats_message(st, &ref, NULL, 0, &f, &an, &step);
}

/* The text tables (cli/stats_text.c): names are shown safely and cut to
 * the column, counts line up under their headings. */
static void test_text_tables(void **state)
{
    (void)state;
    struct stats *st = stats_new();
    assert_non_null(st);
    char long_topic[61];
    memset(long_topic, 'a', 60);
    long_topic[60] = '\0';
    count_publish(st, long_topic, 60);
    count_publish(st, long_topic, 60);
    count_publish(st, "ctl\x01x", 5);        /* control byte: \x01 */
    count_publish(st, "bad\xC3(", 5);        /* invalid UTF-8: \xc3 */
    count_publish(st, "c1\xC2\x9B[2J", 7);   /* U+009B (CSI): \u{9b} */
    count_publish(st, "bidi\xE2\x80\xAEtxt", 10); /* U+202E: \u{202e} */
    char wide[61] = "\\"; /* escapes count as the columns they show */
    memset(wide + 1, 'b', 59);
    wide[60] = '\0';
    count_publish(st, wide, 60);
    count_publish(st, "caf\xC3\xA9", 5);     /* valid UTF-8 as is */
    stats_event_violation(st, MQD_R_SESSION_UNACKED_AT_CLOSE);

    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    assert_int_equal(stats_write_text(st, NULL, NULL, NULL, tmp), 0);
    long size = ftell(tmp);
    assert_true(size > 0 && size < 16384);
    static char text[16384];
    rewind(tmp);
    size_t n = fread(text, 1, sizeof text - 1, tmp);
    text[n] = '\0';
    fclose(tmp);

    assert_non_null(strstr(text, "== mqttdissect statistics: 8 messages =="));
    assert_non_null(strstr(text, "  PUBLISH               8\n"));
    assert_non_null(strstr(text, "  QoS 0          8\n"));
    assert_null(strstr(text, "(invalid)")); /* no QoS 3 seen */
    /* 47 columns of the name, then an ellipsis: 48 in all. */
    char cut[64];
    memset(cut, 'a', 47);
    strcpy(cut + 47, "\xE2\x80\xA6          2");
    assert_non_null(strstr(text, cut));
    assert_null(strstr(text, long_topic));
    /* Names escaped exactly as the message printer escapes strings: no
     * control byte, C1 control or bidi override reaches the terminal. */
    assert_non_null(strstr(text, "ctl\\x01x "));
    assert_non_null(strstr(text, "bad\\xc3( "));
    assert_non_null(strstr(text, "c1\\u{9b}[2J "));
    assert_non_null(strstr(text, "bidi\\u{202e}txt "));
    assert_null(strstr(text, "\xC2\x9B"));
    assert_null(strstr(text, "\xE2\x80\xAE"));
    assert_null(strchr(text, '\x01'));
    char wide_cut[64] = "\\\\";
    memset(wide_cut + 2, 'b', 45);
    strcpy(wide_cut + 47, "\xE2\x80\xA6 ");
    assert_non_null(strstr(text, wide_cut));
    assert_non_null(strstr(text, "caf\xC3\xA9"));
    assert_non_null(strstr(text, "Violations by rule (1 in all)"));
    assert_non_null(strstr(text, mqd_rule_get(MQD_R_SESSION_UNACKED_AT_CLOSE)->id));
    assert_non_null(strstr(text, "\nReassembly and framing\n"));
    stats_free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_histogram_precision),
        cmocka_unit_test(test_counts_and_json),
        cmocka_unit_test(test_topic_bound),
        cmocka_unit_test(test_text_tables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
