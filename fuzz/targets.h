/* mqttdissect fuzz targets: the check logic of every harness, shared by the
 * libFuzzer entry points (fuzz/fuzz_<target>.c) and by the regression test
 * that replays fuzz/regressions/ and fuzz/corpus/ in the normal suite
 * (tests/test_fuzz_regressions.c), which needs no libFuzzer.
 *
 * Each fuzz_<target>() returns normally when every invariant holds. When one
 * breaks it prints what, where and on which input to stderr and calls
 * abort(), so libFuzzer saves a reproducer and the regression test fails. */
#ifndef MQD_FUZZ_TARGETS_H
#define MQD_FUZZ_TARGETS_H

#include <stddef.h>
#include <stdint.h>

/* parse: data[0] & 3 picks the protocol version (0, 3, 4, 5); mqd_parse on
 * the rest, then every field, property and filter must lie in the frame. */
void fuzz_parse(const uint8_t *data, size_t size);

/* stream: the first bytes pick version, max_frame and chunk sizes; the rest
 * is fed to the stream decoder whole, chunked and byte by byte: the event
 * sequences must match and memory must stay bounded by max_frame. */
void fuzz_stream(const uint8_t *data, size_t size);

/* printers: data[0] picks the version; every frame mqd_parse accepts goes
 * through the JSON and the text printers in every mode; JSON lines must be
 * valid UTF-8 and parse with jansson. */
void fuzz_printers(const uint8_t *data, size_t size);

/* pipeline: data is a capture file image (pcap / pcapng); the whole
 * capture -> MQTT -> output path runs over it, JSON checked as above: in
 * the mode (JSON, text, EVE) its size picks; _all: in all three. */
void fuzz_pipeline(const uint8_t *data, size_t size);
void fuzz_pipeline_all(const uint8_t *data, size_t size);

/* sn: data is one MQTT-SN datagram for mqd_sn_parse; every field must lie
 * inside it. */
void fuzz_sn(const uint8_t *data, size_t size);

/* ws: data[0] picks a chunk size, the rest is records (direction and
 * length in one byte, then the bytes) of a WebSocket connection's two TCP
 * streams: fed whole and chunked, the WebSocket events must agree. */
void fuzz_ws(const uint8_t *data, size_t size);

/* payload: data[0] picks a payload decoder (Sparkplug B on a node or a
 * device topic, JSON, or the Sparkplug topic parser) and printer modes; the
 * rest is the payload (or topic). Arena within its cap, views consistent,
 * printer output valid. */
void fuzz_payload(const uint8_t *data, size_t size);
/* tls: data[0] picks a chunk size, the rest is records (direction and
 * length in one byte, then the bytes, or a hole) of a TLS connection's two
 * TCP streams, decrypted with fixed keys: fed whole and chunked, the
 * plaintext and the events must agree. */
void fuzz_tls(const uint8_t *data, size_t size);

/* A label for the input being checked (a file name), printed on failure.
 * NULL when unknown (libFuzzer prints its own reproducer path). */
extern const char *fuzz_input_name;

/* Reports a broken invariant and aborts. */
/* The byte-stream script of the ws and tls targets: each step is one byte,
 * its top bit the direction and the rest a length - 1; 0x7F means a hole
 * whose size - 1 is the next byte, otherwise that many bytes (at most what
 * is left) are fed in pieces of `chunk` (0: whole). */
typedef void (*fuzz_feed_fn)(void *ctx, int dir, const uint8_t *p, size_t n);
typedef void (*fuzz_gap_fn)(void *ctx, int dir, uint64_t n);
void fuzz_play_script(const uint8_t *data, size_t size, size_t chunk,
                      fuzz_feed_fn feed, fuzz_gap_fn gap, void *ctx);

void fuzz_fail(const char *file, int line, const char *cond, const char *msg)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((noreturn))
#endif
    ;

#define FUZZ_CHECK(cond, msg)                                   \
    do {                                                        \
        if (!(cond))                                            \
            fuzz_fail(__FILE__, __LINE__, #cond, (msg));        \
    } while (0)

#endif
