/* JSON payloads embedded as nested values: a strict RFC 8259 validator and
 * a whitespace-dropping copy, with no document and no allocation.
 *
 * The validator walks the text once with an explicit stack (one bit per
 * level: object or array). Every byte is read through byte_at() or after an
 * explicit `i < n` test; the word-at-a-time string scan loads eight bytes
 * only where eight remain. */
#include "util/json_embed.h"

#include <string.h>

#include "util/bytescan.h"
#include "mqttdissect/utf8.h"
#include "util/hex.h"

/* ---- reading the input ---- */

struct scan {
    const uint8_t *s;
    size_t n, i;
    unsigned depth;    /* open objects and arrays */
    uint64_t objects;  /* bit d-1 set: the container at depth d is an object */
    bool space;        /* whitespace seen between tokens */
    int status;
    size_t err_off;
    struct json_embed *je;
    /* order[] index where the names of the object at each depth start */
    uint16_t key_base[JSON_EMBED_MAX_DEPTH + 1];
};

/* The byte at offset k, or -1 past the end. */
static inline int byte_at(const struct scan *p, size_t k)
{
    return k < p->n ? p->s[k] : -1;
}

static inline int peek(const struct scan *p)
{
    return byte_at(p, p->i);
}

static bool fail(struct scan *p, int status, size_t off)
{
    p->status = status;
    p->err_off = off;
    return false;
}

/* RFC 8259 s2: ws = space, horizontal tab, line feed, carriage return. */
static inline bool is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static inline bool is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static void skip_space(struct scan *p)
{
    size_t i = p->i;
    while (i < p->n && is_space(p->s[i]))
        i++;
    if (i != p->i)
        p->space = true;
    p->i = i;
}

/* Four hex digits at s[k..k+4) (any case, RFC 8259 s7) into *v. */
static bool hex4(const struct scan *p, size_t k, uint32_t *v)
{
    uint32_t acc = 0;
    for (size_t j = 0; j < 4; j++) {
        int h = hex_value(byte_at(p, k + j));
        if (h < 0)
            return false;
        acc = acc << 4 | (uint32_t)h;
    }
    *v = acc;
    return true;
}

static bool is_high_surrogate(uint32_t u)
{
    return u >= 0xD800 && u <= 0xDBFF;
}

static bool is_low_surrogate(uint32_t u)
{
    return u >= 0xDC00 && u <= 0xDFFF;
}

/* ---- strings (RFC 8259 s7) ---- */

/* Offset of the first byte at or after i that is not plain printable ASCII
 * other than '"' and '\\': eight bytes at a time while eight remain. */
static size_t plain_run_end(const uint8_t *s, size_t i, size_t n)
{
    i += plain_blocks(s + i, n - i, true); /* DEL is plain in JSON */
    while (n - i >= 8) {
        uint64_t x = swar_load(s + i);
        if (swar_has_below_or_high(x, 0x20) | swar_has_byte(x, '"') |
            swar_has_byte(x, '\\'))
            break;
        i += 8;
    }
    while (i < n && s[i] >= 0x20 && s[i] < 0x80 && s[i] != '"' && s[i] != '\\')
        i++;
    return i;
}

/* The escape at s[*k] (a backslash). s7: \" \\ \/ \b \f \n \r \t and \uXXXX,
 * where a code point past the BMP is a pair of surrogate escapes, high then
 * low. jansson refuses \u0000 unless asked (JSON_ALLOW_NUL) and every
 * surrogate escape that is not part of such a pair. */
static bool scan_escape(struct scan *p, size_t *k)
{
    size_t at = *k;
    int e = byte_at(p, at + 1);
    if (e < 0)
        return fail(p, JE_SYNTAX, at);
    if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' ||
        e == 'n' || e == 'r' || e == 't') {
        *k = at + 2;
        return true;
    }
    uint32_t u, lo;
    if (e != 'u' || !hex4(p, at + 2, &u))
        return fail(p, JE_BAD_ESCAPE, at);
    if (u == 0)
        return fail(p, JE_NUL, at);
    if (is_low_surrogate(u))
        return fail(p, JE_SURROGATE, at);
    if (!is_high_surrogate(u)) {
        *k = at + 6;
        return true;
    }
    if (byte_at(p, at + 6) != '\\' || byte_at(p, at + 7) != 'u' ||
        !hex4(p, at + 8, &lo) || !is_low_surrogate(lo))
        return fail(p, JE_SURROGATE, at);
    *k = at + 12;
    return true;
}

