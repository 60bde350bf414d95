/* TCP reassembly of one direction (cli/tcp_reasm.c): every case feeds
 * segments and compares the event log -- data, gaps and conflicts in the
 * order they were emitted -- with the expected text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "net/tcp_reasm.h"

struct recorder {
    char log[8192];
    size_t len;
    const uint8_t *last_data_ptr;
};

static void logf_(struct recorder *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(r->log + r->len, sizeof r->log - r->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        r->len += (size_t)n;
    if (r->len >= sizeof r->log)
        r->len = sizeof r->log - 1;
}

static void on_data(void *ctx, const uint8_t *data, size_t len, uint64_t off)
{
    struct recorder *r = ctx;
    r->last_data_ptr = data;
    logf_(r, "D%llu:%.*s ", (unsigned long long)off, (int)len,
          (const char *)data);
}

static void on_gap(void *ctx, uint64_t off, uint64_t len)
{
    logf_(ctx, "G%llu+%llu ", (unsigned long long)off,
          (unsigned long long)len);
}

static void on_conflict(void *ctx, uint64_t off, uint64_t len)
{
    logf_(ctx, "C%llu+%llu ", (unsigned long long)off,
          (unsigned long long)len);
}

struct fixture {
    struct tcp_reasm r;
    struct recorder rec;
    struct reasm_stats stats;
    struct reasm_emit emit;
};

static struct fixture *fx_new(void)
{
    struct fixture *f = calloc(1, sizeof *f);
    tcp_reasm_init(&f->r);
    f->emit = (struct reasm_emit){&f->rec, on_data, on_gap, on_conflict,
                                  &f->stats};
    return f;
}

static void fx_free(struct fixture *f)
{
    tcp_reasm_release(&f->r, &f->stats);
    assert_int_equal(f->stats.held_now, 0);
    free(f);
}

/* Feeds a segment whose payload lives in a scratch buffer that is wiped
 * afterwards, so held data must have been copied. */
static void seg(struct fixture *f, uint32_t seq, const char *flags,
                const char *data)
{
    static uint8_t scratch[4096];
    size_t len = strlen(data);
    memcpy(scratch, data, len);
    struct reasm_input in = {seq, strchr(flags, 'S') != NULL,
                             strchr(flags, 'F') != NULL, scratch, len, len, 0};
    tcp_reasm_segment(&f->r, &in, &f->emit);
    memset(scratch, '#', len);
}

/* A segment cut by the snaplen: `data` captured of `wirelen`. */
static void seg_cut(struct fixture *f, uint32_t seq, const char *data,
                    size_t wirelen)
{
    struct reasm_input in = {seq, false, false, (const uint8_t *)data,
                             strlen(data), wirelen, 0};
    tcp_reasm_segment(&f->r, &in, &f->emit);
}

static void expect_log(struct fixture *f, const char *want)
{
    assert_string_equal(f->rec.log, want);
}

static void test_in_order(void **state)
{
    (void)state;
    struct fixture *f = fx_new();
    seg(f, 100, "S", "");
    seg(f, 101, "", "abc");
    seg(f, 104, "", "de");
    seg(f, 106, "F", "");
    expect_log(f, "D0:abc D3:de ");
    assert_true(f->r.done);
    assert_int_equal(f->stats.ooo_segments, 0);
    fx_free(f);
}

static void test_in_order_is_zero_copy(void **state)
{
    (void)state;
    struct fixture *f = fx_new();
    const char *payload = "zero-copy";
    struct reasm_input in = {1, false, false, (const uint8_t *)payload, 9, 9,
                             0};
    tcp_reasm_segment(&f->r, &in, &f->emit);
    assert_ptr_equal(f->rec.last_data_ptr, payload);
    fx_free(f);
}

static void test_reordered(void **state)
{
    (void)state;
    struct fixture *f = fx_new();
    seg(f, 0, "S", "");
    seg(f, 4, "", "DEF");
    seg(f, 7, "", "GH");
    expect_log(f, "");
    seg(f, 1, "", "ABC");
    expect_log(f, "D0:ABC D3:DEF D6:GH ");
    assert_int_equal(f->stats.ooo_segments, 2);
    assert_int_equal(tcp_reasm_held_bytes(&f->r), 0);
    fx_free(f);
}

