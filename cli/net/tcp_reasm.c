/* TCP stream reassembly for one direction; see tcp_reasm.h.
 * RFC 9293 s3.4: the SYN and FIN each occupy one sequence number; data
 * starts at ISN + 1. RFC 1982: serial-number comparison modulo 2^32. */
#include "net/tcp_reasm.h"

#include <stdlib.h>
#include <string.h>

struct reasm_seg {
    struct reasm_seg *next;
    uint64_t off;
    size_t len;
    bool lost;       /* known bytes that were not captured: no data */
    uint8_t data[];  /* len bytes unless lost */
};

void tcp_reasm_init(struct tcp_reasm *r)
{
    memset(r, 0, sizeof *r);
}

void tcp_reasm_start(struct tcp_reasm *r, uint32_t next_seq)
{
    if (r->started)
        return;
    r->started = true;
    r->base_seq = next_seq;
    r->next_off = 0;
}

/* Stream offset of `seq`, relative to the next offset expected: the 32-bit
 * difference is taken as signed (serial arithmetic), so it is right as long
 * as the segment is within 2 GiB of where the stream is. */
static int64_t offset_of(const struct tcp_reasm *r, uint32_t seq)
{
    uint32_t expected = r->base_seq + (uint32_t)r->next_off;
    uint32_t d = seq - expected;
    int64_t rel = d < 0x80000000u ? (int64_t)d : (int64_t)d - 0x100000000LL;
    return (int64_t)r->next_off + rel;
}

/* ---- emitting ---------------------------------------------------------- */

static void emit_data(const struct reasm_emit *e, const uint8_t *data,
                      size_t len, uint64_t off)
{
    if (len > 0 && e->data)
        e->data(e->ctx, data, len, off);
}

static void emit_gap(const struct reasm_emit *e, uint64_t off, uint64_t len)
{
    if (len == 0)
        return;
    e->stats->gaps++;
    e->stats->gap_bytes += len;
    if (e->gap)
        e->gap(e->ctx, off, len);
}

static void emit_conflict(const struct reasm_emit *e, uint64_t off,
                          uint64_t len)
{
    e->stats->conflicts++;
    if (e->conflict)
        e->conflict(e->ctx, off, len);
}

/* Delivers bytes at next_off: data, or a gap for bytes not captured. */
static void deliver(struct tcp_reasm *r, const uint8_t *data, size_t len,
                    const struct reasm_emit *e)
{
    if (data)
        emit_data(e, data, len, r->next_off);
    else
        emit_gap(e, r->next_off, len);
    r->next_off += len;
}

/* ---- the hole list ----------------------------------------------------- */

static size_t seg_cost(const struct reasm_seg *s)
{
    return (s->lost ? 0 : s->len) + REASM_SEG_COST;
}

/* The first held range; NULL: none. */
static struct reasm_seg *first_held(const struct tcp_reasm *r)
{
    return r->held ? r->held->head : NULL;
}

/* Unlinks and frees the first held range (the list goes with the last). */
static void free_first(struct tcp_reasm *r, struct reasm_stats *stats)
{
    struct reasm_held *h = r->held;
    struct reasm_seg *s = h->head;
    h->head = s->next;
    if (h->tail == s)
        h->tail = NULL;
    h->bytes -= (uint32_t)seg_cost(s);
    stats->held_now -= seg_cost(s);
    free(s);
    if (!h->head) {
        free(h);
        r->held = NULL;
    }
}

/* A new held range [off, off+len), copied from `data` (NULL: lost bytes). */
static struct reasm_seg *new_seg(struct tcp_reasm *r, uint64_t off,
                                 const uint8_t *data, size_t len,
                                 struct reasm_stats *stats)
{
    struct reasm_seg *s = malloc(sizeof *s + (data ? len : 0));
    if (!s) {
        stats->alloc_failures++;
        return NULL;
    }
    s->next = NULL;
    s->off = off;
    s->len = len;
    s->lost = data == NULL;
    if (data)
        memcpy(s->data, data, len);
    r->held->bytes += (uint32_t)seg_cost(s);
    stats->held_now += seg_cost(s);
    if (stats->held_now > stats->held_peak)
        stats->held_peak = stats->held_now;
    return s;
}

