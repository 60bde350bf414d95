/* Packet input (cli/capture.c): pcap files written by pktgen read back from
 * disk, memory and stdin, filters with absolute frame numbers, and the
 * one-line errors for missing, foreign, truncated and unsupported input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <zlib.h>

#include "net/capture.h"
#include "net/capture_queue.h"
#include "net/flow_table.h"
#include "pktgen.h"

struct seen {
    uint64_t count;
    uint64_t frames[64];
    uint32_t caplen[64], len[64];
    uint64_t stop_after;
};

static int record(void *ctx, const struct pcap_pkthdr *h, const uint8_t *b,
                  uint64_t frame)
{
    struct seen *s = ctx;
    (void)b;
    if (s->count < 64) {
        s->frames[s->count] = frame;
        s->caplen[s->count] = h->caplen;
        s->len[s->count] = h->len;
    }
    s->count++;
    return s->stop_after && s->count >= s->stop_after;
}

static void temp_path(char *buf, size_t len, const char *tag)
{
    snprintf(buf, len, "/tmp/mqd_test_capture_%d_%s.pcap", (int)getpid(),
             tag);
}

/* Three MQTT-port frames and one other: 1883, 1883, 22, 1883. */
static void write_sample(struct pktgen *g)
{
    struct pktgen_flow f, other;
    pktgen_flow4(&f, "10.0.0.1", 50000, "10.0.0.2", 1883);
    pktgen_flow4(&other, "10.0.0.1", 50001, "10.0.0.2", 22);
    assert_int_equal(pktgen_handshake(g, &f, 100, 200), 0);
    assert_int_equal(pktgen_data(g, &other, 0, "ssh", 3), 0);
    assert_int_equal(pktgen_data(g, &f, 0, "\x10\x00", 2), 0);
}

static void test_file_roundtrip_and_filter(void **state)
{
    (void)state;
    char path[256], err[512] = "";
    temp_path(path, sizeof path, "rt");
    struct pktgen *g = pktgen_open_file(path, DLT_EN10MB);
    assert_non_null(g);
    write_sample(g);
    assert_int_equal(pktgen_close(g), 0);

    struct capture c;
    struct seen s = {0};
    assert_int_equal(capture_open_offline(&c, path, err, sizeof err), 0);
    assert_int_equal(c.dlt, DLT_EN10MB);
    assert_int_equal(capture_run(&c, record, &s, err, sizeof err), 0);
    assert_int_equal(s.count, 5);
    capture_close(&c);

    memset(&s, 0, sizeof s);
    assert_int_equal(capture_open_offline(&c, path, err, sizeof err), 0);
    assert_int_equal(capture_set_filter(&c, "tcp port 22", err, sizeof err),
                     0);
    assert_int_equal(capture_run(&c, record, &s, err, sizeof err), 0);
    assert_int_equal(s.count, 1);
    assert_int_equal(s.frames[0], 4); /* numbered among all frames */
    struct capture_stats st;
    assert_int_equal(capture_stats(&c, &st, err, sizeof err),
                     CAPTURE_EUNSUPPORTED);
    capture_close(&c);

    assert_int_equal(capture_open_offline(&c, path, err, sizeof err), 0);
    assert_int_equal(capture_set_filter(&c, "tcp port", err, sizeof err),
                     CAPTURE_EFILTER);
    assert_non_null(strstr(err, "invalid filter \"tcp port\""));
    capture_close(&c);
    unlink(path);
}

static void test_callback_stops(void **state)
{
    (void)state;
    char err[512];
    struct pktgen *g = pktgen_open_mem(DLT_RAW);
    write_sample(g);
    size_t len;
    const uint8_t *img = pktgen_mem(g, &len);
    struct capture c;
    struct seen s = {.stop_after = 2};
    assert_int_equal(capture_open_buffer(&c, img, len, "mem", err, sizeof err),
                     0);
    assert_int_equal(c.dlt, DLT_RAW); /* LINKTYPE_RAW 101 mapped */
    assert_int_equal(capture_run(&c, record, &s, err, sizeof err), 0);
    assert_int_equal(s.count, 2);
    capture_close(&c);
    pktgen_close(g);
}

