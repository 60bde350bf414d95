/* Fuzz target "payload": the PUBLISH payload decoders (decode/sparkplug.h,
 * the --decode choice in output/payload.c).
 *
 * Input: data[0] bits 0-1 pick the decoder, the rest is the payload:
 *   0  Sparkplug B on spBv1.0/G/NBIRTH/E      1  Sparkplug B on a DDATA topic
 *   2  bits 4-5: JSON, gzip+json, CBOR, MessagePack (a --decode
 *      "#=FORMAT" rule)
 *   3  the Sparkplug topic parser
 * bit 2 adds the text printer with -V to JSON and text, bit 3 a
 * --max-payload of 16.
 * For 0 and 1 the decoder runs directly: it never uses more arena than
 * spb_arena_cap(len), decoding twice gives the same result, and every view
 * (metrics, parameters, properties, DataSet cells, array elements) reads
 * back with the counts it announces. Then the payload goes through the
 * printers in a PUBLISH: JSON lines valid (jansson, no duplicate keys), text
 * valid UTF-8 without controls.
 * For 3: every slice of the topic lies inside it.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode/sparkplug.h"
#include "mqttdissect/mqd.h"
#include "output/output.h"
#include "output/payload.h"
#include "output_checks.h"
#include "targets.h"

static void pl_walk_metrics(const struct spb_list *l, unsigned depth);
static void pl_walk_propset(const struct spb_propset *ps, unsigned depth);

static void pl_walk_value(const struct spb_value *v, unsigned depth)
{
    FUZZ_CHECK(depth <= SPB_MAX_DEPTH + 1, "views nest deeper than the decoder allows");
    switch (v->kind) {
    case SPB_V_STRING:
        FUZZ_CHECK(v->v.s != NULL, "string value without a string");
        break;
    case SPB_V_ARRAY: {
        struct spb_array_iter it;
        struct spb_value e;
        uint32_t n = 0;
        spb_array_iter_init(&it, &v->v.arr);
        while (spb_array_next(&it, &e)) {
            FUZZ_CHECK(e.kind != SPB_V_NONE, "array element without a value");
            n++;
        }
        FUZZ_CHECK(n == v->v.arr.count, "array yields another count than it announces");
        break;
    }
    case SPB_V_DATASET:
        for (size_t r = 0; r < v->v.ds.rows.n; r++) {
            size_t n = spb_dataset_row_len(&v->v.ds, r);
            for (size_t c = 0; c < n; c++) {
                struct spb_value cell;
                spb_dataset_cell(&v->v.ds, r, c, &cell);
                pl_walk_value(&cell, depth + 1);
            }
        }
        break;
    case SPB_V_TEMPLATE:
        pl_walk_metrics(&v->v.tpl.metrics, depth + 1);
        for (size_t i = 0; i < v->v.tpl.parameters.n; i++) {
            struct spb_param p;
            spb_param_get(&v->v.tpl.parameters, i, &p);
            pl_walk_value(&p.value, depth + 1);
        }
        break;
    case SPB_V_PROPSET:
        pl_walk_propset(&v->v.ps, depth + 1);
        break;
    case SPB_V_PROPSET_LIST:
        for (size_t i = 0; i < v->v.psl.sets.n; i++) {
            struct spb_propset ps;
            spb_propset_get(&v->v.psl.sets, i, &ps);
            pl_walk_propset(&ps, depth + 1);
        }
        break;
    default:
        break;
    }
}

static void pl_walk_propset(const struct spb_propset *ps, unsigned depth)
{
    for (size_t i = 0; i < ps->values.n; i++) {
        struct spb_property p;
        spb_property_get(ps, i, &p);
        FUZZ_CHECK((p.key != NULL) == (i < ps->nkeys), "property key past the keys");
        pl_walk_value(&p.value, depth + 1);
    }
}

static void pl_walk_metrics(const struct spb_list *l, unsigned depth)
{
    for (size_t i = 0; i < l->n; i++) {
        struct spb_metric m;
        spb_metric_get(l, i, &m);
        if (m.has_properties)
            pl_walk_propset(&m.properties, depth + 1);
        pl_walk_value(&m.value, depth + 1);
    }
}

static void pl_decode(const uint8_t *buf, size_t len)
{
    struct spb_decoder *d = spb_decoder_new();
    FUZZ_CHECK(d != NULL, "spb_decoder_new");
    struct spb_payload p;
    enum spb_status st = spb_decode(d, buf, len, &p);
    FUZZ_CHECK(spb_decoder_used(d) <= spb_arena_cap(len), "arena past its cap");
    if (st == SPB_OK) {
        size_t n = p.metrics.n;
        pl_walk_metrics(&p.metrics, 1);
        FUZZ_CHECK(spb_decode(d, buf, len, &p) == SPB_OK, "second decode differs");
        FUZZ_CHECK(p.metrics.n == n, "second decode has other metrics");
    } else {
        FUZZ_CHECK(spb_decode(d, buf, len, &p) == st, "second decode differs");
    }
    spb_decoder_free(d);
}

/* One MQTT 3.1.1 QoS 0 PUBLISH of payload on topic, into *f (buffer kept
 * in *frame, caller frees). False when it does not parse. */
