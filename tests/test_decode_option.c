/* --decode FILTER=FORMAT: the argument's parsing, the choice of a decoder
 * by topic (rules in order, the spBv1.0/# default), and what the JSON
 * printer shows for each choice: the "sparkplug" object, a raw payload with
 * "decode_error" when the chosen decoder refuses it, hex, JSON. */
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
#include "output/output.h"
#include "output/payload.h"
#include "util/topic_match.h"
#include "decode/sparkplug_b.pb-c.h"
#include "decode/inflate.h"
#include "decode/cbor_json.h"
#include "decode/msgpack_json.h"
#include "hexvec.h"
#include "mqttdissect/frame.h"

#include <zlib.h>

static bool valid(const char *f)
{
    return mqd_topic_filter_check((const uint8_t *)f, strlen(f), MQD_V311, NULL) ==
           MQD_RULE_COUNT;
}

static void test_filter_valid(void **state)
{
    (void)state;
    assert_true(valid("a/b"));
    assert_true(valid("#"));
    assert_true(valid("+"));
    assert_true(valid("spBv1.0/#"));
    assert_true(valid("a/+/c/#"));
    assert_true(valid("/"));
    assert_false(valid(""));
    assert_false(valid("a/#/b"));
    assert_false(valid("a#"));
    assert_false(valid("a/b+"));
    assert_false(valid("+x/y"));
}

static void test_rule_split(void **state)
{
    (void)state;
    size_t n;
    uint8_t mode;
    const char *why;
    assert_true(payload_decode_rule_split("spBv1.0/#=sparkplug", &n, &mode, &why));
    assert_int_equal(n, 9);
    assert_int_equal(mode, PAYLOAD_SPARKPLUG);
    assert_true(payload_decode_rule_split("a=b/c=json", &n, &mode, &why)); /* last '=' */
    assert_int_equal(n, 5);
    assert_int_equal(mode, PAYLOAD_JSON);
    static const struct {
        const char *name;
        uint8_t mode;
    } ok[] = {{"auto", PAYLOAD_AUTO}, {"text", PAYLOAD_TEXT}, {"hex", PAYLOAD_HEX},
              {"none", PAYLOAD_NONE}, {"json", PAYLOAD_JSON}, {"sparkplug", PAYLOAD_SPARKPLUG}};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        char arg[64];
        snprintf(arg, sizeof arg, "t/+=%s", ok[i].name);
        assert_true(payload_decode_rule_split(arg, &n, &mode, &why));
        assert_int_equal(mode, ok[i].mode);
    }
    assert_false(payload_decode_rule_split("t/+", &n, &mode, &why));
    assert_false(payload_decode_rule_split("t/+=", &n, &mode, &why));
    assert_true(payload_decode_rule_split("t/+=gzip+json", &n, &mode, &why));
    assert_int_equal(mode, PAYLOAD_GZIP_JSON);
    assert_false(payload_decode_rule_split("t/+=gzip", &n, &mode, &why));
    assert_false(payload_decode_rule_split("t/+=JSON", &n, &mode, &why));
    assert_false(payload_decode_rule_split("=json", &n, &mode, &why));
    assert_false(payload_decode_rule_split("a/#/b=json", &n, &mode, &why));
    assert_non_null(why);
}

static uint8_t mode_for(const struct output_opts *o, const char *topic)
{
    return payload_mode_for_topic(o, (const uint8_t *)topic, strlen(topic));
}

static void test_mode_for_topic(void **state)
{
    (void)state;
    struct output_opts o = {0};
    /* defaults: Sparkplug by topic only, never by guessing */
    assert_int_equal(mode_for(&o, "spBv1.0/g/NDATA/e"), PAYLOAD_SPARKPLUG);
    assert_int_equal(mode_for(&o, "spBv1.0/STATE/h"), PAYLOAD_SPARKPLUG);
    assert_int_equal(mode_for(&o, "spBv1.0"), PAYLOAD_AUTO);
    assert_int_equal(mode_for(&o, "spAv1.0/g/NDATA/e"), PAYLOAD_AUTO);
    assert_int_equal(mode_for(&o, "a/b"), PAYLOAD_AUTO);
    /* the first matching rule wins; unmatched topics keep the defaults */
    static const struct decode_rule rules[] = {
        {"spBv1.0/+/NDATA/#", PAYLOAD_HEX},
        {"sensors/+/cbor", PAYLOAD_NONE},
        {"sensors/#", PAYLOAD_JSON},
        {"#", PAYLOAD_TEXT},
    };
    o.decode_rules = rules;
    o.ndecode_rules = 4;
    assert_int_equal(mode_for(&o, "spBv1.0/g/NDATA/e"), PAYLOAD_HEX);
    assert_int_equal(mode_for(&o, "sensors/a/cbor"), PAYLOAD_NONE);
    assert_int_equal(mode_for(&o, "sensors/a/json"), PAYLOAD_JSON);
    assert_int_equal(mode_for(&o, "x"), PAYLOAD_TEXT);
    assert_int_equal(mode_for(&o, "spBv1.0/g/DDATA/e/d"), PAYLOAD_TEXT);
    assert_int_equal(mode_for(&o, "$SYS/x"), PAYLOAD_AUTO); /* '#' skips $ */
    o.ndecode_rules = 1;
    assert_int_equal(mode_for(&o, "spBv1.0/g/DDATA/e/d"), PAYLOAD_SPARKPLUG);
    /* --payload other than auto: no Sparkplug default */
    o.payload_mode = PAYLOAD_HEX;
    assert_int_equal(mode_for(&o, "spBv1.0/g/DDATA/e/d"), PAYLOAD_HEX);
    assert_int_equal(mode_for(&o, "spBv1.0/g/NDATA/e"), PAYLOAD_HEX);
}

