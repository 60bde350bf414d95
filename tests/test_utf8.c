/* Tests of dissect/utf8.c: well-formed UTF-8 per RFC 3629, the MQTT
 * prohibitions (surrogates, U+0000) and the discouraged code points of MQTT
 * 5.0 s1.5.4, and the offset of the first problem (mqd_utf8_check); the
 * well-formedness scanner printers use (mqd_utf8_scan,
 * mqd_utf8_valid_prefix, mqd_utf8_decode), and that both agree. Many inputs
 * are placed right before an unreadable page, so an over-read crashes at
 * once. */
#define _DEFAULT_SOURCE /* mmap, MAP_ANONYMOUS, sysconf */

#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mqttdissect/utf8.h"

/* ---- guard page --------------------------------------------------------- */

static uint8_t *guard_base;
static size_t guard_page;

static int guard_setup(void **state)
{
    (void)state;
    guard_page = (size_t)sysconf(_SC_PAGESIZE);
    void *m = mmap(NULL, 2 * guard_page, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return -1;
    guard_base = m;
    return mprotect(guard_base + guard_page, guard_page, PROT_NONE);
}

static int guard_teardown(void **state)
{
    (void)state;
    munmap(guard_base, 2 * guard_page);
    return 0;
}

/* A copy of s[0..len) that ends exactly at the unreadable page. */
static const uint8_t *at_guard(const void *s, size_t len)
{
    assert_true(len <= guard_page);
    uint8_t *p = guard_base + guard_page - len;
    if (len)
        memcpy(p, s, len);
    return p;
}

/* Checks s (with its length) and expects `status` at `off`. Each input is
 * checked twice: in place inside a larger buffer, and at the guard page. */
static void expect_at(const char *s, size_t len, int status, size_t off)
{
    size_t bad = 12345;
    int got = mqd_utf8_check((const uint8_t *)s, len, &bad);
    if (got != status)
        fail_msg("status %d, want %d (len %zu)", got, status, len);
    if (status != MQD_UTF8_OK && bad != off)
        fail_msg("offset %zu, want %zu (status %d)", bad, off, status);

    bad = 12345;
    got = mqd_utf8_check(at_guard(s, len), len, &bad);
    assert_int_equal(got, status);
    if (status != MQD_UTF8_OK)
        assert_int_equal(bad, off);
    else
        assert_int_equal(bad, 12345); /* untouched when OK */
}

#define EXPECT(lit, status, off) expect_at(lit, sizeof(lit) - 1, status, off)
#define OK(lit) EXPECT(lit, MQD_UTF8_OK, 0)
#define ILL(lit, off) EXPECT(lit, MQD_UTF8_ILL_FORMED, off)

/* ---- well-formed ----------------------------------------------------------- */

static void test_valid(void **state)
{
    (void)state;
    OK("");
    OK("a");
    OK("hello/world");
    OK("caf\xC3\xA9");                         /* U+00E9 */
    OK("\xC2\xA0");                            /* U+00A0, first after C1 */
    OK("\xDF\xBF");                            /* U+07FF */
    OK("\xE0\xA0\x80");                        /* U+0800 */
    OK("\xE2\x82\xAC");                        /* U+20AC */
    OK("\xED\x9F\xBF");                        /* U+D7FF, below surrogates */
    OK("\xEE\x80\x80");                        /* U+E000, above them */
    OK("\xEF\xBB\xBF");                        /* U+FEFF: kept, MQTT-1.5.4-3 */
    OK("\xEF\xBF\xBD");                        /* U+FFFD */
    OK("\xEF\xB7\x8F");                        /* U+FDCF */
    OK("\xEF\xB7\xB0");                        /* U+FDF0 */
    OK("\xF0\x90\x80\x80");                    /* U+10000 */
    OK("\xF0\x9F\x98\x80");                    /* U+1F600 */
    OK("\xF4\x8F\xBF\xBD");                    /* U+10FFFD */
    OK("\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E"); /* three CJK */
    OK(" ~");                                  /* printable ASCII bounds */
    OK("0123456789abcdefghijklmnopqrstuvwxyz\xC3\xA9"
       "0123456789abcdefghijklmnopqrstuvwxyz");
}

/* ---- ill-formed ---------------------------------------------------------- */

static void test_overlong(void **state)
{
    (void)state;
    ILL("\xC0\x80", 0);             /* U+0000 in 2 bytes */
    ILL("\xC0\xAF", 0);             /* '/' in 2 bytes */
    ILL("\xC1\xBF", 0);             /* U+007F in 2 bytes */
    ILL("\xE0\x80\xAF", 0);         /* '/' in 3 bytes */
    ILL("\xE0\x9F\xBF", 0);         /* U+07FF in 3 bytes */
    ILL("\xF0\x80\x80\xAF", 0);     /* '/' in 4 bytes */
    ILL("\xF0\x8F\xBF\xBF", 0);     /* U+FFFF in 4 bytes */
    ILL("ab\xE0\x80\x80", 2);
}

static void test_surrogates(void **state)
{
    (void)state;
    EXPECT("\xED\xA0\x80", MQD_UTF8_SURROGATE, 0); /* U+D800 */
    EXPECT("\xED\xAD\xBF", MQD_UTF8_SURROGATE, 0); /* U+DB7F */
    EXPECT("\xED\xB0\x80", MQD_UTF8_SURROGATE, 0); /* U+DC00 */
    EXPECT("\xED\xBF\xBF", MQD_UTF8_SURROGATE, 0); /* U+DFFF */
    EXPECT("x\xED\xA0\x80\xED\xB0\x80", MQD_UTF8_SURROGATE, 1); /* CESU pair */
    ILL("\xED\xA0", 0);    /* surrogate prefix cut by the end */
    ILL("\xED\xA0" "a", 0); /* ... or by a non-continuation */
}

static void test_above_max(void **state)
{
    (void)state;
    ILL("\xF4\x90\x80\x80", 0); /* U+110000 */
    ILL("\xF4\xBF\xBF\xBF", 0);
    ILL("\xF5\x80\x80\x80", 0);
    ILL("\xF7\xBF\xBF\xBF", 0); /* U+1FFFFF, 4-byte form */
    ILL("\xF8\x88\x80\x80\x80", 0); /* old 5-byte form */
    ILL("\xFC\x84\x80\x80\x80\x80", 0); /* old 6-byte form */
}

static void test_bad_lead_bytes(void **state)
{
    (void)state;
    static const uint8_t leads[] = {0xC0, 0xC1, 0xF5, 0xF6, 0xF7, 0xF8,
                                    0xF9, 0xFA, 0xFB, 0xFC, 0xFD, 0xFE, 0xFF};
    for (size_t i = 0; i < sizeof leads; i++) {
        char s[5] = {'a', (char)leads[i], (char)0x80, (char)0x80, (char)0x80};
        expect_at(s, 5, MQD_UTF8_ILL_FORMED, 1);
        expect_at(s, 2, MQD_UTF8_ILL_FORMED, 1);
    }
}

static void test_stray_continuation(void **state)
{
    (void)state;
    ILL("\x80", 0);
    ILL("\xBF", 0);
    ILL("abc\x80", 3);
    ILL("\xC3\xA9\xA9", 2); /* one continuation too many */
    for (unsigned b = 0x80; b <= 0xBF; b++) {
        char s[2] = {'z', (char)b};
        expect_at(s, 2, MQD_UTF8_ILL_FORMED, 1);
    }
}

static void test_bad_continuation(void **state)
{
    (void)state;
    ILL("\xC3" "a", 0);
    ILL("\xC3\xC3\xA9", 0);
    ILL("\xE2\x82" "a", 0);
    ILL("\xE2" "a\xAC", 0);
    ILL("\xF0\x9F\x98" "a", 0);
    ILL("\xF0\x9F" "a\x80", 0);
}

static void test_cut_at_end(void **state)
{
    (void)state;
    ILL("\xC3", 0);
    ILL("ab\xE2\x82", 2);
    ILL("\xE2", 0);
    ILL("\xF0\x9F\x98", 0);
    ILL("\xF0\x9F", 0);
    ILL("\xF0", 0);
    /* Every proper prefix of a 4-byte character at the guard page. */
    const char four[] = "0123456789\xF0\x9F\x98\x80";
    for (size_t len = 11; len < 14; len++)
        expect_at(four, len, MQD_UTF8_ILL_FORMED, 10);
    expect_at(four, 14, MQD_UTF8_OK, 0);
}

/* ---- NUL and discouraged --------------------------------------------------- */

static void test_nul(void **state)
{
    (void)state;
    EXPECT("\0", MQD_UTF8_NUL, 0);
    EXPECT("abc\0def", MQD_UTF8_NUL, 3);
    EXPECT("abcdefghij\0", MQD_UTF8_NUL, 10);
    EXPECT("\xC3\xA9\0", MQD_UTF8_NUL, 2);
}

static void test_discouraged(void **state)
{
    (void)state;
    for (unsigned c = 1; c < 0x20; c++) {
        char s[3] = {'a', (char)c, 'b'};
        expect_at(s, 3, MQD_UTF8_DISCOURAGED, 1);
    }
    EXPECT("abc\x7F", MQD_UTF8_DISCOURAGED, 3);
    EXPECT("line\n", MQD_UTF8_DISCOURAGED, 4);
    EXPECT("tab\there", MQD_UTF8_DISCOURAGED, 3);
    EXPECT("\xC2\x80", MQD_UTF8_DISCOURAGED, 0);      /* U+0080 */
    EXPECT("\xC2\x9F", MQD_UTF8_DISCOURAGED, 0);      /* U+009F */
    EXPECT("x\xEF\xB7\x90", MQD_UTF8_DISCOURAGED, 1); /* U+FDD0 */
    EXPECT("\xEF\xB7\xAF", MQD_UTF8_DISCOURAGED, 0);  /* U+FDEF */
    EXPECT("\xEF\xBF\xBE", MQD_UTF8_DISCOURAGED, 0);  /* U+FFFE */
    EXPECT("\xEF\xBF\xBF", MQD_UTF8_DISCOURAGED, 0);  /* U+FFFF */
    EXPECT("\xF0\x9F\xBF\xBE", MQD_UTF8_DISCOURAGED, 0); /* U+1FFFE */
    EXPECT("\xF0\xAF\xBF\xBF", MQD_UTF8_DISCOURAGED, 0); /* U+2FFFF */
    EXPECT("\xF4\x8F\xBF\xBE", MQD_UTF8_DISCOURAGED, 0); /* U+10FFFE */
    EXPECT("\xF4\x8F\xBF\xBF", MQD_UTF8_DISCOURAGED, 0); /* U+10FFFF */
}

/* The first problem by position wins, whatever its kind. */
static void test_first_problem_wins(void **state)
{
    (void)state;
    EXPECT("a\nb\x80", MQD_UTF8_DISCOURAGED, 1);
    EXPECT("ab\x80\n", MQD_UTF8_ILL_FORMED, 2);
    EXPECT("ab\0\xED\xA0\x80", MQD_UTF8_NUL, 2);
    EXPECT("\xED\xA0\x80\0", MQD_UTF8_SURROGATE, 0);
}

/* A NULL bad_off is allowed. */
static void test_null_offset(void **state)
{
    (void)state;
    assert_int_equal(mqd_utf8_check((const uint8_t *)"\x80", 1, NULL),
                     MQD_UTF8_ILL_FORMED);
    assert_int_equal(mqd_utf8_check(NULL, 0, NULL), MQD_UTF8_OK);
}

/* ---- the 8-byte fast path ------------------------------------------------- */

/* ASCII of 41..48 bytes with one bad byte (or sequence) at every position
 * 0..40, and of 100 bytes with it anywhere: covers every lane of a word,
 * the 32-byte and 8-byte steps, their boundaries and the byte-wise tail. */
static void bad_at_every_position(const char *bad, size_t badlen, int status)
{
    static const size_t lens[] = {41, 42, 43, 44, 45, 46, 47, 48, 100};
    char buf[128];
    for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
        size_t len = lens[k];
        size_t last = len == 100 ? len - badlen : 40;
        for (size_t pos = 0; pos + badlen <= len && pos <= last; pos++) {
            memset(buf, 'x', len);
            memcpy(buf + pos, bad, badlen);
            expect_at(buf, len, status, pos);
        }
    }
}

