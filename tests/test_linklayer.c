/* Link layers and IP/TCP/UDP header decoding (cli/linklayer.c, cli/ip.c)
 * over frames built with pktgen, including every truncation of each. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "net/ip.h"
#include "net/linklayer.h"
#include "net/endpoint.h"
#include "pktgen.h"

static uint8_t frame[PKTGEN_MAX_FRAME];

struct decoded {
    int link_rc, ip_rc, l4_rc;
    struct link_result link;
    struct ip_info ip;
    struct tcp_info tcp;
    struct udp_info udp;
};

/* Decodes caplen bytes of a frame of wirelen, from an exactly sized heap
 * copy so that ASan catches any read past caplen. */
static struct decoded decode(int dlt, const uint8_t *bytes, size_t caplen,
                             size_t wirelen)
{
    struct decoded d;
    memset(&d, 0, sizeof d);
    uint8_t *copy = malloc(caplen ? caplen : 1);
    memcpy(copy, bytes, caplen);
    d.link_rc = linklayer_decode(dlt, copy, caplen, wirelen, &d.link);
    d.ip_rc = d.l4_rc = 99;
    if (d.link_rc == LINK_OK)
        d.ip_rc = ip_decode(d.link.ethertype, d.link.net, d.link.caplen,
                            d.link.wirelen, &d.ip);
    if (d.ip_rc == IP_OK && d.ip.proto == 6)
        d.l4_rc = tcp_decode(&d.ip, &d.tcp);
    if (d.ip_rc == IP_OK && d.ip.proto == 17)
        d.l4_rc = udp_decode(&d.ip, &d.udp);
    /* Payload pointers must be checked before the copy goes away. */
    if (d.l4_rc == IP_OK && d.ip.proto == 6 && d.tcp.payload_caplen)
        assert_true(d.tcp.payload + d.tcp.payload_caplen <= copy + caplen);
    d.tcp.payload = NULL;
    d.udp.payload = NULL;
    d.link.net = NULL;
    d.ip.l4 = NULL;
    free(copy);
    return d;
}

/* Builds a TCP frame for the flow and checks the full decode. */
static size_t check_tcp_frame(int dlt, const struct pktgen_flow *f)
{
    size_t n = pktgen_build_tcp(dlt, f, PKTGEN_C2S, TCP_ACK | TCP_PSH,
                                0x12345678, 0x9abcdef0, "MQTT!", 5, frame,
                                sizeof frame);
    assert_true(n > 0);
    struct decoded d = decode(dlt, frame, n, n);
    assert_int_equal(d.link_rc, LINK_OK);
    assert_int_equal(d.ip_rc, IP_OK);
    assert_int_equal(d.l4_rc, IP_OK);
    assert_int_equal(d.ip.family, f->family == 4 ? PKT_AF_INET : PKT_AF_INET6);
    assert_memory_equal(d.ip.src, f->addr[0], f->family == 4 ? 4 : 16);
    assert_memory_equal(d.ip.dst, f->addr[1], f->family == 4 ? 4 : 16);
    assert_int_equal(d.tcp.sport, f->port[0]);
    assert_int_equal(d.tcp.dport, f->port[1]);
    assert_int_equal(d.tcp.seq, 0x12345678);
    assert_int_equal(d.tcp.ack, 0x9abcdef0);
    assert_int_equal(d.tcp.flags, TCP_ACK | TCP_PSH);
    assert_int_equal(d.tcp.payload_len, 5);
    assert_int_equal(d.tcp.payload_caplen, 5);
    return n;
}

/* Every prefix of a good frame decodes without reading past it, and a cut
 * into the payload shows as caplen < len. */
static void check_all_prefixes(int dlt, size_t n)
{
    for (size_t cut = 0; cut < n; cut++) {
        struct decoded d = decode(dlt, frame, cut, n);
        if (d.l4_rc == IP_OK) {
            assert_true(d.tcp.payload_caplen < 5);
            assert_int_equal(d.tcp.payload_len, 5);
        } else {
            assert_true(d.link_rc == LINK_TRUNCATED ||
                        d.ip_rc == IP_TRUNCATED || d.l4_rc == IP_TRUNCATED);
        }
    }
}

