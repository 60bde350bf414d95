/* The Sec-WebSocket-Accept value a server must answer a key with (RFC 6455
 * 4.2.2). A pure function; the handshake checks (ws_handshake.h) use it. */
#ifndef MQD_CLI_WS_ACCEPT_H
#define MQD_CLI_WS_ACCEPT_H

#include <stddef.h>
#include <stdint.h>

/* Sec-WebSocket-Accept for a key (RFC 6455 4.2.2: base64 of the SHA-1 of the
 * key and the GUID): writes 28 characters and a NUL into out[29]. */
void ws_accept_for_key(const char *key, char out[29]);

#endif
