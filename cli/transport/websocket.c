/* MQTT over WebSocket: the RFC 6455 handshake and frame layer, decoded
 * incrementally per direction. See websocket.h. */
#include "transport/websocket.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mqttdissect/frame.h"
#include "util/wire.h"

enum dir_state { DS_HTTP, DS_HDR, DS_PAYLOAD, DS_RESYNC, DS_DEAD };

/* RFC 6455 1.3: the GUID appended to the key before hashing. */
static const char WS_GUID[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/* ---- SHA-1 (FIPS 180-4 section 6.1) and base64 (RFC 4648 section 4) ---- */

static uint32_t rol32(uint32_t x, unsigned n)
{
    return (x << n) | (x >> (32u - n));
}

static void sha1_block(uint32_t h[5], const uint8_t block[64])
{
    uint32_t w[80];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)block[4 * i] << 24 | (uint32_t)block[4 * i + 1] << 16 |
               (uint32_t)block[4 * i + 2] << 8 | (uint32_t)block[4 * i + 3];
    for (int i = 16; i < 80; i++)
        w[i] = rol32(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int i = 0; i < 80; i++) {
        uint32_t f, k;
        if (i < 20) {
            f = (b & c) | (~b & d);
            k = 0x5A827999u;
        } else if (i < 40) {
            f = b ^ c ^ d;
            k = 0x6ED9EBA1u;
        } else if (i < 60) {
            f = (b & c) | (b & d) | (c & d);
            k = 0x8F1BBCDCu;
        } else {
            f = b ^ c ^ d;
            k = 0xCA62C1D6u;
        }
        uint32_t t = rol32(a, 5) + f + e + k + w[i];
        e = d;
        d = c;
        c = rol32(b, 30);
        b = a;
        a = t;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
}

void ws_sha1(const uint8_t *data, size_t len, uint8_t digest[20])
{
    uint32_t h[5] = {0x67452301u, 0xEFCDAB89u, 0x98BADCFEu, 0x10325476u,
                     0xC3D2E1F0u};
    size_t done = 0;
    for (; len - done >= 64; done += 64)
        sha1_block(h, data + done);
    /* The tail, the 0x80 marker and the 64-bit bit length (5.1.1). */
    uint8_t last[128] = {0};
    size_t tail = len - done;
    memcpy(last, data + done, tail);
    last[tail] = 0x80;
    size_t total = tail + 9 <= 64 ? 64 : 128;
    uint64_t bits = (uint64_t)len * 8u;
    for (int i = 0; i < 8; i++)
        last[total - 1 - (size_t)i] = (uint8_t)(bits >> (8 * i));
    sha1_block(h, last);
    if (total == 128)
        sha1_block(h, last + 64);
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 4; j++)
            digest[4 * i + j] = (uint8_t)(h[i] >> (24 - 8 * j));
}

static void base64_encode(const uint8_t *in, size_t len, char *out)
{
    static const char abc[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < len)
            v |= in[i + 2];
        out[o++] = abc[(v >> 18) & 63];
        out[o++] = abc[(v >> 12) & 63];
        out[o++] = i + 1 < len ? abc[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < len ? abc[v & 63] : '=';
    }
    out[o] = '\0';
}

void ws_accept_for_key(const char *key, char out[29])
{
    uint8_t buf[64 + sizeof WS_GUID];
    size_t klen = strnlen(key, 64);
    memcpy(buf, key, klen);
    memcpy(buf + klen, WS_GUID, sizeof WS_GUID - 1);
    uint8_t digest[20];
    ws_sha1(buf, klen + sizeof WS_GUID - 1, digest);
    base64_encode(digest, sizeof digest, out);
}

/* ---- names and small helpers ---- */

const char *ws_opcode_name(uint8_t opcode)
{
    switch (opcode) {
    case WS_OP_CONT: return "continuation";
    case WS_OP_TEXT: return "text";
    case WS_OP_BINARY: return "binary";
    case WS_OP_CLOSE: return "close";
    case WS_OP_PING: return "ping";
    case WS_OP_PONG: return "pong";
    default: return "reserved";
    }
}

static bool is_control(uint8_t opcode)
{
    return opcode >= 0x8;
}

/* RFC 6455 5.2: 0x3-0x7 and 0xB-0xF are reserved. */
static bool is_reserved(uint8_t opcode)
{
    return (opcode >= 0x3 && opcode <= 0x7) || opcode >= 0xB;
}

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

