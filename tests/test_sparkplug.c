/* decode/sparkplug: topics, and payloads built with the generated packer
 * (protobuf-c) decoded back through the views: every datatype, arrays,
 * DataSet, Template, properties, metadata, malformed input, nesting depth
 * and the arena cap. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode/sparkplug.h"
#include "decode/sparkplug_b.pb-c.h"

typedef Mqd__Spb__Payload Payload;
typedef Mqd__Spb__Payload__Metric Metric;

/* ---- topics ---- */

static enum spb_topic_result parse(const char *t, struct spb_topic *out)
{
    const char *why;
    return spb_topic_parse((const uint8_t *)t, strlen(t), out, &why);
}

static void assert_slice(const uint8_t *p, size_t n, const char *want)
{
    assert_non_null(p);
    assert_int_equal(n, strlen(want));
    assert_memory_equal(p, want, n);
}

static void test_topic_node(void **state)
{
    (void)state;
    struct spb_topic t;
    assert_int_equal(parse("spBv1.0/G1/NBIRTH/E1", &t), SPB_TOPIC_OK);
    assert_int_equal(t.type, SPB_NBIRTH);
    assert_slice(t.group, t.group_len, "G1");
    assert_slice(t.edge, t.edge_len, "E1");
    assert_null(t.device);
    static const char *const node[] = {"NBIRTH", "NDEATH", "NDATA", "NCMD"};
    for (int i = 0; i < 4; i++) {
        char buf[64];
        snprintf(buf, sizeof buf, "spBv1.0/g/%s/e", node[i]);
        assert_int_equal(parse(buf, &t), SPB_TOPIC_OK);
        assert_string_equal(spb_msg_type_name(t.type), node[i]);
        snprintf(buf, sizeof buf, "spBv1.0/g/%s/e/d", node[i]);
        assert_int_equal(parse(buf, &t), SPB_TOPIC_BAD);
    }
}

static void test_topic_device(void **state)
{
    (void)state;
    struct spb_topic t;
    assert_int_equal(parse("spBv1.0/Plant 1/DDATA/Edge/Pump 3", &t), SPB_TOPIC_OK);
    assert_int_equal(t.type, SPB_DDATA);
    assert_slice(t.group, t.group_len, "Plant 1");
    assert_slice(t.edge, t.edge_len, "Edge");
    assert_slice(t.device, t.device_len, "Pump 3");
    static const char *const dev[] = {"DBIRTH", "DDEATH", "DDATA", "DCMD"};
    for (int i = 0; i < 4; i++) {
        char buf[64];
        snprintf(buf, sizeof buf, "spBv1.0/g/%s/e/d", dev[i]);
        assert_int_equal(parse(buf, &t), SPB_TOPIC_OK);
        assert_string_equal(spb_msg_type_name(t.type), dev[i]);
        snprintf(buf, sizeof buf, "spBv1.0/g/%s/e", dev[i]);
        assert_int_equal(parse(buf, &t), SPB_TOPIC_BAD);
        snprintf(buf, sizeof buf, "spBv1.0/g/%s/e/d/x", dev[i]);
        assert_int_equal(parse(buf, &t), SPB_TOPIC_BAD);
    }
}

static void test_topic_state_and_bad(void **state)
{
    (void)state;
    struct spb_topic t;
    assert_int_equal(parse("spBv1.0/STATE/scada-1", &t), SPB_TOPIC_OK);
    assert_int_equal(t.type, SPB_STATE);
    assert_slice(t.host, t.host_len, "scada-1");
    assert_int_equal(parse("spBv1.0/STATE", &t), SPB_TOPIC_BAD);
    assert_int_equal(parse("spBv1.0/STATE/", &t), SPB_TOPIC_BAD);
    assert_int_equal(parse("spBv1.0/STATE/h/x", &t), SPB_TOPIC_BAD);
    assert_int_equal(parse("spBv1.0/g/NOPE/e", &t), SPB_TOPIC_BAD);
    assert_int_equal(parse("spBv1.0/g/NDATA/", &t), SPB_TOPIC_BAD);
    assert_int_equal(parse("spBv1.0/g/NDATA", &t), SPB_TOPIC_BAD);
    assert_int_equal(parse("spBv1.0//NDATA/e", &t), SPB_TOPIC_BAD);
    assert_int_equal(parse("spBv1.0/", &t), SPB_TOPIC_BAD);
    assert_int_equal(parse("spBv1.0/g/ndata/e", &t), SPB_TOPIC_BAD);
    assert_int_equal(parse("spAv1.0/g/NDATA/e", &t), SPB_TOPIC_NOT_SPARKPLUG);
    assert_int_equal(parse("spBv1.0", &t), SPB_TOPIC_NOT_SPARKPLUG);
    assert_int_equal(parse("", &t), SPB_TOPIC_NOT_SPARKPLUG);
}

/* ---- payloads ---- */

struct fixture {
    struct spb_decoder *d;
    uint8_t *buf;
    size_t len;
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof *fx);
    fx->d = spb_decoder_new();
    *state = fx;
    return fx->d ? 0 : -1;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    spb_decoder_free(fx->d);
    free(fx->buf);
    free(fx);
    return 0;
}