/* ---- what the JSON printer shows ---- */

static const struct msg_meta meta = {.frame = 1, .src = "a:1", .dst = "b:1883", .conn = 1};

/* The frame in buf[0..k), parsed as `version`, printed by the JSON printer
 * with `base`'s options: its one line, parsed. */
static json_t *render_frame(const struct output_opts *base, const uint8_t *buf, size_t k,
                            uint8_t version)
{
    mqd_frame f;
    assert_int_equal(mqd_parse(buf, k, version, &f).status, MQD_OK);
    char *mem = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&mem, &len);
    struct output_opts o = *base;
    o.out = out;
    struct output *j = output_open(OUTPUT_JSON, &o);
    assert_non_null(j);
    output_frame(j, &meta, &f);
    assert_int_equal(output_close(j), 0);
    fclose(out);
    json_error_t err;
    json_t *doc = json_loads(mem, 0, &err);
    if (!doc)
        fail_msg("bad JSON (%s): %s", err.text, mem);
    free(mem);
    return doc;
}

/* A v3.1.1 QoS 0 PUBLISH of payload on topic, rendered as one JSON line. */
static json_t *render(const struct output_opts *base, const char *topic,
                      const uint8_t *payload, size_t plen)
{
    uint8_t buf[1024];
    size_t tn = strlen(topic), rl = 2 + tn + plen, k = 0;
    assert_true(rl < 128 && rl + 2 <= sizeof buf);
    buf[k++] = 0x30;
    buf[k++] = (uint8_t)rl;
    buf[k++] = 0;
    buf[k++] = (uint8_t)tn;
    memcpy(buf + k, topic, tn);
    k += tn;
    memcpy(buf + k, payload, plen);
    k += plen;
    return render_frame(base, buf, k, MQD_V311);
}

static const char *str_at(json_t *o, const char *a, const char *b)
{
    json_t *x = json_object_get(o, a);
    return json_string_value(b ? json_object_get(x, b) : x);
}

static size_t spb_payload(uint8_t *out)
{
    Mqd__Spb__Payload p = MQD__SPB__PAYLOAD__INIT;
    Mqd__Spb__Payload__Metric m = MQD__SPB__PAYLOAD__METRIC__INIT;
    Mqd__Spb__Payload__Metric *ms[] = {&m};
    m.name = "t";
    m.has_datatype = true;
    m.datatype = 2; /* Int16 */
    m.value_case = MQD__SPB__PAYLOAD__METRIC__VALUE_INT_VALUE;
    m.int_value = 0xfffffff6u;
    p.has_seq = true;
    p.seq = 7;
    p.n_metrics = 1;
    p.metrics = ms;
    return mqd__spb__payload__pack(&p, out);
}