static void flow4(struct pktgen_flow *f)
{
    pktgen_flow4(f, "192.0.2.1", 50000, "198.51.100.7", 1883);
}

static void flow6(struct pktgen_flow *f)
{
    pktgen_flow6(f, "2001:db8::1", 50000, "2001:db8::2:7", 8883);
}

static void check_both_families(int dlt)
{
    struct pktgen_flow f;
    flow4(&f);
    check_all_prefixes(dlt, check_tcp_frame(dlt, &f));
    flow6(&f);
    check_all_prefixes(dlt, check_tcp_frame(dlt, &f));
}

static void test_ethernet(void **s) { (void)s; check_both_families(DLT_EN10MB); }
static void test_sll(void **s) { (void)s; check_both_families(DLT_LINUX_SLL); }
static void test_sll2(void **s) { (void)s; check_both_families(DLT_LINUX_SLL2); }
static void test_null(void **s) { (void)s; check_both_families(DLT_NULL); }
static void test_loop(void **s) { (void)s; check_both_families(DLT_LOOP); }
static void test_raw(void **s) { (void)s; check_both_families(DLT_RAW); }
static void test_linktype_raw_101(void **s)
{
    (void)s;
    check_both_families(PKTGEN_LINKTYPE_RAW);
}

static void test_dlt_ipv4_ipv6(void **state)
{
    (void)state;
    struct pktgen_flow f;
    flow4(&f);
    check_tcp_frame(DLT_IPV4, &f);
    flow6(&f);
    check_tcp_frame(DLT_IPV6, &f);
}

static void test_vlan_stacks(void **state)
{
    (void)state;
    struct pktgen_flow f;
    flow4(&f);
    f.nvlan = 1;
    f.vlan_tpid[0] = 0x8100;
    f.vlan_tci[0] = 0x2064; /* PCP 1, VID 100 */
    size_t n = check_tcp_frame(DLT_EN10MB, &f);
    check_all_prefixes(DLT_EN10MB, n);
    struct decoded d = decode(DLT_EN10MB, frame, n, n);
    assert_int_equal(d.link.vlan_count, 1);
    assert_int_equal(d.link.vlan_id[0], 100);

    flow6(&f);
    f.nvlan = 3; /* 802.1ad S-tag, old QinQ, C-tag */
    f.vlan_tpid[0] = 0x88A8;
    f.vlan_tci[0] = 10;
    f.vlan_tpid[1] = 0x9100;
    f.vlan_tci[1] = 20;
    f.vlan_tpid[2] = 0x8100;
    f.vlan_tci[2] = 0xF000 | 30;
    n = check_tcp_frame(DLT_EN10MB, &f);
    check_all_prefixes(DLT_EN10MB, n);
    d = decode(DLT_EN10MB, frame, n, n);
    assert_int_equal(d.link.vlan_count, 3);
    assert_int_equal(d.link.vlan_id[0], 10);
    assert_int_equal(d.link.vlan_id[1], 20);
    assert_int_equal(d.link.vlan_id[2], 30);
}

static void test_loopback_af_values(void **state)
{
    (void)state;
    static const uint32_t af6[] = {10, 24, 28, 30};
    struct pktgen_flow f;
    flow6(&f);
    size_t n = pktgen_build_tcp(DLT_LOOP, &f, 0, TCP_ACK, 1, 1, "x", 1, frame,
                                sizeof frame);
    for (size_t i = 0; i < 4; i++) {
        /* network order (LOOP, and NULL from a big-endian host) */
        frame[0] = frame[1] = frame[2] = 0;
        frame[3] = (uint8_t)af6[i];
        struct decoded d = decode(DLT_LOOP, frame, n, n);
        assert_int_equal(d.link.ethertype, ETHERTYPE_IPV6);
        d = decode(DLT_NULL, frame, n, n);
        assert_int_equal(d.link.ethertype, ETHERTYPE_IPV6);
        /* little-endian host order: NULL only */
        frame[0] = (uint8_t)af6[i];
        frame[3] = 0;
        d = decode(DLT_NULL, frame, n, n);
        assert_int_equal(d.link.ethertype, ETHERTYPE_IPV6);
        d = decode(DLT_LOOP, frame, n, n);
        assert_int_equal(d.link_rc, LINK_NOT_IP);
    }
}

