/* UTF-8, with one table of sequence shapes (lead_shape) for two uses:
 *
 * - validation as MQTT requires it (MQTT 5.0 s1.5.4, MQTT 3.1.1 s1.5.3):
 *   well-formed per RFC 3629 s4 (no overlong forms, nothing above U+10FFFF,
 *   no cut or stray bytes), no surrogates (MQTT-1.5.4-1), no U+0000
 *   (MQTT-1.5.4-2), and control characters and non-characters flagged as
 *   discouraged (the spec's "SHOULD NOT" list in s1.5.4): mqd_utf8_check;
 * - well-formedness alone, one sequence at a time or as the longest valid
 *   prefix, for printers that must know which bytes they may show as text:
 *   mqd_utf8_scan, mqd_utf8_valid_prefix.
 *
 * Payloads of megabytes go through here, so runs of ASCII are skipped many
 * bytes a step; anything else is decoded one character at a time. Every
 * read is of s[i] with i < len checked first. */
#include "mqttdissect/utf8.h"

#include <stdbool.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

/* Nonzero when some byte of w is not printable ASCII (0x20..0x7E): has its
 * top bit set, is below 0x20, or is 0x7F. For words whose top bits are
 * clear, the classic "has a byte less than n" and "has a zero byte" word
 * tricks are exact about whether such a byte exists; when a top bit is set
 * the answer is nonzero anyway, whatever the other two terms say. */
static uint64_t word_not_printable(uint64_t w)
{
    uint64_t below_space = (w - ONES * 0x20) & ~w;
    uint64_t del = w ^ (ONES * 0x7F);
    uint64_t has_del = (del - ONES) & ~del;
    return (w | below_space | has_del) & HIGHS;
}

static uint64_t load_word(const uint8_t *p)
{
    uint64_t w;
    memcpy(&w, p, sizeof w); /* no alignment assumed */
    return w;
}

/* The offset of the first byte at or after i that may not be printable
 * ASCII, moving in whole words: 32 bytes a step while they last, then 8. */
static size_t skip_printable_ascii(const uint8_t *s, size_t i, size_t len)
{
    while (len - i >= 32) {
        const uint8_t *p = s + i;
        if (word_not_printable(load_word(p)) |
            word_not_printable(load_word(p + 8)) |
            word_not_printable(load_word(p + 16)) |
            word_not_printable(load_word(p + 24)))
            break;
        i += 32;
    }
    while (len - i >= 8 && !word_not_printable(load_word(s + i)))
        i += 8;
    return i;
}

static bool is_continuation(uint8_t b)
{
    return (b & 0xC0) == 0x80;
}

/* s1.5.4: U+0001..U+001F, U+007F..U+009F, and the Unicode non-characters
 * (U+FDD0..U+FDEF and the last two code points of every plane). */
static bool is_discouraged(uint32_t cp)
{
    if ((cp >= 0x01 && cp <= 0x1F) || (cp >= 0x7F && cp <= 0x9F))
        return true;
    if (cp >= 0xFDD0 && cp <= 0xFDEF)
        return true;
    return (cp & 0xFFFEu) == 0xFFFEu;
}

/* The shape of a multi-byte sequence, by its lead byte (RFC 3629 s4): how
 * many bytes, and the range allowed for the second byte, which is what rules
 * out overlong forms (E0, F0), surrogates (ED) and values past U+10FFFF
 * (F4). Returns false for bytes that cannot lead: 80..C1 and F5..FF. */
static bool lead_shape(uint8_t b0, size_t *need, uint8_t *lo, uint8_t *hi)
{
    *lo = 0x80;
    *hi = 0xBF;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        *need = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        *need = 3;
        if (b0 == 0xE0)
            *lo = 0xA0;
        else if (b0 == 0xED)
            *hi = 0x9F;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        *need = 4;
        if (b0 == 0xF0)
            *lo = 0x90;
        else if (b0 == 0xF4)
            *hi = 0x8F;
    } else {
        return false;
    }
    return true;
}

/* The one sequence at s[0..n), n >= 1, for the printers: mqd_utf8_scan,
 * inlined into mqd_utf8_valid_prefix. The second byte's range comes from
 * the lead byte; the bytes after it are plain continuations. (The MQTT
 * check below reads sequences with the same table, in its own loop: it
 * tells surrogates apart and needs the code point.) */
