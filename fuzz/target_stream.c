/* Fuzz target "stream": the incremental stream decoder (stream.h).
 *
 * Input layout:
 *   data[0]       bits 0-1: version (0, 3, 4, 5); bits 2-4: max_frame choice;
 *                 bit 5: also run with an allocator that refuses memory
 *   data[1]       bits 0-2: how many chunk-size bytes follow, minus one
 *   data[2..]     chunk sizes (0 counts as 1), used in turn, cyclically
 *   the rest      the byte stream
 *
 * The stream is fed whole, in the chosen chunks and one byte at a time, then
 * finished (mqd_stream_finish). The three event sequences must be identical
 * (kind, offset, len, skipped, fixed header, error; OVERSIZE len is excepted:
 * the header says it is what the current chunk holds). Every event's bytes
 * must be the stream's own bytes at its offset; frames must not overlap and
 * must fit max_frame; the counters and the pending byte count must agree. A
 * counting allocator checks that the decoder never holds more than max_frame
 * plus a little slack, and
 * holds nothing after mqd_stream_free.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mqttdissect/mqd.h"
#include "targets.h"

#define STREAM_DEFAULT_MAX_FRAME (1024u * 1024u) /* stream.h: 0 means 1 MiB */
#define STREAM_ALLOC_SLACK 64u
#define STREAM_BYTEWISE_MAX 4096u /* byte-at-a-time feed only up to this */

static const uint8_t stream_versions[4] = {MQD_VERSION_UNKNOWN, MQD_V31,
                                           MQD_V311, MQD_V5};
static const uint32_t stream_max_frames[8] = {0, 2, 5, 16, 64, 255, 1024,
                                              65536};

/* ---- counting allocator ------------------------------------------------ */

typedef struct counting_alloc {
    size_t live;      /* bytes held now */
    size_t peak;
    size_t limit;     /* the most the decoder may hold */
    long fail_after;  /* refuse every request after this many; -1 never */
    long calls;
} counting_alloc;

/* Each block carries its size in front of it. */
typedef union alloc_head {
    size_t size;
    max_align_t align;
} alloc_head;

static void *counting_realloc(void *ctx, void *ptr, size_t size)
{
    counting_alloc *a = ctx;
    alloc_head *old = ptr ? (alloc_head *)ptr - 1 : NULL;
    size_t old_size = old ? old->size : 0;
    if (size == 0) {
        a->live -= old_size;
        free(old);
        return NULL;
    }
    a->calls++;
    if (a->fail_after >= 0 && a->calls > a->fail_after)
        return NULL; /* ptr stays valid, as realloc leaves it */
    alloc_head *h = realloc(old, sizeof *h + size);
    FUZZ_CHECK(h != NULL, "out of memory in the harness");
    h->size = size;
    a->live = a->live - old_size + size;
    if (a->live > a->peak)
        a->peak = a->live;
    FUZZ_CHECK(a->live <= a->limit,
               "stream decoder holds more than max_frame + slack");
    return h + 1;
}

/* ---- event log ----------------------------------------------------------- */

typedef struct event_rec {
    int kind;
    uint32_t len;
    uint64_t offset, skipped;
    uint8_t hdr_header;
    uint32_t hdr_remaining;
    int err_status;
    uint32_t err_off;
    uint16_t err_rule;
} event_rec;

typedef struct event_log {
    const uint8_t *stream; /* the whole stream, for checking event bytes */
    size_t stream_len;
    uint32_t max_frame;    /* effective */
    event_rec *recs;
    size_t n, cap;
    uint64_t next_frame_off; /* frames must not overlap */
    bool refusing;           /* the allocator refuses: small frames may be
                                skipped as OVERSIZE */
} event_log;

static void check_event_bytes(const event_log *log, const mqd_stream_event *ev)
{
    if (ev->len == 0)
        return;
    FUZZ_CHECK(ev->data != NULL, "event with len but no data");
    FUZZ_CHECK(ev->offset + ev->len <= log->stream_len,
               "event bytes past the end of the stream");
    FUZZ_CHECK(memcmp(ev->data, log->stream + ev->offset, ev->len) == 0,
               "event bytes are not the stream's bytes at its offset");
}

