/* Incremental framing of MQTT control packets out of a byte stream.
 *
 * MQTT frames itself: one fixed-header byte, a remaining length of 1 to 4
 * bytes (3.1.1 s2.2.3, 5.0 s1.5.5 / s2.1.4), then that many bytes. The
 * decoder is a push-style state machine:
 *
 *   HEADER  at a frame boundary. When a whole frame lies in the chunk it is
 *           delivered in place (no copy); a header cut by the chunk end waits
 *           in hdr[] (at most 5 bytes, no allocation).
 *   BODY    buf holds the first buf_len bytes of a frame of `want` bytes.
 *   SKIP    the rest of an oversize frame (skip_left bytes) is passed over
 *           without being stored.
 *   RESYNC  framing is lost (a remaining length with a fifth byte, or a gap):
 *           buf is a bounded look-ahead window; `scan` is the candidate
 *           start. Each candidate is examined once, so the work is linear in
 *           the input (times the bounded look-ahead).
 *
 * Every byte of wire data is only copied here; the fixed header is read by
 * mqd_fixed_header_read and candidates are judged by mqd_frame_plausibility.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "mqttdissect/stream.h"
#include "stream_scores.h"

enum stream_state { ST_HEADER, ST_BODY, ST_SKIP, ST_RESYNC };

/* Default for cfg.max_frame. */
#define DEFAULT_MAX_FRAME (1024u * 1024u)
/* A fixed header is at most 5 bytes: type byte and 4 length bytes. */
#define FIXED_HEADER_MAX 5u
/* Resync looks at most this far past a candidate's first byte. */
#define RESYNC_LOOKAHEAD (64u * 1024u)
/* A candidate's first bytes are judged as soon as this many are there. */
#define RESYNC_EARLY 16u
/* First allocation of the buffer, at least (then it doubles, up to what is
 * needed): a partial frame holds what has arrived of it, not what its
 * header announces, so many connections each holding the start of a large
 * frame cost little. Up to BUFFER_FIRST bytes are held inside the decoder
 * itself (stream_priv.small): no allocation at all. */
#define BUFFER_FIRST 16u
/* The size up to which a buffer is kept between frames. */
#define BUFFER_MIN 256u
/* A buffer grown above this for one split frame is released once the frame
 * is delivered, so what the decoders hold is bounded by (directions x
 * BUFFER_MIN) + the frames in flight, however long the capture: keeping
 * each direction's largest frame made memory grow with the capture. */
#define KEEP_BUFFER_MAX BUFFER_MIN

/* Where events go, and whether the allocator refused something. */
typedef struct sink {
    mqd_stream_cb cb;
    void *ctx;
    int rc;
} sink;

/* The decoder's state, in the caller's mqd_stream (MQD_STREAM_SIZE bytes,
 * aligned for 64-bit integers and pointers): only this file sees it. */
typedef struct stream_priv {
    mqd_stream_cfg cfg;
    int state;               /* enum stream_state */
    uint8_t *buf;            /* partial frame / resync window: `small`
                                or from cfg.realloc_fn */
    size_t buf_len, buf_cap;
    uint64_t skip_left;      /* bytes of an oversize frame still to skip */
    uint32_t want;           /* size of the frame being buffered */
    uint8_t hdr[5];          /* a fixed header cut by a chunk end */
    uint8_t hdr_len;
    uint8_t scan_vetted;     /* the candidate's first bytes were judged plausible */
    uint8_t finishing;       /* inside mqd_stream_finish */
    size_t scan;             /* resync candidate, index into buf */
    uint64_t resync_skipped; /* bytes discarded since sync was lost */
    mqd_stream_counts counts;
    uint8_t small[BUFFER_FIRST]; /* the buffer while it needs no more */
} stream_priv;

_Static_assert(sizeof(stream_priv) <= MQD_STREAM_SIZE,
               "MQD_STREAM_SIZE is the ABI: the state must fit in it");
_Static_assert(_Alignof(stream_priv) <= _Alignof(mqd_stream),
               "mqd_stream must be aligned for the state");

