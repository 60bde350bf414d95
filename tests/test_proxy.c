/* The PROXY protocol header parser (cli/transport/proxy.c): v1 lines and
 * v2 binary headers, every prefix NEED_MORE, malformed ones refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "transport/proxy.h"

static void expect_addr(const struct proxy_header *h, const char *src,
                        const char *dst)
{
    char a[64], b[64];
    assert_true(h->has_addr);
    pkt_endpoint_format(&h->src, a, sizeof a);
    pkt_endpoint_format(&h->dst, b, sizeof b);
    assert_string_equal(a, src);
    assert_string_equal(b, dst);
}

/* Every proper prefix of buf[0..len) is NEED_MORE; the whole gives want. */
static void check_prefixes(const uint8_t *buf, size_t len, long want,
                           size_t need)
{
    struct proxy_header h;
    for (size_t i = 0; i < need; i++)
        assert_int_equal(proxy_parse(buf, i, &h), PROXY_NEED_MORE);
    assert_int_equal(proxy_parse(buf, len, &h), want);
}

static void test_v1(void **state)
{
    (void)state;
    const char *l4 = "PROXY TCP4 203.0.113.7 192.0.2.1 40000 1883\r\n\x10";
    struct proxy_header h;
    size_t n = strlen(l4) - 1;
    check_prefixes((const uint8_t *)l4, n + 1, (long)n, n);
    assert_int_equal(proxy_parse((const uint8_t *)l4, n + 1, &h), (long)n);
    assert_int_equal(h.version, 1);
    expect_addr(&h, "203.0.113.7:40000", "192.0.2.1:1883");
    const char *l6 = "PROXY TCP6 2001:db8::7 ::1 40000 1883\r\n";
    assert_int_equal(proxy_parse((const uint8_t *)l6, strlen(l6), &h),
                     (long)strlen(l6));
    expect_addr(&h, "[2001:db8::7]:40000", "[::1]:1883");
    const char *unk = "PROXY UNKNOWN whatever\r\n";
    assert_int_equal(proxy_parse((const uint8_t *)unk, strlen(unk), &h),
                     (long)strlen(unk));
    assert_false(h.has_addr);
}

static void test_v1_malformed(void **state)
{
    (void)state;
    static const char *bad[] = {
        "PROXY TCP4 203.0.113.7 192.0.2.1 40000\r\n",
        "PROXY TCP4 203.0.113.777 192.0.2.1 40000 1883\r\n",
        "PROXY TCP4 203.0.113.7 192.0.2.1 70000 1883\r\n",
        "PROXY TCP5 203.0.113.7 192.0.2.1 4 1883\r\n",
        "PROXY TCP6 2001:db8:::7 ::1 40000 1883\r\n",
    };
    struct proxy_header h;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(proxy_parse((const uint8_t *)bad[i], strlen(bad[i]),
                                     &h), PROXY_MALFORMED);
    uint8_t noend[120];
    memset(noend, 'x', sizeof noend);
    memcpy(noend, "PROXY ", 6);
    assert_int_equal(proxy_parse(noend, sizeof noend, &h), PROXY_MALFORMED);
    assert_int_equal(proxy_parse((const uint8_t *)"\x10\x0e", 2, &h),
                     PROXY_NOT);
    assert_int_equal(proxy_parse((const uint8_t *)"PROXZ", 5, &h), PROXY_NOT);
}

static const uint8_t v2_sig[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                   0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

static void test_v2(void **state)
{
    (void)state;
    uint8_t b[64];
    memcpy(b, v2_sig, 12);
    b[12] = 0x21;             /* v2, PROXY */
    b[13] = 0x11;             /* AF_INET, STREAM */
    b[14] = 0;
    b[15] = 12 + 3;           /* addresses and a 3-byte TLV */
    const uint8_t a[12] = {203, 0, 113, 7, 192, 0, 2, 1, 0x9c, 0x40, 0x07,
                           0x5b};
    memcpy(b + 16, a, 12);
    memcpy(b + 28, "\x04\x00\x00", 3);
    struct proxy_header h;
    check_prefixes(b, 31, 31, 28);
    assert_int_equal(proxy_parse(b, 31, &h), 31);
    assert_int_equal(h.version, 2);
    expect_addr(&h, "203.0.113.7:40000", "192.0.2.1:1883");
    assert_int_equal(proxy_parse(b, 28, &h), 31); /* the TLV: to skip */
    b[12] = 0x20;                                 /* LOCAL */
    assert_int_equal(proxy_parse(b, 16, &h), 31);
    assert_false(h.has_addr);
    b[12] = 0x31;                                 /* version 3 */
    assert_int_equal(proxy_parse(b, 31, &h), PROXY_MALFORMED);
    b[12] = 0x21;
    b[15] = 4;                                    /* shorter than IPv4's */
    assert_int_equal(proxy_parse(b, 31, &h), PROXY_MALFORMED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v1),
        cmocka_unit_test(test_v1_malformed),
        cmocka_unit_test(test_v2),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
