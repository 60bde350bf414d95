/* The WebSocket accept value (RFC 6455 4.2.2), made of SHA-1 and base64
 * (util/). See ws_accept.h. */
#include "transport/ws_accept.h"

#include <string.h>

#include "util/base64.h"
#include "util/sha1.h"

/* RFC 6455 1.3: the GUID appended to the key before hashing. */
static const char WS_GUID[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

void ws_accept_for_key(const char *key, char out[29])
{
    uint8_t buf[64 + sizeof WS_GUID];
    size_t klen = strnlen(key, 64);
    memcpy(buf, key, klen);
    memcpy(buf + klen, WS_GUID, sizeof WS_GUID - 1);
    uint8_t digest[20];
    sha1(buf, klen + sizeof WS_GUID - 1, digest);
    base64_encode(digest, sizeof digest, out);
}