static void test_json_sparkplug(void **state)
{
    (void)state;
    struct output_opts o = {0};
    uint8_t pl[128];
    size_t n = spb_payload(pl);
    json_t *d = render(&o, "spBv1.0/G/DDATA/E/D", pl, n);
    json_t *s = json_object_get(d, "sparkplug");
    assert_non_null(s);
    assert_string_equal(json_string_value(json_object_get(s, "group_id")), "G");
    assert_string_equal(json_string_value(json_object_get(s, "message_type")), "DDATA");
    assert_string_equal(json_string_value(json_object_get(s, "edge_node_id")), "E");
    assert_string_equal(json_string_value(json_object_get(s, "device_id")), "D");
    assert_int_equal(json_integer_value(json_object_get(s, "seq")), 7);
    json_t *m = json_array_get(json_object_get(s, "metrics"), 0);
    assert_string_equal(json_string_value(json_object_get(m, "datatype")), "Int16");
    assert_int_equal(json_integer_value(json_object_get(m, "value")), -10);
    json_t *payload = json_object_get(d, "payload");
    assert_int_equal(json_integer_value(json_object_get(payload, "length")), n);
    assert_null(json_object_get(payload, "hex"));
    assert_null(json_object_get(payload, "decode_error"));
    json_decref(d);
    /* not protobuf: raw (text here), with the reason; the topic still parsed */
    d = render(&o, "spBv1.0/G/NDATA/E", (const uint8_t *)"5000", 4);
    assert_string_equal(str_at(d, "payload", "text"), "5000");
    assert_non_null(str_at(d, "payload", "decode_error"));
    assert_string_equal(str_at(json_object_get(d, "sparkplug"), "message_type", NULL), "NDATA");
    json_decref(d);
    /* a bad Sparkplug topic */
    d = render(&o, "spBv1.0/G/NDATA", pl, n);
    assert_non_null(str_at(d, "sparkplug", "topic_error"));
    json_decref(d);
    /* STATE: JSON, shown as JSON */
    static const char state_json[] = "{\"online\":true,\"timestamp\":1}";
    d = render(&o, "spBv1.0/STATE/h", (const uint8_t *)state_json, sizeof state_json - 1);
    assert_true(json_is_true(json_object_get(json_object_get(json_object_get(d, "payload"), "json"), "online")));
    assert_string_equal(str_at(d, "sparkplug", "host_id"), "h");
    assert_string_equal(str_at(d, "sparkplug", "message_type"), "STATE");
    json_decref(d);
    /* never Sparkplug by guessing: the same bytes elsewhere are hex */
    d = render(&o, "plant/x", pl, n);
    assert_null(json_object_get(d, "sparkplug"));
    assert_non_null(str_at(d, "payload", "hex"));
    json_decref(d);
}

static void test_json_rules(void **state)
{
    (void)state;
    static const struct decode_rule rules[] = {
        {"raw/#", PAYLOAD_HEX},
        {"j/#", PAYLOAD_JSON},
        {"s/#", PAYLOAD_SPARKPLUG},
    };
    struct output_opts o = {0};
    o.decode_rules = rules;
    o.ndecode_rules = 3;
    json_t *d = render(&o, "raw/1", (const uint8_t *)"{}", 2);
    assert_string_equal(str_at(d, "payload", "hex"), "7b7d");
    json_decref(d);
    d = render(&o, "j/1", (const uint8_t *)"42", 2); /* any JSON value */
    assert_int_equal(json_integer_value(json_object_get(json_object_get(d, "payload"), "json")), 42);
    json_decref(d);
    d = render(&o, "j/1", (const uint8_t *)"{x", 2);
    assert_string_equal(str_at(d, "payload", "text"), "{x");
    assert_string_equal(str_at(d, "payload", "decode_error"), "not JSON");
    json_decref(d);
    uint8_t pl[128];
    size_t n = spb_payload(pl);
    d = render(&o, "s/1", pl, n); /* Sparkplug chosen off its namespace */
    json_t *s = json_object_get(d, "sparkplug");
    assert_non_null(str_at(d, "sparkplug", "topic_error"));
    assert_int_equal(json_integer_value(json_object_get(s, "seq")), 7);
    json_decref(d);
    static const uint8_t bad[] = {0xff, 0xff};
    d = render(&o, "s/1", bad, 2);
    assert_string_equal(str_at(d, "payload", "hex"), "ffff");
    assert_string_equal(str_at(d, "payload", "decode_error"),
                        "not a Sparkplug B payload (invalid protobuf)");
    json_decref(d);
}

/* data compressed as zlib (gzip false) or gzip; returns the length. */
static size_t deflate_to(const uint8_t *in, size_t n, bool gzip, uint8_t *out, size_t cap)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    assert_int_equal(deflateInit2(&zs, 9, Z_DEFLATED, gzip ? 31 : 15, 9, Z_DEFAULT_STRATEGY), Z_OK);
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)n;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
    size_t len = cap - zs.avail_out;
    deflateEnd(&zs);
    return len;
}

static void test_inflate(void **state)
{
    (void)state;
    static const char text[] = "{\"temp\": 21.5, \"ok\": true}";
    uint8_t z[256];
    const uint8_t *out;
    size_t outlen;
    struct inflater *inf = inflater_new(64);
    assert_non_null(inf);
    for (int gz = 0; gz < 2; gz++) {
        size_t n = deflate_to((const uint8_t *)text, strlen(text), gz, z, sizeof z);
        assert_int_equal(inflater_run(inf, z, n, &out, &outlen), INFLATE_OK);
        assert_int_equal(outlen, strlen(text));
        assert_memory_equal(out, text, outlen);
        assert_int_equal(inflater_run(inf, z, n - 1, &out, &outlen), INFLATE_BAD);
        z[n] = 0; /* a byte after the stream */
        assert_int_equal(inflater_run(inf, z, n + 1, &out, &outlen), INFLATE_BAD);
    }
    assert_int_equal(inflater_run(inf, (const uint8_t *)text, strlen(text), &out, &outlen),
                     INFLATE_BAD);
    assert_int_equal(inflater_run(inf, z, 0, &out, &outlen), INFLATE_BAD);
    inflater_free(inf);
}