bool ws_protocol_is_mqtt(const char *list)
{
    return list_has_token(list, "mqtt") || list_has_token(list, "mqttv3.1");
}

static void emit(ws_cb cb, void *ctx, struct ws_event *ev)
{
    if (cb)
        cb(ctx, ev);
}

static void violation(ws_cb cb, void *ctx, int dir, uint64_t offset,
                      const char *rule, const char *message)
{
    struct ws_event ev = {.kind = WS_EV_VIOLATION, .dir = dir, .offset = offset,
                          .rule = rule, .message = message};
    emit(cb, ctx, &ev);
}

/* ---- the HTTP handshake (RFC 6455 section 4) ---- */

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
static void parse_http(struct ws_handshake *hs, const uint8_t *buf, size_t len,
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
static void check_request(struct ws_conn *ws, ws_cb cb, void *ctx)
{
    struct ws_handshake *hs = &ws->req;
    if (!hs->is_get || !hs->upgrade_ws) {
        ws->hs_state = WS_HS_NOT_WS;
        return;
    }
    struct ws_event ev = {.kind = WS_EV_REQUEST, .dir = 0, .hs = hs};
    emit(cb, ctx, &ev);
    if (!hs->connection_upgrade)
        violation(cb, ctx, 0, 0, "RFC6455-4.1-connection-upgrade",
                  "the request has no 'Connection: Upgrade'");
    if (hs->key[0] == '\0')
        violation(cb, ctx, 0, 0, "RFC6455-4.1-missing-key",
                  "the request has no Sec-WebSocket-Key");
    else if (strlen(hs->key) != 24)
        violation(cb, ctx, 0, 0, "RFC6455-4.1-key-length",
                  "Sec-WebSocket-Key is not 16 bytes in base64");
    if (strcmp(hs->version, "13") != 0)
        violation(cb, ctx, 0, 0, "RFC6455-4.1-version",
                  "Sec-WebSocket-Version is not 13");
    ws->hs_state = WS_HS_RESPONSE;
}

/* RFC 6455 4.1 (the client's checks of the server's handshake). */
static void check_response(struct ws_conn *ws, ws_cb cb, void *ctx)
{
    struct ws_handshake *hs = &ws->resp;
    if (ws->req.key[0]) {
        char want[29];
        ws_accept_for_key(ws->req.key, want);
        hs->accept_ok = strcmp(want, hs->accept) == 0;
    }
    struct ws_event ev = {.kind = WS_EV_RESPONSE, .dir = 1, .hs = hs};
    emit(cb, ctx, &ev);
    if (hs->status != 101) {
        violation(cb, ctx, 1, 0, "RFC6455-4.1-no-101",
                  "the server did not answer 101 Switching Protocols");
        ws->hs_state = WS_HS_FAILED;
        return;
    }
    if (!hs->upgrade_ws || !hs->connection_upgrade)
        violation(cb, ctx, 1, 0, "RFC6455-4.1-response-upgrade",
                  "the 101 response lacks 'Upgrade: websocket' or "
                  "'Connection: Upgrade'");
    if (!hs->accept_ok)
        violation(cb, ctx, 1, 0, "RFC6455-4.1-bad-accept",
                  "Sec-WebSocket-Accept is not the SHA-1 of the key and GUID");
    if (hs->protocol[0] && !list_has_token(ws->req.protocol, hs->protocol))
        violation(cb, ctx, 1, 0, "RFC6455-4.1-protocol-not-requested",
                  "the server chose a subprotocol the client did not offer");
    ws->rsv1_allowed = hs->extensions[0] != '\0';
    ws->hs_state = WS_HS_OPEN;
}

/* Collects the header block; returns the bytes of data it used. */
static size_t feed_http(struct ws_conn *ws, int dir, const uint8_t *data,
                        size_t len, ws_cb cb, void *ctx)
{
    struct ws_dir *d = &ws->dir[dir];
    size_t old = d->http_len;
    size_t take = len < WS_HTTP_MAX - old ? len : WS_HTTP_MAX - old;
    memcpy(d->http + old, data, take);
    d->http_len += take;
    /* Look for the blank line, starting where it could begin. */
    size_t from = old >= 3 ? old - 3 : 0;
    for (size_t i = from; i < d->http_len; i++) {
        bool crlf = i + 4 <= d->http_len && memcmp(d->http + i, "\r\n\r\n", 4) == 0;
        bool lflf = i + 2 <= d->http_len && memcmp(d->http + i, "\n\n", 2) == 0;
        if (!crlf && !lflf)
            continue;
        size_t end = i + (crlf ? 4 : 2);
        d->http_len = end;
        d->state = DS_HDR;
        d->cur.hdr_len = 0;
        d->need = 2;
        if (dir == 0) {
            parse_http(&ws->req, d->http, end, true);
            check_request(ws, cb, ctx);
        } else {
            parse_http(&ws->resp, d->http, end, false);
            check_response(ws, cb, ctx);
        }
        return end - old;
    }
    if (d->http_len == WS_HTTP_MAX) {
        violation(cb, ctx, dir, 0, "MQD-ws-http-too-long",
                  "the HTTP header block is longer than mqttdissect reads");
        ws->hs_state = WS_HS_FAILED;
        d->state = DS_DEAD;
    }
    return take;
}

/* ---- frames (RFC 6455 section 5) ---- */

/* Header bytes in all, once the first two are known. */
static uint8_t header_size(const uint8_t b0b1[2])
{
    uint8_t len7 = b0b1[1] & 0x7F;
    uint8_t n = 2;
    if (len7 == 126)
        n += 2;
    else if (len7 == 127)
        n += 8;
    if (b0b1[1] & 0x80)
        n += 4;
    return n;
}

static void decode_header(struct ws_frame *f)
{
    struct wire w = wire_make(f->hdr, f->hdr_len);
    uint8_t b0 = 0, b1 = 0;
    (void)wire_u8(&w, &b0);
    (void)wire_u8(&w, &b1);
    f->fin = (b0 & 0x80) != 0;
    f->rsv = (uint8_t)((b0 >> 4) & 0x7);
    f->opcode = b0 & 0x0F;
    f->masked = (b1 & 0x80) != 0;
    uint8_t len7 = b1 & 0x7F;
    f->len = len7;
    if (len7 == 126) {
        uint16_t v = 0;
        (void)wire_be16(&w, &v);
        f->len = v;
    } else if (len7 == 127) {
        uint32_t hi = 0, lo = 0;
        (void)wire_be32(&w, &hi);
        (void)wire_be32(&w, &lo);
        f->len = (uint64_t)hi << 32 | lo;
    }
    memset(f->mask, 0, sizeof f->mask);
    if (f->masked)
        (void)wire_bytes(&w, f->mask, 4);
}

/* Checks of one header that do not depend on the message state. */
static void check_frame(const struct ws_conn *ws, int dir,
                        const struct ws_frame *f, ws_cb cb, void *ctx)
{
    uint64_t off = f->offset;
    /* 5.1: clients mask every frame, servers none. */
    if (dir == 0 && !f->masked)
        violation(cb, ctx, dir, off, "RFC6455-5.1-client-unmasked",
                  "a frame from the client is not masked");
    if (dir == 1 && f->masked)
        violation(cb, ctx, dir, off, "RFC6455-5.1-server-masked",
                  "a frame from the server is masked");
    /* 5.2: RSV bits are 0 unless an extension gives them a meaning. */
    if (f->rsv && !(f->rsv == 0x4 && ws->rsv1_allowed))
        violation(cb, ctx, dir, off, "RFC6455-5.2-rsv",
                  "RSV bits set without a negotiated extension");
    if (is_reserved(f->opcode))
        violation(cb, ctx, dir, off, "RFC6455-5.2-reserved-opcode",
                  "a reserved opcode");
    /* 5.2: "the minimal number of bytes MUST be used to encode the length";
     * the most significant bit of a 64-bit length MUST be 0. */
    uint8_t len7 = f->hdr[1] & 0x7F;
    if ((len7 == 126 && f->len < 126) || (len7 == 127 && f->len <= 0xFFFF))
        violation(cb, ctx, dir, off, "RFC6455-5.2-length-not-minimal",
                  "the payload length is not in its shortest form");
    if (len7 == 127 && (f->len >> 63))
        violation(cb, ctx, dir, off, "RFC6455-5.2-length-msb",
                  "the most significant bit of a 64-bit length is set");
    /* 5.5: control frames are short and never fragmented. */
    if (is_control(f->opcode) && !is_reserved(f->opcode)) {
        if (f->len > WS_CTRL_MAX)
            violation(cb, ctx, dir, off, "RFC6455-5.5-control-length",
                      "a control frame payload longer than 125 bytes");
        if (!f->fin)
            violation(cb, ctx, dir, off, "RFC6455-5.5-control-fragmented",
                      "a fragmented control frame");
    }
}

/* Message state (5.4): which data message a frame belongs to. */
static void track_message(struct ws_dir *d, int dir, struct ws_frame *f,
                          ws_cb cb, void *ctx)
{
    f->msg_opcode = 0;
    if (is_control(f->opcode) || is_reserved(f->opcode))
        return;
    if (d->close_seen)
        violation(cb, ctx, dir, f->offset, "RFC6455-5.5.1-data-after-close",
                  "a data frame after a close frame");
    if (f->opcode == WS_OP_CONT) {
        if (!d->in_message) {
            violation(cb, ctx, dir, f->offset, "RFC6455-5.4-unexpected-continuation",
                      "a continuation frame outside a fragmented message");
            d->msg_opcode = WS_OP_BINARY;
        }
    } else {
        if (d->in_message)
            violation(cb, ctx, dir, f->offset, "RFC6455-5.4-expected-continuation",
                      "a new data message before the previous one ended");
        d->msg_opcode = f->opcode;
        /* MQTT 3.1.1 6.0 / 5.0 6.0 [MQTT-6.0.0-1]: binary frames only. */
        if (f->opcode == WS_OP_TEXT)
            violation(cb, ctx, dir, f->offset, "MQTT-6.0.0-1",
                      "MQTT carried in a text frame, not a binary frame");
    }
    f->msg_opcode = d->msg_opcode;
    d->in_message = !f->fin;
}

static void frame_done(struct ws_conn *ws, int dir, ws_cb cb, void *ctx)
{
    struct ws_dir *d = &ws->dir[dir];
    struct ws_frame *f = &d->cur;
    if (is_control(f->opcode) && !is_reserved(f->opcode)) {
        struct ws_event ev = {.kind = WS_EV_CONTROL, .dir = dir,
                              .offset = f->offset, .frame = f,
                              .data = d->ctrl, .len = d->ctrl_len};
        if (f->opcode == WS_OP_CLOSE) {
            struct wire w = wire_make(d->ctrl, d->ctrl_len);
            uint16_t code = 0;
            if (wire_be16(&w, &code))
                ev.close_code = code;
            else if (d->ctrl_len == 1)
                violation(cb, ctx, dir, f->offset, "RFC6455-5.5.1-close-length",
                          "a close frame with a 1-byte payload");
            d->close_seen = true;
        }
        emit(cb, ctx, &ev);
    }
    d->state = DS_HDR;
    d->cur.hdr_len = 0;
    d->need = 2;
}

static bool resync_rejects(struct ws_conn *ws, int dir);

static void header_done(struct ws_conn *ws, int dir, ws_cb cb, void *ctx)
{
    struct ws_dir *d = &ws->dir[dir];
    struct ws_frame *f = &d->cur;
    decode_header(f);
    if (d->trial > 0) { /* just after a resync: was it a frame at all? */
        if (resync_rejects(ws, dir))
            return;
        d->trial--;
    }
    ws->frames[dir]++;
    track_message(d, dir, f, cb, ctx);
    struct ws_event ev = {.kind = WS_EV_FRAME, .dir = dir, .offset = f->offset,
                          .frame = f};
    emit(cb, ctx, &ev);
    check_frame(ws, dir, f, cb, ctx);
    d->left = f->len;
    d->pos = 0;
    d->ctrl_len = 0;
    if (d->left == 0)
        frame_done(ws, dir, cb, ctx);
    else
        d->state = DS_PAYLOAD;
}

/* Reads header bytes; returns the bytes used. */
static size_t feed_header(struct ws_conn *ws, int dir, const uint8_t *data,
                          size_t len, ws_cb cb, void *ctx)
{
    struct ws_dir *d = &ws->dir[dir];
    struct ws_frame *f = &d->cur;
    size_t used = 0;
    if (f->hdr_len == 0)
        f->offset = d->offset;
    while (used < len && f->hdr_len < d->need) {
        f->hdr[f->hdr_len++] = data[used++];
        if (f->hdr_len == 2)
            d->need = header_size(f->hdr);
    }
    if (f->hdr_len == d->need)
        header_done(ws, dir, cb, ctx);
    return used;
}

/* Unmasks (5.3) payload bytes into dst, continuing at payload index pos. */
static void unmask(uint8_t *dst, const uint8_t *src, size_t n,
                   const uint8_t mask[4], uint64_t pos)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = src[i] ^ mask[(pos + i) & 3];
}