static stream_priv *priv(mqd_stream *pub)
{
    return (stream_priv *)(void *)pub->opaque_.bytes;
}

static const stream_priv *priv_const(const mqd_stream *pub)
{
    return (const stream_priv *)(const void *)pub->opaque_.bytes;
}

static void *libc_realloc(void *ctx, void *ptr, size_t size)
{
    (void)ctx;
    if (size == 0) {
        free(ptr);
        return NULL;
    }
    return realloc(ptr, size);
}

static size_t min_size(size_t a, size_t b)
{
    return a < b ? a : b;
}

/* ---- the buffer --------------------------------------------------------- */

/* The buffer never grows beyond one whole frame of max_frame bytes plus a
 * header's worth. */
static size_t frame_buffer_limit(const stream_priv *s)
{
    return (size_t)s->cfg.max_frame + FIXED_HEADER_MAX;
}

/* Makes room for `need` bytes, growing geometrically up to `limit`. */
static bool buf_reserve(stream_priv *s, size_t need, size_t limit)
{
    if (need <= s->buf_cap)
        return true;
    if (need > limit)
        return false;
    if (s->buf_cap == 0 && need <= sizeof s->small) {
        s->buf = s->small;
        s->buf_cap = sizeof s->small;
        return true;
    }
    size_t cap = s->buf_cap ? s->buf_cap * 2 : BUFFER_FIRST;
    if (cap < need)
        cap = need;
    if (cap > limit)
        cap = limit;
    bool small = s->buf == s->small;
    void *p = s->cfg.realloc_fn(s->cfg.alloc_ctx, small ? NULL : s->buf, cap);
    if (p == NULL)
        return false;
    if (small)
        memcpy(p, s->small, sizeof s->small);
    s->buf = p;
    s->buf_cap = cap;
    return true;
}

static void buf_release(stream_priv *s)
{
    if (s->buf != NULL && s->buf != s->small)
        (void)s->cfg.realloc_fn(s->cfg.alloc_ctx, s->buf, 0);
    s->buf = NULL;
    s->buf_cap = 0;
    s->buf_len = 0;
}

/* Puts src[0..n) at the front of the buffer with room for `reserve` bytes,
 * growing at most to `limit`. `own`: src already lies inside the buffer (a
 * suffix of it). */
static bool buf_hold(stream_priv *s, const uint8_t *src, size_t n,
                     size_t reserve, size_t limit, bool own)
{
    if (own) {
        size_t at = (size_t)(src - s->buf);
        if (!buf_reserve(s, reserve, limit))
            return false;
        memmove(s->buf, s->buf + at, n);
    } else {
        if (!buf_reserve(s, reserve, limit))
            return false;
        if (n > 0)
            memcpy(s->buf, src, n);
    }
    s->buf_len = n;
    return true;
}

/* ---- events ------------------------------------------------------------- */

static void emit(sink *k, const mqd_stream_event *ev)
{
    if (k->cb != NULL)
        k->cb(k->ctx, ev);
}

/* `ev` is zeroed but for the frame's fixed header in ev->hdr. (The fast
 * path reads the header straight into the event: copying a header struct
 * just written byte by byte would stall on store forwarding.) */
static void emit_frame_event(stream_priv *s, sink *k, mqd_stream_event *ev,
                             const uint8_t *data, uint32_t size, uint64_t off)
{
    ev->kind = MQD_SE_FRAME;
    ev->data = data;
    ev->len = size;
    ev->offset = off;
    s->counts.frames++;
    emit(k, ev);
}

static void emit_frame(stream_priv *s, sink *k, const uint8_t *data,
                       uint32_t size, uint64_t off)
{
    mqd_stream_event ev;
    memset(&ev, 0, sizeof ev);
    (void)mqd_fixed_header_read(data, size, &ev.hdr);
    emit_frame_event(s, k, &ev, data, size, off);
}

static void emit_error(stream_priv *s, sink *k, mqd_result r, uint64_t off)
{
    mqd_stream_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = MQD_SE_ERROR;
    ev.offset = off;
    ev.err = r;
    s->counts.errors++;
    emit(k, &ev);
}

