/* A TCP hole in MQTT over WebSocket that takes a frame header with it:
 * the MQTT stream above the frames lost fewer bytes than the hole (the
 * header was not MQTT), so it must not skip the hole's size inside the
 * packet it was in (that would cut into the next packet) but look for its
 * next packet; the hole is still reported, with its size. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "net/capture.h"
#include "options.h"
#include "output/output.h"
#include "pipeline.h"
#include "pktgen.h"

struct run {
    struct pipeline *p;
    int dlt;
};

static int feed(void *ctx, const struct pcap_pkthdr *h, const uint8_t *b,
                uint64_t frame)
{
    struct run *r = ctx;
    pipeline_frame(r->p, r->dlt, h, b, frame);
    return 0;
}

/* A WebSocket frame (RFC 6455 5.2) with payload p[0..n) into out; masked
 * (a client's) when `masked`. Returns its length. */
static size_t ws_frame(uint8_t *out, bool fin, uint8_t opcode, bool masked,
                       const uint8_t *p, size_t n)
{
    static const uint8_t key[4] = {0x37, 0xfa, 0x21, 0x3d};
    size_t at = 0;
    out[at++] = (uint8_t)((fin ? 0x80 : 0) | opcode);
    if (n < 126) {
        out[at++] = (uint8_t)((masked ? 0x80 : 0) | n);
    } else {
        out[at++] = (uint8_t)((masked ? 0x80 : 0) | 126);
        out[at++] = (uint8_t)(n >> 8);
        out[at++] = (uint8_t)n;
    }
    if (masked) {
        memcpy(out + at, key, 4);
        at += 4;
    }
    for (size_t i = 0; i < n; i++)
        out[at + i] = masked ? (uint8_t)(p[i] ^ key[i % 4]) : p[i];
    return at + n;
}

/* An MQTT 3.1.1 PUBLISH, QoS 0, of topic t and a payload of `n` bytes
 * 'x' into out; returns its length (n + strlen(t) + 4 < 128). */
static size_t publish(uint8_t *out, const char *t, size_t n)
{
    size_t tl = strlen(t);
    out[0] = 0x30;
    out[1] = (uint8_t)(2 + tl + n);
    out[2] = 0;
    out[3] = (uint8_t)tl;
    memcpy(out + 4, t, tl);
    memset(out + 4 + tl, 'x', n);
    return 4 + tl + n;
}

/* The connection: the WebSocket handshake on port 8080, CONNECT and
 * CONNACK, then a 110-byte PUBLISH sent as two frames (60 bytes, then a
 * continuation), a PUBLISH of topic "c/d" in a frame of its own and three
 * more packets, each in its own frame too. The
 * client's segment holding the last `before` bytes of the first frame,
 * the second frame's 6-byte header and `after` bytes of its payload is
 * lost. Returns the JSON lines (caller frees). */
