/* MessagePack to JSON with a bounded reader (msgpack_json.h). One loop
 * reads an item header at a time; json_tree says where the item goes (an
 * array element, a map key, a map value), checks the keys and closes
 * containers whose items are all there. */
#include "decode/msgpack_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode/json_tree.h"
#include "util/wire.h"

struct msgpack_json {
    struct json_tree t; /* ~40 KiB: kept by its owner, not on the stack */
};

struct msgpack_json *msgpack_json_new(void)
{
    return calloc(1, sizeof(struct msgpack_json));
}

void msgpack_json_free(struct msgpack_json *mj)
{
    free(mj);
}

/* An integer, in decimal, as a value or as a key. */
static void put_int(struct json_tree *c, const char *text)
{
    size_t n = strlen(text);
    if (!json_tree_want_key(c)) {
        jw_raw(c->w, text, n);
        json_tree_item_done(c);
        return;
    }
    json_tree_int_key(c, text);
}

static void put_uint(struct json_tree *c, uint64_t v)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)v);
    put_int(c, buf);
}

/* v is the two's complement of a signed integer of `bits` bits. */
static void put_sint(struct json_tree *c, uint64_t v, unsigned bits)
{
    char buf[24];
    uint64_t sign = (uint64_t)1 << (bits - 1);
    if (v & sign) { /* negative: its magnitude is 2^bits - v */
        uint64_t mag = bits == 64 ? ~v + 1 : (sign << 1) - v;
        snprintf(buf, sizeof buf, "-%llu", (unsigned long long)mag);
    } else {
        snprintf(buf, sizeof buf, "%llu", (unsigned long long)v);
    }
    put_int(c, buf);
}

/* Every item but a str or an integer is refused where a key is due. */
static bool not_key(struct json_tree *c)
{
    if (json_tree_want_key(c)) {
        json_tree_fail(c, "a map key that is not a string or an integer");
        return false;
    }
    return true;
}

static void put_raw(struct json_tree *c, const char *json)
{
    if (!not_key(c))
        return;
    jw_raw(c->w, json, strlen(json));
    json_tree_item_done(c);
}

static void open_container(struct json_tree *c, bool is_map, uint64_t n)
{
    if (!not_key(c))
        return;
    /* n < 2^32: a map's 2 * n items fit */
    json_tree_open(c, is_map ? JSON_TREE_MAP : JSON_TREE_ARRAY, false, is_map ? 2 * n : n);
}

/* A big-endian unsigned integer of n (1, 2, 4 or 8) bytes. */
static bool get_be(struct wire *r, unsigned n, uint64_t *out)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++) {
        uint8_t b;
        if (!wire_u8(r, &b))
            return false;
        v = v << 8 | b;
    }
    *out = v;
    return true;
}

/* The timestamp extension (type -1): 32 bits of seconds; 30 bits of
 * nanoseconds over 34 of seconds; or 32 of nanoseconds then 64 of signed
 * seconds. */
static void put_timestamp(struct json_tree *c, const uint8_t *p, size_t n)
{
    struct wire r = wire_make(p, n);
    uint64_t ns = 0, s = 0, hi;
    bool neg = false;
    if (n == 4) {
        get_be(&r, 4, &s);
    } else if (n == 8) {
        get_be(&r, 8, &hi);
        ns = hi >> 34;
        s = hi & (((uint64_t)1 << 34) - 1);
    } else if (n == 12) {
        get_be(&r, 4, &ns);
        get_be(&r, 8, &s);
        neg = (s >> 63) != 0;
    } else {
        json_tree_fail(c, "a timestamp extension that is not 4, 8 or 12 bytes");
        return;
    }
    if (ns > 999999999) {
        json_tree_fail(c, "a timestamp with nanoseconds past 999999999");
        return;
    }
    jw_object_begin(c->w);
    jw_key(c->w, "timestamp");
    jw_object_begin(c->w);
    jw_key(c->w, "seconds");
    char buf[24];
    if (neg)
        snprintf(buf, sizeof buf, "-%llu", (unsigned long long)(~s + 1));
    else
        snprintf(buf, sizeof buf, "%llu", (unsigned long long)s);
    jw_raw(c->w, buf, strlen(buf));
    jw_kv_u64(c->w, "nanoseconds", ns);
    jw_object_end(c->w);
    jw_object_end(c->w);
    json_tree_item_done(c);
}

static void put_ext(struct json_tree *c, struct wire *r, size_t n)
{
    uint8_t type;
    if (!wire_u8(r, &type) || !wire_has(r, n)) {
        json_tree_fail(c, "truncated MessagePack");
        return;
    }
    const uint8_t *p = wire_here(r);
    wire_skip(r, n);
    if (!not_key(c))
        return;
    if (type == 0xff) {
        put_timestamp(c, p, n);
        return;
    }
    jw_object_begin(c->w);
    jw_key(c->w, "ext");
    jw_i64(c->w, type < 128 ? (int64_t)type : (int64_t)type - 256);
    jw_key(c->w, "data");
    jw_hex(c->w, p, n);
    jw_object_end(c->w);
    json_tree_item_done(c);
}

