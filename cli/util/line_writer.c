/* Whole lines per write(2). See line_writer.h. */
#include "util/line_writer.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__GLIBC__)

struct line_writer {
    int fd;
    bool small_writes; /* a pipe or socket: whole lines in <= PIPE_BUF */
    char *tail;        /* a line whose newline has not come yet */
    size_t len, cap;
};

static bool write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* Complete lines: one write, or PIPE_BUF-sized groups of them. */
static bool emit(const struct line_writer *lw, const char *p, size_t n)
{
    if (!lw->small_writes)
        return write_all(lw->fd, p, n);
    while (n > 0) {
        size_t chunk = n;
        if (n > PIPE_BUF) {
            const char *nl = memrchr(p, '\n', PIPE_BUF);
            if (nl)
                chunk = (size_t)(nl - p) + 1;
            else /* one line longer than PIPE_BUF: alone */
                chunk = (size_t)((const char *)memchr(p, '\n', n) - p) + 1;
        }
        if (!write_all(lw->fd, p, chunk))
            return false;
        p += chunk;
        n -= chunk;
    }
    return true;
}

static bool keep(struct line_writer *lw, const char *p, size_t n)
{
    if (n == 0)
        return true;
    if (lw->cap - lw->len < n) {
        size_t cap = lw->cap ? lw->cap : 4096;
        while (cap - lw->len < n)
            cap *= 2;
        char *t = realloc(lw->tail, cap);
        if (!t)
            return false;
        lw->tail = t;
        lw->cap = cap;
    }
    memcpy(lw->tail + lw->len, p, n);
    lw->len += n;
    return true;
}

/* The stream's buffer: complete lines out, the rest kept. 0 on error (the
 * stream's error flag is set). */
static ssize_t lw_write(void *cookie, const char *buf, size_t size)
{
    struct line_writer *lw = cookie;
    const char *nl = size ? memrchr(buf, '\n', size) : NULL;
    if (!nl)
        return keep(lw, buf, size) ? (ssize_t)size : 0;
    size_t lines = (size_t)(nl - buf) + 1;
    bool ok;
    if (lw->len) { /* the kept part line first, in the same write */
        ok = keep(lw, buf, lines) && emit(lw, lw->tail, lw->len);
        lw->len = 0;
    } else {
        ok = emit(lw, buf, lines);
    }
    if (!ok || !keep(lw, buf + lines, size - lines))
        return 0;
    return (ssize_t)size;
}

static int lw_close(void *cookie)
{
    struct line_writer *lw = cookie;
    bool ok = lw->len == 0 || write_all(lw->fd, lw->tail, lw->len);
    ok &= close(lw->fd) == 0;
    free(lw->tail);
    free(lw);
    return ok ? 0 : EOF;
}

FILE *line_writer_open(int fd)
{
    struct line_writer *lw = calloc(1, sizeof *lw);
    if (!lw)
        return NULL;
    lw->fd = fd;
    struct stat st;
    lw->small_writes = fstat(fd, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
    cookie_io_functions_t io = {.write = lw_write, .close = lw_close};
    FILE *f = fopencookie(lw, "w", io);
    if (!f) {
        free(lw);
        return NULL;
    }
    (void)setvbuf(f, NULL, _IOFBF, 64u * 1024u);
    return f;
}

#else

FILE *line_writer_open(int fd)
{
    (void)fd;
    return NULL;
}

#endif
