/* Fuzz target "printers": the JSON, EVE and text printers (cli/output.h) over
 * every frame mqd_parse accepts.
 *
 * Input: data[0] bits 0-1 pick the version (0, 3, 4, 5), bits 2-3 the
 * payload limit, bit 4 the MQTT-SN direction, bit 5 a registered topic
 * name for it, bits 6-7 the payload mode (--payload); the rest is parsed
 * frame after frame (while mqd_parse says MQD_OK), and as one MQTT-SN
 * datagram (when mqd_sn_parse accepts it). Each frame and the MQTT-SN
 * message go through the JSON and EVE printers (secrets shown and not) and the text
 * printer (verbose and not, secrets shown and not) into memory
 * (open_memstream), followed by an event whose string value is wire bytes.
 * Every JSON line must be valid UTF-8, parse with jansson as an object
 * without duplicate keys and carry "type" and "violations"; every EVE line
 * must parse as an object with Suricata's common keys; the text must be
 * valid UTF-8 without control characters other than newline and tab.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mqttdissect/mqd.h"
#include "mqttdissect/sn.h"
#include "output/output.h"
#include "output_checks.h"
#include "targets.h"

#define PRINTERS_MAX_FRAMES 64

static const uint8_t printers_versions[4] = {MQD_VERSION_UNKNOWN, MQD_V31,
                                             MQD_V311, MQD_V5};
static const uint32_t printers_payload_limits[4] = {0, 1, 16, 200};

static void fill_meta(struct msg_meta *m, uint64_t n, uint64_t off)
{
    memset(m, 0, sizeof *m);
    m->frame = n;
    m->ts_us = 1700000000123456;
    snprintf(m->src, sizeof m->src, "192.0.2.1:51000");
    snprintf(m->dst, sizeof m->dst, "[2001:db8::1]:1883");
    m->conn = 1;
    m->stream_off = off;
}

/* Runs one printer over the frames and the MQTT-SN record (sn: NULL for
 * none), then one event carrying `wire` as a string; returns what it wrote
 * (caller frees). */
static char *print_all(enum output_format fmt, const struct output_opts *base,
                       const mqd_frame *frames, size_t nframes,
                       const struct sn_record *sn, const char *wire,
                       size_t *outlen)
{
    char *mem = NULL;
    size_t memlen = 0;
    FILE *fp = open_memstream(&mem, &memlen);
    FUZZ_CHECK(fp != NULL, "open_memstream");
    struct output_opts opts = *base;
    opts.out = fp;
    struct output *o = output_open(fmt, &opts);
    FUZZ_CHECK(o != NULL, "output_open");
    struct msg_meta m;
    for (size_t i = 0; i < nframes; i++) {
        fill_meta(&m, i + 1, 0);
        output_frame(o, &m, &frames[i]);
    }
    if (sn) {
        fill_meta(&m, nframes + 1, 0);
        m.transport = "udp";
        output_sn(o, &m, sn);
    }
    fill_meta(&m, nframes + 2, 0);
    output_event_begin(o, &m, "fuzz");
    output_event_str(o, "wire", wire);
    output_event_u64(o, "n", (uint64_t)1 << 53);
    output_event_bool(o, "b", true);
    output_event_end(o);
    FUZZ_CHECK(output_close(o) == 0, "output_close failed on a memstream");
    FUZZ_CHECK(fclose(fp) == 0, "fclose");
    *outlen = memlen;
    return mem;
}

void fuzz_printers(const uint8_t *data, size_t size)
{
    if (size < 1)
        return;
    uint8_t version = printers_versions[data[0] & 3];
    uint32_t max_payload = printers_payload_limits[(data[0] >> 2) & 3];
    uint8_t payload_mode = (uint8_t)(data[0] >> 6); /* enum payload_mode */
    const uint8_t *buf = data + 1;
    size_t len = size - 1;

    static mqd_frame frames[PRINTERS_MAX_FRAMES];
    size_t nframes = 0, pos = 0;
    while (nframes < PRINTERS_MAX_FRAMES && pos < len) {
        mqd_result r = mqd_parse(buf + pos, len - pos, version,
                                 &frames[nframes]);
        if (r.status != MQD_OK)
            break;
        pos += r.size;
        nframes++;
    }

    static mqd_sn_msg msg;
    struct sn_record sn = {&msg, (data[0] >> 4) & 1, {SN_TOPIC_NONE, NULL, 0}};
    bool have_sn = mqd_sn_parse(buf, len, &msg).status == MQD_OK;
    if (data[0] & 0x20) /* as if the registry knew a name for its topic id */
        sn.topic = (struct sn_topic_view){SN_TOPIC_REGISTERED,
                                          (const uint8_t *)"a/\xc3\xa9", 4};

    /* Up to 64 wire bytes as a C string for the event. */
    char wire[65];
    size_t wl = len < 64 ? len : 64;
    memcpy(wire, buf, wl);
    wire[wl] = '\0';

    for (int secrets = 0; secrets < 2; secrets++) {
        struct output_opts opts = {.show_secrets = secrets != 0,
                                   .max_payload = max_payload,
                                   .payload_mode = payload_mode};
        size_t n;
        char *out = print_all(OUTPUT_JSON, &opts, frames, nframes,
                              have_sn ? &sn : NULL, wire, &n);
        check_json_text(out, n);
        free(out);
        out = print_all(OUTPUT_EVE, &opts, frames, nframes,
                        have_sn ? &sn : NULL, wire, &n);
        check_eve_text(out, n);
        free(out);
        /* Text: the second pass with --max-payload given (its limits, 0
         * all), a --time format and the ASCII arrow. */
        opts.max_payload_set = secrets != 0;
        opts.time_format = (uint8_t)(data[0] % 5); /* enum text_time */
        opts.ascii_arrow = secrets != 0;
        for (int verbose = 0; verbose < 2; verbose++) {
            opts.verbose = verbose != 0;
            out = print_all(OUTPUT_TEXT, &opts, frames, nframes,
                            have_sn ? &sn : NULL, wire, &n);
            check_text(out, n);
            free(out);
        }
    }
}