/* Reports an oversize (or unbufferable) frame and arranges for its `size`
 * bytes to be skipped; `have` are its first bytes, as far as known here. */
static void begin_skip(stream_priv *s, sink *k, const mqd_fixed_header *h,
                       uint32_t size, const uint8_t *have, size_t have_len,
                       uint64_t off)
{
    mqd_stream_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = MQD_SE_OVERSIZE;
    ev.data = have;
    ev.len = (uint32_t)min_size(have_len, size);
    ev.offset = off;
    ev.skipped = size;
    ev.hdr = *h;
    s->counts.oversize++;
    s->skip_left = size;
    s->state = ST_SKIP;
    emit(k, &ev);
}

/* ---- losing and regaining sync ------------------------------------------ */

static size_t resync_lookahead(const stream_priv *s)
{
    return min_size(frame_buffer_limit(s), RESYNC_LOOKAHEAD);
}

/* Twice the look-ahead, so compacting the window discards at least as many
 * bytes as it moves (amortised linear time). */
static size_t resync_window_limit(const stream_priv *s)
{
    return min_size(frame_buffer_limit(s), 2u * RESYNC_LOOKAHEAD);
}

/* Enters RESYNC with an empty window; `dropped` bytes are already lost. */
static void lose_sync(stream_priv *s, uint64_t dropped)
{
    s->state = ST_RESYNC;
    s->buf_len = 0;
    s->scan = 0;
    s->scan_vetted = 0;
    s->hdr_len = 0;
    s->resync_skipped = dropped;
    s->counts.bytes_skipped += dropped;
}

/* Starts the window with src[0..n) (bytes following a broken header). */
static void window_start(stream_priv *s, sink *k, const uint8_t *src, size_t n,
                         bool own)
{
    if (n == 0)
        return;
    if (!buf_hold(s, src, n, n, resync_window_limit(s), own)) {
        k->rc = -1;
        s->resync_skipped += n;
        s->counts.bytes_skipped += n;
        s->buf_len = 0;
    }
}

enum judgement { CANDIDATE_ACCEPT, CANDIDATE_REJECT, CANDIDATE_WAIT };

/* Judges the candidate at s->scan, `avail` bytes of which are in the window
 * and whose header says it is `size` bytes. Its first RESYNC_EARLY bytes are
 * judged as they arrive, so garbage is dropped without waiting
 * for the bytes it claims; a promising candidate is judged again on
 * min(size, look-ahead) bytes. WAIT sets *more to the bytes still needed.
 * Candidates larger than max_frame are refused: a false one would make us
 * skip up to 256 MiB of good data. */
static int judge_candidate(stream_priv *s, size_t avail, uint32_t size,
                           size_t *more)
{
    const uint8_t *at = s->buf + s->scan;
    if (size > s->cfg.max_frame)
        return CANDIDATE_REJECT;
    size_t look = min_size(size, resync_lookahead(s));
    if (avail < look && s->finishing)
        return CANDIDATE_REJECT; /* the bytes it claims will never come */
    if (avail < look) {
        /* Until the early bytes have passed, judge again on every visit
         * (each costs at most RESYNC_EARLY bytes of work). Never ask for
         * more than the look-ahead: with a small max_frame the window is
         * smaller than RESYNC_EARLY. */
        size_t early = min_size(RESYNC_EARLY, look);
        if (!s->scan_vetted) {
            if (mqd_frame_plausibility(at, avail, s->cfg.version) <
                RESYNC_SCORE_PARTIAL)
                return CANDIDATE_REJECT;
            if (avail >= early)
                s->scan_vetted = 1;
        }
        *more = s->scan_vetted ? look - avail : early - avail;
        return CANDIDATE_WAIT;
    }
    if (size > look) /* larger than the look-ahead: its beginning decides */
        return mqd_frame_plausibility(at, look, s->cfg.version) >=
                       RESYNC_SCORE_PARTIAL
                   ? CANDIDATE_ACCEPT
                   : CANDIDATE_REJECT;
    /* The whole frame is here; the byte after it, when there, is evidence
     * too (a plausible next header raises the score). */
    size_t with_next = min_size(avail, (size_t)size + 1u);
    uint32_t whole = 0;
    switch (mqd_stream_boundary(at, with_next, s->cfg.version, s->finishing != 0,
                                &whole)) {
    case MQD_BOUNDARY_YES:
        return CANDIDATE_ACCEPT;
    case MQD_BOUNDARY_WAIT: /* a clean short frame: judged with the next byte */
        *more = 1;
        return CANDIDATE_WAIT;
    default:
        return CANDIDATE_REJECT;
    }
}

