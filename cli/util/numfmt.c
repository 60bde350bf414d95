/* Decimal integers without stdio. */
#include "util/numfmt.h"

#include <string.h>

const char fmt_digit_pairs[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

/* Decimal digits of v (1..20). */
static unsigned decimal_digits(uint64_t v)
{
    unsigned n = 1;
    for (;;) { /* four at a time, then the rest */
        if (v < 10)
            return n;
        if (v < 100)
            return n + 1;
        if (v < 1000)
            return n + 2;
        if (v < 10000)
            return n + 3;
        v /= 10000;
        n += 4;
    }
}

/* Writes the digits straight into place, two at a time from the end. */
size_t fmt_u64(char *out, uint64_t v)
{
    if (v < 10) { /* flags, QoS, small counts: most numbers printed */
        out[0] = (char)('0' + v);
        return 1;
    }
    if (v < 100) {
        memcpy(out, fmt_digit_pairs + 2 * v, 2);
        return 2;
    }
    unsigned n = decimal_digits(v);
    char *p = out + n;
    while (v >= 100) {
        p -= 2;
        memcpy(p, fmt_digit_pairs + 2 * (v % 100), 2);
        v /= 100;
    }
    if (v >= 10) {
        p -= 2;
        memcpy(p, fmt_digit_pairs + 2 * v, 2);
    } else {
        *--p = (char)('0' + v);
    }
    return n;
}

size_t fmt_i64(char *out, int64_t v)
{
    if (v >= 0)
        return fmt_u64(out, (uint64_t)v);
    out[0] = '-';
    /* Negate in unsigned arithmetic: INT64_MIN has no positive twin. */
    return 1 + fmt_u64(out + 1, 0 - (uint64_t)v);
}
