/* The stream decoder (dissect/stream.c): chunking invariance, oversize
 * skipping, resynchronisation, gaps, allocation failure, linear time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "mqttdissect/stream.h"

/* ---- recording events --------------------------------------------------- */

typedef struct rec_event {
    int kind;
    uint64_t offset;
    uint64_t skipped;
    uint32_t len;
    uint8_t type;
    uint32_t hash; /* FNV-1a of data[0..len) */
    int err_status;
} rec_event;

#define MAX_EVENTS 4096

typedef struct recorder {
    rec_event ev[MAX_EVENTS];
    size_t n;
    size_t overflow;
    /* zero-copy check: frames whose data pointed into [lo, hi) */
    const uint8_t *lo, *hi;
    size_t in_place;
} recorder;

static uint32_t fnv1a(const uint8_t *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
}

static void record(void *ctx, const mqd_stream_event *ev)
{
    recorder *r = ctx;
    if (ev->kind == MQD_SE_FRAME && r->lo != NULL && ev->data >= r->lo &&
        ev->data + ev->len <= r->hi)
        r->in_place++;
    if (r->n == MAX_EVENTS) {
        r->overflow++;
        return;
    }
    rec_event *e = &r->ev[r->n++];
    memset(e, 0, sizeof *e);
    e->kind = ev->kind;
    e->offset = ev->offset;
    e->skipped = ev->skipped;
    e->type = ev->hdr.type;
    e->err_status = ev->err.status;
    if (ev->kind == MQD_SE_FRAME) {
        e->len = ev->len;
        e->hash = fnv1a(ev->data, ev->len);
    }
}

static void assert_same_events(const recorder *a, const recorder *b)
{
    assert_int_equal(a->overflow, 0);
    assert_int_equal(b->overflow, 0);
    assert_int_equal(a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        const rec_event *x = &a->ev[i], *y = &b->ev[i];
        if (x->kind != y->kind || x->offset != y->offset ||
            x->skipped != y->skipped || x->len != y->len ||
            x->hash != y->hash || x->type != y->type)
            fail_msg("event %zu differs: kind %d/%d offset %llu/%llu skipped "
                     "%llu/%llu len %u/%u",
                     i, x->kind, y->kind, (unsigned long long)x->offset,
                     (unsigned long long)y->offset,
                     (unsigned long long)x->skipped,
                     (unsigned long long)y->skipped, x->len, y->len);
    }
}

/* ---- a counting allocator ----------------------------------------------- */

typedef struct counting_alloc {
    size_t max_request;
    size_t calls;
    size_t live;      /* 1 while a block is held */
    size_t fail_from; /* refuse non-zero requests from this call on (0: never) */
    size_t bytes;     /* non-zero sizes asked for, summed */
} counting_alloc;

static void *counting_realloc(void *ctx, void *ptr, size_t size)
{
    counting_alloc *a = ctx;
    a->calls++;
    if (size == 0) {
        if (ptr != NULL)
            a->live--;
        free(ptr);
        return NULL;
    }
    if (a->fail_from != 0 && a->calls >= a->fail_from)
        return NULL;
    if (size > a->max_request)
        a->max_request = size;
    a->bytes += size;
    void *p = realloc(ptr, size);
    if (p != NULL && ptr == NULL)
        a->live++;
    return p;
}

/* ---- building test streams ---------------------------------------------- */

typedef struct bytes {
    uint8_t *p;
    size_t n, cap;
} bytes;

static void put(bytes *b, const void *src, size_t n)
{
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n)
            cap *= 2;
        b->p = realloc(b->p, cap);
        assert_non_null(b->p);
        b->cap = cap;
    }
    memcpy(b->p + b->n, src, n);
    b->n += n;
}

static void put_u8(bytes *b, uint8_t v)
{
    put(b, &v, 1);
}

static void put_varint(bytes *b, uint32_t v)
{
    do {
        uint8_t d = (uint8_t)(v % 128u);
        v /= 128u;
        if (v > 0)
            d |= 0x80u;
        put_u8(b, d);
    } while (v > 0);
}

/* A 3.1.1 PUBLISH QoS 0 on topic "a/b" with `payload` bytes: fill, fill+1,
 * ... (step 1), or all `fill` (step 0). */
static void put_publish_step(bytes *b, uint32_t payload, uint8_t fill,
                             uint8_t step)
{
    put_u8(b, 0x30);
    put_varint(b, 5u + payload);
    put(b, "\x00\x03" "a/b", 5);
    for (uint32_t i = 0; i < payload; i++)
        put_u8(b, (uint8_t)(fill + i * step));
}

static void put_publish(bytes *b, uint32_t payload, uint8_t fill)
{
    put_publish_step(b, payload, fill, 1);
}

static const uint8_t CONNECT_311[] = {0x10, 0x0D, 0x00, 0x04, 'M', 'Q', 'T',
                                      'T',  0x04, 0x02, 0x00, 0x3C, 0x00,
                                      0x01, 'a'};
static const uint8_t PUBACK_1[] = {0x40, 0x02, 0x00, 0x01};
static const uint8_t PINGREQ[] = {0xC0, 0x00};
static const uint8_t SUBSCRIBE_1[] = {0x82, 0x08, 0x00, 0x01, 0x00,
                                      0x03, 'a',  '/',  'b',  0x01};

