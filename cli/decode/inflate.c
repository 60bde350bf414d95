/* zlib/gzip decompression into a capped buffer (inflate.h). */
#include "decode/inflate.h"

#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

struct inflater {
    z_stream zs;
    bool ready; /* inflateInit2 succeeded */
    uint8_t *buf;
    size_t cap;
};

const char *inflate_status_text(enum inflate_status s)
{
    switch (s) {
    case INFLATE_OK: return "ok";
    case INFLATE_BAD: return "not zlib or gzip data";
    case INFLATE_TOO_BIG: return "decompresses to more than the cap (1048576 bytes)";
    case INFLATE_NOMEM: return "out of memory";
    }
    return "?";
}

struct inflater *inflater_new(size_t cap)
{
    struct inflater *z = calloc(1, sizeof *z);
    if (!z || cap == 0 || cap > UINT_MAX)
        goto fail;
    z->cap = cap;
    z->buf = malloc(cap);
    if (!z->buf)
        goto fail;
    /* 15 + 32: a zlib or a gzip header, detected (zlib.h, inflateInit2) */
    if (inflateInit2(&z->zs, 15 + 32) != Z_OK)
        goto fail;
    z->ready = true;
    return z;
fail:
    inflater_free(z);
    return NULL;
}

void inflater_free(struct inflater *z)
{
    if (!z)
        return;
    if (z->ready)
        inflateEnd(&z->zs);
    free(z->buf);
    free(z);
}

enum inflate_status inflater_run(struct inflater *z, const uint8_t *in, size_t n,
                                 const uint8_t **out, size_t *outlen)
{
    if (n == 0 || n > UINT_MAX)
        return INFLATE_BAD;
    if (inflateReset(&z->zs) != Z_OK)
        return INFLATE_BAD;
    z->zs.next_in = (Bytef *)(uintptr_t)in; /* zlib does not write it */
    z->zs.avail_in = (uInt)n;
    z->zs.next_out = z->buf;
    z->zs.avail_out = (uInt)z->cap;
    int rc = inflate(&z->zs, Z_FINISH);
    if (rc == Z_STREAM_END) {
        if (z->zs.avail_in != 0)
            return INFLATE_BAD; /* bytes after the stream */
        *out = z->buf;
        *outlen = z->cap - z->zs.avail_out;
        return INFLATE_OK;
    }
    if (rc == Z_MEM_ERROR)
        return INFLATE_NOMEM;
    /* the output is full and the stream goes on: past the cap */
    if ((rc == Z_BUF_ERROR || rc == Z_OK) && z->zs.avail_out == 0)
        return INFLATE_TOO_BIG;
    return INFLATE_BAD;
}
