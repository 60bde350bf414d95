/* Tests for cli/util/json_writer.c, numfmt.c and timefmt.c: every output is
 * parsed back with jansson and compared, and must be valid UTF-8 whatever
 * the input. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "util/numfmt.h"
#include "util/timefmt.h"
#include "mqttdissect/utf8.h"
#include "util/json_writer.h"

/* A writer into a growing memory buffer. */
struct mem_jw {
    struct obuf b;
    struct json_writer w;
};

static void mem_init(struct mem_jw *m)
{
    assert_int_equal(obuf_init(&m->b, NULL, 16), 0);
    jw_init(&m->w, &m->b);
}

/* Parses what was written (NULs allowed inside strings). */
static json_t *mem_parse(struct mem_jw *m)
{
    json_error_t err;
    assert_true(mqd_utf8_valid((const uint8_t *)obuf_data(&m->b), obuf_len(&m->b)));
    json_t *j = json_loadb(obuf_data(&m->b), obuf_len(&m->b),
                           JSON_ALLOW_NUL | JSON_DECODE_ANY, &err);
    if (!j)
        fail_msg("not JSON (%s): %.*s", err.text, (int)obuf_len(&m->b),
                 obuf_data(&m->b));
    return j;
}

/* Writes s[0..n) as a JSON string and returns the decoded string value
 * (caller frees). */
static char *roundtrip_str(const uint8_t *s, size_t n, size_t *out_len)
{
    struct mem_jw m;
    mem_init(&m);
    jw_strn(&m.w, s, n);
    json_t *j = mem_parse(&m);
    assert_true(json_is_string(j));
    *out_len = json_string_length(j);
    char *copy = malloc(*out_len + 1);
    memcpy(copy, json_string_value(j), *out_len + 1);
    json_decref(j);
    obuf_free(&m.b);
    return copy;
}

static void test_structure_and_commas(void **state)
{
    (void)state;
    struct mem_jw m;
    mem_init(&m);
    jw_object_begin(&m.w);
    jw_kv_u64(&m.w, "a", 1);
    jw_key(&m.w, "b");
    jw_array_begin(&m.w);
    jw_u64(&m.w, 1);
    jw_i64(&m.w, -2);
    jw_object_begin(&m.w);
    jw_kv_null(&m.w, "c");
    jw_object_end(&m.w);
    jw_array_begin(&m.w);
    jw_array_end(&m.w);
    jw_object_begin(&m.w);
    jw_object_end(&m.w);
    jw_array_end(&m.w);
    jw_kv_bool(&m.w, "d", true);
    jw_kv_bool(&m.w, "f", false);
    jw_kv_str(&m.w, "e", "x");
    jw_object_end(&m.w);
    assert_int_equal(m.w.depth, 0);
    const char *want = "{\"a\":1,\"b\":[1,-2,{\"c\":null},[],{}],"
                       "\"d\":true,\"f\":false,\"e\":\"x\"}";
    assert_int_equal(obuf_len(&m.b), strlen(want));
    assert_memory_equal(obuf_data(&m.b), want, strlen(want));
    json_t *j = mem_parse(&m);
    assert_int_equal(json_integer_value(json_object_get(j, "a")), 1);
    assert_int_equal(json_array_size(json_object_get(j, "b")), 5);
    assert_true(json_is_true(json_object_get(j, "d")));
    assert_string_equal(json_string_value(json_object_get(j, "e")), "x");
    json_decref(j);
    obuf_free(&m.b);
}

static void test_lines(void **state)
{
    (void)state;
    struct mem_jw m;
    mem_init(&m);
    for (int i = 0; i < 3; i++) {
        jw_object_begin(&m.w);
        jw_kv_u64(&m.w, "i", (uint64_t)i);
        jw_object_end(&m.w);
        jw_line_end(&m.w);
    }
    const char *want = "{\"i\":0}\n{\"i\":1}\n{\"i\":2}\n";
    assert_int_equal(obuf_len(&m.b), strlen(want));
    assert_memory_equal(obuf_data(&m.b), want, strlen(want));
    obuf_free(&m.b);
}

