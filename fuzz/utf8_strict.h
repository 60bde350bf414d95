/* A strict UTF-8 validator (RFC 3629 s4), independent of dissect/utf8.c so
 * the fuzzers do not judge the printers with the code under test. Rejects
 * overlong forms, surrogates, code points above U+10FFFF and cut sequences.
 * U+0000 is allowed: it is well-formed (JSON checks reject raw NULs
 * separately). */
#ifndef MQD_FUZZ_UTF8_STRICT_H
#define MQD_FUZZ_UTF8_STRICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

static inline bool utf8_strict_cont(const uint8_t *s, size_t len, size_t i)
{
    return i < len && (s[i] & 0xC0) == 0x80;
}

static inline bool utf8_strict_valid(const uint8_t *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
        } else if (c >= 0xC2 && c <= 0xDF) {
            if (!utf8_strict_cont(s, len, i + 1))
                return false;
            i += 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            if (!utf8_strict_cont(s, len, i + 1) ||
                !utf8_strict_cont(s, len, i + 2))
                return false;
            if (c == 0xE0 && s[i + 1] < 0xA0) /* overlong */
                return false;
            if (c == 0xED && s[i + 1] > 0x9F) /* surrogate */
                return false;
            i += 3;
        } else if (c >= 0xF0 && c <= 0xF4) {
            if (!utf8_strict_cont(s, len, i + 1) ||
                !utf8_strict_cont(s, len, i + 2) ||
                !utf8_strict_cont(s, len, i + 3))
                return false;
            if (c == 0xF0 && s[i + 1] < 0x90) /* overlong */
                return false;
            if (c == 0xF4 && s[i + 1] > 0x8F) /* above U+10FFFF */
                return false;
            i += 4;
        } else {
            return false; /* 0x80..0xC1 lead, 0xF5..0xFF */
        }
    }
    return true;
}

#endif
