/* TLS decryption with a key log (cli/transport/tls_keylog.c, tls_keys.c,
 * tls_decrypt.c): the key log parser; the key schedule against RFC 8448's
 * TLS 1.3 trace and the published TLS 1.2 PRF vector; every capture of
 * captures/tls/ decrypted with its key log, fed whole, per segment, byte by
 * byte and in random pieces, giving the same plaintext, which is the MQTT
 * conversation; a wrong key log, a key log without the connection, a gap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tcp_payload.h"
#include "transport/tls_decrypt.h"
#include "transport/tls_keylog.h"
#include "transport/tls_keys.h"

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
    size_t n = 0;
    int hi = -1;
    for (; *s; s++) {
        int v;
        if (*s >= '0' && *s <= '9')
            v = *s - '0';
        else if (*s >= 'a' && *s <= 'f')
            v = *s - 'a' + 10;
        else
            continue;
        if (hi < 0) {
            hi = v;
        } else {
            assert_true(n < cap);
            out[n++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    return n;
}

/* ---- key log ---- */

#define R1 "1111111111111111111111111111111111111111111111111111111111111111"
#define R2 "2222222222222222222222222222222222222222222222222222222222222222"
#define S32 "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define S48 S32 "00112233445566778899aabbccddeeff"

static void test_keylog_lines(void **state)
{
    (void)state;
    struct tls_keylog *kl = tls_keylog_new(0);
    static const char text[] =
        "# a comment\n"
        "\n"
        "CLIENT_RANDOM " R1 " " S48 "\n"
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET " R2 " " S32 "\r\n"
        "SERVER_HANDSHAKE_TRAFFIC_SECRET " R2 " " S32 "\n"
        "CLIENT_TRAFFIC_SECRET_0 " R2 " " S32 "\n"
        "SERVER_TRAFFIC_SECRET_0 " R2 " " S32 "\n"
        "EXPORTER_SECRET " R2 " " S32 "\n"         /* unknown label */
        "CLIENT_RANDOM " R1 " 0011\n"              /* short secret */
        "CLIENT_RANDOM 1234 " S48 "\n"             /* short random */
        "CLIENT_RANDOM " R1 " " S48 " extra\n"     /* a fourth field */
        "CLIENT_TRAFFIC_SECRET_0 " R2 " " S32 "zz\n" /* not hex */
        "SERVER_TRAFFIC_SECRET_0 " R1 " " S48;     /* no newline: kept */
    size_t added = tls_keylog_add_text(kl, text, sizeof text - 1, "inline");
    assert_int_equal(added, 6);
    const struct tls_keylog_stats *st = tls_keylog_stats(kl);
    assert_int_equal(st->lines, 13);
    assert_int_equal(st->ignored, 3);
    assert_int_equal(st->malformed, 4);
    assert_int_equal(st->entries, 2);
    assert_string_equal(st->first_malformed_source, "inline");
    assert_int_equal(st->first_malformed_line, 9);

    uint8_t r1[32], r2[32], s48[48];
    unhex(R1, r1, sizeof r1);
    unhex(R2, r2, sizeof r2);
    unhex(S48, s48, sizeof s48);
    const struct tls_keylog_entry *e = tls_keylog_find(kl, r1);
    assert_non_null(e);
    assert_int_equal(e->secret[TLS_SECRET_MASTER].len, 48);
    assert_memory_equal(e->secret[TLS_SECRET_MASTER].b, s48, 48);
    assert_int_equal(e->secret[TLS_SECRET_SERVER_APP].len, 48);
    e = tls_keylog_find(kl, r2);
    assert_non_null(e);
    for (int k = TLS_SECRET_CLIENT_HS; k <= TLS_SECRET_SERVER_APP; k++)
        assert_int_equal(e->secret[k].len, 32);
    assert_int_equal(e->secret[TLS_SECRET_MASTER].len, 0);
    uint8_t r3[32];
    memset(r3, 0x33, sizeof r3);
    assert_null(tls_keylog_find(kl, r3));
    tls_keylog_free(kl);
}

/* The usual form of a line (one space between fields) is decoded without
 * splitting it into fields first; every other spacing goes the general
 * way. Both must read the same lines the same way. */
