/* TCP as it really arrives, end to end (issue 14): crafted captures
 * (tests/support/pktgen) run through the mqttdissect binary with -T json;
 * each case compares the per-direction message sequence (connection
 * number, type, packet id) and the events with what the connection really
 * carried. No case may show a state violation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fragment.h"
#include "lifecycle.h"

/* ---- the cases: a capture script and what must come out of it ---- */

/* A quiet device behind one lost segment: the broker acknowledged the lost
 * PUBLISH; the next PUBLISH a minute later is shown at its own frame, not
 * held until the FIN; the lost bytes are one gap. */
static void script_lost_segment_acked(struct pktgen *g, struct pktgen_flow *f)
{
    lc_connect_flow(g, f, 1000);
    f->next_seq[0] += LC_PUBLISH_LEN;                     /* PUBLISH 1 lost */
    pktgen_data(g, f, PKTGEN_S2C, lc_puback(1), 4);                 /* f6 */
    pktgen_tcp_next(g, f, PKTGEN_C2S, TCP_ACK, NULL, 0);  /* f7 */
    pktgen_set_time(g, 61000000);
    pktgen_data(g, f, PKTGEN_C2S, lc_publish(2), LC_PUBLISH_LEN); /* f8 */
    pktgen_data(g, f, PKTGEN_S2C, lc_puback(2), 4);       /* f9 */
    pktgen_data(g, f, PKTGEN_C2S, LC_DISCONNECT, 2);      /* f10 */
    lc_fins(g, f);
}

/* The client's FIN captured 40 us ahead of its last PUBLISH: the PUBLISH
 * is decoded, the stream ends after it. */
static void script_fin_ahead_of_data(struct pktgen *g, struct pktgen_flow *f)
{
    lc_connect_flow(g, f, 1000);
    uint32_t at = f->next_seq[0];
    f->next_seq[0] += LC_PUBLISH_LEN;
    pktgen_set_step(g, 40);
    pktgen_fin(g, f, PKTGEN_C2S);                                   /* f6 */
    pktgen_tcp(g, f, PKTGEN_C2S, TCP_ACK | TCP_PSH, at, lc_publish(1),
               LC_PUBLISH_LEN);                                     /* f7 */
    pktgen_data(g, f, PKTGEN_S2C, lc_puback(1), 4);                 /* f8 */
    pktgen_fin(g, f, PKTGEN_S2C);
}

/* The same with a RST, the broker's PUBACK captured first too: the
 * PUBLISH before the RST is still decoded and paired. */
static void script_rst_ahead_of_data(struct pktgen *g, struct pktgen_flow *f)
{
    lc_connect_flow(g, f, 1000);
    uint32_t at = f->next_seq[0];
    f->next_seq[0] += LC_PUBLISH_LEN;
    pktgen_set_step(g, 40);
    pktgen_data(g, f, PKTGEN_S2C, lc_puback(1), 4);                 /* f6 */
    pktgen_tcp(g, f, PKTGEN_C2S, TCP_RST | TCP_ACK, f->next_seq[0], NULL,
               0);                                                  /* f7 */
    pktgen_tcp(g, f, PKTGEN_C2S, TCP_ACK | TCP_PSH, at, lc_publish(1),
               LC_PUBLISH_LEN);                                     /* f8 */
    pktgen_data(g, f, PKTGEN_C2S, "late", 4); /* past the RST: ignored */
}

/* A RST far outside the window (spoofed) does not end the analysis. */
static void script_rst_outside_window(struct pktgen *g, struct pktgen_flow *f)
{
    lc_connect_flow(g, f, 1000);
    pktgen_tcp(g, f, PKTGEN_C2S, TCP_RST, f->next_seq[0] + 0x40000000u,
               NULL, 0);                                            /* f6 */
    pktgen_data(g, f, PKTGEN_C2S, lc_publish(1), LC_PUBLISH_LEN);   /* f7 */
    pktgen_data(g, f, PKTGEN_S2C, lc_puback(1), 4);                 /* f8 */
    pktgen_data(g, f, PKTGEN_C2S, LC_DISCONNECT, 2);                /* f9 */
    lc_fins(g, f);
}

/* A client reconnecting from the same port with a new ISN while the old
 * connection was never closed: two connections, no gap, no second
 * CONNECT on one connection. */
static void script_syn_reuses_tuple(struct pktgen *g, struct pktgen_flow *f)
{
    lc_connect_flow(g, f, 1000);
    lc_connect_flow(g, f, 0x9000000u); /* frames 6-10 */
    pktgen_data(g, f, PKTGEN_C2S, LC_DISCONNECT, 2);                /* f11 */
    lc_fins(g, f);
}

/* The raw IP packet pkt[0..len) of the flow as two fragments, the last
 * first (the first holds 24 bytes of TCP or UDP). */