static void pack(struct fixture *fx, const Payload *p)
{
    free(fx->buf);
    fx->len = mqd__spb__payload__get_packed_size(p);
    fx->buf = malloc(fx->len + 1);
    assert_non_null(fx->buf);
    assert_int_equal(mqd__spb__payload__pack(p, fx->buf), fx->len);
}

static Metric metric(uint32_t dt)
{
    Metric m = MQD__SPB__PAYLOAD__METRIC__INIT;
    m.has_datatype = true;
    m.datatype = dt;
    return m;
}

/* Packs one metric into a payload, decodes it, returns it in *out. */
static void roundtrip1(struct fixture *fx, Metric *m, struct spb_metric *out)
{
    Payload p = MQD__SPB__PAYLOAD__INIT;
    Metric *ms[1] = {m};
    p.n_metrics = 1;
    p.metrics = ms;
    pack(fx, &p);
    struct spb_payload sp;
    assert_int_equal(spb_decode(fx->d, fx->buf, fx->len, &sp), SPB_OK);
    assert_int_equal(sp.metrics.n, 1);
    spb_metric_get(&sp.metrics, 0, out);
}

static void int_metric(struct fixture *fx, uint32_t dt, bool is_long, uint64_t wire,
                       struct spb_metric *out)
{
    Metric m = metric(dt);
    if (is_long) {
        m.value_case = MQD__SPB__PAYLOAD__METRIC__VALUE_LONG_VALUE;
        m.long_value = wire;
    } else {
        m.value_case = MQD__SPB__PAYLOAD__METRIC__VALUE_INT_VALUE;
        m.int_value = (uint32_t)wire;
    }
    roundtrip1(fx, &m, out);
}

static void test_payload_header(void **state)
{
    struct fixture *fx = *state;
    Payload p = MQD__SPB__PAYLOAD__INIT;
    static uint8_t body[] = {0xde, 0xad, 0x00, 0xef};
    p.has_timestamp = true;
    p.timestamp = 1700000000123u;
    p.has_seq = true;
    p.seq = 255;
    p.uuid = "schema-1";
    p.has_body = true;
    p.body.data = body;
    p.body.len = sizeof body;
    pack(fx, &p);
    struct spb_payload sp;
    assert_int_equal(spb_decode(fx->d, fx->buf, fx->len, &sp), SPB_OK);
    assert_true(sp.has_timestamp);
    assert_int_equal(sp.timestamp, 1700000000123u);
    assert_true(sp.has_seq);
    assert_int_equal(sp.seq, 255);
    assert_string_equal(sp.uuid, "schema-1");
    assert_true(sp.has_body);
    assert_int_equal(sp.body.len, 4);
    assert_memory_equal(sp.body.data, body, 4);
    assert_int_equal(sp.metrics.n, 0);
    /* the empty payload is a valid message with nothing in it */
    assert_int_equal(spb_decode(fx->d, fx->buf, 0, &sp), SPB_OK);
    assert_false(sp.has_seq);
    assert_null(sp.uuid);
}

static void test_signed_integers(void **state)
{
    struct fixture *fx = *state;
    struct spb_metric m;
    /* Int8 -1 as Tahu's Java sends it (uint32 two's complement), and as
     * an encoder that writes the byte alone would (0xff). */
    int_metric(fx, SPB_DT_INT8, false, 0xffffffffu, &m);
    assert_int_equal(m.value.kind, SPB_V_INT);
    assert_int_equal(m.value.v.i, -1);
    int_metric(fx, SPB_DT_INT8, false, 0x80, &m);
    assert_int_equal(m.value.v.i, -128);
    int_metric(fx, SPB_DT_INT8, false, 0x7f, &m);
    assert_int_equal(m.value.v.i, 127);
    int_metric(fx, SPB_DT_INT16, false, 0x8000, &m);
    assert_int_equal(m.value.v.i, -32768);
    int_metric(fx, SPB_DT_INT16, false, 0xfffffffeu, &m);
    assert_int_equal(m.value.v.i, -2);
    int_metric(fx, SPB_DT_INT32, false, 0x80000000u, &m);
    assert_int_equal(m.value.v.i, INT32_MIN);
    int_metric(fx, SPB_DT_INT32, true, 0xffffffffu, &m); /* long_value too */
    assert_int_equal(m.value.v.i, -1);
    assert_null(m.value.error);
    int_metric(fx, SPB_DT_INT64, true, UINT64_C(0x8000000000000000), &m);
    assert_true(m.value.v.i == INT64_MIN);
    int_metric(fx, SPB_DT_INT64, true, 5, &m);
    assert_int_equal(m.value.v.i, 5);
}