static char *run_ws_hole(size_t before, size_t after)
{
    struct pktgen *g = pktgen_open_mem(DLT_EN10MB);
    struct pktgen_flow f;
    pktgen_flow4(&f, "10.0.0.1", 50000, "10.0.0.2", 8080);
    pktgen_set_time(g, 1000000);
    pktgen_handshake(g, &f, 1000, 5000);
    static const char req[] = "GET /mqtt HTTP/1.1\r\nHost: 10.0.0.2:8080\r\n"
                              "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                              "Sec-WebSocket-Protocol: mqtt\r\n"
                              "Sec-WebSocket-Version: 13\r\n\r\n";
    static const char resp[] = "HTTP/1.1 101 Switching Protocols\r\n"
                               "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                               "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
                               "Sec-WebSocket-Protocol: mqtt\r\n\r\n";
    pktgen_data(g, &f, PKTGEN_C2S, req, sizeof req - 1);
    pktgen_data(g, &f, PKTGEN_S2C, resp, sizeof resp - 1);
    static const uint8_t connect[] = {0x10, 0x0e, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04,
                                      0x02, 0x00, 0x00, 0x00, 0x02, 'c', '1'};
    static const uint8_t connack[] = {0x20, 0x02, 0x00, 0x00};
    uint8_t buf[512], pub[128];
    size_t n = ws_frame(buf, true, 2, true, connect, sizeof connect);
    pktgen_data(g, &f, PKTGEN_C2S, buf, n);
    n = ws_frame(buf, true, 2, false, connack, sizeof connack);
    pktgen_data(g, &f, PKTGEN_S2C, buf, n);

    /* the client's bytes: frame A, frame B (continuation), frame C */
    size_t big = publish(pub, "a/b", 103); /* 110 bytes */
    size_t a = ws_frame(buf, false, 2, true, pub, 60);
    size_t b = ws_frame(buf + a, true, 0, true, pub + 60, big - 60);
    size_t c = ws_frame(buf + a + b, true, 2, true, pub, publish(pub, "c/d", 5));
    /* then the client goes on: two more PUBLISH, a PINGREQ */
    size_t more = a + b + c;
    more += ws_frame(buf + more, true, 2, true, pub, publish(pub, "e/f", 7));
    more += ws_frame(buf + more, true, 2, true, pub, publish(pub, "g/h", 9));
    static const uint8_t pingreq[] = {0xc0, 0x00};
    more += ws_frame(buf + more, true, 2, true, pingreq, sizeof pingreq);
    assert_true(before <= a - 6 && after < b - 6);
    size_t cut = a - before, hole = before + 6 + after;
    pktgen_data(g, &f, PKTGEN_C2S, buf, cut);
    f.next_seq[PKTGEN_C2S] += (uint32_t)hole; /* never captured */
    pktgen_data(g, &f, PKTGEN_C2S, buf + cut + hole, more - cut - hole);
    pktgen_fin(g, &f, PKTGEN_C2S);
    pktgen_fin(g, &f, PKTGEN_S2C);
    size_t len;
    const uint8_t *img = pktgen_mem(g, &len);

    struct options o;
    char *argv[] = {"mqttdissect", "-r", "mem", "-T", "json", NULL};
    assert_int_equal(options_parse(&o, 5, argv), OPTIONS_OK);
    char *mem = NULL;
    size_t memlen = 0;
    FILE *fp = open_memstream(&mem, &memlen);
    struct output_opts oo = {.out = fp};
    struct output *out = output_open(OUTPUT_JSON, &oo);
    struct pipeline *p = pipeline_new(&o, out, false);
    assert_non_null(p);
    struct capture cap;
    char err[256];
    assert_int_equal(capture_open_buffer(&cap, img, len, "mem", err, sizeof err),
                     CAPTURE_OK);
    struct run r = {p, cap.dlt};
    assert_int_equal(capture_run(&cap, feed, &r, err, sizeof err), 0);
    capture_close(&cap);
    pipeline_finish(p);
    assert_int_equal(output_close(out), 0);
    pipeline_free(p);
    options_free(&o);
    fclose(fp);
    pktgen_close(g);
    return mem;
}

/* The line holding `what`; NULL: none. */
static const char *line_with(const char *mem, const char *what)
{
    const char *at = strstr(mem, what);
    if (!at)
        return NULL;
    while (at > mem && at[-1] != '\n')
        at--;
    return at;
}

static bool line_has(const char *line, const char *what)
{
    const char *end = strchr(line, '\n');
    const char *at = strstr(line, what);
    return at && (!end || at < end);
}

static void expect_recovered(const char *mem, const char *gap_bytes)
{
    const char *gap = line_with(mem, "\"event\":\"gap\"");
    assert_non_null(gap);
    assert_true(line_has(gap, gap_bytes));
    /* the packet after the hole is whole: its topic, its 5-byte payload,
     * nothing wrong with it */
    const char *pub = line_with(mem, "\"name\":\"c/d\"");
    if (!pub)
        pub = line_with(mem, "\"topic\":\"c/d\"");
    assert_non_null(pub);
    assert_true(line_has(pub, "\"type\":\"PUBLISH\""));
    assert_true(line_has(pub, "\"length\":5"));
    assert_false(line_has(pub, "\"violations\":[{"));
    /* and what follows too; nothing in between was taken for a packet */
    assert_non_null(line_with(mem, "\"name\":\"e/f\"") ? line_with(mem, "\"name\":\"e/f\"")
                                                      : line_with(mem, "\"topic\":\"e/f\""));
    assert_non_null(line_with(mem, "\"type\":\"PINGREQ\""));
    assert_null(line_with(mem, "\"type\":\"RESERVED"));
    assert_null(line_with(mem, "\"event\":\"truncated\""));
}

/* 20 bytes of frame A's payload, B's header and 30 bytes of its payload:
 * 56 bytes of TCP, 50 of MQTT. */
static void test_hole_across_a_frame_header(void **state)
{
    (void)state;
    char *mem = run_ws_hole(20, 30);
    expect_recovered(mem, "\"bytes\":56");
    free(mem);
}

/* The hole starts right at B's header (all of A arrived). */
static void test_hole_from_a_frame_header(void **state)
{
    (void)state;
    char *mem = run_ws_hole(0, 10);
    expect_recovered(mem, "\"bytes\":16");
    free(mem);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hole_across_a_frame_header),
        cmocka_unit_test(test_hole_from_a_frame_header),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
