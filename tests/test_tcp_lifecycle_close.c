/* How a TCP connection ends, end to end (issue 14): crafted captures
 * (tests/support/lifecycle.h) run through the mqttdissect binary. The
 * analysis state lives through a half-close and ends at a valid RST; bytes
 * the capture lost become gaps at close, when the peer acknowledges the
 * FIN behind them, or when a RST's grace time runs out; a RST is checked
 * against the window as the Window Scale option scales it; a connection
 * evicted from a full table and resumed keeps its version. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lifecycle.h"

/* More MQTT 5.0 (lifecycle.h has CONNECT, CONNACK, PUBLISH, PUBACK): the
 * broker's QoS 0 PUBLISH to "t" defining alias 1, one by alias 1 alone; a
 * QoS 1 PUBLISH #1 with a Message Expiry Interval of 3600 (read as 3.1.1
 * its properties would be payload). */
#define V5_ALIAS_DEFINE "\x30\x09\x00\x01t\x03\x23\x00\x01hi"
#define V5_ALIAS_USE "\x30\x08\x00\x00\x03\x23\x00\x01ho"
#define V5_PUBLISH_EXPIRY "\x32\x0d\x00\x01t\x00\x01\x05\x02\x00\x00\x0e\x10hi"

/* ---- the analysis state through a half-close, and at a RST ---- */

/* The client sends its FIN first; the broker then answers the client's
 * PUBLISH and publishes by the alias it defined before the FIN. */
static void script_half_close(struct pktgen *g, struct pktgen_flow *f)
{
    lc_v5_connect_flow(g, f);
    LC_SEND(g, f, PKTGEN_S2C, V5_ALIAS_DEFINE);                      /* f6 */
    LC_SEND(g, f, PKTGEN_C2S, LC_V5_PUBLISH);                        /* f7 */
    pktgen_fin(g, f, PKTGEN_C2S);                                    /* f8 */
    LC_SEND(g, f, PKTGEN_S2C, LC_V5_PUBACK);                         /* f9 */
    LC_SEND(g, f, PKTGEN_S2C, V5_ALIAS_USE);                         /* f10 */
    pktgen_fin(g, f, PKTGEN_S2C);                                    /* f11 */
}

/* After the client's FIN: the broker's PUBLISH by alias has its topic and
 * is 5.0 (the version stays), its PUBACK answers the PUBLISH before the
 * FIN (in-flight stays). */
static void check_half_close(const struct lc_result *r)
{
    json_t *p = lc_record(r, "type", "PUBLISH", 2);
    assert_int_equal(json_integer_value(lc_get(p, "frame")), 10);
    assert_int_equal(json_integer_value(lc_get(p, "version")), 5);
    assert_true(json_is_false(lc_get(p, "version_inferred")));
    assert_string_equal(json_string_value(lc_get(p, "topic")), "");
    assert_string_equal(json_string_value(lc_get(p, "effective_topic")), "t");
    assert_true(json_is_true(lc_get(p, "topic_from_alias")));
    json_t *ack = lc_record(r, "type", "PUBACK", 0);
    assert_int_equal(json_integer_value(lc_get(ack, "version")), 5);
    assert_int_equal(json_integer_value(lc_get(ack, "reply_to")), 7);
}

/* A RST exactly at the client's next sequence number ends the connection;
 * the client's PUBLISH after it without a new SYN, and its PUBACK, are not
 * decoded (not as the old session, nor as a new one); a new SYN on the
 * 4-tuple is a new connection, decoded from its CONNECT as 3.1.1. */
static void script_rst_ends_state(struct pktgen *g, struct pktgen_flow *f)
{
    lc_v5_connect_flow(g, f);
    LC_SEND(g, f, PKTGEN_C2S, LC_V5_PUBLISH);                        /* f6 */
    LC_SEND(g, f, PKTGEN_S2C, LC_V5_PUBACK);                         /* f7 */
    pktgen_tcp(g, f, PKTGEN_C2S, TCP_RST | TCP_ACK, f->next_seq[0], NULL,
               0);                                                   /* f8 */
    LC_SEND(g, f, PKTGEN_C2S, LC_V5_PUBLISH);                        /* f9 */
    LC_SEND(g, f, PKTGEN_S2C, LC_V5_PUBACK);                         /* f10 */
    lc_connect_flow(g, f, 0x9000000u);                               /* f11-15 */
    pktgen_data(g, f, PKTGEN_C2S, LC_DISCONNECT, 2);                 /* f16 */
    lc_fins(g, f);
}

