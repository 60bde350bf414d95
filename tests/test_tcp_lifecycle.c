/* TCP as it really arrives, end to end (issue 14): crafted captures
 * (tests/support/pktgen) run through the mqttdissect binary with -T json;
 * each case compares the per-direction message sequence (connection
 * number, type, packet id) and the events with what the connection really
 * carried. No case may show a state violation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "fragment.h"
#include "pktgen.h"

/* MQTT 3.1.1 packets. */
#define CONNECT "\x10\x0e\x00\x04MQTT\x04\x02\x00\x3c\x00\x02" "c1"
#define CONNACK "\x20\x02\x00\x00"
#define DISCONNECT "\xe0\x00"
#define PUBLISH_LEN 9
static const char *publish(int id)
{
    static char p[PUBLISH_LEN + 1];
    memcpy(p, "\x32\x07\x00\x01t\x00\x00hi", PUBLISH_LEN);
    p[6] = (char)id;
    return p;
}
static const char *puback(int id)
{
    static char p[5];
    memcpy(p, "\x40\x02\x00\x00", 4);
    p[3] = (char)id;
    return p;
}

struct result {
    char dir[2][1024]; /* "conn:TYPE[#id]@frame " per message */
    char events[1024]; /* "conn:c|s:event " */
    int violations;
    int records, proxied; /* records; those with proxied_src as below */
    char proxied_src[64];
};

static void add(char *buf, size_t cap, const char *fmt, ...)
{
    size_t len = strlen(buf);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + len, cap - len, fmt, ap);
    va_end(ap);
}

/* Runs mqttdissect on the capture and sorts its records. */
static void run(const char *pcap, const char *extra, struct result *r)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s/mqttdissect -r %s -T json --color never %s",
             MQD_BINARY_DIR, pcap, extra);
    memset(r, 0, sizeof *r);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char line[65536];
    while (fgets(line, sizeof line, p)) {
        json_error_t err;
        json_t *o = json_loads(line, 0, &err);
        assert_non_null(o);
        const char *src = json_string_value(json_object_get(o, "src"));
        size_t sl = src ? strlen(src) : 0; /* the client is port 50000 */
        int d = sl > 6 && strcmp(src + sl - 6, ":50000") == 0 ? 0 : 1;
        json_int_t conn = json_integer_value(json_object_get(o, "conn"));
        json_t *ev = json_object_get(o, "event");
        const char *ps = json_string_value(json_object_get(o, "proxied_src"));
        r->records++;
        if (ps) {
            r->proxied++;
            snprintf(r->proxied_src, sizeof r->proxied_src, "%s", ps);
        }
        if (ev) {
            const char *name = json_string_value(ev);
            if (strcmp(name, "state_violation") == 0)
                r->violations++;
            add(r->events, sizeof r->events, "%d:%c:%s ", (int)conn,
                d ? 's' : 'c', name);
        } else {
            const char *type = json_string_value(json_object_get(o, "type"));
            json_t *id = json_object_get(o, "packet_id");
            json_t *v = json_object_get(o, "violations");
            r->violations += (int)json_array_size(v);
            add(r->dir[d], sizeof r->dir[d], "%d:%s", (int)conn, type);
            if (id)
                add(r->dir[d], sizeof r->dir[d], "#%d",
                    (int)json_integer_value(id));
            add(r->dir[d], sizeof r->dir[d], "@%d ",
                (int)json_integer_value(json_object_get(o, "frame")));
        }
        json_decref(o);
    }
    assert_int_equal(pclose(p), 0);
}

/* Handshake, CONNECT, CONNACK: frames 1-5. */
static void connect_flow(struct pktgen *g, struct pktgen_flow *f,
                         uint32_t isn)
{
    pktgen_handshake(g, f, isn, 5000);
    pktgen_data(g, f, PKTGEN_C2S, CONNECT, sizeof CONNECT - 1);
    pktgen_data(g, f, PKTGEN_S2C, CONNACK, 4);
}

/* Closes with FIN from the client, then from the server. */
static void fins(struct pktgen *g, struct pktgen_flow *f)
{
    pktgen_fin(g, f, PKTGEN_C2S);
    pktgen_fin(g, f, PKTGEN_S2C);
}

/* ---- the cases: a capture script and what must come out of it ---- */

/* A quiet device behind one lost segment: the broker acknowledged the lost
 * PUBLISH; the next PUBLISH a minute later is shown at its own frame, not
 * held until the FIN; the lost bytes are one gap. */