static void test_keylog_spacing(void **state)
{
    (void)state;
    struct tls_keylog *kl = tls_keylog_new(0);
    static const char text[] =
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET\t" R1 "\t" S32 "\n"  /* tabs */
        "SERVER_HANDSHAKE_TRAFFIC_SECRET  " R1 " " S32 "\n"    /* two spaces */
        "CLIENT_TRAFFIC_SECRET_0 " R1 " " S32 " \t\r\n"        /* trailing */
        "SERVER_TRAFFIC_SECRET_0 " R1 " "
        "00112233445566778899AABBCCDDEEFF00112233445566778899aAbBcCdDeEfF\n"
        "CLIENT_RANDOM " R1 "  " S48 " x\n"     /* two spaces, a 4th field */
        "CLIENT_RANDOM " R1 " " S32 " " S32 "\n" /* a space inside */
        "CLIENT_RANDOM " R1 " " S48 "0\n"       /* odd length */
        "CLIENT_RANDOM " R1 " " S32 "00112233445566778899aabbccddeefg\n"
        "CLIENT_RANDOM 1" R1 " " S48 "\n"       /* 65 digits of random */
        "CLIENT_RANDOM " R1 " " S48 "\n";
    size_t added = tls_keylog_add_text(kl, text, sizeof text - 1, "spacing");
    const struct tls_keylog_stats *st = tls_keylog_stats(kl);
    assert_int_equal(added, 5);
    assert_int_equal(st->malformed, 5);
    assert_int_equal(st->first_malformed_line, 5);
    uint8_t r1[32], s32[32], s48[48];
    unhex(R1, r1, sizeof r1);
    unhex(S32, s32, sizeof s32);
    unhex(S48, s48, sizeof s48);
    const struct tls_keylog_entry *e = tls_keylog_find(kl, r1);
    assert_non_null(e);
    for (int k = TLS_SECRET_CLIENT_HS; k <= TLS_SECRET_SERVER_APP; k++) {
        assert_int_equal(e->secret[k].len, 32);
        assert_memory_equal(e->secret[k].b, s32, 32);
    }
    assert_int_equal(e->secret[TLS_SECRET_MASTER].len, 48);
    assert_memory_equal(e->secret[TLS_SECRET_MASTER].b, s48, 48);
    tls_keylog_free(kl);
}