static void test_ipv4_options(void **state)
{
    (void)state;
    static const uint8_t opts[] = {0x94, 0x04, 0x00, 0x00, /* router alert */
                                   0x01, 0x01, 0x01, 0x00};
    struct pktgen_flow f;
    flow4(&f);
    f.ip4_options = opts;
    f.ip4_options_len = sizeof opts;
    check_all_prefixes(DLT_EN10MB, check_tcp_frame(DLT_EN10MB, &f));
}

/* HBH -> Destination Options -> Routing -> Fragment (offset 0, last)
 * -> AH -> TCP. */
static const uint8_t ext_chain[] = {
    60, 0, 1, 4, 0, 0, 0, 0,                 /* HBH, 8 bytes, PadN */
    43, 0, 1, 4, 0, 0, 0, 0,                 /* DST, 8 bytes */
    44, 0, 4, 0, 0, 0, 0, 0,                 /* Routing type 4, SL 0 */
    51, 0, 0x00, 0x00, 0, 0, 0, 1,           /* Fragment, offset 0, M=0 */
    6, 2, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1,      /* AH: (2+2)*4 = 16 bytes */
    0, 0, 0, 0,
};

static void test_ipv6_extension_headers(void **state)
{
    (void)state;
    struct pktgen_flow f;
    flow6(&f);
    f.ip6_ext = ext_chain;
    f.ip6_ext_len = sizeof ext_chain;
    f.ip6_ext_first = 0;
    check_all_prefixes(DLT_RAW, check_tcp_frame(DLT_RAW, &f));
}

static void test_ipv6_fragments(void **state)
{
    (void)state;
    uint8_t chain[8] = {6, 0, 0x00, 0x01, 0, 0, 0, 9}; /* offset 0, M=1 */
    struct pktgen_flow f;
    flow6(&f);
    f.ip6_ext = chain;
    f.ip6_ext_len = sizeof chain;
    f.ip6_ext_first = 44;
    size_t n = pktgen_build_tcp(DLT_RAW, &f, 0, TCP_ACK, 1, 1, "x", 1, frame,
                                sizeof frame);
    struct decoded d = decode(DLT_RAW, frame, n, n);
    assert_int_equal(d.ip_rc, IP_OK);
    assert_true(d.ip.first_fragment);
    chain[2] = 0x05; /* offset 160 bytes: not the first */
    chain[3] = 0x00;
    n = pktgen_build_tcp(DLT_RAW, &f, 0, TCP_ACK, 1, 1, "x", 1, frame,
                         sizeof frame);
    d = decode(DLT_RAW, frame, n, n);
    assert_int_equal(d.ip_rc, IP_FRAGMENT);
}

static void test_ipv4_fragments(void **state)
{
    (void)state;
    struct pktgen_flow f;
    flow4(&f);
    f.ip4_frag = 0x2000; /* MF, offset 0 */
    size_t n = pktgen_build_tcp(DLT_RAW, &f, 0, TCP_ACK, 1, 1, "x", 1, frame,
                                sizeof frame);
    struct decoded d = decode(DLT_RAW, frame, n, n);
    assert_int_equal(d.ip_rc, IP_OK);
    assert_true(d.ip.first_fragment);
    f.ip4_frag = 0x0010; /* offset 128, last */
    n = pktgen_build_tcp(DLT_RAW, &f, 0, TCP_ACK, 1, 1, "x", 1, frame,
                         sizeof frame);
    d = decode(DLT_RAW, frame, n, n);
    assert_int_equal(d.ip_rc, IP_FRAGMENT);
}