/* The string whose opening quote is at p->i; p->i ends past the closing
 * quote. Raw bytes must be well-formed UTF-8 (Unicode table 3-7, the check
 * the writer uses) and not control characters. */
static bool scan_string(struct scan *p)
{
    const uint8_t *s = p->s;
    size_t n = p->n;
    size_t i = p->i + 1;
    for (;;) {
        i = plain_run_end(s, i, n);
        if (i >= n)
            return fail(p, JE_SYNTAX, p->i); /* no closing quote */
        uint8_t c = s[i];
        if (c == '"')
            break;
        if (c == '\\') {
            if (!scan_escape(p, &i))
                return false;
            continue;
        }
        if (c < 0x20)
            return fail(p, JE_CONTROL, i);
        size_t len;
        if (mqd_utf8_scan(s + i, n - i, &len) != MQD_UTF8_SEQ_OK)
            return fail(p, JE_BAD_UTF8, i);
        i += len;
    }
    p->i = i + 1;
    return true;
}

/* ---- numbers (RFC 8259 s6) ---- */

struct number {
    bool neg, real;       /* real: has a fraction or an exponent */
    size_t int_at, int_len;
    size_t frac_at, frac_len;
    int64_t exp;          /* the exponent, clamped to +-10^12 */
};

static size_t digits_end(const struct scan *p, size_t i)
{
    while (is_digit(byte_at(p, i)))
        i++;
    return i;
}

/* number = [ minus ] int [ frac ] [ exp ]; int = zero / ( digit1-9 *DIGIT );
 * frac = "." 1*DIGIT; exp = ( "e" / "E" ) [ "-" / "+" ] 1*DIGIT. */
static bool parse_number_grammar(struct scan *p, struct number *num)
{
    size_t i = p->i;
    memset(num, 0, sizeof *num);
    num->neg = byte_at(p, i) == '-';
    if (num->neg)
        i++;
    num->int_at = i;
    if (byte_at(p, i) == '0')
        i++;
    else if (is_digit(byte_at(p, i)))
        i = digits_end(p, i);
    else
        return fail(p, JE_SYNTAX, i);
    num->int_len = i - num->int_at;
    if (byte_at(p, i) == '.') {
        num->real = true;
        num->frac_at = ++i;
        i = digits_end(p, i);
        num->frac_len = i - num->frac_at;
        if (num->frac_len == 0)
            return fail(p, JE_SYNTAX, i);
    }
    if (byte_at(p, i) == 'e' || byte_at(p, i) == 'E') {
        num->real = true;
        i++;
        bool exp_neg = byte_at(p, i) == '-';
        if (exp_neg || byte_at(p, i) == '+')
            i++;
        if (!is_digit(byte_at(p, i)))
            return fail(p, JE_SYNTAX, i);
        for (; is_digit(byte_at(p, i)); i++) {
            if (num->exp < 1000000000000)
                num->exp = num->exp * 10 + (byte_at(p, i) - '0');
        }
        if (exp_neg)
            num->exp = -num->exp;
    }
    p->i = i;
    return true;
}

/* The q-th digit of the significand (integer digits, then fraction digits,
 * then zeros). */
static int significand_digit(const struct scan *p, const struct number *num,
                             size_t q)
{
    if (q < num->int_len)
        return byte_at(p, num->int_at + q);
    q -= num->int_len;
    return q < num->frac_len ? byte_at(p, num->frac_at + q) : '0';
}

/* 2^1024 - 2^970, halfway between DBL_MAX and 2^1024: strtod rounds
 * anything at or above it to infinity (ties to even: DBL_MAX is odd), and
 * jansson then refuses the number ("real number overflow"). */