static void check_rst_ends_state(const struct lc_result *r)
{
    json_t *c2 = lc_record(r, "type", "CONNECT", 1);
    assert_int_equal(json_integer_value(lc_get(c2, "conn")), 2);
    assert_int_equal(json_integer_value(lc_get(c2, "version")), 4);
}

/* ---- bytes the capture lost, shown by the peer's ACKs ---- */

/* The client's second PUBLISH is lost; the broker acknowledges it with a
 * pure ACK (frame 8); other traffic (UDP, port 9999); the capture ends: at
 * close (frame 9), a gap for the bytes acknowledged. */
static void script_acked_tail_gap_at_close(struct pktgen *g,
                                           struct pktgen_flow *f)
{
    lc_connect_flow(g, f, 1000);
    pktgen_data(g, f, PKTGEN_C2S, lc_publish(1), LC_PUBLISH_LEN);    /* f6 */
    pktgen_data(g, f, PKTGEN_S2C, lc_puback(1), 4);                  /* f7 */
    f->next_seq[0] += LC_PUBLISH_LEN;                    /* PUBLISH 2 lost */
    pktgen_tcp_next(g, f, PKTGEN_S2C, TCP_ACK, NULL, 0);             /* f8 */
    lc_other_traffic(g);                                             /* f9 */
}

/* The first gap: at `frame`, `bytes` bytes from stream offset `off`. */
static void check_gap(const struct lc_result *r, int frame, int off, int bytes)
{
    json_t *gap = lc_record(r, "event", "gap", 0);
    assert_int_equal(json_integer_value(lc_get(gap, "frame")), frame);
    assert_int_equal(json_integer_value(lc_get(gap, "stream_off")), off);
    assert_int_equal(json_integer_value(lc_get(gap, "bytes")), bytes);
}

/* 8 bytes, not 9: with no FIN seen, the reassembly takes the last
 * acknowledged sequence number for a FIN the capture missed
 * (tcp_reasm_flush). */
static void check_acked_tail_gap_at_close(const struct lc_result *r)
{
    check_gap(r, 9, 25, 8);
}

/* The client's last PUBLISH is lost, its FIN is not; only the broker's ACK
 * of that FIN (frame 7) shows the hole before it: a gap there, at once
 * (not at the end of the capture, frame 9). */
static void script_lost_last_segment(struct pktgen *g, struct pktgen_flow *f)
{
    lc_connect_flow(g, f, 1000);
    f->next_seq[0] += LC_PUBLISH_LEN;                    /* PUBLISH 1 lost */
    pktgen_fin(g, f, PKTGEN_C2S);                                    /* f6 */
    pktgen_fin(g, f, PKTGEN_S2C);                                    /* f7 */
    pktgen_tcp_next(g, f, PKTGEN_C2S, TCP_ACK, NULL, 0);             /* f8 */
    pktgen_tcp_next(g, f, PKTGEN_C2S, TCP_ACK, NULL, 0);             /* f9 */
}

static void check_lost_last_segment(const struct lc_result *r)
{
    check_gap(r, 7, 16, 9);
}

/* The client's PUBLISH is lost, then it resets the connection after it:
 * the RST waits 5 s of capture time for the data before it; other traffic
 * (UDP, port 9999) 4 s later finds it waiting, 6 s later the wait is over:
 * a gap there (frame 8), not at the RST (frame 6) nor at the end (frame 9). */
static void script_rst_grace_expires(struct pktgen *g, struct pktgen_flow *f)
{
    lc_connect_flow(g, f, 1000);
    f->next_seq[0] += LC_PUBLISH_LEN;                    /* PUBLISH 1 lost */
    pktgen_tcp(g, f, PKTGEN_C2S, TCP_RST | TCP_ACK, f->next_seq[0], NULL,
               0);                                                   /* f6 */
    pktgen_set_time(g, 1000000 + 4 * 1000000);
    lc_other_traffic(g);                                             /* f7 */
    pktgen_set_time(g, 1000000 + 6 * 1000000);
    lc_other_traffic(g);                                             /* f8 */
    pktgen_set_time(g, 1000000 + 7 * 1000000);
    lc_other_traffic(g);                                             /* f9 */
}

