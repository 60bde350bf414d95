#include "hexvec.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

size_t hexvec_decode(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    for (const char *p = hex; *p;) {
        if (*p == ' ') {
            p++;
            continue;
        }
        int hi = hex_digit(p[0]), lo = p[1] ? hex_digit(p[1]) : -1;
        if (hi < 0 || lo < 0 || n == cap)
            fail_msg("bad hex vector near \"%s\"", p);
        out[n++] = (uint8_t)(hi << 4 | lo);
        p += 2;
    }
    return n;
}
