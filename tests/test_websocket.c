/* The WebSocket layer (cli/websocket.c): SHA-1 and the accept key, the
 * handshake, frame headers with 7/16/64-bit lengths, masking, fragmentation,
 * control frames inside fragmented messages, violations; every input is fed
 * whole, in every two-piece split and one byte at a time, and must give the
 * same event log. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "transport/websocket.h"
#include "transport/ws_accept.h"
#include "util/sha1.h"

/* ---- building frames ---- */

struct buf {
    uint8_t b[300000];
    size_t len;
};

static void put(struct buf *o, const void *p, size_t n)
{
    assert_true(o->len + n <= sizeof o->b);
    memcpy(o->b + o->len, p, n);
    o->len += n;
}

/* form: 7, 16 or 64 (the length encoding to use, even when not minimal). */
static void frame(struct buf *o, bool fin, uint8_t rsv, uint8_t opcode,
                  const uint8_t *mask, const uint8_t *payload, size_t len, int form)
{
    uint8_t h[14];
    size_t n = 0;
    h[n++] = (uint8_t)((fin ? 0x80 : 0) | (rsv << 4) | opcode);
    uint8_t m = mask ? 0x80 : 0;
    if (form == 7) {
        h[n++] = (uint8_t)(m | len);
    } else if (form == 16) {
        h[n++] = m | 126;
        h[n++] = (uint8_t)(len >> 8);
        h[n++] = (uint8_t)len;
    } else {
        h[n++] = m | 127;
        for (int i = 7; i >= 0; i--)
            h[n++] = (uint8_t)((uint64_t)len >> (8 * i));
    }
    if (mask) {
        memcpy(h + n, mask, 4);
        n += 4;
    }
    put(o, h, n);
    for (size_t i = 0; i < len; i++) {
        uint8_t c = payload[i] ^ (mask ? mask[i & 3] : 0);
        put(o, &c, 1);
    }
}

static const uint8_t MASK[4] = {0x37, 0xfa, 0x21, 0x3d};

/* ---- the recorder ---- */

struct rec {
    char log[8192];
    size_t len;
    uint8_t data[2][300000];
    size_t data_len[2];
};