/* CONNECT, PUBLISH (200 payload: 2-byte remaining length), PUBACK, PINGREQ,
 * PUBLISH (20000: 3-byte remaining length), SUBSCRIBE, PINGREQ. */
static bytes multi_frame_stream(void)
{
    bytes b = {0};
    put(&b, CONNECT_311, sizeof CONNECT_311);
    put_publish(&b, 200, 7);
    put(&b, PUBACK_1, sizeof PUBACK_1);
    put(&b, PINGREQ, sizeof PINGREQ);
    put_publish(&b, 20000, 1);
    put(&b, SUBSCRIBE_1, sizeof SUBSCRIBE_1);
    put(&b, PINGREQ, sizeof PINGREQ);
    return b;
}

/* ---- feeding helpers ----------------------------------------------------- */

static void feed_chunked(const mqd_stream_cfg *cfg, const uint8_t *p, size_t n,
                         size_t chunk, recorder *r, mqd_stream *out_state)
{
    mqd_stream s;
    mqd_stream_init(&s, cfg);
    for (size_t off = 0; off < n; off += chunk) {
        size_t len = n - off < chunk ? n - off : chunk;
        (void)mqd_stream_feed(&s, p + off, len, record, r);
    }
    if (out_state != NULL)
        *out_state = s;
    mqd_stream_free(&s);
}

static void feed_split(const mqd_stream_cfg *cfg, const uint8_t *p, size_t n,
                       size_t at, recorder *r)
{
    mqd_stream s;
    mqd_stream_init(&s, cfg);
    (void)mqd_stream_feed(&s, p, at, record, r);
    (void)mqd_stream_feed(&s, p + at, n - at, record, r);
    mqd_stream_free(&s);
}

static recorder *new_recorder(void)
{
    recorder *r = calloc(1, sizeof *r);
    assert_non_null(r);
    return r;
}

/* Feeding b in pieces of 1..max_chunk bytes gives the events `whole` has. */
static void assert_every_chunking(const uint8_t *p, size_t n, size_t max_chunk,
                                  const recorder *whole)
{
    recorder *r = new_recorder();
    for (size_t c = 1; c <= max_chunk; c++) {
        memset(r, 0, sizeof *r);
        feed_chunked(NULL, p, n, c, r, NULL);
        assert_same_events(whole, r);
    }
    free(r);
}

/* Feeding b in two pieces, cut anywhere, gives the events `whole` has. */
static void assert_every_split(const uint8_t *p, size_t n, const recorder *whole)
{
    recorder *r = new_recorder();
    for (size_t at = 0; at <= n; at++) {
        memset(r, 0, sizeof *r);
        feed_split(NULL, p, n, at, r);
        assert_same_events(whole, r);
    }
    free(r);
}

/* ---- tests ---------------------------------------------------------------- */

static void whole_buffer_frames_in_place(void **state)
{
    (void)state;
    bytes b = multi_frame_stream();
    recorder *r = new_recorder();
    r->lo = b.p;
    r->hi = b.p + b.n;
    mqd_stream s;
    mqd_stream_init(&s, NULL);
    assert_int_equal(mqd_stream_feed(&s, b.p, b.n, record, r), 0);
    assert_int_equal(r->n, 7);
    assert_int_equal(r->in_place, 7); /* no copy */
    assert_int_equal(mqd_stream_get_counts(&s).frames, 7);
    assert_int_equal(mqd_stream_pending(&s), 0);
    static const uint8_t types[] = {1, 3, 4, 12, 3, 8, 12};
    uint64_t off = 0;
    for (size_t i = 0; i < 7; i++) {
        assert_int_equal(r->ev[i].kind, MQD_SE_FRAME);
        assert_int_equal(r->ev[i].type, types[i]);
        assert_int_equal(r->ev[i].offset, off);
        off += r->ev[i].len;
    }
    assert_int_equal(off, b.n);
    assert_int_equal(mqd_stream_offset(&s), b.n);
    mqd_stream_free(&s);
    free(r);
    free(b.p);
}

static void every_chunk_size_gives_same_frames(void **state)
{
    (void)state;
    bytes b = multi_frame_stream();
    recorder *whole = new_recorder(), *r = new_recorder();
    feed_chunked(NULL, b.p, b.n, b.n, whole, NULL);
    assert_int_equal(whole->n, 7);
    size_t sizes[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 16, 17, 31, 64,
                      100, 127, 128, 129, 200, 255, 256, 1000, 4096, 20000};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        memset(r, 0, sizeof *r);
        feed_chunked(NULL, b.p, b.n, sizes[i], r, NULL);
        assert_same_events(whole, r);
    }
    /* Every chunk size 1..N on a stream of small frames only. */
    bytes small = {0};
    put(&small, CONNECT_311, sizeof CONNECT_311);
    put(&small, PINGREQ, sizeof PINGREQ);
    put_publish(&small, 130, 3);
    put(&small, PUBACK_1, sizeof PUBACK_1);
    put(&small, SUBSCRIBE_1, sizeof SUBSCRIBE_1);
    memset(whole, 0, sizeof *whole);
    feed_chunked(NULL, small.p, small.n, small.n, whole, NULL);
    assert_int_equal(whole->n, 5);
    for (size_t c = 1; c <= small.n; c++) {
        memset(r, 0, sizeof *r);
        feed_chunked(NULL, small.p, small.n, c, r, NULL);
        assert_same_events(whole, r);
    }
    free(small.p);
    free(whole);
    free(r);
    free(b.p);
}