/* Overlap of new bytes with a held range: first copy wins; report the
 * overlap if both copies have bytes and they differ. */
static void compare_overlap(const struct reasm_seg *s, uint64_t from,
                            uint64_t to, const uint8_t *newdata,
                            const struct reasm_emit *e)
{
    e->stats->dup_bytes += to - from;
    if (s->lost || !newdata)
        return;
    if (memcmp(s->data + (from - s->off), newdata, (size_t)(to - from)) != 0)
        emit_conflict(e, from, to - from);
}

/* Inserts [off, off+len) into the sorted hole list, keeping ranges disjoint:
 * only the parts not already held are added. `data` NULL: lost bytes. */
static void hold(struct tcp_reasm *r, uint64_t off, const uint8_t *data,
                 size_t len, const struct reasm_emit *e)
{
    uint64_t cur = off, end = off + len;
    if (!r->held && (r->held = calloc(1, sizeof *r->held)) == NULL) {
        e->stats->alloc_failures++;
        return; /* becomes a hole, reported as a gap later */
    }
    struct reasm_seg **pp = &r->held->head;
    struct reasm_seg *tail = r->held->tail;
    if (tail && tail->off + tail->len <= off)
        pp = &tail->next; /* the usual case: beyond everything held */
    while (cur < end) {
        while (*pp && (*pp)->off + (*pp)->len <= cur)
            pp = &(*pp)->next;
        struct reasm_seg *s = *pp;
        const uint8_t *piece = data ? data + (cur - off) : NULL;
        if (s && s->off <= cur) {
            uint64_t to = s->off + s->len < end ? s->off + s->len : end;
            compare_overlap(s, cur, to, piece, e);
            cur = to;
            continue;
        }
        uint64_t to = s && s->off < end ? s->off : end;
        struct reasm_seg *n = new_seg(r, cur, piece, (size_t)(to - cur),
                                      e->stats);
        if (!n)
            break; /* becomes a hole, reported as a gap later */
        n->next = s;
        *pp = n;
        pp = &n->next;
        if (!s)
            r->held->tail = n;
        cur = to;
    }
    if (!r->held->head) { /* nothing could be held */
        free(r->held);
        r->held = NULL;
    }
}

/* Delivers held ranges that now start at next_off. */
static void drain(struct tcp_reasm *r, const struct reasm_emit *e)
{
    struct reasm_seg *s;
    while ((s = first_held(r)) != NULL && s->off == r->next_off) {
        deliver(r, s->lost ? NULL : s->data, s->len, e);
        free_first(r, e->stats);
    }
}

/* ---- segments ---------------------------------------------------------- */

/* Takes the bytes [off, off+len) of the stream: drops what was delivered,
 * delivers what is next straight from the packet, holds the rest. */
static void add_range(struct tcp_reasm *r, int64_t off, const uint8_t *data,
                      size_t len, const struct reasm_emit *e)
{
    if (len == 0)
        return;
    int64_t next = (int64_t)r->next_off;
    if (off + (int64_t)len <= next) {
        e->stats->dup_bytes += len;
        return;
    }
    if (off < next) {
        size_t skip = (size_t)(next - off);
        e->stats->dup_bytes += skip;
        if (data)
            data += skip;
        len -= skip;
        off = next;
    }
    uint64_t uoff = (uint64_t)off;
    if (uoff == r->next_off) {
        size_t direct = len;
        const struct reasm_seg *h = first_held(r);
        if (h && h->off - uoff < direct)
            direct = (size_t)(h->off - uoff);
        deliver(r, data, direct, e);
        uoff += direct;
        len -= direct;
        if (data)
            data += direct;
    }
    if (len > 0)
        hold(r, uoff, data, len, e);
    drain(r, e);
}

/* Data past a FIN is ignored (RFC 9293 s3.10.7.4: no data follows FIN). */
static size_t clip_to_fin(const struct tcp_reasm *r, int64_t off, size_t len)
{
    if (!r->fin_seen)
        return len;
    int64_t fin = (int64_t)r->fin_off;
    if (off >= fin)
        return 0;
    return off + (int64_t)len > fin ? (size_t)(fin - off) : len;
}