/* Reads payload bytes; returns the bytes used. */
static size_t feed_payload(struct ws_conn *ws, int dir, const uint8_t *data,
                           size_t len, ws_cb cb, void *ctx)
{
    struct ws_dir *d = &ws->dir[dir];
    struct ws_frame *f = &d->cur;
    size_t n = d->left < len ? (size_t)d->left : len;
    if (is_control(f->opcode) && !is_reserved(f->opcode)) {
        size_t room = WS_CTRL_MAX - d->ctrl_len;
        size_t keep = n < room ? n : room;
        unmask(d->ctrl + d->ctrl_len, data, keep, f->mask, d->pos);
        d->ctrl_len += keep;
    } else if (!is_reserved(f->opcode)) {
        uint64_t off = d->offset;
        for (size_t done = 0; done < n;) {
            size_t piece = n - done < WS_SCRATCH ? n - done : WS_SCRATCH;
            const uint8_t *out = data + done;
            if (f->masked) {
                unmask(ws->scratch, data + done, piece, f->mask, d->pos + done);
                out = ws->scratch;
            }
            struct ws_event ev = {.kind = WS_EV_DATA, .dir = dir,
                                  .offset = off + done, .frame = f,
                                  .data = out, .len = piece};
            emit(cb, ctx, &ev);
            done += piece;
        }
    }
    d->pos += n;
    d->left -= n;
    if (d->left == 0)
        frame_done(ws, dir, cb, ctx);
    return n;
}

