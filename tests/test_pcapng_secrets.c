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
#include "net/replay_buf.h"

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

/* A stream that cannot seek, as capture.c makes of a pipe: a few bytes per
 * read, its first bytes kept (net/replay_buf.h) to be read again once
 * after pcapng_secrets_read. */
struct pipe_like {
    FILE *m;
    struct replay_buf r;
};

static ssize_t pipe_read(void *cookie, char *buf, size_t size)
{
    struct pipe_like *p = cookie;
    size_t again = replay_give(&p->r, buf, size);
    if (again)
        return (ssize_t)again;
    size_t n = fread(buf, 1, size < 7 ? size : 7, p->m);
    replay_keep(&p->r, buf, n);
    return (ssize_t)n;
}

static int pipe_seek(void *cookie, off64_t *pos, int whence)
{
    struct pipe_like *p = cookie;
    return replay_seek(&p->r, *pos, whence);
}

static int pipe_close(void *cookie)
{
    struct pipe_like *p = cookie;
    replay_stop(&p->r);
    fclose(p->m);
    free(p);
    return 0;
}

/* The DSBs read from such a stream of in[0..n), then the stream sought
 * back to its start gives every byte of it in order. */
static void expect_stream(const uint8_t *in, size_t n, int dsbs)
{
    struct pipe_like *p = calloc(1, sizeof *p);
    assert_non_null(p);
    static uint8_t empty;
    p->m = fmemopen(n ? (void *)(uintptr_t)in : &empty, n ? n : 1, "rb");
    assert_non_null(p->m);
    if (n == 0)
        (void)fgetc(p->m); /* an empty stream */
    replay_start(&p->r);
    cookie_io_functions_t io = {.read = pipe_read, .seek = pipe_seek, .close = pipe_close};
    FILE *f = fopencookie(p, "rb", io);
    assert_non_null(f);
    static struct seen s;
    memset(&s, 0, sizeof s);
    (void)pcapng_secrets_read(f, on_dsb, &s);
    assert_int_equal(s.n, dsbs);
    assert_int_equal(fseeko(f, 0, SEEK_SET), 0);
    static uint8_t out[1 << 16];
    size_t got = fread(out, 1, sizeof out, f);
    assert_int_equal(got, n);
    assert_memory_equal(out, in, n);
    assert_int_equal(fseeko(f, 0, SEEK_SET), -1); /* once only */
    assert_int_equal(fclose(f), 0);
}

static void test_stream(void **state)
{
    (void)state;
    static uint8_t file[1 << 16];
    size_t n = slurp(DSB_CAPTURE, file, sizeof file);
    size_t shb = le32(file + 4), dsb_end = shb + le32(file + shb + 4);
    for (size_t k = 0; k <= n; k += k < dsb_end + 64 ? 1 : 97)
        expect_stream(file, k, k >= dsb_end - 4 ? 1 : 0);
    expect_stream(file, n, 1);
    n = slurp(MQD_SOURCE_DIR "/captures/tls/tls13_aes128gcm.pcap", file, sizeof file);
    expect_stream(file, n, 0);
}

/* Kept bytes past REPLAY_BUF_MAX: no going back (the open fails then). */
static void test_replay_bound(void **state)
{
    (void)state;
    static struct replay_buf r;
    static char chunk[1 << 16];
    replay_start(&r);
    for (size_t kept = 0; kept <= REPLAY_BUF_MAX; kept += sizeof chunk)
        replay_keep(&r, chunk, sizeof chunk);
    assert_true(r.overflow);
    assert_int_equal(replay_seek(&r, 0, SEEK_SET), -1);
    replay_stop(&r);
    replay_start(&r);
    replay_keep(&r, "abc", 3);
    assert_int_equal(replay_seek(&r, 1, SEEK_SET), -1);
    assert_int_equal(replay_seek(&r, 0, SEEK_CUR), -1);
    assert_int_equal(replay_seek(&r, 0, SEEK_SET), 0);
    char b[8];
    assert_int_equal(replay_give(&r, b, 2), 2);
    assert_int_equal(replay_give(&r, b + 2, 8), 1);
    assert_memory_equal(b, "abc", 3);
    assert_int_equal(replay_give(&r, b, 8), 0); /* then the source */
    replay_stop(&r);
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
        cmocka_unit_test(test_stream),
        cmocka_unit_test(test_replay_bound),
        cmocka_unit_test(test_not_pcapng),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
