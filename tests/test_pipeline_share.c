/* The reading thread's share of the work (pipeline_share_work: it decrypts
 * some TLS connections, tls_relay.h, and the decoding thread gets notes)
 * changes nothing in the output: every bundled TLS capture, as JSON and as
 * -V text (the record layer too), decoded on one thread, on two, and on two
 * sharing, gives the same bytes; so do the same captures with a segment lost inside
 * the encrypted stream, cut in the middle, and read with another capture's
 * key log (no key). */
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

#define TLS_DIR MQD_SOURCE_DIR "/captures/tls/"

enum mode { ONE_THREAD, TWO_THREADS, SHARING };

/* What to do to the capture: frames from `skip` on (0: none) lost, up to
 * skip_n of them; frames after `last` (0: none) never come. */
struct damage {
    uint64_t skip, skip_n, last;
};

struct run {
    struct pipeline *p;
    int dlt;
    struct damage dmg;
};

static int feed(void *ctx, const struct pcap_pkthdr *h, const uint8_t *b,
                uint64_t frame)
{
    struct run *r = ctx;
    if (r->dmg.last && frame > r->dmg.last)
        return 0;
    if (r->dmg.skip && frame >= r->dmg.skip && frame < r->dmg.skip + r->dmg.skip_n)
        return 0;
    pipeline_frame(r->p, r->dlt, h, b, frame);
    return 0;
}

/* The JSON lines of `pcap` read with `keylog` (NULL: none) and --tls-port
 * `port`, decoded as `mode` says, then its -V text. Caller frees. */
static char *decode_as(const char *pcap, const char *keylog, const char *port,
                       enum mode mode, const struct damage *dmg, bool json)
{
    struct options o;
    char *argv[12];
    int argc = 0;
    argv[argc++] = "mqttdissect";
    argv[argc++] = "-r";
    argv[argc++] = (char *)pcap;
    argv[argc++] = "-T";
    argv[argc++] = json ? "json" : "text";
    if (!json)
        argv[argc++] = "-V";
    argv[argc++] = "--tls-port";
    argv[argc++] = (char *)port;
    if (keylog) {
        argv[argc++] = "--tls-keylog";
        argv[argc++] = (char *)keylog;
    }
    argv[argc] = NULL;
    assert_int_equal(options_parse(&o, argc, argv), OPTIONS_OK);
    char *mem = NULL;
    size_t memlen = 0;
    FILE *fp = open_memstream(&mem, &memlen);
    assert_non_null(fp);
    struct output_opts oo = {.out = fp, .verbose = !json};
    struct output *out = output_open(json ? OUTPUT_JSON : OUTPUT_TEXT, &oo);
    assert_non_null(out);
    struct pipeline *p = pipeline_new(&o, out, mode != ONE_THREAD);
    assert_non_null(p);
    struct capture cap;
    char err[256];
    assert_int_equal(capture_open_offline(&cap, pcap, err, sizeof err), CAPTURE_OK);
    size_t nsecrets;
    const struct capture_secret *secrets = capture_secrets(&cap, &nsecrets);
    pipeline_use_secrets(p, secrets, nsecrets);
    if (mode == SHARING)
        pipeline_share_work(p);
    struct run r = {p, cap.dlt, *dmg};
    assert_int_equal(capture_run(&cap, feed, &r, err, sizeof err), 0);
    capture_close(&cap);
    assert_int_equal(pipeline_finish(p), 0);
    assert_int_equal(output_close(out), 0);
    pipeline_free(p);
    options_free(&o);
    fclose(fp);
    return mem;
}

static char *decode(const char *pcap, const char *keylog, const char *port,
                    enum mode mode, const struct damage *dmg)
{
    char *json = decode_as(pcap, keylog, port, mode, dmg, true);
    char *text = decode_as(pcap, keylog, port, mode, dmg, false);
    size_t nj = strlen(json), nt = strlen(text);
    char *both = realloc(json, nj + nt + 1);
    assert_non_null(both);
    memcpy(both + nj, text, nt + 1);
    free(text);
    return both;
}

static size_t count(const char *mem, const char *what)
{
    size_t n = 0;
    for (const char *at = mem; (at = strstr(at, what)) != NULL; at++)
        n++;
    return n;
}