static void test_duplicates(void **state)
{
    (void)state;
    struct fixture *f = fx_new();
    seg(f, 0, "S", "");
    seg(f, 1, "", "abc");
    seg(f, 1, "", "abc");   /* retransmission of delivered data */
    seg(f, 7, "", "ghi");
    seg(f, 7, "", "ghi");   /* duplicate of held data */
    seg(f, 4, "", "def");
    expect_log(f, "D0:abc D3:def D6:ghi ");
    assert_int_equal(f->stats.dup_bytes, 6);
    assert_int_equal(f->stats.conflicts, 0);
    fx_free(f);
}

static void test_overlap_same_data(void **state)
{
    (void)state;
    struct fixture *f = fx_new();
    seg(f, 0, "S", "");
    seg(f, 1, "", "01234");
    seg(f, 4, "", "34567"); /* overlaps delivered bytes 3..4 */
    seg(f, 12, "", "BCD");
    seg(f, 10, "", "9ABCDE"); /* straddles the held range on both sides */
    seg(f, 9, "", "8");
    expect_log(f, "D0:01234 D5:567 D8:8 D9:9A D11:BCD D14:E ");
    assert_int_equal(f->stats.conflicts, 0);
    assert_int_equal(f->stats.dup_bytes, 2 + 3);
    fx_free(f);
}

static void test_overlap_different_data_first_wins(void **state)
{
    (void)state;
    struct fixture *f = fx_new();
    seg(f, 0, "S", "");
    seg(f, 6, "", "XXXXX");
    seg(f, 8, "", "YYYYYZZ"); /* differs on 3 held bytes, adds 4 */
    seg(f, 1, "", "abcde");
    expect_log(f, "C7+3 D0:abcde D5:XXXXX D10:YYZZ ");
    assert_int_equal(f->stats.conflicts, 1);
    fx_free(f);
}

static void test_one_byte_segments_reversed(void **state)
{
    (void)state;
    struct fixture *f = fx_new();
    const char *text = "reassembly";
    seg(f, 999, "S", "");
    for (int i = 9; i >= 0; i--) {
        char one[2] = {text[i], 0};
        seg(f, 1000 + (uint32_t)i, "", one);
    }
    expect_log(f, "D0:r D1:e D2:a D3:s D4:s D5:e D6:m D7:b D8:l D9:y ");
    fx_free(f);
}

static void test_sequence_wraparound(void **state)
{
    (void)state;
    struct fixture *f = fx_new();
    uint32_t isn = 0xFFFFFFF8u;
    seg(f, isn, "S", "");
    seg(f, isn + 1, "", "aaaa");       /* ...F9 .. FC */
    seg(f, isn + 9, "", "cccc");       /* wraps: 0x01 .. */
    seg(f, isn + 5, "", "bbbb");       /* FD .. 0x00 */
    seg(f, isn + 13, "F", "dd");
    expect_log(f, "D0:aaaa D4:bbbb D8:cccc D12:dd ");
    assert_true(f->r.done);
    fx_free(f);
}

static void test_long_stream_passes_4gib(void **state)
{
    (void)state;
    struct fixture *f = fx_new();
    static char big[4001];
    memset(big, 'x', 4000);
    seg(f, 7, "S", "");
    uint32_t seq = 8;
    /* 1.1 million segments of 4000 bytes: more than 2^32 bytes. */
    f->emit.data = NULL;
    for (int i = 0; i < 1100000; i++) {
        struct reasm_input in = {seq, false, false, (const uint8_t *)big,
                                 4000, 4000, 0};
        tcp_reasm_segment(&f->r, &in, &f->emit);
        seq += 4000;
    }
    assert_true(f->r.next_off == 4400000000ULL);
    assert_int_equal(f->stats.dup_bytes, 0);
    fx_free(f);
}

static void test_midstream_start(void **state)
{
    (void)state;
    struct fixture *f = fx_new();
    seg(f, 5000, "", "hello");
    seg(f, 4990, "", "older");   /* before the pickup point: dropped */
    seg(f, 5005, "", "world");
    expect_log(f, "D0:hello D5:world ");
    assert_false(f->r.syn_seen);
    fx_free(f);
}

/* A FIN behind a hole is queued: the hole is given up only when the peer
 * acknowledges the FIN (or at close), not when the FIN is captured. */