/* img as a gzip file (one member) into a malloc'ed buffer. */
static uint8_t *gzip_image(const uint8_t *img, size_t len, size_t *out_len)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8,
                                  Z_DEFAULT_STRATEGY), Z_OK);
    size_t cap = deflateBound(&z, (uLong)len) + 64;
    uint8_t *out = malloc(cap);
    assert_non_null(out);
    z.next_in = (Bytef *)(uintptr_t)img;
    z.avail_in = (uInt)len;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    *out_len = cap - z.avail_out;
    deflateEnd(&z);
    return out;
}

/* A gzip-compressed image reads as the plain one; cut, it delivers the
 * frames before the cut and then a read error naming the input. */
static void test_gzip_buffer(void **state)
{
    (void)state;
    char err[512] = "";
    struct pktgen *g = pktgen_open_mem(DLT_EN10MB);
    write_sample(g);
    size_t len, zlen;
    const uint8_t *img = pktgen_mem(g, &len);
    uint8_t *z = gzip_image(img, len, &zlen);
    assert_int_equal(z[0], 0x1f);
    struct capture c;
    struct seen plain = {0}, s = {0};
    assert_int_equal(capture_open_buffer(&c, img, len, "mem", err, sizeof err), 0);
    assert_int_equal(capture_run(&c, record, &plain, err, sizeof err), 0);
    capture_close(&c);
    assert_int_equal(capture_open_buffer(&c, z, zlen, "mem.gz", err, sizeof err), 0);
    assert_int_equal(c.dlt, DLT_EN10MB);
    assert_int_equal(capture_run(&c, record, &s, err, sizeof err), 0);
    capture_close(&c);
    assert_int_equal(s.count, plain.count);
    assert_memory_equal(s.caplen, plain.caplen, sizeof s.caplen);
    assert_memory_equal(s.len, plain.len, sizeof s.len);

    memset(&s, 0, sizeof s);
    assert_int_equal(capture_open_buffer(&c, z, zlen - 12, "cut.gz", err, sizeof err), 0);
    assert_int_equal(capture_run(&c, record, &s, err, sizeof err), CAPTURE_EREAD);
    assert_non_null(strstr(err, "cut.gz: gzip data ends early (truncated file) after frame"));
    capture_close(&c);
    free(z);
    pktgen_close(g);
}

static void test_snaplen_records(void **state)
{
    (void)state;
    char err[512];
    struct pktgen *g = pktgen_open_mem(DLT_LINUX_SLL);
    pktgen_set_snaplen(g, 60);
    struct pktgen_flow f;
    pktgen_flow4(&f, "10.0.0.1", 50000, "10.0.0.2", 1883);
    char big[100];
    memset(big, 'x', sizeof big);
    pktgen_data(g, &f, 0, big, sizeof big);
    size_t len;
    const uint8_t *img = pktgen_mem(g, &len);
    struct capture c;
    struct seen s = {0};
    assert_int_equal(capture_open_buffer(&c, img, len, "mem", err, sizeof err),
                     0);
    assert_int_equal(capture_run(&c, record, &s, err, sizeof err), 0);
    assert_int_equal(s.count, 1);
    assert_int_equal(s.caplen[0], 60);
    assert_int_equal(s.len[0], 16 + 20 + 20 + 100);
    capture_close(&c);
    pktgen_close(g);
}

static void test_missing_file(void **state)
{
    (void)state;
    char err[512];
    struct capture c;
    assert_int_equal(capture_open_offline(&c, "/nonexistent/x.pcap", err,
                                          sizeof err),
                     CAPTURE_EOPEN);
    assert_string_equal(err, "/nonexistent/x.pcap: No such file or directory");
}

static void test_not_a_capture(void **state)
{
    (void)state;
    char path[256], err[512];
    temp_path(path, sizeof path, "text");
    FILE *f = fopen(path, "w");
    fputs("this is not a capture file, just text\n", f);
    fclose(f);
    struct capture c;
    assert_int_equal(capture_open_offline(&c, path, err, sizeof err),
                     CAPTURE_EFORMAT);
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, "not a capture file"));
    unlink(path);
    static const uint8_t junk[3] = {1, 2, 3};
    assert_int_equal(capture_open_buffer(&c, junk, 0, "empty", err,
                                         sizeof err),
                     CAPTURE_EFORMAT);
    assert_int_equal(capture_open_buffer(&c, junk, 3, "short", err,
                                         sizeof err),
                     CAPTURE_EFORMAT);
    assert_non_null(strstr(err, "short: "));
}