static void every_two_way_split_gives_same_frames(void **state)
{
    (void)state;
    bytes b = {0};
    put(&b, CONNECT_311, sizeof CONNECT_311);
    put_publish(&b, 300, 9); /* 2-byte remaining length */
    put(&b, PINGREQ, sizeof PINGREQ);
    put(&b, PUBACK_1, sizeof PUBACK_1);
    put(&b, SUBSCRIBE_1, sizeof SUBSCRIBE_1);
    recorder *whole = new_recorder();
    feed_chunked(NULL, b.p, b.n, b.n, whole, NULL);
    assert_int_equal(whole->n, 5);
    assert_every_split(b.p, b.n, whole);
    free(whole);
    free(b.p);
}

/* A frame whose remaining length is 3 bytes, cut after each of them. */
static void split_inside_remaining_length(void **state)
{
    (void)state;
    bytes b = {0};
    put(&b, PINGREQ, sizeof PINGREQ);
    put_publish(&b, 20000, 5); /* 0x30 0xA5 0x9C 0x01 ... */
    put(&b, PINGREQ, sizeof PINGREQ);
    assert_int_equal(b.p[3], 0xA5);
    recorder *whole = new_recorder(), *r = new_recorder();
    feed_chunked(NULL, b.p, b.n, b.n, whole, NULL);
    assert_int_equal(whole->n, 3);
    assert_int_equal(whole->ev[1].len, 1 + 3 + 20005);
    for (size_t at = 2; at <= 6; at++) { /* before/inside/after the length */
        memset(r, 0, sizeof *r);
        mqd_stream s;
        mqd_stream_init(&s, NULL);
        (void)mqd_stream_feed(&s, b.p, at, record, r);
        if (at > 2 && at < 6)
            assert_int_equal(mqd_stream_pending(&s), at - 2);
        (void)mqd_stream_feed(&s, b.p + at, b.n - at, record, r);
        mqd_stream_free(&s);
        assert_same_events(whole, r);
    }
    /* And three pieces: type byte, each length byte, the rest. */
    memset(r, 0, sizeof *r);
    mqd_stream s;
    mqd_stream_init(&s, NULL);
    for (size_t i = 0; i < 6; i++)
        (void)mqd_stream_feed(&s, b.p + i, 1, record, r);
    (void)mqd_stream_feed(&s, b.p + 6, b.n - 6, record, r);
    mqd_stream_free(&s);
    assert_same_events(whole, r);
    free(whole);
    free(r);
    free(b.p);
}

static void oversize_frame_is_skipped_not_buffered(void **state)
{
    (void)state;
    bytes b = {0};
    put(&b, PUBACK_1, sizeof PUBACK_1);
    put_publish(&b, 1000, 2); /* 1 + 2 + 1005 = 1008 bytes */
    put(&b, PINGREQ, sizeof PINGREQ);
    put_publish(&b, 50, 2); /* 1 + 1 + 55 = 57 bytes: fits */
    size_t chunks[] = {1, 2, 3, 7, 33, 64, 1000, 5000};
    for (size_t i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
        counting_alloc a = {0};
        mqd_stream_cfg cfg = {.max_frame = 100,
                              .realloc_fn = counting_realloc,
                              .alloc_ctx = &a};
        recorder *r = new_recorder();
        mqd_stream s;
        feed_chunked(&cfg, b.p, b.n, chunks[i], r, &s);
        assert_int_equal(r->n, 4);
        assert_int_equal(r->ev[0].kind, MQD_SE_FRAME);
        assert_int_equal(r->ev[1].kind, MQD_SE_OVERSIZE);
        assert_int_equal(r->ev[1].offset, 4);
        assert_int_equal(r->ev[1].skipped, 1008);
        assert_int_equal(r->ev[1].type, 3);
        assert_int_equal(r->ev[2].kind, MQD_SE_FRAME);
        assert_int_equal(r->ev[2].offset, 4 + 1008);
        assert_int_equal(r->ev[3].kind, MQD_SE_FRAME);
        assert_int_equal(r->ev[3].offset, 4 + 1008 + 2);
        assert_int_equal(r->ev[3].len, 57);
        assert_int_equal(mqd_stream_get_counts(&s).oversize, 1);
        assert_int_equal(mqd_stream_get_counts(&s).bytes_skipped, 1008);
        assert_int_equal(mqd_stream_get_counts(&s).frames, 3);
        assert_true(a.max_request <= 100 + 5);
        assert_int_equal(a.live, 0); /* freed by mqd_stream_free */
        free(r);
    }
    free(b.p);
}

/* A remaining length whose fourth byte has the continuation bit: ERROR, then
 * RESYNC at the next real frame. */