static void test_unsigned_integers(void **state)
{
    struct fixture *fx = *state;
    struct spb_metric m;
    int_metric(fx, SPB_DT_UINT8, false, 255, &m);
    assert_int_equal(m.value.kind, SPB_V_UINT);
    assert_int_equal(m.value.v.u, 255);
    int_metric(fx, SPB_DT_UINT16, false, 65535, &m);
    assert_int_equal(m.value.v.u, 65535);
    int_metric(fx, SPB_DT_UINT32, false, 0xffffffffu, &m);
    assert_int_equal(m.value.v.u, 0xffffffffu);
    int_metric(fx, SPB_DT_UINT32, true, 0xffffffffu, &m); /* Tahu Java */
    assert_int_equal(m.value.v.u, 0xffffffffu);
    int_metric(fx, SPB_DT_UINT64, true, UINT64_MAX, &m);
    assert_true(m.value.v.u == UINT64_MAX);
    int_metric(fx, SPB_DT_DATETIME, true, 1700000000123u, &m);
    assert_int_equal(m.value.kind, SPB_V_UINT);
    assert_int_equal(m.value.v.u, 1700000000123u);
}

static void test_scalars(void **state)
{
    struct fixture *fx = *state;
    struct spb_metric m;
    Metric f = metric(SPB_DT_FLOAT);
    f.value_case = MQD__SPB__PAYLOAD__METRIC__VALUE_FLOAT_VALUE;
    f.float_value = 0.1f;
    roundtrip1(fx, &f, &m);
    assert_int_equal(m.value.kind, SPB_V_FLOAT);
    assert_true(m.value.v.f == 0.1f);
    Metric d = metric(SPB_DT_DOUBLE);
    d.value_case = MQD__SPB__PAYLOAD__METRIC__VALUE_DOUBLE_VALUE;
    d.double_value = -1e300;
    roundtrip1(fx, &d, &m);
    assert_int_equal(m.value.kind, SPB_V_DOUBLE);
    assert_true(m.value.v.d == -1e300);
    Metric b = metric(SPB_DT_BOOLEAN);
    b.value_case = MQD__SPB__PAYLOAD__METRIC__VALUE_BOOLEAN_VALUE;
    b.boolean_value = true;
    roundtrip1(fx, &b, &m);
    assert_int_equal(m.value.kind, SPB_V_BOOL);
    assert_true(m.value.v.b);
    static const uint32_t strs[] = {SPB_DT_STRING, SPB_DT_TEXT, SPB_DT_UUID};
    for (int i = 0; i < 3; i++) {
        Metric s = metric(strs[i]);
        s.value_case = MQD__SPB__PAYLOAD__METRIC__VALUE_STRING_VALUE;
        s.string_value = "h\xc3\xa9llo";
        roundtrip1(fx, &s, &m);
        assert_int_equal(m.value.kind, SPB_V_STRING);
        assert_string_equal(m.value.v.s, "h\xc3\xa9llo");
    }
    static const uint32_t byt[] = {SPB_DT_BYTES, SPB_DT_FILE};
    static uint8_t raw[] = {0, 1, 2, 0xff};
    for (int i = 0; i < 2; i++) {
        Metric s = metric(byt[i]);
        s.value_case = MQD__SPB__PAYLOAD__METRIC__VALUE_BYTES_VALUE;
        s.bytes_value.data = raw;
        s.bytes_value.len = sizeof raw;
        roundtrip1(fx, &s, &m);
        assert_int_equal(m.value.kind, SPB_V_BYTES);
        assert_int_equal(m.value.v.bytes.len, 4);
        assert_memory_equal(m.value.v.bytes.data, raw, 4);
    }
}

static void test_metric_fields(void **state)
{
    struct fixture *fx = *state;
    struct spb_metric m;
    Metric in = metric(SPB_DT_INT32);
    Mqd__Spb__Payload__MetaData md = MQD__SPB__PAYLOAD__META_DATA__INIT;
    md.has_is_multi_part = true;
    md.content_type = "text/plain";
    md.has_size = true;
    md.size = 42;
    md.has_seq = true;
    md.seq = 3;
    md.file_name = "a.txt";
    md.file_type = "txt";
    md.md5 = "00";
    md.description = "d";
    in.name = "Node Control/Rebirth";
    in.has_alias = true;
    in.alias = 7;
    in.has_timestamp = true;
    in.timestamp = 99;
    in.has_is_historical = true;
    in.is_historical = true;
    in.has_is_transient = true;
    in.is_transient = true;
    in.has_is_null = true;
    in.is_null = true;
    in.metadata = &md;
    roundtrip1(fx, &in, &m);
    assert_string_equal(m.name, "Node Control/Rebirth");
    assert_true(m.has_alias && m.alias == 7);
    assert_true(m.has_timestamp && m.timestamp == 99);
    assert_true(m.has_datatype && m.datatype == SPB_DT_INT32);
    assert_true(m.has_is_historical && m.is_historical);
    assert_true(m.has_is_transient && m.is_transient);
    assert_true(m.has_is_null && m.is_null);
    assert_int_equal(m.value.kind, SPB_V_NONE);
    assert_true(m.metadata.present);
    assert_true(m.metadata.has_is_multi_part && !m.metadata.is_multi_part);
    assert_string_equal(m.metadata.content_type, "text/plain");
    assert_true(m.metadata.has_size && m.metadata.size == 42);
    assert_true(m.metadata.has_seq && m.metadata.seq == 3);
    assert_string_equal(m.metadata.file_name, "a.txt");
    assert_string_equal(m.metadata.file_type, "txt");
    assert_string_equal(m.metadata.md5, "00");
    assert_string_equal(m.metadata.description, "d");
    assert_false(m.has_properties);
}