static void test_lost_segment_gap_on_fin(void **state)
{
    (void)state;
    struct fixture *f = fx_new();
    seg(f, 0, "S", "");
    seg(f, 1, "", "aaa");
    /* 4..6 lost */
    seg(f, 7, "", "ccc");
    seg(f, 10, "F", "");
    expect_log(f, "D0:aaa ");
    assert_false(f->r.done);
    tcp_reasm_ack(&f->r, 11, 0, &f->emit); /* the peer acknowledges the FIN */
    expect_log(f, "D0:aaa G3+3 D6:ccc ");
    assert_true(f->r.done);
    assert_int_equal(f->stats.gaps, 1);
    assert_int_equal(f->stats.gap_bytes, 3);
    seg(f, 4, "", "bbb");       /* too late: ignored */
    seg(f, 11, "", "after fin");
    expect_log(f, "D0:aaa G3+3 D6:ccc ");
    fx_free(f);
}

/* A FIN captured ahead of the data before it does not end the stream: the
 * data arriving after it is delivered, then the direction is done. */
static void test_fin_ahead_of_data_waits(void **state)
{
    (void)state;
    struct fixture *f = fx_new();
    seg(f, 0, "S", "");
    seg(f, 1, "", "aaa");
    seg(f, 7, "F", "");
    assert_false(f->r.done);
    seg(f, 4, "", "bbb");
    expect_log(f, "D0:aaa D3:bbb ");
    assert_true(f->r.done);
    assert_int_equal(f->stats.gaps, 0);
    fx_free(f);
}

static void test_flush_gives_up_holes(void **state)
{
    (void)state;
    struct fixture *f = fx_new();
    seg(f, 0, "S", "");
    seg(f, 3, "", "bb");
    seg(f, 8, "", "dd");
    tcp_reasm_flush(&f->r, &f->emit);
    expect_log(f, "G0+2 D2:bb G4+3 D7:dd ");
    fx_free(f);
}

static void test_fin_with_tail_missing(void **state)
{
    (void)state;
    struct fixture *f = fx_new();
    seg(f, 0, "S", "");
    seg(f, 1, "", "ab");
    seg(f, 9, "F", "");
    expect_log(f, "D0:ab ");
    tcp_reasm_flush(&f->r, &f->emit); /* the end: the hole is lost */
    expect_log(f, "D0:ab G2+6 ");
    fx_free(f);
}

/* Bytes the peer acknowledged that the capture lost: a gap once two data
 * segments came after the ACK and delivered nothing. */
static void test_acked_hole_is_a_gap(void **state)
{
    (void)state;
    struct fixture *f = fx_new();
    seg(f, 0, "S", "");
    seg(f, 1, "", "aaa");
    tcp_reasm_ack(&f->r, 7, 0, &f->emit); /* 4..6 acknowledged, not seen */
    assert_true(tcp_reasm_lagging(&f->r));
    seg(f, 7, "", "ccc");
    expect_log(f, "D0:aaa ");
    seg(f, 10, "", "ddd");
    expect_log(f, "D0:aaa G3+3 D6:ccc D9:ddd ");
    assert_false(tcp_reasm_lagging(&f->r));
    fx_free(f);
}

/* A quiet sender behind a lost segment: its next segment (a pure ACK too)
 * a second (capture time) after the ACK shows the bytes were lost. */
static void test_acked_hole_stale_after_grace(void **state)
{
    (void)state;
    struct fixture *f = fx_new();
    seg(f, 0, "S", "");
    seg(f, 1, "", "aaa");
    tcp_reasm_ack(&f->r, 7, 1000, &f->emit); /* 4..6 lost */
    struct reasm_input ack = {7, false, false, NULL, 0, 0, 500000};
    tcp_reasm_segment(&f->r, &ack, &f->emit); /* half a second: waits */
    expect_log(f, "D0:aaa ");
    struct reasm_input in = {7, false, false, (const uint8_t *)"ccc", 3, 3,
                             61000000};
    tcp_reasm_segment(&f->r, &in, &f->emit); /* a minute later */
    expect_log(f, "D0:aaa G3+3 D6:ccc ");
    fx_free(f);
}

/* The ACK captured before the data it acknowledges (the directions out of
 * causal order), or a neighbouring segment swapped: no gap, only lagging. */