static void test_zip_bomb(void **state)
{
    (void)state;
    /* 64 MiB of zeros compress to ~64 KiB; the cap stops it at 1 MiB */
    size_t big = 64u << 20;
    uint8_t *zeros = calloc(1, big);
    uint8_t *z = malloc(256u << 10);
    assert_non_null(zeros);
    assert_non_null(z);
    size_t n = deflate_to(zeros, big, true, z, 256u << 10);
    free(zeros);
    struct inflater *inf = inflater_new(PAYLOAD_JSON_MAX);
    const uint8_t *out;
    size_t outlen;
    assert_int_equal(inflater_run(inf, z, n, &out, &outlen), INFLATE_TOO_BIG);
    inflater_free(inf);
    free(z);
}

/* A PUBLISH with a payload too large for render(): built and rendered here. */
static json_t *render_big(const struct output_opts *base, const char *topic,
                          const uint8_t *payload, size_t plen)
{
    size_t tn = strlen(topic), rl = 2 + tn + plen, k = 0;
    uint8_t *buf = malloc(rl + 8);
    buf[k++] = 0x30;
    size_t v = rl;
    do {
        uint8_t c = v & 0x7f;
        v >>= 7;
        buf[k++] = (uint8_t)(c | (v ? 0x80 : 0));
    } while (v);
    buf[k++] = 0;
    buf[k++] = (uint8_t)tn;
    memcpy(buf + k, topic, tn);
    k += tn;
    memcpy(buf + k, payload, plen);
    k += plen;
    json_t *doc = render_frame(base, buf, k, MQD_V311);
    free(buf);
    return doc;
}

static void test_json_gzip(void **state)
{
    (void)state;
    static const struct decode_rule rules[] = {{"z/#", PAYLOAD_GZIP_JSON}};
    struct output_opts o = {0};
    o.decode_rules = rules;
    o.ndecode_rules = 1;
    static const char text[] = "{\"a\":[1,2,3]}";
    uint8_t z[128];
    size_t n = deflate_to((const uint8_t *)text, strlen(text), true, z, sizeof z);
    json_t *d = render_big(&o, "z/1", z, n);
    json_t *p = json_object_get(d, "payload");
    assert_int_equal(json_integer_value(json_object_get(p, "length")), n);
    assert_int_equal(json_integer_value(json_object_get(p, "decompressed_length")), strlen(text));
    assert_int_equal(json_array_size(json_object_get(json_object_get(p, "json"), "a")), 3);
    assert_null(json_object_get(p, "decode_error"));
    json_decref(d);
    /* compressed, but not JSON */
    n = deflate_to((const uint8_t *)"hello", 5, false, z, sizeof z);
    d = render_big(&o, "z/1", z, n);
    assert_string_equal(str_at(d, "payload", "decode_error"), "decompressed, but not JSON");
    assert_non_null(str_at(d, "payload", "hex"));
    json_decref(d);
    /* not compressed at all */
    d = render_big(&o, "z/1", (const uint8_t *)text, strlen(text));
    assert_string_equal(str_at(d, "payload", "decode_error"), "not zlib or gzip data");
    assert_string_equal(str_at(d, "payload", "text"), text);
    json_decref(d);
    /* a zip bomb: an error, not an allocation */
    size_t big = 8u << 20;
    uint8_t *zeros = calloc(1, big), *zb = malloc(64u << 10);
    n = deflate_to(zeros, big, true, zb, 64u << 10);
    free(zeros);
    d = render_big(&o, "z/1", zb, n);
    assert_string_equal(str_at(d, "payload", "decode_error"),
                        "decompresses to more than the cap (1048576 bytes)");
    json_decref(d);
    free(zb);
}

/* CBOR (hex) converted to JSON: the text, or NULL with *why. */
static char *cbor(const char *hex, const char **why)
{
    static char out[4096];
    uint8_t in[1024];
    size_t n = hexvec_decode(hex, in, sizeof in);
    struct obuf b, tmp;
    struct json_writer w;
    assert_int_equal(obuf_init(&b, NULL, 0), 0);
    assert_int_equal(obuf_init(&tmp, NULL, 0), 0);
    jw_init(&w, &b);
    struct cbor_json *cj = cbor_json_new();
    assert_non_null(cj);
    bool ok = cbor_to_json(cj, &w, &tmp, in, n, why);
    cbor_json_free(cj);
    snprintf(out, sizeof out, "%.*s", (int)obuf_len(&b), obuf_data(&b));
    obuf_free(&b);
    obuf_free(&tmp);
    return ok ? out : NULL;
}

