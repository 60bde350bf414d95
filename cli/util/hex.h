/* Hex digits for the printers, written into caller-supplied arrays. */
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

#endif
