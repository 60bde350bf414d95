/* Live capture (idle eviction on): an MQTT 5 connection evicted after
 * 300 s of silence and resuming later is decoded with the version of the
 * evicted one (the pipeline's resume table), not as 3.1.1; in order from
 * its first byte when it goes on exactly where that one stopped, between
 * frames (the flow table's resume table: FLOW_RESUMED), else picked up
 * mid-stream. The pipeline is fed frames as the live path does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "net/capture.h"
#include "options.h"
#include "output/output.h"
#include "pipeline.h"
#include "pktgen.h"

struct run {
    struct pipeline *p;
    int dlt;
};

static int feed(void *ctx, const struct pcap_pkthdr *h, const uint8_t *b,
                uint64_t frame)
{
    struct run *r = ctx;
    pipeline_frame(r->p, r->dlt, h, b, frame);
    return 0;
}

/* An MQTT 5 connection (CONNECT, CONNACK) evicted after 400 s of silence,
 * then its client's PUBLISH, `jump` sequence numbers past where it stopped
 * (0: exactly there), after `partial` bytes of a first PUBLISH sent before
 * the silence (0: none). Returns the JSON lines (caller frees). */
static char *run_resumed(uint32_t jump, size_t partial)
{
    struct pktgen *g = pktgen_open_mem(DLT_EN10MB);
    struct pktgen_flow f;
    pktgen_flow4(&f, "10.0.0.1", 50000, "10.0.0.2", 1883);
    pktgen_set_time(g, 1000000);
    pktgen_handshake(g, &f, 1000, 5000);
    /* CONNECT 5.0, keep-alive 0, no properties; CONNACK 5.0 */
    static const char connect5[] = "\x10\x0f\x00\x04MQTT\x05\x02\x00\x00\x00"
                                   "\x00\x02" "c1";
    pktgen_data(g, &f, PKTGEN_C2S, connect5, sizeof connect5 - 1);
    pktgen_data(g, &f, PKTGEN_S2C, "\x20\x03\x00\x00\x00", 5);
    /* PUBLISH 5.0, QoS 0, topic "t", no properties, payload "hi" */
    static const char publish[] = "\x30\x06\x00\x01t\x00hi";
    if (partial)
        pktgen_data(g, &f, PKTGEN_C2S, publish, partial);
    pktgen_set_time(g, 1000000 + (int64_t)400 * 1000000);
    f.next_seq[0] += jump;
    if (partial)
        pktgen_data(g, &f, PKTGEN_C2S, publish + partial, 8 - partial);
    pktgen_data(g, &f, PKTGEN_C2S, publish, 8);
    pktgen_fin(g, &f, PKTGEN_C2S);
    pktgen_fin(g, &f, PKTGEN_S2C);
    size_t len;
    const uint8_t *img = pktgen_mem(g, &len);

    struct options o;
    char *argv[] = {"mqttdissect", "-i", "lo", "-T", "json", NULL};
    assert_int_equal(options_parse(&o, 5, argv), OPTIONS_OK);
    char *mem = NULL;
    size_t memlen = 0;
    FILE *fp = open_memstream(&mem, &memlen);
    struct output_opts oo = {.out = fp};
    struct output *out = output_open(OUTPUT_JSON, &oo);
    struct pipeline *p = pipeline_new(&o, out, false);
    assert_non_null(p);
    struct capture cap;
    char err[256];
    assert_int_equal(capture_open_buffer(&cap, img, len, "mem", err, sizeof err),
                     CAPTURE_OK);
    struct run r = {p, cap.dlt};
    assert_int_equal(capture_run(&cap, feed, &r, err, sizeof err), 0);
    capture_close(&cap);
    pipeline_finish(p);
    assert_int_equal(output_close(out), 0);
    pipeline_free(p);
    options_free(&o);
    fclose(fp);
    pktgen_close(g);
    return mem;
}

/* The line of the n-th (from 1) record holding `what`; NULL: none. */
static const char *line_with(const char *mem, const char *what, int n)
{
    const char *at = mem;
    for (;;) {
        at = strstr(at, what);
        if (!at)
            return NULL;
        if (--n == 0)
            break;
        at++;
    }
    while (at > mem && at[-1] != '\n')
        at--;
    return at;
}

/* Does the record on `line` hold `what`? */
static bool line_has(const char *line, const char *what)
{
    const char *end = strchr(line, '\n');
    const char *at = strstr(line, what);
    return at && (!end || at < end);
}

/* The resumed connection's PUBLISH is decoded as 5.0 (its payload 2 bytes,
 * not the properties length and more taken for payload), on connection 2. */
static void expect_publish_v5(const char *mem, int n)
{
    const char *line = line_with(mem, "\"type\":\"PUBLISH\"", n);
    assert_non_null(line);
    assert_true(line_has(line, "\"conn\":2"));
    assert_true(line_has(line, "\"version\":5"));
    assert_true(line_has(line, "\"length\":2"));
}

static void test_resumed_connection_keeps_version(void **state)
{
    (void)state;
    /* A gap of 5 bytes: picked up mid-stream (a "midstream" event), with
     * the evicted one's version. */
    char *mem = run_resumed(5, 0);
    assert_non_null(line_with(mem, "\"event\":\"evicted\"", 1));
    const char *mid = line_with(mem, "\"event\":\"midstream\"", 1);
    assert_non_null(mid);
    assert_true(line_has(mid, "\"conn\":2"));
    expect_publish_v5(mem, 1);
    free(mem);
}

/* Exactly where it stopped, between frames: it goes on in order, from its
 * first byte (no frame searched for, no "midstream" event). */
static void test_resumed_in_order(void **state)
{
    (void)state;
    char *mem = run_resumed(0, 0);
    assert_non_null(line_with(mem, "\"event\":\"evicted\"", 1));
    assert_null(line_with(mem, "\"event\":\"midstream\"", 1));
    const char *pub = line_with(mem, "\"type\":\"PUBLISH\"", 1);
    assert_non_null(pub);
    assert_true(line_has(pub, "\"stream_off\":0,"));
    expect_publish_v5(mem, 1);
    free(mem);
}

/* Exactly where it stopped, but inside a frame (3 bytes of a PUBLISH were
 * cut off by the eviction): the rest of that frame is not taken for a
 * frame's start; the stream is searched for the next one. */
static void test_resumed_inside_a_frame(void **state)
{
    (void)state;
    char *mem = run_resumed(0, 3);
    assert_non_null(line_with(mem, "\"event\":\"truncated\"", 1));
    const char *mid = line_with(mem, "\"event\":\"midstream\"", 1);
    assert_non_null(mid);
    assert_true(line_has(mid, "\"skipped\":5"));
    expect_publish_v5(mem, 1);
    free(mem);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resumed_connection_keeps_version),
        cmocka_unit_test(test_resumed_in_order),
        cmocka_unit_test(test_resumed_inside_a_frame),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
