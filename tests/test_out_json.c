/* Tests for the JSON Lines printer (cli/out_json.c): frames come from
 * mqd_parse on hex vectors; every line must parse with jansson, be valid
 * UTF-8 and carry the contract keys with the right values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "mqttdissect/utf8.h"
#include "mqttdissect/mqd.h"
#include "output/output.h"
#include "hexvec.h"

static const struct msg_meta test_meta = {
    .frame = 12,
    .ts_us = 1795549485123456,
    .src = "127.0.0.1:51234",
    .dst = "[::1]:1883",
    .conn = 3,
    .transport = "tcp",
    .stream_off = 42,
};

static void parse_frame(const uint8_t *buf, size_t n, uint8_t version,
                        mqd_frame *f)
{
    mqd_result r = mqd_parse(buf, n, version, f);
    assert_int_equal(r.status, MQD_OK);
}

/* Renders one frame as JSON; returns the output (caller frees). */
static char *render_frame(const mqd_frame *f, const struct output_opts *base)
{
    char *mem = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&mem, &len);
    assert_non_null(out);
    struct output_opts o = *base;
    o.out = out;
    struct output *j = output_open(OUTPUT_JSON, &o);
    assert_non_null(j);
    output_frame(j, &test_meta, f);
    assert_int_equal(output_close(j), 0);
    fclose(out);
    return mem;
}

/* One line: valid UTF-8, ends in a newline, a JSON object. */
static json_t *parse_line(const char *s)
{
    size_t n = strlen(s);
    assert_true(n > 0 && s[n - 1] == '\n');
    assert_null(memchr(s, '\n', n - 1));
    assert_true(mqd_utf8_valid((const uint8_t *)s, n));
    json_error_t err;
    json_t *j = json_loadb(s, n, 0, &err);
    if (!j)
        fail_msg("bad JSON (%s): %s", err.text, s);
    assert_true(json_is_object(j));
    return j;
}

static json_t *render_hex(const char *hex, uint8_t version,
                          const struct output_opts *o)
{
    uint8_t buf[512];
    mqd_frame f;
    size_t n = hexvec_decode(hex, buf, sizeof buf);
    parse_frame(buf, n, version, &f);
    char *s = render_frame(&f, o);
    json_t *j = parse_line(s);
    free(s);
    return j;
}

static const char *jstr(json_t *obj, const char *path)
{
    json_t *v = json_object_get(obj, path);
    if (!json_is_string(v))
        fail_msg("key %s: not a string", path);
    return json_string_value(v);
}

static json_int_t jint(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_integer(v))
        fail_msg("key %s: not an integer", key);
    return json_integer_value(v);
}

static bool jbool(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_boolean(v))
        fail_msg("key %s: not a boolean", key);
    return json_is_true(v);
}

static void check_common_keys(json_t *j)
{
    static const char *const keys[] = {
        "frame", "ts", "src", "dst", "conn", "transport", "stream_off",
        "version", "version_inferred", "type", "header", "remaining_length",
        "size", "violations"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!json_object_get(j, keys[i]))
            fail_msg("missing key %s", keys[i]);
    assert_int_equal(jint(j, "frame"), 12);
    assert_string_equal(jstr(j, "ts"), "2026-11-24T19:44:45.123456Z");
    assert_string_equal(jstr(j, "src"), "127.0.0.1:51234");
    assert_string_equal(jstr(j, "dst"), "[::1]:1883");
    assert_int_equal(jint(j, "conn"), 3);
    assert_string_equal(jstr(j, "transport"), "tcp");
    assert_int_equal(jint(j, "stream_off"), 42);
    assert_true(json_is_array(json_object_get(j, "violations")));
}

static const struct output_opts plain = {0};