static void test_cbor(void **state)
{
    (void)state;
    const char *why;
    static const char *const ok[][2] = { /* RFC 8949 appendix A, and more */
        {"00", "0"},
        {"1bffffffffffffffff", "18446744073709551615"},
        {"3bffffffffffffffff", "-18446744073709551616"},
        {"3b7fffffffffffffff", "-9223372036854775808"},
        {"38ff", "-256"},
        {"f97e00", "\"NaN\""},
        {"f97c00", "\"Infinity\""},
        {"f93e00", "1.5"},
        {"fa47c35000", "1e+05"},
        {"fb3ff199999999999a", "1.1"},
        {"f4", "false"}, {"f5", "true"}, {"f6", "null"}, {"f7", "null"},
        {"c11a514b67b0", "1363896240"},
        {"4401020304", "\"01020304\""},
        {"6449455446", "\"IETF\""},
        {"a26161016162820203", "{\"a\":1,\"b\":[2,3]}"},
        {"9f018202039f0405ffff", "[1,[2,3],[4,5]]"},
        {"bf61610161629f0203ffff", "{\"a\":1,\"b\":[2,3]}"},
        {"5f42010243030405ff", "\"0102030405\""},
        {"7f657374726561646d696e67ff", "\"streaming\""},
        {"a201020304", "{\"1\":2,\"3\":4}"},
        {"a1206161", "{\"-1\":\"a\"}"},
        {"80", "[]"}, {"a0", "{}"}, {"9fff", "[]"}, {"bfff", "{}"},
        {"a1616180", "{\"a\":[]}"},
        {"8301820203820405", "[1,[2,3],[4,5]]"},
    };
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        const char *got = cbor(ok[i][0], &why);
        if (!got)
            fail_msg("%s: refused: %s", ok[i][0], why);
        assert_string_equal(got, ok[i][1]);
    }
    static const char *const bad[][2] = {
        {"", "truncated CBOR"},
        {"82 01", "truncated CBOR"},
        {"19 01", "truncated CBOR"},
        {"01 02", "bytes after the CBOR item"},
        {"a2 6161 01 6161 02", "a map repeats a key"},
        {"a2 01 01 01 02", "a map repeats a key"},
        {"a1 4101 01", "a map key that is not a text string or an integer"},
        {"a1 80 01", "a map key that is not a text string or an integer"},
        {"a1 7f6161ff 01", "a map key that is not a text string or an integer"},
        {"a2 61ff 01 61fe 02", "a map key that is not UTF-8 text without NUL"},
        {"a1 6100 01", "a map key that is not UTF-8 text without NUL"},
        {"ff", "a break outside an indefinite-length item"},
        {"bf 6161 ff", "a map ends after a key without its value"},
        {"5f 01 ff", "an item inside an indefinite-length string"},
        {"1c", "malformed CBOR"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        if (cbor(bad[i][0], &why))
            fail_msg("%s: accepted", bad[i][0]);
        assert_string_equal(why, bad[i][1]);
    }
    char deep[2 * 80 + 4] = "";
    for (int i = 0; i < 70; i++)
        strcat(deep, "81");
    strcat(deep, "00");
    assert_null(cbor(deep, &why));
    assert_string_equal(why, "CBOR nested too deep");
}

/* A 5.0 PUBLISH on topic "c" with Content Type ct (NULL: none). */
static json_t *render_v5(const struct output_opts *base, const char *ct,
                         const uint8_t *payload, size_t plen)
{
    uint8_t buf[512];
    size_t k = 0, ctn = ct ? strlen(ct) : 0, props = ct ? 3 + ctn : 0;
    size_t rl = 3 + 1 + props + plen;
    assert_true(rl < 128);
    buf[k++] = 0x30;
    buf[k++] = (uint8_t)rl;
    buf[k++] = 0;
    buf[k++] = 1;
    buf[k++] = 'c';
    buf[k++] = (uint8_t)props;
    if (ct) {
        buf[k++] = 0x03;
        buf[k++] = 0;
        buf[k++] = (uint8_t)ctn;
        memcpy(buf + k, ct, ctn);
        k += ctn;
    }
    memcpy(buf + k, payload, plen);
    k += plen;
    return render_frame(base, buf, k, MQD_V5);
}