static void write_file(const char *path, const char *text, const char *mode)
{
    FILE *fp = fopen(path, mode);
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

/* Two files merged; one of them grows (a line written in two parts) and is
 * re-read from where it stopped. */
static void test_keylog_files(void **state)
{
    (void)state;
    char a[64], b[64];
    snprintf(a, sizeof a, "/tmp/mqd-keylog-a.%d", (int)getpid());
    snprintf(b, sizeof b, "/tmp/mqd-keylog-b.%d", (int)getpid());
    write_file(a, "CLIENT_RANDOM " R1 " " S48 "\n", "w");
    write_file(b, "# only a comment\nCLIENT_HANDSHAKE_TRAFFIC_SECRET " R2, "w");
    struct tls_keylog *kl = tls_keylog_new(0);
    assert_int_equal(tls_keylog_add_file(kl, a), 0);
    assert_int_equal(tls_keylog_add_file(kl, b), 0);
    assert_int_equal(tls_keylog_add_file(kl, "/nonexistent/keylog"), -1);
    uint8_t r1[32], r2[32];
    unhex(R1, r1, sizeof r1);
    unhex(R2, r2, sizeof r2);
    assert_non_null(tls_keylog_find(kl, r1));
    assert_null(tls_keylog_find(kl, r2)); /* its line is not finished */
    assert_int_equal(tls_keylog_reload(kl), 0);
    write_file(b, " " S32 "\nSERVER_HANDSHAKE_TRAFFIC_SECRET " R2 " " S32 "\n", "a");
    assert_int_equal(tls_keylog_reload(kl), 2);
    const struct tls_keylog_entry *e = tls_keylog_find(kl, r2);
    assert_non_null(e);
    assert_int_equal(e->secret[TLS_SECRET_CLIENT_HS].len, 32);
    assert_int_equal(e->secret[TLS_SECRET_SERVER_HS].len, 32);
    assert_int_equal(tls_keylog_stats(kl)->malformed, 0);
    assert_int_equal(tls_keylog_reload(kl), 0);
    tls_keylog_free(kl);
    unlink(a);
    unlink(b);
}

/* A file read in blocks gives what the same text gives in one piece:
 * lines across block boundaries, an overlong one spanning blocks, upper-case
 * and bad hex digits, and a last line without its newline, finished later. */
static void test_keylog_big_file(void **state)
{
    (void)state;
    char path[64];
    snprintf(path, sizeof path, "/tmp/mqd-keylog-big.%d", (int)getpid());
    size_t cap = 200000, n = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    for (int i = 0; i < 400; i++) {
        if (i == 150) { /* an overlong line (more than 16 KiB) */
            memset(text + n, '#', 20000);
            n += 20000;
            text[n++] = '\n';
        }
        n += (size_t)snprintf(text + n, cap - n, "%sCLIENT_RANDOM %08x%056x %s\n",
                              i % 7 ? "" : "  ", (unsigned)i, 0,
                              i == 77 ? "X0112233445566778899aabbccddeeff" S32
                              : i % 5 ? S48
                                      : "00112233445566778899AABBCCDDEEFF"
                                        "00112233445566778899AABBCCDDEEFF"
                                        "00112233445566778899AABBCCDDEEFF");
    }
    size_t whole = n;
    n += (size_t)snprintf(text + n, cap - n, "CLIENT_RANDOM %08x%056x", 999u, 0);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    assert_int_equal(fwrite(text, 1, n, fp), n);
    fclose(fp);

    struct tls_keylog *ref = tls_keylog_new(0), *kl = tls_keylog_new(0);
    assert_int_equal(tls_keylog_add_text(ref, text, whole, path), 399);
    assert_int_equal(tls_keylog_add_file(kl, path), 0);
    const struct tls_keylog_stats *a = tls_keylog_stats(ref), *b = tls_keylog_stats(kl);
    assert_int_equal(b->lines, 401);
    assert_int_equal(b->lines, a->lines);
    assert_int_equal(b->secrets, a->secrets);
    assert_int_equal(b->entries, 399);
    assert_int_equal(b->malformed, 2); /* the overlong line and the bad digit */
    assert_int_equal(b->malformed, a->malformed);
    assert_int_equal(b->first_malformed_line, 78);
    uint8_t r[32] = {0}, want[48];
    unhex(S48, want, sizeof want);
    for (unsigned i = 0; i < 400; i++) {
        r[2] = (uint8_t)(i >> 8);
        r[3] = (uint8_t)i;
        const struct tls_keylog_entry *e = tls_keylog_find(kl, r);
        if (i == 77) {
            assert_null(e);
            continue;
        }
        assert_non_null(e);
        assert_int_equal(e->secret[TLS_SECRET_MASTER].len, 48);
        assert_memory_equal(e->secret[TLS_SECRET_MASTER].b, want, 48);
    }
    r[2] = 999 >> 8;
    r[3] = 999 & 0xFF;
    assert_null(tls_keylog_find(kl, r));
    fp = fopen(path, "a");
    assert_non_null(fp);
    fputs(" " S48 "\n", fp);
    fclose(fp);
    assert_int_equal(tls_keylog_reload(kl), 1);
    assert_non_null(tls_keylog_find(kl, r));
    assert_int_equal(b->lines, 402);
    tls_keylog_free(ref);
    tls_keylog_free(kl);
    free(text);
    unlink(path);
}

/* At most max_entries connections; more are dropped and counted. */
static void test_keylog_bounded(void **state)
{
    (void)state;
    struct tls_keylog *kl = tls_keylog_new(100);
    char line[256];
    for (int i = 0; i < 300; i++) {
        snprintf(line, sizeof line, "CLIENT_RANDOM %08x%056x " S48 "\n", i, 0);
        tls_keylog_add_text(kl, line, strlen(line), "gen");
    }
    assert_int_equal(tls_keylog_stats(kl)->entries, 100);
    assert_int_equal(tls_keylog_stats(kl)->dropped, 200);
    uint8_t r[32] = {0};
    r[3] = 99;
    assert_non_null(tls_keylog_find(kl, r));
    tls_keylog_free(kl);
}

/* A file's room is made at once from its size (tls_keylog.c's reserve):
 * still at most max_entries, and a file that grows a line at a time,
 * re-read after each, still finds every connection. */
static void test_keylog_file_room(void **state)
{
    (void)state;
    char path[64];
    snprintf(path, sizeof path, "/tmp/mqd-keylog-room.%d", (int)getpid());
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    for (int i = 0; i < 300; i++)
        fprintf(fp, "CLIENT_RANDOM %08x%056x " S48 "\n", i, 0);
    fclose(fp);
    struct tls_keylog *kl = tls_keylog_new(100);
    assert_int_equal(tls_keylog_add_file(kl, path), 0);
    assert_int_equal(tls_keylog_stats(kl)->entries, 100);
    assert_int_equal(tls_keylog_stats(kl)->dropped, 200);
    tls_keylog_free(kl);

    kl = tls_keylog_new(0);
    assert_int_equal(tls_keylog_add_file(kl, path), 0);
    for (int i = 300; i < 800; i++) {
        fp = fopen(path, "a");
        assert_non_null(fp);
        fprintf(fp, "CLIENT_RANDOM %08x%056x " S48 "\n", i, 0);
        fclose(fp);
        assert_int_equal(tls_keylog_reload(kl), 1);
    }
    assert_int_equal(tls_keylog_stats(kl)->entries, 800);
    uint8_t r[32] = {0};
    for (unsigned i = 0; i < 800; i++) {
        r[2] = (uint8_t)(i >> 8);
        r[3] = (uint8_t)i;
        assert_non_null(tls_keylog_find(kl, r));
    }
    r[3] = 0xFF;
    r[2] = 0x7F;
    assert_null(tls_keylog_find(kl, r));
    /* emptied (a fresh log in its place) and seen so, then written past
     * where the old one ended: read from its start */
    fp = fopen(path, "w");
    assert_non_null(fp);
    fclose(fp);
    assert_int_equal(tls_keylog_reload(kl), 0);
    fp = fopen(path, "a");
    assert_non_null(fp);
    for (int i = 0; i < 801; i++)
        fprintf(fp, "CLIENT_RANDOM %08x%056x " S48 "\n", 0x7000 + i, 0);
    fclose(fp);
    assert_int_equal(tls_keylog_reload(kl), 801);
    r[2] = 0x70;
    r[3] = 0;
    assert_non_null(tls_keylog_find(kl, r));
    tls_keylog_free(kl);
    unlink(path);
}

/* pcapng Decryption Secrets Block bodies, both byte orders. */
static void test_keylog_dsb(void **state)
{
    (void)state;
    static const char text[] = "CLIENT_RANDOM " R1 " " S48 "\n";
    uint8_t body[512];
    size_t n = sizeof text - 1;
    struct tls_keylog *kl = tls_keylog_new(0);
    /* little endian: "TLSK" as 0x544c534b */
    memcpy(body, "\x4b\x53\x4c\x54", 4);
    body[4] = (uint8_t)n, body[5] = 0, body[6] = 0, body[7] = 0;
    memcpy(body + 8, text, n);
    assert_int_equal(tls_keylog_add_dsb(kl, body, 8 + n, false), 1);
    assert_int_equal(tls_keylog_stats(kl)->entries, 1);
    assert_int_equal(tls_keylog_add_dsb(kl, body, 8 + n - 1, false), -1);
    assert_int_equal(tls_keylog_add_dsb(kl, body, 8 + n, true), -1);
    memcpy(body, "\x54\x4c\x53\x4b\x00\x00\x00", 7);
    body[7] = (uint8_t)n;
    assert_int_equal(tls_keylog_add_dsb(kl, body, 8 + n, true), 1);
    memcpy(body, "WGKY", 4); /* another secrets type */
    assert_int_equal(tls_keylog_add_dsb(kl, body, 8 + n, true), 0);
    tls_keylog_free(kl);
}

/* ---- key schedule ---- */

static void expect_keys(const char *secret_hex, const char *key_hex,
                        const char *iv_hex)
{
    uint8_t secret[48], key[32], iv[12];
    size_t sl = unhex(secret_hex, secret, sizeof secret);
    size_t kl = unhex(key_hex, key, sizeof key);
    unhex(iv_hex, iv, sizeof iv);
    struct tls_traffic_keys k;
    assert_true(tls13_traffic_keys(tls_suite_find(0x1301), secret, sl, &k));
    assert_memory_equal(k.key, key, kl);
    assert_memory_equal(k.iv, iv, 12);
}

/* RFC 8448 section 3 (Simple 1-RTT Handshake, TLS_AES_128_GCM_SHA256):
 * "derive write traffic keys" for handshake and application data. */
static void test_rfc8448_keys(void **state)
{
    (void)state;
    expect_keys("b6 7b 7d 69 0c c1 6c 4e 75 e5 42 13 cb 2d 37 b4"
                "e9 c9 12 bc de d9 10 5d 42 be fd 59 d3 91 ad 38",
                "3f ce 51 60 09 c2 17 27 d0 f2 e4 e8 6e e4 03 bc",
                "5d 31 3e b2 67 12 76 ee 13 00 0b 30");
    expect_keys("b3 ed db 12 6e 06 7f 35 a7 80 b3 ab f4 5e 2d 8f"
                "3b 1a 95 07 38 f5 2e 96 00 74 6a 0e 27 a5 5a 21",
                "db fa a6 93 d1 76 2c 5b 66 6a f5 d9 50 25 8d 01",
                "5b d3 c7 1b 83 6e 0b 76 bb 73 26 5f");
    expect_keys("a1 1a f9 f0 55 31 f8 56 ad 47 11 6b 45 a9 50 32"
                "82 04 b4 f4 4b fb 6b 3a 4b 4f 1f 3f cb 63 16 43",
                "9f 02 28 3b 6c 9c 07 ef c2 6b b9 f2 ac 92 e3 56",
                "cf 78 2b 88 dd 83 54 9a ad f1 e9 84");
    expect_keys("9e 40 64 6c e7 9a 7f 9d c0 5a f8 88 9b ce 65 52"
                "87 5a fa 0b 06 df 00 87 f7 92 eb b7 c1 75 04 a5",
                "17 42 2d da 59 6e d5 d9 ac d8 90 e3 c6 3f 50 51",
                "5b 78 92 3d ee 08 57 90 33 e5 23 d9");
    /* RFC 8448 3: the server's "finished" key (HKDF-Expand-Label with the
     * label "finished"), the same function with another label. */
    uint8_t secret[32], want[32], got[32];
    unhex("b6 7b 7d 69 0c c1 6c 4e 75 e5 42 13 cb 2d 37 b4"
          "e9 c9 12 bc de d9 10 5d 42 be fd 59 d3 91 ad 38", secret, 32);
    unhex("00 8d 3b 66 f8 16 ea 55 9f 96 b5 37 e8 85 c3 1f"
          "c0 68 bf 49 2c 65 2f 01 f2 88 a1 d8 cd c1 9f c8", want, 32);
    assert_true(tls13_expand_label(32, secret, 32, "finished", NULL, 0, got, 32));
    assert_memory_equal(got, want, 32);
    /* KeyUpdate: the next secret differs and has the same length. */
    uint8_t next[32];
    memcpy(next, secret, 32);
    assert_true(tls13_next_secret(tls_suite_find(0x1301), next, 32));
    assert_memory_not_equal(next, secret, 32);
}

/* The TLS 1.2 PRF (SHA-256) test vector published on the IETF TLS list. */
static void test_tls12_prf(void **state)
{
    (void)state;
    uint8_t secret[16], seed[16], want[100], got[100];
    unhex("9b be 43 6b a9 40 f0 17 b1 76 52 84 9a 71 db 35", secret, 16);
    unhex("a0 ba 9f 93 6c da 31 18 27 a6 f7 96 ff d5 19 8c", seed, 16);
    unhex("e3 f2 29 ba 72 7b e1 7b 8d 12 26 20 55 7c d4 53"
          "c2 aa b2 1d 07 c3 d4 95 32 9b 52 d4 e6 1e db 5a"
          "6b 30 17 91 e9 0d 35 c9 c9 a4 6b 4e 14 ba f9 af"
          "0f a0 22 f7 07 7d ef 17 ab fd 37 97 c0 56 4b ab"
          "4f bc 91 66 6e 9d ef 9b 97 fc e3 4f 79 67 89 ba"
          "a4 80 82 d1 22 ee 42 c5 a7 2e 5a 51 10 ff f7 01"
          "87 34 7b 66", want, 100);
    assert_true(tls12_prf(32, secret, 16, "test label", seed, 16, got, 100));
    assert_memory_equal(got, want, 100);
    assert_null(tls_suite_find(0x1304)); /* CCM: not decrypted */
    assert_null(tls_suite_find(0x000A)); /* 3DES */
    assert_non_null(tls_suite_find(0xCCA8));
    assert_int_equal(tls_suite_find(0xC027)->mac_len, 32); /* CBC, HMAC-SHA256 */
    assert_int_equal(tls_suite_find(0xC028)->hash_len, 48); /* PRF SHA-384 */
}

/* ---- real captures ---- */

struct sink {
    uint8_t *pt[2];
    size_t len[2];
    unsigned ev[TLS_DEC_MALFORMED + 1];
    uint16_t version, suite;
    uint64_t lost[2];      /* plaintext bytes said lost (lost callback) */
    unsigned lost_unknown; /* calls with TLS_DEC_LOST_UNKNOWN */
};

static void on_data(void *ctx, int dir, const uint8_t *p, size_t n)
{
    struct sink *s = ctx;
    assert_true(dir == 0 || dir == 1);
    assert_true(n > 0 && n <= 16384);
    s->pt[dir] = realloc(s->pt[dir], s->len[dir] + n);
    assert_non_null(s->pt[dir]);
    memcpy(s->pt[dir] + s->len[dir], p, n);
    s->len[dir] += n;
}

static void on_event(void *ctx, const struct tls_dec_event *ev)
{
    struct sink *s = ctx;
    assert_true(ev->kind <= TLS_DEC_MALFORMED);
    s->ev[ev->kind]++;
    if (ev->kind == TLS_DEC_KEYS) {
        s->version = ev->version;
        s->suite = ev->suite;
    }
}

static void on_lost(void *ctx, int dir, uint64_t n)
{
    struct sink *s = ctx;
    assert_true(dir == 0 || dir == 1);
    assert_int_not_equal(n, 0);
    if (n == TLS_DEC_LOST_UNKNOWN)
        s->lost_unknown++;
    else
        s->lost[dir] += n;
}

static void sink_free(struct sink *s)
{
    free(s->pt[0]);
    free(s->pt[1]);
    memset(s, 0, sizeof *s);
}

enum feed_mode { FEED_RUNS, FEED_SEGMENTS, FEED_BYTES, FEED_RANDOM };

/* Feeds the connection in capture order; gap_seg (if not SIZE_MAX) is a
 * segment reported lost instead of fed. */
static void run(const struct tcp_payload *tp, struct tls_keylog *kl,
                enum feed_mode mode, size_t gap_seg, struct sink *s)
{
    struct tls_dec_callbacks cb = {on_data, on_event, s, on_lost};
    memset(s, 0, sizeof *s);
    struct tls_decrypt *t = tls_decrypt_new(kl, &cb);
    assert_non_null(t);
    unsigned rnd = 12345;
    for (size_t i = 0; i < tp->nsegs; i++) {
        const struct tcp_seg *g = &tp->segs[i];
        const uint8_t *p = tp->data[g->dir] + g->off;
        size_t n = g->len;
        if (i == gap_seg) {
            tls_decrypt_gap(t, g->dir, n);
            continue;
        }
        if (mode == FEED_RUNS) { /* one feed per run of one direction */
            while (i + 1 < tp->nsegs && i + 1 != gap_seg &&
                   tp->segs[i + 1].dir == g->dir)
                n += tp->segs[++i].len;
            tls_decrypt_feed(t, g->dir, p, n);
            continue;
        }
        for (size_t off = 0; off < n;) {
            size_t k = n - off;
            if (mode == FEED_BYTES)
                k = 1;
            if (mode == FEED_RANDOM) {
                rnd = rnd * 1103515245u + 12345u;
                size_t r = (rnd >> 16) % 700 + 1;
                k = r < k ? r : k;
            }
            tls_decrypt_feed(t, g->dir, p + off, k);
            off += k;
        }
    }
    tls_decrypt_free(t);
}

static char *capture_path(char *buf, size_t cap, const char *name,
                          const char *ext)
{
    snprintf(buf, cap, "%s/captures/tls/%s.%s", MQD_SOURCE_DIR, name, ext);
    return buf;
}

static struct tls_keylog *keylog_of(const char *name)
{
    char path[4096];
    struct tls_keylog *kl = tls_keylog_new(0);
    assert_non_null(kl);
    assert_int_equal(tls_keylog_add_file(kl, capture_path(path, sizeof path, name, "keylog")), 0);
    assert_int_equal(tls_keylog_stats(kl)->malformed, 0);
    return kl;
}

static void load_nth(const char *name, unsigned nth, struct tcp_payload *tp)
{
    char path[4096];
    assert_int_equal(tcp_payload_load_nth(capture_path(path, sizeof path, name, "pcap"), nth, tp), 0);
}

static void load(const char *name, struct tcp_payload *tp)
{
    load_nth(name, 0, tp);
}

struct capture_case {
    const char *name;
    unsigned conn;      /* which connection of the capture */
    uint16_t version, suite;
    size_t big;         /* a message of this size went both ways */
    const char *text;   /* published text (NULL: "secret over TLS from NAME") */
    bool echoed;        /* the text also comes back from the broker */
    bool wss;           /* WebSocket inside: the client's frames are masked */
};

static const struct capture_case cases[] = {
    {"tls13_aes128gcm", 0, 0x0304, 0x1301, 0, NULL, true, false},
    {"tls13_aes256gcm", 0, 0x0304, 0x1302, 0, NULL, true, false},
    {"tls13_chacha20", 0, 0x0304, 0x1303, 0, NULL, true, false},
    {"tls12_aes128gcm", 0, 0x0303, 0xC02F, 0, NULL, true, false},
    {"tls12_aes256gcm", 0, 0x0303, 0xC030, 0, NULL, true, false},
    {"tls12_chacha20", 0, 0x0303, 0xCCA8, 0, NULL, true, false},
    {"tls13_big_100k", 0, 0x0304, 0x1301, 102400, NULL, true, false},
    /* CBC with HMAC: encrypt-then-MAC, MAC-then-encrypt */
    {"tls12_cbc_sha256_etm", 0, 0x0303, 0xC027, 0, NULL, true, false},
    {"tls12_cbc_sha1_mte", 0, 0x0303, 0xC014, 0, NULL, true, false},
    /* resumption: a full handshake, then one resuming its session */
    {"tls13_resumed", 0, 0x0304, 0x1301, 0, "secret over TLS from tls13_resumed_first", false, false},
    {"tls13_resumed", 1, 0x0304, 0x1301, 0, "secret over TLS from tls13_resumed_second", false, false},
    {"tls12_resumed", 0, 0x0303, 0xC02F, 0, "secret over TLS from tls12_resumed_first", false, false},
    {"tls12_resumed", 1, 0x0303, 0xC02F, 0, "secret over TLS from tls12_resumed_second", false, false},
    /* KeyUpdate in both directions between two messages */
    {"tls13_keyupdate", 0, 0x0304, 0x1301, 0, "secret after key update", true, false},
    /* a HelloRetryRequest before the real ServerHello */
    {"tls13_hrr", 0, 0x0304, 0x1301, 0, "secret after a retry", true, false},
    /* MQTT 5 over WebSocket over TLS 1.3 (OpenSSL's default suite) */
    {"wss_v5", 0, 0x0304, 0x1302, 0, NULL, true, true},
};

static void check_mqtt(const struct capture_case *c, const struct sink *s)
{
    char text[128];
    snprintf(text, sizeof text, "secret over TLS from %s", c->name);
    if (c->text)
        snprintf(text, sizeof text, "%s", c->text);
    assert_int_equal(s->ev[TLS_DEC_KEYS], 1);
    assert_int_equal(s->version, c->version);
    assert_int_equal(s->suite, c->suite);
    for (int k = TLS_DEC_NO_KEY; k <= TLS_DEC_MALFORMED; k++)
        if (k != TLS_DEC_ALERT)
            assert_int_equal(s->ev[k], 0);
    assert_true(s->len[0] > 2 && s->len[1] > 2);
    if (c->wss) { /* the handshake, then frames; only the server's unmasked */
        assert_true(s->len[0] > 12 && s->len[1] > 12);
        assert_memory_equal(s->pt[0], "GET /mqtt", 9);
        assert_memory_equal(s->pt[1], "HTTP/1.1 101", 12);
        assert_non_null(memmem(s->pt[1], s->len[1], text, strlen(text)));
        return;
    }
    assert_int_equal(s->pt[0][0], 0x10); /* CONNECT */
    assert_int_equal(s->pt[1][0], 0x20); /* CONNACK */
    for (int dir = 0; dir < 2; dir++) {
        if (dir == 0 || c->echoed)
            assert_non_null(memmem(s->pt[dir], s->len[dir], text, strlen(text)));
        assert_true(s->len[dir] > c->big);
    }
    /* The client ends with DISCONNECT (0xE0 0x00). */
    assert_int_equal(s->pt[0][s->len[0] - 2], 0xE0);
    assert_int_equal(s->pt[0][s->len[0] - 1], 0x00);
}

/* Every capture, every chunking: the same plaintext, which is MQTT. */
static void test_captures(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct capture_case *c = &cases[i];
        struct tcp_payload tp;
        load_nth(c->name, c->conn, &tp);
        struct tls_keylog *kl = keylog_of(c->name);
        struct sink ref, s;
        run(&tp, kl, FEED_RUNS, SIZE_MAX, &ref);
        print_message("%s (%u): %zu and %zu plaintext bytes\n", c->name, c->conn,
                      ref.len[0], ref.len[1]);
        check_mqtt(c, &ref);
        for (int mode = FEED_SEGMENTS; mode <= FEED_RANDOM; mode++) {
            if (mode == FEED_BYTES && c->big)
                continue; /* the small ones cover byte-at-a-time */
            run(&tp, kl, (enum feed_mode)mode, SIZE_MAX, &s);
            for (int dir = 0; dir < 2; dir++) {
                assert_int_equal(s.len[dir], ref.len[dir]);
                assert_memory_equal(s.pt[dir], ref.pt[dir], ref.len[dir]);
            }
            assert_memory_equal(s.ev, ref.ev, sizeof s.ev);
            sink_free(&s);
        }
        sink_free(&ref);
        tls_keylog_free(kl);
        tcp_payload_free(&tp);
    }
}