static void check_rst_grace_expires(const struct lc_result *r)
{
    check_gap(r, 8, 16, 9);
}

/* ---- the RST window, scaled by the Window Scale option (RFC 7323) ---- */

/* Both SYNs carry a Window Scale of `shift` (none: -1); the broker's
 * window is then 65535 << shift. After CONNECT and CONNACK, a RST from the
 * client `ahead` bytes past its next sequence number, then 6 s later the
 * client's PUBLISH at that next sequence number, its PUBACK, DISCONNECT.
 * An accepted RST ends the connection when its 5 s wait for the bytes
 * before it runs out (a gap of `ahead` bytes, frame 7): what follows is
 * not decoded. An ignored one changes nothing. */
static void script_rst_window(struct pktgen *g, struct pktgen_flow *f,
                              int shift, uint32_t ahead)
{
    const uint8_t ws[4] = {1, 3, 3, (uint8_t)shift}; /* NOP, Window Scale */
    f->next_seq[0] = 1000;
    f->next_seq[1] = 5000;
    if (shift >= 0) {
        f->tcp_options = ws;
        f->tcp_options_len = sizeof ws;
    }
    pktgen_tcp_next(g, f, PKTGEN_C2S, TCP_SYN, NULL, 0);             /* f1 */
    pktgen_tcp_next(g, f, PKTGEN_S2C, TCP_SYN | TCP_ACK, NULL, 0);   /* f2 */
    f->tcp_options = NULL;
    f->tcp_options_len = 0;
    pktgen_tcp_next(g, f, PKTGEN_C2S, TCP_ACK, NULL, 0);             /* f3 */
    LC_SEND(g, f, PKTGEN_C2S, LC_CONNECT);                           /* f4 */
    pktgen_data(g, f, PKTGEN_S2C, LC_CONNACK, 4);                    /* f5 */
    pktgen_tcp(g, f, PKTGEN_C2S, TCP_RST | TCP_ACK, f->next_seq[0] + ahead,
               NULL, 0);                                             /* f6 */
    pktgen_set_time(g, 1000000 + 6 * 1000000);
    pktgen_data(g, f, PKTGEN_C2S, lc_publish(1), LC_PUBLISH_LEN);    /* f7 */
    pktgen_data(g, f, PKTGEN_S2C, lc_puback(1), 4);                  /* f8 */
    pktgen_data(g, f, PKTGEN_C2S, LC_DISCONNECT, 2);                 /* f9 */
    lc_fins(g, f);
}

/* 100,000 bytes: inside 65535 << 2, outside 65535: accepted. */
static void script_rst_in_scaled_window(struct pktgen *g, struct pktgen_flow *f)
{
    script_rst_window(g, f, 2, 100000);
}

static void check_rst_in_scaled_window(const struct lc_result *r)
{
    check_gap(r, 7, 16, 100000);
}

/* 300,000 bytes: outside 65535 << 2: ignored. */
static void script_rst_past_scaled_window(struct pktgen *g,
                                          struct pktgen_flow *f)
{
    script_rst_window(g, f, 2, 300000);
}

/* 100,000 bytes without the option: outside 65535: ignored. */
static void script_rst_unscaled_window(struct pktgen *g, struct pktgen_flow *f)
{
    script_rst_window(g, f, -1, 100000);
}

/* ---- eviction from a full table (--max-conns 1) and resumption ---- */

/* A 5.0 connection (client 10.0.0.1) is evicted by a second one (client
 * 10.0.0.3, 3.1.1); its client then publishes exactly where it stopped: a
 * third connection, evicting the second, resumed in order with version 5. */
static void script_evicted_resumes(struct pktgen *g, struct pktgen_flow *f)
{
    lc_v5_connect_flow(g, f);
    struct pktgen_flow b;
    pktgen_flow4(&b, "10.0.0.3", 50000, "10.0.0.2", 1883);
    lc_connect_flow(g, &b, 7000);                                    /* f6-10 */
    LC_SEND(g, f, PKTGEN_C2S, V5_PUBLISH_EXPIRY);                    /* f11 */
    LC_SEND(g, f, PKTGEN_S2C, LC_V5_PUBACK);                         /* f12 */
    lc_fins(g, f);
}

