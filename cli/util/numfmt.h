/* Decimal integers written into caller-supplied arrays, without stdio (the
 * printers' hot path must not call printf). */
#ifndef MQD_CLI_NUMFMT_H
#define MQD_CLI_NUMFMT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Decimal digits of v into out (at least 20 bytes); returns the count. No
 * terminating NUL. */
size_t fmt_u64(char *out, uint64_t v);

/* Signed decimal into out (at least 21 bytes); returns the count. */
size_t fmt_i64(char *out, int64_t v);

/* "00" "01" ... "99": the two digits of n at fmt_digit_pairs[2 * n]. */
extern const char fmt_digit_pairs[201];

/* The two decimal digits of v (< 100) into out[0..2). */
static inline void fmt_2digits(char *out, unsigned v)
{
    memcpy(out, fmt_digit_pairs + 2 * v, 2);
}

#endif