static void test_publish_v311(void **state)
{
    (void)state;
    json_t *j = render_hex("32 0e 00 05 68 65 6c 6c 6f 00 07 77 6f 72 6c 64",
                           MQD_V311, &plain);
    check_common_keys(j);
    assert_int_equal(jint(j, "version"), 4);
    assert_false(jbool(j, "version_inferred"));
    assert_string_equal(jstr(j, "type"), "PUBLISH");
    json_t *h = json_object_get(j, "header");
    assert_int_equal(jint(h, "byte"), 0x32);
    assert_string_equal(jstr(h, "hex"), "32");
    assert_int_equal(jint(h, "type"), 3);
    assert_int_equal(jint(h, "flags"), 2);
    assert_int_equal(jint(h, "qos"), 1);
    assert_false(jbool(h, "dup"));
    assert_false(jbool(h, "retain"));
    json_t *rl = json_object_get(j, "remaining_length");
    assert_int_equal(jint(rl, "value"), 14);
    assert_string_equal(jstr(rl, "encoded"), "0e");
    assert_int_equal(jint(rl, "bytes"), 1);
    assert_true(jbool(rl, "minimal"));
    assert_int_equal(jint(j, "size"), 16);
    assert_int_equal(jint(j, "qos"), 1);
    assert_false(jbool(j, "dup"));
    assert_false(jbool(j, "retain"));
    assert_string_equal(jstr(j, "topic"), "hello");
    assert_int_equal(jint(j, "packet_id"), 7);
    json_t *p = json_object_get(j, "payload");
    assert_int_equal(jint(p, "length"), 5);
    assert_string_equal(jstr(p, "text"), "world");
    assert_null(json_object_get(p, "truncated"));
    assert_int_equal(json_array_size(json_object_get(j, "violations")), 0);
    assert_null(json_object_get(j, "properties")); /* none before 5.0 */
    json_decref(j);
}

static json_t *prop_at(json_t *j, size_t i)
{
    json_t *props = json_object_get(j, "properties");
    assert_true(json_is_array(props));
    assert_true(i < json_array_size(props));
    return json_array_get(props, i);
}

static void test_publish_v5_properties(void **state)
{
    (void)state;
    json_t *j = render_hex("32 1e 00 01 74 00 01 16 23 00 05 26 00 01 6b 00 01"
                           " 76 09 00 02 ab cd 03 00 04 74 65 78 74 68 69",
                           MQD_V5, &plain);
    check_common_keys(j);
    assert_int_equal(jint(j, "version"), 5);
    assert_int_equal(json_array_size(json_object_get(j, "properties")), 4);
    json_t *p = prop_at(j, 0);
    assert_string_equal(jstr(p, "name"), "Topic Alias");
    assert_int_equal(jint(p, "id"), 0x23);
    assert_int_equal(jint(p, "value"), 5);
    p = prop_at(j, 1);
    assert_string_equal(jstr(p, "name"), "User Property");
    json_t *pair = json_object_get(p, "value");
    assert_string_equal(jstr(pair, "name"), "k");
    assert_string_equal(jstr(pair, "value"), "v");
    p = prop_at(j, 2);
    assert_string_equal(jstr(p, "name"), "Correlation Data");
    assert_string_equal(jstr(p, "value_hex"), "abcd");
    assert_null(json_object_get(p, "value"));
    p = prop_at(j, 3);
    assert_string_equal(jstr(p, "name"), "Content Type");
    assert_string_equal(jstr(p, "value"), "text");
    assert_string_equal(jstr(json_object_get(j, "payload"), "text"), "hi");
    json_decref(j);
}

static const char connect_v311[] =
    "10 1b 00 04 4d 51 54 54 04 c2 00 3c 00 03 61 62 63"
    " 00 04 75 73 65 72 00 04 70 61 73 73";

static void test_connect_password_redacted(void **state)
{
    (void)state;
    json_t *j = render_hex(connect_v311, MQD_VERSION_UNKNOWN, &plain);
    check_common_keys(j);
    assert_string_equal(jstr(j, "type"), "CONNECT");
    json_t *c = json_object_get(j, "connect");
    assert_non_null(c);
    assert_string_equal(jstr(c, "protocol_name"), "MQTT");
    assert_int_equal(jint(c, "protocol_level"), 4);
    assert_int_equal(jint(c, "keep_alive"), 60);
    assert_string_equal(jstr(c, "client_id"), "abc");
    assert_string_equal(jstr(c, "username"), "user");
    assert_string_equal(jstr(c, "password"), "<redacted>");
    assert_null(json_object_get(c, "password_hex"));
    json_t *fl = json_object_get(c, "flags");
    assert_int_equal(jint(fl, "byte"), 0xc2);
    assert_true(jbool(fl, "username"));
    assert_true(jbool(fl, "password"));
    assert_true(jbool(fl, "clean_start"));
    assert_false(jbool(fl, "will"));
    assert_false(jbool(fl, "reserved"));
    assert_null(json_object_get(c, "will"));
    json_decref(j);

    /* The password must not appear anywhere in the redacted line. */
    uint8_t buf[64];
    mqd_frame f;
    parse_frame(buf, hexvec_decode(connect_v311, buf, sizeof buf), 0, &f);
    char *s = render_frame(&f, &plain);
    assert_null(strstr(s, "pass\""));
    assert_null(strstr(s, "70617373"));
    free(s);

    struct output_opts secrets = {.show_secrets = true};
    j = render_hex(connect_v311, 0, &secrets);
    c = json_object_get(j, "connect");
    assert_string_equal(jstr(c, "password_hex"), "70617373");
    assert_null(json_object_get(c, "password"));
    json_decref(j);
}