static void test_truncated_file(void **state)
{
    (void)state;
    char path[256], err[512] = "";
    temp_path(path, sizeof path, "trunc");
    struct pktgen *g = pktgen_open_file(path, DLT_EN10MB);
    write_sample(g);
    pktgen_close(g);
    FILE *f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fclose(f);
    assert_int_equal(truncate(path, size - 10), 0); /* cut the last record */

    struct capture c;
    struct seen s = {0};
    assert_int_equal(capture_open_offline(&c, path, err, sizeof err), 0);
    assert_int_equal(capture_run(&c, record, &s, err, sizeof err),
                     CAPTURE_ETRUNCATED);
    assert_int_equal(s.count, 4);
    char want[512];
    snprintf(want, sizeof want, "%s: truncated capture after frame 4: ", path);
    assert_memory_equal(err, want, strlen(want));
    capture_close(&c);

    assert_int_equal(truncate(path, 24 + 16 + 5), 0); /* inside frame 1 */
    memset(&s, 0, sizeof s);
    assert_int_equal(capture_open_offline(&c, path, err, sizeof err), 0);
    assert_int_equal(capture_run(&c, record, &s, err, sizeof err),
                     CAPTURE_ETRUNCATED);
    assert_int_equal(s.count, 0);
    assert_non_null(strstr(err, "truncated capture after frame 0"));
    capture_close(&c);
    unlink(path);
}

static void test_unsupported_link_type(void **state)
{
    (void)state;
    char err[512];
    struct pktgen *g = pktgen_open_mem(105);
    size_t len;
    const uint8_t *img = pktgen_mem(g, &len);
    struct capture c;
    assert_int_equal(capture_open_buffer(&c, img, len, "wifi.pcap", err,
                                         sizeof err),
                     CAPTURE_ELINKTYPE);
    assert_string_equal(err, "wifi.pcap: unsupported link type 105 "
                             "(IEEE802_11)");
    pktgen_close(g);
}

static void test_stdin(void **state)
{
    (void)state;
    char path[256], err[512];
    temp_path(path, sizeof path, "stdin");
    struct pktgen *g = pktgen_open_file(path, DLT_NULL);
    write_sample(g);
    pktgen_close(g);
    assert_non_null(freopen(path, "rb", stdin));
    struct capture c;
    struct seen s = {0};
    assert_int_equal(capture_open_offline(&c, "-", err, sizeof err), 0);
    assert_int_equal(capture_run(&c, record, &s, err, sizeof err), 0);
    assert_int_equal(s.count, 5);
    capture_close(&c);
    unlink(path);
}

/* "-" on a pipe whose writer is still there: the frames that arrived are
 * delivered, then the idle input ticks (the moment to flush the output),
 * and a stop request ends the input cleanly, as its end. */
struct idle_ctx {
    struct capture *c;
    struct seen *s;
    uint64_t count_at_tick;
    int ticks;
};

static void on_idle(void *ctx)
{
    struct idle_ctx *x = ctx;
    if (x->ticks++ == 0)
        x->count_at_tick = x->s->count;
    capture_request_stop(x->c);
}

static void test_stdin_pipe_streams(void **state)
{
    (void)state;
    char path[256], err[512];
    temp_path(path, sizeof path, "pipe");
    struct pktgen *g = pktgen_open_file(path, DLT_NULL);
    write_sample(g);
    pktgen_close(g);
    static uint8_t bytes[16384];
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t n = fread(bytes, 1, sizeof bytes, f);
    fclose(f);
    assert_true(n > 24 && n < sizeof bytes);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(write(fds[1], bytes, n), (ssize_t)n); /* fits the pipe */
    int saved = dup(STDIN_FILENO);
    assert_true(dup2(fds[0], STDIN_FILENO) >= 0);
    close(fds[0]);

    struct capture c;
    struct seen s = {0};
    struct idle_ctx x = {&c, &s, 0, 0};
    assert_int_equal(capture_open_offline(&c, "-", err, sizeof err), 0);
    assert_true(c.streaming);
    capture_set_tick(&c, on_idle, &x, 100);
    /* The writer (fds[1]) stays open: no end of file, only the stop. */
    assert_int_equal(capture_run(&c, record, &s, err, sizeof err), 0);
    assert_int_equal(s.count, 5);
    assert_int_equal(x.count_at_tick, 5);
    assert_true(x.ticks >= 1);
    capture_close(&c);
    close(fds[1]);
    assert_true(dup2(saved, STDIN_FILENO) >= 0);
    close(saved);
    unlink(path);
}