static void test_properties(void **state)
{
    struct fixture *fx = *state;
    struct spb_metric m;
    Mqd__Spb__Payload__PropertyValue inner_v = MQD__SPB__PAYLOAD__PROPERTY_VALUE__INIT;
    inner_v.has_type = true;
    inner_v.type = SPB_DT_INT16;
    inner_v.value_case = MQD__SPB__PAYLOAD__PROPERTY_VALUE__VALUE_INT_VALUE;
    inner_v.int_value = 0xffff;
    Mqd__Spb__Payload__PropertyValue *inner_vs[] = {&inner_v};
    char *inner_k[] = {"low"};
    Mqd__Spb__Payload__PropertySet inner = MQD__SPB__PAYLOAD__PROPERTY_SET__INIT;
    inner.n_keys = 1;
    inner.keys = inner_k;
    inner.n_values = 1;
    inner.values = inner_vs;
    Mqd__Spb__Payload__PropertySet *sets[] = {&inner, &inner};
    Mqd__Spb__Payload__PropertySetList list = MQD__SPB__PAYLOAD__PROPERTY_SET_LIST__INIT;
    list.n_propertyset = 2;
    list.propertyset = sets;
    Mqd__Spb__Payload__PropertyValue v[3];
    for (int i = 0; i < 3; i++)
        mqd__spb__payload__property_value__init(&v[i]);
    v[0].has_type = true;
    v[0].type = SPB_DT_STRING;
    v[0].value_case = MQD__SPB__PAYLOAD__PROPERTY_VALUE__VALUE_STRING_VALUE;
    v[0].string_value = "degC";
    v[1].has_type = true;
    v[1].type = SPB_DT_PROPERTYSET;
    v[1].value_case = MQD__SPB__PAYLOAD__PROPERTY_VALUE__VALUE_PROPERTYSET_VALUE;
    v[1].propertyset_value = &inner;
    v[2].has_type = true;
    v[2].type = SPB_DT_PROPERTYSETLIST;
    v[2].has_is_null = true;
    v[2].value_case = MQD__SPB__PAYLOAD__PROPERTY_VALUE__VALUE_PROPERTYSETS_VALUE;
    v[2].propertysets_value = &list;
    Mqd__Spb__Payload__PropertyValue *vs[] = {&v[0], &v[1], &v[2]};
    char *keys[] = {"engUnit", "limits"}; /* one key fewer than values */
    Mqd__Spb__Payload__PropertySet ps = MQD__SPB__PAYLOAD__PROPERTY_SET__INIT;
    ps.n_keys = 2;
    ps.keys = keys;
    ps.n_values = 3;
    ps.values = vs;
    Metric in = metric(SPB_DT_DOUBLE);
    in.properties = &ps;
    roundtrip1(fx, &in, &m);
    assert_true(m.has_properties);
    assert_int_equal(m.properties.nkeys, 2);
    assert_int_equal(m.properties.values.n, 3);
    struct spb_property p;
    spb_property_get(&m.properties, 0, &p);
    assert_string_equal(p.key, "engUnit");
    assert_int_equal(p.value.kind, SPB_V_STRING);
    assert_string_equal(p.value.v.s, "degC");
    spb_property_get(&m.properties, 1, &p);
    assert_int_equal(p.value.kind, SPB_V_PROPSET);
    struct spb_property q;
    spb_property_get(&p.value.v.ps, 0, &q);
    assert_string_equal(q.key, "low");
    assert_int_equal(q.value.kind, SPB_V_INT);
    assert_int_equal(q.value.v.i, -1);
    spb_property_get(&m.properties, 2, &p);
    assert_null(p.key);
    assert_true(p.has_is_null && !p.is_null);
    assert_int_equal(p.value.kind, SPB_V_PROPSET_LIST);
    assert_int_equal(p.value.v.psl.sets.n, 2);
    struct spb_propset got;
    spb_propset_get(&p.value.v.psl.sets, 1, &got);
    assert_int_equal(got.nkeys, 1);
    assert_string_equal(got.keys[0], "low");
}

/* An array metric with the given packed bytes. */
static void array_metric(struct fixture *fx, uint32_t dt, const uint8_t *raw,
                         size_t len, struct spb_metric *out)
{
    Metric m = metric(dt);
    m.value_case = MQD__SPB__PAYLOAD__METRIC__VALUE_BYTES_VALUE;
    m.bytes_value.data = (uint8_t *)raw;
    m.bytes_value.len = len;
    roundtrip1(fx, &m, out);
}

