/* Connection classification (cli/transport/classify.c): first bytes
 * (CONNECT, HTTP GET, ClientHello), the mid-stream frame chain; and routing
 * (cli/transport/transport.c): whole connections through transport_data
 * with a recording sink. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "transport/classify.h"
#include "transport/transport.h"

/* ---- first bytes ---- */

static void test_first_bytes(void **state)
{
    (void)state;
    const uint8_t c311[] = {0x10, 0x10, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02};
    const uint8_t c31[] = {0x10, 0x12, 0x00, 0x06, 'M', 'Q', 'I', 's', 'd', 'p', 3};
    const uint8_t c_longlen[] = {0x10, 0x80, 0x80, 0x01, 0x00, 0x04, 'M', 'Q', 'T', 'T'};
    const uint8_t c_bad[] = {0x10, 0x10, 0x00, 0x04, 'M', 'Q', 'X', 'X'};
    const uint8_t c_rl5[] = {0x10, 0x80, 0x80, 0x80, 0x80, 0x01};
    const uint8_t tls[] = {22, 3, 1, 0, 200, 1, 0, 0, 196};
    const uint8_t ssh[] = "SSH-2.0-OpenSSH_9.0\r\n";
    assert_int_equal(classify_first_bytes(c311, sizeof c311), CLASSIFY_CONNECT);
    assert_int_equal(classify_first_bytes(c31, sizeof c31), CLASSIFY_CONNECT);
    assert_int_equal(classify_first_bytes(c_longlen, sizeof c_longlen), CLASSIFY_CONNECT);
    assert_int_equal(classify_first_bytes(c_bad, sizeof c_bad), CLASSIFY_NONE);
    assert_int_equal(classify_first_bytes(c_rl5, sizeof c_rl5), CLASSIFY_NONE);
    assert_int_equal(classify_first_bytes(tls, sizeof tls), CLASSIFY_TLS_HELLO);
    assert_int_equal(classify_first_bytes((const uint8_t *)"GET /mqtt", 9), CLASSIFY_HTTP_GET);
    assert_int_equal(classify_first_bytes(ssh, sizeof ssh - 1), CLASSIFY_NONE);
    assert_int_equal(classify_first_bytes((const uint8_t *)"POST /", 6), CLASSIFY_NONE);
    /* Every proper prefix of a yes is "more", never a wrong answer. */
    for (size_t n = 0; n < 8; n++)
        assert_int_equal(classify_first_bytes(c311, n), CLASSIFY_MORE);
    for (size_t n = 0; n < 10; n++)
        assert_int_equal(classify_first_bytes(c31, n), CLASSIFY_MORE);
    for (size_t n = 0; n < 4; n++)
        assert_int_equal(classify_first_bytes((const uint8_t *)"GET ", n), CLASSIFY_MORE);
    assert_int_equal(classify_first_bytes(tls, 5), CLASSIFY_MORE);
}

/* ---- the mid-stream chain ---- */

struct buf {
    uint8_t b[70000];
    size_t len;
};

static void put(struct buf *o, const void *p, size_t n)
{
    assert_true(o->len + n <= sizeof o->b);
    memcpy(o->b + o->len, p, n);
    o->len += n;
}

/* PUBLISH QoS 1 "t/x", id, payload of n bytes (n < 100). */
static void publish(struct buf *o, uint16_t id, size_t n)
{
    uint8_t h[] = {0x32, (uint8_t)(2 + 3 + 2 + n), 0, 3, 't', '/', 'x',
                   (uint8_t)(id >> 8), (uint8_t)id};
    put(o, h, sizeof h);
    for (size_t i = 0; i < n; i++) {
        uint8_t c = (uint8_t)('a' + i % 26);
        put(o, &c, 1);
    }
}

static void puback(struct buf *o, uint16_t id)
{
    uint8_t h[] = {0x40, 2, (uint8_t)(id >> 8), (uint8_t)id};
    put(o, h, sizeof h);
}