static void test_numbers(void **state)
{
    (void)state;
    char buf[32];
    assert_int_equal(fmt_u64(buf, 0), 1);
    assert_memory_equal(buf, "0", 1);
    assert_int_equal(fmt_u64(buf, UINT64_MAX), 20);
    assert_memory_equal(buf, "18446744073709551615", 20);
    assert_int_equal(fmt_i64(buf, INT64_MIN), 20);
    assert_memory_equal(buf, "-9223372036854775808", 20);
    static const uint64_t samples[] = {1, 9, 10, 99, 100, 101, 1000, 65535,
                                       268435455, 4294967296u};
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        char want[32];
        int n = snprintf(want, sizeof want, "%llu",
                         (unsigned long long)samples[i]);
        assert_int_equal(fmt_u64(buf, samples[i]), n);
        assert_memory_equal(buf, want, (size_t)n);
    }
    /* Every digit count's edges, and a spread of values, against printf. */
    uint64_t x = 88172645463325252u;
    for (int i = 0; i < 100000; i++) {
        uint64_t v;
        if (i < 60) {
            uint64_t p = 1;
            for (int k = 0; k < i / 3; k++)
                p *= 10;
            v = p + (uint64_t)(i % 3) - 1;
        } else {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17; /* xorshift64 */
            v = x >> (x % 64);
        }
        char want[32];
        int n = snprintf(want, sizeof want, "%llu", (unsigned long long)v);
        assert_int_equal(fmt_u64(buf, v), n);
        assert_memory_equal(buf, want, (size_t)n);
    }

    struct mem_jw m;
    mem_init(&m);
    jw_array_begin(&m.w);
    jw_u64(&m.w, UINT32_MAX);
    jw_i64(&m.w, INT64_MIN);
    jw_i64(&m.w, INT64_MAX);
    jw_array_end(&m.w);
    json_t *j = mem_parse(&m);
    assert_int_equal(json_integer_value(json_array_get(j, 0)), UINT32_MAX);
    assert_true(json_integer_value(json_array_get(j, 1)) == INT64_MIN);
    assert_true(json_integer_value(json_array_get(j, 2)) == INT64_MAX);
    json_decref(j);
    obuf_free(&m.b);
}

/* The reference: the shortest "%.*g" that reads back, found by trying 1,
 * 2, ... digits (what jw_f32 and jw_f64 printed before their printf-free
 * path and their binary search). */
static int ref_real(char *buf, size_t cap, double v, bool single)
{
    int n = 0;
    if (single)
        v = (float)v;
    for (int prec = 1; prec <= (single ? 9 : 17); prec++) {
        n = snprintf(buf, cap, "%.*g", prec, v);
        if (single ? strtof(buf, NULL) == (float)v : strtod(buf, NULL) == v)
            break;
    }
    return n;
}

static void check_real(double v, bool single)
{
    if (single && !isfinite((float)v))
        return; /* a double past the float range */
    char want[48];
    int n = ref_real(want, sizeof want, v, single);
    struct obuf b;
    struct json_writer w;
    assert_int_equal(obuf_init(&b, NULL, 0), 0);
    jw_init(&w, &b);
    if (single)
        jw_f32(&w, (float)v);
    else
        jw_f64(&w, v);
    if ((size_t)n != obuf_len(&b) || memcmp(want, obuf_data(&b), (size_t)n) != 0)
        fail_msg("%s %.17g: %.*s, want %s", single ? "float" : "double", v,
                 (int)obuf_len(&b), obuf_data(&b), want);
    obuf_free(&b);
}

/* Floats and doubles: character for character what the linear %.*g
 * search prints, over decimals of every scale (the printf-free path), their
 * neighbours, and random bit patterns (the binary search). */