static void broken_remaining_length_resyncs(void **state)
{
    (void)state;
    bytes b = {0};
    put(&b, CONNECT_311, sizeof CONNECT_311);               /* 0..14 */
    put(&b, "\x30\xFF\xFF\xFF\xFF", 5);                     /* 15..19 */
    put(&b, SUBSCRIBE_1, sizeof SUBSCRIBE_1);               /* 20.. */
    put_publish(&b, 40, 0);
    put(&b, PUBACK_1, sizeof PUBACK_1);
    recorder *whole = new_recorder();
    mqd_stream s;
    feed_chunked(NULL, b.p, b.n, b.n, whole, &s);
    assert_int_equal(whole->n, 6);
    assert_int_equal(whole->ev[0].kind, MQD_SE_FRAME);
    assert_int_equal(whole->ev[1].kind, MQD_SE_ERROR);
    assert_int_equal(whole->ev[1].offset, 15);
    assert_int_equal(whole->ev[1].err_status, MQD_ERROR);
    assert_int_equal(whole->ev[2].kind, MQD_SE_RESYNC);
    assert_int_equal(whole->ev[2].offset, 20);
    assert_int_equal(whole->ev[2].skipped, 5);
    assert_int_equal(whole->ev[3].kind, MQD_SE_FRAME);
    assert_int_equal(whole->ev[3].offset, 20);
    assert_int_equal(whole->ev[3].type, 8);
    assert_int_equal(whole->ev[4].type, 3);
    assert_int_equal(whole->ev[5].type, 4);
    assert_int_equal(mqd_stream_get_counts(&s).errors, 1);
    assert_int_equal(mqd_stream_get_counts(&s).resyncs, 1);
    assert_int_equal(mqd_stream_get_counts(&s).bytes_skipped, 5);
    assert_every_chunking(b.p, b.n, b.n, whole);
    assert_every_split(b.p, b.n, whole);
    free(whole);
    free(b.p);
}

/* Garbage that is no frame at all between two frames. */
static void garbage_is_skipped_on_resync(void **state)
{
    (void)state;
    bytes b = {0};
    put(&b, PINGREQ, sizeof PINGREQ);
    put(&b, "\x30\x80\x80\x80\x80", 5);
    /* bytes whose every position is a bad header: type 0 or type 15 with
     * flags, PINGREQ with a body, ... */
    for (int i = 0; i < 300; i++)
        put_u8(&b, (uint8_t)(i % 2 ? 0x00 : 0xCF));
    size_t good = b.n;
    put(&b, PUBACK_1, sizeof PUBACK_1);
    put(&b, PINGREQ, sizeof PINGREQ);
    recorder *whole = new_recorder();
    feed_chunked(NULL, b.p, b.n, b.n, whole, NULL);
    assert_int_equal(whole->n, 5);
    assert_int_equal(whole->ev[1].kind, MQD_SE_ERROR);
    assert_int_equal(whole->ev[2].kind, MQD_SE_RESYNC);
    assert_int_equal(whole->ev[2].offset, good);
    assert_int_equal(whole->ev[2].skipped, good - 2);
    assert_int_equal(whole->ev[3].offset, good);
    assert_every_chunking(b.p, b.n, 40, whole);
    free(whole);
    free(b.p);
}

/* PUBACK (0..3), PUBLISH of 107 bytes (4..110), SUBSCRIBE (111..120),
 * PINGREQ (121..122), PUBACK (123..126). */
static void gap_stream(bytes *b)
{
    put(b, PUBACK_1, sizeof PUBACK_1);
    put_publish_step(b, 100, 0, 0);
    put(b, SUBSCRIBE_1, sizeof SUBSCRIBE_1);
    put(b, PINGREQ, sizeof PINGREQ);
    put(b, PUBACK_1, sizeof PUBACK_1);
}

/* Feeds b[0..cut) and b[resume..) in pieces of `chunk` with a gap between;
 * *pending: what the decoder held at the gap. */
static void feed_with_gap(mqd_stream *s, const bytes *b, size_t cut, size_t resume,
                          size_t chunk, recorder *r, size_t *pending)
{
    mqd_stream_init(s, NULL);
    for (size_t off = 0; off < cut; off += chunk) {
        size_t n = cut - off < chunk ? cut - off : chunk;
        (void)mqd_stream_feed(s, b->p + off, n, record, r);
    }
    *pending = mqd_stream_pending(s);
    mqd_stream_gap(s, resume - cut);
    for (size_t off = resume; off < b->n; off += chunk) {
        size_t n = b->n - off < chunk ? b->n - off : chunk;
        (void)mqd_stream_feed(s, b->p + off, n, record, r);
    }
    (void)mqd_stream_finish(s, record, r);
}

/* A gap inside a frame whose length is known (its header was read): that
 * frame is lost, but the framing is not: the next frame comes at once, with
 * no resynchronisation. */
