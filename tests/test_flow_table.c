/* The connection table (cli/flow_table.c): orientation, lifecycle, caps,
 * idle timeout, eviction, scale. Segments are fed as decoded TCP headers;
 * the sink writes an event log compared as text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "net/flow_table.h"

/* ---- the recording sink ------------------------------------------------ */

struct recorder {
    char log[16384];
    size_t len;
    bool quiet;            /* count only */
    bool show_holding;     /* data lines end with c->holding[1 - dir] */
    uint64_t opens, closes, data_bytes;
    int app_token;
};

static void logf_(struct recorder *r, const char *fmt, ...)
{
    if (r->quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(r->log + r->len, sizeof r->log - r->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        r->len += (size_t)n;
    if (r->len >= sizeof r->log)
        r->len = sizeof r->log - 1;
}

static void on_open(void *ctx, struct flow_conn *c, const struct pkt_info *p)
{
    struct recorder *r = ctx;
    r->opens++;
    c->app = &r->app_token;
    logf_(r, "#%llu open%s c=%u s=%u f%llu\n", (unsigned long long)c->number,
          (c->flags & FLOW_MIDSTREAM) ? "(mid)" : "", c->key.ep[0].port,
          c->key.ep[1].port, (unsigned long long)p->frame);
}

static void on_data(void *ctx, struct flow_conn *c, int dir,
                    const uint8_t *d, size_t len, uint64_t off,
                    const struct pkt_info *p)
{
    struct recorder *r = ctx;
    assert_ptr_equal(c->app, &r->app_token);
    r->data_bytes += len;
    logf_(r, "#%llu d%d @%llu '%.*s' f%llu", (unsigned long long)c->number,
          dir, (unsigned long long)off, (int)len, (const char *)d,
          (unsigned long long)p->frame);
    if (r->show_holding) /* the other direction's: what the table promises */
        logf_(r, " peer_holding=%d", c->holding[1 - dir]);
    logf_(r, "\n");
}

static void on_gap(void *ctx, struct flow_conn *c, int dir, uint64_t off,
                   uint64_t len, const struct pkt_info *p)
{
    logf_(ctx, "#%llu gap%d @%llu +%llu f%llu\n",
          (unsigned long long)c->number, dir, (unsigned long long)off,
          (unsigned long long)len, (unsigned long long)p->frame);
}

static void on_conflict(void *ctx, struct flow_conn *c, int dir, uint64_t off,
                        uint64_t len, const struct pkt_info *p)
{
    logf_(ctx, "#%llu conflict%d @%llu +%llu f%llu\n",
          (unsigned long long)c->number, dir, (unsigned long long)off,
          (unsigned long long)len, (unsigned long long)p->frame);
}

static void on_close(void *ctx, struct flow_conn *c,
                     enum flow_close_reason why, const struct pkt_info *p)
{
    struct recorder *r = ctx;
    r->closes++;
    logf_(r, "#%llu close %s f%llu\n", (unsigned long long)c->number,
          flow_close_reason_name(why), (unsigned long long)p->frame);
}

static bool port_1883(void *ctx, uint16_t port)
{
    (void)ctx;
    return port == 1883;
}

static bool accept_not_22(void *ctx, const struct flow_key *k)
{
    (void)ctx;
    return k->ep[1].port != 22;
}

/* ---- feeding ----------------------------------------------------------- */

struct fx {
    struct flow_table *ft;
    struct recorder rec;
    uint64_t frame;
    int64_t ts;
};

static struct fx *fx_new_cfg(struct flow_config *cfg)
{
    struct fx *f = calloc(1, sizeof *f);
    struct flow_sink sink = {&f->rec, on_open, on_data, on_gap, on_conflict,
                             on_close, NULL, NULL, NULL, NULL};
    cfg->is_server_port = port_1883;
    cfg->accept = accept_not_22;
    f->ft = flow_table_new(cfg, &sink);
    f->ts = 1000000;
    return f;
}

static struct fx *fx_new(void)
{
    struct flow_config cfg = {0};
    return fx_new_cfg(&cfg);
}

static void fx_free(struct fx *f)
{
    flow_table_free(f->ft);
    free(f);
}

/* A segment from host `a`:aport to host `b`:bport (IPv4 10.0.0.a),
 * advertising `window`, with a Window Scale option of `wscale` (< 0: none;
 * taken from SYN segments only, as tcp_decode does). */
static void tcp4w(struct fx *f, int a, uint16_t aport, int b, uint16_t bport,
                  const char *flags, uint32_t seq, uint32_t ack,
                  const char *data, uint16_t window, int wscale)
{
    struct ip_info ip = {0};
    struct tcp_info t = {0};
    ip.family = PKT_AF_INET;
    ip.src[0] = ip.dst[0] = 10;
    ip.src[1] = (uint8_t)(a >> 16);
    ip.src[2] = (uint8_t)(a >> 8);
    ip.src[3] = (uint8_t)a;
    ip.dst[1] = (uint8_t)(b >> 16);
    ip.dst[2] = (uint8_t)(b >> 8);
    ip.dst[3] = (uint8_t)b;
    ip.proto = 6;
    t.sport = aport;
    t.dport = bport;
    t.seq = seq;
    t.ack = ack;
    for (const char *p = flags; *p; p++)
        t.flags |= *p == 'S' ? TCP_SYN : *p == 'A' ? TCP_ACK
                 : *p == 'F' ? TCP_FIN : *p == 'R' ? TCP_RST : 0;
    t.window = window;
    t.wscale = wscale >= 0 && (t.flags & TCP_SYN) ? (uint8_t)wscale : TCP_NO_WSCALE;
    t.payload = (const uint8_t *)data;
    t.payload_len = t.payload_caplen = strlen(data);
    struct pkt_info pkt = {++f->frame, f->ts};
    f->ts += 1000;
    flow_table_tcp(f->ft, &ip, &t, &pkt);
}

/* The same with a 64 KiB window and no Window Scale option. */
static void tcp4(struct fx *f, int a, uint16_t aport, int b, uint16_t bport,
                 const char *flags, uint32_t seq, uint32_t ack,
                 const char *data)
{
    tcp4w(f, a, aport, b, bport, flags, seq, ack, data, 65535, -1);
}

/* Client 10.0.0.1:50000 <-> server 10.0.0.2:1883. */
#define C2S(f, fl, seq, ack, d) tcp4(f, 1, 50000, 2, 1883, fl, seq, ack, d)
#define S2C(f, fl, seq, ack, d) tcp4(f, 2, 1883, 1, 50000, fl, seq, ack, d)

static void expect_log(struct fx *f, const char *want)
{
    assert_string_equal(f->rec.log, want);
}

/* ---- cases ------------------------------------------------------------- */

static void test_full_connection(void **state)
{
    (void)state;
    struct fx *f = fx_new();
    C2S(f, "S", 100, 0, "");
    S2C(f, "SA", 500, 101, "");
    C2S(f, "A", 101, 501, "");
    C2S(f, "A", 101, 501, "ping");
    S2C(f, "A", 501, 105, "pong");
    C2S(f, "FA", 105, 505, "");
    S2C(f, "FA", 505, 106, "");
    C2S(f, "A", 106, 506, "");     /* last ACK: no new connection */
    expect_log(f, "#1 open c=50000 s=1883 f1\n"
                  "#1 d0 @0 'ping' f4\n"
                  "#1 d1 @0 'pong' f5\n"
                  "#1 close FIN f7\n");
    const struct flow_stats *st = flow_table_stats(f->ft);
    assert_int_equal(st->connections, 1);
    assert_int_equal(st->closed_fin, 1);
    assert_int_equal(st->bytes, 8);
    flow_table_flush(f->ft, NULL);   /* closed entries: no second close */
    assert_int_equal(f->rec.closes, 1);
    assert_int_equal(st->entries_now, 0);
    fx_free(f);
}

static void test_reordered_delivered_at_filling_frame(void **state)
{
    (void)state;
    struct fx *f = fx_new();
    C2S(f, "S", 0, 0, "");
    C2S(f, "A", 4, 0, "def");
    C2S(f, "A", 1, 0, "abc");
    expect_log(f, "#1 open c=50000 s=1883 f1\n"
                  "#1 d0 @0 'abc' f3\n"
                  "#1 d0 @3 'def' f3\n");
    assert_int_equal(flow_table_stats(f->ft)->reasm.ooo_segments, 1);
    flow_table_flush(f->ft, NULL);
    fx_free(f);
}

/* At each on_data of dir, holding[1 - dir] says whether the other
 * direction holds bytes back (the pipeline's "the peer lags"). */
static void test_holding_reported(void **state)
{
    (void)state;
    struct fx *f = fx_new();
    f->rec.show_holding = true;
    C2S(f, "S", 0, 0, "");
    S2C(f, "SA", 500, 1, "");
    S2C(f, "A", 505, 1, "late"); /* 501..504 missing: held */
    C2S(f, "A", 1, 501, "ping");
    S2C(f, "A", 501, 5, "pong"); /* fills the hole */
    C2S(f, "A", 5, 509, "more");
    expect_log(f, "#1 open c=50000 s=1883 f1\n"
                  "#1 d0 @0 'ping' f4 peer_holding=1\n"
                  "#1 d1 @0 'pong' f5 peer_holding=0\n"
                  "#1 d1 @4 'late' f5 peer_holding=0\n"
                  "#1 d0 @4 'more' f6 peer_holding=0\n");
    flow_table_flush(f->ft, NULL);
    fx_free(f);
}

/* The server's answer captured before the client's data it acknowledges:
 * at the answer, the client direction lags (acknowledged, not delivered);
 * the data then arrives and is delivered with no gap. */
static void test_ack_ahead_makes_peer_lag(void **state)
{
    (void)state;
    struct fx *f = fx_new();
    f->rec.show_holding = true;
    C2S(f, "S", 0, 0, "");
    S2C(f, "SA", 500, 1, "");
    C2S(f, "A", 1, 501, "ping");
    S2C(f, "A", 501, 9, "pong"); /* acknowledges 'more', not yet seen */
    C2S(f, "A", 5, 505, "more");
    expect_log(f, "#1 open c=50000 s=1883 f1\n"
                  "#1 d0 @0 'ping' f3 peer_holding=0\n"
                  "#1 d1 @0 'pong' f4 peer_holding=1\n"
                  "#1 d0 @4 'more' f5 peer_holding=0\n");
    flow_table_flush(f->ft, NULL);
    assert_int_equal(flow_table_stats(f->ft)->reasm.gaps, 0);
    fx_free(f);
}

/* A quiet client behind one lost segment: the server acknowledged it, so
 * the client's next two segments are not held until FIN or idle. */
static void test_acked_lost_segment_not_held(void **state)
{
    (void)state;
    struct fx *f = fx_new();
    C2S(f, "S", 0, 0, "");
    S2C(f, "SA", 500, 1, "");
    C2S(f, "A", 1, 501, "aa");
    /* 3..4 lost */
    S2C(f, "A", 501, 5, "ok");
    C2S(f, "A", 5, 503, "cc");
    C2S(f, "A", 7, 503, "dd");
    expect_log(f, "#1 open c=50000 s=1883 f1\n"
                  "#1 d0 @0 'aa' f3\n"
                  "#1 d1 @0 'ok' f4\n"
                  "#1 gap0 @2 +2 f6\n"
                  "#1 d0 @4 'cc' f6\n"
                  "#1 d0 @6 'dd' f6\n");
    flow_table_flush(f->ft, NULL);
    fx_free(f);
}

static void test_midstream_orientation(void **state)
{
    (void)state;
    struct fx *f = fx_new();
    S2C(f, "A", 7000, 0, "from server"); /* first seen: server data */
    C2S(f, "A", 3000, 0, "from client");
    /* no server-port match: the higher port is the client */
    tcp4(f, 5, 4000, 6, 9000, "A", 1, 0, "x");
    expect_log(f, "#1 open(mid) c=50000 s=1883 f1\n"
                  "#1 d1 @0 'from server' f1\n"
                  "#1 d0 @0 'from client' f2\n"
                  "#2 open(mid) c=9000 s=4000 f3\n"
                  "#2 d1 @0 'x' f3\n");
    fx_free(f);
}

static void test_synack_first(void **state)
{
    (void)state;
    struct fx *f = fx_new();
    S2C(f, "SA", 500, 101, "");
    C2S(f, "A", 101, 501, "hi");
    expect_log(f, "#1 open c=50000 s=1883 f1\n#1 d0 @0 'hi' f2\n");
    fx_free(f);
}

static void test_pure_ack_and_rejected_make_no_entry(void **state)
{
    (void)state;
    struct fx *f = fx_new();
    C2S(f, "A", 1, 1, "");
    C2S(f, "FA", 1, 1, "");
    tcp4(f, 1, 40000, 2, 22, "S", 1, 0, "");
    tcp4(f, 1, 40000, 2, 22, "A", 2, 0, "ssh");
    expect_log(f, "");
    assert_int_equal(flow_table_stats(f->ft)->entries_now, 0);
    fx_free(f);
}

static void test_lost_segment_then_fin(void **state)
{
    (void)state;
    struct fx *f = fx_new();
    C2S(f, "S", 0, 0, "");
    C2S(f, "A", 1, 0, "aa");
    C2S(f, "A", 5, 0, "cc");      /* 3..4 lost */
    C2S(f, "A", 7, 0, "dd");
    C2S(f, "FA", 9, 0, "");
    S2C(f, "FA", 0, 10, "");
    /* The FIN waits behind the hole; the server's ACK of it (f6) shows
     * the hole was lost. */
    expect_log(f, "#1 open c=50000 s=1883 f1\n"
                  "#1 d0 @0 'aa' f2\n"
                  "#1 gap0 @2 +2 f6\n"
                  "#1 d0 @4 'cc' f6\n"
                  "#1 d0 @6 'dd' f6\n"
                  "#1 close FIN f6\n");
    fx_free(f);
}

/* A RST while the other direction still misses data sent before it: the
 * data is awaited, then the connection closes; later segments are
 * stragglers. */
static void test_rst_waits_for_peer_data(void **state)
{
    (void)state;
    struct fx *f = fx_new();
    C2S(f, "S", 0, 0, "");
    C2S(f, "A", 3, 0, "bb");
    S2C(f, "R", 0, 0, "");
    C2S(f, "A", 1, 0, "aa");
    C2S(f, "A", 5, 0, "after"); /* straggler: ignored */
    expect_log(f, "#1 open c=50000 s=1883 f1\n"
                  "#1 d0 @0 'aa' f4\n"
                  "#1 d0 @2 'bb' f4\n"
                  "#1 close RST f4\n");
    fx_free(f);
}

/* ... and when it never comes, the hole is a gap 5 s later. */
static void test_rst_flushes_holes(void **state)
{
    (void)state;
    struct fx *f = fx_new();
    C2S(f, "S", 0, 0, "");
    C2S(f, "A", 3, 0, "bb");
    S2C(f, "R", 0, 0, "");
    f->ts += 6000000;
    C2S(f, "A", 5, 0, "after"); /* straggler: ignored */
    expect_log(f, "#1 open c=50000 s=1883 f1\n"
                  "#1 gap0 @0 +2 f4\n"
                  "#1 d0 @2 'bb' f4\n"
                  "#1 close RST f4\n");
    fx_free(f);
}

static void test_conflict_reported(void **state)
{
    (void)state;
    struct fx *f = fx_new();
    C2S(f, "S", 0, 0, "");
    C2S(f, "A", 3, 0, "XY");
    C2S(f, "A", 3, 0, "QY");
    C2S(f, "A", 1, 0, "ab");
    expect_log(f, "#1 open c=50000 s=1883 f1\n"
                  "#1 conflict0 @2 +2 f3\n"
                  "#1 d0 @0 'ab' f4\n"
                  "#1 d0 @2 'XY' f4\n");
    flow_table_flush(f->ft, NULL);
    fx_free(f);
}

/* RFC 5961: a RST far outside the window (spoofed) is ignored. */
static void test_rst_outside_window_ignored(void **state)
{
    (void)state;
    struct fx *f = fx_new();
    C2S(f, "S", 0, 0, "");
    S2C(f, "SA", 500, 1, "");
    C2S(f, "A", 1, 501, "ping");
    S2C(f, "R", 500 + 0x40000000u, 0, "");
    S2C(f, "A", 501, 5, "pong");
    S2C(f, "R", 505, 0, ""); /* in the window: accepted */
    expect_log(f, "#1 open c=50000 s=1883 f1\n"
                  "#1 d0 @0 'ping' f3\n"
                  "#1 d1 @0 'pong' f5\n"
                  "#1 close RST f6\n");
    assert_int_equal(flow_table_stats(f->ft)->rst_ignored, 1);
    fx_free(f);
}

/* Data after a connection ended: a retransmission of delivered bytes is
 * nothing new; bytes never delivered are counted (not decoded), after a FIN
 * as after a RST. */
static void test_data_after_close_counted(void **state)
{
    (void)state;
    struct fx *f = fx_new();
    C2S(f, "S", 100, 0, "");
    S2C(f, "SA", 500, 101, "");
    C2S(f, "A", 101, 501, "ping");
    S2C(f, "A", 501, 105, "pong");
    C2S(f, "FA", 105, 505, "");
    S2C(f, "FA", 505, 106, "");
    C2S(f, "A", 101, 506, "ping");   /* retransmitted: delivered before */
    S2C(f, "A", 503, 106, "ngXY");   /* two old bytes, two new */
    C2S(f, "A", 106, 506, "late");   /* past the FIN */
    expect_log(f, "#1 open c=50000 s=1883 f1\n"
                  "#1 d0 @0 'ping' f3\n"
                  "#1 d1 @0 'pong' f4\n"
                  "#1 close FIN f6\n");
    const struct flow_stats *st = flow_table_stats(f->ft);
    assert_int_equal(st->after_close_segments, 2);
    assert_int_equal(st->after_close_bytes, 6);
    fx_free(f);

    f = fx_new();
    C2S(f, "S", 100, 0, "");
    S2C(f, "SA", 500, 101, "");
    C2S(f, "A", 101, 501, "ping");
    C2S(f, "R", 105, 0, "");         /* in the window: accepted */
    C2S(f, "A", 105, 501, "more");   /* after the RST: not the old session */
    C2S(f, "A", 101, 501, "ping");   /* a retransmission */
    st = flow_table_stats(f->ft);
    assert_int_equal(st->closed_rst, 1);
    assert_int_equal(st->after_close_segments, 1);
    assert_int_equal(st->after_close_bytes, 4);
    fx_free(f);
}

/* RFC 5961 with RFC 7323: a RST is judged by the window the receiver
 * advertised, scaled when both SYNs offered Window Scale; the fixed 1 MiB
 * only when the handshake was not seen. Each case: the server advertises
 * `window` (shift `ws_s`; the client's SYN offers `ws_c`), then a client
 * RST `ahead` bytes past its next byte: accepted or ignored. */
struct rst_window_case {
    const char *name;
    bool handshake;
    int ws_c, ws_s;
    uint16_t window;
    uint32_t ahead;
    bool accepted;
};

static void test_rst_window_scale(void **state)
{
    (void)state;
    static const struct rst_window_case cases[] = {
        /* 1000 << 7 = 128,000 bytes */
        {"scaled, inside", true, 7, 7, 1000, 100000, true},
        {"scaled, outside (inside 1 MiB)", true, 7, 7, 1000, 200000, false},
        /* 65535 << 8 = 16 MiB */
        {"scaled, past 1 MiB", true, 8, 8, 65535, 2u << 20, true},
        /* the option in one SYN only: no scaling (s2.2) */
        {"one side offers it", true, 7, -1, 1000, 100000, false},
        {"unscaled, inside", true, -1, -1, 1000, 1000, true},
        /* picked up mid-stream: the window scale is unknown */
        {"no handshake, inside 1 MiB", false, -1, -1, 1000, 500000, true},
        {"no handshake, past 1 MiB", false, -1, -1, 65535, 2u << 20, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct rst_window_case *k = &cases[i];
        struct fx *f = fx_new();
        if (k->handshake) {
            tcp4w(f, 1, 50000, 2, 1883, "S", 0, 0, "", 64240, k->ws_c);
            tcp4w(f, 2, 1883, 1, 50000, "SA", 500, 1, "", 65535, k->ws_s);
        }
        tcp4w(f, 1, 50000, 2, 1883, "A", 1, 501, "ping", 502, -1);
        tcp4w(f, 2, 1883, 1, 50000, "A", 501, 5, "pong", k->window, -1);
        tcp4w(f, 1, 50000, 2, 1883, "R", 5 + k->ahead, 0, "", 0, -1);
        /* Accepted, the RST waits for the bytes before it (a gap later). */
        const struct flow_stats *st = flow_table_stats(f->ft);
        if (st->rst_ignored != (k->accepted ? 0u : 1u))
            fail_msg("%s: rst_ignored %llu", k->name,
                     (unsigned long long)st->rst_ignored);
        fx_free(f);
    }
}

/* A RST captured ahead of the last data of its direction: the data is
 * still delivered, then the connection closes. */
static void test_rst_ahead_of_data(void **state)
{
    (void)state;
    struct fx *f = fx_new();
    C2S(f, "S", 0, 0, "");
    S2C(f, "SA", 500, 1, "");
    C2S(f, "A", 1, 501, "ping");
    C2S(f, "R", 9, 0, "");
    C2S(f, "A", 5, 501, "last");
    C2S(f, "A", 9, 501, "past the RST");
    expect_log(f, "#1 open c=50000 s=1883 f1\n"
                  "#1 d0 @0 'ping' f3\n"
                  "#1 d0 @4 'last' f5\n"
                  "#1 close RST f5\n");
    fx_free(f);
}

/* ... and when the data never comes, it is a gap 5 s (capture time) on. */
static void test_rst_grace_then_gap(void **state)
{
    (void)state;
    struct fx *f = fx_new();
    C2S(f, "S", 0, 0, "");
    C2S(f, "A", 1, 0, "ping");
    C2S(f, "R", 9, 0, "");
    f->ts += 4000000;
    tcp4(f, 7, 40000, 8, 1883, "S", 0, 0, ""); /* another connection */
    f->ts += 2000000;
    tcp4(f, 7, 40000, 8, 1883, "A", 1, 0, "x");
    expect_log(f, "#1 open c=50000 s=1883 f1\n"
                  "#1 d0 @0 'ping' f2\n"
                  "#2 open c=40000 s=1883 f4\n"
                  "#1 gap0 @4 +4 f5\n"
                  "#1 close RST f5\n"
                  "#2 d0 @0 'x' f5\n");
    fx_free(f);
}

/* A client reconnecting from the same port with a new ISN while the old
 * connection is open: the old one closes, a new one opens; no gap. */
static void test_syn_new_isn_reuses_tuple(void **state)
{
    (void)state;
    struct fx *f = fx_new();
    C2S(f, "S", 100, 0, "");
    S2C(f, "SA", 500, 101, "");
    C2S(f, "A", 101, 501, "old");
    C2S(f, "S", 100, 0, "");          /* retransmitted SYN: same connection */
    C2S(f, "S", 0x9000000u, 0, "");   /* a new ISN */
    S2C(f, "SA", 7000, 0x9000001u, "");
    C2S(f, "A", 0x9000001u, 7001, "new");
    S2C(f, "A", 7001, 0x9000004u, "ok");
    expect_log(f, "#1 open c=50000 s=1883 f1\n"
                  "#1 d0 @0 'old' f3\n"
                  "#1 close REUSED f5\n"
                  "#2 open c=50000 s=1883 f5\n"
                  "#2 d0 @0 'new' f7\n"
                  "#2 d1 @0 'ok' f8\n");
    const struct flow_stats *st = flow_table_stats(f->ft);
    assert_int_equal(st->reused, 1);
    assert_int_equal(st->reasm.gaps, 0);
    fx_free(f);
}

static void test_port_reuse_after_close(void **state)
{
    (void)state;
    struct fx *f = fx_new();
    C2S(f, "S", 0, 0, "");
    C2S(f, "R", 1, 0, "");
    C2S(f, "S", 9000, 0, "");
    C2S(f, "A", 9001, 0, "again");
    expect_log(f, "#1 open c=50000 s=1883 f1\n#1 close RST f2\n"
                  "#2 open c=50000 s=1883 f3\n#2 d0 @0 'again' f4\n");
    fx_free(f);
}

static void test_idle_timeout(void **state)
{
    (void)state;
    struct flow_config cfg = {.idle_timeout_us = 10 * 1000000LL};
    struct fx *f = fx_new_cfg(&cfg);
    C2S(f, "S", 0, 0, "");
    C2S(f, "A", 3, 0, "held");
    f->ts += 11 * 1000000LL;
    tcp4(f, 7, 50001, 2, 1883, "S", 0, 0, "");
    expect_log(f, "#1 open c=50000 s=1883 f1\n"
                  "#1 gap0 @0 +2 f3\n"
                  "#1 d0 @2 'held' f3\n"
                  "#1 close IDLE f3\n"
                  "#2 open c=50001 s=1883 f3\n");
    const struct flow_stats *st = flow_table_stats(f->ft);
    assert_int_equal(st->evicted_idle, 1);
    assert_int_equal(st->entries_now, 1);
    assert_int_equal(st->reasm.held_now, 0);
    flow_table_flush(f->ft, NULL);
    fx_free(f);
}

static void test_connection_cap(void **state)
{
    (void)state;
    struct flow_config cfg = {.conn_cap = 2 * REASM_SEG_COST + 8};
    struct fx *f = fx_new_cfg(&cfg);
    C2S(f, "S", 0, 0, "");
    C2S(f, "A", 3, 0, "12345");
    C2S(f, "A", 10, 0, "6789");   /* 9 data bytes > 8: give up a hole */
    expect_log(f, "#1 open c=50000 s=1883 f1\n"
                  "#1 gap0 @0 +2 f3\n"
                  "#1 d0 @2 '12345' f3\n");
    assert_int_equal(flow_table_stats(f->ft)->cap_flushes, 1);
    flow_table_flush(f->ft, NULL);
    fx_free(f);
}

static void test_global_cap(void **state)
{
    (void)state;
    struct flow_config cfg = {.global_cap = 2 * REASM_SEG_COST + 10};
    struct fx *f = fx_new_cfg(&cfg);
    tcp4(f, 1, 50001, 2, 1883, "S", 0, 0, "");
    tcp4(f, 1, 50001, 2, 1883, "A", 2, 0, "aaaaaa");
    tcp4(f, 1, 50002, 2, 1883, "S", 0, 0, "");
    tcp4(f, 1, 50002, 2, 1883, "A", 2, 0, "bbbbbb"); /* 12 > 10 */
    expect_log(f, "#1 open c=50001 s=1883 f1\n"
                  "#2 open c=50002 s=1883 f3\n"
                  "#1 gap0 @0 +1 f4\n"
                  "#1 d0 @1 'aaaaaa' f4\n");
    assert_int_equal(flow_table_stats(f->ft)->reasm.held_now,
                     6 + REASM_SEG_COST);
    flow_table_flush(f->ft, NULL);
    fx_free(f);
}

static void test_max_conns_evicts_oldest(void **state)
{
    (void)state;
    struct flow_config cfg = {.max_conns = 2};
    struct fx *f = fx_new_cfg(&cfg);
    tcp4(f, 1, 50001, 2, 1883, "S", 0, 0, "");
    tcp4(f, 1, 50002, 2, 1883, "S", 0, 0, "");
    tcp4(f, 1, 50001, 2, 1883, "A", 1, 0, "x"); /* 50001 is now newest */
    tcp4(f, 1, 50003, 2, 1883, "S", 0, 0, "");
    expect_log(f, "#1 open c=50001 s=1883 f1\n"
                  "#2 open c=50002 s=1883 f2\n"
                  "#1 d0 @0 'x' f3\n"
                  "#2 close EVICTED f4\n"
                  "#3 open c=50003 s=1883 f4\n");
    assert_int_equal(flow_table_stats(f->ft)->evicted_full, 1);
    flow_table_flush(f->ft, NULL);
    expect_log(f, "#1 open c=50001 s=1883 f1\n"
                  "#2 open c=50002 s=1883 f2\n"
                  "#1 d0 @0 'x' f3\n"
                  "#2 close EVICTED f4\n"
                  "#3 open c=50003 s=1883 f4\n"
                  "#1 close END f4\n"
                  "#3 close END f4\n");
    fx_free(f);
}

static void test_ipv6_and_ipv4_do_not_mix(void **state)
{
    (void)state;
    struct fx *f = fx_new();
    struct ip_info ip = {0};
    struct tcp_info t = {.sport = 50000, .dport = 1883, .flags = TCP_SYN};
    ip.family = PKT_AF_INET6;
    ip.src[15] = 1;
    ip.dst[15] = 2;
    struct pkt_info pkt = {1, 1};
    flow_table_tcp(f->ft, &ip, &t, &pkt);
    ip.family = PKT_AF_INET;
    memset(ip.src, 0, 16);
    memset(ip.dst, 0, 16);
    ip.src[3] = 1;
    ip.dst[3] = 2;
    flow_table_tcp(f->ft, &ip, &t, &pkt);
    assert_int_equal(flow_table_stats(f->ft)->connections, 2);
    flow_table_flush(f->ft, NULL);
    fx_free(f);
}

static void test_100k_connections(void **state)
{
    (void)state;
    struct fx *f = fx_new();
    f->rec.quiet = true;
    const int n = 100000;
    clock_t t0 = clock();
    for (int i = 0; i < n; i++)
        tcp4(f, 1 + i, (uint16_t)(1024 + i % 60000), 2, 1883, "S", 7, 0, "");
    for (int i = 0; i < n; i++)
        tcp4(f, 1 + i, (uint16_t)(1024 + i % 60000), 2, 1883, "A", 8, 0,
             "data");
    for (int i = 0; i < n; i++)
        tcp4(f, 2, 1883, 1 + i, (uint16_t)(1024 + i % 60000), "SA", 1, 8,
             "");
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    const struct flow_stats *st = flow_table_stats(f->ft);
    assert_int_equal(st->connections, n);
    assert_int_equal(st->entries_now, n);
    assert_int_equal(f->rec.data_bytes, 4 * (uint64_t)n);
    flow_table_flush(f->ft, NULL);
    assert_int_equal(f->rec.closes, n);
    print_message("100k connections, 300k segments: %.2f s\n", secs);
    fx_free(f);
}

/* A hole followed by 200k one-byte segments: memory stays under the
 * connection cap (each range costs REASM_SEG_COST) and appends stay fast. */
static void test_tiny_segments_bounded(void **state)
{
    (void)state;
    struct fx *f = fx_new();
    f->rec.quiet = true;
    C2S(f, "S", 0, 0, "");
    for (uint32_t i = 0; i < 200000; i++)
        C2S(f, "A", 2 + i, 0, "z");
    const struct flow_stats *st = flow_table_stats(f->ft);
    assert_true(st->reasm.held_peak <= ((size_t)1 << 20) + REASM_SEG_COST + 1);
    assert_int_equal(st->reasm.gaps, 1);
    assert_int_equal(st->reasm.gap_bytes, 1);
    flow_table_flush(f->ft, NULL);
    assert_int_equal(f->rec.data_bytes, 200000);
    assert_int_equal(st->reasm.held_now, 0);
    fx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_connection),
        cmocka_unit_test(test_reordered_delivered_at_filling_frame),
        cmocka_unit_test(test_holding_reported),
        cmocka_unit_test(test_midstream_orientation),
        cmocka_unit_test(test_rst_outside_window_ignored),
        cmocka_unit_test(test_data_after_close_counted),
        cmocka_unit_test(test_rst_window_scale),
        cmocka_unit_test(test_rst_waits_for_peer_data),
        cmocka_unit_test(test_rst_ahead_of_data),
        cmocka_unit_test(test_rst_grace_then_gap),
        cmocka_unit_test(test_syn_new_isn_reuses_tuple),
        cmocka_unit_test(test_ack_ahead_makes_peer_lag),
        cmocka_unit_test(test_acked_lost_segment_not_held),
        cmocka_unit_test(test_synack_first),
        cmocka_unit_test(test_pure_ack_and_rejected_make_no_entry),
        cmocka_unit_test(test_lost_segment_then_fin),
        cmocka_unit_test(test_rst_flushes_holes),
        cmocka_unit_test(test_conflict_reported),
        cmocka_unit_test(test_port_reuse_after_close),
        cmocka_unit_test(test_idle_timeout),
        cmocka_unit_test(test_connection_cap),
        cmocka_unit_test(test_global_cap),
        cmocka_unit_test(test_max_conns_evicts_oldest),
        cmocka_unit_test(test_ipv6_and_ipv4_do_not_mix),
        cmocka_unit_test(test_100k_connections),
        cmocka_unit_test(test_tiny_segments_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
