/* IP defragmentation (cli/net/ipfrag.c): packets built by pktgen, split by
 * tests/support/fragment.c, decoded by ip_decode and fed in various
 * orders. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fragment.h"
#include "net/ip.h"
#include "net/ipfrag.h"
#include "pktgen.h"

static uint8_t whole_pkt[2048];
static size_t whole_len;
static uint8_t frags[8][2048];
static size_t frag_len[8];

/* A TCP segment with a 100-byte payload, IPv4 or IPv6, split at the
 * upper-layer offsets cuts[] (multiples of 8). Returns the fragment count. */
static int split(int family, const size_t *cuts, int ncuts, uint32_t id)
{
    struct pktgen_flow f;
    if (family == 4)
        pktgen_flow4(&f, "10.0.0.1", 50000, "10.0.0.2", 1883);
    else
        pktgen_flow6(&f, "2001:db8::1", 50000, "2001:db8::2", 1883);
    char payload[100];
    for (int i = 0; i < 100; i++)
        payload[i] = (char)('a' + i % 26);
    whole_len = pktgen_build_tcp(PKTGEN_LINKTYPE_RAW, &f, 0, TCP_ACK, 1, 1,
                                 payload, sizeof payload, whole_pkt,
                                 sizeof whole_pkt);
    assert_true(whole_len > 0);
    size_t hdr = family == 4 ? 20 : 40, l4 = whole_len - hdr;
    int n = 0;
    for (int i = 0; i <= ncuts; i++) {
        size_t from = i ? cuts[i - 1] : 0, to = i < ncuts ? cuts[i] : l4;
        frag_len[n] = fragment_ip(whole_pkt, whole_len, from, to - from,
                                  i < ncuts, id, frags[n], sizeof frags[n]);
        assert_true(frag_len[n] > 0);
        n++;
    }
    return n;
}

/* Feeds fragment i; returns whether the datagram became whole (then
 * checks it equals the original upper-layer bytes). */
static bool feed(struct ipfrag *fr, int i, int64_t ts)
{
    struct ip_info ip;
    int rc = ip_decode(frags[i][0] >> 4 == 4 ? 0x0800 : 0x86DD, frags[i],
                       frag_len[i], frag_len[i], &ip);
    assert_true(rc == IP_OK || rc == IP_FRAGMENT);
    assert_true(ip.frag.is);
    const uint8_t *data;
    size_t len;
    uint8_t proto;
    if (!ipfrag_add(fr, &ip, ts, &data, &len, &proto))
        return false;
    size_t hdr = (whole_pkt[0] >> 4) == 4 ? 20 : 40;
    assert_int_equal(proto, 6);
    assert_int_equal(len, whole_len - hdr);
    assert_memory_equal(data, whole_pkt + hdr, len);
    return true;
}

static void in_any_order(int family)
{
    const size_t cuts[] = {40, 80};
    static const int orders[][3] = {{0, 1, 2}, {2, 1, 0}, {1, 2, 0}};
    for (size_t o = 0; o < 3; o++) {
        struct ipfrag *fr = ipfrag_new();
        int n = split(family, cuts, 2, 7);
        assert_int_equal(n, 3);
        assert_false(feed(fr, orders[o][0], 0));
        assert_false(feed(fr, orders[o][1], 0));
        assert_true(feed(fr, orders[o][2], 0));
        assert_int_equal(ipfrag_stats(fr)->reassembled, 1);
        ipfrag_free(fr);
    }
}

static void test_ipv4_any_order(void **state)
{
    (void)state;
    in_any_order(4);
}

static void test_ipv6_any_order(void **state)
{
    (void)state;
    in_any_order(6);
}

/* IPv4: an overlapping copy with other bytes: the first copy wins, the
 * conflict is counted. */
static void test_ipv4_overlap_first_wins(void **state)
{
    (void)state;
    struct ipfrag *fr = ipfrag_new();
    const size_t cuts[] = {40};
    split(4, cuts, 1, 9);
    assert_false(feed(fr, 0, 0));
    uint8_t first[2048];
    memcpy(first, frags[0], frag_len[0]);
    size_t first_len = frag_len[0];
    frags[0][first_len - 1] ^= 0xFF; /* a second copy, one byte differs */
    assert_false(feed(fr, 0, 0));
    memcpy(frags[0], first, first_len);
    assert_true(feed(fr, 1, 0)); /* whole, with the first copy's bytes */
    assert_int_equal(ipfrag_stats(fr)->conflicts, 1);
    ipfrag_free(fr);
}

/* IPv6, RFC 5722: an overlapping fragment discards the datagram; an exact
 * duplicate is ignored. */
static void test_ipv6_overlap_discards(void **state)
{
    (void)state;
    struct ipfrag *fr = ipfrag_new();
    const size_t cuts[] = {40};
    split(6, cuts, 1, 9);
    assert_false(feed(fr, 0, 0));
    assert_false(feed(fr, 0, 0)); /* exact duplicate */
    assert_true(feed(fr, 1, 0));
    assert_int_equal(ipfrag_stats(fr)->discarded, 0);
    const size_t cuts2[] = {48};
    split(6, cuts2, 1, 10);
    uint8_t second[2048];
    size_t second_len = frag_len[1];
    memcpy(second, frags[1], second_len);
    const size_t cuts1[] = {40};
    split(6, cuts1, 1, 10);
    assert_false(feed(fr, 0, 0)); /* [0, 40) */
    memcpy(frags[1], second, second_len);
    frag_len[1] = second_len;
    assert_false(feed(fr, 1, 0)); /* [48, end) */
    split(6, cuts1, 1, 10);
    assert_false(feed(fr, 1, 0)); /* [40, end): overlaps -> discarded */
    assert_int_equal(ipfrag_stats(fr)->discarded, 1);
    assert_false(feed(fr, 0, 0)); /* starts a new datagram, never whole */
    ipfrag_free(fr);
}