static void noise(struct buf *o, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        uint8_t c = (uint8_t)(seed >> 16);
        put(o, &c, 1);
    }
}

static void test_chain(void **state)
{
    (void)state;
    struct buf *b = calloc(1, sizeof *b);
    struct classify_scan scan = {0};
    size_t start = 99;
    /* Clean frames from the first byte. */
    publish(b, 1, 10);
    publish(b, 2, 11);
    publish(b, 3, 12);
    puback(b, 9);
    assert_int_equal(classify_frame_chain(b->b, b->len, &scan, false, &start), CHAIN_FOUND);
    assert_int_equal(start, 0);

    /* The tail of a large message first: the boundary is found after it. */
    for (uint32_t seed = 1; seed < 40; seed++) {
        b->len = 0;
        noise(b, 3000 + seed * 17, seed);
        size_t boundary = b->len;
        for (uint16_t id = 1; id <= 4; id++)
            publish(b, id, 8);
        classify_scan_reset(&scan);
        start = 0;
        enum classify_chain_result r = classify_frame_chain(b->b, b->len, &scan, false, &start);
        assert_int_equal(r, CHAIN_FOUND);
        assert_int_equal(start, boundary);
        /* The same bytes as they arrive, in pieces: the same boundary (the
         * offsets judged before are not judged again unless their bytes
         * came). */
        size_t len = 0, piece = 1 + seed * 37 % 200;
        classify_scan_reset(&scan);
        start = 0;
        do {
            len = len + piece < b->len ? len + piece : b->len;
            r = classify_frame_chain(b->b, len, &scan, false, &start);
        } while (r == CHAIN_MORE && len < b->len);
        assert_int_equal(r, CHAIN_FOUND);
        assert_int_equal(start, boundary);
    }

    /* Noise alone: never found, and with `final` ruled out. */
    b->len = 0;
    noise(b, 8000, 77);
    classify_scan_reset(&scan);
    assert_int_not_equal(classify_frame_chain(b->b, b->len, &scan, false, &start), CHAIN_FOUND);
    classify_scan_reset(&scan);
    assert_int_equal(classify_frame_chain(b->b, b->len, &scan, true, &start), CHAIN_NONE);

    /* Two frames: wait for more; at the end of the stream they do. */
    b->len = 0;
    puback(b, 1);
    puback(b, 2);
    classify_scan_reset(&scan);
    assert_int_equal(classify_frame_chain(b->b, b->len, &scan, false, &start), CHAIN_MORE);
    assert_int_equal(classify_frame_chain(b->b, b->len, &scan, true, &start), CHAIN_FOUND);
    assert_int_equal(start, 0);
    classify_scan_reset(&scan);
    free(b);
}

/* ---- whole connections through the transport ---- */