static void test_connect_will(void **state)
{
    (void)state;
    json_t *j = render_hex("10 15 00 04 4d 51 54 54 04 2e 00 3c 00 01 63 00 01"
                           " 77 00 03 62 79 65",
                           0, &plain);
    json_t *w = json_object_get(json_object_get(j, "connect"), "will");
    assert_non_null(w);
    assert_int_equal(jint(w, "qos"), 1);
    assert_true(jbool(w, "retain"));
    assert_string_equal(jstr(w, "topic"), "w");
    assert_string_equal(jstr(json_object_get(w, "payload"), "text"), "bye");
    json_decref(j);
}

static void test_connect_v5_auth_data(void **state)
{
    (void)state;
    /* CONNECT 5.0: properties Authentication Method "m", Authentication
     * Data 0x0102. */
    const char *hex = "10 19 00 04 4d 51 54 54 05 02 00 0a 09 15 00 01 6d 16"
                      " 00 02 01 02 00 03 61 62 63";
    json_t *j = render_hex(hex, 0, &plain);
    check_common_keys(j);
    assert_int_equal(jint(j, "version"), 5);
    assert_int_equal(json_array_size(json_object_get(j, "violations")), 0);
    json_t *p = prop_at(j, 1);
    assert_string_equal(jstr(p, "name"), "Authentication Data");
    assert_true(jbool(p, "redacted"));
    assert_null(json_object_get(p, "value_hex"));
    json_decref(j);
    struct output_opts secrets = {.show_secrets = true};
    j = render_hex(hex, 0, &secrets);
    assert_string_equal(jstr(prop_at(j, 1), "value_hex"), "0102");
    json_decref(j);
}

static void test_acks(void **state)
{
    (void)state;
    json_t *j = render_hex("20 02 01 00", MQD_V311, &plain);
    assert_string_equal(jstr(j, "type"), "CONNACK");
    assert_true(jbool(j, "session_present"));
    assert_int_equal(jint(j, "reason_code"), 0);
    assert_string_equal(jstr(j, "reason"), "Connection Accepted");
    json_decref(j);

    j = render_hex("20 03 00 87 00", MQD_V5, &plain);
    assert_false(jbool(j, "session_present"));
    assert_int_equal(jint(j, "reason_code"), 0x87);
    assert_string_equal(jstr(j, "reason"), "Not authorized");
    assert_int_equal(json_array_size(json_object_get(j, "properties")), 0);
    json_decref(j);

    j = render_hex("40 03 00 07 10", MQD_V5, &plain);
    assert_string_equal(jstr(j, "type"), "PUBACK");
    assert_int_equal(jint(j, "packet_id"), 7);
    assert_int_equal(jint(j, "reason_code"), 0x10);
    assert_string_equal(jstr(j, "reason"), "No matching subscribers");
    json_decref(j);

    j = render_hex("90 04 00 01 00 80", MQD_V311, &plain);
    json_t *codes = json_object_get(j, "reason_codes");
    assert_int_equal(json_array_size(codes), 2);
    assert_int_equal(jint(json_array_get(codes, 0), "code"), 0);
    assert_int_equal(jint(json_array_get(codes, 1), "code"), 0x80);
    assert_string_equal(jstr(json_array_get(codes, 1), "name"), "Failure");
    json_decref(j);

    j = render_hex("c0 00", MQD_V311, &plain);
    assert_string_equal(jstr(j, "type"), "PINGREQ");
    assert_null(json_object_get(j, "packet_id"));
    json_decref(j);
}

