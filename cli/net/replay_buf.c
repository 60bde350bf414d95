#include "net/replay_buf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void replay_start(struct replay_buf *r)
{
    replay_stop(r);
    r->recording = true;
}

void replay_stop(struct replay_buf *r)
{
    free(r->b);
    *r = (struct replay_buf){0};
}

size_t replay_give(struct replay_buf *r, char *buf, size_t size)
{
    if (!r->replaying)
        return 0;
    size_t n = r->len - r->pos < size ? r->len - r->pos : size;
    memcpy(buf, r->b + r->pos, n);
    r->pos += n;
    if (r->pos == r->len)
        replay_stop(r); /* all given again: the source from here */
    return n;
}

void replay_keep(struct replay_buf *r, const char *buf, size_t n)
{
    if (!r->recording || r->overflow || n == 0)
        return;
    if (n > REPLAY_BUF_MAX - r->len) {
        r->overflow = true; /* kept so far: freed when the stream is */
        return;
    }
    if (r->len + n > r->cap) {
        size_t cap = r->cap ? r->cap : 16384;
        while (cap < r->len + n)
            cap *= 2;
        if (cap > REPLAY_BUF_MAX)
            cap = REPLAY_BUF_MAX;
        uint8_t *b = realloc(r->b, cap);
        if (!b) {
            r->overflow = true;
            return;
        }
        r->b = b;
        r->cap = cap;
    }
    memcpy(r->b + r->len, buf, n);
    r->len += n;
}

int replay_seek(struct replay_buf *r, int64_t pos, int whence)
{
    if (!r->recording || r->overflow || whence != SEEK_SET || pos != 0) {
        errno = ESPIPE;
        return -1;
    }
    r->recording = false;
    r->replaying = r->len > 0;
    r->pos = 0;
    if (!r->replaying)
        replay_stop(r);
    return 0;
}