static void test_int_arrays(void **state)
{
    struct fixture *fx = *state;
    struct spb_metric m;
    struct spb_array_iter it;
    struct spb_value v;
    static const uint8_t i8[] = {0xff, 0x7f, 0x80};
    array_metric(fx, SPB_DT_INT8_ARRAY, i8, sizeof i8, &m);
    assert_int_equal(m.value.kind, SPB_V_ARRAY);
    assert_int_equal(m.value.v.arr.count, 3);
    spb_array_iter_init(&it, &m.value.v.arr);
    static const int64_t want8[] = {-1, 127, -128};
    for (int i = 0; i < 3; i++) {
        assert_true(spb_array_next(&it, &v));
        assert_int_equal(v.kind, SPB_V_INT);
        assert_int_equal(v.v.i, want8[i]);
    }
    assert_false(spb_array_next(&it, &v));
    static const uint8_t i16[] = {0xfe, 0xff, 0x34, 0x12};
    array_metric(fx, SPB_DT_INT16_ARRAY, i16, sizeof i16, &m);
    spb_array_iter_init(&it, &m.value.v.arr);
    assert_true(spb_array_next(&it, &v) && v.v.i == -2);
    assert_true(spb_array_next(&it, &v) && v.v.i == 0x1234);
    array_metric(fx, SPB_DT_UINT16_ARRAY, i16, sizeof i16, &m);
    spb_array_iter_init(&it, &m.value.v.arr);
    assert_true(spb_array_next(&it, &v) && v.kind == SPB_V_UINT && v.v.u == 0xfffe);
    static const uint8_t i32[] = {0xff, 0xff, 0xff, 0xff};
    array_metric(fx, SPB_DT_INT32_ARRAY, i32, sizeof i32, &m);
    spb_array_iter_init(&it, &m.value.v.arr);
    assert_true(spb_array_next(&it, &v) && v.v.i == -1);
    array_metric(fx, SPB_DT_UINT32_ARRAY, i32, sizeof i32, &m);
    spb_array_iter_init(&it, &m.value.v.arr);
    assert_true(spb_array_next(&it, &v) && v.v.u == 0xffffffffu);
    array_metric(fx, SPB_DT_UINT8_ARRAY, i32, sizeof i32, &m);
    assert_int_equal(m.value.v.arr.count, 4);
    static const uint8_t i64[] = {1, 0, 0, 0, 0, 0, 0, 0x80};
    array_metric(fx, SPB_DT_INT64_ARRAY, i64, sizeof i64, &m);
    spb_array_iter_init(&it, &m.value.v.arr);
    assert_true(spb_array_next(&it, &v) && v.v.i == INT64_MIN + 1);
    array_metric(fx, SPB_DT_UINT64_ARRAY, i64, sizeof i64, &m);
    spb_array_iter_init(&it, &m.value.v.arr);
    assert_true(spb_array_next(&it, &v) && v.v.u == UINT64_C(0x8000000000000001));
    static const uint8_t dt[] = {0x7b, 0x59, 0x4a, 0xcf, 0x8b, 0x01, 0, 0};
    array_metric(fx, SPB_DT_DATETIME_ARRAY, dt, sizeof dt, &m);
    spb_array_iter_init(&it, &m.value.v.arr);
    assert_true(spb_array_next(&it, &v));
    assert_int_equal(v.v.i, INT64_C(0x018bcf4a597b));
    /* a length that is not whole elements: the bytes, with an error */
    array_metric(fx, SPB_DT_INT16_ARRAY, i8, sizeof i8, &m);
    assert_int_equal(m.value.kind, SPB_V_BYTES);
    assert_non_null(m.value.error);
    array_metric(fx, SPB_DT_INT64_ARRAY, i8, 0, &m); /* empty is fine */
    assert_int_equal(m.value.kind, SPB_V_ARRAY);
    assert_int_equal(m.value.v.arr.count, 0);
}

static void test_float_arrays(void **state)
{
    struct fixture *fx = *state;
    struct spb_metric m;
    struct spb_array_iter it;
    struct spb_value v;
    uint8_t f[8], d[8];
    float fv[2] = {1.5f, -0.1f};
    double dv = 3.141592653589793;
    for (int k = 0; k < 2; k++) {
        uint32_t bits;
        memcpy(&bits, &fv[k], 4);
        for (int i = 0; i < 4; i++)
            f[4 * k + i] = (uint8_t)(bits >> (8 * i));
    }
    uint64_t dbits;
    memcpy(&dbits, &dv, 8);
    for (int i = 0; i < 8; i++)
        d[i] = (uint8_t)(dbits >> (8 * i));
    array_metric(fx, SPB_DT_FLOAT_ARRAY, f, 8, &m);
    spb_array_iter_init(&it, &m.value.v.arr);
    assert_true(spb_array_next(&it, &v) && v.kind == SPB_V_FLOAT && v.v.f == 1.5f);
    assert_true(spb_array_next(&it, &v) && v.v.f == -0.1f);
    array_metric(fx, SPB_DT_DOUBLE_ARRAY, d, 8, &m);
    spb_array_iter_init(&it, &m.value.v.arr);
    assert_true(spb_array_next(&it, &v) && v.kind == SPB_V_DOUBLE && v.v.d == dv);
}