/* ---- the entry points ---- */

/* ---- finding frames again after a hole ---- */

enum candidate { CAND_NO, CAND_MAYBE, CAND_YES };

/* Could b[0] be the first byte of an MQTT control packet (the flags the
 * type requires, MQTT 5.0 s2.1.3)? */
static bool mqtt_header_plausible(uint8_t b0)
{
    uint8_t type = b0 >> 4, flags = b0 & 0x0F;
    if (type == 0)
        return false;
    if (type == 3)
        return true; /* PUBLISH: DUP, QoS, RETAIN */
    return flags == ((type == 6 || type == 8 || type == 10) ? 2 : 0);
}

/* Are the first two bytes of a header what direction dir sends: the mask
 * bit it uses (5.1), no RSV bit without an extension, an opcode MQTT over
 * WebSocket uses (binary, continuation within a message, control)? */
static bool header_start_plausible(const struct ws_conn *ws, int dir,
                                   const uint8_t b[2], bool in_message)
{
    uint8_t rsv = (uint8_t)((b[0] >> 4) & 0x7), op = b[0] & 0x0F;
    if ((rsv && !(rsv == 0x4 && ws->rsv1_allowed)) || ((b[1] & 0x80) != 0) != (dir == 0))
        return false;
    if (op == WS_OP_CONT)
        return in_message;
    if (op == WS_OP_BINARY)
        return !in_message;
    if (op == WS_OP_CLOSE || op == WS_OP_PING || op == WS_OP_PONG)
        return (b[0] & 0x80) && (b[1] & 0x7F) <= WS_CTRL_MAX;
    return false;
}