/* The three ways give the same output; returns it (caller frees). */
static char *same_three_ways(const char *name, const char *keylog_name,
                             const char *port, const struct damage *dmg)
{
    char pcap[512], keylog[512];
    snprintf(pcap, sizeof pcap, "%s%s", TLS_DIR, name);
    snprintf(keylog, sizeof keylog, "%s%s", TLS_DIR, keylog_name);
    char *one = decode(pcap, keylog, port, ONE_THREAD, dmg);
    char *two = decode(pcap, keylog, port, TWO_THREADS, dmg);
    char *shared = decode(pcap, keylog, port, SHARING, dmg);
    if (strcmp(one, two) != 0 || strcmp(one, shared) != 0)
        fail_msg("%s with %s: the output differs (one thread %zu bytes, two %zu, "
                 "sharing %zu)", name, keylog_name, strlen(one), strlen(two),
                 strlen(shared));
    free(two);
    free(shared);
    return one;
}

static const struct {
    const char *name, *port;
} captures[] = {
    {"tls12_aes128gcm", "8911"},   {"tls12_aes256gcm", "8912"},
    {"tls12_chacha20", "8913"},    {"tls12_cbc_sha256_etm", "8914"},
    {"tls12_cbc_sha1_mte", "8915"}, {"tls12_resumed", "8911"},
    {"tls13_aes128gcm", "8901"},   {"tls13_aes256gcm", "8902"},
    {"tls13_chacha20", "8903"},    {"tls13_big_100k", "8901"},
    {"tls13_hrr", "8901"},         {"tls13_keyupdate", "8901"},
    {"tls13_resumed", "8901"},     {"wss_v5", "8920"},
};

static void test_every_tls_capture(void **state)
{
    (void)state;
    struct damage none = {0, 0, 0};
    for (size_t i = 0; i < sizeof captures / sizeof captures[0]; i++) {
        char pcap[128], keylog[128];
        snprintf(pcap, sizeof pcap, "%s.pcap", captures[i].name);
        snprintf(keylog, sizeof keylog, "%s.keylog", captures[i].name);
        char *out = same_three_ways(pcap, keylog, captures[i].port, &none);
        /* decrypted: MQTT came out of it */
        assert_true(count(out, "\"status\":\"decrypting\"") > 0);
        assert_true(count(out, "\"type\":\"CONNECT\"") > 0);
        free(out);
    }
}

/* Secrets from the capture's own Decryption Secrets Block, no --tls-keylog:
 * the key log is made while the secrets are read. */
static void test_secrets_in_the_capture(void **state)
{
    (void)state;
    const char *pcap = TLS_DIR "tls13_aes128gcm_dsb.pcapng";
    struct damage none = {0, 0, 0};
    char *one = decode(pcap, NULL, "8901", ONE_THREAD, &none);
    char *shared = decode(pcap, NULL, "8901", SHARING, &none);
    assert_string_equal(one, shared);
    assert_true(count(one, "\"type\":\"PUBLISH\"") > 0);
    free(one);
    free(shared);
}

/* Segments lost inside the records of the 100 kB message (each of the
 * two clients' connections): the decryptor's gap, the records found again,
 * the MQTT stream's loss; and the capture cut in the middle of a record. */
static void test_gaps_and_cuts(void **state)
{
    (void)state;
    const struct damage dmg[] = {{40, 1, 0}, {40, 3, 0}, {25, 2, 0}, {0, 0, 45}, {0, 0, 20}};
    for (size_t i = 0; i < sizeof dmg / sizeof dmg[0]; i++) {
        char *out = same_three_ways("tls13_big_100k.pcap", "tls13_big_100k.keylog",
                                    "8901", &dmg[i]);
        if (dmg[i].skip)
            assert_true(count(out, "\"status\":\"gap\"") > 0);
        free(out);
    }
    const struct damage wss_gap = {14, 1, 0};
    free(same_three_ways("wss_v5.pcap", "wss_v5.keylog", "8920", &wss_gap));
}

/* Another capture's key log: no key, and no MQTT from the encrypted bytes,
 * whichever thread looks. */
static void test_wrong_key_log(void **state)
{
    (void)state;
    struct damage none = {0, 0, 0};
    char *out = same_three_ways("tls13_resumed.pcap", "tls13_aes128gcm.keylog",
                                "8901", &none);
    assert_true(count(out, "\"status\":\"no_key\"") > 0);
    assert_int_equal(count(out, "\"type\":\"CONNECT\""), 0);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_tls_capture),
        cmocka_unit_test(test_secrets_in_the_capture),
        cmocka_unit_test(test_gaps_and_cuts),
        cmocka_unit_test(test_wrong_key_log),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
