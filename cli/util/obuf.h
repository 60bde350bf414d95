/* An output byte buffer: collects output in one large buffer and hands it
 * to fwrite when it is nearly full and at flush, so the printers never call
 * stdio per message. With out == NULL it grows in memory instead (tests,
 * the parallel formatter, callers that want the bytes). A failed write or
 * allocation is remembered (b->failed) and reported by obuf_flush. */
#ifndef MQD_CLI_OBUF_H
#define MQD_CLI_OBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "util/numfmt.h"

/* Default buffer size for file output. */
#define OBUF_DEFAULT_CAP (64u * 1024u)
/* The most any obuf_reserve() caller asks for at once. */
#define OBUF_MAX_RESERVE 64u

struct obuf {
    char *buf;
    size_t len, cap;
    FILE *out;   /* NULL: grow in memory */
    bool failed; /* a write or an allocation failed; later output may be lost */
    bool in_scratch;                   /* private: reserve gave `scratch` */
    char scratch[OBUF_MAX_RESERVE];    /* private: sink when memory ran out */
};

/* Sets up a buffer of `cap` bytes (0: OBUF_DEFAULT_CAP) flushing to `out`,
 * or growing in memory when out is NULL. Returns 0, or -1 when out of
 * memory. */
int obuf_init(struct obuf *b, FILE *out, size_t cap);
/* Flushes (file mode) and releases the buffer. */
void obuf_free(struct obuf *b);
/* Writes what is buffered to the file and fflush()es it. Returns 0, or -1
 * when a write has failed at any time. Memory mode: does nothing. */
int obuf_flush(struct obuf *b);

/* Makes room for n <= OBUF_MAX_RESERVE bytes (flushing or growing); slow
 * path of obuf_reserve. */
char *obuf_make_room(struct obuf *b, size_t n);

/* A pointer to at least n (<= OBUF_MAX_RESERVE) free bytes; write into it,
 * then obuf_commit() how many were used. Never NULL: when memory ran out
 * the bytes go to a scratch area and are dropped (b->failed is set). */
static inline char *obuf_reserve(struct obuf *b, size_t n)
{
    if (b->cap - b->len >= n)
        return b->buf + b->len;
    return obuf_make_room(b, n);
}

/* Uses n bytes of what obuf_reserve gave. */
static inline void obuf_commit(struct obuf *b, size_t n)
{
    if (b->in_scratch) {
        b->in_scratch = false; /* those bytes had nowhere to go */
        return;
    }
    b->len += n;
}

/* Slow path of obuf_write: flushes or grows as it goes. */
void obuf_write_slow(struct obuf *b, const void *data, size_t n);

/* Appends n bytes of any length. */
static inline void obuf_write(struct obuf *b, const void *data, size_t n)
{
    if (b->cap - b->len >= n) {
        if (n > 0)
            memcpy(b->buf + b->len, data, n);
        b->len += n;
        return;
    }
    obuf_write_slow(b, data, n);
}

static inline void obuf_putc(struct obuf *b, char c)
{
    char *p = obuf_reserve(b, 1);
    *p = c;
    obuf_commit(b, 1);
}

static inline void obuf_puts(struct obuf *b, const char *s)
{
    obuf_write(b, s, strlen(s));
}

/* Decimal integers. */
static inline void obuf_u64(struct obuf *b, uint64_t v)
{
    char *p = obuf_reserve(b, 20);
    obuf_commit(b, fmt_u64(p, v));
}

static inline void obuf_i64(struct obuf *b, int64_t v)
{
    char *p = obuf_reserve(b, 21);
    obuf_commit(b, fmt_i64(p, v));
}
/* Lower-case hex of every byte, no separators: "0a1b". */
void obuf_hex(struct obuf *b, const uint8_t *data, size_t n);
/* `width` spaces (or any char). */
void obuf_fill(struct obuf *b, char c, size_t width);
/* Bytes in memory mode (not NUL-terminated). */
static inline const char *obuf_data(const struct obuf *b) { return b->buf; }
static inline size_t obuf_len(const struct obuf *b) { return b->len; }
/* Memory mode: drops what follows the first len bytes. */
static inline void obuf_truncate(struct obuf *b, size_t len)
{
    if (len < b->len)
        b->len = len;
}

#endif
