/* Live capture (idle eviction on): an MQTT 5 connection evicted after
 * 300 s of silence and resuming later is picked up mid-stream and decoded
 * with the version of the evicted one (cli/pipeline.c's resume table), not
 * as 3.1.1. The pipeline is fed frames as the live path does. */
#include <setjmp.h>
#include <stdarg.h>
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

static void test_resumed_connection_keeps_version(void **state)
{
    (void)state;
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
    pktgen_set_time(g, 1000000 + (int64_t)400 * 1000000);
    /* PUBLISH 5.0, QoS 0, topic "t", no properties, payload "hi" */
    pktgen_data(g, &f, PKTGEN_C2S, "\x30\x06\x00\x01t\x00hi", 8);
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

    /* The evicted connection, then the resumed one's PUBLISH as 5.0. */
    assert_non_null(strstr(mem, "\"event\":\"evicted\""));
    const char *pub = strstr(mem, "\"type\":\"PUBLISH\"");
    assert_non_null(pub);
    const char *line = pub;
    while (line > mem && line[-1] != '\n')
        line--;
    assert_non_null(strstr(line, "\"conn\":2"));
    assert_non_null(strstr(line, "\"version\":5"));
    const char *end = strchr(pub, '\n');
    const char *plen = strstr(pub, "\"length\":2");
    assert_true(plen && (!end || plen < end));
    free(mem);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resumed_connection_keeps_version),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