static void script_lost_segment_acked(struct pktgen *g, struct pktgen_flow *f)
{
    connect_flow(g, f, 1000);
    f->next_seq[0] += PUBLISH_LEN;                        /* PUBLISH 1 lost */
    pktgen_data(g, f, PKTGEN_S2C, puback(1), 4);          /* f6 */
    pktgen_tcp_next(g, f, PKTGEN_C2S, TCP_ACK, NULL, 0);  /* f7 */
    pktgen_set_time(g, 61000000);
    pktgen_data(g, f, PKTGEN_C2S, publish(2), PUBLISH_LEN); /* f8 */
    pktgen_data(g, f, PKTGEN_S2C, puback(2), 4);          /* f9 */
    pktgen_data(g, f, PKTGEN_C2S, DISCONNECT, 2);         /* f10 */
    fins(g, f);
}

/* The client's FIN captured 40 us ahead of its last PUBLISH: the PUBLISH
 * is decoded, the stream ends after it. */
static void script_fin_ahead_of_data(struct pktgen *g, struct pktgen_flow *f)
{
    connect_flow(g, f, 1000);
    uint32_t at = f->next_seq[0];
    f->next_seq[0] += PUBLISH_LEN;
    pktgen_set_step(g, 40);
    pktgen_fin(g, f, PKTGEN_C2S);                                   /* f6 */
    pktgen_tcp(g, f, PKTGEN_C2S, TCP_ACK | TCP_PSH, at, publish(1),
               PUBLISH_LEN);                                        /* f7 */
    pktgen_data(g, f, PKTGEN_S2C, puback(1), 4);                    /* f8 */
    pktgen_fin(g, f, PKTGEN_S2C);
}

/* The same with a RST, the broker's PUBACK captured first too: the
 * PUBLISH before the RST is still decoded and paired. */
static void script_rst_ahead_of_data(struct pktgen *g, struct pktgen_flow *f)
{
    connect_flow(g, f, 1000);
    uint32_t at = f->next_seq[0];
    f->next_seq[0] += PUBLISH_LEN;
    pktgen_set_step(g, 40);
    pktgen_data(g, f, PKTGEN_S2C, puback(1), 4);                    /* f6 */
    pktgen_tcp(g, f, PKTGEN_C2S, TCP_RST | TCP_ACK, f->next_seq[0], NULL,
               0);                                                  /* f7 */
    pktgen_tcp(g, f, PKTGEN_C2S, TCP_ACK | TCP_PSH, at, publish(1),
               PUBLISH_LEN);                                        /* f8 */
    pktgen_data(g, f, PKTGEN_C2S, "late", 4); /* past the RST: ignored */
}

/* A RST far outside the window (spoofed) does not end the analysis. */
static void script_rst_outside_window(struct pktgen *g, struct pktgen_flow *f)
{
    connect_flow(g, f, 1000);
    pktgen_tcp(g, f, PKTGEN_C2S, TCP_RST, f->next_seq[0] + 0x40000000u,
               NULL, 0);                                            /* f6 */
    pktgen_data(g, f, PKTGEN_C2S, publish(1), PUBLISH_LEN);         /* f7 */
    pktgen_data(g, f, PKTGEN_S2C, puback(1), 4);                    /* f8 */
    pktgen_data(g, f, PKTGEN_C2S, DISCONNECT, 2);                   /* f9 */
    fins(g, f);
}

/* A client reconnecting from the same port with a new ISN while the old
 * connection was never closed: two connections, no gap, no second
 * CONNECT on one connection. */
static void script_syn_reuses_tuple(struct pktgen *g, struct pktgen_flow *f)
{
    connect_flow(g, f, 1000);
    connect_flow(g, f, 0x9000000u); /* frames 6-10 */
    pktgen_data(g, f, PKTGEN_C2S, DISCONNECT, 2);                   /* f11 */
    fins(g, f);
}

/* A PUBLISH in a fragmented IPv4 or IPv6 datagram, the fragments in
 * reverse order: decoded whole at the frame that completes it, and its
 * PUBACK answers it (no violation). */