/* pcapng through libpcap: converted with editcap when it is installed. */
static void test_pcapng(void **state)
{
    (void)state;
    char path[256], ng[300], cmd[700], err[512];
    temp_path(path, sizeof path, "ng-src");
    snprintf(ng, sizeof ng, "%s.pcapng", path);
    struct pktgen *g = pktgen_open_file(path, DLT_LINUX_SLL2);
    write_sample(g);
    pktgen_close(g);
    snprintf(cmd, sizeof cmd, "editcap -F pcapng %s %s 2>/dev/null", path,
             ng);
    if (system(cmd) != 0) {
        unlink(path);
        skip();
    }
    struct capture c;
    struct seen s = {0};
    assert_int_equal(capture_open_offline(&c, ng, err, sizeof err), 0);
    assert_int_equal(c.dlt, DLT_LINUX_SLL2);
    assert_int_equal(capture_run(&c, record, &s, err, sizeof err), 0);
    assert_int_equal(s.count, 5);
    capture_close(&c);
    unlink(path);
    unlink(ng);
}

static void test_live_errors(void **state)
{
    (void)state;
    char err[512];
    struct capture c;
    int rc = capture_open_live(&c, "nosuchif0", NULL, err, sizeof err);
    assert_true(rc == CAPTURE_EOPEN || rc == CAPTURE_EPERM);
    assert_memory_equal(err, "nosuchif0: ", 11);
    if (rc == CAPTURE_EOPEN)
        print_message("%s\n", err);
}

/* Root only: capture on lo, stop on request, read the statistics. */
static void test_live_loopback(void **state)
{
    (void)state;
    char err[512];
    struct capture c;
    if (geteuid() != 0)
        skip();
    if (capture_open_live(&c, "lo", NULL, err, sizeof err) != 0) {
        print_message("%s\n", err);
        skip();
    }
    assert_int_equal(capture_set_filter(&c, "tcp port 1", err, sizeof err),
                     0);
    capture_request_stop(&c);
    struct seen s = {0};
    assert_int_equal(capture_run(&c, record, &s, err, sizeof err), 0);
    struct capture_stats st;
    assert_int_equal(capture_stats(&c, &st, err, sizeof err), 0);
    capture_close(&c);
}

/* Root only: -s reaches libpcap (0: the full 262144). */
static void test_live_snaplen(void **state)
{
    (void)state;
    char err[512];
    struct capture c;
    if (geteuid() != 0)
        skip();
    struct capture_live_cfg cfg = {.promisc = false, .snaplen = 96};
    if (capture_open_live(&c, "lo", &cfg, err, sizeof err) != 0) {
        print_message("%s\n", err);
        skip();
    }
    assert_int_equal(pcap_snapshot(c.pcap), 96);
    capture_close(&c);
    cfg.snaplen = 0;
    assert_int_equal(capture_open_live(&c, "lo", &cfg, err, sizeof err), 0);
    assert_int_equal(pcap_snapshot(c.pcap), CAPTURE_SNAPLEN);
    capture_close(&c);
}

/* -D: one numbered line per interface, as tcpdump -D writes them; the
 * loopback interface is there, flagged. */
static void test_list_interfaces(void **state)
{
    (void)state;
    char err[512];
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    assert_int_equal(capture_list_interfaces(f, err, sizeof err), 0);
    fclose(f);
    assert_memory_equal(text, "1.", 2);
    const char *lo = strstr(text, ".lo [");
    assert_non_null(lo);
    const char *eol = strchr(lo, '\n');
    assert_non_null(eol);
    assert_non_null(strstr(lo, "Loopback"));
    assert_true(strstr(lo, "Loopback") < eol);
    free(text);
}

/* End to end: a file through capture and flow_table_frame. */
struct e2e {
    struct flow_table *ft;
    int dlt;
    char text[256];
    size_t len;
};