static inline int scan_seq(const uint8_t *s, size_t n, size_t *len)
{
    size_t need;
    uint8_t lo, hi;
    if (s[0] < 0x80) {
        *len = 1;
        return MQD_UTF8_SEQ_OK;
    }
    if (!lead_shape(s[0], &need, &lo, &hi)) {
        *len = 1;
        return MQD_UTF8_SEQ_BAD;
    }
    if (n >= need) { /* the whole sequence is there: the common case */
        if (s[1] < lo || s[1] > hi) {
            *len = 1;
            return MQD_UTF8_SEQ_BAD;
        }
        for (size_t k = 2; k < need; k++) {
            if (!is_continuation(s[k])) {
                *len = k;
                return MQD_UTF8_SEQ_BAD;
            }
        }
        *len = need;
        return MQD_UTF8_SEQ_OK;
    }
    /* Cut by the end, unless a byte before the end is already wrong. */
    for (size_t k = 1; k < n; k++) {
        uint8_t c = s[k];
        if (k == 1 ? (c < lo || c > hi) : !is_continuation(c)) {
            *len = k;
            return MQD_UTF8_SEQ_BAD;
        }
    }
    *len = n;
    return MQD_UTF8_SEQ_CUT;
}

int mqd_utf8_scan(const uint8_t *s, size_t n, size_t *len)
{
    return scan_seq(s, n, len);
}

/* ED A0..BF 80..BF: the encoding of U+D800..U+DFFF, well-shaped but
 * forbidden by RFC 3629 and MQTT-1.5.4-1. Reported apart from other
 * ill-formed input. Needs 3 bytes at s[i]. */
static bool is_surrogate(const uint8_t *s, size_t i)
{
    return s[i] == 0xED && s[i + 1] >= 0xA0 && s[i + 1] <= 0xBF &&
           is_continuation(s[i + 2]);
}

static int check_ascii(uint8_t b)
{
    if (b == 0)
        return MQD_UTF8_NUL;
    if (b < 0x20 || b == 0x7F)
        return MQD_UTF8_DISCOURAGED;
    return MQD_UTF8_OK;
}

/* Checks the one character starting at s[i] (i < len); *n is set to its
 * length in bytes when it is well-formed. */
static int check_char(const uint8_t *s, size_t i, size_t len, size_t *n)
{
    uint8_t b0 = s[i];
    *n = 1;
    if (b0 < 0x80)
        return check_ascii(b0);

    size_t need;
    uint8_t lo, hi;
    if (!lead_shape(b0, &need, &lo, &hi) || len - i < need)
        return MQD_UTF8_ILL_FORMED; /* stray byte, or cut by the end */
    if (need == 3 && is_surrogate(s, i))
        return MQD_UTF8_SURROGATE;
    if (s[i + 1] < lo || s[i + 1] > hi)
        return MQD_UTF8_ILL_FORMED;

    uint32_t cp = b0 & (0xFFu >> (need + 1));
    for (size_t k = 1; k < need; k++) {
        if (!is_continuation(s[i + k]))
            return MQD_UTF8_ILL_FORMED;
        cp = cp << 6 | (uint32_t)(s[i + k] & 0x3F);
    }
    *n = need;
    return is_discouraged(cp) ? MQD_UTF8_DISCOURAGED : MQD_UTF8_OK;
}

int mqd_utf8_check(const uint8_t *s, size_t len, size_t *bad_off)
{
    size_t i = 0;
    while (i < len) {
        if (s[i] < 0x80) { /* in ASCII text: try the word-wise skip */
            i = skip_printable_ascii(s, i, len);
            if (i >= len)
                break;
        }
        size_t n;
        int status = check_char(s, i, len, &n);
        if (status != MQD_UTF8_OK) {
            if (bad_off)
                *bad_off = i;
            return status;
        }
        i += n;
    }
    return MQD_UTF8_OK;
}

/* ---- well-formedness alone ------------------------------------------------ */

/* Bytes of the ASCII run (any byte below 0x80) at s[0..n): 32 bytes a step
 * with SSE2 (a byte's top bit is what movemask collects), then 8 at a time,
 * then one. */
static size_t ascii_run(const uint8_t *s, size_t n)
{
    size_t i = 0;
#if defined(__SSE2__)
    for (; n - i >= 32; i += 32) {
        __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        __m128i b =
            _mm_loadu_si128((const __m128i *)(const void *)(s + i + 16));
        if (_mm_movemask_epi8(_mm_or_si128(a, b)) != 0)
            break;
    }
#endif
    while (n - i >= 8 && (load_word(s + i) & HIGHS) == 0)
        i += 8;
    while (i < n && s[i] < 0x80)
        i++;
    return i;
}

size_t mqd_utf8_valid_prefix(const uint8_t *s, size_t n, bool *cut)
{
    size_t i = 0;
    if (cut)
        *cut = false;
    while (i < n) {
        i += ascii_run(s + i, n - i); /* the common case */
        if (i == n)
            break;
        size_t len;
        int r = scan_seq(s + i, n - i, &len);
        if (r != MQD_UTF8_SEQ_OK) {
            if (cut)
                *cut = r == MQD_UTF8_SEQ_CUT;
            return i;
        }
        i += len;
    }
    return i;
}