static void note_fin(struct tcp_reasm *r, int64_t end)
{
    if (r->fin_seen || end < (int64_t)r->next_off)
        return;
    r->fin_seen = true;
    r->fin_off = (uint64_t)end;
    if (r->ack_seen && r->acked_off > r->fin_off)
        r->acked_off = r->fin_off; /* the FIN's own sequence number */
}

/* The FIN takes effect when delivery reaches it (a FIN captured ahead of
 * the data before it waits for that data, like held data). */
static void finish_if_at_fin(struct tcp_reasm *r, const struct reasm_emit *e)
{
    if (!r->fin_seen || r->done || r->next_off < r->fin_off)
        return;
    r->done = true;
    tcp_reasm_release(r, e->stats);
}

/* Bytes the peer acknowledged that were not captured: a gap, and the data
 * held after them delivered. Called when the capture has moved on past the
 * acknowledgment in this direction (see tcp_reasm_segment), so that data
 * merely captured after the peer's ACK (the two directions out of causal
 * order) is not taken for lost. */
static void give_up_acked(struct tcp_reasm *r, const struct reasm_emit *e)
{
    while (r->ack_seen && r->acked_off > r->next_off) {
        const struct reasm_seg *h = first_held(r);
        uint64_t to = h && h->off < r->acked_off ? h->off : r->acked_off;
        emit_gap(e, r->next_off, to - r->next_off);
        r->next_off = to;
        drain(r, e);
    }
    finish_if_at_fin(r, e);
}

/* Is an acknowledged hole waiting (bytes acknowledged, not delivered)? */
static bool ack_ahead(const struct tcp_reasm *r)
{
    return r->ack_seen && r->acked_off > r->next_off;
}

void tcp_reasm_segment(struct tcp_reasm *r, const struct reasm_input *in,
                       const struct reasm_emit *e)
{
    uint32_t seq = in->seq;
    size_t caplen = in->caplen < in->wirelen ? in->caplen : in->wirelen;
    /* An acknowledgment captured before this data segment, of bytes it does
     * not bring: the receiver had them (RFC 9293 s3.10.7.4), so they were
     * sent. Captures put ACKs ahead of the data they acknowledge and swap
     * neighbouring segments, so the bytes are taken for lost when a second
     * data segment comes that delivers nothing (pure ACKs do not count). */
    bool armed = ack_ahead(r) && in->wirelen > 0;
    bool stale = ack_ahead(r) && in->ts_us - r->ack_ahead_us > REASM_ACK_GRACE_US;
    uint64_t before = r->next_off;
    if (in->syn) {
        if (!r->started) {
            r->syn_seen = true;
            tcp_reasm_start(r, seq + 1);
        }
        seq += 1; /* the SYN occupies one sequence number */
    } else if (in->wirelen == 0 && !in->fin) {
        if (stale && !r->done)
            give_up_acked(r, e);
        return; /* a pure ACK */
    }
    if (r->done) {
        e->stats->dup_bytes += in->wirelen;
        return;
    }
    tcp_reasm_start(r, seq);
    int64_t off = offset_of(r, seq);
    if (in->fin)
        note_fin(r, off + (int64_t)in->wirelen);
    size_t wire = clip_to_fin(r, off, in->wirelen);
    size_t cap = caplen < wire ? caplen : wire;
    if (off > (int64_t)r->next_off && wire > 0)
        e->stats->ooo_segments++;
    add_range(r, off, in->data, cap, e);
    add_range(r, off + (int64_t)cap, NULL, wire - cap, e);
    if (stale && ack_ahead(r)) {
        give_up_acked(r, e);
        return;
    }
    if (armed && ack_ahead(r) && r->next_off == before) {
        if (r->ack_waited && r->ack_wait_off == r->next_off) {
            give_up_acked(r, e);
            return;
        }
        r->ack_waited = true;
        r->ack_wait_off = r->next_off;
    }
    finish_if_at_fin(r, e);
}