/* The MQTT fixed header at the start of a binary frame's payload p[0..n)
 * (unmasked with mask): a plausible first byte and a Remaining Length
 * (read by the parser library, within this frame) that fits a final frame
 * of `len` bytes; *exact: the packet fills the frame. */
static enum candidate mqtt_start(const uint8_t *p, size_t n, const uint8_t mask[4],
                                 uint64_t len, bool fin, bool *exact)
{
    uint8_t hdr[5]; /* the type byte, at most four length bytes (s1.5.5) */
    size_t m = n < sizeof hdr ? n : sizeof hdr;
    if (m > len)
        m = (size_t)len;
    *exact = false;
    if (m == 0)
        return CAND_MAYBE;
    unmask(hdr, p, m, mask, 0);
    if (!mqtt_header_plausible(hdr[0]))
        return CAND_NO;
    mqd_fixed_header h;
    mqd_result r = mqd_fixed_header_read(hdr, m, &h);
    if (r.status == MQD_NEED_MORE) /* past this frame: not judged */
        return m == len ? CAND_NO : CAND_MAYBE;
    if (r.status != MQD_OK)
        return CAND_NO; /* a fifth length byte */
    *exact = fin && r.size == len;
    return !fin || r.size <= len ? CAND_YES : CAND_NO;
}