/* Examines window candidates from s->scan on. Returns 0 when the candidate
 * at s->scan is accepted, else how many more bytes it needs to be judged. */
static size_t resync_scan(stream_priv *s)
{
    for (;;) {
        size_t avail = s->buf_len - s->scan;
        if (avail == 0)
            return 1;
        mqd_fixed_header h;
        mqd_result r = mqd_fixed_header_read(s->buf + s->scan, avail, &h);
        if (r.status == MQD_NEED_MORE)
            return 1;
        if (r.status == MQD_OK) {
            size_t more = 0;
            int j = judge_candidate(s, avail, r.size, &more);
            if (j == CANDIDATE_ACCEPT)
                return 0;
            if (j == CANDIDATE_WAIT)
                return more;
        }
        s->scan++;
        s->scan_vetted = 0;
        s->resync_skipped++;
        s->counts.bytes_skipped++;
    }
}

/* Room for `take` more window bytes: drops the rejected prefix when the
 * window would outgrow its limit. */
static bool window_make_room(stream_priv *s, size_t take)
{
    if (s->buf_len + take > resync_window_limit(s) && s->scan > 0) {
        memmove(s->buf, s->buf + s->scan, s->buf_len - s->scan);
        s->buf_len -= s->scan;
        s->scan = 0;
    }
    return buf_reserve(s, s->buf_len + take, resync_window_limit(s));
}

static size_t consume(stream_priv *s, sink *k, const uint8_t *src, size_t n,
                      uint64_t src_off, bool own);

/* The candidate at s->scan is accepted: report it and frame the window's
 * bytes from there on. */
static void resync_accept(stream_priv *s, sink *k)
{
    size_t from = s->scan, n = s->buf_len - s->scan;
    uint64_t off = s->counts.offset - n;
    mqd_stream_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = MQD_SE_RESYNC;
    ev.offset = off;
    ev.skipped = s->resync_skipped;
    s->counts.resyncs++;
    s->resync_skipped = 0;
    s->state = ST_HEADER;
    s->scan = 0;
    s->scan_vetted = 0;
    s->buf_len = 0;
    emit(k, &ev);
    (void)consume(s, k, s->buf + from, n, off, true);
    /* A window no longer needed goes, as a big frame's buffer does. */
    if ((s->state == ST_HEADER || s->state == ST_SKIP) &&
        s->buf_cap > KEEP_BUFFER_MAX)
        buf_release(s);
}

/* RESYNC with data[0..len): takes bytes into the window only as candidates
 * need them. Returns the bytes used; *accepted tells whether framing
 * resumed (otherwise all of data was used). */
static size_t resync_feed(stream_priv *s, sink *k, const uint8_t *data,
                          size_t len, bool *accepted)
{
    size_t used = 0;
    for (;;) {
        size_t want = resync_scan(s);
        if (want == 0) {
            *accepted = true;
            resync_accept(s, k);
            return used;
        }
        if (used == len) {
            *accepted = false;
            return used;
        }
        size_t take = min_size(want, len - used);
        if (window_make_room(s, take)) {
            memcpy(s->buf + s->buf_len, data + used, take);
            s->buf_len += take;
        } else {
            /* No memory for a window: what we hold and these bytes are lost. */
            k->rc = -1;
            uint64_t dropped = (uint64_t)(s->buf_len - s->scan) + take;
            s->resync_skipped += dropped;
            s->counts.bytes_skipped += dropped;
            s->buf_len = 0;
            s->scan = 0;
            s->scan_vetted = 0;
        }
        used += take;
        s->counts.offset += take;
    }
}