void tcp_reasm_ack(struct tcp_reasm *r, uint32_t ack, int64_t ts_us,
                   const struct reasm_emit *e)
{
    if (!r->started || r->done)
        return;
    int64_t off = offset_of(r, ack);
    if (off <= (int64_t)r->next_off ||
        (uint64_t)off - r->next_off > REASM_ACK_AHEAD)
        return;
    /* The FIN acknowledged: the receiver has every byte before it. */
    bool fin_acked = r->fin_seen && (uint64_t)off > r->fin_off;
    if (fin_acked)
        off = (int64_t)r->fin_off;
    if (r->ack_seen && (uint64_t)off <= r->acked_off)
        return;
    if (!ack_ahead(r))
        r->ack_ahead_us = ts_us;
    r->ack_seen = true;
    r->acked_off = (uint64_t)off;
    if (fin_acked)
        give_up_acked(r, e);
}

uint64_t tcp_reasm_undelivered(const struct tcp_reasm *r, uint32_t seq, size_t len)
{
    if (!r->started)
        return len;
    int64_t end = offset_of(r, seq) + (int64_t)len;
    if (end <= (int64_t)r->next_off)
        return 0;
    uint64_t past = (uint64_t)(end - (int64_t)r->next_off);
    return past < len ? past : len;
}

bool tcp_reasm_rst_acceptable(const struct tcp_reasm *r, uint32_t seq,
                              uint64_t window)
{
    if (!r->started)
        return true;
    int64_t off = offset_of(r, seq);
    uint64_t lo = r->next_off, hi = r->next_off;
    if (r->ack_seen && r->acked_off < lo)
        lo = r->acked_off;
    if (r->ack_seen && r->acked_off > hi)
        hi = r->acked_off;
    const struct reasm_seg *t = r->held ? r->held->tail : NULL;
    if (t && t->off + t->len > hi)
        hi = t->off + t->len;
    if (r->fin_seen && r->fin_off + 1 > hi)
        hi = r->fin_off + 1;
    return off >= (int64_t)lo && (uint64_t)off <= hi + window;
}

bool tcp_reasm_reset(struct tcp_reasm *r, uint32_t seq,
                     const struct reasm_emit *e)
{
    if (!r->started || r->done) {
        r->done = true;
        return true;
    }
    int64_t off = offset_of(r, seq);
    if (off < (int64_t)r->next_off)
        off = (int64_t)r->next_off;
    note_fin(r, off);
    finish_if_at_fin(r, e);
    return r->done;
}

bool tcp_reasm_lagging(const struct tcp_reasm *r)
{
    return r->held != NULL || (r->ack_seen && r->acked_off > r->next_off);
}

/* ---- giving up holes --------------------------------------------------- */

bool tcp_reasm_skip_hole(struct tcp_reasm *r, const struct reasm_emit *e)
{
    const struct reasm_seg *h = first_held(r);
    if (!h)
        return false;
    emit_gap(e, r->next_off, h->off - r->next_off);
    r->next_off = h->off;
    drain(r, e);
    if (r->fin_seen && r->next_off >= r->fin_off) {
        r->done = true;
        tcp_reasm_release(r, e->stats);
    }
    return true;
}

void tcp_reasm_limit(struct tcp_reasm *r, size_t cap,
                     const struct reasm_emit *e)
{
    while (tcp_reasm_held_bytes(r) > cap && tcp_reasm_skip_hole(r, e))
        ;
}

void tcp_reasm_flush(struct tcp_reasm *r, const struct reasm_emit *e)
{
    while (tcp_reasm_skip_hole(r, e))
        ;
    uint64_t end = r->next_off;
    if (r->fin_seen)
        end = r->fin_off;
    else if (r->ack_seen && r->acked_off > r->next_off + 1)
        end = r->acked_off - 1; /* the last may be a FIN not captured */
    if (end > r->next_off) {
        emit_gap(e, r->next_off, end - r->next_off);
        r->next_off = end;
    }
}

void tcp_reasm_release(struct tcp_reasm *r, struct reasm_stats *stats)
{
    while (r->held)
        free_first(r, stats);
}