static void test_ack_ahead_of_data_is_no_gap(void **state)
{
    (void)state;
    struct fixture *f = fx_new();
    seg(f, 0, "S", "");
    tcp_reasm_ack(&f->r, 10, 0, &f->emit);
    assert_true(tcp_reasm_lagging(&f->r));
    seg(f, 4, "", "bbb");   /* swapped with the next one */
    seg(f, 1, "", "aaa");
    seg(f, 7, "", "ccc");
    expect_log(f, "D0:aaa D3:bbb D6:ccc ");
    assert_false(tcp_reasm_lagging(&f->r));
    tcp_reasm_ack(&f->r, 5, 0, &f->emit); /* older: ignored */
    tcp_reasm_ack(&f->r, 0x80000000u, 0, &f->emit); /* far ahead: bogus */
    assert_false(tcp_reasm_lagging(&f->r));
    assert_int_equal(f->stats.gaps, 0);
    fx_free(f);
}

/* At the end, bytes acknowledged but never seen are a gap (the last
 * acknowledged sequence number may be a FIN the capture missed). */
static void test_acked_tail_gap_at_flush(void **state)
{
    (void)state;
    struct fixture *f = fx_new();
    seg(f, 0, "S", "");
    seg(f, 1, "", "aaa");
    tcp_reasm_ack(&f->r, 9, 0, &f->emit); /* 4..7 data, 8 the FIN */
    expect_log(f, "D0:aaa ");
    tcp_reasm_flush(&f->r, &f->emit);
    expect_log(f, "D0:aaa G3+4 ");
    fx_free(f);
}

static void test_limit_skips_holes(void **state)
{
    (void)state;
    struct fixture *f = fx_new();
    seg(f, 0, "S", "");
    seg(f, 11, "", "0123456789");
    seg(f, 31, "", "abcdefghij");
    assert_int_equal(tcp_reasm_held_bytes(&f->r), 20 + 2 * REASM_SEG_COST);
    tcp_reasm_limit(&f->r, 10 + REASM_SEG_COST, &f->emit);
    expect_log(f, "G0+10 D10:0123456789 ");
    assert_int_equal(tcp_reasm_held_bytes(&f->r), 10 + REASM_SEG_COST);
    seg(f, 21, "", "ABCDEFGHIJ");
    expect_log(f, "G0+10 D10:0123456789 D20:ABCDEFGHIJ D30:abcdefghij ");
    fx_free(f);
}

static void test_snaplen_cut_payload(void **state)
{
    (void)state;
    struct fixture *f = fx_new();
    seg(f, 0, "S", "");
    seg_cut(f, 1, "abc", 10);   /* 7 bytes not captured */
    seg(f, 11, "", "next");
    seg_cut(f, 25, "xy", 5);    /* out of order and cut */
    seg(f, 15, "", "0123456789");
    expect_log(f, "D0:abc G3+7 D10:next D14:0123456789 D24:xy G26+3 ");
    fx_free(f);
}

static void test_syn_with_data_and_retransmitted_syn(void **state)
{
    (void)state;
    struct fixture *f = fx_new();
    seg(f, 50, "S", "tfo");
    seg(f, 50, "S", "tfo");
    seg(f, 54, "", "!");
    expect_log(f, "D0:tfo D3:! ");
    fx_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_in_order),
        cmocka_unit_test(test_in_order_is_zero_copy),
        cmocka_unit_test(test_reordered),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_overlap_same_data),
        cmocka_unit_test(test_overlap_different_data_first_wins),
        cmocka_unit_test(test_one_byte_segments_reversed),
        cmocka_unit_test(test_sequence_wraparound),
        cmocka_unit_test(test_long_stream_passes_4gib),
        cmocka_unit_test(test_midstream_start),
        cmocka_unit_test(test_lost_segment_gap_on_fin),
        cmocka_unit_test(test_flush_gives_up_holes),
        cmocka_unit_test(test_fin_with_tail_missing),
        cmocka_unit_test(test_fin_ahead_of_data_waits),
        cmocka_unit_test(test_acked_hole_is_a_gap),
        cmocka_unit_test(test_acked_hole_stale_after_grace),
        cmocka_unit_test(test_ack_ahead_of_data_is_no_gap),
        cmocka_unit_test(test_acked_tail_gap_at_flush),
        cmocka_unit_test(test_limit_skips_holes),
        cmocka_unit_test(test_snaplen_cut_payload),
        cmocka_unit_test(test_syn_with_data_and_retransmitted_syn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