static int to_table(void *ctx, const struct pcap_pkthdr *h, const uint8_t *b,
                    uint64_t frame)
{
    struct e2e *e = ctx;
    flow_table_frame(e->ft, e->dlt, h, b, frame);
    return 0;
}

static void e2e_data(void *ctx, struct flow_conn *c, int dir,
                     const uint8_t *d, size_t len, uint64_t off,
                     const struct pkt_info *p)
{
    struct e2e *e = ctx;
    (void)c;
    int n = snprintf(e->text + e->len, sizeof e->text - e->len,
                     "%d@%llu:%.*s/f%llu ", dir, (unsigned long long)off,
                     (int)len, (const char *)d, (unsigned long long)p->frame);
    e->len += (size_t)n;
}

static void e2e_gap(void *ctx, struct flow_conn *c, int dir, uint64_t off,
                    uint64_t len, const struct pkt_info *p)
{
    struct e2e *e = ctx;
    (void)c;
    int n = snprintf(e->text + e->len, sizeof e->text - e->len,
                     "%d@%llu:gap%llu/f%llu ", dir, (unsigned long long)off,
                     (unsigned long long)len, (unsigned long long)p->frame);
    e->len += (size_t)n;
}

static void test_end_to_end(void **state)
{
    (void)state;
    char err[512];
    struct pktgen *g = pktgen_open_mem(DLT_EN10MB);
    pktgen_set_snaplen(g, 14 + 40 + 20 + 4);
    struct pktgen_flow f;
    pktgen_flow6(&f, "2001:db8::1", 50000, "2001:db8::2", 1883);
    f.nvlan = 0;
    pktgen_handshake(g, &f, 0xFFFFFFFE, 7);
    pktgen_tcp(g, &f, 0, TCP_ACK, f.next_seq[0] + 4, "late", 4);
    pktgen_data(g, &f, 0, "abcd", 4);
    f.next_seq[0] += 4;
    pktgen_data(g, &f, 1, "cut-by-snaplen", 14);
    pktgen_fin(g, &f, 0);
    pktgen_fin(g, &f, 1);
    size_t len;
    const uint8_t *img = pktgen_mem(g, &len);

    struct e2e e = {0};
    struct flow_sink sink = {.ctx = &e, .on_data = e2e_data,
                             .on_gap = e2e_gap};
    e.ft = flow_table_new(NULL, &sink);
    struct capture c;
    assert_int_equal(capture_open_buffer(&c, img, len, "mem", err, sizeof err),
                     0);
    e.dlt = c.dlt;
    assert_int_equal(capture_run(&c, to_table, &e, err, sizeof err), 0);
    capture_close(&c);
    flow_table_flush(e.ft, NULL);
    assert_string_equal(e.text, "0@0:abcd/f5 0@4:late/f5 1@0:cut-/f6 "
                                "1@4:gap10/f6 ");
    const struct flow_stats *st = flow_table_stats(e.ft);
    assert_int_equal(st->frames, 8);
    assert_int_equal(st->closed_fin, 1);
    flow_table_free(e.ft);
    pktgen_close(g);
}

/* The queue between the capture thread and the rest: records come back
 * in order with their headers; a block is handed over when full or asked
 * to; with every block in use the producer drops and counts, never waits. */