static void script_fragmented_publish(struct pktgen *g, struct pktgen_flow *f)
{
    connect_flow(g, f, 1000);
    uint8_t pkt[256], frag[256];
    size_t len = pktgen_build_tcp(PKTGEN_LINKTYPE_RAW, f, PKTGEN_C2S,
                                  TCP_ACK | TCP_PSH, f->next_seq[0],
                                  f->next_seq[1], publish(1), PUBLISH_LEN,
                                  pkt, sizeof pkt);
    f->next_seq[0] += PUBLISH_LEN;
    size_t hdr = f->family == 4 ? 20 : 40, l4 = len - hdr;
    size_t n = fragment_ip(pkt, len, 24, l4 - 24, false, 77, frag,
                           sizeof frag);
    pktgen_write(g, frag, n);                                       /* f6 */
    n = fragment_ip(pkt, len, 0, 24, true, 77, frag, sizeof frag);
    pktgen_write(g, frag, n);                                       /* f7 */
    pktgen_data(g, f, PKTGEN_S2C, puback(1), 4);                    /* f8 */
    pktgen_data(g, f, PKTGEN_C2S, DISCONNECT, 2);                   /* f9 */
    fins(g, f);
}

/* PROXY protocol v1 before the CONNECT on the broker port (its own
 * segment): stripped, an event, and every record of the connection offers
 * the original client's address. */
static void script_proxy_v1(struct pktgen *g, struct pktgen_flow *f)
{
    pktgen_handshake(g, f, 1000, 5000);
    const char *line = "PROXY TCP4 203.0.113.7 192.0.2.1 40000 1883\r\n";
    pktgen_data(g, f, PKTGEN_C2S, line, strlen(line));              /* f4 */
    pktgen_data(g, f, PKTGEN_C2S, CONNECT, sizeof CONNECT - 1);     /* f5 */
    pktgen_data(g, f, PKTGEN_S2C, CONNACK, 4);                      /* f6 */
    pktgen_data(g, f, PKTGEN_C2S, DISCONNECT, 2);                   /* f7 */
    fins(g, f);
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
    memcpy(seg + 56, CONNECT, sizeof CONNECT - 1);
    pktgen_data(g, f, PKTGEN_C2S, seg, 56 + sizeof CONNECT - 1);    /* f4 */
    pktgen_data(g, f, PKTGEN_S2C, CONNACK, 4);                      /* f5 */
    fins(g, f);
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
    pktgen_data(g, f, PKTGEN_S2C, CONNACK, 4);                      /* f5 */
    pktgen_set_time(g, 1000000 + (int64_t)3600 * 1000000);
    pktgen_data(g, f, PKTGEN_C2S, publish(1), PUBLISH_LEN);         /* f6 */
    pktgen_data(g, f, PKTGEN_S2C, puback(1), 4);                    /* f7 */
    fins(g, f);
}

/* A case: its script over client 10.0.0.1:50000 (2001:db8::1 with
 * family 6, raw IP frames with `raw`) and the server on `port` (0: 1883),
 * then the client's and the server's messages ("conn:TYPE[#id]@frame "),
 * the events ("conn:c|s:event "), no violation, and with proxied_src every
 * record offering that address. */
struct lifecycle_case {
    const char *tag;
    void (*script)(struct pktgen *g, struct pktgen_flow *f);
    uint16_t port;
    int family;
    bool raw;
    const char *client, *server, *events, *proxied_src;
};

static const struct lifecycle_case cases[] = {
    {"lost", script_lost_segment_acked, 0, 4, false,
     "1:CONNECT@4 1:PUBLISH#2@8 1:DISCONNECT@10 ",
     "1:CONNACK@5 1:PUBACK#1@6 1:PUBACK#2@9 ", "1:c:gap 1:c:resync ", NULL},
    {"fin", script_fin_ahead_of_data, 0, 4, false,
     "1:CONNECT@4 1:PUBLISH#1@7 ", "1:CONNACK@5 1:PUBACK#1@8 ", "", NULL},
    {"rst", script_rst_ahead_of_data, 0, 4, false,
     "1:CONNECT@4 1:PUBLISH#1@8 ", "1:CONNACK@5 1:PUBACK#1@6 ", "", NULL},
    {"spoof", script_rst_outside_window, 0, 4, false,
     "1:CONNECT@4 1:PUBLISH#1@7 1:DISCONNECT@9 ", "1:CONNACK@5 1:PUBACK#1@8 ",
     "", NULL},
    {"reuse", script_syn_reuses_tuple, 0, 4, false,
     "1:CONNECT@4 2:CONNECT@9 2:DISCONNECT@11 ", "1:CONNACK@5 2:CONNACK@10 ",
     "", NULL},
    {"frag4", script_fragmented_publish, 0, 4, true,
     "1:CONNECT@4 1:PUBLISH#1@7 1:DISCONNECT@9 ", "1:CONNACK@5 1:PUBACK#1@8 ",
     "", NULL},
    {"frag6", script_fragmented_publish, 0, 6, true,
     "1:CONNECT@4 1:PUBLISH#1@7 1:DISCONNECT@9 ", "1:CONNACK@5 1:PUBACK#1@8 ",
     "", NULL},
    {"proxy1", script_proxy_v1, 0, 4, false, "1:CONNECT@5 1:DISCONNECT@7 ",
     "1:CONNACK@6 ", "1:c:proxy ", "203.0.113.7:40000"},
    {"idle", script_file_no_idle_eviction, 0, 4, false,
     "1:CONNECT@4 1:PUBLISH#1@6 ", "1:CONNACK@5 1:PUBACK#1@7 ", "", NULL},
    {"proxy2", script_proxy_v2_heuristic_port, 7000, 4, false, "1:CONNECT@4 ",
     "1:CONNACK@5 ", "1:c:proxy 1:c:detected ", "[2001:db8::7]:40000"},
};