static void test_json_cbor(void **state)
{
    (void)state;
    struct output_opts o = {0};
    static const uint8_t map[] = {0xa2, 0x61, 0x61, 0x01, 0x61, 0x62, 0x82, 0x02, 0x03};
    /* Content Type chooses CBOR in auto mode */
    json_t *d = render_v5(&o, "application/cbor", map, sizeof map);
    json_t *c = json_object_get(json_object_get(d, "payload"), "cbor");
    assert_int_equal(json_integer_value(json_object_get(c, "a")), 1);
    assert_int_equal(json_array_size(json_object_get(c, "b")), 2);
    json_decref(d);
    d = render_v5(&o, "Application/CBOR; x=1", map, sizeof map);
    assert_non_null(json_object_get(json_object_get(d, "payload"), "cbor"));
    json_decref(d);
    /* not without it (never by guessing), nor when it is another type */
    d = render_v5(&o, NULL, map, sizeof map);
    assert_null(json_object_get(json_object_get(d, "payload"), "cbor"));
    json_decref(d);
    d = render_v5(&o, "application/cbor-seq", map, sizeof map);
    assert_null(json_object_get(json_object_get(d, "payload"), "cbor"));
    json_decref(d);
    /* declared CBOR but not: raw with the reason */
    d = render_v5(&o, "application/cbor", map, 3);
    assert_string_equal(str_at(d, "payload", "decode_error"), "truncated CBOR");
    assert_string_equal(str_at(d, "payload", "hex"), "a26161");
    json_decref(d);
    /* a rule chooses it too; --payload hex turns the Content Type choice off */
    static const struct decode_rule rules[] = {{"c", PAYLOAD_CBOR}};
    o.decode_rules = rules;
    o.ndecode_rules = 1;
    d = render_v5(&o, NULL, map, sizeof map);
    assert_non_null(json_object_get(json_object_get(d, "payload"), "cbor"));
    json_decref(d);
    o.ndecode_rules = 0;
    o.payload_mode = PAYLOAD_HEX;
    d = render_v5(&o, "application/cbor", map, sizeof map);
    assert_string_equal(str_at(d, "payload", "hex"), "a26161016162820203");
    json_decref(d);
}

/* MessagePack (hex) converted to JSON: the text, or NULL with *why. */
static char *msgpack(const char *hex, const char **why)
{
    static char out[8192];
    static uint8_t in[70000];
    size_t n = hexvec_decode(hex, in, sizeof in);
    struct obuf b;
    struct json_writer w;
    assert_int_equal(obuf_init(&b, NULL, 0), 0);
    jw_init(&w, &b);
    struct msgpack_json *mj = msgpack_json_new();
    assert_non_null(mj);
    bool ok = msgpack_to_json(mj, &w, in, n, why);
    msgpack_json_free(mj);
    snprintf(out, sizeof out, "%.*s", (int)obuf_len(&b), obuf_data(&b));
    obuf_free(&b);
    return ok ? out : NULL;
}

