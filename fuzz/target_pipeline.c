/* Fuzz target "pipeline": capture file bytes through the whole command path
 * (cli/pipeline.h): libpcap reading from memory (capture_open_buffer), link
 * layer, IP, TCP reassembly, the MQTT stream decoder and parser, and the
 * output.
 *
 * Input: a pcap or pcapng file image. It runs in one of three modes: JSON
 * output with --no-checksum (mutated segments keep reaching the decoders),
 * verbose text with secrets shown and --max-frame 64 (the oversize path),
 * checksums verified, and EVE with --max-frame 64. libFuzzer's inputs each
 * run in the mode their size picks (size % 3: the mutations that insert or
 * erase bytes visit all three; one run per input instead of three, as
 * llhttp's fuzzer lets its input choose the parser's mode); the regression
 * replay (tests/test_fuzz_regressions.c) runs every input in all three. The JSON must be valid UTF-8 and
 * parse with jansson line by line; EVE lines too, each with Suricata's
 * common keys; the text must be valid UTF-8 without stray control
 * characters; the end-of-run summary is written too.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/capture.h"
#include "options.h"
#include "output/output.h"
#include "output_checks.h"
#include "pipeline.h"
#include "targets.h"

struct pipeline_fuzz_run {
    struct pipeline *p;
    int dlt;
};

static int pipeline_fuzz_packet(void *ctx, const struct pcap_pkthdr *h,
                                const uint8_t *bytes, uint64_t frame)
{
    struct pipeline_fuzz_run *run = ctx;
    pipeline_frame(run->p, run->dlt, h, bytes, frame);
    return pipeline_done(run->p) ? 1 : 0;
}

enum pipeline_fuzz_mode { RUN_JSON, RUN_TEXT, RUN_EVE };

static void pipeline_options(struct options *o, enum pipeline_fuzz_mode mode)
{
    char *argv_json[] = {"mqttdissect", "-r", "fuzz.pcap", "-T", "json",
                         "--no-checksum", NULL};
    char *argv_text[] = {"mqttdissect", "-r", "fuzz.pcap", "-V",
                         "--show-secrets", "--max-frame", "64", NULL};
    char *argv_eve[] = {"mqttdissect", "-r", "fuzz.pcap", "-T", "eve",
                        "--max-frame", "64", NULL};
    char **argv = mode == RUN_TEXT ? argv_text : mode == RUN_EVE ? argv_eve : argv_json;
    int argc = 0;
    while (argv[argc])
        argc++;
    FUZZ_CHECK(options_parse(o, argc, argv) == OPTIONS_OK,
               "the harness's own options do not parse");
}

/* Runs the capture image through the pipeline; returns the output (caller
 * frees). */
static char *pipeline_run(const uint8_t *data, size_t size,
                          enum pipeline_fuzz_mode mode, size_t *outlen)
{
    struct options o;
    pipeline_options(&o, mode);

    char *mem = NULL;
    size_t memlen = 0;
    FILE *fp = open_memstream(&mem, &memlen);
    FUZZ_CHECK(fp != NULL, "open_memstream");
    struct output_opts oo = {.verbose = o.verbose,
                             .show_secrets = o.show_secrets,
                             .out = fp};
    struct output *out = output_open(mode == RUN_TEXT  ? OUTPUT_TEXT
                                     : mode == RUN_EVE ? OUTPUT_EVE
                                                       : OUTPUT_JSON,
                                     &oo);
    FUZZ_CHECK(out != NULL, "output_open");
    struct pipeline *p = pipeline_new(&o, out, false);
    FUZZ_CHECK(p != NULL, "pipeline_new");

    struct capture cap;
    char err[512];
    if (capture_open_buffer(&cap, data, size, "fuzz", err, sizeof err) ==
        CAPTURE_OK) {
        struct pipeline_fuzz_run run = {p, cap.dlt};
        (void)capture_run(&cap, pipeline_fuzz_packet, &run, err, sizeof err);
        capture_close(&cap);
    }
    pipeline_finish(p);
    FUZZ_CHECK(output_close(out) == 0, "output_close failed on a memstream");

    char *sum = NULL;
    size_t sumlen = 0;
    FILE *sf = open_memstream(&sum, &sumlen);
    FUZZ_CHECK(sf != NULL, "open_memstream");
    pipeline_print_summary(p, sf);
    FUZZ_CHECK(fclose(sf) == 0, "fclose");
    free(sum);

    pipeline_free(p);
    options_free(&o);
    FUZZ_CHECK(fclose(fp) == 0, "fclose");
    *outlen = memlen;
    return mem;
}

static void pipeline_check(const uint8_t *data, size_t size,
                           enum pipeline_fuzz_mode mode)
{
    size_t n;
    char *out = pipeline_run(data, size, mode, &n);
    if (getenv("MQD_FUZZ_DEBUG"))
        fwrite(out, 1, n, stderr);
    if (mode == RUN_JSON)
        check_json_text(out, n);
    else if (mode == RUN_TEXT)
        check_text(out, n);
    else
        check_eve_text(out, n);
    free(out);
}

void fuzz_pipeline(const uint8_t *data, size_t size)
{
    static const enum pipeline_fuzz_mode modes[3] = {RUN_JSON, RUN_TEXT, RUN_EVE};
    pipeline_check(data, size, modes[size % 3]);
}

void fuzz_pipeline_all(const uint8_t *data, size_t size)
{
    pipeline_check(data, size, RUN_JSON);
    pipeline_check(data, size, RUN_TEXT);
    pipeline_check(data, size, RUN_EVE);
}