static void write_last_fragment_first(struct pktgen *g,
                                      const struct pktgen_flow *f,
                                      const uint8_t *pkt, size_t len)
{
    uint8_t frag[256];
    size_t hdr = f->family == 4 ? 20 : 40, l4 = len - hdr;
    size_t n = fragment_ip(pkt, len, 24, l4 - 24, false, 77, frag,
                           sizeof frag);
    pktgen_write(g, frag, n);
    n = fragment_ip(pkt, len, 0, 24, true, 77, frag, sizeof frag);
    pktgen_write(g, frag, n);
}

/* A PUBLISH in a fragmented IPv4 or IPv6 datagram, the fragments in
 * reverse order: decoded whole at the frame that completes it, and its
 * PUBACK answers it (no violation). */
static void script_fragmented_publish(struct pktgen *g, struct pktgen_flow *f)
{
    lc_connect_flow(g, f, 1000);
    uint8_t pkt[256];
    size_t len = pktgen_build_tcp(PKTGEN_LINKTYPE_RAW, f, PKTGEN_C2S,
                                  TCP_ACK | TCP_PSH, f->next_seq[0],
                                  f->next_seq[1], lc_publish(1), LC_PUBLISH_LEN,
                                  pkt, sizeof pkt);
    f->next_seq[0] += LC_PUBLISH_LEN;
    write_last_fragment_first(g, f, pkt, len);                      /* f6, f7 */
    pktgen_data(g, f, PKTGEN_S2C, lc_puback(1), 4);                 /* f8 */
    pktgen_data(g, f, PKTGEN_C2S, LC_DISCONNECT, 2);                /* f9 */
    lc_fins(g, f);
}

/* MQTT-SN on UDP port 1884: a PUBLISH (QoS 0, short topic "ab", 60 bytes
 * of data) in a datagram of two IPv4 or IPv6 fragments, the last first,
 * then a PINGREQ and its PINGRESP: the PUBLISH is decoded once, whole, at
 * the frame that completes it. */
static void script_fragmented_sn_publish(struct pktgen *g,
                                         struct pktgen_flow *f)
{
    uint8_t sn[67] = {67, 0x0C, 0x02, 'a', 'b', 0, 0};
    memset(sn + 7, 'x', 60);
    uint8_t pkt[256];
    size_t len = pktgen_build_udp(PKTGEN_LINKTYPE_RAW, f, PKTGEN_C2S, sn,
                                  sizeof sn, pkt, sizeof pkt);
    write_last_fragment_first(g, f, pkt, len);                      /* f1, f2 */
    pktgen_udp(g, f, PKTGEN_C2S, "\x02\x16", 2);                   /* f3 */
    pktgen_udp(g, f, PKTGEN_S2C, "\x02\x17", 2);                   /* f4 */
}

static void check_fragmented_sn_publish(const struct lc_result *r)
{
    json_t *p = lc_record(r, "type", "PUBLISH", 0);
    assert_string_equal(json_string_value(lc_get(p, "transport")), "udp");
    assert_string_equal(json_string_value(lc_get(p, "topic")), "ab");
    assert_int_equal(json_integer_value(lc_get(p, "size")), 67);
    assert_int_equal(json_integer_value(lc_get(p, "payload.length")), 60);
}

/* PROXY protocol v1 before the CONNECT on the broker port (its own
 * segment): stripped, an event, and every record of the connection offers
 * the original client's address. */
static void script_proxy_v1(struct pktgen *g, struct pktgen_flow *f)
{
    pktgen_handshake(g, f, 1000, 5000);
    const char *line = "PROXY TCP4 203.0.113.7 192.0.2.1 40000 1883\r\n";
    pktgen_data(g, f, PKTGEN_C2S, line, strlen(line));              /* f4 */
    pktgen_data(g, f, PKTGEN_C2S, LC_CONNECT, sizeof LC_CONNECT - 1); /* f5 */
    pktgen_data(g, f, PKTGEN_S2C, LC_CONNACK, 4);                   /* f6 */
    pktgen_data(g, f, PKTGEN_C2S, LC_DISCONNECT, 2);                /* f7 */
    lc_fins(g, f);
}

/* The proxy event: the header's version and length, the addresses it
 * carries. */
static void check_proxy(const struct lc_result *r, int version, int bytes,
                        const char *client, const char *server)
{
    json_t *e = lc_record(r, "event", "proxy", 0);
    assert_int_equal(json_integer_value(lc_get(e, "version")), version);
    assert_int_equal(json_integer_value(lc_get(e, "bytes")), bytes);
    assert_string_equal(json_string_value(lc_get(e, "client")), client);
    assert_string_equal(json_string_value(lc_get(e, "server")), server);
}