static void test_fast_path_every_position(void **state)
{
    (void)state;
    bad_at_every_position("\0", 1, MQD_UTF8_NUL);
    bad_at_every_position("\x01", 1, MQD_UTF8_DISCOURAGED);
    bad_at_every_position("\x1F", 1, MQD_UTF8_DISCOURAGED);
    bad_at_every_position("\x7F", 1, MQD_UTF8_DISCOURAGED);
    bad_at_every_position("\x80", 1, MQD_UTF8_ILL_FORMED);
    bad_at_every_position("\xFF", 1, MQD_UTF8_ILL_FORMED);
    bad_at_every_position("\xC0\x80", 2, MQD_UTF8_ILL_FORMED);
    bad_at_every_position("\xED\xA0\x80", 3, MQD_UTF8_SURROGATE);
    bad_at_every_position("\xC2\x85", 2, MQD_UTF8_DISCOURAGED);
    bad_at_every_position("\xEF\xBF\xBF", 3, MQD_UTF8_DISCOURAGED);
}

/* Bytes next to the fast path's limits must not be flagged: 0x20 and 0x7E,
 * and multi-byte characters at every position are fine. */
static void test_fast_path_no_false_alarm(void **state)
{
    (void)state;
    char buf[64];
    for (unsigned b = 0x20; b <= 0x7E; b++) {
        memset(buf, (int)b, sizeof buf);
        expect_at(buf, sizeof buf, MQD_UTF8_OK, 0);
    }
    for (size_t pos = 0; pos <= 40; pos++) {
        memset(buf, '~', 48);
        memcpy(buf + pos, "\xF0\x9F\x98\x80", 4);
        expect_at(buf, 48, MQD_UTF8_OK, 0);
    }
}

