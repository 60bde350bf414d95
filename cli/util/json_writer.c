/* Streaming JSON writer (RFC 8259). */
#include "util/json_writer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/bytescan.h"
#include "util/hex.h"
#include "util/numfmt.h"
#include "mqttdissect/utf8.h"

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
    memset(&w->ts_memo, 0, sizeof w->ts_memo);
}

void jw_timestamp(struct json_writer *w, int64_t ts_us)
{
    char buf[48];
    buf[0] = '"';
    size_t n = 1 + fmt_rfc3339(buf + 1, ts_us, &w->ts_memo);
    buf[n++] = '"';
    jw_raw(w, buf, n); /* digits and punctuation only: no escaping needed */
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
    /* A member name from the wire (an MQTT 5 User Property's, in EVE) may
     * hold U+0000: legal JSON as \u0000, but refused in names by jansson
     * and by many consumers, so a name shows it as U+FFFD instead. */
    const uint8_t *k = (const uint8_t *)key;
    const uint8_t *nul;
    while ((nul = memchr(k, 0, n)) != NULL) {
        size_t seg = (size_t)(nul - k);
        json_escape_into(w->b, k, seg);
        obuf_write(w->b, "\xEF\xBF\xBD", 3);
        k += seg + 1;
        n -= seg + 1;
    }
    json_escape_into(w->b, k, n);
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

/* JSON has no NaN or infinities: they are written as strings. */
static bool jw_nonfinite(struct json_writer *w, double v)
{
    if (isnan(v))
        jw_str(w, "NaN");
    else if (isinf(v))
        jw_str(w, v < 0 ? "-Infinity" : "Infinity");
    else
        return false;
    return true;
}

/* The shortest decimal that reads back, without printf, where that is
 * quick and provably what the %.*g searches below print: 0.001 <= |v| <
 * 1e15, the fewest fractional digits k such that m / 10^k (m: v * 10^k
 * rounded to an integer) reads back as v (as a float when `single`). %.*g
 * then uses fixed notation without trailing zeros, so both write the same
 * characters, as long as 10^k times v's ulp stays under 1: then m is the
 * correctly rounded digit string and no shorter one was missed. An integer
 * ending in 0 (%g writes 1e+02), a float check whose double quotient sits
 * on a float rounding midpoint (double rounding), and anything past the
 * guard fall back: 0 is returned. buf holds at least 24 bytes. */
static size_t fast_decimal(char *buf, double v, bool single)
{
    static const double p10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8,
                                 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16};
    double a = v < 0 ? -v : v;
    if (!(a >= 1e-3 && a < 1e15))
        return 0;
    uint64_t abits; /* the ulp from the exponent field (a is normal) */
    memcpy(&abits, &a, sizeof abits);
    uint64_t ubits = ((abits >> 52) - (single ? 23 : 52)) << 52;
    double ulp;
    memcpy(&ulp, &ubits, sizeof ulp);
    for (unsigned k = 0; k < sizeof p10 / sizeof *p10; k++) {
        if (p10[k] * ulp >= 1.0)
            return 0;
        double x = a * p10[k];
        if (x >= 2251799813685248.0) /* 2^51: x + 0.5 below is exact */
            return 0;
        double m = (double)(uint64_t)(x + 0.5); /* x rounded, half up */
        double q = m / p10[k];
        if (single) {
            uint64_t bits;
            memcpy(&bits, &q, sizeof bits);
            if ((bits & ((UINT64_C(1) << 29) - 1)) == UINT64_C(1) << 28)
                return 0; /* a float midpoint: (float)q may round otherwise */
            if ((float)q != (float)a)
                continue;
        } else if (q != a) {
            continue;
        }
        uint64_t mi = (uint64_t)m, scale = (uint64_t)p10[k];
        if (mi % 10 == 0)
            return 0;
        char *p = buf;
        if (v < 0)
            *p++ = '-';
        p += fmt_u64(p, mi / scale);
        if (k > 0) {
            uint64_t frac = mi % scale;
            *p++ = '.';
            for (unsigned i = k; i-- > 0;) {
                p[i] = (char)('0' + frac % 10);
                frac /= 10;
            }
            p += k;
        }
        return (size_t)(p - buf);
    }
    return 0;
}

void jw_f32(struct json_writer *w, float v)
{
    char buf[48];
    int n = 0;
    if (jw_nonfinite(w, v))
        return;
    size_t fast = fast_decimal(buf, v, true);
    if (fast) {
        jw_raw(w, buf, fast);
        return;
    }
    /* The fewest digits that read back (9 always do). Reading back is
     * monotone in the precision (p + 1 digits are at least as close as p),
     * so a binary search finds what trying 1, 2, ... would. */
    int lo = 1, hi = 9, last = 0; /* last: the precision now in buf */
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        n = snprintf(buf, sizeof buf, "%.*g", mid, (double)v);
        last = mid;
        if (strtof(buf, NULL) == v)
            hi = mid;
        else
            lo = mid + 1;
    }
    if (last != hi)
        n = snprintf(buf, sizeof buf, "%.*g", hi, (double)v);
    jw_raw(w, buf, (size_t)n);
}

void jw_f64(struct json_writer *w, double v)
{
    char buf[48];
    int n = 0;
    if (jw_nonfinite(w, v))
        return;
    size_t fast = fast_decimal(buf, v, false);
    if (fast) {
        jw_raw(w, buf, fast);
        return;
    }
    int lo = 1, hi = 17, last = 0; /* 17 digits always read back; as jw_f32 */
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        n = snprintf(buf, sizeof buf, "%.*g", mid, v);
        last = mid;
        if (strtod(buf, NULL) == v)
            hi = mid;
        else
            lo = mid + 1;
    }
    if (last != hi)
        n = snprintf(buf, sizeof buf, "%.*g", hi, v);
    jw_raw(w, buf, (size_t)n);
}