static void logf_(struct rec *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(r->log + r->len, sizeof r->log - r->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        r->len += (size_t)n;
    if (r->len >= sizeof r->log)
        r->len = sizeof r->log - 1;
}

static void on_event(void *ctx, const struct ws_event *ev)
{
    struct rec *r = ctx;
    switch (ev->kind) {
    case WS_EV_REQUEST:
        logf_(r, "request path=%s proto=%s\n", ev->hs->path, ev->hs->protocol);
        break;
    case WS_EV_RESPONSE:
        logf_(r, "response %u accept_ok=%d\n", ev->hs->status, ev->hs->accept_ok);
        break;
    case WS_EV_FRAME:
        logf_(r, "d%d frame@%llu fin=%d op=%u masked=%d len=%llu msg=%u\n", ev->dir,
              (unsigned long long)ev->offset, ev->frame->fin, ev->frame->opcode,
              ev->frame->masked, (unsigned long long)ev->frame->len,
              ev->frame->msg_opcode);
        break;
    case WS_EV_DATA:
        assert_true(r->data_len[ev->dir] + ev->len <= sizeof r->data[0]);
        memcpy(r->data[ev->dir] + r->data_len[ev->dir], ev->data, ev->len);
        r->data_len[ev->dir] += ev->len;
        break;
    case WS_EV_CONTROL:
        logf_(r, "d%d %s len=%zu code=%u\n", ev->dir, ws_opcode_name(ev->frame->opcode),
              ev->len, ev->close_code);
        break;
    case WS_EV_VIOLATION:
        logf_(r, "d%d violation %s\n", ev->dir, ev->rule);
        break;
    case WS_EV_RESYNC:
        logf_(r, "d%d resync@%llu skipped=%llu\n", ev->dir,
              (unsigned long long)ev->offset, (unsigned long long)ev->skipped);
        break;
    default:
        break;
    }
}

static const char REQUEST[] =
    "GET /mqtt HTTP/1.1\r\nHost: broker\r\nUpgrade: websocket\r\n"
    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Protocol: mqtt\r\nSec-WebSocket-Version: 13\r\n\r\n";
static const char RESPONSE[] =
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
    "Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
    "Sec-WebSocket-Protocol: mqtt\r\n\r\n";

/* Feeds the handshake, then dir's bytes in pieces of `chunk` (0: whole),
 * or split at `split`. */
static void run(struct rec *r, int dir, const struct buf *in, size_t chunk,
                size_t split)
{
    static struct ws_conn ws;
    memset(r, 0, sizeof *r);
    ws_init(&ws);
    ws_feed(&ws, 0, (const uint8_t *)REQUEST, strlen(REQUEST), on_event, r);
    ws_feed(&ws, 1, (const uint8_t *)RESPONSE, strlen(RESPONSE), on_event, r);
    assert_int_equal(ws_handshake_state(&ws), WS_HS_OPEN);
    if (split) {
        ws_feed(&ws, dir, in->b, split, on_event, r);
        ws_feed(&ws, dir, in->b + split, in->len - split, on_event, r);
    } else if (chunk) {
        for (size_t i = 0; i < in->len; i += chunk)
            ws_feed(&ws, dir, in->b + i, in->len - i < chunk ? in->len - i : chunk,
                    on_event, r);
    } else {
        ws_feed(&ws, dir, in->b, in->len, on_event, r);
    }
}

/* Every chunking gives the log and data of the whole feed. */
static void check_all_chunkings(int dir, const struct buf *in, const char *want_log,
                                const uint8_t *want_data, size_t want_len)
{
    static struct rec whole, part;
    run(&whole, dir, in, 0, 0);
    if (want_log)
        assert_string_equal(whole.log, want_log);
    assert_int_equal(whole.data_len[dir], want_len);
    if (want_len)
        assert_memory_equal(whole.data[dir], want_data, want_len);
    size_t step = in->len > 4000 ? 997 : 1;
    for (size_t split = 1; split < in->len; split += step) {
        run(&part, dir, in, 0, split);
        assert_string_equal(part.log, whole.log);
        assert_int_equal(part.data_len[dir], want_len);
        assert_memory_equal(part.data[dir], want_data, want_len);
    }
    size_t chunks[] = {1, 2, 3, 7, 1448};
    for (size_t i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
        if (in->len > 20000 && chunks[i] < 7)
            continue;
        run(&part, dir, in, chunks[i], 0);
        assert_string_equal(part.log, whole.log);
        assert_memory_equal(part.data[dir], want_data, want_len);
    }
}

/* ---- tests ---- */

static void hex(const uint8_t *d, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", d[i]);
}

static void test_sha1_vectors(void **state)
{
    (void)state;
    uint8_t d[20];
    char h[41];
    sha1((const uint8_t *)"", 0, d);
    hex(d, 20, h);
    assert_string_equal(h, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    sha1((const uint8_t *)"abc", 3, d);
    hex(d, 20, h);
    assert_string_equal(h, "a9993e364706816aba3e25717850c26c9cd0d89d");
    const char *s56 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    sha1((const uint8_t *)s56, strlen(s56), d);
    hex(d, 20, h);
    assert_string_equal(h, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    static uint8_t million[1000000];
    memset(million, 'a', sizeof million);
    sha1(million, sizeof million, d);
    hex(d, 20, h);
    assert_string_equal(h, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

static void test_accept_key(void **state)
{
    (void)state;
    char out[29];
    /* RFC 6455 1.3's example. */
    ws_accept_for_key("dGhlIHNhbXBsZSBub25jZQ==", out);
    assert_string_equal(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    assert_true(ws_handshake_protocol_is_mqtt("mqtt"));
    assert_true(ws_handshake_protocol_is_mqtt("foo, MQTTv3.1"));
    assert_false(ws_handshake_protocol_is_mqtt("mqttx, wamp"));
    assert_false(ws_handshake_protocol_is_mqtt(""));
}

static void test_handshake_events(void **state)
{
    (void)state;
    static struct rec r;
    struct buf *in = calloc(1, sizeof *in);
    run(&r, 0, in, 0, 0);
    assert_string_equal(r.log, "request path=/mqtt proto=mqtt\nresponse 101 accept_ok=1\n");
    free(in);
}

static void test_bad_handshakes(void **state)
{
    (void)state;
    static struct rec r;
    struct ws_conn *ws = malloc(sizeof *ws);

    /* No key, a wrong accept. */
    memset(&r, 0, sizeof r);
    ws_init(ws);
    const char *req = "GET / HTTP/1.1\r\nUpgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\n"
                      "Sec-WebSocket-Version: 13\r\n\r\n";
    const char *resp = "HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: upgrade\r\n"
                       "Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n";
    ws_feed(ws, 0, (const uint8_t *)req, strlen(req), on_event, &r);
    ws_feed(ws, 1, (const uint8_t *)resp, strlen(resp), on_event, &r);
    assert_string_equal(r.log, "request path=/ proto=\n"
                               "d0 violation RFC6455-4.1-missing-key\n"
                               "response 101 accept_ok=0\n"
                               "d1 violation RFC6455-4.1-bad-accept\n");
    assert_int_equal(ws_handshake_state(ws), WS_HS_OPEN);

    /* No 101: frames are not decoded. */
    memset(&r, 0, sizeof r);
    ws_init(ws);
    const char *no101 = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n\x82\x00";
    ws_feed(ws, 0, (const uint8_t *)REQUEST, strlen(REQUEST), on_event, &r);
    ws_feed(ws, 1, (const uint8_t *)no101, strlen(no101) + 0, on_event, &r);
    assert_string_equal(r.log, "request path=/mqtt proto=mqtt\nresponse 400 accept_ok=0\n"
                               "d1 violation RFC6455-4.1-no-101\n");
    assert_int_equal(ws_handshake_state(ws), WS_HS_FAILED);

    /* Plain HTTP is not a WebSocket. */
    memset(&r, 0, sizeof r);
    ws_init(ws);
    const char *plain = "GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n";
    ws_feed(ws, 0, (const uint8_t *)plain, strlen(plain), on_event, &r);
    assert_string_equal(r.log, "");
    assert_int_equal(ws_handshake_state(ws), WS_HS_NOT_WS);

    /* A header block that never ends. */
    memset(&r, 0, sizeof r);
    ws_init(ws);
    static char big[WS_HTTP_MAX + 100];
    memset(big, 'x', sizeof big);
    memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
    ws_feed(ws, 0, (const uint8_t *)big, sizeof big, on_event, &r);
    assert_string_equal(r.log, "d0 violation MQD-ws-http-too-long\n");
    assert_int_equal(ws_handshake_state(ws), WS_HS_FAILED);
    free(ws);
}

static void test_lengths_and_masking(void **state)
{
    (void)state;
    struct buf *in = calloc(1, sizeof *in);
    static uint8_t payload[70000], want[250000];
    for (size_t i = 0; i < sizeof payload; i++)
        payload[i] = (uint8_t)(i * 7 + 3);
    size_t wl = 0;
    /* 7-bit (0, 1, 125), 16-bit (126, 65535), 64-bit (65536, 70000). */
    size_t lens[] = {0, 1, 125, 126, 65535, 65536, 70000};
    int forms[] = {7, 7, 7, 16, 16, 64, 64};
    for (size_t i = 0; i < 7; i++) {
        frame(in, true, 0, WS_OP_BINARY, MASK, payload, lens[i], forms[i]);
        memcpy(want + wl, payload, lens[i]);
        wl += lens[i];
    }
    check_all_chunkings(0, in, NULL, want, wl);
    static struct rec r;
    run(&r, 0, in, 0, 0);
    assert_null(strstr(r.log, "violation"));
    assert_non_null(strstr(r.log, "len=65536"));
    free(in);
}

static void test_server_unmasked_frames(void **state)
{
    (void)state;
    struct buf *in = calloc(1, sizeof *in);
    const uint8_t mqtt[] = {0x20, 0x02, 0x00, 0x00, 0xd0, 0x00};
    frame(in, true, 0, WS_OP_BINARY, NULL, mqtt, 4, 7);
    frame(in, true, 0, WS_OP_BINARY, NULL, mqtt + 4, 2, 7);
    check_all_chunkings(1, in,
                        "request path=/mqtt proto=mqtt\nresponse 101 accept_ok=1\n"
                        "d1 frame@159 fin=1 op=2 masked=0 len=4 msg=2\n"
                        "d1 frame@165 fin=1 op=2 masked=0 len=2 msg=2\n",
                        mqtt, sizeof mqtt);
    free(in);
}

/* A message in three fragments with a ping and a pong between them. */
static void test_fragmented_with_control(void **state)
{
    (void)state;
    struct buf *in = calloc(1, sizeof *in);
    uint8_t msg[300];
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (uint8_t)i;
    frame(in, false, 0, WS_OP_BINARY, MASK, msg, 100, 7);
    frame(in, true, 0, WS_OP_PING, MASK, (const uint8_t *)"hi", 2, 7);
    frame(in, false, 0, WS_OP_CONT, MASK, msg + 100, 150, 16);
    frame(in, true, 0, WS_OP_PONG, MASK, NULL, 0, 7);
    frame(in, true, 0, WS_OP_CONT, MASK, msg + 250, 50, 7);
    const uint8_t close[] = {0x03, 0xe8, 'b', 'y', 'e'};
    frame(in, true, 0, WS_OP_CLOSE, MASK, close, sizeof close, 7);
    check_all_chunkings(0, in,
                        "request path=/mqtt proto=mqtt\nresponse 101 accept_ok=1\n"
                        "d0 frame@179 fin=0 op=2 masked=1 len=100 msg=2\n"
                        "d0 frame@285 fin=1 op=9 masked=1 len=2 msg=0\n"
                        "d0 ping len=2 code=0\n"
                        "d0 frame@293 fin=0 op=0 masked=1 len=150 msg=2\n"
                        "d0 frame@451 fin=1 op=10 masked=1 len=0 msg=0\n"
                        "d0 pong len=0 code=0\n"
                        "d0 frame@457 fin=1 op=0 masked=1 len=50 msg=2\n"
                        "d0 frame@513 fin=1 op=8 masked=1 len=5 msg=0\n"
                        "d0 close len=5 code=1000\n",
                        msg, sizeof msg);
    free(in);
}

static void test_violations(void **state)
{
    (void)state;
    struct buf *in = calloc(1, sizeof *in);
    const uint8_t p[3] = {1, 2, 3};
    frame(in, true, 0, WS_OP_BINARY, NULL, p, 3, 7);     /* client unmasked */
    frame(in, true, 0, WS_OP_TEXT, MASK, p, 3, 7);       /* text */
    frame(in, true, 4, WS_OP_BINARY, MASK, p, 3, 7);     /* RSV1 */
    frame(in, true, 0, 0x3, MASK, p, 3, 7);              /* reserved opcode */
    frame(in, true, 0, WS_OP_CONT, MASK, p, 3, 7);       /* stray continuation */
    frame(in, true, 0, WS_OP_BINARY, MASK, p, 3, 16);    /* not minimal */
    frame(in, false, 0, WS_OP_PING, MASK, p, 3, 7);      /* fragmented control */
    frame(in, false, 0, WS_OP_BINARY, MASK, p, 1, 7);
    frame(in, true, 0, WS_OP_BINARY, MASK, p + 1, 2, 7); /* expected continuation */
    static uint8_t big[200];
    frame(in, true, 0, WS_OP_PING, MASK, big, 200, 16);  /* control too long */
    frame(in, true, 0, WS_OP_CLOSE, MASK, p, 1, 7);      /* 1-byte close */
    frame(in, true, 0, WS_OP_BINARY, MASK, p, 3, 7);     /* data after close */
    static struct rec r;
    run(&r, 0, in, 0, 0);
    const char *want[] = {
        "RFC6455-5.1-client-unmasked", "MQTT-6.0.0-1", "RFC6455-5.2-rsv",
        "RFC6455-5.2-reserved-opcode", "RFC6455-5.4-unexpected-continuation",
        "RFC6455-5.2-length-not-minimal", "RFC6455-5.5-control-fragmented",
        "RFC6455-5.4-expected-continuation", "RFC6455-5.5-control-length",
        "RFC6455-5.5.1-close-length", "RFC6455-5.5.1-data-after-close",
    };
    const char *at = r.log;
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const char *hit = strstr(at, want[i]);
        if (!hit)
            fail_msg("missing %s in\n%s", want[i], r.log);
        at = hit;
    }
    /* Data frames reach the data stream, reserved opcodes do not: seven of
     * 3 bytes, the fragmented pair of 1 + 2. */
    assert_int_equal(r.data_len[0], 3 * 7);
    check_all_chunkings(0, in, r.log, r.data[0], r.data_len[0]);

    /* Server side: a masked frame. */
    struct buf *s = calloc(1, sizeof *s);
    frame(s, true, 0, WS_OP_BINARY, MASK, p, 3, 7);
    run(&r, 1, s, 0, 0);
    assert_non_null(strstr(r.log, "d1 violation RFC6455-5.1-server-masked"));
    assert_memory_equal(r.data[1], p, 3);
    free(s);
    free(in);
}

/* Feeds in[0..cut), loses in[cut..resume) (ws_gap), then feeds the rest
 * in pieces of `chunk`. */
static void run_with_hole(struct rec *r, int dir, const struct buf *in, size_t cut,
                          size_t resume, size_t chunk)
{
    static struct ws_conn ws;
    memset(r, 0, sizeof *r);
    ws_init(&ws);
    ws_feed(&ws, 0, (const uint8_t *)REQUEST, strlen(REQUEST), on_event, r);
    ws_feed(&ws, 1, (const uint8_t *)RESPONSE, strlen(RESPONSE), on_event, r);
    ws_feed(&ws, dir, in->b, cut, on_event, r);
    (void)ws_gap(&ws, dir, resume - cut);
    for (size_t i = resume; i < in->len; i += chunk)
        ws_feed(&ws, dir, in->b + i, in->len - i < chunk ? in->len - i : chunk,
                on_event, r);
    assert_int_equal(ws.dir[dir].offset, (dir ? strlen(RESPONSE) : strlen(REQUEST)) +
                                             in->len);
}

/* Client frames of MQTT packets (PUBLISH, 40 bytes of payload that looks
 * like frame headers, then PUBACK-sized ones), the hole in various places. */
static void test_gap(void **state)
{
    (void)state;
    struct buf *in = calloc(1, sizeof *in);
    static struct rec r;
    uint8_t pub[44] = {0x30, 42, 0x00, 0x01, 't'};
    for (size_t i = 5; i < sizeof pub; i++) /* noise: headers of control frames */
        pub[i] = (uint8_t)(i & 1 ? 0x89 : 0x82);
    const uint8_t ack[4] = {0x40, 0x02, 0x00, 0x07};
    size_t starts[8];
    for (int i = 0; i < 8; i++) {
        starts[i] = in->len;
        if (i % 2 == 0)
            frame(in, true, 0, WS_OP_BINARY, MASK, pub, sizeof pub, 7);
        else
            frame(in, true, 0, WS_OP_BINARY, MASK, ack, sizeof ack, 7);
    }
    size_t hdr = 6; /* 2 + mask */
    /* Inside the second PUBLISH's payload: framing kept, no resync, every
     * frame after it read; the data misses exactly the hole. */
    size_t cut = starts[2] + hdr + 10, resume = starts[2] + hdr + 30;
    for (size_t chunk = 1; chunk <= 64; chunk *= 4) {
        run_with_hole(&r, 0, in, cut, resume, chunk);
        assert_null(strstr(r.log, "resync"));
        assert_null(strstr(r.log, "violation"));
        assert_int_equal(r.data_len[0], 4 * sizeof pub + 4 * sizeof ack - 20);
    }
    /* From the first PUBLISH's payload into the third frame's: framing is
     * searched for; the frames from the fourth on are read, nothing else
     * (the noise in the payloads is not taken for frames). */
    cut = starts[0] + hdr + 10;
    resume = starts[2] + hdr + 20;
    for (size_t chunk = 1; chunk <= 64; chunk *= 4) {
        run_with_hole(&r, 0, in, cut, resume, chunk);
        assert_null(strstr(r.log, "violation"));
        char want[64];
        snprintf(want, sizeof want, "d0 frame@%zu ", strlen(REQUEST) + starts[3]);
        const char *hit = strstr(r.log, want);
        if (!hit)
            fail_msg("no frame at the fourth start after the hole:\n%s", r.log);
        /* before it, only the frame read before the hole */
        assert_int_equal(r.data_len[0], 10 + 2 * sizeof pub + 3 * sizeof ack);
    }
    free(in);
}

/* The same from the server (frames unmasked, payload bytes seen as they
 * are): binary payloads of pseudo-random bytes, 1 KiB each, between small
 * frames; a hole from inside one into the middle of the next. */
static void test_gap_server_noise(void **state)
{
    (void)state;
    struct buf *in = calloc(1, sizeof *in);
    static struct rec r;
    static uint8_t pub[1029];
    pub[0] = 0x30;
    pub[1] = 0x82; /* remaining length 1026 */
    pub[2] = 0x08;
    uint32_t x = 12345;
    for (size_t i = 3; i < sizeof pub; i++) {
        x = x * 1103515245u + 12345u;
        pub[i] = (uint8_t)(x >> 16);
    }
    const uint8_t ack[4] = {0x40, 0x02, 0x00, 0x07};
    /* The last frames: a short frame is only taken when a plausible
     * header follows it, so the checked ones are never last. */
    size_t starts[14];
    for (int i = 0; i < 14; i++) {
        starts[i] = in->len;
        if (i % 2 == 0)
            frame(in, true, 0, WS_OP_BINARY, NULL, pub, sizeof pub, 16);
        else
            frame(in, true, 0, WS_OP_BINARY, NULL, ack, sizeof ack, 7);
    }
    size_t lost_frames = 0, runs = 0;
    for (size_t from = 0; from + 3 < 12; from += 2) { /* frames 3..11 checked */
        size_t cut = starts[from] + 4 + 100, resume = starts[from + 2] + 4 + 500;
        run_with_hole(&r, 1, in, cut, resume, 1448);
        runs++;
        char want[64];
        snprintf(want, sizeof want, "d1 frame@%zu ", strlen(RESPONSE) + starts[from + 3]);
        if (!strstr(r.log, want))
            lost_frames++;
        if (strstr(r.log, "violation"))
            fail_msg("from %zu:\n%s", from, r.log);
    }
    /* The ack right after the hole's end is found every time. */
    assert_int_equal(lost_frames, 0);
    assert_true(runs == 5);
    free(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha1_vectors),
        cmocka_unit_test(test_accept_key),
        cmocka_unit_test(test_handshake_events),
        cmocka_unit_test(test_bad_handshakes),
        cmocka_unit_test(test_lengths_and_masking),
        cmocka_unit_test(test_server_unmasked_frames),
        cmocka_unit_test(test_fragmented_with_control),
        cmocka_unit_test(test_violations),
        cmocka_unit_test(test_gap),
        cmocka_unit_test(test_gap_server_noise),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
