/* SHA-1 (FIPS 180-4): the digest behind the WebSocket accept value
 * (RFC 6455 4.2.2) and the Community ID of a flow. Not for security: both
 * uses are identifiers. */
#ifndef MQD_CLI_SHA1_H
#define MQD_CLI_SHA1_H

#include <stddef.h>
#include <stdint.h>

/* SHA-1 of data[0..len) into digest[20]. */
void sha1(const uint8_t *data, size_t len, uint8_t digest[20]);

#endif
