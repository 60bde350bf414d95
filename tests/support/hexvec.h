/* Test vectors written as hex text ("30 05 00 03 61 2f 62"): spaces are
 * ignored; anything else that is not a pair of hex digits fails the test. */
#ifndef MQD_TEST_HEXVEC_H
#define MQD_TEST_HEXVEC_H

#include <stddef.h>
#include <stdint.h>

/* Decodes `hex` into out[0..cap); returns the byte count. */
size_t hexvec_decode(const char *hex, uint8_t *out, size_t cap);

#endif
