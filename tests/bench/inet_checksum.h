/* The Internet checksum (RFC 1071) for the bench capture generators, which
 * stay free of the project's own code. */
#ifndef MQD_BENCH_INET_CHECKSUM_H
#define MQD_BENCH_INET_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

/* Adds p[0..n) as 16-bit big-endian words to a running sum. */
static inline uint32_t sum16(uint32_t acc, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        acc += (uint32_t)p[i] << 8 | p[i + 1];
    if (n & 1)
        acc += (uint32_t)p[n - 1] << 8;
    return acc;
}

/* Folds the carries in and complements: the checksum field's value. */
static inline uint16_t fold(uint32_t acc)
{
    while (acc >> 16)
        acc = (acc & 0xffff) + (acc >> 16);
    return (uint16_t)~acc;
}

#endif