/* A megabyte of ASCII with one bad byte near the end, at the guard page. */
static void test_long_input(void **state)
{
    (void)state;
    size_t len = 1u << 20;
    uint8_t *big = mmap(NULL, len + guard_page, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(big != MAP_FAILED);
    assert_int_equal(mprotect(big + len, guard_page, PROT_NONE), 0);
    memset(big, 'a', len);
    size_t bad = 0;
    assert_int_equal(mqd_utf8_check(big, len, &bad), MQD_UTF8_OK);
    big[len - 3] = 0x7F;
    assert_int_equal(mqd_utf8_check(big, len, &bad), MQD_UTF8_DISCOURAGED);
    assert_int_equal(bad, len - 3);
    big[len - 3] = 0xC3;
    big[len - 2] = 0xA9;
    big[len - 1] = 0xC3; /* cut at the very end */
    assert_int_equal(mqd_utf8_check(big, len, &bad), MQD_UTF8_ILL_FORMED);
    assert_int_equal(bad, len - 1);
    munmap(big, len + guard_page);
}

/* ---- well-formedness alone: mqd_utf8_scan and mqd_utf8_valid_prefix ------- */

/* Scans the sequence at the start of s[0..len), in place and at the guard
 * page, and expects `status` with *len == `want_len`. */
static void scan_at(const char *s, size_t len, int status, size_t want_len)
{
    size_t got_len = 99;
    int got = mqd_utf8_scan((const uint8_t *)s, len, &got_len);
    if (got != status || got_len != want_len)
        fail_msg("scan: status %d len %zu, want %d len %zu (input len %zu)",
                 got, got_len, status, want_len, len);
    got_len = 99;
    assert_int_equal(mqd_utf8_scan(at_guard(s, len), len, &got_len), status);
    assert_int_equal(got_len, want_len);
}

#define SCAN(lit, status, n) scan_at(lit, sizeof(lit) - 1, status, n)

static void test_scan(void **state)
{
    (void)state;
    SCAN("a", MQD_UTF8_SEQ_OK, 1);
    SCAN("\0", MQD_UTF8_SEQ_OK, 1);   /* U+0000 is well-formed */
    SCAN("\x7F", MQD_UTF8_SEQ_OK, 1); /* and so are controls */
    SCAN("\xC2\x85", MQD_UTF8_SEQ_OK, 2);
    SCAN("\xC3\xA9xyz", MQD_UTF8_SEQ_OK, 2);
    SCAN("\xE2\x82\xAC", MQD_UTF8_SEQ_OK, 3);
    SCAN("\xEF\xBF\xBF", MQD_UTF8_SEQ_OK, 3); /* a non-character */
    SCAN("\xF0\x9F\x98\x80", MQD_UTF8_SEQ_OK, 4);
    SCAN("\xF4\x8F\xBF\xBF", MQD_UTF8_SEQ_OK, 4);
    /* Ill-formed: the maximal subpart (Unicode 15 s3.9, table 3-8). */
    SCAN("\x80", MQD_UTF8_SEQ_BAD, 1);
    SCAN("\xC0\x80", MQD_UTF8_SEQ_BAD, 1);
    SCAN("\xC1\xBF", MQD_UTF8_SEQ_BAD, 1);
    SCAN("\xF5\x80\x80\x80", MQD_UTF8_SEQ_BAD, 1);
    SCAN("\xFF", MQD_UTF8_SEQ_BAD, 1);
    SCAN("\xE0\x80\x80", MQD_UTF8_SEQ_BAD, 1); /* overlong */
    SCAN("\xED\xA0\x80", MQD_UTF8_SEQ_BAD, 1); /* a surrogate */
    SCAN("\xF0\x8F\xBF\xBF", MQD_UTF8_SEQ_BAD, 1);
    SCAN("\xF4\x90\x80\x80", MQD_UTF8_SEQ_BAD, 1); /* above U+10FFFF */
    SCAN("\xC3" "a", MQD_UTF8_SEQ_BAD, 1);
    SCAN("\xE2\x82" "a", MQD_UTF8_SEQ_BAD, 2);
    SCAN("\xF0\x9F\x98" "a", MQD_UTF8_SEQ_BAD, 3);
    SCAN("\xF0\x9F\x98\xC0", MQD_UTF8_SEQ_BAD, 3);
    /* Cut by the end of the input. */
    SCAN("\xC3", MQD_UTF8_SEQ_CUT, 1);
    SCAN("\xE2", MQD_UTF8_SEQ_CUT, 1);
    SCAN("\xE2\x82", MQD_UTF8_SEQ_CUT, 2);
    SCAN("\xF0\x9F\x98", MQD_UTF8_SEQ_CUT, 3);
    /* Shorter than the lead byte announces, but wrong before the end. */
    SCAN("\xF0" "a", MQD_UTF8_SEQ_BAD, 1);
    SCAN("\xF0\x8F", MQD_UTF8_SEQ_BAD, 1);
    SCAN("\xF0\x9F" "a", MQD_UTF8_SEQ_BAD, 2);
    SCAN("\xE0\x9F", MQD_UTF8_SEQ_BAD, 1);
    SCAN("\xED\xA0", MQD_UTF8_SEQ_BAD, 1);
}

static void test_decode(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        size_t len;
        uint32_t cp;
    } v[] = {
        {"A", 1, 0x41},
        {"\xC2\x80", 2, 0x80},
        {"\xDF\xBF", 2, 0x7FF},
        {"\xE0\xA0\x80", 3, 0x800},
        {"\xE2\x82\xAC", 3, 0x20AC},
        {"\xEF\xBF\xBF", 3, 0xFFFF},
        {"\xF0\x90\x80\x80", 4, 0x10000},
        {"\xF4\x8F\xBF\xBF", 4, 0x10FFFF},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        size_t len = 0;
        const uint8_t *s = (const uint8_t *)v[i].s;
        assert_int_equal(mqd_utf8_scan(s, v[i].len, &len), MQD_UTF8_SEQ_OK);
        assert_int_equal(len, v[i].len);
        assert_int_equal(mqd_utf8_decode(s, len), v[i].cp);
    }
}