/* Reads a key log and changes the last hex digit of every secret. */
static struct tls_keylog *wrong_keylog_of(const char *name)
{
    char path[4096], line[1100], text[8192] = "";
    FILE *fp = fopen(capture_path(path, sizeof path, name, "keylog"), "r");
    assert_non_null(fp);
    while (fgets(line, sizeof line, fp)) {
        size_t n = strcspn(line, "\r\n");
        if (n > 0 && line[0] != '#')
            line[n - 1] = line[n - 1] == '0' ? '1' : '0';
        assert_true(strlen(text) + strlen(line) < sizeof text);
        strcat(text, line);
    }
    fclose(fp);
    struct tls_keylog *kl = tls_keylog_new(0);
    tls_keylog_add_text(kl, text, strlen(text), "wrong");
    return kl;
}

/* Wrong secrets: authentication fails, nothing is passed up. */
static void test_wrong_keys(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct tcp_payload tp;
        load_nth(cases[i].name, cases[i].conn, &tp);
        struct tls_keylog *kl = wrong_keylog_of(cases[i].name);
        struct sink s;
        run(&tp, kl, FEED_SEGMENTS, SIZE_MAX, &s);
        assert_int_equal(s.ev[TLS_DEC_KEYS], 1);
        assert_true(s.ev[TLS_DEC_AUTH_FAIL] >= 1);
        assert_int_equal(s.ev[TLS_DEC_RESYNC], 0);
        assert_int_equal(s.len[0] + s.len[1], 0);
        sink_free(&s);
        tls_keylog_free(kl);
        tcp_payload_free(&tp);
    }
}

