/* The WebSocket opening handshake (RFC 6455 section 4): the HTTP request
 * and response read into struct ws_handshake, and their checks. See
 * ws_handshake.h. */
#include "transport/ws_handshake.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "transport/ws_accept.h"

/* Does a comma-separated header value contain `token` (case-insensitive)? */
static bool list_has_token(const char *list, const char *token)
{
    size_t tlen = strlen(token);
    const char *p = list;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        const char *start = p;
        while (*p && *p != ',')
            p++;
        const char *end = p;
        while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        if ((size_t)(end - start) == tlen && strncasecmp(start, token, tlen) == 0)
            return true;
    }
    return false;
}

bool ws_handshake_protocol_is_mqtt(const char *list)
{
    return list_has_token(list, "mqtt") || list_has_token(list, "mqttv3.1");
}

static void copy_value(char *dst, size_t cap, const char *v, size_t len)
{
    if (len >= cap)
        len = cap - 1;
    memcpy(dst, v, len);
    dst[len] = '\0';
}

static bool name_is(const char *name, size_t nlen, const char *want)
{
    return strlen(want) == nlen && strncasecmp(name, want, nlen) == 0;
}

/* One "Name: value" header line into the handshake fields. */
static void header_line(struct ws_handshake *hs, const char *line, size_t len)
{
    const char *colon = memchr(line, ':', len);
    if (!colon)
        return;
    size_t nlen = (size_t)(colon - line);
    const char *v = colon + 1;
    size_t vlen = len - nlen - 1;
    while (vlen && (*v == ' ' || *v == '\t')) {
        v++;
        vlen--;
    }
    while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
        vlen--;
    char value[128];
    copy_value(value, sizeof value, v, vlen);
    if (name_is(line, nlen, "Upgrade"))
        hs->upgrade_ws = list_has_token(value, "websocket");
    else if (name_is(line, nlen, "Connection"))
        hs->connection_upgrade = list_has_token(value, "upgrade");
    else if (name_is(line, nlen, "Host"))
        copy_value(hs->host, sizeof hs->host, v, vlen);
    else if (name_is(line, nlen, "Sec-WebSocket-Protocol"))
        copy_value(hs->protocol, sizeof hs->protocol, v, vlen);
    else if (name_is(line, nlen, "Sec-WebSocket-Key"))
        copy_value(hs->key, sizeof hs->key, v, vlen);
    else if (name_is(line, nlen, "Sec-WebSocket-Accept"))
        copy_value(hs->accept, sizeof hs->accept, v, vlen);
    else if (name_is(line, nlen, "Sec-WebSocket-Extensions"))
        copy_value(hs->extensions, sizeof hs->extensions, v, vlen);
    else if (name_is(line, nlen, "Sec-WebSocket-Version"))
        copy_value(hs->version, sizeof hs->version, v, vlen);
}

/* "GET /path HTTP/1.1" or "HTTP/1.1 101 Switching Protocols". */
static void start_line(struct ws_handshake *hs, const char *line, size_t len,
                       bool request)
{
    char buf[256];
    copy_value(buf, sizeof buf, line, len);
    if (request) {
        hs->is_get = strncmp(buf, "GET ", 4) == 0;
        const char *path = buf + (hs->is_get ? 4 : 0);
        const char *sp = strchr(path, ' ');
        copy_value(hs->path, sizeof hs->path, path,
                   sp ? (size_t)(sp - path) : strlen(path));
    } else {
        unsigned status = 0;
        if (strncmp(buf, "HTTP/", 5) == 0) {
            const char *sp = strchr(buf, ' ');
            if (sp && sscanf(sp + 1, "%3u", &status) != 1)
                status = 0;
        }
        hs->status = status;
    }
}

/* Splits the header block buf[0..len) into lines (CRLF, or a bare LF). */
void ws_handshake_parse(struct ws_handshake *hs, const uint8_t *buf, size_t len,
                        bool request)
{
    const char *p = (const char *)buf;
    const char *end = p + len;
    bool first = true;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = nl ? nl : end;
        size_t llen = (size_t)(line_end - p);
        if (llen && p[llen - 1] == '\r')
            llen--;
        if (llen == 0 && !first)
            break;
        if (first)
            start_line(hs, p, llen, request);
        else
            header_line(hs, p, llen);
        first = false;
        p = nl ? nl + 1 : end;
    }
}

/* RFC 6455 4.1 / 4.2.1: what the client's opening handshake must carry. */
void ws_handshake_check_request(const struct ws_handshake *hs,
                                ws_handshake_bad_fn bad, void *ctx)
{
    if (!hs->connection_upgrade)
        bad(ctx, "RFC6455-4.1-connection-upgrade",
            "the request has no 'Connection: Upgrade'");
    if (hs->key[0] == '\0')
        bad(ctx, "RFC6455-4.1-missing-key", "the request has no Sec-WebSocket-Key");
    else if (strlen(hs->key) != 24)
        bad(ctx, "RFC6455-4.1-key-length", "Sec-WebSocket-Key is not 16 bytes in base64");
    if (strcmp(hs->version, "13") != 0)
        bad(ctx, "RFC6455-4.1-version", "Sec-WebSocket-Version is not 13");
}

void ws_handshake_verify_accept(struct ws_handshake *resp, const struct ws_handshake *req)
{
    if (req->key[0]) {
        char want[29];
        ws_accept_for_key(req->key, want);
        resp->accept_ok = strcmp(want, resp->accept) == 0;
    }
}

/* RFC 6455 4.1 (the client's checks of the server's handshake). */
bool ws_handshake_check_response(const struct ws_handshake *resp,
                                 const struct ws_handshake *req,
                                 ws_handshake_bad_fn bad, void *ctx)
{
    if (resp->status != 101) {
        bad(ctx, "RFC6455-4.1-no-101",
            "the server did not answer 101 Switching Protocols");
        return false;
    }
    if (!resp->upgrade_ws || !resp->connection_upgrade)
        bad(ctx, "RFC6455-4.1-response-upgrade",
            "the 101 response lacks 'Upgrade: websocket' or "
            "'Connection: Upgrade'");
    if (!resp->accept_ok)
        bad(ctx, "RFC6455-4.1-bad-accept",
            "Sec-WebSocket-Accept is not the SHA-1 of the key and GUID");
    if (resp->protocol[0] && !list_has_token(req->protocol, resp->protocol))
        bad(ctx, "RFC6455-4.1-protocol-not-requested",
            "the server chose a subprotocol the client did not offer");
    return true;
}