static bool pl_publish(const char *topic, const uint8_t *payload, size_t len,
                       uint8_t **frame, mqd_frame *f)
{
    size_t tn = strlen(topic), rl = 2 + tn + len, k = 0;
    uint8_t *b = malloc(rl + 8);
    FUZZ_CHECK(b != NULL, "malloc");
    b[k++] = 0x30;
    size_t v = rl;
    do {
        uint8_t c = v & 0x7f;
        v >>= 7;
        b[k++] = (uint8_t)(c | (v ? 0x80 : 0));
    } while (v);
    b[k++] = (uint8_t)(tn >> 8);
    b[k++] = (uint8_t)tn;
    memcpy(b + k, topic, tn);
    k += tn;
    if (len)
        memcpy(b + k, payload, len);
    k += len;
    *frame = b;
    return mqd_parse(b, k, MQD_V311, f).status == MQD_OK;
}

static void pl_print(enum output_format fmt, const struct output_opts *base,
                     const mqd_frame *f)
{
    char *mem = NULL;
    size_t memlen = 0;
    FILE *fp = open_memstream(&mem, &memlen);
    FUZZ_CHECK(fp != NULL, "open_memstream");
    struct output_opts opts = *base;
    opts.out = fp;
    struct output *o = output_open(fmt, &opts);
    FUZZ_CHECK(o != NULL, "output_open");
    struct msg_meta m;
    memset(&m, 0, sizeof m);
    m.frame = 1;
    snprintf(m.src, sizeof m.src, "192.0.2.1:51000");
    snprintf(m.dst, sizeof m.dst, "192.0.2.2:1883");
    output_frame(o, &m, f);
    FUZZ_CHECK(output_close(o) == 0, "output_close");
    FUZZ_CHECK(fclose(fp) == 0, "fclose");
    if (fmt == OUTPUT_JSON) {
        check_json_text(mem, memlen);
    } else {
        check_text(mem, memlen);
    }
    free(mem);
}

static void pl_topic(const uint8_t *t, size_t n)
{
    struct spb_topic st;
    const char *why;
    enum spb_topic_result r = spb_topic_parse(t, n, &st, &why);
    const uint8_t *s[4] = {st.group, st.edge, st.device, st.host};
    size_t sl[4] = {st.group_len, st.edge_len, st.device_len, st.host_len};
    for (int i = 0; i < 4; i++) {
        if (!s[i])
            continue;
        FUZZ_CHECK(s[i] >= t && s[i] + sl[i] <= t + n, "topic slice outside the topic");
        FUZZ_CHECK(memchr(s[i], '/', sl[i]) == NULL, "topic slice holds a '/'");
    }
    FUZZ_CHECK((r == SPB_TOPIC_BAD) == (why != NULL), "why iff bad");
    if (r == SPB_TOPIC_OK)
        FUZZ_CHECK(spb_msg_type_name(st.type)[0] != '?', "type name");
}

void fuzz_payload(const uint8_t *data, size_t size)
{
    if (size < 1)
        return;
    unsigned pick = data[0] & 3;
    const uint8_t *buf = data + 1;
    size_t len = size - 1;
    if (pick == 3) {
        pl_topic(buf, len);
        return;
    }
    if (pick < 2)
        pl_decode(buf, len);
    static const struct decode_rule json_rule[] = {{"#", PAYLOAD_JSON}};
    static const struct decode_rule gzip_rule[] = {{"#", PAYLOAD_GZIP_JSON}};
    static const struct decode_rule cbor_rule[] = {{"#", PAYLOAD_CBOR}};
    static const struct decode_rule msgpack_rule[] = {{"#", PAYLOAD_MSGPACK}};
    struct output_opts o;
    memset(&o, 0, sizeof o);
    o.max_payload = (data[0] & 8) ? 16 : 0;
    if (pick == 2) {
        unsigned sub = (data[0] >> 4) & 3;
        o.decode_rules = sub == 1 ? gzip_rule : sub == 2 ? cbor_rule
                       : sub == 3 ? msgpack_rule : json_rule;
        o.ndecode_rules = 1;
    }
    static const char *const topics[] = {"spBv1.0/G/NBIRTH/E", "spBv1.0/G/DDATA/E/D", "j/1"};
    uint8_t *frame = NULL;
    mqd_frame f;
    if (pl_publish(topics[pick], buf, len, &frame, &f)) {
        pl_print(OUTPUT_JSON, &o, &f);
        pl_print(OUTPUT_TEXT, &o, &f);
        o.verbose = true;
        if (data[0] & 4)
            pl_print(OUTPUT_TEXT, &o, &f);
    }
    free(frame);
}