static void test_reals(void **state)
{
    (void)state;
    static const double edge[] = {0.001, 0.0011, 0.000999, 1e15, 999999999999999.0,
                                  999999999999999.9, 0.1, 0.2, 0.3, 1.1, 2.5, 100,
                                  120, 125, 1e5, 3.14159, 2.718281828459045,
                                  123456789012345.0, 12345678.9, 0.5, 1.0 / 3};
    for (size_t i = 0; i < sizeof edge / sizeof *edge; i++) {
        for (int sign = 1; sign >= -1; sign -= 2) {
            check_real(sign * edge[i], false);
            check_real(sign * edge[i], true);
        }
    }
    uint64_t x = 88172645463325252u;
    for (int i = 0; i < 60000; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17; /* xorshift64 */
        double v;
        if (i % 3 == 0) { /* a decimal: m / 10^k */
            double scale = 1;
            for (unsigned k = (unsigned)(x >> 60) % 12; k > 0; k--)
                scale *= 10;
            v = (double)((x >> 8) % 100000000000u) / scale;
        } else if (i % 3 == 1) { /* a float's neighbourhood of a decimal */
            double scale = 1;
            for (unsigned k = (unsigned)(x >> 61); k > 0; k--)
                scale *= 10;
            float f = (float)((double)((x >> 12) % 10000000u) / scale);
            uint32_t fb;
            memcpy(&fb, &f, sizeof fb);
            if (fb != 0 && ((x >> 1) & 1)) /* the float next to it */
                fb += (x & 1) ? 1 : (uint32_t)-1;
            memcpy(&f, &fb, sizeof f);
            v = f;
        } else { /* any finite bit pattern */
            memcpy(&v, &x, sizeof v);
            if (!isfinite(v))
                continue;
        }
        check_real(v, false);
        check_real((float)v, true);
        uint64_t vb; /* the double next to it */
        memcpy(&vb, &v, sizeof vb);
        vb++;
        memcpy(&v, &vb, sizeof v);
        if (isfinite(v))
            check_real(v, false);
    }
}

static void test_escapes_all_ascii(void **state)
{
    (void)state;
    uint8_t in[128];
    for (int i = 0; i < 128; i++)
        in[i] = (uint8_t)i;
    size_t n;
    char *out = roundtrip_str(in, sizeof in, &n);
    assert_int_equal(n, sizeof in);
    assert_memory_equal(out, in, sizeof in);
    free(out);

    struct mem_jw m;
    mem_init(&m);
    jw_str(&m.w, "a\"b\\c\n\t\x01");
    const char *want = "\"a\\\"b\\\\c\\n\\t\\u0001\"";
    assert_int_equal(obuf_len(&m.b), strlen(want));
    assert_memory_equal(obuf_data(&m.b), want, strlen(want));
    obuf_free(&m.b);
}

