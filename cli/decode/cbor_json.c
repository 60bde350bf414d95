/* CBOR to JSON over libcbor's streaming decoder (cbor_json.h). Each
 * callback is one item; json_tree says where it goes (an array element, a
 * map key, a map value), checks the keys and closes containers whose items
 * are all there. An indefinite-length string is a frame of its own here,
 * its chunks gathered in tmp. */
#include "decode/cbor_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cbor.h>

#include "decode/json_tree.h"
#include "util/hex.h"
#include "util/obuf.h"

struct conv {
    struct json_tree t; /* the JSON being built, its open containers and keys */
    struct obuf *tmp;   /* an indefinite-length string's chunks */
};

/* Before an item: false when it must not come here (after the end, in a
 * string's chunks, or where a key is due and this is not a valid key). */
static bool item_ok(struct conv *c, bool can_be_key)
{
    struct json_tree *t = &c->t;
    if (t->err)
        return false;
    if (t->done) {
        json_tree_fail(t, "more than one CBOR item");
        return false;
    }
    struct json_tree_frame *f = json_tree_top(t);
    if (f && (f->kind == JSON_TREE_STRING || f->kind == JSON_TREE_BYTES)) {
        json_tree_fail(t, "an item inside an indefinite-length string");
        return false;
    }
    if (f && f->kind == JSON_TREE_MAP && f->want_key && !can_be_key) {
        json_tree_fail(t, "a map key that is not a text string or an integer");
        return false;
    }
    return true;
}

/* ---- integers ---- */

static void on_uint(struct conv *c, uint64_t v)
{
    if (!item_ok(c, true))
        return;
    if (json_tree_want_key(&c->t)) {
        char buf[24];
        snprintf(buf, sizeof buf, "%llu", (unsigned long long)v);
        json_tree_int_key(&c->t, buf);
        return;
    }
    jw_u64(c->t.w, v);
    json_tree_item_done(&c->t);
}

/* -1 - v, exactly (down to -2^64). */
static void neg_text(char *buf, size_t cap, uint64_t v)
{
    if (v == UINT64_MAX)
        snprintf(buf, cap, "-18446744073709551616");
    else
        snprintf(buf, cap, "-%llu", (unsigned long long)(v + 1));
}

static void on_negint(struct conv *c, uint64_t v)
{
    if (!item_ok(c, true))
        return;
    char buf[24];
    neg_text(buf, sizeof buf, v);
    if (json_tree_want_key(&c->t)) {
        json_tree_int_key(&c->t, buf);
        return;
    }
    jw_raw(c->t.w, buf, strlen(buf));
    json_tree_item_done(&c->t);
}

static void cb_u8(void *c, uint8_t v) { on_uint(c, v); }
static void cb_u16(void *c, uint16_t v) { on_uint(c, v); }
static void cb_u32(void *c, uint32_t v) { on_uint(c, v); }
static void cb_u64(void *c, uint64_t v) { on_uint(c, v); }
static void cb_n8(void *c, uint8_t v) { on_negint(c, v); }
static void cb_n16(void *c, uint16_t v) { on_negint(c, v); }
static void cb_n32(void *c, uint32_t v) { on_negint(c, v); }
static void cb_n64(void *c, uint64_t v) { on_negint(c, v); }

/* ---- strings ---- */

static void cb_string(void *ctx, cbor_data p, size_t n)
{
    struct conv *c = ctx;
    struct json_tree_frame *f = json_tree_top(&c->t);
    if (c->t.err)
        return;
    if (f && f->kind == JSON_TREE_STRING) { /* a chunk */
        json_escape_into(c->tmp, p, n);
        return;
    }
    if (!item_ok(c, true))
        return;
    if (json_tree_want_key(&c->t)) {
        json_tree_put_key(&c->t, p, n);
        return;
    }
    jw_strn(c->t.w, p, n);
    json_tree_item_done(&c->t);
}

static void cb_bytes(void *ctx, cbor_data p, size_t n)
{
    struct conv *c = ctx;
    struct json_tree_frame *f = json_tree_top(&c->t);
    if (c->t.err)
        return;
    if (f && f->kind == JSON_TREE_BYTES) {
        obuf_hex(c->tmp, p, n);
        return;
    }
    if (!item_ok(c, false))
        return;
    jw_hex(c->t.w, p, n);
    json_tree_item_done(&c->t);
}

static void string_start(struct conv *c, enum json_tree_kind kind)
{
    if (!item_ok(c, false))
        return;
    obuf_truncate(c->tmp, 0);
    obuf_putc(c->tmp, '"');
    json_tree_push(&c->t, kind, true, 0);
}

static void cb_string_start(void *c) { string_start(c, JSON_TREE_STRING); }
static void cb_bytes_start(void *c) { string_start(c, JSON_TREE_BYTES); }

/* ---- containers ---- */

