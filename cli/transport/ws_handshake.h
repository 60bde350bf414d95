/* The WebSocket opening handshake (RFC 6455 section 4; MQTT 5.0 section 6):
 * an HTTP header block (the client's Upgrade request or the server's
 * response) read into struct ws_handshake, and the checks the RFC asks
 * for, reported as (rule, message) pairs. No state beyond the struct; the
 * frame layer (websocket.h) collects the header block and calls these. */
#ifndef MQD_CLI_WS_HANDSHAKE_H
#define MQD_CLI_WS_HANDSHAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a handshake said; strings are NUL-terminated, cut to fit. */
struct ws_handshake {
    char path[128];         /* request target */
    char host[128];
    char protocol[64];      /* Sec-WebSocket-Protocol (request: the list) */
    char key[64];           /* Sec-WebSocket-Key */
    char accept[64];        /* Sec-WebSocket-Accept */
    char extensions[128];   /* Sec-WebSocket-Extensions */
    char version[16];       /* Sec-WebSocket-Version */
    unsigned status;        /* response status code */
    bool is_get, upgrade_ws, connection_upgrade;
    bool accept_ok;         /* response: accept matches the request's key */
};

/* A check failed: its rule id (e.g. "RFC6455-4.1-version") and message. */
typedef void (*ws_handshake_bad_fn)(void *ctx, const char *rule, const char *message);

/* Reads the header block buf[0..len) (lines end in CRLF or a bare LF) into
 * hs: the start line (request: "GET /path ..."; response: the status) and
 * the headers the handshake uses. */
void ws_handshake_parse(struct ws_handshake *hs, const uint8_t *buf, size_t len,
                        bool request);

/* RFC 6455 4.1: what a request that is an upgrade (is_get, upgrade_ws)
 * must also carry. */
void ws_handshake_check_request(const struct ws_handshake *hs,
                                ws_handshake_bad_fn bad, void *ctx);

/* Sets resp->accept_ok: the response's Sec-WebSocket-Accept answers the
 * request's key (left false without a key). */
void ws_handshake_verify_accept(struct ws_handshake *resp, const struct ws_handshake *req);

/* RFC 6455 4.1, the client's checks of the response (accept_ok already
 * set). False when it is no 101 (the connection is no WebSocket then). */
bool ws_handshake_check_response(const struct ws_handshake *resp,
                                 const struct ws_handshake *req,
                                 ws_handshake_bad_fn bad, void *ctx);

/* Is "mqtt" or "mqttv3.1" among the protocols of a Sec-WebSocket-Protocol
 * value (comma separated, case-insensitive)? */
bool ws_handshake_protocol_is_mqtt(const char *list);

#endif