static void test_ethernet_padding_ignored(void **state)
{
    (void)state;
    struct pktgen_flow f;
    flow4(&f);
    size_t n = pktgen_build_tcp(DLT_EN10MB, &f, 0, TCP_ACK, 1, 1, "", 0,
                                frame, sizeof frame);
    assert_int_equal(n, 54);
    memset(frame + n, 0xEE, 6); /* pad to the 60-byte minimum */
    struct decoded d = decode(DLT_EN10MB, frame, 60, 60);
    assert_int_equal(d.l4_rc, IP_OK);
    assert_int_equal(d.tcp.payload_len, 0);
    assert_int_equal(d.tcp.payload_caplen, 0);
}

static void test_udp(void **state)
{
    (void)state;
    struct pktgen_flow f;
    flow6(&f);
    size_t n = pktgen_build_udp(DLT_LINUX_SLL2, &f, 1, "sn", 2, frame,
                                sizeof frame);
    struct decoded d = decode(DLT_LINUX_SLL2, frame, n, n);
    assert_int_equal(d.l4_rc, IP_OK);
    assert_int_equal(d.ip.proto, 17);
    assert_int_equal(d.udp.sport, 8883);
    assert_int_equal(d.udp.dport, 50000);
    assert_int_equal(d.udp.payload_len, 2);
}

static void test_not_ip_and_unsupported(void **state)
{
    (void)state;
    struct pktgen_flow f;
    flow4(&f);
    size_t n = pktgen_build_tcp(DLT_EN10MB, &f, 0, TCP_ACK, 1, 1, "", 0,
                                frame, sizeof frame);
    frame[12] = 0x08;
    frame[13] = 0x06; /* ARP */
    assert_int_equal(decode(DLT_EN10MB, frame, n, n).link_rc, LINK_NOT_IP);
    frame[12] = 0x00;
    frame[13] = 0x40; /* an 802.3 length */
    assert_int_equal(decode(DLT_EN10MB, frame, n, n).link_rc, LINK_NOT_IP);
    assert_false(linklayer_supported(105));
    assert_int_equal(decode(105, frame, n, n).link_rc, LINK_UNSUPPORTED);
    assert_true(linklayer_supported(DLT_LINUX_SLL2));
    assert_true(linklayer_supported(101));
}

static void test_malformed_headers(void **state)
{
    (void)state;
    struct pktgen_flow f;
    flow4(&f);
    size_t n = pktgen_build_tcp(DLT_RAW, &f, 0, TCP_ACK, 1, 1, "abc", 3,
                                frame, sizeof frame);
    frame[0] = 0x44; /* IHL 4 */
    assert_int_equal(decode(DLT_RAW, frame, n, n).ip_rc, IP_MALFORMED);
    frame[0] = 0x45;
    frame[20 + 12] = 0x40; /* TCP data offset 4 */
    assert_int_equal(decode(DLT_RAW, frame, n, n).l4_rc, IP_MALFORMED);
    frame[20 + 12] = 0xF0; /* 60 bytes: more than the segment */
    assert_int_equal(decode(DLT_RAW, frame, n, n).l4_rc, IP_MALFORMED);
    frame[20 + 12] = 0x50;
    frame[2] = 0;
    frame[3] = 10; /* total length < header */
    assert_int_equal(decode(DLT_RAW, frame, n, n).ip_rc, IP_MALFORMED);
    frame[0] = 0x65; /* IPv6 version on an IPv4 ethertype */
    assert_int_equal(decode(DLT_IPV4, frame, n, n).ip_rc, IP_MALFORMED);
}