static void gap_mid_frame_keeps_sync(void **state)
{
    (void)state;
    bytes b = {0};
    gap_stream(&b);
    for (size_t chunk = 1; chunk <= 40; chunk++) {
        recorder *r = new_recorder();
        mqd_stream s;
        size_t pending;
        feed_with_gap(&s, &b, 4 + 30, 4 + 80, chunk, r, &pending); /* 50 bytes */
        assert_int_equal(pending, 30);
        assert_int_equal(r->n, 4);
        assert_int_equal(r->ev[0].kind, MQD_SE_FRAME);
        assert_int_equal(r->ev[1].kind, MQD_SE_FRAME);
        assert_int_equal(r->ev[1].offset, 111);
        assert_int_equal(r->ev[1].type, 8);
        assert_int_equal(r->ev[2].offset, 121);
        assert_int_equal(r->ev[3].offset, 123);
        /* 30 held bytes dropped + the 27 payload bytes seen after the gap */
        assert_int_equal(mqd_stream_get_counts(&s).bytes_skipped, 30 + 27);
        assert_int_equal(mqd_stream_offset(&s), b.n);
        mqd_stream_free(&s);
        free(r);
    }
    free(b.p);
}

/* A gap past the end of the frame it starts in: where the next frame
 * starts is unknown, so the decoder resynchronises. */
static void gap_across_frames_resyncs(void **state)
{
    (void)state;
    bytes b = {0};
    gap_stream(&b);
    for (size_t chunk = 1; chunk <= 20; chunk++) {
        recorder *r = new_recorder();
        mqd_stream s;
        size_t pending;
        feed_with_gap(&s, &b, 4 + 30, 114, chunk, r, &pending); /* into the SUBSCRIBE */
        assert_true(r->n >= 3);
        assert_int_equal(r->ev[0].kind, MQD_SE_FRAME);
        assert_int_equal(r->ev[1].kind, MQD_SE_RESYNC);
        assert_int_equal(r->ev[1].offset, 121); /* the PINGREQ */
        assert_int_equal(r->ev[r->n - 1].offset, 123);
        assert_int_equal(mqd_stream_offset(&s), b.n);
        mqd_stream_free(&s);
        free(r);
    }
    free(b.p);
}

static void gap_at_boundary_resyncs_at_once(void **state)
{
    (void)state;
    recorder *r = new_recorder();
    mqd_stream s;
    mqd_stream_init(&s, NULL);
    (void)mqd_stream_feed(&s, PUBACK_1, sizeof PUBACK_1, record, r);
    mqd_stream_gap(&s, 1000);
    (void)mqd_stream_feed(&s, SUBSCRIBE_1, sizeof SUBSCRIBE_1, record, r);
    assert_int_equal(r->n, 3);
    assert_int_equal(r->ev[1].kind, MQD_SE_RESYNC);
    assert_int_equal(r->ev[1].offset, 1004);
    assert_int_equal(r->ev[1].skipped, 0);
    assert_int_equal(r->ev[2].kind, MQD_SE_FRAME);
    assert_int_equal(r->ev[2].offset, 1004);
    mqd_stream_free(&s);
    free(r);
}

/* A gap inside an oversize frame being skipped keeps the framing. */
static void gap_inside_skipped_frame_keeps_sync(void **state)
{
    (void)state;
    bytes b = {0};
    put_publish(&b, 1000, 0);
    put(&b, PUBACK_1, sizeof PUBACK_1);
    mqd_stream_cfg cfg = {.max_frame = 64};
    recorder *r = new_recorder();
    mqd_stream s;
    mqd_stream_init(&s, &cfg);
    (void)mqd_stream_feed(&s, b.p, 100, record, r);
    mqd_stream_gap(&s, 500);
    (void)mqd_stream_feed(&s, b.p + 600, b.n - 600, record, r);
    assert_int_equal(r->n, 2);
    assert_int_equal(r->ev[0].kind, MQD_SE_OVERSIZE);
    assert_int_equal(r->ev[1].kind, MQD_SE_FRAME);
    assert_int_equal(r->ev[1].offset, 1008);
    assert_int_equal(mqd_stream_get_counts(&s).resyncs, 0);
    mqd_stream_free(&s);
    free(r);
    free(b.p);
}

