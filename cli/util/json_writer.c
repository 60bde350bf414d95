/* Output buffer and streaming JSON writer (RFC 8259). */
#include "util/json_writer.h"

#include <stdlib.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "util/bytescan.h"
#include "util/hex.h"
#include "util/numfmt.h"
#include "mqttdissect/utf8.h"

/* ---- the output buffer ---- */

int obuf_init(struct obuf *b, FILE *out, size_t cap)
{
    memset(b, 0, sizeof *b);
    if (cap < OBUF_MAX_RESERVE * 4)
        cap = cap == 0 ? OBUF_DEFAULT_CAP : OBUF_MAX_RESERVE * 4;
    b->buf = malloc(cap);
    if (!b->buf)
        return -1;
    b->cap = cap;
    b->out = out;
    return 0;
}

void obuf_free(struct obuf *b)
{
    if (b->out)
        (void)obuf_flush(b);
    free(b->buf);
    b->buf = NULL;
    b->len = b->cap = 0;
}

static void obuf_drain(struct obuf *b)
{
    if (b->len > 0 && fwrite(b->buf, 1, b->len, b->out) != b->len)
        b->failed = true;
    b->len = 0;
}

int obuf_flush(struct obuf *b)
{
    if (!b->out)
        return b->failed ? -1 : 0;
    obuf_drain(b);
    if (fflush(b->out) != 0)
        b->failed = true;
    return b->failed ? -1 : 0;
}

static bool obuf_grow(struct obuf *b, size_t need)
{
    size_t cap = b->cap;
    while (cap - b->len < need) {
        if (cap > SIZE_MAX / 2)
            return false;
        cap *= 2;
    }
    char *p = realloc(b->buf, cap);
    if (!p)
        return false;
    b->buf = p;
    b->cap = cap;
    return true;
}

char *obuf_make_room(struct obuf *b, size_t n)
{
    if (b->out) {
        obuf_drain(b); /* cap >= 4 * OBUF_MAX_RESERVE: room now */
        return b->buf + b->len;
    }
    if (obuf_grow(b, n))
        return b->buf + b->len;
    b->failed = true;
    b->in_scratch = true;
    return b->scratch;
}

void obuf_write_slow(struct obuf *b, const void *data, size_t n)
{
    const char *p = data;
    while (n > 0) {
        size_t room = b->cap - b->len;
        if (room == 0) {
            (void)obuf_make_room(b, n < OBUF_MAX_RESERVE ? n : OBUF_MAX_RESERVE);
            if (b->in_scratch) { /* memory mode, out of memory: drop */
                b->in_scratch = false;
                return;
            }
            room = b->cap - b->len;
        }
        size_t chunk = n < room ? n : room;
        memcpy(b->buf + b->len, p, chunk);
        b->len += chunk;
        p += chunk;
        n -= chunk;
    }
}

void obuf_u64(struct obuf *b, uint64_t v)
{
    char *p = obuf_reserve(b, 20);
    obuf_commit(b, fmt_u64(p, v));
}

void obuf_i64(struct obuf *b, int64_t v)
{
    char *p = obuf_reserve(b, 21);
    obuf_commit(b, fmt_i64(p, v));
}

/* The two lower-case hex digits of every byte value, in order. */
static const char hex_pairs[513] =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
    "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
    "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"
    "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
    "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
    "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
    "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
    "e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";

#if defined(__SSE2__)
/* Nibbles 0..15 of every byte of v to '0'..'9', 'a'..'f'. */
static __m128i hex_digits(__m128i v)
{
    __m128i above_nine = _mm_cmpgt_epi8(v, _mm_set1_epi8(9));
    __m128i letters = _mm_and_si128(above_nine, _mm_set1_epi8('a' - '0' - 10));
    return _mm_add_epi8(_mm_add_epi8(v, _mm_set1_epi8('0')), letters);
}

/* Hex of the whole 16-byte blocks of data[0..n) (32 characters each, high
 * nibble first); returns how many bytes were done. */
static size_t hex_blocks(char *out, const uint8_t *data, size_t n)
{
    const __m128i low_nibble = _mm_set1_epi8(0x0F);
    size_t i = 0;
    for (; n - i >= 16; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(data + i));
        __m128i hi = _mm_and_si128(_mm_srli_epi16(v, 4), low_nibble);
        __m128i lo = _mm_and_si128(v, low_nibble);
        _mm_storeu_si128((__m128i *)(void *)(out + 2 * i),
                         hex_digits(_mm_unpacklo_epi8(hi, lo)));
        _mm_storeu_si128((__m128i *)(void *)(out + 2 * i + 16),
                         hex_digits(_mm_unpackhi_epi8(hi, lo)));
    }
    return i;
}
#else
static size_t hex_blocks(char *out, const uint8_t *data, size_t n)
{
    (void)out;
    (void)data;
    (void)n;
    return 0; /* no vector path: the byte loop does it all */
}
#endif