static void test_msgpack(void **state)
{
    (void)state;
    const char *why;
    static const char *const ok[][2] = { /* every type of the spec */
        {"c0", "null"}, {"c2", "false"}, {"c3", "true"},
        {"00", "0"}, {"7f", "127"},                         /* positive fixint */
        {"ff", "-1"}, {"e0", "-32"},                        /* negative fixint */
        {"cc ff", "255"}, {"cd ffff", "65535"}, {"ce ffffffff", "4294967295"},
        {"cf ffffffffffffffff", "18446744073709551615"},   /* uint64 max */
        {"cf 0000000000000001", "1"},
        {"d0 80", "-128"}, {"d0 7f", "127"}, {"d1 8000", "-32768"},
        {"d2 80000000", "-2147483648"}, {"d2 ffffffff", "-1"},
        {"d3 8000000000000000", "-9223372036854775808"},
        {"d3 7fffffffffffffff", "9223372036854775807"},
        {"d3 fffffffffffffffe", "-2"},
        {"ca 3fc00000", "1.5"}, {"ca 7fc00000", "\"NaN\""},
        {"ca ff800000", "\"-Infinity\""},
        {"cb 3ff199999999999a", "1.1"}, {"cb c010000000000000", "-4"},
        {"cb 7ff0000000000000", "\"Infinity\""},
        {"a0", "\"\""}, {"a3 616263", "\"abc\""},          /* fixstr */
        {"d9 03 616263", "\"abc\""}, {"da 0003 616263", "\"abc\""},
        {"db 00000003 616263", "\"abc\""},
        {"a2 ff41", "\"\xef\xbf\xbd" "A\""},                /* ill-formed: U+FFFD */
        {"a2 0a22", "\"\\n\\\"\""},
        {"c4 03 010203", "\"010203\""}, {"c5 0002 abcd", "\"abcd\""},
        {"c6 00000001 00", "\"00\""}, {"c4 00", "\"\""},
        {"90", "[]"}, {"93 01 02 03", "[1,2,3]"}, {"dc 0002 c0 c3", "[null,true]"},
        {"dd 00000001 91 90", "[[[]]]"},
        {"80", "{}"}, {"82 a1 61 01 a1 62 92 02 03", "{\"a\":1,\"b\":[2,3]}"},
        {"de 0001 a1 61 c0", "{\"a\":null}"},
        {"df 00000001 01 a1 78", "{\"1\":\"x\"}"},
        {"82 ff 01 d3 8000000000000000 02", "{\"-1\":1,\"-9223372036854775808\":2}"},
        {"82 01 01 a1 31 02", NULL},                        /* "1" twice: below */
        {"d4 01 aa", "{\"ext\":1,\"data\":\"aa\"}"},        /* fixext 1..16 */
        {"d5 7f aabb", "{\"ext\":127,\"data\":\"aabb\"}"},
        {"d6 80 00000000", "{\"ext\":-128,\"data\":\"00000000\"}"},
        {"d7 05 0102030405060708", "{\"ext\":5,\"data\":\"0102030405060708\"}"},
        {"d8 05 000102030405060708090a0b0c0d0e0f",
         "{\"ext\":5,\"data\":\"000102030405060708090a0b0c0d0e0f\"}"},
        {"c7 00 05", "{\"ext\":5,\"data\":\"\"}"},          /* ext 8/16/32 */
        {"c8 0001 fe 09", "{\"ext\":-2,\"data\":\"09\"}"},
        {"c9 00000002 10 0102", "{\"ext\":16,\"data\":\"0102\"}"},
        /* timestamp 32, 64, 96 (the spec's three forms) */
        {"d6 ff 5f5e1000", "{\"timestamp\":{\"seconds\":1600000000,\"nanoseconds\":0}}"},
        {"d7 ff 0000000100000002",
         "{\"timestamp\":{\"seconds\":4294967298,\"nanoseconds\":0}}"},
        {"d7 ff 00000004 5f5e1000",
         "{\"timestamp\":{\"seconds\":1600000000,\"nanoseconds\":1}}"},
        {"c7 0c ff 3b9ac9ff ffffffffffffffff",
         "{\"timestamp\":{\"seconds\":-1,\"nanoseconds\":999999999}}"},
        {"c7 0c ff 00000000 8000000000000000",
         "{\"timestamp\":{\"seconds\":-9223372036854775808,\"nanoseconds\":0}}"},
    };
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        if (!ok[i][1])
            continue;
        const char *got = msgpack(ok[i][0], &why);
        if (!got)
            fail_msg("%s: refused: %s", ok[i][0], why);
        if (strcmp(got, ok[i][1]) != 0)
            fail_msg("%s: got %s, want %s", ok[i][0], got, ok[i][1]);
    }
    /* str 16 and bin 32 of 300 bytes: the length prefixes, not just fixstr */
    char big[2 * 300 + 32] = "da012c";
    for (int i = 0; i < 300; i++)
        strcat(big, "41");
    const char *got = msgpack(big, &why);
    assert_non_null(got);
    assert_int_equal(strlen(got), 302);
    static const char *const bad[][2] = {
        {"", "truncated MessagePack"},
        {"92 01", "truncated MessagePack"},
        {"cd 01", "truncated MessagePack"},
        {"cf 00000000000000", "truncated MessagePack"},
        {"a3 6162", "truncated MessagePack"},
        {"db 00000004 616263", "truncated MessagePack"},
        {"c6 ffffffff 00", "truncated MessagePack"},         /* no allocation */
        {"dd ffffffff c0", "truncated MessagePack"},
        {"df ffffffff a1 61 c0", "truncated MessagePack"},
        {"d8 01 0001", "truncated MessagePack"},
        {"c7 05", "truncated MessagePack"},
        {"ca 3fc0", "truncated MessagePack"},
        {"81 a1 61", "truncated MessagePack"},
        {"c1", "the never-used MessagePack byte 0xc1"},
        {"91 c1", "the never-used MessagePack byte 0xc1"},
        {"01 02", "bytes after the MessagePack object"},
        {"90 c0", "bytes after the MessagePack object"},
        {"82 a1 61 01 a1 61 02", "a map repeats a key"},
        {"82 01 01 a1 31 02", "a map repeats a key"},
        {"81 c0 01", "a map key that is not a string or an integer"},
        {"81 c3 01", "a map key that is not a string or an integer"},
        {"81 c4 01 61 01", "a map key that is not a string or an integer"},
        {"81 90 01", "a map key that is not a string or an integer"},
        {"81 80 01", "a map key that is not a string or an integer"},
        {"81 ca 3fc00000 01", "a map key that is not a string or an integer"},
        {"81 d4 01 00 01", "a map key that is not a string or an integer"},
        {"81 a1 ff 01", "a map key that is not UTF-8 text without NUL"},
        {"81 a1 00 01", "a map key that is not UTF-8 text without NUL"},
        {"d4 ff 00", "a timestamp extension that is not 4, 8 or 12 bytes"},
        {"d7 ff fffffffc 00000000", "a timestamp with nanoseconds past 999999999"},
        {"c7 0c ff 3b9aca00 0000000000000000", "a timestamp with nanoseconds past 999999999"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        if (msgpack(bad[i][0], &why))
            fail_msg("%s: accepted", bad[i][0]);
        if (strcmp(why, bad[i][1]) != 0)
            fail_msg("%s: %s, want %s", bad[i][0], why, bad[i][1]);
    }
    /* 64 levels are fine, 65 too deep; keys of a closed map are forgotten */
    char deep[2 * 70 + 4] = "";
    for (int i = 0; i < 64; i++)
        strcat(deep, "91");
    strcat(deep, "00");
    assert_non_null(msgpack(deep, &why));
    char deeper[2 * 70 + 4] = "91";
    strcat(deeper, deep);
    assert_null(msgpack(deeper, &why));
    assert_string_equal(why, "MessagePack nested too deep");
    assert_string_equal(msgpack("92 81 a1 61 01 81 a1 61 02", &why), "[{\"a\":1},{\"a\":2}]");
    /* every prefix of a valid object is truncated, never accepted */
    static const char full[] = "83 a1 61 cd 0102 a1 62 92 cb 3ff8000000000000 c4 02 abcd "
                               "a1 63 d6 ff 5f5e1000";
    uint8_t in[64];
    size_t n = hexvec_decode(full, in, sizeof in);
    assert_non_null(msgpack(full, &why));
    for (size_t k = 0; k < n; k++) {
        char pre[2 * 64 + 1] = "";
        for (size_t i = 0; i < k; i++)
            snprintf(pre + 2 * i, 3, "%02x", in[i]);
        if (msgpack(pre, &why))
            fail_msg("prefix %zu accepted", k);
        assert_string_equal(why, "truncated MessagePack");
    }
}

