/* A TCP hole in MQTT over WebSocket that takes a frame header with it:
 * the MQTT stream above the frames lost fewer bytes than the hole (the
 * header was not MQTT), so it must not skip the hole's size inside the
 * packet it was in (that would cut into the next packet) but look for its
 * next packet; the hole is still reported, with its size. Crafted captures
 * (tests/support/lifecycle.h) run through the mqttdissect binary. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lifecycle.h"

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

/* The connection: the WebSocket handshake on port 8080 (frames 4, 5),
 * CONNECT and CONNACK (6, 7), then a 110-byte PUBLISH sent as two frames
 * (60 bytes, then a continuation), a PUBLISH of topic "c/d" in a frame of
 * its own and three more packets, each in its own frame too. The client's
 * segment holding the last `before` bytes of the first frame, the second
 * frame's 6-byte header and `after` bytes of its payload is lost. */
static void script_ws_hole(struct pktgen *g, struct pktgen_flow *f, size_t before,
                           size_t after)
{
    pktgen_handshake(g, f, 1000, 5000);
    static const char req[] = "GET /mqtt HTTP/1.1\r\nHost: 10.0.0.2:8080\r\n"
                              "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                              "Sec-WebSocket-Protocol: mqtt\r\n"
                              "Sec-WebSocket-Version: 13\r\n\r\n";
    static const char resp[] = "HTTP/1.1 101 Switching Protocols\r\n"
                               "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                               "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
                               "Sec-WebSocket-Protocol: mqtt\r\n\r\n";
    LC_SEND(g, f, PKTGEN_C2S, req);
    LC_SEND(g, f, PKTGEN_S2C, resp);
    uint8_t buf[512], pub[128];
    size_t n = ws_frame(buf, true, 2, true, (const uint8_t *)LC_CONNECT, LC_LEN(LC_CONNECT));
    pktgen_data(g, f, PKTGEN_C2S, buf, n);
    n = ws_frame(buf, true, 2, false, (const uint8_t *)LC_CONNACK, LC_LEN(LC_CONNACK));
    pktgen_data(g, f, PKTGEN_S2C, buf, n);

    /* the client's bytes: frame A, frame B (continuation), frame C, then
     * the client goes on: two more PUBLISH, a PINGREQ */
    size_t big = publish(pub, "a/b", 103); /* 110 bytes */
    size_t a = ws_frame(buf, false, 2, true, pub, 60);
    size_t b = ws_frame(buf + a, true, 0, true, pub + 60, big - 60);
    size_t more = a + b;
    more += ws_frame(buf + more, true, 2, true, pub, publish(pub, "c/d", 5));
    more += ws_frame(buf + more, true, 2, true, pub, publish(pub, "e/f", 7));
    more += ws_frame(buf + more, true, 2, true, pub, publish(pub, "g/h", 9));
    static const uint8_t pingreq[] = {0xc0, 0x00};
    more += ws_frame(buf + more, true, 2, true, pingreq, sizeof pingreq);
    assert_true(before <= a - 6 && after < b - 6);
    size_t cut = a - before, hole = before + 6 + after;
    pktgen_data(g, f, PKTGEN_C2S, buf, cut);
    f->next_seq[PKTGEN_C2S] += (uint32_t)hole; /* never captured */
    pktgen_data(g, f, PKTGEN_C2S, buf + cut + hole, more - cut - hole);
    lc_fins(g, f);
}

/* 20 bytes of frame A's payload, B's header and 30 bytes of its payload:
 * 56 bytes of TCP, 50 of MQTT. */
static void script_across_header(struct pktgen *g, struct pktgen_flow *f)
{
    script_ws_hole(g, f, 20, 30);
}

/* The hole starts right at B's header (all of A arrived): 16 bytes. */
static void script_from_header(struct pktgen *g, struct pktgen_flow *f)
{
    script_ws_hole(g, f, 0, 10);
}

/* The hole is reported with its size; the packet after it is whole: its
 * topic and its 5-byte payload; so is the one after that. */
static void expect_recovered(const struct lc_result *r, int64_t hole)
{
    json_t *gap = lc_record(r, "event", "gap", 0);
    assert_int_equal(json_integer_value(lc_get(gap, "bytes")), hole);
    json_t *p = lc_record(r, "type", "PUBLISH", 0);
    assert_string_equal(json_string_value(lc_get(p, "topic")), "c/d");
    assert_int_equal(json_integer_value(lc_get(p, "payload.length")), 5);
    p = lc_record(r, "type", "PUBLISH", 1);
    assert_string_equal(json_string_value(lc_get(p, "topic")), "e/f");
}

static void check_across_header(const struct lc_result *r)
{
    expect_recovered(r, 56);
}

static void check_from_header(const struct lc_result *r)
{
    expect_recovered(r, 16);
}

/* The four packets after the hole (all in frame 11, the segment after
 * it), then the frames found again and the MQTT stream resynchronised;
 * no packet made of what was between (no violations). */
#define CLIENT_AFTER_HOLE "1:CONNECT@6 1:PUBLISH@11 1:PUBLISH@11 1:PUBLISH@11 1:PINGREQ@11 "
#define EVENTS_AFTER_HOLE "1:c:detected 1:c:gap 1:c:ws_resync 1:c:resync "

static const struct lifecycle_case cases[] = {
    {.tag = "across_header", .script = script_across_header, .port = 8080,
     .family = 4, .client = CLIENT_AFTER_HOLE, .server = "1:CONNACK@7 ",
     .events = EVENTS_AFTER_HOLE, .check = check_across_header},
    {.tag = "from_header", .script = script_from_header, .port = 8080,
     .family = 4, .client = CLIENT_AFTER_HOLE, .server = "1:CONNACK@7 ",
     .events = EVENTS_AFTER_HOLE, .check = check_from_header},
};

int main(void)
{
    return lifecycle_run_cases("test_ws_gap", cases, sizeof cases / sizeof cases[0],
                               NULL, 0);
}