static void allocator_refusal_skips_the_frame(void **state)
{
    (void)state;
    bytes b = {0};
    put_publish(&b, 100, 0); /* 107 bytes */
    put(&b, PUBACK_1, sizeof PUBACK_1);
    put(&b, PINGREQ, sizeof PINGREQ);
    counting_alloc a = {.fail_from = 1};
    mqd_stream_cfg cfg = {.realloc_fn = counting_realloc, .alloc_ctx = &a};
    recorder *r = new_recorder();
    mqd_stream s;
    mqd_stream_init(&s, &cfg);
    assert_int_equal(mqd_stream_feed(&s, b.p, 50, record, r), -1);
    assert_int_equal(r->n, 1);
    assert_int_equal(r->ev[0].kind, MQD_SE_OVERSIZE);
    assert_int_equal(r->ev[0].skipped, 107);
    assert_int_equal(mqd_stream_feed(&s, b.p + 50, b.n - 50, record, r), 0);
    assert_int_equal(r->n, 3);
    assert_int_equal(r->ev[1].kind, MQD_SE_FRAME);
    assert_int_equal(r->ev[1].offset, 107);
    assert_int_equal(r->ev[2].offset, 111);
    assert_int_equal(mqd_stream_get_counts(&s).bytes_skipped, 107);
    assert_int_equal(a.live, 0);
    /* A split header needs no memory at all, nor does a split frame of at
     * most 16 bytes (held in the decoder): the allocator is not asked. */
    size_t calls = a.calls;
    (void)mqd_stream_feed(&s, PUBACK_1, 1, record, r);
    assert_int_equal(mqd_stream_pending(&s), 1);
    assert_int_equal(mqd_stream_feed(&s, PUBACK_1 + 1, 1, record, r), 0);
    assert_int_equal(mqd_stream_pending(&s), 2);
    assert_int_equal(mqd_stream_feed(&s, PUBACK_1 + 2, 2, record, r), 0);
    assert_int_equal(r->n, 4);
    assert_int_equal(r->ev[3].kind, MQD_SE_FRAME);
    assert_int_equal(r->ev[3].type, 4);
    assert_int_equal(mqd_stream_feed(&s, PINGREQ, 1, record, r), 0);
    assert_int_equal(mqd_stream_feed(&s, PINGREQ + 1, 1, record, r), 0);
    assert_int_equal(r->n, 5);
    assert_int_equal(r->ev[4].kind, MQD_SE_FRAME); /* from hdr[], no memory */
    assert_int_equal(r->ev[4].type, 12);
    assert_int_equal(a.calls, calls);
    mqd_stream_free(&s);
    free(r);
    free(b.p);
}

/* A partial frame holds what arrived of it, not what its header announces:
 * the buffer grows as bytes come. Refused mid-frame, the frame is skipped
 * (OVERSIZE at its start) and framing goes on; mqd_stream_shed gives up
 * what is held the same way, without an event. */
static void partial_frame_grows_on_demand(void **state)
{
    (void)state;
    bytes b = {0};
    put_publish(&b, 1000, 0); /* 1 + 2 + 1005 = 1008 bytes */
    put(&b, PUBACK_1, sizeof PUBACK_1);
    counting_alloc a = {0};
    mqd_stream_cfg cfg = {.realloc_fn = counting_realloc, .alloc_ctx = &a};
    recorder *r = new_recorder();
    mqd_stream s;
    mqd_stream_init(&s, &cfg);
    assert_int_equal(mqd_stream_feed(&s, b.p, 13, record, r), 0);
    assert_int_equal(mqd_stream_pending(&s), 13);
    assert_int_equal(a.calls, 0); /* 13 bytes: held in the decoder */
    assert_int_equal(mqd_stream_feed(&s, b.p + 13, 7, record, r), 0);
    assert_int_equal(a.live, 1);
    assert_true(a.max_request <= 32); /* not 1008 */
    assert_int_equal(mqd_stream_feed(&s, b.p + 20, 3, record, r), 0);
    assert_int_equal(mqd_stream_pending(&s), 23);
    assert_true(a.max_request <= 32);
    assert_int_equal(mqd_stream_feed(&s, b.p + 23, 490, record, r), 0);
    assert_true(a.max_request >= 513 && a.max_request <= 1008);
    assert_int_equal(mqd_stream_feed(&s, b.p + 513, b.n - 513, record, r), 0);
    assert_int_equal(r->n, 2);
    assert_int_equal(r->ev[0].kind, MQD_SE_FRAME);
    assert_int_equal(r->ev[0].len, 1008);
    assert_int_equal(a.max_request, 1008);
    mqd_stream_free(&s);

    /* Refused when it grows past the 16 bytes held in the decoder: OVERSIZE
     * for the frame, then the PUBACK after it is framed. */
    a = (counting_alloc){.fail_from = 1};
    r->n = 0;
    mqd_stream_init(&s, &cfg);
    assert_int_equal(mqd_stream_feed(&s, b.p, 13, record, r), 0);
    assert_int_equal(mqd_stream_feed(&s, b.p + 13, 100, record, r), -1);
    assert_int_equal(r->n, 1);
    assert_int_equal(r->ev[0].kind, MQD_SE_OVERSIZE);
    assert_int_equal(r->ev[0].offset, 0);
    assert_int_equal(r->ev[0].skipped, 1008);
    assert_int_equal(r->ev[0].type, 3);
    assert_int_equal(mqd_stream_pending(&s), 0);
    assert_int_equal(mqd_stream_feed(&s, b.p + 113, b.n - 113, record, r), 0);
    assert_int_equal(r->n, 2);
    assert_int_equal(r->ev[1].kind, MQD_SE_FRAME);
    assert_int_equal(r->ev[1].offset, 1008);
    assert_int_equal(mqd_stream_get_counts(&s).bytes_skipped, 1008);
    mqd_stream_free(&s);
    assert_int_equal(a.live, 0);

    /* Shed: the 20 bytes held are given up and freed, the rest of the frame
     * is skipped silently, the PUBACK after it is framed. */
    a = (counting_alloc){0};
    r->n = 0;
    mqd_stream_init(&s, &cfg);
    assert_int_equal(mqd_stream_feed(&s, b.p, 20, record, r), 0);
    assert_int_equal(a.live, 1);
    assert_int_equal(mqd_stream_shed(&s), 20);
    assert_int_equal(a.live, 0);
    assert_int_equal(mqd_stream_pending(&s), 0);
    assert_int_equal(mqd_stream_shed(&s), 0);
    assert_int_equal(mqd_stream_feed(&s, b.p + 20, b.n - 20, record, r), 0);
    mqd_stream_free(&s);
    /* Held in the decoder, 13 bytes are given up the same way, nothing to
     * free. */
    r->n = 0;
    mqd_stream_init(&s, &cfg);
    assert_int_equal(mqd_stream_feed(&s, b.p, 13, record, r), 0);
    assert_int_equal(mqd_stream_shed(&s), 13);
    assert_int_equal(mqd_stream_pending(&s), 0);
    assert_int_equal(mqd_stream_feed(&s, b.p + 13, b.n - 13, record, r), 0);
    assert_int_equal(r->n, 1);
    assert_int_equal(r->ev[0].kind, MQD_SE_FRAME);
    assert_int_equal(r->ev[0].offset, 1008);
    assert_int_equal(mqd_stream_get_counts(&s).bytes_skipped, 1008);
    mqd_stream_free(&s);
    free(r);
    free(b.p);
}

