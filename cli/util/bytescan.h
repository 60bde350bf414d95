/* Byte-class scans for the printers' hot loops: eight bytes at a time in a
 * plain 64-bit word (SWAR), and sixteen at a time with SSE2 where the
 * compiler targets it (a plain fallback otherwise). Each answers "where is
 * the first byte that needs care?" so the caller can copy the run before it
 * at once. */
#ifndef MQD_CLI_BYTESCAN_H
#define MQD_CLI_BYTESCAN_H

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

#endif