void obuf_hex(struct obuf *b, const uint8_t *data, size_t n)
{
    while (n > 0) {
        /* As much as there is room for at once; at least one reserve's
         * worth (which may flush or grow). */
        size_t chunk = (b->cap - b->len) / 2;
        if (chunk < OBUF_MAX_RESERVE / 2)
            chunk = OBUF_MAX_RESERVE / 2;
        if (chunk > n)
            chunk = n;
        char *p = chunk * 2 <= b->cap - b->len ? b->buf + b->len
                                                : obuf_reserve(b, chunk * 2);
        size_t i = hex_blocks(p, data, chunk);
        for (; i < chunk; i++)
            memcpy(p + 2 * i, hex_pairs + 2 * data[i], 2);
        obuf_commit(b, chunk * 2);
        data += chunk;
        n -= chunk;
    }
}

void obuf_fill(struct obuf *b, char c, size_t width)
{
    while (width > 0) {
        size_t chunk = width < OBUF_MAX_RESERVE ? width : OBUF_MAX_RESERVE;
        char *p = obuf_reserve(b, chunk);
        memset(p, c, chunk);
        obuf_commit(b, chunk);
        width -= chunk;
    }
}

/* ---- JSON string escaping (RFC 8259 s7) ---- */

/* Byte classes: 0 copied as is, 1 needs an escape, 2 starts a non-ASCII
 * sequence that must be checked. */
enum { JC_PLAIN, JC_ESCAPE, JC_UTF8 };

static const uint8_t json_class[256] = {
    /* 0x00..0x1F: control characters must be escaped (RFC 8259 s7). */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* '"' */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, /* '\\' */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
};

static void json_escape_byte(struct obuf *b, uint8_t c)
{
    char *p = obuf_reserve(b, 6);
    p[0] = '\\';
    switch (c) {
    case '"': p[1] = '"'; break;
    case '\\': p[1] = '\\'; break;
    case '\b': p[1] = 'b'; break;
    case '\f': p[1] = 'f'; break;
    case '\n': p[1] = 'n'; break;
    case '\r': p[1] = 'r'; break;
    case '\t': p[1] = 't'; break;
    default:
        p[1] = 'u';
        p[2] = '0';
        p[3] = '0';
        hex_byte(p + 4, c);
        obuf_commit(b, 6);
        return;
    }
    obuf_commit(b, 2);
}

/* U+FFFD REPLACEMENT CHARACTER, UTF-8 encoded. */
static const char utf8_replacement[3] = {'\xEF', '\xBF', '\xBD'};

/* Length of the run of JC_PLAIN bytes at s[0..n): eight bytes at a time
 * while none of them is a control, '"', '\\' or non-ASCII. */
static inline uint64_t json_swar_unplain(uint64_t x)
{
    return swar_has_below_or_high(x, 0x20) | swar_has_byte(x, '"') |
           swar_has_byte(x, '\\');
}

static size_t json_plain_run(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (n - i >= 8) {
        if (json_swar_unplain(swar_load(s + i)))
            break;
        i += 8;
    }
    /* Fewer than 8 left of at least 8: the last 8 bytes at once. */
    if (i < n && n - i < 8 && n >= 8 && !json_swar_unplain(swar_load(s + n - 8)))
        return n;
    while (i < n && json_class[s[i]] == JC_PLAIN)
        i++;
    return i;
}

/* True when all of s[0..n) is JC_PLAIN. */
static bool json_all_plain(const uint8_t *s, size_t n)
{
    if (n >= 8)
        return json_plain_run(s, n) == n;
    if (n >= 4) { /* two overlapping 4-byte loads cover 4..7 bytes */
        uint32_t a, b;
        memcpy(&a, s, 4);
        memcpy(&b, s + n - 4, 4);
        return !json_swar_unplain((uint64_t)a | (uint64_t)b << 32);
    }
    for (size_t i = 0; i < n; i++)
        if (json_class[s[i]] != JC_PLAIN)
            return false;
    return true;
}

void json_escape_into(struct obuf *b, const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t run = i + json_plain_run(s + i, n - i);
        if (run > i) {
            obuf_write(b, s + i, run - i);
            i = run;
            if (i == n)
                break;
        }
        uint8_t c = s[i];
        if (json_class[c] == JC_ESCAPE) {
            json_escape_byte(b, c);
            i++;
            continue;
        }
        size_t len;
        if (mqd_utf8_scan(s + i, n - i, &len) == MQD_UTF8_SEQ_OK)
            obuf_write(b, s + i, len);
        else
            obuf_write(b, utf8_replacement, sizeof utf8_replacement);
        i += len;
    }
}

