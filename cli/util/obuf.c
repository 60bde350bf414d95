/* The output buffer. See obuf.h. */
#include "util/obuf.h"

#include <stdlib.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "util/numfmt.h"

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

