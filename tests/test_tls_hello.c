/* The TLS hello reader (cli/tls_hello.c): a ClientHello with SNI, ALPN and
 * supported_versions built by hand, a ServerHello choosing TLS 1.3, hellos
 * split over records and segments, garbage and truncation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "transport/tls_hello.h"

struct buf {
    uint8_t b[40000];
    size_t len;
};

static void put(struct buf *o, const void *p, size_t n)
{
    assert_true(o->len + n <= sizeof o->b);
    memcpy(o->b + o->len, p, n);
    o->len += n;
}

static void u8(struct buf *o, unsigned v)
{
    uint8_t b = (uint8_t)v;
    put(o, &b, 1);
}

static void u16(struct buf *o, unsigned v)
{
    u8(o, v >> 8);
    u8(o, v);
}

static void u24(struct buf *o, unsigned v)
{
    u8(o, v >> 16);
    u16(o, v & 0xFFFF);
}

/* Patches a 16-bit length at `at` to cover everything after it. */
static void len16_at(struct buf *o, size_t at)
{
    size_t n = o->len - at - 2;
    o->b[at] = (uint8_t)(n >> 8);
    o->b[at + 1] = (uint8_t)n;
}

/* A ClientHello handshake message (type, length, body). `pad` bytes of a
 * padding extension make it as large as wanted. */
static void client_hello(struct buf *o, const char *sni, size_t pad)
{
    size_t start = o->len;
    u8(o, 1);
    u24(o, 0); /* patched below */
    u16(o, 0x0303);
    for (int i = 0; i < 32; i++)
        u8(o, (unsigned)i);
    u8(o, 32);
    for (int i = 0; i < 32; i++)
        u8(o, 0xAA);
    u16(o, 6);
    u16(o, 0x1301);
    u16(o, 0x1302);
    u16(o, 0xC02F);
    u8(o, 1);
    u8(o, 0);
    size_t ext = o->len;
    u16(o, 0);
    /* server_name */
    u16(o, 0);
    size_t e = o->len;
    u16(o, 0);
    size_t list = o->len;
    u16(o, 0);
    u8(o, 0);
    u16(o, (unsigned)strlen(sni));
    put(o, sni, strlen(sni));
    len16_at(o, list);
    len16_at(o, e);
    /* ALPN: "x-amzn-mqtt-ca", "mqtt" */
    u16(o, 16);
    e = o->len;
    u16(o, 0);
    list = o->len;
    u16(o, 0);
    u8(o, 14);
    put(o, "x-amzn-mqtt-ca", 14);
    u8(o, 4);
    put(o, "mqtt", 4);
    len16_at(o, list);
    len16_at(o, e);
    /* supported_versions: GREASE, 1.3, 1.2 */
    u16(o, 43);
    u16(o, 7);
    u8(o, 6);
    u16(o, 0x7A7A);
    u16(o, 0x0304);
    u16(o, 0x0303);
    if (pad) { /* padding (21) */
        u16(o, 21);
        u16(o, (unsigned)pad);
        for (size_t i = 0; i < pad; i++)
            u8(o, 0);
    }
    len16_at(o, ext);
    size_t body = o->len - start - 4;
    o->b[start + 1] = (uint8_t)(body >> 16);
    o->b[start + 2] = (uint8_t)(body >> 8);
    o->b[start + 3] = (uint8_t)body;
}

static void server_hello(struct buf *o)
{
    size_t start = o->len;
    u8(o, 2);
    u24(o, 0);
    u16(o, 0x0303);
    for (int i = 0; i < 32; i++)
        u8(o, 0x55);
    u8(o, 0);
    u16(o, 0x1302);
    u8(o, 0);
    size_t ext = o->len;
    u16(o, 0);
    u16(o, 43);
    u16(o, 2);
    u16(o, 0x0304);
    len16_at(o, ext);
    size_t body = o->len - start - 4;
    o->b[start + 2] = (uint8_t)(body >> 8);
    o->b[start + 3] = (uint8_t)body;
}

/* Wraps msg into records of at most `max` bytes each. */
static void records(struct buf *o, const struct buf *msg, size_t max)
{
    for (size_t i = 0; i < msg->len; i += max) {
        size_t n = msg->len - i < max ? msg->len - i : max;
        u8(o, 22);
        u16(o, 0x0301);
        u16(o, (unsigned)n);
        put(o, msg->b + i, n);
    }
}

static void check_client_info(const struct tls_info *i)
{
    char b[16];
    assert_true(i->client_hello);
    assert_string_equal(i->sni, "broker.example");
    assert_string_equal(i->alpn, "x-amzn-mqtt-ca,mqtt");
    assert_true(i->alpn_mqtt);
    assert_string_equal(tls_version_name(i->client_version, b, sizeof b), "TLS1.2");
    assert_string_equal(tls_version_name(i->client_max_version, b, sizeof b), "TLS1.3");
    assert_string_equal(tls_version_name(i->record_version, b, sizeof b), "TLS1.0");
}