/* ---- JSON structure ---- */

void jw_init(struct json_writer *w, struct obuf *b)
{
    w->b = b;
    w->need_comma = false;
    w->depth = 0;
}

/* Before any value or key: the separating comma, when one is due. */
static inline void jw_sep(struct json_writer *w)
{
    if (w->need_comma)
        obuf_putc(w->b, ',');
}

void jw_object_begin(struct json_writer *w)
{
    jw_sep(w);
    obuf_putc(w->b, '{');
    w->need_comma = false;
    w->depth++;
}

void jw_object_end(struct json_writer *w)
{
    obuf_putc(w->b, '}');
    w->need_comma = true;
    if (w->depth > 0)
        w->depth--;
}

void jw_array_begin(struct json_writer *w)
{
    jw_sep(w);
    obuf_putc(w->b, '[');
    w->need_comma = false;
    w->depth++;
}

void jw_array_end(struct json_writer *w)
{
    obuf_putc(w->b, ']');
    w->need_comma = true;
    if (w->depth > 0)
        w->depth--;
}

void jw_line_end(struct json_writer *w)
{
    obuf_putc(w->b, '\n');
    w->need_comma = false;
    w->depth = 0;
}

/* jw_key's fast path: a key of plain characters short enough for one
 * reserve (every key the printers use) is copied in one pass. False, with
 * nothing written, otherwise. */
static bool jw_key_plain(struct json_writer *w, const char *key, size_t len)
{
    const uint8_t *k = (const uint8_t *)key;
    if (len > OBUF_MAX_RESERVE - 4 || !json_all_plain(k, len))
        return false;
    char *p = obuf_reserve(w->b, len + 4);
    size_t n = 0;
    if (w->need_comma)
        p[n++] = ',';
    p[n++] = '"';
    memcpy(p + n, k, len);
    n += len;
    p[n++] = '"';
    p[n++] = ':';
    obuf_commit(w->b, n);
    w->need_comma = false; /* the value follows the colon directly */
    return true;
}

void jw_key_n(struct json_writer *w, const char *key, size_t n)
{
    if (jw_key_plain(w, key, n))
        return;
    jw_sep(w);
    obuf_putc(w->b, '"');
    json_escape_into(w->b, (const uint8_t *)key, n);
    char *p = obuf_reserve(w->b, 2);
    p[0] = '"';
    p[1] = ':';
    obuf_commit(w->b, 2);
    w->need_comma = false; /* the value follows the colon directly */
}

/* jw_strn's fast path: a string of plain characters short enough for one
 * reserve (names from the tables, most topics and client ids) is written in
 * one pass. False, with nothing written, otherwise. */
static bool jw_str_plain(struct json_writer *w, const uint8_t *s, size_t n)
{
    if (n > OBUF_MAX_RESERVE - 3 || !json_all_plain(s, n))
        return false;
    char *p = obuf_reserve(w->b, n + 3);
    size_t o = 0;
    if (w->need_comma)
        p[o++] = ',';
    p[o++] = '"';
    if (n > 0) /* s may be NULL then */
        memcpy(p + o, s, n);
    o += n;
    p[o++] = '"';
    obuf_commit(w->b, o);
    w->need_comma = true;
    return true;
}

void jw_strn(struct json_writer *w, const uint8_t *s, size_t n)
{
    if (jw_str_plain(w, s, n))
        return;
    jw_sep(w);
    obuf_putc(w->b, '"');
    json_escape_into(w->b, s, n);
    obuf_putc(w->b, '"');
    w->need_comma = true;
}

void jw_hex(struct json_writer *w, const uint8_t *s, size_t n)
{
    jw_sep(w);
    obuf_putc(w->b, '"');
    obuf_hex(w->b, s, n);
    obuf_putc(w->b, '"');
    w->need_comma = true;
}

void jw_u64(struct json_writer *w, uint64_t v)
{
    jw_sep(w);
    obuf_u64(w->b, v);
    w->need_comma = true;
}

void jw_i64(struct json_writer *w, int64_t v)
{
    jw_sep(w);
    obuf_i64(w->b, v);
    w->need_comma = true;
}

void jw_bool(struct json_writer *w, bool v)
{
    jw_raw(w, v ? "true" : "false", v ? 4 : 5);
}

void jw_null(struct json_writer *w)
{
    jw_raw(w, "null", 4);
}

void jw_raw(struct json_writer *w, const char *json, size_t n)
{
    jw_sep(w);
    obuf_write(w->b, json, n);
    w->need_comma = true;
}
