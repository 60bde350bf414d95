/* CBOR to JSON over libcbor's streaming decoder (cbor_json.h). Each
 * callback is one item; a stack of open containers says where it goes
 * (an array element, a map key, a map value) and closes containers whose
 * items are all there. */
#include "decode/cbor_json.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cbor.h>

#include "util/hex.h"
#include "util/obuf.h"
#include "mqttdissect/utf8.h"

enum frame_kind { FR_ARRAY, FR_MAP, FR_STRING, FR_BYTES };

struct frame {
    enum frame_kind kind;
    bool indefinite;
    uint64_t left;      /* definite: items still to come (a map: 2 per pair) */
    bool want_key;      /* a map: the next item is a key */
    size_t keys_start;  /* a map: its first entry in keys[] */
    size_t pool_start;  /* a map: its first byte in pool[] */
};

struct key {
    const uint8_t *p;
    size_t n;
};

struct conv {
    struct json_writer *w;
    struct obuf *tmp;
    const char *err;
    bool done;          /* the top-level item is complete */
    unsigned depth;
    struct frame st[CBOR_JSON_MAX_DEPTH];
    struct key keys[CBOR_JSON_MAX_KEYS];
    size_t nkeys;
    char pool[CBOR_JSON_MAX_KEYS * 21]; /* integer keys as decimal text */
    size_t pool_used;
};

static void fail(struct conv *c, const char *why)
{
    if (!c->err)
        c->err = why;
}

static struct frame *top(struct conv *c)
{
    return c->depth ? &c->st[c->depth - 1] : NULL;
}

/* Closes the innermost container in the JSON. */
static void close_top(struct conv *c)
{
    struct frame *f = top(c);
    if (f->kind == FR_MAP) {
        jw_object_end(c->w);
        c->nkeys = f->keys_start;
        c->pool_used = f->pool_start;
    } else {
        jw_array_end(c->w);
    }
    c->depth--;
}

/* After a whole item (a scalar, or a container just closed). */
static void item_done(struct conv *c)
{
    for (;;) {
        struct frame *f = top(c);
        if (!f) {
            c->done = true;
            return;
        }
        if (f->kind == FR_MAP)
            f->want_key = !f->want_key;
        if (f->indefinite)
            return;
        if (--f->left > 0)
            return;
        close_top(c); /* its last item: the container is an item done */
    }
}

/* Before an item: false when it must not come here (after the end, in a
 * string's chunks, or where a key is due and this is not a valid key). */
static bool item_ok(struct conv *c, bool can_be_key)
{
    if (c->err)
        return false;
    if (c->done) {
        fail(c, "more than one CBOR item");
        return false;
    }
    struct frame *f = top(c);
    if (f && (f->kind == FR_STRING || f->kind == FR_BYTES)) {
        fail(c, "an item inside an indefinite-length string");
        return false;
    }
    if (f && f->kind == FR_MAP && f->want_key && !can_be_key) {
        fail(c, "a map key that is not a text string or an integer");
        return false;
    }
    return true;
}

static bool want_key(struct conv *c)
{
    struct frame *f = top(c);
    return f && f->kind == FR_MAP && f->want_key;
}

/* A map key: refused when the map already has it, and when it is not
 * UTF-8 (two ill-formed keys would both become U+FFFD) or holds a NUL
 * (which JSON readers such as jansson refuse in a member name). */
static void put_key(struct conv *c, const uint8_t *p, size_t n)
{
    struct frame *f = top(c);
    if (!mqd_utf8_valid(p, n) || memchr(p, 0, n)) {
        fail(c, "a map key that is not UTF-8 text without NUL");
        return;
    }
    for (size_t i = f->keys_start; i < c->nkeys; i++) {
        if (c->keys[i].n == n && memcmp(c->keys[i].p, p, n) == 0) {
            fail(c, "a map repeats a key");
            return;
        }
    }
    if (c->nkeys == CBOR_JSON_MAX_KEYS) {
        fail(c, "too many map keys at once");
        return;
    }
    c->keys[c->nkeys].p = p;
    c->keys[c->nkeys++].n = n;
    jw_key_n(c->w, (const char *)p, n);
    item_done(c);
}

static void int_key(struct conv *c, const char *text)
{
    size_t n = strlen(text);
    if (c->pool_used + n > sizeof c->pool) {
        fail(c, "too many map keys at once");
        return;
    }
    char *p = c->pool + c->pool_used;
    memcpy(p, text, n);
    c->pool_used += n;
    put_key(c, (const uint8_t *)p, n);
}

/* ---- integers ---- */

static void on_uint(struct conv *c, uint64_t v)
{
    if (!item_ok(c, true))
        return;
    if (want_key(c)) {
        char buf[24];
        snprintf(buf, sizeof buf, "%llu", (unsigned long long)v);
        int_key(c, buf);
        return;
    }
    jw_u64(c->w, v);
    item_done(c);
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
    if (want_key(c)) {
        int_key(c, buf);
        return;
    }
    jw_raw(c->w, buf, strlen(buf));
    item_done(c);
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
    struct frame *f = top(c);
    if (c->err)
        return;
    if (f && f->kind == FR_STRING) { /* a chunk */
        json_escape_into(c->tmp, p, n);
        return;
    }
    if (!item_ok(c, true))
        return;
    if (want_key(c)) {
        put_key(c, p, n);
        return;
    }
    jw_strn(c->w, p, n);
    item_done(c);
}