static void test_subscribe(void **state)
{
    (void)state;
    json_t *j = render_hex("82 0c 00 01 00 03 61 2f 62 01 00 01 63 00",
                           MQD_V311, &plain);
    json_t *fl = json_object_get(j, "filters");
    assert_int_equal(json_array_size(fl), 2);
    assert_string_equal(jstr(json_array_get(fl, 0), "topic"), "a/b");
    assert_int_equal(jint(json_array_get(fl, 0), "qos"), 1);
    assert_null(json_object_get(json_array_get(fl, 0), "no_local"));
    json_decref(j);

    /* 5.0: options 0x2d = retain handling 2, RAP 1, NL 1, QoS 1. */
    j = render_hex("82 07 00 01 00 00 01 61 2d", MQD_V5, &plain);
    json_t *f0 = json_array_get(json_object_get(j, "filters"), 0);
    assert_string_equal(jstr(f0, "topic"), "a");
    assert_int_equal(jint(f0, "qos"), 1);
    assert_true(jbool(f0, "no_local"));
    assert_true(jbool(f0, "retain_as_published"));
    assert_int_equal(jint(f0, "retain_handling"), 2);
    json_decref(j);

    j = render_hex("a2 05 00 02 00 01 61", MQD_V311, &plain);
    fl = json_object_get(j, "filters");
    assert_string_equal(jstr(json_array_get(fl, 0), "topic"), "a");
    assert_null(json_object_get(json_array_get(fl, 0), "qos"));
    json_decref(j);
}

/* Bytes that are not UTF-8 in topic, payload and user property. */
static void test_invalid_utf8(void **state)
{
    (void)state;
    json_t *j = render_hex("30 07 00 02 c0 af ff fe 80", MQD_V311, &plain);
    assert_string_equal(jstr(j, "topic"), "\xEF\xBF\xBD\xEF\xBF\xBD");
    json_t *p = json_object_get(j, "payload");
    assert_string_equal(jstr(p, "hex"), "fffe80");
    assert_null(json_object_get(p, "text"));
    json_t *v = json_array_get(json_object_get(j, "violations"), 0);
    assert_non_null(v);
    assert_string_equal(jstr(v, "rule"), "MQTT-1.5.4-1");
    assert_string_equal(jstr(v, "name"), "UTF8_ILL_FORMED");
    assert_string_equal(jstr(v, "severity"), "error");
    assert_int_equal(jint(v, "offset"), 4);
    assert_non_null(json_object_get(v, "message"));
    assert_non_null(json_object_get(v, "value"));
    json_decref(j);

    j = render_hex("30 0c 00 01 74 08 26 00 01 ff 00 02 ed a0", MQD_V5, &plain);
    json_t *pair = json_object_get(prop_at(j, 0), "value");
    assert_string_equal(jstr(pair, "name"), "\xEF\xBF\xBD");
    assert_string_equal(jstr(pair, "value"), "\xEF\xBF\xBD\xEF\xBF\xBD");
    json_decref(j);
}

static void test_violations(void **state)
{
    (void)state;
    json_t *j = render_hex("3e 05 00 01 23 00 00", MQD_V311, &plain);
    json_t *vs = json_object_get(j, "violations");
    assert_true(json_array_size(vs) >= 1);
    assert_string_equal(jstr(json_array_get(vs, 0), "rule"), "MQTT-3.3.1-4");
    assert_int_equal(jint(json_array_get(vs, 0), "value"), 3);
    assert_int_equal(jint(j, "qos"), 3);
    assert_true(jbool(j, "dup"));
    json_decref(j);
}

static void test_version_null_and_inferred(void **state)
{
    (void)state;
    uint8_t buf[] = {0xc0, 0x00};
    mqd_frame f;
    parse_frame(buf, sizeof buf, MQD_V311, &f);
    f.version = MQD_VERSION_UNKNOWN;
    char *s = render_frame(&f, &plain);
    json_t *j = parse_line(s);
    assert_true(json_is_null(json_object_get(j, "version")));
    json_decref(j);
    free(s);

    f.version = MQD_V5;
    f.version_inferred = true;
    s = render_frame(&f, &plain);
    j = parse_line(s);
    assert_int_equal(jint(j, "version"), 5);
    assert_true(jbool(j, "version_inferred"));
    json_decref(j);
    free(s);
}

static void test_max_payload(void **state)
{
    (void)state;
    /* Payload "h\xc3\xa9llo": cut at 2 bytes must not split the é. */
    struct output_opts o = {.max_payload = 2};
    json_t *j = render_hex("30 09 00 01 74 68 c3 a9 6c 6c 6f", MQD_V311, &o);
    json_t *p = json_object_get(j, "payload");
    assert_int_equal(jint(p, "length"), 6);
    assert_string_equal(jstr(p, "text"), "h");
    assert_true(jbool(p, "truncated"));
    json_decref(j);

    j = render_hex("30 07 00 01 74 ff fe fd fc", MQD_V311, &o);
    p = json_object_get(j, "payload");
    assert_string_equal(jstr(p, "hex"), "fffe");
    assert_true(jbool(p, "truncated"));
    json_decref(j);
}

