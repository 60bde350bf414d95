/* Hex digits: written into caller-supplied arrays, and read back. */
#ifndef MQD_CLI_HEX_H
#define MQD_CLI_HEX_H

#include <stdint.h>

/* Lower-case hex digits for byte b into out[0..2). */
static inline void hex_byte(char *out, uint8_t b)
{
    static const char digits[] = "0123456789abcdef";
    out[0] = digits[b >> 4];
    out[1] = digits[b & 0x0F];
}

/* The value of hex digit c (either case), or -1. */
static inline int hex_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

#endif