/* ---- framing ------------------------------------------------------------ */

static size_t skip_bytes(stream_priv *s, size_t n)
{
    size_t take = (size_t)(s->skip_left < n ? s->skip_left : n);
    s->skip_left -= take;
    s->counts.bytes_skipped += take;
    if (s->skip_left == 0)
        s->state = ST_HEADER;
    return take;
}

/* BODY: the partial frame is given up (no memory to grow it, or
 * mqd_stream_shed): the rest of it is skipped, framing is kept. `report`:
 * an OVERSIZE event says so (the allocator refused). */
static void abandon_frame(stream_priv *s, sink *k, uint64_t frame_off,
                          bool report)
{
    size_t held = s->buf_len;
    if (report) {
        mqd_fixed_header h;
        (void)mqd_fixed_header_read(s->buf, held, &h);
        begin_skip(s, k, &h, s->want, s->buf, held, frame_off);
    } else {
        s->state = ST_SKIP;
    }
    s->skip_left = (uint64_t)s->want - held;
    s->counts.bytes_skipped += held;
    s->buf_len = 0;
    if (s->buf_cap > KEEP_BUFFER_MAX || !report)
        buf_release(s);
}

/* BODY: appends to the partial frame; delivers it when complete. */
static size_t body_bytes(stream_priv *s, sink *k, const uint8_t *src, size_t n,
                         uint64_t src_off)
{
    size_t take = min_size((size_t)s->want - s->buf_len, n);
    if (!buf_reserve(s, s->buf_len + take, s->want)) {
        k->rc = -1; /* the allocator refused */
        abandon_frame(s, k, src_off - s->buf_len, true);
        return 0; /* SKIP passes over the bytes */
    }
    memcpy(s->buf + s->buf_len, src, take);
    s->buf_len += take;
    if (s->buf_len < s->want)
        return take;
    s->state = ST_HEADER;
    s->buf_len = 0;
    emit_frame(s, k, s->buf, s->want, src_off + take - s->want);
    if (s->buf_cap > KEEP_BUFFER_MAX)
        buf_release(s);
    return take;
}

/* HEADER with the first bytes of a header in hdr[]: completes it one byte
 * at a time (it is at most 5 bytes). */
static size_t header_bytes(stream_priv *s, sink *k, const uint8_t *src,
                           size_t n, uint64_t src_off)
{
    size_t used = 0;
    while (used < n && s->hdr_len < FIXED_HEADER_MAX) {
        s->hdr[s->hdr_len++] = src[used++];
        mqd_fixed_header h;
        mqd_result r = mqd_fixed_header_read(s->hdr, s->hdr_len, &h);
        if (r.status == MQD_NEED_MORE && s->hdr_len < FIXED_HEADER_MAX)
            continue;
        size_t hlen = s->hdr_len;
        uint64_t start = src_off + used - hlen;
        if (r.status != MQD_OK) {
            emit_error(s, k, r, start);
            lose_sync(s, 1);
            window_start(s, k, s->hdr + 1, hlen - 1, false);
            return used;
        }
        s->hdr_len = 0;
        if (r.size == hlen && r.size <= s->cfg.max_frame) {
            emit_frame(s, k, s->hdr, r.size, start);
        } else if (r.size <= s->cfg.max_frame &&
                   buf_hold(s, s->hdr, hlen, hlen, r.size, false)) {
            s->want = r.size;
            s->state = ST_BODY;
        } else {
            if (r.size <= s->cfg.max_frame)
                k->rc = -1; /* the allocator refused */
            begin_skip(s, k, &h, r.size, s->hdr, hlen, start);
            s->skip_left -= hlen;
            s->counts.bytes_skipped += hlen;
            if (s->skip_left == 0)
                s->state = ST_HEADER;
        }
        return used;
    }
    return used;
}

/* HEADER at a boundary: the fast path. A whole frame inside src is delivered
 * in place; a cut one is kept. Returns the bytes used. */