/* A payload far larger than the output buffer. */
static void test_large_payload(void **state)
{
    (void)state;
    size_t plen = 200000, n = 0;
    uint32_t rem = (uint32_t)(3 + plen);
    uint8_t *buf = malloc(plen + 16);
    buf[n++] = 0x30;
    while (rem >= 0x80) {
        buf[n++] = (uint8_t)(rem | 0x80);
        rem >>= 7;
    }
    buf[n++] = (uint8_t)rem;
    buf[n++] = 0;
    buf[n++] = 1;
    buf[n++] = 't';
    for (size_t i = 0; i < plen; i++)
        buf[n++] = (uint8_t)('a' + i % 26);
    mqd_frame f;
    parse_frame(buf, n, MQD_V311, &f);
    char *s = render_frame(&f, &plain);
    json_t *j = parse_line(s);
    json_t *p = json_object_get(j, "payload");
    assert_int_equal(jint(p, "length"), plen);
    assert_int_equal(strlen(jstr(p, "text")), plen);
    json_decref(j);
    free(s);
    free(buf);
}

static void test_events(void **state)
{
    (void)state;
    char *mem = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&mem, &len);
    struct output_opts o = {.out = out};
    struct output *j = output_open(OUTPUT_JSON, &o);
    output_event_begin(j, &test_meta, "gap");
    output_event_u64(j, "missing", 1234);
    output_event_str(j, "reason", "lost \"segment\"\n\xff");
    output_event_bool(j, "resync", true);
    output_event_end(j);
    output_event_begin(j, &test_meta, "close");
    output_event_end(j);
    assert_int_equal(output_close(j), 0);
    fclose(out);

    char *nl = strchr(mem, '\n');
    assert_non_null(nl);
    char save = nl[1];
    nl[1] = '\0';
    json_t *e = parse_line(mem);
    nl[1] = save;
    assert_string_equal(jstr(e, "event"), "gap");
    assert_int_equal(jint(e, "frame"), 12);
    assert_string_equal(jstr(e, "ts"), "2026-11-24T19:44:45.123456Z");
    assert_string_equal(jstr(e, "src"), "127.0.0.1:51234");
    assert_int_equal(jint(e, "conn"), 3);
    assert_string_equal(jstr(e, "transport"), "tcp");
    assert_int_equal(jint(e, "missing"), 1234);
    assert_string_equal(jstr(e, "reason"), "lost \"segment\"\n\xEF\xBF\xBD");
    assert_true(jbool(e, "resync"));
    json_decref(e);
    e = parse_line(nl + 1);
    assert_string_equal(jstr(e, "event"), "close");
    json_decref(e);
    free(mem);
}

/* Random bodies behind every fixed header byte: whatever the parser makes
 * of them, the line is valid JSON and UTF-8 (run under ASan). */
static void test_random_frames(void **state)
{
    (void)state;
    uint32_t seed = 99;
    uint8_t buf[80];
    for (int round = 0; round < 4000; round++) {
        size_t body = (size_t)round % 60;
        buf[0] = (uint8_t)(round * 7);
        buf[1] = (uint8_t)body;
        for (size_t i = 0; i < body; i++) {
            seed = seed * 1103515245u + 12345u;
            buf[2 + i] = (uint8_t)(seed >> 16);
        }
        for (uint8_t v = 3; v <= 5; v++) {
            mqd_frame f;
            mqd_result r = mqd_parse(buf, 2 + body, v, &f);
            if (r.status != MQD_OK)
                continue;
            struct output_opts o = {.show_secrets = (round & 1) != 0,
                                    .max_payload = (uint32_t)(round % 5)};
            char *s = render_frame(&f, &o);
            json_t *j = parse_line(s);
            check_common_keys(j);
            json_decref(j);
            free(s);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_publish_v311),
        cmocka_unit_test(test_publish_v5_properties),
        cmocka_unit_test(test_connect_password_redacted),
        cmocka_unit_test(test_connect_will),
        cmocka_unit_test(test_connect_v5_auth_data),
        cmocka_unit_test(test_acks),
        cmocka_unit_test(test_subscribe),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_violations),
        cmocka_unit_test(test_version_null_and_inferred),
        cmocka_unit_test(test_max_payload),
        cmocka_unit_test(test_large_payload),
        cmocka_unit_test(test_events),
        cmocka_unit_test(test_random_frames),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