/* A datagram not whole within the timeout (capture time) is dropped. */
static void test_timeout(void **state)
{
    (void)state;
    struct ipfrag *fr = ipfrag_new();
    const size_t cuts[] = {40};
    split(4, cuts, 1, 11);
    assert_false(feed(fr, 0, 0));
    assert_false(feed(fr, 1, IPFRAG_TIMEOUT_US + 1)); /* the first expired */
    assert_int_equal(ipfrag_stats(fr)->discarded, 1);
    ipfrag_free(fr);
}

/* Feeds one fragment of `len` bytes; returns whether a datagram became
 * whole (its bytes are not checked here). */
static bool feed_raw(struct ipfrag *fr, const uint8_t *pkt, size_t len, int64_t ts)
{
    struct ip_info ip;
    int rc = ip_decode(0x0800, pkt, len, len, &ip);
    assert_true(rc == IP_OK || rc == IP_FRAGMENT);
    const uint8_t *data;
    size_t dlen;
    uint8_t proto;
    return ipfrag_add(fr, &ip, ts, &data, &dlen, &proto);
}

/* At most IPFRAG_MAX_DATAGRAMS in progress: one more drops the oldest
 * (counted); the others still complete. */
static void test_datagram_bound(void **state)
{
    (void)state;
    struct ipfrag *fr = ipfrag_new();
    const size_t cuts[] = {40};
    for (uint32_t id = 0; id <= IPFRAG_MAX_DATAGRAMS; id++) {
        split(4, cuts, 1, 100 + id);
        assert_false(feed(fr, 0, id));
    }
    assert_int_equal(ipfrag_stats(fr)->discarded, 1);
    split(4, cuts, 1, 101);
    assert_true(feed(fr, 1, 2000));
    split(4, cuts, 1, 100 + IPFRAG_MAX_DATAGRAMS);
    assert_true(feed(fr, 1, 2000));
    split(4, cuts, 1, 100); /* the oldest: given up, its tail alone now */
    assert_false(feed(fr, 1, 2000));
    assert_int_equal(ipfrag_stats(fr)->reassembled, 2);
    ipfrag_free(fr);
}

/* At most IPFRAG_MAX_BYTES held: large first fragments are kept until the
 * next would pass the bound; that one is dropped with its datagram
 * (counted), and those held still complete. */
static void test_byte_bound(void **state)
{
    (void)state;
    enum { PAYLOAD = 60000, CUT = 59000 };
    static uint8_t pkt[PAYLOAD + 100], head[PAYLOAD + 100], tail[2048];
    static char payload[PAYLOAD];
    memset(payload, 'x', sizeof payload);
    struct pktgen_flow f;
    pktgen_flow4(&f, "10.0.0.1", 50000, "10.0.0.2", 1883);
    size_t len = pktgen_build_tcp(PKTGEN_LINKTYPE_RAW, &f, 0, TCP_ACK, 1, 1, payload,
                                  sizeof payload, pkt, sizeof pkt);
    assert_true(len > 0);
    size_t l4 = len - 20;
    struct ipfrag *fr = ipfrag_new();
    uint32_t held = 0;
    while ((size_t)(held + 1) * CUT <= IPFRAG_MAX_BYTES) {
        size_t n = fragment_ip(pkt, len, 0, CUT, true, 500 + held, head, sizeof head);
        assert_true(n > 0);
        assert_false(feed_raw(fr, head, n, 0));
        held++;
    }
    assert_int_equal(ipfrag_stats(fr)->discarded, 0);
    /* One more, well past the bound (twice the bytes held are never kept). */
    for (uint32_t k = 0; k < 2; k++) {
        size_t n = fragment_ip(pkt, len, 0, CUT, true, 500 + held + k, head, sizeof head);
        assert_false(feed_raw(fr, head, n, 0));
    }
    assert_true(ipfrag_stats(fr)->discarded >= 1);
    size_t n = fragment_ip(pkt, len, CUT, l4 - CUT, false, 500, tail, sizeof tail);
    assert_true(n > 0);
    assert_true(feed_raw(fr, tail, n, 1)); /* held: completes */
    n = fragment_ip(pkt, len, CUT, l4 - CUT, false, 500 + held + 1, tail, sizeof tail);
    assert_false(feed_raw(fr, tail, n, 1)); /* dropped: never whole */
    assert_int_equal(ipfrag_stats(fr)->reassembled, 1);
    ipfrag_free(fr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ipv4_any_order),
        cmocka_unit_test(test_ipv6_any_order),
        cmocka_unit_test(test_ipv4_overlap_first_wins),
        cmocka_unit_test(test_ipv6_overlap_discards),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_datagram_bound),
        cmocka_unit_test(test_byte_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