static void check_proxy_v1(const struct lc_result *r)
{
    check_proxy(r, 1, 45, "203.0.113.7:40000", "192.0.2.1:1883");
}

/* PROXY protocol v2 (IPv6, with a TLV) and the CONNECT in one segment, on
 * a port found by the CONNECT heuristic. */
static void script_proxy_v2_heuristic_port(struct pktgen *g, struct pktgen_flow *f)
{
    pktgen_handshake(g, f, 1000, 5000);
    uint8_t seg[128];
    const uint8_t sig[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                             0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
    memcpy(seg, sig, 12);
    seg[12] = 0x21;
    seg[13] = 0x21; /* AF_INET6, STREAM */
    seg[14] = 0;
    seg[15] = 36 + 4;
    memset(seg + 16, 0, 36);
    seg[16] = 0x20; seg[17] = 0x01; seg[18] = 0x0d; seg[19] = 0xb8;
    seg[31] = 7;               /* 2001:db8::7 */
    seg[47] = 1;               /* ::1 */
    seg[48] = 0x9c; seg[49] = 0x40; /* 40000 */
    seg[50] = 0x1b; seg[51] = 0x58; /* 7000 */
    memcpy(seg + 52, "\x04\x00\x01\x00", 4); /* a NOOP TLV */
    memcpy(seg + 56, LC_CONNECT, sizeof LC_CONNECT - 1);
    pktgen_data(g, f, PKTGEN_C2S, seg, 56 + sizeof LC_CONNECT - 1); /* f4 */
    pktgen_data(g, f, PKTGEN_S2C, LC_CONNACK, 4);                   /* f5 */
    lc_fins(g, f);
}

/* 16 bytes of header, 36 of addresses, a 4-byte TLV. */
static void check_proxy_v2(const struct lc_result *r)
{
    check_proxy(r, 2, 56, "[2001:db8::7]:40000", "[::1]:7000");
}

/* Reading a file, a connection quiet for longer than the live idle timeout
 * (300 s) stays one connection: no eviction, no second connection picked
 * up mid-stream. */
static void script_file_no_idle_eviction(struct pktgen *g, struct pktgen_flow *f)
{
    pktgen_handshake(g, f, 1000, 5000);
    const char connect0[] = "\x10\x0e\x00\x04MQTT\x04\x02\x00\x00\x00\x02"
                            "c1"; /* keep-alive 0 */
    pktgen_data(g, f, PKTGEN_C2S, connect0, sizeof connect0 - 1);   /* f4 */
    pktgen_data(g, f, PKTGEN_S2C, LC_CONNACK, 4);                   /* f5 */
    pktgen_set_time(g, 1000000 + (int64_t)3600 * 1000000);
    pktgen_data(g, f, PKTGEN_C2S, lc_publish(1), LC_PUBLISH_LEN);   /* f6 */
    pktgen_data(g, f, PKTGEN_S2C, lc_puback(1), 4);                 /* f7 */
    lc_fins(g, f);
}

static const struct lifecycle_case cases[] = {
    {.tag = "lost", .script = script_lost_segment_acked, .family = 4,
     .client = "1:CONNECT@4 1:PUBLISH#2@8 1:DISCONNECT@10 ",
     .server = "1:CONNACK@5 1:PUBACK#1@6 1:PUBACK#2@9 ",
     .events = "1:c:gap 1:c:resync "},
    {.tag = "fin", .script = script_fin_ahead_of_data, .family = 4,
     .client = "1:CONNECT@4 1:PUBLISH#1@7 ",
     .server = "1:CONNACK@5 1:PUBACK#1@8 ",
     .events = ""},
    {.tag = "rst", .script = script_rst_ahead_of_data, .family = 4,
     .client = "1:CONNECT@4 1:PUBLISH#1@8 ",
     .server = "1:CONNACK@5 1:PUBACK#1@6 ",
     .events = ""},
    {.tag = "spoof", .script = script_rst_outside_window, .family = 4,
     .client = "1:CONNECT@4 1:PUBLISH#1@7 1:DISCONNECT@9 ",
     .server = "1:CONNACK@5 1:PUBACK#1@8 ",
     .events = ""},
    {.tag = "reuse", .script = script_syn_reuses_tuple, .family = 4,
     .client = "1:CONNECT@4 2:CONNECT@9 2:DISCONNECT@11 ",
     .server = "1:CONNACK@5 2:CONNACK@10 ",
     .events = ""},
    {.tag = "frag4", .script = script_fragmented_publish, .family = 4,
     .raw = true,
     .client = "1:CONNECT@4 1:PUBLISH#1@7 1:DISCONNECT@9 ",
     .server = "1:CONNACK@5 1:PUBACK#1@8 ",
     .events = ""},
    {.tag = "frag6", .script = script_fragmented_publish, .family = 6,
     .raw = true,
     .client = "1:CONNECT@4 1:PUBLISH#1@7 1:DISCONNECT@9 ",
     .server = "1:CONNACK@5 1:PUBACK#1@8 ",
     .events = ""},
    {.tag = "sn_frag4", .script = script_fragmented_sn_publish, .family = 4,
     .port = 1884, .raw = true,
     .client = "1:PUBLISH@2 1:PINGREQ@3 ",
     .server = "1:PINGRESP@4 ",
     .events = "", .check = check_fragmented_sn_publish},
    {.tag = "sn_frag6", .script = script_fragmented_sn_publish, .family = 6,
     .port = 1884, .raw = true,
     .client = "1:PUBLISH@2 1:PINGREQ@3 ",
     .server = "1:PINGRESP@4 ",
     .events = "", .check = check_fragmented_sn_publish},
    {.tag = "proxy1", .script = script_proxy_v1, .family = 4,
     .client = "1:CONNECT@5 1:DISCONNECT@7 ",
     .server = "1:CONNACK@6 ",
     .events = "1:c:proxy ",
     .proxied_src = "203.0.113.7:40000", .check = check_proxy_v1},
    {.tag = "idle", .script = script_file_no_idle_eviction, .family = 4,
     .client = "1:CONNECT@4 1:PUBLISH#1@6 ",
     .server = "1:CONNACK@5 1:PUBACK#1@7 ",
     .events = ""},
    {.tag = "proxy2", .script = script_proxy_v2_heuristic_port, .family = 4,
     .port = 7000,
     .client = "1:CONNECT@4 ",
     .server = "1:CONNACK@5 ",
     .events = "1:c:proxy 1:c:detected ",
     .proxied_src = "[2001:db8::7]:40000", .check = check_proxy_v2},
};

/* A corrupted copy of a PUBLISH (wrong TCP checksum: packet id 9), then
 * its correct retransmission: the correct one is decoded; --no-checksum
 * keeps the corrupted copy (first copy wins), whose PUBACK then answers
 * nothing: false violations. */
static void write_corrupt_then_good(const char *path)
{
    struct pktgen_flow f;
    struct pktgen *g = pktgen_open_file(path, DLT_EN10MB);
    assert_non_null(g);
    pktgen_flow4(&f, "10.0.0.1", 50000, "10.0.0.2", 1883);
    lc_connect_flow(g, &f, 1000);
    uint8_t frame[256];
    size_t len = pktgen_build_tcp(DLT_EN10MB, &f, PKTGEN_C2S,
                                  TCP_ACK | TCP_PSH, f.next_seq[0],
                                  f.next_seq[1], lc_publish(1), LC_PUBLISH_LEN,
                                  frame, sizeof frame);
    frame[len - 3] = 9; /* the packet id's low byte, checksum unchanged */
    pktgen_write(g, frame, len);                                    /* f6 */
    pktgen_data(g, &f, PKTGEN_C2S, lc_publish(1), LC_PUBLISH_LEN);  /* f7 */
    pktgen_data(g, &f, PKTGEN_S2C, lc_puback(1), 4);                /* f8 */
    pktgen_fin(g, &f, PKTGEN_C2S);
    pktgen_fin(g, &f, PKTGEN_S2C);
    assert_int_equal(pktgen_close(g), 0);
}

static void test_bad_checksum_dropped(void **state)
{
    (void)state;
    char path[256];
    snprintf(path, sizeof path, "/tmp/mqd-lifecycle-%ld-csum.pcap",
             (long)getpid());
    write_corrupt_then_good(path);
    struct lc_result r;
    lc_run(path, "", &r);
    assert_string_equal(r.dir[0], "1:CONNECT@4 1:PUBLISH#1@7 ");
    assert_string_equal(r.dir[1], "1:CONNACK@5 1:PUBACK#1@8 ");
    assert_string_equal(r.events, "");
    assert_int_equal(r.violations, 0);
    lc_result_free(&r);
    lc_run(path, "--no-checksum", &r);
    assert_string_equal(r.dir[0], "1:CONNECT@4 1:PUBLISH#9@6 ");
    assert_true(r.violations > 0);
    lc_result_free(&r);
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "%s/mqttdissect -r %s -q 2>&1 | grep -q ' 1 bad_checksum,'",
             MQD_BINARY_DIR, path);
    assert_int_equal(system(cmd), 0);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest extra[] = {
        cmocka_unit_test(test_bad_checksum_dropped),
    };
    return lifecycle_run_cases("test_tcp_lifecycle", cases,
                               sizeof cases / sizeof cases[0], extra,
                               sizeof extra / sizeof extra[0]);
}