/* A key log for other connections (and an empty one): "no key". */
static void test_no_key(void **state)
{
    (void)state;
    struct tcp_payload tp;
    load("tls13_aes128gcm", &tp);
    struct tls_keylog *other = keylog_of("tls12_aes128gcm");
    struct tls_keylog *empty = tls_keylog_new(0);
    struct sink s;
    run(&tp, other, FEED_SEGMENTS, SIZE_MAX, &s);
    assert_int_equal(s.ev[TLS_DEC_NO_KEY], 1);
    assert_int_equal(s.ev[TLS_DEC_KEYS], 0);
    assert_int_equal(s.len[0] + s.len[1], 0);
    sink_free(&s);
    run(&tp, empty, FEED_BYTES, SIZE_MAX, &s);
    assert_int_equal(s.ev[TLS_DEC_NO_KEY], 1);
    assert_int_equal(s.len[0] + s.len[1], 0);
    sink_free(&s);
    run(&tp, NULL, FEED_RUNS, SIZE_MAX, &s);
    assert_int_equal(s.ev[TLS_DEC_NO_KEY], 1);
    assert_int_equal(s.len[0] + s.len[1], 0);
    sink_free(&s);
    tls_keylog_free(other);
    tls_keylog_free(empty);
    tcp_payload_free(&tp);
}