static void test_bool_string_arrays(void **state)
{
    struct fixture *fx = *state;
    struct spb_metric m;
    struct spb_array_iter it;
    struct spb_value v;
    /* the spec's and Tahu's example: 16 values, bits from the top */
    static const uint8_t b[] = {0x10, 0, 0, 0, 0x34, 0xc3};
    static const bool want[16] = {0, 0, 1, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1};
    array_metric(fx, SPB_DT_BOOLEAN_ARRAY, b, sizeof b, &m);
    assert_int_equal(m.value.kind, SPB_V_ARRAY);
    assert_int_equal(m.value.v.arr.count, 16);
    spb_array_iter_init(&it, &m.value.v.arr);
    for (int i = 0; i < 16; i++) {
        assert_true(spb_array_next(&it, &v));
        assert_int_equal(v.kind, SPB_V_BOOL);
        assert_int_equal(v.v.b, want[i]);
    }
    assert_false(spb_array_next(&it, &v));
    static const uint8_t b3[] = {3, 0, 0, 0, 0xa0};
    array_metric(fx, SPB_DT_BOOLEAN_ARRAY, b3, sizeof b3, &m);
    assert_int_equal(m.value.v.arr.count, 3);
    array_metric(fx, SPB_DT_BOOLEAN_ARRAY, b, 5, &m); /* count 16, 1 byte */
    assert_int_equal(m.value.kind, SPB_V_BYTES);
    assert_non_null(m.value.error);
    array_metric(fx, SPB_DT_BOOLEAN_ARRAY, b, 3, &m); /* no count */
    assert_non_null(m.value.error);
    static const uint8_t s[] = {'A', 'B', 0, 0, 'c', 0};
    array_metric(fx, SPB_DT_STRING_ARRAY, s, sizeof s, &m);
    assert_int_equal(m.value.v.arr.count, 3);
    spb_array_iter_init(&it, &m.value.v.arr);
    assert_true(spb_array_next(&it, &v));
    assert_int_equal(v.kind, SPB_V_STRING);
    assert_int_equal(v.v.bytes.len, 2);
    assert_memory_equal(v.v.bytes.data, "AB", 2);
    assert_true(spb_array_next(&it, &v) && v.v.bytes.len == 0);
    assert_true(spb_array_next(&it, &v) && v.v.bytes.len == 1);
    assert_false(spb_array_next(&it, &v));
    array_metric(fx, SPB_DT_STRING_ARRAY, s, 5, &m); /* no final NUL */
    assert_int_equal(m.value.kind, SPB_V_BYTES);
    assert_non_null(m.value.error);
}

static void test_dataset(void **state)
{
    struct fixture *fx = *state;
    struct spb_metric m;
    Mqd__Spb__Payload__DataSet__DataSetValue c[2][3];
    Mqd__Spb__Payload__DataSet__DataSetValue *cp[2][3];
    Mqd__Spb__Payload__DataSet__Row rows[2];
    Mqd__Spb__Payload__DataSet__Row *rp[2];
    for (int r = 0; r < 2; r++) {
        for (int k = 0; k < 3; k++) {
            mqd__spb__payload__data_set__data_set_value__init(&c[r][k]);
            cp[r][k] = &c[r][k];
        }
        c[r][0].value_case = MQD__SPB__PAYLOAD__DATA_SET__DATA_SET_VALUE__VALUE_INT_VALUE;
        c[r][0].int_value = r ? 0xffffff9cu : 7; /* Int32 -100 */
        c[r][1].value_case = MQD__SPB__PAYLOAD__DATA_SET__DATA_SET_VALUE__VALUE_STRING_VALUE;
        c[r][1].string_value = r ? "b" : "a";
        c[r][2].value_case = MQD__SPB__PAYLOAD__DATA_SET__DATA_SET_VALUE__VALUE_BOOLEAN_VALUE;
        c[r][2].boolean_value = r;
        mqd__spb__payload__data_set__row__init(&rows[r]);
        rows[r].n_elements = 3;
        rows[r].elements = cp[r];
        rp[r] = &rows[r];
    }
    char *cols[] = {"n", "s", "ok"};
    uint32_t types[] = {SPB_DT_INT32, SPB_DT_STRING, SPB_DT_BOOLEAN};
    Mqd__Spb__Payload__DataSet ds = MQD__SPB__PAYLOAD__DATA_SET__INIT;
    ds.has_num_of_columns = true;
    ds.num_of_columns = 3;
    ds.n_columns = 3;
    ds.columns = cols;
    ds.n_types = 3;
    ds.types = types;
    ds.n_rows = 2;
    ds.rows = rp;
    Metric in = metric(SPB_DT_DATASET);
    in.value_case = MQD__SPB__PAYLOAD__METRIC__VALUE_DATASET_VALUE;
    in.dataset_value = &ds;
    roundtrip1(fx, &in, &m);
    assert_int_equal(m.value.kind, SPB_V_DATASET);
    const struct spb_dataset *d = &m.value.v.ds;
    assert_true(d->has_num_of_columns && d->num_of_columns == 3);
    assert_int_equal(d->ncolumns, 3);
    assert_string_equal(d->columns[2], "ok");
    assert_int_equal(d->ntypes, 3);
    assert_int_equal(d->types[1], SPB_DT_STRING);
    assert_int_equal(d->rows.n, 2);
    assert_int_equal(spb_dataset_row_len(d, 1), 3);
    struct spb_value v;
    spb_dataset_cell(d, 1, 0, &v);
    assert_int_equal(v.kind, SPB_V_INT);
    assert_int_equal(v.v.i, -100);
    spb_dataset_cell(d, 1, 1, &v);
    assert_string_equal(v.v.s, "b");
    spb_dataset_cell(d, 1, 2, &v);
    assert_true(v.kind == SPB_V_BOOL && v.v.b);
}