static void check_frame_event(event_log *log, const mqd_stream_event *ev)
{
    uint64_t size = 1u + (uint64_t)ev->hdr.remaining.nbytes +
                    ev->hdr.remaining.value;
    FUZZ_CHECK(ev->len == size, "FRAME len != its fixed header's size");
    FUZZ_CHECK(ev->len <= log->max_frame, "FRAME larger than max_frame");
    FUZZ_CHECK(ev->offset >= log->next_frame_off, "frames overlap");
    FUZZ_CHECK(ev->len >= 2 && ev->data[0] == ev->hdr.header,
               "FRAME header byte");
    log->next_frame_off = ev->offset + ev->len;
}

static void stream_event_cb(void *ctx, const mqd_stream_event *ev)
{
    event_log *log = ctx;
    FUZZ_CHECK(ev->kind >= MQD_SE_FRAME && ev->kind <= MQD_SE_RESYNC,
               "unknown event kind");
    FUZZ_CHECK(ev->offset <= log->stream_len, "event offset past the stream");
    check_event_bytes(log, ev);
    if (ev->kind == MQD_SE_FRAME)
        check_frame_event(log, ev);
    if (ev->kind == MQD_SE_OVERSIZE) {
        FUZZ_CHECK(log->refusing || ev->skipped > log->max_frame,
                   "OVERSIZE within max_frame");
        log->next_frame_off = ev->offset + ev->skipped;
    }
    FUZZ_CHECK(log->n < log->cap, "more events than the stream can explain");
    event_rec *r = &log->recs[log->n++];
    memset(r, 0, sizeof *r);
    r->kind = ev->kind;
    r->len = ev->kind == MQD_SE_OVERSIZE ? 0 : ev->len;
    r->offset = ev->offset;
    r->skipped = ev->skipped;
    if (ev->kind == MQD_SE_FRAME || ev->kind == MQD_SE_OVERSIZE) {
        r->hdr_header = ev->hdr.header;
        r->hdr_remaining = ev->hdr.remaining.value;
    }
    if (ev->kind == MQD_SE_ERROR) {
        r->err_status = ev->err.status;
        r->err_off = ev->err.err_off;
        r->err_rule = ev->err.err_rule;
    }
}

/* ---- one run of the decoder --------------------------------------------- */

typedef struct stream_run {
    event_log log;
    counting_alloc alloc;
    uint64_t frames, oversize, errors, resyncs, bytes_skipped;
    size_t pending;
} stream_run;

typedef struct stream_input {
    uint8_t version;
    uint32_t max_frame;     /* as configured (0: default) */
    const uint8_t *sizes;   /* chunk sizes */
    size_t nsizes;
    const uint8_t *stream;
    size_t len;
} stream_input;

static uint32_t effective_max_frame(const stream_input *in)
{
    return in->max_frame ? in->max_frame : STREAM_DEFAULT_MAX_FRAME;
}

/* mode: 0 whole, 1 chunked, 2 byte by byte. */
static void run_stream(const stream_input *in, int mode, long fail_after,
                       stream_run *run)
{
    memset(run, 0, sizeof *run);
    run->log.stream = in->stream;
    run->log.stream_len = in->len;
    run->log.max_frame = effective_max_frame(in);
    run->log.cap = 3 * in->len + 16;
    run->log.recs = malloc(run->log.cap * sizeof *run->log.recs);
    FUZZ_CHECK(run->log.recs != NULL, "malloc");
    run->alloc.limit = (size_t)effective_max_frame(in) + STREAM_ALLOC_SLACK;
    run->alloc.fail_after = fail_after;
    run->log.refusing = fail_after >= 0;

    mqd_stream_cfg cfg = {.max_frame = in->max_frame,
                          .version = in->version,
                          .realloc_fn = counting_realloc,
                          .alloc_ctx = &run->alloc};
    mqd_stream s;
    mqd_stream_init(&s, &cfg);
    size_t pos = 0, turn = 0;
    while (pos < in->len) {
        size_t n = in->len - pos;
        if (mode == 1) {
            size_t want = in->sizes[turn++ % in->nsizes];
            n = want == 0 ? 1 : (want < n ? want : n);
        } else if (mode == 2) {
            n = 1;
        }
        int rc = mqd_stream_feed(&s, in->stream + pos, n, stream_event_cb,
                                 &run->log);
        FUZZ_CHECK(rc == 0 || rc == -1, "mqd_stream_feed return value");
        FUZZ_CHECK(rc == 0 || fail_after >= 0,
                   "feed reports an allocation failure that did not happen");
        pos += n;
        FUZZ_CHECK(mqd_stream_offset(&s) == pos, "stream offset != bytes fed");
    }
    /* End of stream: a resync waiting for a candidate's bytes gives up and
     * what follows is still framed (stream.h); must not depend on chunks. */
    int frc = mqd_stream_finish(&s, stream_event_cb, &run->log);
    FUZZ_CHECK(frc == 0 || frc == -1, "mqd_stream_finish return value");
    FUZZ_CHECK(frc == 0 || fail_after >= 0,
               "finish reports an allocation failure that did not happen");
    FUZZ_CHECK(mqd_stream_offset(&s) == in->len, "stream offset moved at finish");
    mqd_stream_counts counts = mqd_stream_get_counts(&s);
    run->frames = counts.frames;
    run->oversize = counts.oversize;
    run->errors = counts.errors;
    run->resyncs = counts.resyncs;
    run->bytes_skipped = counts.bytes_skipped;
    run->pending = mqd_stream_pending(&s);
    FUZZ_CHECK(run->pending <= in->len, "pending more than was fed");
    mqd_stream_free(&s);
    FUZZ_CHECK(run->alloc.live == 0, "mqd_stream_free leaves memory held");
}