/* got is a prefix of want followed by a suffix of want (a piece lost in
 * between, nothing else changed). */
static void assert_prefix_suffix(const uint8_t *got, size_t glen,
                                 const uint8_t *want, size_t wlen)
{
    size_t p = 0;
    assert_true(glen <= wlen);
    while (p < glen && got[p] == want[p])
        p++;
    size_t rest = glen - p;
    assert_memory_equal(got + p, want + wlen - rest, rest);
}

/* A segment lost in the middle of each direction's large message: a gap
 * event, records found again, and the plaintext is the original with a
 * piece missing. */
static void test_gap(void **state)
{
    (void)state;
    static const char *names[] = {"tls13_big_100k", "tls12_aes128gcm",
                                  "tls12_cbc_sha1_mte", "tls12_cbc_sha256_etm"};
    for (size_t c = 0; c < sizeof names / sizeof names[0]; c++) {
        struct tcp_payload tp;
        load(names[c], &tp);
        struct tls_keylog *kl = keylog_of(names[c]);
        struct sink ref, s;
        run(&tp, kl, FEED_SEGMENTS, SIZE_MAX, &ref);
        for (int dir = 0; dir < 2; dir++) {
            /* the largest segment of the direction past its first third */
            size_t gap = SIZE_MAX, best = 0;
            for (size_t i = tp.nsegs / 3; i < tp.nsegs; i++)
                if (tp.segs[i].dir == dir && tp.segs[i].len > best) {
                    best = tp.segs[i].len;
                    gap = i;
                }
            assert_true(gap != SIZE_MAX);
            for (int mode = FEED_SEGMENTS; mode <= FEED_RANDOM; mode += 2) {
                run(&tp, kl, (enum feed_mode)mode, gap, &s);
                assert_int_equal(s.ev[TLS_DEC_GAP], 1);
                assert_int_equal(s.ev[TLS_DEC_NO_KEY], 0);
                assert_true(s.len[dir] < ref.len[dir]);
                assert_prefix_suffix(s.pt[dir], s.len[dir], ref.pt[dir], ref.len[dir]);
                assert_int_equal(s.len[!dir], ref.len[!dir]);
                if (c == 0)
                    assert_int_equal(s.ev[TLS_DEC_RESYNC], 1);
                /* Once records decrypt again, the plaintext lost is told:
                 * exactly for the AEAD suites (what came and what was lost
                 * add up to the whole), as unknown for CBC. */
                if (s.ev[TLS_DEC_RESYNC] && c < 2) {
                    assert_int_equal(s.lost_unknown, 0);
                    assert_int_equal(s.len[dir] + s.lost[dir], ref.len[dir]);
                } else if (s.ev[TLS_DEC_RESYNC]) {
                    assert_int_equal(s.lost_unknown, 1);
                }
                assert_int_equal(s.lost[!dir], 0);
                sink_free(&s);
            }
        }
        sink_free(&ref);
        tls_keylog_free(kl);
        tcp_payload_free(&tp);
    }
}