static void test_template(void **state)
{
    struct fixture *fx = *state;
    struct spb_metric m;
    Mqd__Spb__Payload__Template__Parameter par = MQD__SPB__PAYLOAD__TEMPLATE__PARAMETER__INIT;
    par.name = "scale";
    par.has_type = true;
    par.type = SPB_DT_INT8;
    par.value_case = MQD__SPB__PAYLOAD__TEMPLATE__PARAMETER__VALUE_INT_VALUE;
    par.int_value = 0xfe;
    Mqd__Spb__Payload__Template__Parameter *pars[] = {&par};
    Metric member = metric(SPB_DT_UINT16);
    member.name = "rpm";
    member.value_case = MQD__SPB__PAYLOAD__METRIC__VALUE_INT_VALUE;
    member.int_value = 1500;
    Metric *members[] = {&member};
    Mqd__Spb__Payload__Template t = MQD__SPB__PAYLOAD__TEMPLATE__INIT;
    t.version = "v1";
    t.template_ref = "Motor";
    t.has_is_definition = true;
    t.is_definition = false;
    t.n_metrics = 1;
    t.metrics = members;
    t.n_parameters = 1;
    t.parameters = pars;
    Metric in = metric(SPB_DT_TEMPLATE);
    in.name = "Motor 1";
    in.value_case = MQD__SPB__PAYLOAD__METRIC__VALUE_TEMPLATE_VALUE;
    in.template_value = &t;
    roundtrip1(fx, &in, &m);
    assert_int_equal(m.value.kind, SPB_V_TEMPLATE);
    const struct spb_template *tp = &m.value.v.tpl;
    assert_string_equal(tp->version, "v1");
    assert_string_equal(tp->template_ref, "Motor");
    assert_true(tp->has_is_definition && !tp->is_definition);
    assert_int_equal(tp->metrics.n, 1);
    struct spb_metric mm;
    spb_metric_get(&tp->metrics, 0, &mm);
    assert_string_equal(mm.name, "rpm");
    assert_int_equal(mm.value.kind, SPB_V_UINT);
    assert_int_equal(mm.value.v.u, 1500);
    struct spb_param p;
    spb_param_get(&tp->parameters, 0, &p);
    assert_string_equal(p.name, "scale");
    assert_int_equal(p.value.kind, SPB_V_INT);
    assert_int_equal(p.value.v.i, -2);
}

static void test_mismatch_and_unknown(void **state)
{
    struct fixture *fx = *state;
    struct spb_metric m;
    Metric in = metric(SPB_DT_STRING); /* a String carrying an int */
    in.value_case = MQD__SPB__PAYLOAD__METRIC__VALUE_INT_VALUE;
    in.int_value = 5;
    roundtrip1(fx, &in, &m);
    assert_int_equal(m.value.kind, SPB_V_UINT);
    assert_non_null(m.value.error);
    Metric u = metric(99); /* a datatype the spec does not define */
    u.value_case = MQD__SPB__PAYLOAD__METRIC__VALUE_LONG_VALUE;
    u.long_value = 5;
    roundtrip1(fx, &u, &m);
    assert_int_equal(m.value.kind, SPB_V_UINT);
    assert_null(spb_datatype_name(99));
    assert_string_equal(spb_datatype_name(SPB_DT_DATETIME_ARRAY), "DateTimeArray");
    assert_string_equal(spb_datatype_name(SPB_DT_UUID), "UUID");
    Metric none = MQD__SPB__PAYLOAD__METRIC__INIT; /* alias only */
    none.has_alias = true;
    none.alias = 3;
    none.value_case = MQD__SPB__PAYLOAD__METRIC__VALUE_INT_VALUE;
    none.int_value = 0xffffffffu;
    roundtrip1(fx, &none, &m);
    assert_false(m.has_datatype);
    assert_int_equal(m.value.kind, SPB_V_UINT); /* untyped: as on the wire */
    assert_int_equal(m.value.v.u, 0xffffffffu);
}