/* Could a frame of direction dir start at b[0..n)? CAND_MAYBE: not enough
 * bytes to tell. *size: the frame's header and payload bytes; *exact: a
 * binary frame holding exactly one MQTT packet. A resync starts at a binary
 * frame that begins an MQTT packet, or at a control frame, never inside a
 * message. */
static enum candidate frame_candidate(const struct ws_conn *ws, int dir,
                                      const uint8_t *b, size_t n, uint64_t *size,
                                      bool *exact)
{
    *exact = false;
    if (n < 2)
        return CAND_MAYBE;
    if (!header_start_plausible(ws, dir, b, false))
        return CAND_NO;
    uint8_t h = header_size(b);
    if (n < h)
        return CAND_MAYBE;
    struct ws_frame f;
    memset(&f, 0, sizeof f);
    memcpy(f.hdr, b, h);
    f.hdr_len = h;
    decode_header(&f);
    if (f.len > ((uint64_t)1 << 32))
        return CAND_NO;
    *size = h + f.len;
    if (f.opcode != WS_OP_BINARY)
        return CAND_YES;
    if (f.len == 0)
        return CAND_NO;
    return mqtt_start(b + h, n - h, f.mask, f.len, f.fin, exact);
}

/* Where a frame starts in the window b[0..n). CAND_YES: at *pos; CAND_MAYBE:
 * *pos is the first place that needs more bytes to tell (none before it
 * can be); CAND_NO: nowhere.
 *
 * Noise makes short frames easily, so a frame that fits the window with
 * room to spare must be followed by a plausible header; a longer one is
 * taken only when it holds exactly one MQTT packet (its Remaining Length
 * ends the frame). Decisions depend on the bytes only, never on how many
 * happen to be in view, so any chunking finds the same frame. */
#define RESYNC_FOLLOWED (WS_RESYNC_WINDOW - 32)

static enum candidate find_frame(const struct ws_conn *ws, int dir,
                                 const uint8_t *b, size_t n, size_t *pos)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t size = 0, next_size = 0;
        bool exact = false, next_exact = false;
        enum candidate c = frame_candidate(ws, dir, b + i, n - i, &size, &exact);
        *pos = i;
        if (c == CAND_MAYBE)
            return CAND_MAYBE;
        if (c == CAND_NO)
            continue;
        if (size > RESYNC_FOLLOWED) {
            if (exact)
                return CAND_YES;
            continue;
        }
        if (size + 2 > n - i)
            return CAND_MAYBE;
        const uint8_t *next = b + i + size;
        size_t nnext = n - i - (size_t)size;
        bool open_message = (b[i] & 0x0F) == WS_OP_BINARY && !(b[i] & 0x80);
        c = open_message ? (header_start_plausible(ws, dir, next, true) ? CAND_YES : CAND_NO)
                         : frame_candidate(ws, dir, next, nnext, &next_size, &next_exact);
        if (c != CAND_NO)
            return c;
    }
    *pos = n;
    return CAND_NO;
}

void ws_gap(struct ws_conn *ws, int dir, uint64_t len)
{
    struct ws_dir *d = &ws->dir[dir & 1];
    if (d->state == DS_PAYLOAD && len < d->left) {
        /* The hole is inside a payload: the frame's length says where it
         * ends, so the framing is not lost (and the mask goes on). */
        d->left -= len;
        d->pos += len;
        d->offset += len;
        return;
    }
    if (d->state == DS_HTTP || d->state == DS_DEAD) {
        d->state = DS_DEAD; /* a hole in the handshake: nothing to go on */
    } else {
        d->state = DS_RESYNC;
        d->resync_len = 0;
        d->resync_skipped = 0;
        d->in_message = false;
    }
    d->offset += len;
    d->resync_base = d->offset;
}

void ws_start_midstream(struct ws_conn *ws)
{
    ws_init(ws);
    ws->hs_state = WS_HS_OPEN;
    for (int i = 0; i < 2; i++)
        ws->dir[i].state = DS_RESYNC;
}

/* Drops the first n bytes of the search window. */
static void resync_drop(struct ws_dir *d, size_t n)
{
    memmove(d->resync, d->resync + n, d->resync_len - n);
    d->resync_len -= n;
    d->resync_base += n;
    d->resync_skipped += n;
}