static void pending_reports_a_cut_frame(void **state)
{
    (void)state;
    bytes b = {0};
    put_publish(&b, 10, 0);
    mqd_stream s;
    mqd_stream_init(&s, NULL);
    (void)mqd_stream_feed(&s, b.p, 9, NULL, NULL);
    assert_int_equal(mqd_stream_pending(&s), 9);
    (void)mqd_stream_feed(&s, b.p + 9, b.n - 9, NULL, NULL);
    assert_int_equal(mqd_stream_pending(&s), 0);
    assert_int_equal(mqd_stream_get_counts(&s).frames, 1);
    mqd_stream_free(&s);
    free(b.p);
}

static void count_only(void *ctx, const mqd_stream_event *ev)
{
    size_t *n = ctx;
    if (ev->kind == MQD_SE_FRAME)
        (*n)++;
}

/* A 1 MB message fed one byte at a time, 100,000 tiny messages in one
 * chunk, and a resync through 1 MB of garbage one byte at a time: the
 * decoder's buffer for a frame doubles as its bytes come (so at most
 * twice the frame is ever asked for, in a logarithmic number of calls),
 * never the tiny ones, and never the garbage, so its work stays linear in
 * the input. (Time itself is measured by tests/bench/patho.sh, never by a
 * unit test: a loaded machine would make such a test fail.) */
static void linear_work(void **state)
{
    (void)state;
    bytes big = {0};
    put_publish(&big, 1000000, 0);
    put(&big, PINGREQ, sizeof PINGREQ);
    counting_alloc ac = {0};
    mqd_stream_cfg cfg = {.max_frame = 2u * 1024u * 1024u,
                          .realloc_fn = counting_realloc,
                          .alloc_ctx = &ac};
    mqd_stream s;
    size_t frames = 0;
    mqd_stream_init(&s, &cfg);
    for (size_t i = 0; i < big.n; i++)
        (void)mqd_stream_feed(&s, big.p + i, 1, count_only, &frames);
    mqd_stream_free(&s);
    assert_int_equal(frames, 2);
    assert_true(ac.calls <= 21); /* 16, 32, ... 2^19, the frame, free */
    assert_true(ac.bytes <= 2 * big.n + 1024 * 1024);

    bytes tiny = {0};
    for (int i = 0; i < 100000; i++)
        put(&tiny, i % 2 ? PINGREQ : PUBACK_1, i % 2 ? 2 : 4);
    frames = 0;
    ac = (counting_alloc){0};
    mqd_stream_init(&s, &cfg);
    (void)mqd_stream_feed(&s, tiny.p, tiny.n, count_only, &frames);
    mqd_stream_free(&s);
    assert_int_equal(frames, 100000);
    assert_int_equal(ac.calls, 0);

    bytes junk = {0};
    put(&junk, "\x30\xFF\xFF\xFF\xFF", 5);
    for (int i = 0; i < 1000000; i++)
        put_u8(&junk, (uint8_t)(i % 2 ? 0x00 : 0xCF));
    put(&junk, PUBACK_1, sizeof PUBACK_1);
    frames = 0;
    ac = (counting_alloc){0};
    mqd_stream_init(&s, &cfg);
    for (size_t i = 0; i < junk.n; i++)
        (void)mqd_stream_feed(&s, junk.p + i, 1, count_only, &frames);
    assert_int_equal(frames, 1);
    assert_int_equal(mqd_stream_get_counts(&s).resyncs, 1);
    assert_int_equal(mqd_stream_get_counts(&s).bytes_skipped, 1000005);
    mqd_stream_free(&s);
    /* The search window stays far below the 1 MB skipped. */
    assert_true(ac.max_request <= 256u * 1024u);
    assert_true(ac.calls <= 16);
    free(big.p);
    free(tiny.p);
    free(junk.p);
}

static uint32_t lcg(uint32_t *state)
{
    *state = *state * 1103515245u + 12345u;
    return *state >> 8;
}