static void test_malformed(void **state)
{
    struct fixture *fx = *state;
    struct spb_payload sp;
    Metric in = metric(SPB_DT_STRING);
    in.name = "a name";
    in.value_case = MQD__SPB__PAYLOAD__METRIC__VALUE_STRING_VALUE;
    in.string_value = "a value";
    Payload p = MQD__SPB__PAYLOAD__INIT;
    Metric *ms[] = {&in};
    p.n_metrics = 1;
    p.metrics = ms;
    p.has_seq = true;
    pack(fx, &p);
    /* every strict prefix that cuts a field is invalid */
    for (size_t n = 1; n < fx->len; n++) {
        enum spb_status s = spb_decode(fx->d, fx->buf, n, &sp);
        if (n != fx->len - 2) /* cutting the seq field whole is valid */
            assert_int_equal(s, SPB_ERR_PROTOBUF);
    }
    static const uint8_t junk[][4] = {
        {0xff, 0xff, 0xff, 0xff}, /* a varint that never ends */
        {0x0b, 0x00, 0x00, 0x00}, /* a group start */
        {0x12, 0x05, 0x00, 0x00}, /* a metric longer than the payload */
        {0x08, 0x01, 0x07, 0x00}, /* wire type 7 */
    };
    for (size_t i = 0; i < sizeof junk / sizeof *junk; i++)
        assert_int_equal(spb_decode(fx->d, junk[i], 4, &sp), SPB_ERR_PROTOBUF);
    static const uint8_t text[] = "5000";
    assert_int_equal(spb_decode(fx->d, text, 4, &sp), SPB_ERR_PROTOBUF);
    static const uint8_t wrongtype[] = {0x10, 0x01}; /* metrics as a varint */
    assert_int_equal(spb_decode(fx->d, wrongtype, 2, &sp), SPB_ERR_PROTOBUF);
    assert_string_equal(spb_status_text(SPB_ERR_PROTOBUF),
                        "not a Sparkplug B payload (invalid protobuf)");
}

/* Template in metric in template ...: depth levels of messages. */
static size_t nested(uint8_t *out, size_t cap, unsigned depth)
{
    /* innermost: an empty metric; each level wraps it as
     * Template.metrics (0x12) then Metric.template_value (0x92 0x01) */
    size_t len = 0;
    uint8_t *tmp = malloc(cap);
    for (unsigned i = 0; i < depth; i++) {
        /* wrap the current bytes as a Template with one metric, then a
         * Metric holding that template */
        size_t n = 0;
        tmp[n++] = 0x12;
        tmp[n++] = (uint8_t)len; /* lengths stay below 128 */
        memcpy(tmp + n, out, len);
        n += len;
        size_t m = 0;
        out[m++] = 0x92;
        out[m++] = 0x01;
        out[m++] = (uint8_t)n;
        memcpy(out + m, tmp, n);
        len = m + n;
        assert_true(len < 128 && len < cap);
    }
    /* the payload's metrics field around the outermost metric */
    memmove(out + 2, out, len);
    out[0] = 0x12;
    out[1] = (uint8_t)len;
    free(tmp);
    return len + 2;
}

static void test_depth(void **state)
{
    struct fixture *fx = *state;
    struct spb_payload sp;
    uint8_t buf[256];
    /* payload (1) + metric/template pairs: 2 levels each */
    size_t n = nested(buf, sizeof buf, 15); /* depth 1 + 2 * 15 + 1 = 32 */
    assert_int_equal(spb_decode(fx->d, buf, n, &sp), SPB_OK);
    struct spb_metric m;
    spb_metric_get(&sp.metrics, 0, &m);
    assert_int_equal(m.value.kind, SPB_V_TEMPLATE);
    n = nested(buf, sizeof buf, 16);
    assert_int_equal(spb_decode(fx->d, buf, n, &sp), SPB_ERR_DEPTH);
}

static void test_alloc_cap(void **state)
{
    struct fixture *fx = *state;
    struct spb_payload sp;
    /* 2-byte empty metrics: ~170 bytes of struct each, far over 48x */
    size_t count = 200000, len = 2 * count;
    uint8_t *buf = malloc(len);
    for (size_t i = 0; i < count; i++) {
        buf[2 * i] = 0x12;
        buf[2 * i + 1] = 0;
    }
    assert_int_equal(spb_decode(fx->d, buf, len, &sp), SPB_ERR_ALLOC_CAP);
    assert_true(spb_decoder_used(fx->d) <= spb_arena_cap(len));
    /* a few of them fit */
    assert_int_equal(spb_decode(fx->d, buf, 200, &sp), SPB_OK);
    assert_int_equal(sp.metrics.n, 100);
    assert_true(spb_decoder_used(fx->d) <= spb_arena_cap(200));
    free(buf);
    assert_int_equal(spb_arena_cap(0), 64u << 10);
    assert_int_equal(spb_arena_cap(SIZE_MAX), SPB_ARENA_MAX);
    assert_int_equal(spb_arena_cap(1u << 30), SPB_ARENA_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_topic_node),
        cmocka_unit_test(test_topic_device),
        cmocka_unit_test(test_topic_state_and_bad),
        cmocka_unit_test_setup_teardown(test_payload_header, setup, teardown),
        cmocka_unit_test_setup_teardown(test_signed_integers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unsigned_integers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scalars, setup, teardown),
        cmocka_unit_test_setup_teardown(test_metric_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_properties, setup, teardown),
        cmocka_unit_test_setup_teardown(test_int_arrays, setup, teardown),
        cmocka_unit_test_setup_teardown(test_float_arrays, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bool_string_arrays, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dataset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_template, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mismatch_and_unknown, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_depth, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alloc_cap, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