static const char overflow_threshold[] =
    "17976931348623158079372897140530341507993413271003782693617377898044496"
    "82927647509466490179775872070963302864166928879109465555478519404026306"
    "57488671505820681908902000708383676273854845817711531764475730270069855"
    "57136695962284291481986083493647529271907416844436551070434271155969950"
    "8093042880177904174497792";

/* A real whose significand starts at digit `first` and whose decimal
 * magnitude is 10^308: below the threshold? */
static bool below_overflow(const struct scan *p, const struct number *num,
                           size_t first)
{
    size_t total = num->int_len + num->frac_len;
    size_t t_len = sizeof overflow_threshold - 1;
    for (size_t j = 0; j < t_len; j++) {
        int d = significand_digit(p, num, first + j);
        if (d != overflow_threshold[j])
            return d < overflow_threshold[j];
    }
    for (size_t q = first + t_len; q < total; q++) {
        if (significand_digit(p, num, q) != '0')
            return false;
    }
    return false; /* exactly the threshold: rounds to infinity */
}

/* What jansson can hold: an integer token goes to strtoll (int64), any other
 * number to strtod, where only overflow is an error. */
static bool number_in_range(const struct scan *p, const struct number *num)
{
    if (!num->real) {
        if (num->int_len != 19)
            return num->int_len < 19;
        const char *limit = num->neg ? "9223372036854775808" : "9223372036854775807";
        return memcmp(p->s + num->int_at, limit, 19) <= 0;
    }
    /* Decimal magnitude m: the value lies in [10^m, 10^(m+1)). */
    size_t total = num->int_len + num->frac_len;
    size_t first = 0;
    while (first < total && significand_digit(p, num, first) == '0')
        first++;
    if (first == total)
        return true; /* zero, whatever the exponent */
    int64_t m = (int64_t)num->int_len - 1 - (int64_t)first + num->exp;
    if (m != 308)
        return m < 308; /* DBL_MAX is about 1.8e308 */
    return below_overflow(p, num, first);
}

static bool scan_number(struct scan *p)
{
    size_t start = p->i;
    struct number num;
    if (!parse_number_grammar(p, &num))
        return false;
    if (!number_in_range(p, &num))
        return fail(p, JE_NUMBER_RANGE, start);
    return true;
}

/* ---- literals (RFC 8259 s3) ---- */

static bool scan_literal(struct scan *p, const char *word, size_t len)
{
    if (p->n - p->i < len || memcmp(p->s + p->i, word, len) != 0)
        return fail(p, JE_SYNTAX, p->i);
    p->i += len;
    return true;
}

/* ---- member names: the duplicate check ----
 * A linear-probing table of the names of every open object. Names are
 * removed in the reverse order of their insertion (all of an object's names
 * when it closes), which leaves the table exactly as it was before they
 * came: no tombstones. */

/* The next code point of a checked string body s[*k..end). */
static uint32_t next_code_point(const uint8_t *s, size_t end, size_t *k)
{
    size_t i = *k;
    uint8_t c = s[i];
    if (c != '\\') {
        size_t len = 1;
        if (c >= 0x80 && mqd_utf8_scan(s + i, end - i, &len) == MQD_UTF8_SEQ_OK) {
            *k = i + len;
            return mqd_utf8_decode(s + i, len);
        }
        *k = i + len;
        return c;
    }
    uint8_t e = i + 1 < end ? s[i + 1] : 0;
    static const char from[] = "bfnrt";
    static const char to[] = "\b\f\n\r\t";
    const char *f = e ? strchr(from, e) : NULL;
    if (e != 'u') {
        *k = i + 2;
        return f ? (uint8_t)to[f - from] : e;
    }
    uint32_t u = 0;
    for (size_t j = i + 2; j < i + 6 && j < end; j++)
        u = u << 4 | (uint32_t)hex_value(s[j]);
    *k = i + 6;
    if (is_high_surrogate(u) && *k + 6 <= end) {
        uint32_t lo = 0;
        for (size_t j = *k + 2; j < *k + 6; j++)
            lo = lo << 4 | (uint32_t)hex_value(s[j]);
        *k += 6;
        u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
    }
    return u;
}