static void test_valid_prefix(void **state)
{
    (void)state;
    bool cut;
    const uint8_t s[] = {'a', 0xE2, 0x82, 0xAC, 0xE2, 0x82};
    assert_int_equal(mqd_utf8_valid_prefix(s, sizeof s, &cut), 4);
    assert_true(cut);
    const uint8_t bad[] = {'a', 0xC0, 0x80};
    assert_int_equal(mqd_utf8_valid_prefix(bad, sizeof bad, &cut), 1);
    assert_false(cut);
    assert_int_equal(mqd_utf8_valid_prefix(s, 4, &cut), 4);
    assert_false(cut);
    assert_int_equal(mqd_utf8_valid_prefix(s, sizeof s, NULL), 4);
    assert_int_equal(mqd_utf8_valid_prefix(NULL, 0, &cut), 0);
    assert_true(mqd_utf8_valid(s, 4));
    assert_false(mqd_utf8_valid(s, sizeof s));
    /* What MQTT forbids or discourages is still well-formed. */
    assert_true(mqd_utf8_valid((const uint8_t *)"a\0b\n\x7F\xEF\xBF\xBF", 8));
}

/* The prefix stops at a bad byte anywhere in ASCII runs that cover the
 * 32-byte and 8-byte steps and the byte-wise tail, never reading past the
 * end (guard page); the same with a valid multi-byte character there. */