/* Takes bytes into the search window; when a frame is found, decoding
 * resumes there with the window's bytes from it. Returns the bytes used
 * (the caller counts them into d->offset). */
static size_t feed_resync(struct ws_conn *ws, int dir, const uint8_t *data,
                          size_t len, ws_cb cb, void *ctx)
{
    struct ws_dir *d = &ws->dir[dir];
    size_t take = WS_RESYNC_WINDOW - d->resync_len;
    if (take > len)
        take = len;
    memcpy(d->resync + d->resync_len, data, take);
    d->resync_len += take;
    size_t at = 0;
    enum candidate c = find_frame(ws, dir, d->resync, d->resync_len, &at);
    if (c != CAND_YES) {
        /* Nothing before `at` can start a frame. A window of maybes
         * cannot happen (a header and a byte fit); give up a byte then. */
        resync_drop(d, at == 0 && d->resync_len == WS_RESYNC_WINDOW ? 1 : at);
        return take;
    }
    struct ws_event ev = {.kind = WS_EV_RESYNC, .dir = dir,
                          .offset = d->resync_base + at,
                          .skipped = d->resync_skipped + at};
    emit(cb, ctx, &ev);
    /* Read the frame from its first byte: the window's bytes again. */
    uint8_t held[WS_RESYNC_WINDOW];
    size_t nheld = d->resync_len - at;
    memcpy(held, d->resync + at, nheld);
    d->state = DS_HDR;
    d->cur.hdr_len = 0;
    d->need = 2;
    d->resync_len = 0;
    d->trial = 3;
    d->offset = d->resync_base + at;
    ws_feed(ws, dir, held, nheld, cb, ctx);
    /* That moved d->offset past the window, which ends `take` bytes after
     * where the caller counts from. */
    d->offset -= take;
    return take;
}

/* A frame read just after a resync that breaks the rules means the resync
 * was wrong: the search goes on from the byte after that frame's first. */
static bool resync_rejects(struct ws_conn *ws, int dir)
{
    struct ws_dir *d = &ws->dir[dir];
    struct ws_frame *f = &d->cur;
    if (header_start_plausible(ws, dir, f->hdr, d->in_message))
        return false;
    d->state = DS_RESYNC;
    d->trial = 0;
    d->resync_len = (size_t)f->hdr_len - 1;
    memcpy(d->resync, f->hdr + 1, d->resync_len);
    d->resync_base = f->offset + 1;
    d->resync_skipped += 1;
    f->hdr_len = 0;
    return true;
}

void ws_init(struct ws_conn *ws)
{
    memset(ws, 0, sizeof *ws);
    ws->hs_state = WS_HS_REQUEST;
    for (int i = 0; i < 2; i++)
        ws->dir[i].state = DS_HTTP;
}

/* May this direction decode frames yet? The client may send frames right
 * after its request; the server's come after its response. */
static bool frames_allowed(const struct ws_conn *ws, int dir)
{
    if (ws->hs_state == WS_HS_OPEN)
        return true;
    return dir == 0 && ws->hs_state == WS_HS_RESPONSE;
}

void ws_feed(struct ws_conn *ws, int dir, const uint8_t *data, size_t len,
             ws_cb cb, void *ctx)
{
    struct ws_dir *d = &ws->dir[dir & 1];
    dir &= 1;
    while (len > 0) {
        if (ws->hs_state == WS_HS_NOT_WS || ws->hs_state == WS_HS_FAILED)
            d->state = DS_DEAD;
        size_t used;
        switch (d->state) {
        case DS_HTTP:
            if (dir == 1 && ws->hs_state == WS_HS_REQUEST) {
                /* The server spoke before any request: not a handshake. */
                ws->hs_state = WS_HS_NOT_WS;
                return;
            }
            used = feed_http(ws, dir, data, len, cb, ctx);
            break;
        case DS_HDR:
            if (!frames_allowed(ws, dir))
                return; /* nothing to decode (the handshake failed) */
            used = feed_header(ws, dir, data, len, cb, ctx);
            break;
        case DS_PAYLOAD:
            used = feed_payload(ws, dir, data, len, cb, ctx);
            break;
        case DS_RESYNC:
            used = feed_resync(ws, dir, data, len, cb, ctx);
            break;
        default:
            return;
        }
        d->offset += used;
        data += used;
        len -= used;
    }
}