/* One byte changed inside a record of each direction's large message: that
 * record fails authentication and is dropped, the next ones decrypt. */
static void test_corrupt_record(void **state)
{
    (void)state;
    struct tcp_payload tp;
    load("tls13_big_100k", &tp);
    struct tls_keylog *kl = keylog_of("tls13_big_100k");
    struct sink ref, s;
    run(&tp, kl, FEED_RUNS, SIZE_MAX, &ref);
    for (int dir = 0; dir < 2; dir++) {
        size_t at = tp.len[dir] / 2;
        tp.data[dir][at] ^= 0x40;
        run(&tp, kl, FEED_RANDOM, SIZE_MAX, &s);
        tp.data[dir][at] ^= 0x40;
        assert_int_equal(s.ev[TLS_DEC_AUTH_FAIL], 1);
        assert_int_equal(s.ev[TLS_DEC_RESYNC], 1);
        assert_int_equal(s.ev[TLS_DEC_MALFORMED], 0);
        assert_true(s.len[dir] < ref.len[dir]);
        assert_true(ref.len[dir] - s.len[dir] <= 16384);
        /* the record that failed is the plaintext said lost */
        assert_int_equal(s.len[dir] + s.lost[dir], ref.len[dir]);
        assert_int_equal(s.lost_unknown, 0);
        assert_prefix_suffix(s.pt[dir], s.len[dir], ref.pt[dir], ref.len[dir]);
        assert_int_equal(s.len[!dir], ref.len[!dir]);
        sink_free(&s);
    }
    sink_free(&ref);
    tls_keylog_free(kl);
    tcp_payload_free(&tp);
}

