/* Checksum verification (cli/net/checksum.c) through decode_frame: frames
 * built by pktgen (correct checksums), then corrupted or rewritten the way
 * transmit offload leaves them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "net/decode.h"
#include "pktgen.h"

#define ETH 14

static size_t build(struct pktgen_flow *f, bool udp, uint8_t *buf)
{
    if (udp)
        return pktgen_build_udp(DLT_EN10MB, f, 0, "hello", 5, buf, 256);
    return pktgen_build_tcp(DLT_EN10MB, f, 0, TCP_ACK | TCP_PSH, 1000, 2000,
                            "hello", 5, buf, 256);
}

static enum decode_result decode(const uint8_t *buf, size_t len, bool verify)
{
    struct decoded d;
    return decode_frame(DLT_EN10MB, buf, len, len, verify, &d);
}

/* Offset of the transport checksum field in the frame. */
static size_t l4_sum_at(const struct pktgen_flow *f, bool udp)
{
    return ETH + (f->family == 4 ? 20 : 40) + (udp ? 6 : 16);
}

/* The pseudo-header sum alone (what Linux leaves for the NIC). */
static uint16_t pseudo(const struct pktgen_flow *f, bool udp, size_t l4len)
{
    size_t alen = f->family == 4 ? 4 : 16;
    uint32_t s = 0;
    for (int a = 0; a < 2; a++)
        for (size_t i = 0; i < alen; i += 2)
            s += (uint32_t)f->addr[a][i] << 8 | f->addr[a][i + 1];
    s += (udp ? 17u : 6u) + (uint32_t)l4len;
    while (s >> 16)
        s = (s & 0xFFFF) + (s >> 16);
    return (uint16_t)s;
}

static void check_family(struct pktgen_flow *f, bool udp)
{
    uint8_t buf[256];
    size_t len = build(f, udp, buf);
    enum decode_result ok = udp ? DECODE_UDP : DECODE_TCP;
    size_t at = l4_sum_at(f, udp);
    size_t l4len = len - (at - (udp ? 6 : 16));
    assert_int_equal(decode(buf, len, true), ok);
    buf[len - 1] ^= 0x20; /* a payload byte */
    assert_int_equal(decode(buf, len, true), DECODE_BAD_CHECKSUM);
    assert_int_equal(decode(buf, len, false), ok); /* --no-checksum */
    buf[at] = buf[at + 1] = 0;                     /* offload: zero */
    assert_int_equal(decode(buf, len, true), ok);
    uint16_t ps = pseudo(f, udp, l4len);           /* offload: partial */
    buf[at] = (uint8_t)(ps >> 8);
    buf[at + 1] = (uint8_t)ps;
    assert_int_equal(decode(buf, len, true), ok);
    buf[at + 1] ^= 1;                              /* neither */
    assert_int_equal(decode(buf, len, true), DECODE_BAD_CHECKSUM);
}

/* The sum runs eight bytes at a time with a tail: every payload length
 * from 0 to 300 (every remainder, odd and even), over IPv4 and IPv6, TCP
 * and UDP, must pass as pktgen's byte-wise checksum made it, and fail with
 * any one byte changed. */
static void test_every_length(void **state)
{
    (void)state;
    static uint8_t payload[300], buf[512];
    for (size_t i = 0; i < sizeof payload; i++)
        payload[i] = (uint8_t)(i * 37 + 11);
    for (int fam = 4; fam <= 6; fam += 2) {
        struct pktgen_flow f;
        if (fam == 4)
            pktgen_flow4(&f, "10.1.2.3", 40001, "10.0.0.2", 1883);
        else
            pktgen_flow6(&f, "2001:db8::7", 40001, "2001:db8::2", 1883);
        for (size_t n = 0; n <= sizeof payload; n++) {
            for (int udp = 0; udp < 2; udp++) {
                size_t len = udp ? pktgen_build_udp(DLT_EN10MB, &f, 0, payload, n, buf, sizeof buf)
                                 : pktgen_build_tcp(DLT_EN10MB, &f, 0, TCP_ACK | TCP_PSH, 1000,
                                                    2000, payload, n, buf, sizeof buf);
                enum decode_result ok = udp ? DECODE_UDP : DECODE_TCP;
                assert_int_equal(decode(buf, len, true), ok);
                if (n == 0)
                    continue;
                buf[len - 1 - n / 2] ^= 0x01;
                assert_int_equal(decode(buf, len, true), DECODE_BAD_CHECKSUM);
            }
        }
    }
}

static void test_tcp_udp_ipv4(void **state)
{
    (void)state;
    struct pktgen_flow f;
    pktgen_flow4(&f, "10.0.0.1", 50000, "10.0.0.2", 1883);
    check_family(&f, false);
    check_family(&f, true);
}

static void test_tcp_udp_ipv6(void **state)
{
    (void)state;
    struct pktgen_flow f;
    pktgen_flow6(&f, "2001:db8::1", 50000, "2001:db8::2", 1883);
    check_family(&f, false);
    check_family(&f, true);
}

static void test_ipv4_header(void **state)
{
    (void)state;
    struct pktgen_flow f;
    pktgen_flow4(&f, "10.0.0.1", 50000, "10.0.0.2", 1883);
    uint8_t buf[256];
    size_t len = build(&f, false, buf);
    buf[ETH + 8] ^= 0x01; /* the TTL: only the header checksum covers it */
    assert_int_equal(decode(buf, len, true), DECODE_BAD_CHECKSUM);
    buf[ETH + 10] = buf[ETH + 11] = 0; /* offload: zero */
    assert_int_equal(decode(buf, len, true), DECODE_TCP);
}

/* Cut by the snaplen: not checkable, accepted. */
static void test_cut_is_not_checked(void **state)
{
    (void)state;
    struct pktgen_flow f;
    pktgen_flow4(&f, "10.0.0.1", 50000, "10.0.0.2", 1883);
    uint8_t buf[256];
    size_t len = build(&f, false, buf);
    buf[len - 1] ^= 0x20;
    struct decoded d;
    assert_int_equal(decode_frame(DLT_EN10MB, buf, len - 1, len, true, &d),
                     DECODE_TCP);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_length),
        cmocka_unit_test(test_tcp_udp_ipv4),
        cmocka_unit_test(test_tcp_udp_ipv6),
        cmocka_unit_test(test_ipv4_header),
        cmocka_unit_test(test_cut_is_not_checked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