/* UTF-8 for code point u (RFC 3629 s3) into out; returns its length. */
static size_t utf8_encode(uint32_t u, uint8_t out[4])
{
    static const uint8_t lead[] = {0, 0, 0xC0, 0xE0, 0xF0};
    size_t m = u < 0x80 ? 1 : u < 0x800 ? 2 : u < 0x10000 ? 3 : 4;
    if (m == 1) {
        out[0] = (uint8_t)u;
        return 1;
    }
    for (size_t j = m - 1; j > 0; j--, u >>= 6)
        out[j] = (uint8_t)(0x80 | (u & 0x3F));
    out[0] = (uint8_t)(lead[m] | u);
    return m;
}

/* FNV-1a over the decoded name (as UTF-8), then the depth mixed in. */
static uint64_t name_hash(const uint8_t *s, size_t len, unsigned depth)
{
    uint64_t h = 0xcbf29ce484222325u;
    if (memchr(s, '\\', len) == NULL) {
        for (size_t i = 0; i < len; i++) { /* raw UTF-8: no decoding needed */
            h ^= s[i];
            h *= 0x100000001b3u;
        }
    } else {
        uint8_t utf8[4];
        for (size_t i = 0; i < len;) {
            size_t m = utf8_encode(next_code_point(s, len, &i), utf8);
            for (size_t j = 0; j < m; j++) {
                h ^= utf8[j];
                h *= 0x100000001b3u;
            }
        }
    }
    h ^= (uint64_t)depth * 0x9E3779B97F4A7C15u;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9u;
    h ^= h >> 32;
    return h | 1; /* 0 marks an empty slot */
}

/* Do two checked names mean the same string? */
static bool names_equal(const uint8_t *a, size_t a_len, const uint8_t *b,
                        size_t b_len)
{
    if (a_len == b_len && memcmp(a, b, a_len) == 0)
        return true;
    if (!memchr(a, '\\', a_len) && !memchr(b, '\\', b_len))
        return false; /* both raw and different */
    size_t i = 0, j = 0;
    while (i < a_len && j < b_len) {
        if (next_code_point(a, a_len, &i) != next_code_point(b, b_len, &j))
            return false;
    }
    return i == a_len && j == b_len;
}

/* Adds the name s[off..off+len) of the object at p->depth; fails when the
 * object already has it. */
static bool add_name(struct scan *p, size_t off, size_t len)
{
    struct json_embed *je = p->je;
    if (je->live >= JSON_EMBED_MAX_KEYS)
        return fail(p, JE_TOO_MANY_KEYS, off - 1);
    uint64_t h = name_hash(p->s + off, len, p->depth);
    size_t k = (size_t)h & (JSON_EMBED_SLOTS - 1);
    for (;; k = (k + 1) & (JSON_EMBED_SLOTS - 1)) {
        struct json_embed_slot *slot = &je->slots[k];
        if (slot->hash == 0)
            break;
        if (slot->hash == h && slot->depth == p->depth &&
            names_equal(p->s + slot->off, slot->len, p->s + off, len))
            return fail(p, JE_DUPLICATE_KEY, off - 1);
    }
    je->slots[k] = (struct json_embed_slot){h, (uint32_t)off, (uint32_t)len, p->depth};
    je->order[je->live++] = (uint16_t)k;
    return true;
}

/* Removes the newest names until `keep` remain. */
static void drop_names(struct json_embed *je, size_t keep)
{
    while (je->live > keep)
        je->slots[je->order[--je->live]].hash = 0;
}

/* ---- structure (RFC 8259 s2, s4, s5) ---- */

enum expect { WANT_VALUE, WANT_NAME, AFTER_VALUE };

static bool in_object(const struct scan *p)
{
    return p->depth > 0 && (p->objects >> (p->depth - 1) & 1u) != 0;
}

static bool open_container(struct scan *p, bool object)
{
    if (p->depth >= JSON_EMBED_MAX_DEPTH)
        return fail(p, JE_DEPTH, p->i);
    p->depth++;
    uint64_t bit = (uint64_t)1 << (p->depth - 1);
    p->objects = object ? p->objects | bit : p->objects & ~bit;
    p->key_base[p->depth] = (uint16_t)p->je->live;
    p->i++;
    return true;
}