static void test_valid_prefix_every_position(void **state)
{
    (void)state;
    char buf[128];
    for (size_t len = 1; len <= 100; len++) {
        for (size_t pos = 0; pos < len; pos++) {
            memset(buf, '\x01', len); /* ASCII, even a control, is plain */
            buf[pos] = (char)0x80;
            bool cut = true;
            const uint8_t *g = at_guard(buf, len);
            assert_int_equal(mqd_utf8_valid_prefix(g, len, &cut), pos);
            assert_false(cut);
            buf[pos] = (char)0xC3;
            g = at_guard(buf, len);
            assert_int_equal(mqd_utf8_valid_prefix(g, len, &cut), pos);
            assert_int_equal(cut, pos + 1 == len); /* cut, or bad */
            if (pos + 4 <= len) {
                memcpy(buf + pos, "\xF0\x9F\x98\x80", 4);
                g = at_guard(buf, len);
                assert_int_equal(mqd_utf8_valid_prefix(g, len, &cut), len);
                assert_false(cut);
            }
        }
    }
}

/* The scanner and the MQTT check agree on well-formedness: what the check
 * calls ill-formed or a surrogate is where the valid prefix stops; OK means
 * all of it is well-formed; U+0000 and discouraged characters are inside
 * the valid prefix. Every string of one or two bytes, and a spread of
 * third and fourth bytes after them. */
