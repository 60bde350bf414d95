/* The connection table's hash slots and LRU list under churn: thousands of
 * connections opened, reset, evicted (max_conns), expired (idle timeout) and
 * reopened at random, checked against a model of which connection number
 * each 4-tuple must reach. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "net/flow_table.h"

#define TUPLES 6000u
#define MAX_CONNS 2500u

struct model {
    uint64_t number[TUPLES]; /* open connection of each tuple; 0: none */
    uint32_t seq[TUPLES][2]; /* next sequence number per direction */
    bool closed[TUPLES];     /* reset: the entry lingers, closed */
    uint32_t feeding;        /* the tuple of the segment being fed */
    uint64_t opens, closes, data;
};

static uint64_t rng_state = 0x9E3779B97F4A7C15u;

static uint32_t rng_below(uint32_t n)
{
    rng_state ^= rng_state << 13; /* xorshift64 */
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state % n);
}

/* Tuple t: client 10.x.y.z:(1024 + t % 50000) -> server 192.0.2.1:1883.
 * (A connection picked up mid-stream may take the server for the client.) */
static uint32_t tuple_of(const struct flow_conn *c)
{
    const uint8_t *a = c->key.ep[c->key.ep[0].addr[0] == 10 ? 0 : 1].addr;
    return (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
}

static void on_open(void *ctx, struct flow_conn *c, const struct pkt_info *p)
{
    struct model *m = ctx;
    (void)p;
    uint32_t t = tuple_of(c);
    assert_int_equal(t, m->feeding);
    /* A closed entry may have gone silently (idle, evicted). */
    assert_true(m->number[t] == 0 || m->closed[t]);
    m->number[t] = c->number;
    m->closed[t] = false;
    m->opens++;
}

static void on_data(void *ctx, struct flow_conn *c, int dir,
                    const uint8_t *d, size_t len, uint64_t off,
                    const struct pkt_info *p)
{
    struct model *m = ctx;
    (void)dir, (void)d, (void)len, (void)off, (void)p;
    uint32_t t = tuple_of(c);
    assert_int_equal(t, m->feeding);
    assert_int_equal(c->number, m->number[t]);
    m->data++;
}

static void on_close(void *ctx, struct flow_conn *c,
                     enum flow_close_reason why, const struct pkt_info *p)
{
    struct model *m = ctx;
    (void)p;
    uint32_t t = tuple_of(c);
    assert_int_equal(c->number, m->number[t]);
    if (why == FLOW_CLOSE_RST) {
        m->closed[t] = true; /* lingers: later data are stragglers */
    } else {
        m->number[t] = 0; /* evicted, expired or flushed: the entry goes */
    }
    m->closes++;
}

static void segment(struct flow_table *ft, struct model *m, uint32_t t,
                    int dir, uint8_t flags, size_t len, int64_t ts_us)
{
    static const uint8_t data[16] = "0123456789abcdef";
    struct ip_info ip;
    struct tcp_info tcp;
    memset(&ip, 0, sizeof ip);
    memset(&tcp, 0, sizeof tcp);
    uint8_t client[4] = {10, (uint8_t)(t >> 16), (uint8_t)(t >> 8), (uint8_t)t};
    uint8_t server[4] = {192, 0, 2, 1};
    uint16_t cport = (uint16_t)(1024 + t % 50000), sport = 1883;
    ip.family = PKT_AF_INET;
    ip.proto = 6;
    memcpy(ip.src, dir == 0 ? client : server, 4);
    memcpy(ip.dst, dir == 0 ? server : client, 4);
    tcp.sport = dir == 0 ? cport : sport;
    tcp.dport = dir == 0 ? sport : cport;
    tcp.flags = flags;
    tcp.seq = m->seq[t][dir];
    tcp.payload = data;
    tcp.payload_caplen = tcp.payload_len = len;
    m->seq[t][dir] += (uint32_t)len + ((flags & TCP_SYN) ? 1u : 0u);
    struct pkt_info pkt = {m->opens + m->data + 1, ts_us};
    m->feeding = t;
    flow_table_tcp(ft, &ip, &tcp, &pkt);
}

static void churn_matches_the_model(void **state)
{
    (void)state;
    struct model *m = calloc(1, sizeof *m);
    assert_non_null(m);
    struct flow_config cfg = {.max_conns = MAX_CONNS,
                              .idle_timeout_us = 2000000};
    struct flow_sink sink = {.ctx = m, .on_open = on_open, .on_data = on_data,
                             .on_close = on_close};
    struct flow_table *ft = flow_table_new(&cfg, &sink);
    assert_non_null(ft);
    int64_t now = 1000000;
    for (uint32_t step = 0; step < 200000; step++) {
        uint32_t t = rng_below(step < 100000 ? TUPLES : TUPLES / 3);
        uint32_t what = rng_below(100);
        now += rng_below(40); /* microseconds: some connections go idle */
        if (m->number[t] == 0 || (m->closed[t] && what < 50)) {
            if (m->closed[t]) /* a new SYN replaces the closed entry */
                m->number[t] = 0;
            m->seq[t][0] = rng_below(1u << 30);
            m->seq[t][1] = rng_below(1u << 30);
            segment(ft, m, t, 0, TCP_SYN, 0, now);
            segment(ft, m, t, 1, TCP_SYN | TCP_ACK, 0, now);
        } else if (what < 3 && !m->closed[t]) {
            segment(ft, m, t, (int)rng_below(2), TCP_RST | TCP_ACK, 0, now);
        } else {
            segment(ft, m, t, (int)rng_below(2), TCP_ACK, 1 + rng_below(16), now);
        }
        if (step % 5000 == 0)
            now += 3000000; /* everything idle: all expire at the next packet */
    }
    flow_table_flush(ft, NULL);
    assert_int_equal(flow_table_stats(ft)->entries_now, 0);
    for (uint32_t t = 0; t < TUPLES; t++)
        assert_true(m->number[t] == 0 || m->closed[t]);
    assert_true(m->opens > 10000);
    assert_true(m->data > 50000);
    flow_table_free(ft);
    free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(churn_matches_the_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