static void test_queue_order_and_drops(void **state)
{
    (void)state;
    struct capture_queue *q = capture_queue_new(0, false);
    assert_non_null(q);
    static uint8_t pkt[60000];
    struct pcap_pkthdr h = {.caplen = sizeof pkt, .len = sizeof pkt + 4};
    uint64_t pushed = 0, dropped = 0;
    /* Far more than the queue holds, no consumer: the excess is dropped. */
    size_t per_block = CAPTURE_QUEUE_BLOCK_BYTES / (sizeof pkt + sizeof(struct capture_record));
    uint64_t total = (uint64_t)per_block * CAPTURE_QUEUE_BLOCKS + 100;
    for (uint64_t i = 1; i <= total; i++) {
        pkt[0] = (uint8_t)i;
        h.ts.tv_sec = (time_t)i;
        if (capture_queue_push(q, &h, pkt, i))
            pushed++;
        else
            dropped++;
    }
    assert_int_equal(capture_queue_dropped(q), dropped);
    assert_true(dropped >= 100);
    capture_queue_end(q);
    uint64_t next = 1, seen = 0;
    bool ended = false;
    const struct capture_block *b;
    while ((b = capture_queue_take(q, 100, &ended)) != NULL) {
        const struct capture_record *r;
        for (size_t at = 0; (r = capture_block_record(b, at)) != NULL; at += r->size) {
            assert_int_equal(r->frame, next);
            assert_int_equal(r->h.ts.tv_sec, (time_t)next);
            assert_int_equal(r->h.caplen, sizeof pkt);
            assert_int_equal(r->h.len, sizeof pkt + 4);
            assert_int_equal(((const uint8_t *)(r + 1))[0], (uint8_t)next);
            next++;
            seen++;
        }
        capture_queue_release(q);
    }
    assert_true(ended);
    assert_int_equal(seen, pushed);
    /* Nothing to take: a timeout, not the end. */
    capture_queue_free(q);
    q = capture_queue_new(0, false);
    assert_null(capture_queue_take(q, 1, &ended));
    assert_false(ended);
    /* A partial block goes over only when asked, or when the consumer waits. */
    assert_true(capture_queue_push(q, &h, pkt, 1));
    capture_queue_publish(q, false);
    assert_null(capture_queue_take(q, 0, &ended));
    capture_queue_publish(q, true);
    assert_non_null(capture_queue_take(q, 0, &ended));
    capture_queue_release(q);
    capture_queue_free(q);
}

/* Back-pressure: a queue of two blocks, a producer thread pushing ten
 * blocks' worth, a slow consumer: the producer waits for room, nothing is
 * dropped, everything comes out in order. */
struct bp_producer {
    struct capture_queue *q;
    uint64_t total, refused;
};

static void *bp_produce(void *arg)
{
    struct bp_producer *bp = arg;
    static uint8_t pkt[50000];
    struct pcap_pkthdr h = {.caplen = sizeof pkt, .len = sizeof pkt};
    for (uint64_t i = 1; i <= bp->total; i++) {
        pkt[0] = (uint8_t)i;
        if (!capture_queue_push(bp->q, &h, pkt, i))
            bp->refused++;
    }
    capture_queue_end(bp->q);
    return NULL;
}

static void test_queue_back_pressure(void **state)
{
    (void)state;
    struct bp_producer bp = {.q = capture_queue_new(2, true)};
    assert_non_null(bp.q);
    bp.total = 10 * (CAPTURE_QUEUE_BLOCK_BYTES / 50000);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, bp_produce, &bp), 0);
    uint64_t next = 1;
    bool ended = false;
    const struct capture_block *b;
    while ((b = capture_queue_take(bp.q, 1000, &ended)) != NULL || !ended) {
        if (!b)
            continue;
        const struct capture_record *r;
        for (size_t at = 0; (r = capture_block_record(b, at)) != NULL; at += r->size) {
            assert_int_equal(r->frame, next);
            assert_int_equal(((const uint8_t *)(r + 1))[0], (uint8_t)next);
            next++;
        }
        struct timespec slow = {0, 5 * 1000 * 1000};
        nanosleep(&slow, NULL); /* slower than the producer */
        capture_queue_release(bp.q);
    }
    pthread_join(t, NULL);
    assert_int_equal(bp.refused, 0);
    assert_int_equal(capture_queue_dropped(bp.q), 0);
    assert_int_equal(next - 1, bp.total);
    capture_queue_free(bp.q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_file_roundtrip_and_filter),
        cmocka_unit_test(test_callback_stops),
        cmocka_unit_test(test_snaplen_records),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_not_a_capture),
        cmocka_unit_test(test_truncated_file),
        cmocka_unit_test(test_unsupported_link_type),
        cmocka_unit_test(test_stdin),
        cmocka_unit_test(test_stdin_pipe_streams),
        cmocka_unit_test(test_pcapng),
        cmocka_unit_test(test_live_errors),
        cmocka_unit_test(test_live_loopback),
        cmocka_unit_test(test_live_snaplen),
        cmocka_unit_test(test_gzip_buffer),
        cmocka_unit_test(test_list_interfaces),
        cmocka_unit_test(test_end_to_end),
        cmocka_unit_test(test_queue_order_and_drops),
        cmocka_unit_test(test_queue_back_pressure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
