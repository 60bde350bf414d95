/* Base64 encoding (RFC 4648 section 4, with padding). */
#ifndef MQD_CLI_BASE64_H
#define MQD_CLI_BASE64_H

#include <stddef.h>
#include <stdint.h>

/* Characters base64_encode writes for len bytes, without the NUL. */
#define BASE64_LEN(len) (((len) + 2) / 3 * 4)

/* in[0..len) as base64 into out (BASE64_LEN(len) + 1 bytes: a NUL
 * ends it); returns the characters written. */
size_t base64_encode(const uint8_t *in, size_t len, char *out);

#endif