struct rec {
    char log[4096];
    size_t len;
    uint8_t mqtt[2][70000];
    size_t mqtt_len[2];
    uint64_t skipped[2];
    int classified;
    bool log_packets; /* log each piece and event with its packet's frame */
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

static void s_mqtt(void *ctx, int dir, const uint8_t *data, size_t len,
                   const struct pkt_info *pkt)
{
    struct rec *r = ctx;
    if (r->log_packets)
        logf_(r, "mqtt d%d %zu f%llu\n", dir, len,
              pkt ? (unsigned long long)pkt->frame : 0ull);
    assert_true(r->mqtt_len[dir] + len <= sizeof r->mqtt[0]);
    memcpy(r->mqtt[dir] + r->mqtt_len[dir], data, len);
    r->mqtt_len[dir] += len;
}

static void s_skip(void *ctx, int dir, uint64_t n)
{
    struct rec *r = ctx;
    r->skipped[dir] = n;
}

static void s_resync(void *ctx, int dir)
{
    logf_(ctx, "resync d%d\n", dir);
}

static void s_event(void *ctx, int dir, uint64_t off, const struct event_record *ev,
                    const struct pkt_info *pkt)
{
    struct rec *r = ctx;
    logf_(r, "event %s d%d @%llu", ev->name, dir, (unsigned long long)off);
    if (r->log_packets)
        logf_(r, " f%llu", pkt ? (unsigned long long)pkt->frame : 0ull);
    logf_(r, "\n");
}

static void s_classified(void *ctx, int kind)
{
    struct rec *r = ctx;
    r->classified = kind;
    logf_(r, "classified %d\n", kind);
}

static const struct transport_sink SINK_TEMPLATE = {NULL, s_mqtt, s_skip, s_resync,
                                                    s_event, s_classified, NULL};

static struct transport_cfg cfg_for(uint16_t port, bool midstream)
{
    struct transport_cfg c = {0};
    c.server_port = port;
    c.mqtt_port = port == 1883;
    c.tls_port = port == 8883;
    c.ws_port = transport_is_ws_port(port);
    c.heuristics = true;
    c.midstream = midstream;
    return c;
}

/* Feeds dir 0 bytes in pieces of `chunk`. */
static int feed(struct transport *t, struct rec *r, int dir, const uint8_t *d,
                size_t len, size_t chunk)
{
    struct transport_sink s = SINK_TEMPLATE;
    s.ctx = r;
    for (size_t i = 0; i < len && t->kind != TR_IGNORED; i += chunk)
        transport_data(t, dir, d + i, len - i < chunk ? len - i : chunk, NULL, &s);
    return t->kind;
}

static void test_connect_any_port(void **state)
{
    (void)state;
    const uint8_t c[] = {0x10, 0x0e, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02,
                         0x00, 0x3c, 0x00, 0x02, 'i', 'd', 0xc0, 0x00};
    size_t chunks[] = {1, 2, 5, sizeof c};
    for (size_t i = 0; i < 4; i++) {
        static struct rec r;
        memset(&r, 0, sizeof r);
        struct transport t;
        struct transport_cfg cfg = cfg_for(1884, false);
        transport_open(&t, &cfg);
        assert_int_equal(t.kind, TR_PENDING);
        assert_int_equal(feed(&t, &r, 0, c, sizeof c, chunks[i]), TR_MQTT);
        assert_int_equal(r.mqtt_len[0], sizeof c);
        assert_memory_equal(r.mqtt[0], c, sizeof c);
        assert_string_equal(transport_how_name(&t), "connect");
        assert_string_equal(r.log, "classified 2\nevent detected d0 @0\n");
        transport_free(&t);
    }
}

static void test_not_mqtt_is_dropped(void **state)
{
    (void)state;
    static struct rec r;
    struct transport t;
    struct transport_cfg cfg = cfg_for(22, false);
    const char *ssh = "SSH-2.0-OpenSSH_9.0\r\n";
    transport_open(&t, &cfg);
    assert_int_equal(feed(&t, &r, 0, (const uint8_t *)ssh, strlen(ssh), 3), TR_IGNORED);
    transport_free(&t);

    /* The server speaks first. */
    transport_open(&t, &cfg);
    assert_int_equal(feed(&t, &r, 1, (const uint8_t *)ssh, strlen(ssh), 100), TR_IGNORED);
    transport_free(&t);

    /* Plain HTTP on a WebSocket port. */
    cfg = cfg_for(8080, false);
    const char *http = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    transport_open(&t, &cfg);
    assert_int_equal(feed(&t, &r, 0, (const uint8_t *)http, strlen(http), 4), TR_IGNORED);
    transport_free(&t);

    /* A WebSocket for something else off the WebSocket ports. */
    cfg = cfg_for(5000, false);
    const char *chat = "GET /chat HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                       "Sec-WebSocket-Protocol: chat\r\nSec-WebSocket-Version: 13\r\n\r\n";
    transport_open(&t, &cfg);
    assert_int_equal(feed(&t, &r, 0, (const uint8_t *)chat, strlen(chat), 7), TR_IGNORED);
    transport_free(&t);

    /* Mid-stream on another port without heuristics: nothing to go on. On
     * a WebSocket port frames are searched for (not on 443, mostly TLS). */
    cfg = cfg_for(5000, true);
    cfg.heuristics = false;
    transport_open(&t, &cfg);
    assert_int_equal(t.kind, TR_IGNORED);
    transport_free(&t);
    cfg = cfg_for(8080, true);
    transport_open(&t, &cfg);
    assert_int_equal(t.kind, TR_WEBSOCKET);
    transport_free(&t);
    cfg = cfg_for(443, true);
    transport_open(&t, &cfg);
    assert_int_equal(t.kind, TR_IGNORED);
    transport_free(&t);
}

static void test_websocket_any_port(void **state)
{
    (void)state;
    static struct rec r;
    memset(&r, 0, sizeof r);
    struct transport t;
    struct transport_cfg cfg = cfg_for(5000, false);
    const char *req = "GET /mqtt HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                      "Sec-WebSocket-Protocol: mqttv3.1\r\nSec-WebSocket-Version: 13\r\n\r\n";
    const char *resp = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                       "Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
                       "Sec-WebSocket-Protocol: mqttv3.1\r\n\r\n";
    /* Server frames: CONNACK in two frames (one MQTT packet over two
     * WebSocket messages), then PINGRESP + PUBACK in one frame. */
    const uint8_t frames[] = {0x82, 0x02, 0x20, 0x02, 0x82, 0x02, 0x00, 0x00,
                              0x82, 0x06, 0xd0, 0x00, 0x40, 0x02, 0x00, 0x07};
    transport_open(&t, &cfg);
    feed(&t, &r, 0, (const uint8_t *)req, strlen(req), 5);
    assert_int_equal(t.kind, TR_WEBSOCKET);
    feed(&t, &r, 1, (const uint8_t *)resp, strlen(resp), 9);
    feed(&t, &r, 1, frames, sizeof frames, 3);
    const uint8_t want[] = {0x20, 0x02, 0x00, 0x00, 0xd0, 0x00, 0x40, 0x02, 0x00, 0x07};
    assert_int_equal(r.mqtt_len[1], sizeof want);
    assert_memory_equal(r.mqtt[1], want, sizeof want);
    assert_string_equal(r.log, "classified 3\nevent detected d0 @0\n");
    transport_free(&t);
}

/* Held bytes are replayed under the packets that brought them, and the
 * midstream record carries the packet of the first frame. */
static void test_midstream_packets(void **state)
{
    (void)state;
    struct buf *b = calloc(1, sizeof *b);
    noise(b, 100, 7);
    publish(b, 1, 3);
    size_t first = b->len;
    publish(b, 2, 3);
    publish(b, 3, 3);
    publish(b, 4, 3);
    static struct rec r;
    memset(&r, 0, sizeof r);
    r.log_packets = true;
    struct transport t;
    struct transport_cfg cfg = cfg_for(1883, true);
    transport_open(&t, &cfg);
    struct transport_sink s = SINK_TEMPLATE;
    s.ctx = &r;
    struct pkt_info p1 = {1, 1000}, p2 = {2, 2000};
    transport_data(&t, 0, b->b, first, &p1, &s);
    assert_string_equal(r.log, "");
    transport_data(&t, 0, b->b + first, b->len - first, &p2, &s);
    assert_string_equal(r.log, "event midstream d0 @100 f1\n"
                               "mqtt d0 12 f1\n"
                               "mqtt d0 36 f2\n");
    transport_free(&t);
    free(b);
}

/* A quiet connection picked up mid-stream on an MQTT port: its next segment
 * that holds whole frames (a PINGREQ a minute) is decoded at once, not held
 * until a run of CLASSIFY_CHAIN frames or the window's end comes; a segment
 * that starts inside a message waits. */
static void test_midstream_quiet(void **state)
{
    (void)state;
    static struct rec r;
    memset(&r, 0, sizeof r);
    r.log_packets = true;
    struct transport t;
    struct transport_cfg cfg = cfg_for(1883, true);
    transport_open(&t, &cfg);
    struct transport_sink s = SINK_TEMPLATE;
    s.ctx = &r;
    struct buf *b = calloc(1, sizeof *b);
    noise(b, 300, 11); /* the tail of a message that began before */
    struct pkt_info p1 = {1, 1000}, p2 = {2, 61000000};
    transport_data(&t, 0, b->b, b->len, &p1, &s);
    assert_string_equal(r.log, "");
    const uint8_t pingreq[] = {0xc0, 0x00};
    transport_data(&t, 0, pingreq, sizeof pingreq, &p2, &s);
    assert_string_equal(r.log, "event midstream d0 @300 f2\n"
                               "mqtt d0 2 f2\n");
    assert_int_equal(r.skipped[0], 300);
    transport_free(&t);
    free(b);
}

/* A mid-stream connection on 1883 starting inside a large message. */
static void test_midstream_search(void **state)
{
    (void)state;
    struct buf *b = calloc(1, sizeof *b);
    noise(b, 5000, 3);
    size_t boundary = b->len;
    for (uint16_t id = 1; id <= 5; id++)
        publish(b, id, 20);
    size_t chunks[] = {1, 7, 1448, 100000};
    for (size_t i = 0; i < 4; i++) {
        static struct rec r;
        memset(&r, 0, sizeof r);
        struct transport t;
        struct transport_cfg cfg = cfg_for(1883, true);
        transport_open(&t, &cfg);
        assert_int_equal(t.kind, TR_SEARCH);
        feed(&t, &r, 0, b->b, b->len, chunks[i]);
        assert_int_equal(r.skipped[0], boundary);
        assert_int_equal(r.mqtt_len[0], b->len - boundary);
        assert_memory_equal(r.mqtt[0], b->b + boundary, b->len - boundary);
        char want[64];
        snprintf(want, sizeof want, "event midstream d0 @%zu\n", boundary);
        assert_string_equal(r.log, want);
        transport_free(&t);
    }

    /* Nothing found before the end: the stream decoder resynchronises. */
    static struct rec r;
    memset(&r, 0, sizeof r);
    struct transport t;
    struct transport_cfg cfg = cfg_for(1883, true);
    transport_open(&t, &cfg);
    feed(&t, &r, 0, b->b, 3000, 1448);
    struct transport_sink s = SINK_TEMPLATE;
    s.ctx = &r;
    transport_close(&t, NULL, &s);
    assert_string_equal(r.log, "resync d0\n");
    assert_int_equal(r.mqtt_len[0], 3000);
    transport_free(&t);

    /* Another port: found by heuristics, or dropped at the window's end. */
    memset(&r, 0, sizeof r);
    cfg = cfg_for(5000, true);
    transport_open(&t, &cfg);
    feed(&t, &r, 0, b->b, b->len, 1000);
    assert_int_equal(r.classified, TR_MQTT);
    assert_string_equal(transport_how_name(&t), "heuristic");
    transport_free(&t);
    memset(&r, 0, sizeof r);
    b->len = 0;
    noise(b, TRANSPORT_SEARCH_ANY + 10, 5);
    transport_open(&t, &cfg);
    feed(&t, &r, 0, b->b, b->len, 1000);
    feed(&t, &r, 1, b->b, b->len, 1000);
    assert_int_equal(t.kind, TR_IGNORED);
    transport_free(&t);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_bytes),
        cmocka_unit_test(test_chain),
        cmocka_unit_test(test_connect_any_port),
        cmocka_unit_test(test_not_mqtt_is_dropped),
        cmocka_unit_test(test_websocket_any_port),
        cmocka_unit_test(test_midstream_search),
        cmocka_unit_test(test_midstream_quiet),
        cmocka_unit_test(test_midstream_packets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