static void close_container(struct scan *p)
{
    if (in_object(p))
        drop_names(p->je, p->key_base[p->depth]);
    p->depth--;
    p->i++;
}

/* A value starting at p->i (whitespace skipped); *next: what follows. An
 * empty object or array is closed here. */
static bool scan_value(struct scan *p, enum expect *next)
{
    int c = peek(p);
    *next = AFTER_VALUE;
    switch (c) {
    case '{':
    case '[':
        if (!open_container(p, c == '{'))
            return false;
        skip_space(p);
        if (peek(p) == (c == '{' ? '}' : ']'))
            close_container(p);
        else
            *next = c == '{' ? WANT_NAME : WANT_VALUE;
        return true;
    case '"':
        return scan_string(p);
    case 't':
        return scan_literal(p, "true", 4);
    case 'f':
        return scan_literal(p, "false", 5);
    case 'n':
        return scan_literal(p, "null", 4);
    default:
        if (c == '-' || is_digit(c))
            return scan_number(p);
        return fail(p, JE_SYNTAX, p->i);
    }
}

/* member = string name-separator value */
static bool scan_name(struct scan *p)
{
    size_t quote = p->i;
    if (peek(p) != '"')
        return fail(p, JE_SYNTAX, p->i);
    if (!scan_string(p) || !add_name(p, quote + 1, p->i - quote - 2))
        return false;
    skip_space(p);
    if (peek(p) != ':')
        return fail(p, JE_SYNTAX, p->i);
    p->i++;
    return true;
}

/* After a value inside a container: a separator or the container's end. */
static bool scan_after(struct scan *p, enum expect *next)
{
    int c = peek(p);
    bool object = in_object(p);
    if (c == ',') {
        p->i++;
        *next = object ? WANT_NAME : WANT_VALUE;
        return true;
    }
    if (c == (object ? '}' : ']')) {
        close_container(p);
        *next = AFTER_VALUE;
        return true;
    }
    return fail(p, JE_SYNTAX, p->i);
}

/* JSON-text = ws value ws */
static bool scan_text(struct scan *p)
{
    enum expect next = WANT_VALUE;
    for (;;) {
        skip_space(p);
        bool ok;
        switch (next) {
        case WANT_VALUE:
            ok = scan_value(p, &next);
            break;
        case WANT_NAME:
            ok = scan_name(p);
            next = WANT_VALUE;
            break;
        default:
            if (p->depth == 0)
                return p->i == p->n || fail(p, JE_TRAILING, p->i);
            ok = scan_after(p, &next);
            break;
        }
        if (!ok)
            return false;
    }
}

bool json_embed_check(struct json_embed *je, const uint8_t *s, size_t n,
                      struct json_embed_result *r)
{
    struct scan p = {.s = s, .n = n, .je = je, .status = JE_OK, .err_off = n};
    if (n > UINT32_MAX)
        (void)fail(&p, JE_TOO_LARGE, 0);
    else if (!scan_text(&p))
        drop_names(je, 0); /* leave the table empty for the next call */
    r->status = p.status;
    r->offset = p.err_off;
    r->has_space = p.space;
    return p.status == JE_OK;
}

/* ---- reading a checked text back: tokens and string values ---- */

/* Past the closing quote of the (checked) string whose body starts at i. */
static size_t string_end(const uint8_t *s, size_t i, size_t n, bool *escaped)
{
    *escaped = false;
    while (i < n) {
        i += quote_or_backslash(s + i, n - i);
        if (i >= n)
            break;
        if (s[i] == '"')
            return i + 1;
        *escaped = true;
        i += 2; /* an escape */
    }
    return n;
}


size_t json_unescape(const uint8_t *body, size_t len, uint8_t *out)
{
    size_t i = 0, o = 0;
    while (i < len) {
        const uint8_t *bs = memchr(body + i, '\\', len - i);
        size_t run = bs ? (size_t)(bs - body) - i : len - i;
        memcpy(out + o, body + i, run);
        o += run;
        i += run;
        if (i < len)
            o += utf8_encode(next_code_point(body, len, &i), out + o);
    }
    return o;
}