static void put_float(struct json_tree *c, struct wire *r, unsigned n)
{
    uint64_t bits;
    if (!get_be(r, n, &bits)) {
        json_tree_fail(c, "truncated MessagePack");
        return;
    }
    if (!not_key(c))
        return;
    if (n == 4) {
        uint32_t b32 = (uint32_t)bits;
        float f;
        memcpy(&f, &b32, sizeof f);
        jw_f32(c->w, f);
    } else {
        double d;
        memcpy(&d, &bits, sizeof d);
        jw_f64(c->w, d);
    }
    json_tree_item_done(c);
}

/* A str or bin of n bytes. */
static void put_bytes(struct json_tree *c, struct wire *r, uint64_t n, bool str)
{
    if (!wire_has(r, n)) {
        json_tree_fail(c, "truncated MessagePack");
        return;
    }
    const uint8_t *p = wire_here(r);
    wire_skip(r, n);
    if (str && json_tree_want_key(c)) {
        json_tree_put_key(c, p, n);
        return;
    }
    if (!not_key(c))
        return;
    if (str)
        jw_strn(c->w, p, n);
    else
        jw_hex(c->w, p, n);
    json_tree_item_done(c);
}

/* One item's header (and a scalar's bytes). */
static void read_item(struct json_tree *c, struct wire *r)
{
    uint8_t b;
    uint64_t n;
    if (!wire_u8(r, &b)) {
        json_tree_fail(c, "truncated MessagePack");
        return;
    }
    if (b <= 0x7f) { /* positive fixint */
        put_uint(c, b);
        return;
    }
    if (b >= 0xe0) { /* negative fixint */
        put_sint(c, b, 8);
        return;
    }
    if (b <= 0x8f) {
        open_container(c, true, b & 0x0fu);
        return;
    }
    if (b <= 0x9f) {
        open_container(c, false, b & 0x0fu);
        return;
    }
    if (b <= 0xbf) {
        put_bytes(c, r, b & 0x1fu, true);
        return;
    }
    /* 0xc0..0xdf: the byte says the type, what follows its size */
    static const uint8_t width[32] = {
        /* c0 nil, c1 unused, c2 false, c3 true */ 0, 0, 0, 0,
        /* c4..c6 bin 8/16/32 */ 1, 2, 4,
        /* c7..c9 ext 8/16/32 */ 1, 2, 4,
        /* ca float 32, cb float 64 */ 4, 8,
        /* cc..cf uint 8..64 */ 1, 2, 4, 8,
        /* d0..d3 int 8..64 */ 1, 2, 4, 8,
        /* d4..d8 fixext 1..16 (the data size, after the type byte) */ 1, 2, 4, 8, 16,
        /* d9..db str 8/16/32 */ 1, 2, 4,
        /* dc, dd array 16/32 */ 2, 4,
        /* de, df map 16/32 */ 2, 4,
    };
    unsigned wdt = width[b - 0xc0];
    switch (b) {
    case 0xc0: put_raw(c, "null"); return;
    case 0xc1: json_tree_fail(c, "the never-used MessagePack byte 0xc1"); return;
    case 0xc2: put_raw(c, "false"); return;
    case 0xc3: put_raw(c, "true"); return;
    case 0xca: case 0xcb: put_float(c, r, wdt); return;
    case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8:
        put_ext(c, r, wdt);
        return;
    default: break;
    }
    if (!get_be(r, wdt, &n)) {
        json_tree_fail(c, "truncated MessagePack");
        return;
    }
    if (b >= 0xc4 && b <= 0xc6)
        put_bytes(c, r, n, false);
    else if (b >= 0xc7 && b <= 0xc9)
        put_ext(c, r, n);
    else if (b >= 0xcc && b <= 0xcf)
        put_uint(c, n);
    else if (b >= 0xd0 && b <= 0xd3)
        put_sint(c, n, 8 * wdt);
    else if (b >= 0xd9 && b <= 0xdb)
        put_bytes(c, r, n, true);
    else if (b == 0xdc || b == 0xdd)
        open_container(c, false, n);
    else
        open_container(c, true, n);
}

bool msgpack_to_json(struct msgpack_json *mj, struct json_writer *w,
                     const uint8_t *data, size_t len, const char **why)
{
    struct json_tree *t = &mj->t;
    json_tree_reset(t, w, "MessagePack nested too deep");
    struct wire r = wire_make(data, len);
    /* each item takes at least one byte, so this ends within len rounds */
    while (!t->err && !t->done)
        read_item(t, &r);
    if (!t->err && wire_left(&r) != 0)
        json_tree_fail(t, "bytes after the MessagePack object");
    *why = t->err;
    return t->err == NULL;
}