/* Random mixes of frames, oversize frames, broken headers and garbage: any
 * chunking gives the events of the whole buffer. */
static void random_streams_are_chunking_invariant(void **state)
{
    (void)state;
    uint32_t seed = 12345;
    recorder *whole = new_recorder(), *r = new_recorder();
    mqd_stream_cfg cfg = {.max_frame = 300};
    for (int round = 0; round < 300; round++) {
        bytes b = {0};
        for (int k = 0; k < 30; k++) {
            switch (lcg(&seed) % 7) {
            case 0:
                put(&b, PINGREQ, sizeof PINGREQ);
                break;
            case 1:
                put(&b, PUBACK_1, sizeof PUBACK_1);
                break;
            case 2:
                put_publish(&b, lcg(&seed) % 400, (uint8_t)lcg(&seed));
                break;
            case 3:
                put(&b, SUBSCRIBE_1, sizeof SUBSCRIBE_1);
                break;
            case 4:
                put(&b, "\x30\xFF\xFF\xFF\xFF", 5);
                break;
            case 5:
                for (uint32_t g = lcg(&seed) % 20; g > 0; g--)
                    put_u8(&b, (uint8_t)lcg(&seed));
                break;
            default:
                put(&b, CONNECT_311, sizeof CONNECT_311);
                break;
            }
        }
        memset(whole, 0, sizeof *whole);
        mqd_stream s;
        mqd_stream_init(&s, &cfg);
        (void)mqd_stream_feed(&s, b.p, b.n, record, whole);
        size_t pending = mqd_stream_pending(&s);
        mqd_stream_free(&s);
        memset(r, 0, sizeof *r);
        mqd_stream_init(&s, &cfg);
        for (size_t off = 0; off < b.n;) {
            size_t n = 1 + lcg(&seed) % 40;
            if (n > b.n - off)
                n = b.n - off;
            (void)mqd_stream_feed(&s, b.p + off, n, record, r);
            off += n;
        }
        assert_int_equal(mqd_stream_pending(&s), pending);
        mqd_stream_free(&s);
        assert_same_events(whole, r);
        free(b.p);
    }
    free(whole);
    free(r);
}

static void set_version_and_reinit(void **state)
{
    (void)state;
    /* The default max_frame is 1 MiB: a frame of exactly that is buffered,
     * one byte more is oversize. PUBLISH fixed headers, remaining lengths
     * 1048572 and 1048573 (3 bytes each). */
    static const uint8_t at_max[] = {0x30, 0xFC, 0xFF, 0x3F};
    static const uint8_t above[] = {0x30, 0xFD, 0xFF, 0x3F};
    counting_alloc a = {0};
    mqd_stream_cfg cfg = {.realloc_fn = counting_realloc, .alloc_ctx = &a};
    recorder *r = new_recorder();
    mqd_stream s;
    mqd_stream_init(&s, &cfg);
    mqd_stream_set_version(&s, MQD_V5);
    assert_int_equal(mqd_stream_feed(&s, at_max, sizeof at_max, record, r), 0);
    assert_int_equal(r->n, 0);
    assert_int_equal(mqd_stream_pending(&s), sizeof at_max);
    assert_int_equal(a.live, 0); /* 4 bytes: held in the decoder */
    mqd_stream_free(&s);
    assert_int_equal(a.calls, 0);
    mqd_stream_init(&s, &cfg);
    assert_int_equal(mqd_stream_feed(&s, above, sizeof above, record, r), 0);
    assert_int_equal(r->n, 1);
    assert_int_equal(r->ev[0].kind, MQD_SE_OVERSIZE);
    assert_int_equal(a.live, 0);
    mqd_stream_free(&s);
    free(r);
    mqd_stream_init(&s, NULL);
    assert_int_equal(mqd_stream_feed(&s, CONNECT_311, sizeof CONNECT_311,
                                     NULL, NULL), 0);
    assert_int_equal(mqd_stream_get_counts(&s).frames, 1);
    assert_int_equal(mqd_stream_feed(&s, NULL, 0, NULL, NULL), 0);
    mqd_stream_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(whole_buffer_frames_in_place),
        cmocka_unit_test(every_chunk_size_gives_same_frames),
        cmocka_unit_test(every_two_way_split_gives_same_frames),
        cmocka_unit_test(split_inside_remaining_length),
        cmocka_unit_test(oversize_frame_is_skipped_not_buffered),
        cmocka_unit_test(broken_remaining_length_resyncs),
        cmocka_unit_test(garbage_is_skipped_on_resync),
        cmocka_unit_test(gap_mid_frame_keeps_sync),
        cmocka_unit_test(gap_across_frames_resyncs),
        cmocka_unit_test(gap_at_boundary_resyncs_at_once),
        cmocka_unit_test(gap_inside_skipped_frame_keeps_sync),
        cmocka_unit_test(allocator_refusal_skips_the_frame),
        cmocka_unit_test(partial_frame_grows_on_demand),
        cmocka_unit_test(pending_reports_a_cut_frame),
        cmocka_unit_test(linear_work),
        cmocka_unit_test(random_streams_are_chunking_invariant),
        cmocka_unit_test(set_version_and_reinit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
