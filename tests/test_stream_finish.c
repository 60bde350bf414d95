/* mqd_stream_finish: the end of a stream releases a resynchronisation that
 * waits for bytes that will never come. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mqttdissect/stream.h"

#define MAX_EVENTS 64

typedef struct recorder {
    int kind[MAX_EVENTS];
    uint64_t offset[MAX_EVENTS];
    uint32_t len[MAX_EVENTS];
    size_t n;
} recorder;

static void record(void *ctx, const mqd_stream_event *ev)
{
    recorder *r = ctx;
    if (r->n == MAX_EVENTS)
        return;
    r->kind[r->n] = ev->kind;
    r->offset[r->n] = ev->offset;
    r->len[r->n] = ev->kind == MQD_SE_FRAME ? ev->len : 0;
    r->n++;
}

/* After a gap: a PUBLISH header claiming 200 bytes whose first bytes look
 * right, then 14 bytes of it, then a PUBACK and a PINGREQ: the stream ends
 * long before the 203 bytes the candidate claims. */
static const uint8_t false_candidate_then_frames[] = {
    0x30, 0xC8, 0x01, 0x00, 0x03, 'a', '/', 'b', 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x40, 0x02, 0x00, 0x01, /* PUBACK 1 */
    0xC0, 0x00              /* PINGREQ at offset 26 */
};
#define PUBACK_AT 23u /* stream offset: after the 1-byte gap */

static void feed_in_chunks(mqd_stream *s, const uint8_t *p, size_t n,
                           size_t chunk, recorder *r)
{
    for (size_t at = 0; at < n; at += chunk) {
        size_t take = n - at < chunk ? n - at : chunk;
        assert_int_equal(mqd_stream_feed(s, p + at, take, record, r), 0);
    }
}

static void finish_delivers_frames_behind_a_false_candidate(void **state)
{
    (void)state;
    const uint8_t *p = false_candidate_then_frames;
    size_t n = sizeof false_candidate_then_frames;
    for (size_t chunk = 1; chunk <= n; chunk++) {
        mqd_stream s;
        recorder r = {0};
        mqd_stream_init(&s, NULL);
        mqd_stream_gap(&s, 1); /* sync lost: resynchronise */
        feed_in_chunks(&s, p, n, chunk, &r);
        assert_int_equal(r.n, 0); /* still waiting for the 203 bytes */
        assert_int_equal(mqd_stream_pending(&s), n);
        assert_int_equal(mqd_stream_finish(&s, record, &r), 0);
        assert_int_equal(r.n, 3);
        assert_int_equal(r.kind[0], MQD_SE_RESYNC);
        assert_int_equal(r.offset[0], PUBACK_AT);
        assert_int_equal(r.kind[1], MQD_SE_FRAME);
        assert_int_equal(r.offset[1], PUBACK_AT);
        assert_int_equal(r.len[1], 4);
        assert_int_equal(r.kind[2], MQD_SE_FRAME);
        assert_int_equal(r.offset[2], PUBACK_AT + 4);
        assert_int_equal(mqd_stream_pending(&s), 0);
        assert_int_equal(mqd_stream_get_counts(&s).bytes_skipped, PUBACK_AT - 1); /* the gap not counted */
        mqd_stream_free(&s);
    }
}

static void finish_leaves_a_cut_frame_pending(void **state)
{
    (void)state;
    static const uint8_t cut[] = {0x40, 0x02, 0x00, 0x01, 0x30, 0x0A, 0x00};
    mqd_stream s;
    recorder r = {0};
    mqd_stream_init(&s, NULL);
    assert_int_equal(mqd_stream_feed(&s, cut, sizeof cut, record, &r), 0);
    assert_int_equal(r.n, 1);
    assert_int_equal(mqd_stream_finish(&s, record, &r), 0);
    assert_int_equal(r.n, 1);
    assert_int_equal(mqd_stream_pending(&s), 3);
    mqd_stream_free(&s);
}

static void finish_accepts_a_small_frame_ending_the_stream(void **state)
{
    (void)state;
    static const uint8_t tail[] = {0xC0, 0x00}; /* PINGREQ */
    mqd_stream s;
    recorder r = {0};
    mqd_stream_init(&s, NULL);
    mqd_stream_gap(&s, 1); /* sync lost: resynchronise */
    assert_int_equal(mqd_stream_feed(&s, tail, sizeof tail, record, &r), 0);
    assert_int_equal(mqd_stream_finish(&s, record, &r), 0);
    assert_int_equal(r.n, 2);
    assert_int_equal(r.kind[0], MQD_SE_RESYNC);
    assert_int_equal(r.kind[1], MQD_SE_FRAME);
    assert_int_equal(mqd_stream_pending(&s), 0);
    mqd_stream_free(&s);
}

static void finish_on_garbage_keeps_nothing_as_frames(void **state)
{
    (void)state;
    uint8_t junk[300];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (uint8_t)(i % 2 ? 0x00 : 0xCF);
    mqd_stream s;
    recorder r = {0};
    mqd_stream_init(&s, NULL);
    mqd_stream_gap(&s, 1); /* sync lost: resynchronise */
    assert_int_equal(mqd_stream_feed(&s, junk, sizeof junk, record, &r), 0);
    assert_int_equal(mqd_stream_finish(&s, record, &r), 0);
    for (size_t i = 0; i < r.n; i++)
        assert_int_not_equal(r.kind[i], MQD_SE_FRAME);
    /* feeding may go on after finish */
    static const uint8_t ping[] = {0xC0, 0x00, 0xD0, 0x00};
    assert_int_equal(mqd_stream_feed(&s, ping, sizeof ping, record, &r), 0);
    mqd_stream_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(finish_delivers_frames_behind_a_false_candidate),
        cmocka_unit_test(finish_leaves_a_cut_frame_pending),
        cmocka_unit_test(finish_accepts_a_small_frame_ending_the_stream),
        cmocka_unit_test(finish_on_garbage_keeps_nothing_as_frames),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