static void test_json_msgpack(void **state)
{
    (void)state;
    struct output_opts o = {0};
    static const uint8_t map[] = {0x82, 0xa1, 0x61, 0x01, 0xa1, 0x62, 0x92, 0x02, 0xc3};
    /* Content Type chooses MessagePack in auto mode, both names */
    static const char *const types[] = {"application/msgpack", "application/x-msgpack",
                                        "Application/MsgPack; v=1"};
    for (size_t i = 0; i < 3; i++) {
        json_t *d = render_v5(&o, types[i], map, sizeof map);
        json_t *c = json_object_get(json_object_get(d, "payload"), "msgpack");
        assert_int_equal(json_integer_value(json_object_get(c, "a")), 1);
        assert_true(json_is_true(json_array_get(json_object_get(c, "b"), 1)));
        json_decref(d);
    }
    /* not without it, nor for another type */
    json_t *d = render_v5(&o, NULL, map, sizeof map);
    assert_null(json_object_get(json_object_get(d, "payload"), "msgpack"));
    json_decref(d);
    d = render_v5(&o, "application/msgpack-seq", map, sizeof map);
    assert_null(json_object_get(json_object_get(d, "payload"), "msgpack"));
    json_decref(d);
    /* declared but not: raw with the reason */
    d = render_v5(&o, "application/msgpack", map, 4);
    assert_string_equal(str_at(d, "payload", "decode_error"), "truncated MessagePack");
    assert_string_equal(str_at(d, "payload", "hex"), "82a16101");
    json_decref(d);
    /* a rule chooses it; --payload hex turns the Content Type choice off */
    static const struct decode_rule rules[] = {{"c", PAYLOAD_MSGPACK}};
    o.decode_rules = rules;
    o.ndecode_rules = 1;
    d = render_v5(&o, NULL, map, sizeof map);
    assert_non_null(json_object_get(json_object_get(d, "payload"), "msgpack"));
    json_decref(d);
    o.ndecode_rules = 0;
    o.payload_mode = PAYLOAD_HEX;
    d = render_v5(&o, "application/msgpack", map, sizeof map);
    assert_string_equal(str_at(d, "payload", "hex"), "82a16101a1629202c3");
    json_decref(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_filter_valid),
        cmocka_unit_test(test_rule_split),
        cmocka_unit_test(test_mode_for_topic),
        cmocka_unit_test(test_json_sparkplug),
        cmocka_unit_test(test_json_rules),
        cmocka_unit_test(test_inflate),
        cmocka_unit_test(test_zip_bomb),
        cmocka_unit_test(test_json_gzip),
        cmocka_unit_test(test_cbor),
        cmocka_unit_test(test_json_cbor),
        cmocka_unit_test(test_msgpack),
        cmocka_unit_test(test_json_msgpack),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
