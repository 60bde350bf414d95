/* Byte-level formatting helpers shared by the printers: byte-class scans,
 * hex digits, decimal integers and timestamps, all written into
 * caller-supplied arrays without stdio. (UTF-8: mqttdissect/utf8.h.) */
#ifndef MQD_CLI_HEX_H
#define MQD_CLI_HEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Eight bytes at a time (SWAR): a plain load with memcpy, and tests that
 * say whether any of the eight bytes has a property. */
#define SWAR_ONES 0x0101010101010101u
#define SWAR_HIGHS 0x8080808080808080u

static inline uint64_t swar_load(const uint8_t *s)
{
    uint64_t x;
    memcpy(&x, s, sizeof x);
    return x;
}

/* Non-zero when a byte of x is below n (n <= 0x80) or at or above 0x80. */
static inline uint64_t swar_has_below_or_high(uint64_t x, uint8_t n)
{
    return ((x - SWAR_ONES * n) | x) & SWAR_HIGHS;
}

/* Non-zero when a byte of x equals c. */
static inline uint64_t swar_has_byte(uint64_t x, uint8_t c)
{
    uint64_t y = x ^ (SWAR_ONES * c);
    return (y - SWAR_ONES) & ~y & SWAR_HIGHS;
}

/* Skips the whole 16-byte blocks at the start of s[0..n) whose bytes are all
 * printable ASCII (0x20..0x7E, and 0x7F when allow_del) other than '"' and
 * '\\'; returns the offset of the first block that is not, or of the tail
 * shorter than a block. Callers finish with their own byte or word loop.
 * Without SSE2 it skips nothing. */
static inline size_t plain_blocks(const uint8_t *s, size_t n, bool allow_del)
{
    size_t i = 0;
#if defined(__SSE2__)
    const __m128i below_space = _mm_set1_epi8(0x1F);
    const __m128i del = _mm_set1_epi8(0x7F);
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');
    for (; n - i >= 16; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        /* Signed compare: bytes 0x80..0xFF are negative, so out too. */
        __m128i ok = _mm_cmpgt_epi8(v, below_space);
        __m128i bad = _mm_or_si128(_mm_cmpeq_epi8(v, quote),
                                   _mm_cmpeq_epi8(v, backslash));
        if (!allow_del)
            bad = _mm_or_si128(bad, _mm_cmpeq_epi8(v, del));
        if (_mm_movemask_epi8(_mm_andnot_si128(bad, ok)) != 0xFFFF)
            break;
    }
#else
    (void)s;
    (void)n;
    (void)allow_del;
#endif
    return i;
}

/* Offset of the first '"' or '\\' in s[0..n), or n: 16 bytes a step. */
static inline size_t quote_or_backslash(const uint8_t *s, size_t n)
{
    size_t i = 0;
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');
    for (; n - i >= 16; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        int m = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, quote),
                                               _mm_cmpeq_epi8(v, backslash)));
        if (m != 0)
            return i + (size_t)__builtin_ctz((unsigned)m);
    }
#endif
    while (i < n && s[i] != '"' && s[i] != '\\')
        i++;
    return i;
}

/* Lower-case hex digits for byte b into out[0..2). */
static inline void hex_byte(char *out, uint8_t b)
{
    static const char digits[] = "0123456789abcdef";
    out[0] = digits[b >> 4];
    out[1] = digits[b & 0x0F];
}

/* Decimal digits of v into out (at least 20 bytes); returns the count. No
 * terminating NUL. */
size_t fmt_u64(char *out, uint64_t v);

/* Signed decimal into out (at least 21 bytes); returns the count. */
size_t fmt_i64(char *out, int64_t v);

/* Splits a timestamp in microseconds since the epoch (UTC) into civil parts.
 * Works for times before 1970 too (floor division). */
struct civil_time {
    int64_t year;
    unsigned month, day, hour, min, sec, usec;
};
void civil_from_us(int64_t ts_us, struct civil_time *out);

/* "2026-11-24T19:44:45.123456Z" (RFC 3339, UTC, microseconds) into out; at
 * least 32 bytes; returns the count (27 for years 0000..9999). No NUL. */
size_t fmt_rfc3339(char *out, int64_t ts_us);

/* "19:44:45.123456" (UTC) into out (at least 15 bytes); returns 15. */
size_t fmt_clock(char *out, int64_t ts_us);

#endif
