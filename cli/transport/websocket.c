/* MQTT over WebSocket: the RFC 6455 frame layer, decoded incrementally per
 * direction, with the header blocks of the handshake collected (and read by
 * ws_handshake.c) and frames found again after a hole. See websocket.h. */
#include "transport/websocket.h"

#include <string.h>

#include "mqttdissect/frame.h"
#include "util/wire.h"

enum dir_state { DS_HTTP, DS_HDR, DS_PAYLOAD, DS_RESYNC, DS_DEAD };

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

/* ---- the HTTP handshake (RFC 6455 section 4; ws_handshake.h) ---- */

/* A handshake check failed: a violation of direction dir. */
struct hs_bad_ctx {
    ws_cb cb;
    void *ctx;
    int dir;
};

static void hs_bad(void *ctx, const char *rule, const char *message)
{
    const struct hs_bad_ctx *b = ctx;
    violation(b->cb, b->ctx, b->dir, 0, rule, message);
}

static void check_request(struct ws_conn *ws, ws_cb cb, void *ctx)
{
    struct ws_handshake *hs = &ws->req;
    if (!hs->is_get || !hs->upgrade_ws) {
        ws->hs_state = WS_HS_NOT_WS;
        return;
    }
    struct ws_event ev = {.kind = WS_EV_REQUEST, .dir = 0, .hs = hs};
    emit(cb, ctx, &ev);
    struct hs_bad_ctx bad = {cb, ctx, 0};
    ws_handshake_check_request(hs, hs_bad, &bad);
    ws->hs_state = WS_HS_RESPONSE;
}

static void check_response(struct ws_conn *ws, ws_cb cb, void *ctx)
{
    struct ws_handshake *hs = &ws->resp;
    ws_handshake_verify_accept(hs, &ws->req);
    struct ws_event ev = {.kind = WS_EV_RESPONSE, .dir = 1, .hs = hs};
    emit(cb, ctx, &ev);
    struct hs_bad_ctx bad = {cb, ctx, 1};
    if (!ws_handshake_check_response(hs, &ws->req, hs_bad, &bad)) {
        ws->hs_state = WS_HS_FAILED;
        return;
    }
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
            ws_handshake_parse(&ws->req, d->http, end, true);
            check_request(ws, cb, ctx);
        } else {
            ws_handshake_parse(&ws->resp, d->http, end, false);
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
    /* The type byte alone: the library scores it 0 when the type is
     * reserved or its flags are not what the type requires (MQTT 5.0
     * s2.1.3, a PUBLISH with QoS 3 included). */
    if (mqd_frame_plausibility(hdr, 1, MQD_V5) == 0)
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

/* Frames are looked for again from here (or, in the handshake, nothing
 * can be). */
static void lose_framing(struct ws_dir *d)
{
    if (d->state == DS_HTTP || d->state == DS_DEAD) {
        d->state = DS_DEAD; /* a hole in the handshake: nothing to go on */
    } else {
        d->state = DS_RESYNC;
        d->resync_len = 0;
        d->resync_skipped = 0;
        d->in_message = false;
    }
    d->resync_base = d->offset;
}

bool ws_gap(struct ws_conn *ws, int dir, uint64_t len)
{
    struct ws_dir *d = &ws->dir[dir & 1];
    if (d->state == DS_PAYLOAD && len < d->left) {
        /* The hole is inside a payload: the frame's length says where it
         * ends, so the framing is not lost (and the mask goes on). */
        d->left -= len;
        d->pos += len;
        d->offset += len;
        return true;
    }
    d->offset += len;
    lose_framing(d);
    return false;
}

void ws_lost(struct ws_conn *ws, int dir)
{
    lose_framing(&ws->dir[dir & 1]);
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

