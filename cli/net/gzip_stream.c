/* See gzip_stream.h. */
#include "net/gzip_stream.h"

#include "net/replay_buf.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <zlib.h>

#define GZ_IN_BYTES (64u * 1024)

struct gzip_stream {
    FILE *src;
    z_stream z;
    bool src_eof;
    bool member_done; /* the last member ended; another may follow */
    size_t out_size;  /* the current read's buffer size */
    struct replay_buf replay; /* its first bytes, to be read again once */
    char err[160];
    unsigned char in[GZ_IN_BYTES];
};

bool gzip_stream_detect(FILE *f)
{
    int a = getc(f);
    if (a == EOF)
        return false;
    int b = getc(f);
    if (b != EOF)
        ungetc(b, f); /* glibc gives back bytes still in the buffer */
    ungetc(a, f);
    return a == 0x1f && b == 0x8b;
}

/* Remembers why reading failed; -1 (errno EIO), or the bytes that came
 * out before the failure (the next read fails). */
static ssize_t fail(struct gzip_stream *g, const char *what, const char *why)
{
    if (!g->err[0])
        snprintf(g->err, sizeof g->err, "%s%s%s%s", what, why ? " (" : "", why ? why : "",
                 why ? ")" : "");
    size_t out = g->z.next_out && g->out_size ? g->out_size - g->z.avail_out : 0;
    if (out > 0)
        return (ssize_t)out;
    errno = EIO;
    return -1;
}

/* More compressed bytes into z's input; false at the end of src or on a
 * read error (g->err set). */
static bool refill(struct gzip_stream *g)
{
    if (g->src_eof)
        return false;
    size_t n = fread(g->in, 1, sizeof g->in, g->src);
    if (n == 0) {
        if (ferror(g->src))
            fail(g, "cannot read the gzip data", strerror(errno));
        g->src_eof = true;
        return false;
    }
    g->z.next_in = g->in;
    g->z.avail_in = (uInt)n;
    return true;
}

static ssize_t inflate_some(struct gzip_stream *g, char *buf, size_t size);

static ssize_t gz_read(void *cookie, char *buf, size_t size)
{
    struct gzip_stream *g = cookie;
    size_t again = replay_give(&g->replay, buf, size);
    if (again)
        return (ssize_t)again;
    ssize_t n = inflate_some(g, buf, size);
    if (n > 0)
        replay_keep(&g->replay, buf, (size_t)n);
    return n;
}

static int gz_seek(void *cookie, off64_t *pos, int whence)
{
    struct gzip_stream *g = cookie;
    return replay_seek(&g->replay, *pos, whence);
}

static ssize_t inflate_some(struct gzip_stream *g, char *buf, size_t size)
{
    if (g->err[0]) { /* an error stays */
        errno = EIO;
        return -1;
    }
    if (size == 0)
        return 0;
    if (size > UINT_MAX)
        size = UINT_MAX;
    g->z.next_out = (Bytef *)buf;
    g->z.avail_out = (uInt)size;
    g->out_size = size;
    while (g->z.avail_out == size) { /* until something comes out */
        if (g->z.avail_in == 0 && !refill(g)) {
            if (g->err[0])
                return fail(g, g->err, NULL);
            if (g->member_done)
                return 0; /* the end, after a whole member */
            return fail(g, "gzip data ends early", "truncated file");
        }
        if (g->member_done) { /* more bytes: the next member */
            if (inflateReset(&g->z) != Z_OK)
                return fail(g, "corrupt gzip data", g->z.msg);
            g->member_done = false;
        }
        int r = inflate(&g->z, Z_NO_FLUSH);
        if (r == Z_STREAM_END)
            g->member_done = true;
        else if (r == Z_MEM_ERROR)
            return fail(g, "gzip: out of memory", NULL);
        else if (r != Z_OK && r != Z_BUF_ERROR)
            return fail(g, "corrupt gzip data", g->z.msg ? g->z.msg : "bad stream");
    }
    return (ssize_t)(size - g->z.avail_out);
}

static int gz_close(void *cookie)
{
    struct gzip_stream *g = cookie;
    int rc = 0;
    inflateEnd(&g->z);
    if (g->src != stdin)
        rc = fclose(g->src);
    replay_stop(&g->replay);
    free(g);
    return rc;
}

FILE *gzip_stream_open(FILE *src, struct gzip_stream **state)
{
    struct gzip_stream *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->src = src;
    if (inflateInit2(&g->z, 16 + MAX_WBITS) != Z_OK) { /* 16: gzip only */
        free(g);
        return NULL;
    }
    replay_start(&g->replay); /* until the first blocks are read (capture.c) */
    cookie_io_functions_t io = {.read = gz_read, .seek = gz_seek, .close = gz_close};
    FILE *f = fopencookie(g, "rb", io);
    if (!f) {
        inflateEnd(&g->z);
        free(g);
        return NULL;
    }
    *state = g;
    return f;
}

const char *gzip_stream_error(const struct gzip_stream *g)
{
    return g && g->err[0] ? g->err : NULL;
}

bool gzip_stream_replay_overflow(const struct gzip_stream *g)
{
    return g->replay.overflow;
}