/* Ill-formed UTF-8 becomes one U+FFFD per maximal subpart. */
static void test_invalid_utf8(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        const char *want;
    } cases[] = {
        {"ok \xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80", "ok \xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"},
        {"\xC0\xAF", "\xEF\xBF\xBD\xEF\xBF\xBD"},                  /* overlong */
        {"\xE0\x80\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},  /* overlong */
        {"\xED\xA0\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},  /* surrogate */
        {"\xF4\x90\x80\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},
        {"a\xF0\x9F\x98", "a\xEF\xBF\xBD"},                        /* cut */
        {"\xF0\x9F\x98z", "\xEF\xBF\xBDz"},                        /* bad tail */
        {"\xFF\xFE", "\xEF\xBF\xBD\xEF\xBF\xBD"},
        {"\x80x", "\xEF\xBF\xBDx"},
        {"\xE2\x82", "\xEF\xBF\xBD"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n;
        char *out = roundtrip_str((const uint8_t *)cases[i].in,
                                  strlen(cases[i].in), &n);
        assert_int_equal(n, strlen(cases[i].want));
        assert_memory_equal(out, cases[i].want, n);
        free(out);
    }
}

/* A member name from the wire with U+0000 in it: jansson (without
 * JSON_ALLOW_NUL, as consumers parse) must read it; the NUL shows as
 * U+FFFD, the rest as escaped as in a value. */
static void test_key_with_nul(void **state)
{
    (void)state;
    struct mem_jw m;
    mem_init(&m);
    jw_object_begin(&m.w);
    jw_key_n(&m.w, "re\0gi\"o\0", 8);
    jw_u64(&m.w, 1);
    jw_object_end(&m.w);
    json_error_t err;
    json_t *j = json_loadb(obuf_data(&m.b), obuf_len(&m.b), 0, &err);
    if (!j)
        fail_msg("not JSON for jansson (%s): %.*s", err.text, (int)obuf_len(&m.b),
                 obuf_data(&m.b));
    assert_non_null(json_object_get(j, "re\xEF\xBF\xBDgi\"o\xEF\xBF\xBD"));
    json_decref(j);
    obuf_free(&m.b);
}

/* Random bytes: always valid JSON and valid UTF-8 out. */
static void test_random_bytes(void **state)
{
    (void)state;
    uint32_t seed = 12345;
    uint8_t in[257];
    for (int round = 0; round < 2000; round++) {
        size_t n = (size_t)(round % (int)sizeof in);
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            in[i] = (uint8_t)(seed >> 16);
        }
        size_t out_n;
        char *out = roundtrip_str(in, n, &out_n);
        assert_true(mqd_utf8_valid((const uint8_t *)out, out_n));
        free(out);
    }
}

static void test_hex(void **state)
{
    (void)state;
    static const uint8_t bytes[] = {0x00, 0x0a, 0xff, 0x7f};
    struct mem_jw m;
    mem_init(&m);
    jw_object_begin(&m.w);
    jw_kv_hex(&m.w, "h", bytes, sizeof bytes);
    jw_kv_hex(&m.w, "e", bytes, 0);
    jw_object_end(&m.w);
    json_t *j = mem_parse(&m);
    assert_string_equal(json_string_value(json_object_get(j, "h")), "000aff7f");
    assert_string_equal(json_string_value(json_object_get(j, "e")), "");
    json_decref(j);
    obuf_free(&m.b);
}

/* File mode with a small buffer: long strings cross many flushes. */
static void test_file_mode_long_string(void **state)
{
    (void)state;
    char *mem = NULL;
    size_t mem_len = 0;
    FILE *f = open_memstream(&mem, &mem_len);
    assert_non_null(f);
    struct obuf b;
    struct json_writer w;
    assert_int_equal(obuf_init(&b, f, 300), 0);
    jw_init(&w, &b);
    size_t n = 100000;
    uint8_t *big = malloc(n);
    for (size_t i = 0; i < n; i++)
        big[i] = (uint8_t)(i % 7 == 0 ? '"' : i % 11 == 0 ? 0xC3 : 'a' + i % 26);
    jw_array_begin(&w);
    jw_strn(&w, big, n);
    jw_hex(&w, big, n);
    jw_array_end(&w);
    jw_line_end(&w);
    assert_int_equal(obuf_flush(&b), 0);
    obuf_free(&b);
    fclose(f);

    json_error_t err;
    assert_true(mqd_utf8_valid((const uint8_t *)mem, mem_len));
    json_t *j = json_loadb(mem, mem_len, 0, &err);
    assert_non_null(j);
    assert_int_equal(json_string_length(json_array_get(j, 1)), 2 * n);
    json_decref(j);
    free(big);
    free(mem);
}

static void check_rfc3339(int64_t ts, const char *want)
{
    char buf[48];
    size_t n = fmt_rfc3339(buf, ts, NULL);
    buf[n] = '\0';
    assert_string_equal(buf, want);
}

static void test_timestamps(void **state)
{
    (void)state;
    check_rfc3339(0, "1970-01-01T00:00:00.000000Z");
    check_rfc3339(1795549485123456, "2026-11-24T19:44:45.123456Z");
    check_rfc3339(951782400000000, "2000-02-29T00:00:00.000000Z");
    check_rfc3339(4102444799999999, "2099-12-31T23:59:59.999999Z");
    check_rfc3339(-1, "1969-12-31T23:59:59.999999Z");
    char buf[16];
    assert_int_equal(fmt_clock(buf, 1795549485123456, NULL), 15);
    assert_memory_equal(buf, "19:44:45.123456", 15);
}

static void check_seconds(int64_t us, const char *want)
{
    char buf[32];
    size_t n = fmt_seconds(buf, us);
    buf[n] = '\0';
    assert_string_equal(buf, want);
}

/* --time epoch, rel and delta. */
static void test_seconds(void **state)
{
    (void)state;
    check_seconds(0, "0.000000");
    check_seconds(46, "0.000046");
    check_seconds(1795550863321563, "1795550863.321563");
    check_seconds(111990, "0.111990");
    check_seconds(1000000, "1.000000");
    check_seconds(-10, "-0.000010");
    check_seconds(-1500000, "-1.500000");
    check_seconds(INT64_MAX, "9223372036854.775807");
    check_seconds(INT64_MIN, "-9223372036854.775808");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_structure_and_commas),
        cmocka_unit_test(test_lines),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_reals),
        cmocka_unit_test(test_escapes_all_ascii),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_key_with_nul),
        cmocka_unit_test(test_random_bytes),
        cmocka_unit_test(test_hex),
        cmocka_unit_test(test_file_mode_long_string),
        cmocka_unit_test(test_timestamps),
        cmocka_unit_test(test_seconds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