static void cb_bytes(void *ctx, cbor_data p, size_t n)
{
    struct conv *c = ctx;
    struct frame *f = top(c);
    if (c->err)
        return;
    if (f && f->kind == FR_BYTES) {
        obuf_hex(c->tmp, p, n);
        return;
    }
    if (!item_ok(c, false))
        return;
    jw_hex(c->w, p, n);
    item_done(c);
}

static void push(struct conv *c, enum frame_kind kind, bool indefinite, uint64_t left)
{
    if (c->depth == CBOR_JSON_MAX_DEPTH) {
        fail(c, "CBOR nested too deep");
        return;
    }
    struct frame *f = &c->st[c->depth++];
    memset(f, 0, sizeof *f);
    f->kind = kind;
    f->indefinite = indefinite;
    f->left = left;
    f->want_key = kind == FR_MAP;
    f->keys_start = c->nkeys;
    f->pool_start = c->pool_used;
}

static void string_start(struct conv *c, enum frame_kind kind)
{
    if (!item_ok(c, false))
        return;
    obuf_truncate(c->tmp, 0);
    obuf_putc(c->tmp, '"');
    push(c, kind, true, 0);
}

static void cb_string_start(void *c) { string_start(c, FR_STRING); }
static void cb_bytes_start(void *c) { string_start(c, FR_BYTES); }

/* ---- containers ---- */

static void container(struct conv *c, enum frame_kind kind, bool indefinite, size_t n)
{
    if (!item_ok(c, false))
        return;
    uint64_t items = kind == FR_MAP ? 2 * (uint64_t)n : (uint64_t)n;
    if (kind == FR_MAP && n > UINT64_MAX / 2) {
        fail(c, "a map too large");
        return;
    }
    if (kind == FR_MAP)
        jw_object_begin(c->w);
    else
        jw_array_begin(c->w);
    if (!indefinite && items == 0) { /* empty: closed at once */
        if (kind == FR_MAP)
            jw_object_end(c->w);
        else
            jw_array_end(c->w);
        item_done(c);
        return;
    }
    push(c, kind, indefinite, items);
}

static void cb_array(void *c, size_t n) { container(c, FR_ARRAY, false, n); }
static void cb_indef_array(void *c) { container(c, FR_ARRAY, true, 0); }
static void cb_map(void *c, size_t n) { container(c, FR_MAP, false, n); }
static void cb_indef_map(void *c) { container(c, FR_MAP, true, 0); }

static void cb_break(void *ctx)
{
    struct conv *c = ctx;
    struct frame *f = top(c);
    if (c->err)
        return;
    if (!f || !f->indefinite) {
        fail(c, "a break outside an indefinite-length item");
        return;
    }
    if (f->kind == FR_STRING || f->kind == FR_BYTES) {
        obuf_putc(c->tmp, '"');
        c->depth--;
        jw_raw(c->w, obuf_data(c->tmp), obuf_len(c->tmp));
        item_done(c);
        return;
    }
    if (f->kind == FR_MAP && !f->want_key) {
        fail(c, "a map ends after a key without its value");
        return;
    }
    close_top(c);
    item_done(c);
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
    jw_raw(c->w, json, strlen(json));
    item_done(c);
}

static void cb_null(void *c) { scalar_raw(c, "null"); }
static void cb_undefined(void *c) { scalar_raw(c, "null"); }
static void cb_bool(void *c, bool v) { scalar_raw(c, v ? "true" : "false"); }

static void cb_f32(void *ctx, float v)
{
    struct conv *c = ctx;
    if (!item_ok(c, false))
        return;
    jw_f32(c->w, v);
    item_done(c);
}

static void cb_f64(void *ctx, double v)
{
    struct conv *c = ctx;
    if (!item_ok(c, false))
        return;
    jw_f64(c->w, v);
    item_done(c);
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
    memset(cp, 0, offsetof(struct conv, keys));
    cp->nkeys = 0;
    cp->pool_used = 0;
    cp->w = w;
    cp->tmp = tmp;
    size_t pos = 0;
    while (!cp->err && !cp->done) {
        if (pos == len) {
            fail(cp, "truncated CBOR");
            break;
        }
        struct cbor_decoder_result r = cbor_stream_decode(data + pos, len - pos, &callbacks, cp);
        if (r.status == CBOR_DECODER_NEDATA)
            fail(cp, "truncated CBOR");
        else if (r.status != CBOR_DECODER_FINISHED || r.read == 0)
            fail(cp, "malformed CBOR");
        pos += r.read;
    }
    if (!cp->err && pos != len)
        fail(cp, "bytes after the CBOR item");
    *why = cp->err;
    return cp->err == NULL;
}