static void container(struct conv *c, enum json_tree_kind kind, bool indefinite, size_t n)
{
    if (!item_ok(c, false))
        return;
    uint64_t items = kind == JSON_TREE_MAP ? 2 * (uint64_t)n : (uint64_t)n;
    if (kind == JSON_TREE_MAP && n > UINT64_MAX / 2) {
        json_tree_fail(&c->t, "a map too large");
        return;
    }
    json_tree_open(&c->t, kind, indefinite, items);
}

static void cb_array(void *c, size_t n) { container(c, JSON_TREE_ARRAY, false, n); }
static void cb_indef_array(void *c) { container(c, JSON_TREE_ARRAY, true, 0); }
static void cb_map(void *c, size_t n) { container(c, JSON_TREE_MAP, false, n); }
static void cb_indef_map(void *c) { container(c, JSON_TREE_MAP, true, 0); }

static void cb_break(void *ctx)
{
    struct conv *c = ctx;
    struct json_tree_frame *f = json_tree_top(&c->t);
    if (c->t.err)
        return;
    if (!f || !f->indefinite) {
        json_tree_fail(&c->t, "a break outside an indefinite-length item");
        return;
    }
    if (f->kind == JSON_TREE_STRING || f->kind == JSON_TREE_BYTES) {
        obuf_putc(c->tmp, '"');
        c->t.depth--;
        jw_raw(c->t.w, obuf_data(c->tmp), obuf_len(c->tmp));
        json_tree_item_done(&c->t);
        return;
    }
    if (f->kind == JSON_TREE_MAP && !f->want_key) {
        json_tree_fail(&c->t, "a map ends after a key without its value");
        return;
    }
    json_tree_close_top(&c->t);
    json_tree_item_done(&c->t);
}

/* ---- simple values and floats ---- */

static void cb_tag(void *c, uint64_t v)
{
    (void)c; /* the tagged item follows and is shown as it is */
    (void)v;
}

static void scalar_raw(struct conv *c, const char *json)
{
    if (!item_ok(c, false))
        return;
    jw_raw(c->t.w, json, strlen(json));
    json_tree_item_done(&c->t);
}

static void cb_null(void *c) { scalar_raw(c, "null"); }
static void cb_undefined(void *c) { scalar_raw(c, "null"); }
static void cb_bool(void *c, bool v) { scalar_raw(c, v ? "true" : "false"); }

static void cb_f32(void *ctx, float v)
{
    struct conv *c = ctx;
    if (!item_ok(c, false))
        return;
    jw_f32(c->t.w, v);
    json_tree_item_done(&c->t);
}

static void cb_f64(void *ctx, double v)
{
    struct conv *c = ctx;
    if (!item_ok(c, false))
        return;
    jw_f64(c->t.w, v);
    json_tree_item_done(&c->t);
}

static const struct cbor_callbacks callbacks = {
    .uint8 = cb_u8, .uint16 = cb_u16, .uint32 = cb_u32, .uint64 = cb_u64,
    .negint8 = cb_n8, .negint16 = cb_n16, .negint32 = cb_n32, .negint64 = cb_n64,
    .byte_string_start = cb_bytes_start, .byte_string = cb_bytes,
    .string = cb_string, .string_start = cb_string_start,
    .indef_array_start = cb_indef_array, .array_start = cb_array,
    .indef_map_start = cb_indef_map, .map_start = cb_map,
    .tag = cb_tag, .float2 = cb_f32, .float4 = cb_f32, .float8 = cb_f64,
    .undefined = cb_undefined, .null = cb_null, .boolean = cb_bool,
    .indef_break = cb_break,
};

struct cbor_json {
    struct conv c; /* ~40 KiB: kept by its owner, not on the stack */
};

struct cbor_json *cbor_json_new(void)
{
    return calloc(1, sizeof(struct cbor_json));
}

void cbor_json_free(struct cbor_json *cj)
{
    free(cj);
}

bool cbor_to_json(struct cbor_json *cj, struct json_writer *w, struct obuf *tmp,
                  const uint8_t *data, size_t len, const char **why)
{
    struct conv *cp = &cj->c;
    struct json_tree *t = &cp->t;
    json_tree_reset(t, w, "CBOR nested too deep");
    cp->tmp = tmp;
    size_t pos = 0;
    while (!t->err && !t->done) {
        if (pos == len) {
            json_tree_fail(t, "truncated CBOR");
            break;
        }
        struct cbor_decoder_result r = cbor_stream_decode(data + pos, len - pos, &callbacks, cp);
        if (r.status == CBOR_DECODER_NEDATA)
            json_tree_fail(t, "truncated CBOR");
        else if (r.status != CBOR_DECODER_FINISHED || r.read == 0)
            json_tree_fail(t, "malformed CBOR");
        pos += r.read;
    }
    if (!t->err && pos != len)
        json_tree_fail(t, "bytes after the CBOR item");
    *why = t->err;
    return t->err == NULL;
}
