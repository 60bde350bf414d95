/* The pcapng Decryption Secrets Block scanner (cli/net/pcapng_secrets.c):
 * the bundled capture with its key log embedded by editcap, every prefix of
 * it, a big-endian section built by hand, a DSB after the first packet
 * (not read), a pcap file, a directory, a file that is not there. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "net/pcapng_secrets.h"

#define DSB_CAPTURE MQD_SOURCE_DIR "/captures/tls/tls13_aes128gcm_dsb.pcapng"
#define KEYLOG MQD_SOURCE_DIR "/captures/tls/tls13_aes128gcm.keylog"

struct seen {
    int n;
    bool big_endian;
    uint8_t body[8192];
    size_t len;
};

static void on_dsb(void *ctx, const uint8_t *body, size_t len, bool be)
{
    struct seen *s = ctx;
    s->n++;
    s->big_endian = be;
    s->len = len < sizeof s->body ? len : sizeof s->body;
    memcpy(s->body, body, s->len);
}

static size_t slurp(const char *path, uint8_t *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t n = fread(buf, 1, cap, f);
    fclose(f);
    return n;
}

static void spit(const char *path, const uint8_t *buf, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, n, f), n);
    fclose(f);
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

/* The editcap capture: one DSB, type TLSK, whose text is the key log. */
static void test_editcap_capture(void **state)
{
    (void)state;
    static struct seen s;
    memset(&s, 0, sizeof s);
    assert_int_equal(pcapng_secrets_scan(DSB_CAPTURE, on_dsb, &s), 1);
    assert_int_equal(s.n, 1);
    assert_false(s.big_endian);
    assert_true(s.len >= 8);
    assert_int_equal(le32(s.body), 0x544c534bu);
    uint32_t slen = le32(s.body + 4);
    static uint8_t keylog[8192];
    size_t kn = slurp(KEYLOG, keylog, sizeof keylog);
    assert_int_equal(slen, kn);
    assert_memory_equal(s.body + 8, keylog, kn);
}

/* Every prefix of the file: never more than the one DSB, no crash; once
 * the DSB's body is whole it is found (its trailing length is not needed). */
static void test_prefixes(void **state)
{
    (void)state;
    static uint8_t file[16384];
    size_t n = slurp(DSB_CAPTURE, file, sizeof file);
    assert_true(n < sizeof file);
    char path[] = "/tmp/mqd-pcapng-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    /* The SHB, then the DSB (editcap writes it before the IDB). */
    size_t shb = le32(file + 4), dsb_end = shb + le32(file + shb + 4);
    for (size_t k = 0; k <= n; k++) {
        static struct seen s;
        memset(&s, 0, sizeof s);
        spit(path, file, k);
        int rc = pcapng_secrets_scan(path, on_dsb, &s);
        assert_true(rc <= 1);
        assert_int_equal(s.n, k >= dsb_end - 4 ? 1 : 0);
    }
    unlink(path);
}

static void put32(uint8_t *p, uint32_t v, bool be)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(be ? v >> (24 - 8 * i) : v >> (8 * i));
}

/* SHB, [EPB,] DSB with 8 bytes of "CLIENT_R", in either byte order. */
static size_t build(uint8_t *b, bool be, bool packet_first)
{
    size_t at = 0;
    put32(b + at, 0x0A0D0D0Au, be); put32(b + at + 4, 28, be);
    put32(b + at + 8, 0x1A2B3C4Du, be);
    b[at + 12] = 0; b[at + 13] = 1; b[at + 14] = 0; b[at + 15] = 0; /* 1.0 */
    if (!be) { b[at + 12] = 1; b[at + 13] = 0; }
    memset(b + at + 16, 0xff, 8); /* section length: unknown */
    put32(b + at + 24, 28, be);
    at += 28;
    if (packet_first) {
        put32(b + at, 6, be); put32(b + at + 4, 32, be);
        memset(b + at + 8, 0, 20);
        put32(b + at + 28, 32, be);
        at += 32;
    }
    put32(b + at, 0x0A, be); put32(b + at + 4, 28, be);
    put32(b + at + 8, 0x544c534bu, be); put32(b + at + 12, 8, be);
    memcpy(b + at + 16, "CLIENT_R", 8);
    put32(b + at + 24, 28, be);
    return at + 28;
}

static void test_crafted(void **state)
{
    (void)state;
    char path[] = "/tmp/mqd-pcapng-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    uint8_t b[256];
    for (int be = 0; be < 2; be++) {
        static struct seen s;
        memset(&s, 0, sizeof s);
        spit(path, b, build(b, be, false));
        assert_int_equal(pcapng_secrets_scan(path, on_dsb, &s), 1);
        assert_int_equal(s.big_endian, be);
        assert_int_equal(s.len, 16);
        assert_memory_equal(s.body + 8, "CLIENT_R", 8);
        /* After the first packet: not read. */
        memset(&s, 0, sizeof s);
        spit(path, b, build(b, be, true));
        assert_int_equal(pcapng_secrets_scan(path, on_dsb, &s), 0);
        assert_int_equal(s.n, 0);
    }
    /* A block length that is not a multiple of 4: malformed, stops. */
    size_t n = build(b, false, false);
    put32(b + 28 + 4, 27, false);
    spit(path, b, n);
    static struct seen s;
    memset(&s, 0, sizeof s);
    assert_int_equal(pcapng_secrets_scan(path, on_dsb, &s), -1);
    assert_int_equal(s.n, 0);
    unlink(path);
}

static void test_not_pcapng(void **state)
{
    (void)state;
    static struct seen s;
    memset(&s, 0, sizeof s);
    assert_int_equal(pcapng_secrets_scan(MQD_SOURCE_DIR "/captures/tls/tls13_aes128gcm.pcap",
                                         on_dsb, &s), -1);
    assert_int_equal(pcapng_secrets_scan(MQD_SOURCE_DIR "/captures", on_dsb, &s), -1);
    assert_int_equal(pcapng_secrets_scan("/nonexistent/x.pcapng", on_dsb, &s), -1);
    assert_int_equal(s.n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_editcap_capture),
        cmocka_unit_test(test_prefixes),
        cmocka_unit_test(test_crafted),
        cmocka_unit_test(test_not_pcapng),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