void json_tokens_init(struct json_tokens *t, const uint8_t *s, size_t n)
{
    t->s = s;
    t->n = n;
    t->i = 0;
}

/* Skips whitespace and the separators ',' and ':' (their places are implied
 * by the token kinds). */
static size_t skip_separators(const uint8_t *s, size_t i, size_t n)
{
    while (i < n && (is_space(s[i]) || s[i] == ',' || s[i] == ':'))
        i++;
    return i;
}

static size_t number_end(const uint8_t *s, size_t i, size_t n)
{
    while (i < n && (is_digit(s[i]) || s[i] == '-' || s[i] == '+' ||
                     s[i] == '.' || s[i] == 'e' || s[i] == 'E'))
        i++;
    return i;
}

int json_tokens_next(struct json_tokens *t, struct json_token *tok)
{
    const uint8_t *s = t->s;
    size_t n = t->n;
    size_t i = skip_separators(s, t->i, n);
    tok->off = i;
    tok->len = 1;
    tok->escaped = false;
    if (i >= n) {
        t->i = n;
        tok->len = 0;
        return tok->kind = JT_END;
    }
    switch (s[i]) {
    case '{': tok->kind = JT_OBJECT_BEGIN; break;
    case '}': tok->kind = JT_OBJECT_END; break;
    case '[': tok->kind = JT_ARRAY_BEGIN; break;
    case ']': tok->kind = JT_ARRAY_END; break;
    case 't': tok->kind = JT_TRUE; tok->len = 4; break;
    case 'f': tok->kind = JT_FALSE; tok->len = 5; break;
    case 'n': tok->kind = JT_NULL; tok->len = 4; break;
    case '"': {
        size_t end = string_end(s, i + 1, n, &tok->escaped); /* past the closing quote */
        tok->off = i + 1;
        tok->len = end - i - 2;
        size_t after = end;
        while (after < n && is_space(s[after]))
            after++;
        tok->kind = after < n && s[after] == ':' ? JT_NAME : JT_STRING;
        t->i = end;
        return tok->kind;
    }
    default:
        tok->kind = JT_NUMBER;
        tok->len = number_end(s, i, n) - i;
        break;
    }
    t->i = i + tok->len;
    return tok->kind;
}

/* ---- the copy ---- */

/* End of the run of tokens at s[i], up to whitespace outside a string. */
static size_t token_run_end(const uint8_t *s, size_t i, size_t n)
{
    bool escaped;
    while (i < n && !is_space(s[i]))
        i = s[i] == '"' ? string_end(s, i + 1, n, &escaped) : i + 1;
    return i;
}

void jw_json_embed(struct json_writer *w, const uint8_t *s, size_t n,
                   const struct json_embed_result *r)
{
    if (!r->has_space) {
        jw_raw(w, (const char *)s, n);
        return;
    }
    bool first = true;
    size_t i = 0;
    while (i < n) {
        while (i < n && is_space(s[i]))
            i++;
        size_t start = i;
        i = token_run_end(s, i, n);
        if (i == start)
            continue;
        if (first) /* jw_raw places the separator before the value */
            jw_raw(w, (const char *)s + start, i - start);
        else
            obuf_write(w->b, s + start, i - start);
        first = false;
    }
}

const char *json_embed_strerror(int status)
{
    static const char *const text[] = {
        [JE_OK] = "ok",
        [JE_SYNTAX] = "not JSON",
        [JE_TRAILING] = "text after the JSON value",
        [JE_CONTROL] = "control character in a string",
        [JE_BAD_UTF8] = "ill-formed UTF-8 in a string",
        [JE_BAD_ESCAPE] = "invalid escape",
        [JE_NUL] = "\\u0000 in a string",
        [JE_SURROGATE] = "unpaired surrogate escape",
        [JE_NUMBER_RANGE] = "number out of range",
        [JE_DEPTH] = "nested too deep",
        [JE_DUPLICATE_KEY] = "duplicate member name",
        [JE_TOO_MANY_KEYS] = "too many member names",
        [JE_TOO_LARGE] = "too large",
    };
    if (status < 0 || (size_t)status >= sizeof text / sizeof text[0])
        return "unknown";
    return text[status];
}