static void test_snaplen_cut_payload(void **state)
{
    (void)state;
    struct pktgen_flow f;
    flow6(&f);
    size_t n = pktgen_build_tcp(DLT_EN10MB, &f, 0, TCP_ACK, 1, 1,
                                "0123456789", 10, frame, sizeof frame);
    struct decoded d = decode(DLT_EN10MB, frame, n - 4, n);
    assert_int_equal(d.l4_rc, IP_OK);
    assert_int_equal(d.tcp.payload_len, 10);
    assert_int_equal(d.tcp.payload_caplen, 6);
    d = decode(DLT_EN10MB, frame, 14 + 40 + 10, n); /* in the TCP header */
    assert_int_equal(d.l4_rc, IP_TRUNCATED);
    d = decode(DLT_EN10MB, frame, 14 + 20, n); /* in the IPv6 header */
    assert_int_equal(d.ip_rc, IP_TRUNCATED);
}

/* RFC 7323 s2.2: the Window Scale option of a SYN (kind 3, length 3), found
 * among other options, its shift capped at 14 (s2.3); not looked for
 * outside SYNs; an option list cut short, or ended by End of Option List,
 * yields none. */
static void test_tcp_window_scale(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        uint8_t flags;
        uint8_t opt[12];
        size_t optlen, caplen_cut; /* bytes of options; captured fewer by */
        bool has;
        uint8_t shift;
    } cases[] = {
        {"MSS, NOP, WS 7", TCP_SYN, {2, 4, 5, 0xb4, 1, 3, 3, 7}, 8, 0, true, 7},
        {"SYN-ACK, WS 20 capped", TCP_SYN | TCP_ACK, {3, 3, 20, 0}, 4, 0, true, 14},
        {"not a SYN", TCP_ACK, {3, 3, 7, 0}, 4, 0, false, 0},
        {"EOL first", TCP_SYN, {0, 3, 3, 7}, 4, 0, false, 0},
        {"length 1", TCP_SYN, {2, 1, 3, 3, 7, 0, 0, 0}, 8, 0, false, 0},
        {"cut by the snaplen", TCP_SYN, {1, 1, 3, 3, 7, 0, 0, 0}, 8, 6, false, 0},
        {"NOPs, SACK permitted, WS 0", TCP_SYN, {1, 1, 4, 2, 3, 3, 0, 0}, 8, 0, true, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t seg[32] = {0x13, 0x88, 0x07, 0x5b}; /* ports 5000, 1883 */
        size_t hdr = 20 + cases[i].optlen;
        seg[12] = (uint8_t)((hdr / 4) << 4);
        seg[13] = cases[i].flags;
        memcpy(seg + 20, cases[i].opt, cases[i].optlen);
        struct ip_info ip;
        memset(&ip, 0, sizeof ip);
        ip.proto = 6;
        ip.l4 = seg;
        ip.l4_wirelen = hdr;
        ip.l4_caplen = hdr - cases[i].caplen_cut;
        struct tcp_info t;
        int rc = tcp_decode(&ip, &t);
        assert_int_equal(rc, cases[i].caplen_cut ? IP_TRUNCATED : IP_OK);
        bool has = t.wscale != TCP_NO_WSCALE;
        if (has != cases[i].has || (has && t.wscale != cases[i].shift))
            fail_msg("%s: has %d shift %u", cases[i].name, has, t.wscale);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ethernet),
        cmocka_unit_test(test_sll),
        cmocka_unit_test(test_sll2),
        cmocka_unit_test(test_null),
        cmocka_unit_test(test_loop),
        cmocka_unit_test(test_raw),
        cmocka_unit_test(test_linktype_raw_101),
        cmocka_unit_test(test_dlt_ipv4_ipv6),
        cmocka_unit_test(test_vlan_stacks),
        cmocka_unit_test(test_loopback_af_values),
        cmocka_unit_test(test_ipv4_options),
        cmocka_unit_test(test_ipv6_extension_headers),
        cmocka_unit_test(test_ipv6_fragments),
        cmocka_unit_test(test_ipv4_fragments),
        cmocka_unit_test(test_ethernet_padding_ignored),
        cmocka_unit_test(test_udp),
        cmocka_unit_test(test_not_ip_and_unsupported),
        cmocka_unit_test(test_malformed_headers),
        cmocka_unit_test(test_snaplen_cut_payload),
        cmocka_unit_test(test_tcp_window_scale),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
