/* Sparkplug B payloads for gen_capture -P, protobuf written by hand (the
 * generators stay free of the project's own code and of protobuf-c): an
 * edge node's NBIRTH, NDATA by alias, NCMD and NDEATH. */
#ifndef MQD_BENCH_GEN_SPARKPLUG_H
#define MQD_BENCH_GEN_SPARKPLUG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A bounded output: past cap is a bug of the generator. */
struct spb_out {
    uint8_t *data;
    size_t len, cap;
};

static void spb_put(struct spb_out *o, const void *p, size_t n)
{
    if (n > o->cap - o->len) {
        fprintf(stderr, "gen_capture: Sparkplug payload buffer overflow\n");
        abort();
    }
    memcpy(o->data + o->len, p, n);
    o->len += n;
}

static void spb_byte(struct spb_out *o, uint32_t v)
{
    uint8_t b = (uint8_t)v;
    spb_put(o, &b, 1);
}

/* Field numbers of Eclipse Tahu's sparkplug_b.proto (Payload and Metric). */
enum {
    PB_VARINT = 0, PB_FIXED64 = 1, PB_LEN = 2, PB_FIXED32 = 5,
    P_TIMESTAMP = 1, P_METRICS = 2, P_SEQ = 3,
    M_NAME = 1, M_ALIAS = 2, M_TIMESTAMP = 3, M_DATATYPE = 4, M_INT = 10,
    M_LONG = 11, M_FLOAT = 12, M_DOUBLE = 13, M_BOOL = 14, M_STRING = 15,
    DT_INT32 = 3, DT_UINT64 = 8, DT_FLOAT = 9, DT_DOUBLE = 10, DT_BOOLEAN = 11,
    DT_STRING = 12,
};

static void pb_varint(struct spb_out *b, uint64_t v)
{
    while (v >= 0x80) {
        spb_byte(b, (uint32_t)(v & 0x7f) | 0x80);
        v >>= 7;
    }
    spb_byte(b, (uint32_t)v);
}

static void pb_key(struct spb_out *b, uint32_t field, uint32_t wire_type)
{
    pb_varint(b, (uint64_t)field << 3 | wire_type);
}

static void pb_uint(struct spb_out *b, uint32_t field, uint64_t v)
{
    pb_key(b, field, PB_VARINT);
    pb_varint(b, v);
}

static void pb_bytes(struct spb_out *b, uint32_t field, const void *p, size_t n)
{
    pb_key(b, field, PB_LEN);
    pb_varint(b, n);
    spb_put(b, p, n);
}

static void pb_fixed(struct spb_out *b, uint32_t field, uint64_t bits, unsigned nbytes)
{
    pb_key(b, field, nbytes == 4 ? PB_FIXED32 : PB_FIXED64);
    for (unsigned i = 0; i < nbytes; i++)
        spb_byte(b, (uint32_t)(bits >> (8 * i)) & 0xff); /* little-endian */
}

/* The five process metrics every edge node has: name, alias, datatype. */
static const struct { const char *name; uint32_t alias, datatype; } spb_metrics[] = {
    { "Process/temp", 10, DT_FLOAT }, { "Process/humidity", 11, DT_DOUBLE },
    { "Process/status", 12, DT_STRING }, { "Process/battery", 13, DT_INT32 },
    { "Process/count", 14, DT_UINT64 },
};

/* Metric i of the table with a value derived from v; with its name and
 * datatype (a birth) or by alias alone (data). */
static void spb_metric(struct spb_out *payload, unsigned i, uint64_t v, uint64_t ts, bool birth)
{
    static uint8_t store[256];
    struct spb_out m = { store, 0, sizeof store };
    if (birth)
        pb_bytes(&m, M_NAME, spb_metrics[i].name, strlen(spb_metrics[i].name));
    pb_uint(&m, M_ALIAS, spb_metrics[i].alias);
    pb_uint(&m, M_TIMESTAMP, ts);
    if (birth)
        pb_uint(&m, M_DATATYPE, spb_metrics[i].datatype);
    switch (spb_metrics[i].datatype) {
    case DT_FLOAT: {
        float f = 15.0f + (float)(v % 200) / 10.0f;
        uint32_t bits;
        memcpy(&bits, &f, sizeof bits);
        pb_fixed(&m, M_FLOAT, bits, 4);
        break;
    }
    case DT_DOUBLE: {
        double d = 30.0 + (double)(v % 5000) / 100.0;
        uint64_t bits;
        memcpy(&bits, &d, sizeof bits);
        pb_fixed(&m, M_DOUBLE, bits, 8);
        break;
    }
    case DT_STRING: {
        static const char *const st[] = { "running", "idle", "alarm" };
        pb_bytes(&m, M_STRING, st[v % 3], strlen(st[v % 3]));
        break;
    }
    case DT_INT32: /* a signed value travels as its 32-bit two's complement */
        pb_uint(&m, M_INT, (uint32_t)((int32_t)(v % 120) - 20));
        break;
    default:
        pb_uint(&m, M_LONG, v);
        break;
    }
    pb_bytes(payload, P_METRICS, m.data, m.len);
}

static void spb_named_metric(struct spb_out *payload, const char *name, uint32_t datatype,
                             uint32_t field, uint64_t value, uint64_t ts)
{
    static uint8_t store[128];
    struct spb_out m = { store, 0, sizeof store };
    pb_bytes(&m, M_NAME, name, strlen(name));
    pb_uint(&m, M_TIMESTAMP, ts);
    pb_uint(&m, M_DATATYPE, datatype);
    pb_uint(&m, field, value);
    pb_bytes(payload, P_METRICS, m.data, m.len);
}

enum spb_kind { SPB_NBIRTH, SPB_NDATA, SPB_NCMD, SPB_NDEATH };

/* A Sparkplug B payload into out[0..cap), its length returned; v varies
 * the values, seq is the payload's seq, ts_ms its timestamp. */
static size_t spb_payload(uint8_t *out, size_t cap, enum spb_kind kind, uint64_t v,
                          uint8_t seq, uint64_t ts_ms)
{
    struct spb_out o = { out, 0, cap };
    struct spb_out *b = &o;
    uint64_t ts = ts_ms;
    pb_uint(b, P_TIMESTAMP, ts);
    if (kind == SPB_NDEATH) {
        spb_named_metric(b, "bdSeq", DT_UINT64, M_LONG, 0, ts);
        return o.len;
    }
    if (kind == SPB_NCMD) {
        spb_named_metric(b, "Node Control/Scan Rate", DT_UINT64, M_LONG, 1000 + v % 9000, ts);
        return o.len;
    }
    if (kind == SPB_NBIRTH) {
        spb_named_metric(b, "bdSeq", DT_UINT64, M_LONG, 0, ts);
        spb_named_metric(b, "Node Control/Rebirth", DT_BOOLEAN, M_BOOL, 0, ts);
        for (unsigned i = 0; i < 5; i++)
            spb_metric(b, i, v + i, ts, true);
    } else {
        unsigned n = 2 + (unsigned)(v % 3);
        for (unsigned i = 0; i < n; i++)
            spb_metric(b, (unsigned)((v + i) % 5), v + i, ts, false);
    }
    pb_uint(b, P_SEQ, seq);
    return o.len;
}

#endif