static void test_parse_hellos(void **state)
{
    (void)state;
    struct buf *m = calloc(1, sizeof *m);
    struct tls_info info = {0};
    client_hello(m, "broker.example", 0);
    assert_true(tls_parse_client_hello(m->b, m->len, &info));
    info.record_version = 0x0301;
    check_client_info(&info);
    /* Every truncation is refused, never read past. */
    for (size_t n = 0; n < m->len; n++) {
        struct tls_info t = {0};
        uint8_t *copy = malloc(n ? n : 1);
        memcpy(copy, m->b, n);
        assert_false(tls_parse_client_hello(copy, n, &t));
        free(copy);
    }
    m->len = 0;
    server_hello(m);
    assert_true(tls_parse_server_hello(m->b, m->len, &info));
    assert_int_equal(info.server_version, 0x0304);
    assert_int_equal(info.cipher_suite, 0x1302);
    assert_string_equal(tls_cipher_name(info.cipher_suite), "TLS_AES_256_GCM_SHA384");
    assert_null(tls_cipher_name(0x1234));
    char b[16];
    assert_string_equal(tls_version_name(0x7f1c, b, sizeof b), "0x7f1c");
    free(m);
}

/* The client's hello over 3 records, fed in every chunking. */
static void test_split_records_and_segments(void **state)
{
    (void)state;
    struct buf *m = calloc(1, sizeof *m), *wire = calloc(1, sizeof *wire),
               *sw = calloc(1, sizeof *sw);
    client_hello(m, "broker.example", 600);
    records(wire, m, 250);
    m->len = 0;
    server_hello(m);
    records(sw, m, 4096);
    u8(sw, 20); /* then change_cipher_spec: ignored */
    assert_int_equal(tls_looks_like_client_hello(wire->b, wire->len), 1);
    assert_int_equal(tls_looks_like_client_hello(wire->b, 3), -1);
    size_t chunks[] = {1, 2, 5, 13, 250, 100000};
    for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
        struct tls_hello t;
        tls_hello_init(&t);
        bool done = false;
        for (size_t i = 0; i < wire->len; i += chunks[c]) {
            size_t n = wire->len - i < chunks[c] ? wire->len - i : chunks[c];
            assert_false(done);
            done = tls_hello_feed(&t, 0, wire->b + i, n);
        }
        assert_true(done);
        check_client_info(&t.info);
        for (size_t i = 0; i < sw->len; i += chunks[c]) {
            size_t n = sw->len - i < chunks[c] ? sw->len - i : chunks[c];
            (void)tls_hello_feed(&t, 1, sw->b + i, n);
        }
        assert_true(tls_hello_dir_done(&t, 1));
        assert_true(t.info.server_hello);
        assert_int_equal(t.info.server_version, 0x0304);
        tls_hello_free(&t);
    }
    free(m);
    free(wire);
    free(sw);
}

static void test_garbage(void **state)
{
    (void)state;
    struct tls_hello t;
    const uint8_t http[] = "GET / HTTP/1.1\r\n";
    assert_int_equal(tls_looks_like_client_hello(http, sizeof http - 1), 0);
    tls_hello_init(&t);
    assert_true(tls_hello_feed(&t, 0, http, sizeof http - 1));
    assert_true(t.dir[0].bad);
    assert_false(t.info.client_hello);
    tls_hello_free(&t);

    /* A handshake message claiming more than TLS_HELLO_MAX. */
    const uint8_t huge[] = {22, 3, 1, 0, 8, 1, 0xFF, 0xFF, 0xFF, 3, 3, 0, 0};
    assert_int_equal(tls_looks_like_client_hello(huge, sizeof huge), 1);
    tls_hello_init(&t);
    assert_true(tls_hello_feed(&t, 0, huge, sizeof huge));
    assert_true(t.dir[0].bad);
    tls_hello_free(&t);

    /* A ServerHello where a ClientHello belongs; then a broken one. */
    struct buf *m = calloc(1, sizeof *m), *w = calloc(1, sizeof *w);
    server_hello(m);
    records(w, m, 4096);
    tls_hello_init(&t);
    assert_true(tls_hello_feed(&t, 0, w->b, w->len));
    assert_true(t.dir[0].bad);
    tls_hello_free(&t);
    m->len = 0;
    w->len = 0;
    client_hello(m, "x", 0);
    m->b[4 + 2 + 32] = 200; /* session id longer than the message */
    records(w, m, 4096);
    tls_hello_init(&t);
    assert_true(tls_hello_feed(&t, 0, w->b, w->len));
    assert_true(t.dir[0].bad);
    tls_hello_free(&t);
    free(m);
    free(w);

    /* Random bytes after a valid record header: never a crash. */
    uint8_t rnd[3000];
    uint32_t x = 12345;
    for (int round = 0; round < 200; round++) {
        for (size_t i = 0; i < sizeof rnd; i++) {
            x = x * 1103515245u + 12345u;
            rnd[i] = (uint8_t)(x >> 16);
        }
        rnd[0] = 22, rnd[1] = 3, rnd[2] = 1, rnd[3] = 0x0B, rnd[4] = 0xB0, rnd[5] = 1;
        rnd[6] = 0, rnd[7] = (uint8_t)(round & 0xF), rnd[8] = (uint8_t)round;
        tls_hello_init(&t);
        (void)tls_hello_feed(&t, 0, rnd, sizeof rnd);
        tls_hello_free(&t);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_hellos),
        cmocka_unit_test(test_split_records_and_segments),
        cmocka_unit_test(test_garbage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