static void agree(const uint8_t *s, size_t n)
{
    size_t off = 0;
    int st = mqd_utf8_check(s, n, &off);
    size_t prefix = mqd_utf8_valid_prefix(s, n, NULL);
    switch (st) {
    case MQD_UTF8_OK:
        assert_int_equal(prefix, n);
        break;
    case MQD_UTF8_ILL_FORMED:
    case MQD_UTF8_SURROGATE:
        assert_int_equal(prefix, off);
        break;
    default:
        assert_true(prefix > off);
        break;
    }
}

static void test_scan_agrees_with_check(void **state)
{
    (void)state;
    static const uint8_t conts[] = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90,
                                    0x9F, 0xA0, 0xBF, 0xC0, 0xF4, 0xFF};
    uint8_t s[4];
    for (unsigned x = 0; x < 1u << 16; x++) {
        s[0] = (uint8_t)x;
        s[1] = (uint8_t)(x >> 8);
        agree(s, 1);
        agree(s, 2);
        for (size_t j = 0; j < sizeof conts; j++) {
            s[2] = conts[j];
            agree(s, 3);
            for (size_t k = 0; s[0] >= 0xF0 && k < sizeof conts; k++) {
                s[3] = conts[k];
                agree(s, 4);
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_overlong),
        cmocka_unit_test(test_surrogates),
        cmocka_unit_test(test_above_max),
        cmocka_unit_test(test_bad_lead_bytes),
        cmocka_unit_test(test_stray_continuation),
        cmocka_unit_test(test_bad_continuation),
        cmocka_unit_test(test_cut_at_end),
        cmocka_unit_test(test_nul),
        cmocka_unit_test(test_discouraged),
        cmocka_unit_test(test_first_problem_wins),
        cmocka_unit_test(test_null_offset),
        cmocka_unit_test(test_fast_path_every_position),
        cmocka_unit_test(test_fast_path_no_false_alarm),
        cmocka_unit_test(test_long_input),
        cmocka_unit_test(test_scan),
        cmocka_unit_test(test_decode),
        cmocka_unit_test(test_valid_prefix),
        cmocka_unit_test(test_valid_prefix_every_position),
        cmocka_unit_test(test_scan_agrees_with_check),
    };
    return cmocka_run_group_tests(tests, guard_setup, guard_teardown);
}