/* The resumed PUBLISH is 5.0, not inferred, its property decoded and its
 * payload the 2 bytes after it; its PUBACK answers it. */
static void check_evicted_resumes(const struct lc_result *r)
{
    json_t *p = lc_record(r, "type", "PUBLISH", 0);
    assert_int_equal(json_integer_value(lc_get(p, "conn")), 3);
    assert_int_equal(json_integer_value(lc_get(p, "version")), 5);
    assert_true(json_is_false(lc_get(p, "version_inferred")));
    json_t *prop = json_array_get(lc_get(p, "properties"), 0);
    assert_string_equal(json_string_value(lc_get(prop, "key")),
                        "message_expiry_interval");
    assert_int_equal(json_integer_value(lc_get(prop, "value")), 3600);
    assert_int_equal(json_integer_value(lc_get(p, "payload.length")), 2);
    json_t *ack = lc_record(r, "type", "PUBACK", 0);
    assert_int_equal(json_integer_value(lc_get(ack, "reply_to")), 11);
    json_t *ev = lc_record(r, "event", "evicted", 0);
    assert_string_equal(json_string_value(lc_get(ev, "reason")), "EVICTED");
}

static const struct lifecycle_case cases[] = {
    {.tag = "half_close", .script = script_half_close, .family = 4,
     .client = "1:CONNECT@4 1:PUBLISH#1@7 ",
     .server = "1:CONNACK@5 1:PUBLISH@6 1:PUBACK#1@9 1:PUBLISH@10 ",
     .events = "", .check = check_half_close},
    {.tag = "rst_ends_state", .script = script_rst_ends_state, .family = 4,
     .client = "1:CONNECT@4 1:PUBLISH#1@6 2:CONNECT@14 2:DISCONNECT@16 ",
     .server = "1:CONNACK@5 1:PUBACK#1@7 2:CONNACK@15 ",
     .events = "", .check = check_rst_ends_state},
    {.tag = "acked_tail", .script = script_acked_tail_gap_at_close,
     .family = 4,
     .client = "1:CONNECT@4 1:PUBLISH#1@6 ",
     .server = "1:CONNACK@5 1:PUBACK#1@7 ",
     .events = "1:c:gap ", .check = check_acked_tail_gap_at_close},
    {.tag = "fin_acked", .script = script_lost_last_segment, .family = 4,
     .client = "1:CONNECT@4 ",
     .server = "1:CONNACK@5 ",
     .events = "1:c:gap ", .check = check_lost_last_segment},
    {.tag = "rst_grace", .script = script_rst_grace_expires, .family = 4,
     .client = "1:CONNECT@4 ",
     .server = "1:CONNACK@5 ",
     .events = "1:c:gap ", .check = check_rst_grace_expires},
    {.tag = "wscale_in", .script = script_rst_in_scaled_window, .family = 4,
     .client = "1:CONNECT@4 ",
     .server = "1:CONNACK@5 ",
     .events = "1:c:gap ", .check = check_rst_in_scaled_window},
    {.tag = "wscale_out", .script = script_rst_past_scaled_window,
     .family = 4,
     .client = "1:CONNECT@4 1:PUBLISH#1@7 1:DISCONNECT@9 ",
     .server = "1:CONNACK@5 1:PUBACK#1@8 ",
     .events = ""},
    {.tag = "unscaled", .script = script_rst_unscaled_window, .family = 4,
     .client = "1:CONNECT@4 1:PUBLISH#1@7 1:DISCONNECT@9 ",
     .server = "1:CONNACK@5 1:PUBACK#1@8 ",
     .events = ""},
    {.tag = "evicted", .script = script_evicted_resumes, .family = 4,
     .options = "--max-conns 1",
     .client = "1:CONNECT@4 2:CONNECT@9 3:PUBLISH#1@11 ",
     .server = "1:CONNACK@5 2:CONNACK@10 3:PUBACK#1@12 ",
     .events = "1:c:evicted 2:c:evicted ", .check = check_evicted_resumes},
};

int main(void)
{
    return lifecycle_run_cases("test_tcp_lifecycle_close", cases,
                               sizeof cases / sizeof cases[0], NULL, 0);
}