static void compare_runs(const stream_run *a, const stream_run *b,
                         const char *what)
{
    FUZZ_CHECK(a->log.n == b->log.n, what);
    for (size_t i = 0; i < a->log.n; i++) {
        const event_rec *x = &a->log.recs[i], *y = &b->log.recs[i];
        if (memcmp(x, y, sizeof *x) != 0) {
            fprintf(stderr,
                    "event %zu: kind %d/%d offset %llu/%llu len %u/%u "
                    "skipped %llu/%llu\n",
                    i, x->kind, y->kind, (unsigned long long)x->offset,
                    (unsigned long long)y->offset, x->len, y->len,
                    (unsigned long long)x->skipped,
                    (unsigned long long)y->skipped);
            FUZZ_CHECK(false, what);
        }
    }
    FUZZ_CHECK(a->frames == b->frames && a->oversize == b->oversize &&
                   a->errors == b->errors && a->resyncs == b->resyncs &&
                   a->bytes_skipped == b->bytes_skipped,
               "stream counters differ between chunkings");
    FUZZ_CHECK(a->pending == b->pending, "pending bytes differ between chunkings");
}

static void dump_events(const stream_run *r, const char *label)
{
    fprintf(stderr, "%s: %zu events\n", label, r->log.n);
    for (size_t i = 0; i < r->log.n && i < 40; i++)
        fprintf(stderr, "  kind %d off %llu len %u skipped %llu\n",
                r->log.recs[i].kind, (unsigned long long)r->log.recs[i].offset,
                r->log.recs[i].len, (unsigned long long)r->log.recs[i].skipped);
}

static bool stream_input_read(const uint8_t *data, size_t size,
                              stream_input *in, bool *with_failing_alloc)
{
    if (size < 2)
        return false;
    in->version = stream_versions[data[0] & 3];
    in->max_frame = stream_max_frames[(data[0] >> 2) & 7];
    *with_failing_alloc = (data[0] & 0x20) != 0;
    in->nsizes = (size_t)(data[1] & 7) + 1;
    if (size < 2 + in->nsizes)
        return false;
    in->sizes = data + 2;
    in->stream = data + 2 + in->nsizes;
    in->len = size - 2 - in->nsizes;
    return true;
}

void fuzz_stream(const uint8_t *data, size_t size)
{
    stream_input in;
    bool failing;
    if (!stream_input_read(data, size, &in, &failing))
        return;

    stream_run whole, chunked;
    run_stream(&in, 0, -1, &whole);
    run_stream(&in, 1, -1, &chunked);
    if (getenv("MQD_FUZZ_DEBUG")) {
        dump_events(&whole, "whole");
        dump_events(&chunked, "chunked");
    }
    compare_runs(&whole, &chunked, "whole vs chunked event sequences differ");
    free(chunked.log.recs);
    if (in.len <= STREAM_BYTEWISE_MAX) {
        stream_run bytewise;
        run_stream(&in, 2, -1, &bytewise);
        if (getenv("MQD_FUZZ_DEBUG"))
            dump_events(&bytewise, "bytewise");
        compare_runs(&whole, &bytewise,
                     "whole vs byte-by-byte event sequences differ");
        free(bytewise.log.recs);
    }
    free(whole.log.recs);

    if (failing) {
        /* Refusing memory changes which frames are delivered, so only the
         * per-event invariants and the no-leak rule apply. */
        stream_run refused;
        long after = (long)(in.sizes[0] & 3);
        run_stream(&in, 1, after, &refused);
        free(refused.log.recs);
    }
}