static size_t frame_at(stream_priv *s, sink *k, const uint8_t *at,
                       size_t avail, uint64_t off, bool own)
{
    mqd_stream_event ev;
    memset(&ev, 0, sizeof ev);
    mqd_result r = mqd_fixed_header_read(at, avail, &ev.hdr);
    if (r.status == MQD_NEED_MORE && avail < FIXED_HEADER_MAX) {
        memcpy(s->hdr, at, avail);
        s->hdr_len = (uint8_t)avail;
        return avail;
    }
    if (r.status != MQD_OK) {
        /* A remaining length with a fifth byte: no boundary can be trusted
         * after it (5.0 s1.5.5: at most four bytes). */
        emit_error(s, k, r, off);
        lose_sync(s, 1);
        if (!own)
            return 1;
        window_start(s, k, at + 1, avail - 1, true);
        return avail;
    }
    if (r.size <= avail && r.size <= s->cfg.max_frame) {
        emit_frame_event(s, k, &ev, at, r.size, off);
        return r.size;
    }
    if (r.size <= s->cfg.max_frame &&
        buf_hold(s, at, avail, avail, r.size, own)) {
        s->want = r.size;
        s->state = ST_BODY;
        return avail;
    }
    if (r.size <= s->cfg.max_frame)
        k->rc = -1; /* the allocator refused */
    begin_skip(s, k, &ev.hdr, r.size, at, avail, off);
    return 0; /* SKIP passes over the bytes */
}

/* Frames src[0..n), which starts at stream offset src_off. `own`: src lies in
 * s->buf (the rest of a resync window). Stops early only when sync is lost;
 * returns the bytes used. */
static size_t consume(stream_priv *s, sink *k, const uint8_t *src, size_t n,
                      uint64_t src_off, bool own)
{
    size_t p = 0;
    while (p < n && s->state != ST_RESYNC) {
        if (s->state == ST_SKIP)
            p += skip_bytes(s, n - p);
        else if (s->state == ST_BODY)
            p += body_bytes(s, k, src + p, n - p, src_off + p);
        else if (s->hdr_len > 0)
            p += header_bytes(s, k, src + p, n - p, src_off + p);
        else
            p += frame_at(s, k, src + p, n - p, src_off + p, own);
    }
    return p;
}

/* ---- public API --------------------------------------------------------- */

void mqd_stream_init(mqd_stream *pub, const mqd_stream_cfg *cfg)
{
    memset(pub, 0, sizeof *pub);
    stream_priv *s = priv(pub);
    if (cfg != NULL)
        s->cfg = *cfg;
    if (s->cfg.max_frame == 0)
        s->cfg.max_frame = DEFAULT_MAX_FRAME;
    if (s->cfg.max_frame > MQD_MAX_REMAINING_LENGTH + FIXED_HEADER_MAX)
        s->cfg.max_frame = MQD_MAX_REMAINING_LENGTH + FIXED_HEADER_MAX;
    if (s->cfg.realloc_fn == NULL)
        s->cfg.realloc_fn = libc_realloc;
    s->state = ST_HEADER;
}

void mqd_stream_free(mqd_stream *pub)
{
    stream_priv *s = priv(pub);
    buf_release(s);
    s->state = ST_HEADER;
    s->hdr_len = 0;
    s->scan = 0;
    s->skip_left = 0;
}

int mqd_stream_feed(mqd_stream *pub, const uint8_t *data, size_t len,
                    mqd_stream_cb cb, void *ctx)
{
    stream_priv *s = priv(pub);
    sink k = {cb, ctx, 0};
    size_t pos = 0;
    if (data == NULL || len == 0)
        return 0;
    for (;;) {
        if (s->state == ST_RESYNC) {
            bool accepted = false;
            pos += resync_feed(s, &k, data + pos, len - pos, &accepted);
            if (!accepted)
                break;
            continue;
        }
        if (pos == len)
            break;
        size_t used = consume(s, &k, data + pos, len - pos, s->counts.offset, false);
        s->counts.offset += used;
        pos += used;
    }
    return k.rc;
}