/* Garbage and a capture cut in the middle: no plaintext, no crash. */
static void test_not_tls(void **state)
{
    (void)state;
    struct sink s;
    memset(&s, 0, sizeof s);
    struct tls_dec_callbacks cb = {on_data, on_event, &s, on_lost};
    struct tls_decrypt *t = tls_decrypt_new(NULL, &cb);
    static const uint8_t junk[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    tls_decrypt_feed(t, 0, junk, sizeof junk);
    tls_decrypt_feed(t, 1, junk, sizeof junk);
    tls_decrypt_gap(t, 0, 100);
    tls_decrypt_feed(t, 0, junk, sizeof junk);
    assert_int_equal(s.len[0] + s.len[1], 0);
    assert_int_equal(s.ev[TLS_DEC_MALFORMED], 2);
    tls_decrypt_free(t);
    sink_free(&s);

    struct tcp_payload tp;
    load("tls12_chacha20", &tp);
    struct tls_keylog *kl = keylog_of("tls12_chacha20");
    memset(&s, 0, sizeof s);
    t = tls_decrypt_new(kl, &cb);
    for (size_t i = 0; i < tp.nsegs; i++) /* every segment but its last byte */
        tls_decrypt_feed(t, tp.segs[i].dir, tp.data[tp.segs[i].dir] + tp.segs[i].off,
                         tp.segs[i].len - 1);
    assert_int_equal(s.len[0] + s.len[1], 0);
    tls_decrypt_free(t);
    sink_free(&s);
    tls_keylog_free(kl);
    tcp_payload_free(&tp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keylog_lines),
        cmocka_unit_test(test_keylog_spacing),
        cmocka_unit_test(test_keylog_files),
        cmocka_unit_test(test_keylog_big_file),
        cmocka_unit_test(test_keylog_bounded),
        cmocka_unit_test(test_keylog_file_room),
        cmocka_unit_test(test_keylog_dsb),
        cmocka_unit_test(test_rfc8448_keys),
        cmocka_unit_test(test_tls12_prf),
        cmocka_unit_test(test_captures),
        cmocka_unit_test(test_wrong_keys),
        cmocka_unit_test(test_no_key),
        cmocka_unit_test(test_gap),
        cmocka_unit_test(test_corrupt_record),
        cmocka_unit_test(test_not_tls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
