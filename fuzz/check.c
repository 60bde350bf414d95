/* The failure path shared by every fuzz target. */
#include <stdio.h>
#include <stdlib.h>

#include "targets.h"

const char *fuzz_input_name = NULL;

void fuzz_fail(const char *file, int line, const char *cond, const char *msg)
{
    fprintf(stderr, "\nFUZZ INVARIANT BROKEN at %s:%d: %s\n  check: %s\n",
            file, line, msg, cond);
    if (fuzz_input_name)
        fprintf(stderr, "  input: %s\n", fuzz_input_name);
    fflush(stderr);
    abort();
}

void fuzz_play_script(const uint8_t *data, size_t size, size_t chunk,
                      fuzz_feed_fn feed, fuzz_gap_fn gap, void *ctx)
{
    size_t pos = 0;
    while (pos < size) {
        int dir = data[pos] >> 7;
        size_t len = (size_t)(data[pos] & 0x7F) + 1;
        pos++;
        if (len == 0x80) { /* a hole */
            if (pos < size)
                gap(ctx, dir, (uint64_t)data[pos++] + 1);
            continue;
        }
        if (len > size - pos)
            len = size - pos;
        for (size_t off = 0; off < len;) {
            size_t n = chunk && chunk < len - off ? chunk : len - off;
            feed(ctx, dir, data + pos + off, n);
            off += n;
        }
        pos += len;
    }
}