int mqd_stream_finish(mqd_stream *pub, mqd_stream_cb cb, void *ctx)
{
    stream_priv *s = priv(pub);
    sink k = {cb, ctx, 0};
    s->finishing = 1;
    /* Each round accepts a candidate (and frames what follows it, which may
     * lose sync again further on) or rejects every candidate left. */
    while (s->state == ST_RESYNC && resync_scan(s) == 0)
        resync_accept(s, &k);
    s->finishing = 0;
    return k.rc;
}

void mqd_stream_resync(mqd_stream *pub)
{
    stream_priv *s = priv(pub);
    if (s->state == ST_RESYNC)
        return;
    uint64_t dropped = s->state == ST_BODY ? s->buf_len
                       : s->state == ST_HEADER ? s->hdr_len
                       : 0;
    s->skip_left = 0;
    lose_sync(s, dropped);
}

void mqd_stream_skip(mqd_stream *pub, uint64_t n)
{
    stream_priv *s = priv(pub);
    s->counts.offset += n;
}

void mqd_stream_gap(mqd_stream *pub, uint64_t missing)
{
    stream_priv *s = priv(pub);
    if (missing == 0)
        return;
    s->counts.offset += missing;
    uint64_t dropped = 0;
    switch (s->state) {
    case ST_SKIP:
        /* The gap lies inside the frame being skipped: its end is known. */
        if (missing <= s->skip_left) {
            s->skip_left -= missing;
            if (s->skip_left == 0)
                s->state = ST_HEADER;
            return;
        }
        s->skip_left = 0;
        break;
    case ST_HEADER:
        dropped = s->hdr_len;
        break;
    case ST_BODY:
        /* The gap lies inside a frame whose length is known: that frame is
         * lost, the framing is not (no resynchronisation needed). */
        if (missing <= s->want - s->buf_len) {
            s->skip_left = s->want - s->buf_len - missing;
            s->counts.bytes_skipped += s->buf_len;
            s->buf_len = 0;
            s->state = s->skip_left ? ST_SKIP : ST_HEADER;
            if (s->buf_cap > KEEP_BUFFER_MAX)
                buf_release(s);
            return;
        }
        dropped = s->buf_len;
        break;
    case ST_RESYNC:
        dropped = s->buf_len - s->scan;
        s->resync_skipped += dropped;
        s->counts.bytes_skipped += dropped;
        s->buf_len = 0;
        s->scan = 0;
        s->scan_vetted = 0;
        return;
    default:
        break;
    }
    lose_sync(s, dropped);
}

size_t mqd_stream_shed(mqd_stream *pub)
{
    stream_priv *s = priv(pub);
    size_t dropped = 0;
    if (s->state == ST_BODY) {
        dropped = s->buf_len;
        abandon_frame(s, NULL, 0, false);
        return dropped;
    }
    if (s->state == ST_RESYNC) {
        dropped = s->buf_len - s->scan;
        s->resync_skipped += dropped;
        s->counts.bytes_skipped += dropped;
        s->scan = 0;
        s->scan_vetted = 0;
    }
    buf_release(s);
    return dropped;
}

bool mqd_stream_at_boundary(const mqd_stream *pub)
{
    const stream_priv *s = priv_const(pub);
    return s->state == ST_HEADER && s->hdr_len == 0;
}

size_t mqd_stream_pending(const mqd_stream *pub)
{
    const stream_priv *s = priv_const(pub);
    switch (s->state) {
    case ST_HEADER:
        return s->hdr_len;
    case ST_BODY:
        return s->buf_len;
    case ST_RESYNC:
        return s->buf_len - s->scan;
    default:
        return 0;
    }
}

void mqd_stream_set_version(mqd_stream *pub, uint8_t version)
{
    stream_priv *s = priv(pub);
    s->cfg.version = version;
}

uint64_t mqd_stream_offset(const mqd_stream *pub)
{
    return priv_const(pub)->counts.offset;
}

mqd_stream_counts mqd_stream_get_counts(const mqd_stream *pub)
{
    return priv_const(pub)->counts;
}