/* Writes the case's capture, runs mqttdissect on it, checks the result. */
static void test_case(void **state)
{
    const struct lifecycle_case *k = *state;
    char path[256];
    snprintf(path, sizeof path, "/tmp/mqd-lifecycle-%ld-%s.pcap", (long)getpid(),
             k->tag);
    struct pktgen *g = pktgen_open_file(path, k->raw ? PKTGEN_LINKTYPE_RAW
                                                     : DLT_EN10MB);
    assert_non_null(g);
    pktgen_set_time(g, 1000000);
    struct pktgen_flow f;
    uint16_t port = k->port ? k->port : 1883;
    if (k->family == 6)
        pktgen_flow6(&f, "2001:db8::1", 50000, "2001:db8::2", port);
    else
        pktgen_flow4(&f, "10.0.0.1", 50000, "10.0.0.2", port);
    k->script(g, &f);
    assert_int_equal(pktgen_close(g), 0);
    struct result r;
    run(path, "", &r);
    unlink(path);
    assert_string_equal(r.dir[0], k->client);
    assert_string_equal(r.dir[1], k->server);
    assert_string_equal(r.events, k->events);
    assert_int_equal(r.violations, 0);
    if (k->proxied_src) {
        assert_int_equal(r.proxied, r.records);
        assert_string_equal(r.proxied_src, k->proxied_src);
    }
}

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
    connect_flow(g, &f, 1000);
    uint8_t frame[256];
    size_t len = pktgen_build_tcp(DLT_EN10MB, &f, PKTGEN_C2S,
                                  TCP_ACK | TCP_PSH, f.next_seq[0],
                                  f.next_seq[1], publish(1), PUBLISH_LEN,
                                  frame, sizeof frame);
    frame[len - 3] = 9; /* the packet id's low byte, checksum unchanged */
    pktgen_write(g, frame, len);                                    /* f6 */
    pktgen_data(g, &f, PKTGEN_C2S, publish(1), PUBLISH_LEN);        /* f7 */
    pktgen_data(g, &f, PKTGEN_S2C, puback(1), 4);                   /* f8 */
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
    struct result r;
    run(path, "", &r);
    assert_string_equal(r.dir[0], "1:CONNECT@4 1:PUBLISH#1@7 ");
    assert_string_equal(r.dir[1], "1:CONNACK@5 1:PUBACK#1@8 ");
    assert_string_equal(r.events, "");
    assert_int_equal(r.violations, 0);
    run(path, "--no-checksum", &r);
    assert_string_equal(r.dir[0], "1:CONNECT@4 1:PUBLISH#9@6 ");
    assert_true(r.violations > 0);
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "%s/mqttdissect -r %s -q 2>&1 | grep -q ' 1 bad_checksum,'",
             MQD_BINARY_DIR, path);
    assert_int_equal(system(cmd), 0);
    unlink(path);
}

int main(void)
{
    struct CMUnitTest tests[sizeof cases / sizeof cases[0] + 1];
    size_t n = 0;
    for (; n < sizeof cases / sizeof cases[0]; n++)
        tests[n] = (struct CMUnitTest){cases[n].tag, test_case, NULL, NULL,
                                       (void *)&cases[n]};
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_bad_checksum_dropped);
    return _cmocka_run_group_tests("test_tcp_lifecycle", tests, n, NULL, NULL);
}
