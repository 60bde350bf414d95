/* The flow table's callbacks on a second thread; see flow_events.h.
 *
 * The producer (the flow table's thread) records each callback into the
 * chunk it fills; full chunks go to the consumer thread in order, which
 * replays them into the consumer sink and gives them back. A chunk holds
 * records: a header, then the event and the bytes it carries, padded to 8.
 */
#include "flow_events.h"

#include "util/thread_heap.h"

#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define NCHUNKS 4
#define CHUNK_BYTES ((size_t)128 << 10)

enum ev_kind { EV_OPEN, EV_DATA, EV_GAP, EV_CONFLICT, EV_CLOSE, EV_UDP, EV_NOTE };

/* 48 bytes: most events are DATA, a few hundred bytes of stream each. */
struct ev {
    uint8_t kind;
    uint8_t dir;               /* CLOSE: the stand-in was staged (its
                                  allocation starts staged_prefix before it) */
    bool peer_holding;         /* DATA: the other direction holds data back */
    uint8_t reason;            /* CLOSE: enum flow_close_reason */
    uint32_t size;             /* the whole record, a multiple of 8 */
    struct flow_conn *conn;    /* the stand-in (not EV_UDP) */
    struct pkt_info pkt;
    uint64_t offset, len;      /* DATA: stream offset and byte count (they
                                  follow); GAP, CONFLICT: as the table said;
                                  UDP: bytes after the struct udp_ev;
                                  NOTE: the note's bytes, after it */
};

/* What follows an EV_UDP header, before the datagram's bytes. */
struct udp_ev {
    struct pkt_endpoint src, dst;
    uint64_t wirelen;
};

/* Each on a cache line of its own: the producer writes the one it fills
 * while the consumer reads another. */
struct chunk {
    _Alignas(64) uint8_t *data;
    size_t len, cap;
};

/* What one thread writes often is kept off the lines the other reads. */
struct flow_events {
    struct flow_sink consumer;  /* read by the consumer */
    struct flow_sink producer;
    size_t app_size;            /* the consumer's bytes after a stand-in */
    int spin_limit;             /* pauses each side watches before sleeping */
    pthread_t thread;
    _Alignas(64) pthread_mutex_t mu;
    pthread_cond_t handed;      /* a chunk was handed over, or quit set */
    pthread_cond_t given_back;  /* the producer's wait is over */
    unsigned filled, delivered; /* chunks handed over / replayed so far */
    unsigned wake_at;           /* the producer waits for filled - delivered
                                   to fall to this */
    bool producer_waits;
    bool quit;
    _Alignas(64) struct chunk *cur; /* the producer's: being filled; NULL: none */
    struct flow_stage stage;        /* claim NULL: none */
    size_t staged_prefix;           /* a staged stand-in's bytes before it */
    struct chunk chunk[NCHUNKS];
};

/* A stand-in is written by the consumer and allocated by the producer, next
 * to the flow table's own entries. A flow_conn is one cache line; aligning
 * each to one cost more memory than the rare line shared with a neighbour
 * costs time (each aligned_alloc wasted about 120 bytes: 11 MB for 100,000
 * open connections; no difference in time measured on the 50 MB capture). */
#define STANDIN_SIZE sizeof(struct flow_conn)
_Static_assert(sizeof(struct flow_conn) % _Alignof(max_align_t) == 0,
               "the consumer's bytes after a stand-in are aligned");

/* A connection a flow_stage claimed: its memory holds, before the
 * stand-in, a line of the producer's (struct stage_slot) then the stage's
 * state, each line apart from what the consumer writes; the table's `app`
 * points to the stand-in with its lowest bit set (a stand-in is aligned:
 * the bit is free). Other connections cost a test of that bit. */
#define STAGED_BIT ((uintptr_t)1)
#define LINE ((size_t)64)

struct stage_slot {
    bool pass_bytes; /* the consumer gets the next bytes too */
};

static size_t round_line(size_t n)
{
    return (n + LINE - 1) / LINE * LINE;
}

static struct flow_conn *standin_of(const struct flow_conn *c)
{
    return (struct flow_conn *)((uintptr_t)c->app & ~STAGED_BIT);
}

static bool staged(const struct flow_conn *c)
{
    return ((uintptr_t)c->app & STAGED_BIT) != 0;
}

/* c staged: the slot, and the state on the lines after it. */
static struct stage_slot *slot_of(const struct flow_events *fe, const struct flow_conn *c)
{
    return (struct stage_slot *)(void *)((unsigned char *)standin_of(c) - fe->staged_prefix);
}

static void *state_of(struct stage_slot *slot)
{
    return (unsigned char *)slot + LINE;
}

/* ---- producer side ---- */

static size_t pad8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

/* With fe->mu held: waits until at most `pending` chunks wait to be
 * replayed. */
static void wait_for_consumer(struct flow_events *fe, unsigned pending)
{
    fe->wake_at = pending;
    while (fe->filled - fe->delivered > pending) {
        fe->producer_waits = true;
        pthread_cond_wait(&fe->given_back, &fe->mu);
    }
    fe->producer_waits = false;
}

/* One turn of a thread's watch for the other (spin_for_room,
 * spin_for_chunk). */
static inline void relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* The producer's watch for a chunk given back (next_chunk). */
static void spin_for_room(struct flow_events *fe)
{
    unsigned filled = fe->filled; /* only the producer changes it */
    for (int i = 0; i < fe->spin_limit; i++) {
        if (filled - __atomic_load_n(&fe->delivered, __ATOMIC_ACQUIRE) < NCHUNKS)
            return;
        relax();
    }
}

/* Waits for the next chunk to be free (replayed NCHUNKS ago): first by
 * watching for it a while, as the consumer watches for chunks
 * (spin_for_chunk), then asleep until half of them are free: a wake-up
 * per chunk (a system call on the consumer's side, an interrupt to the
 * other CPU, several microseconds in a virtual machine) was a few percent
 * of the consumer's time when it is the slower side, as when it decrypts
 * TLS. Sleeping was dearer still: on the benchmark's TLS capture the
 * reading thread slept 1 to 11 times a run for 2 to 13 ms in all, most of
 * it waking up (a chunk is replayed in about 0.1 ms). */
static struct chunk *next_chunk(struct flow_events *fe)
{
    spin_for_room(fe);
    pthread_mutex_lock(&fe->mu);
    if (fe->filled - fe->delivered >= NCHUNKS)
        wait_for_consumer(fe, NCHUNKS / 2);
    pthread_mutex_unlock(&fe->mu);
    struct chunk *k = &fe->chunk[fe->filled % NCHUNKS];
    k->len = 0;
    if (k->cap > 4 * CHUNK_BYTES) { /* grown for one large event */
        free(k->data);
        k->data = NULL;
        k->cap = 0;
    }
    return k;
}

static void hand_over(struct flow_events *fe)
{
    if (!fe->cur || fe->cur->len == 0)
        return;
    pthread_mutex_lock(&fe->mu);
    __atomic_store_n(&fe->filled, fe->filled + 1, __ATOMIC_RELEASE);
    pthread_cond_signal(&fe->handed);
    pthread_mutex_unlock(&fe->mu);
    fe->cur = NULL;
}

/* Room for n bytes in the current chunk; false when out of memory (the
 * event is lost then; nothing else is). */
static bool room(struct flow_events *fe, size_t n)
{
    if (fe->cur && fe->cur->cap - fe->cur->len < n && fe->cur->len > 0)
        hand_over(fe);
    if (!fe->cur)
        fe->cur = next_chunk(fe);
    struct chunk *k = fe->cur;
    if (k->cap - k->len >= n)
        return true;
    size_t cap = k->cap ? k->cap : CHUNK_BYTES;
    while (cap - k->len < n)
        cap *= 2;
    uint8_t *d = realloc(k->data, cap);
    if (!d)
        return false;
    k->data = d;
    k->cap = cap;
    return true;
}

/* Records e, then `extra` (nextra bytes), then the payload bytes. */
static void record(struct flow_events *fe, struct ev *e, const void *extra,
                   size_t nextra, const uint8_t *bytes, size_t nbytes)
{
    size_t size = pad8(sizeof *e + nextra + nbytes);
    if (size > UINT32_MAX || !room(fe, size))
        return;
    e->size = (uint32_t)size;
    uint8_t *w = fe->cur->data + fe->cur->len;
    memcpy(w, e, sizeof *e);
    if (nextra)
        memcpy(w + sizeof *e, extra, nextra);
    if (nbytes)
        memcpy(w + sizeof *e + nextra, bytes, nbytes);
    fe->cur->len += size;
    if (fe->cur->len >= CHUNK_BYTES)
        hand_over(fe);
}

static struct ev event_of(enum ev_kind kind, struct flow_conn *c,
                          const struct pkt_info *pkt)
{
    struct ev e;
    memset(&e, 0, sizeof e);
    e.kind = (uint8_t)kind;
    e.conn = c ? standin_of(c) : NULL;
    if (pkt)
        e.pkt = *pkt;
    return e;
}

/* The stand-in; staged: with the slot and the stage's state before it. */
static struct flow_conn *new_standin(const struct flow_events *fe, bool staged)
{
    size_t prefix = staged ? fe->staged_prefix : 0;
    size_t size = prefix + STANDIN_SIZE + fe->app_size;
    unsigned char *mem = staged ? aligned_alloc(LINE, round_line(size)) : malloc(size);
    if (!mem)
        return NULL;
    memset(mem, 0, size);
    struct flow_conn *standin = (struct flow_conn *)(void *)(mem + prefix);
    if (staged) {
        ((struct stage_slot *)(void *)mem)->pass_bytes = true;
        fe->stage.init(fe->stage.ctx, state_of((struct stage_slot *)(void *)mem));
        standin->flags = FLOW_STAGED;
    }
    if (fe->app_size)
        standin->app = (unsigned char *)standin + STANDIN_SIZE;
    return standin;
}

static void rec_open(void *ctx, struct flow_conn *c, const struct pkt_info *pkt)
{
    struct flow_events *fe = ctx;
    bool staged = fe->stage.claim && fe->stage.claim(fe->stage.ctx, c);
    struct flow_conn *standin = new_standin(fe, staged);
    c->app = standin;
    if (!standin)
        return; /* this connection's events are dropped */
    if (staged)
        c->app = (void *)((uintptr_t)standin | STAGED_BIT);
    standin->number = c->number;
    standin->key = c->key;
    standin->flags |= c->flags;
    struct ev e = event_of(EV_OPEN, c, pkt);
    record(fe, &e, NULL, 0, NULL, 0);
}

/* The table found c's segment of dir: a staged connection's lines asked
 * for while it reassembles. */
static void rec_lookup(void *ctx, struct flow_conn *c, int dir)
{
    struct flow_events *fe = ctx;
    if (!staged(c))
        return;
    struct stage_slot *slot = slot_of(fe, c);
    __builtin_prefetch(slot);
    if (fe->stage.prefetch)
        fe->stage.prefetch(state_of(slot), dir);
}

/* What a stage's data() and gap() are given to send notes with: the
 * connection they are about and the packet of the bytes. */
struct note_to {
    struct flow_events *fe;
    struct flow_conn *c;
    const struct pkt_info *pkt;
};

static void rec_note(void *ctx, int dir, const void *head, size_t nhead,
                     const uint8_t *bytes, size_t nbytes)
{
    const struct note_to *to = ctx;
    struct ev e = event_of(EV_NOTE, to->c, to->pkt);
    e.dir = (uint8_t)dir;
    e.len = nhead + nbytes;
    record(to->fe, &e, head, nhead, bytes, nbytes);
}

/* A range of a direction's stream: data (its bytes follow), a gap or a
 * conflict (data NULL). */
static void rec_range(void *ctx, enum ev_kind kind, struct flow_conn *c, int dir,
                      uint64_t offset, uint64_t len, const uint8_t *data,
                      const struct pkt_info *pkt)
{
    if (!c->app)
        return;
    struct ev e = event_of(kind, c, pkt);
    e.dir = (uint8_t)dir;
    e.offset = offset;
    e.len = len;
    e.peer_holding = c->holding[1 - dir];
    record(ctx, &e, NULL, 0, data, data ? (size_t)len : 0);
}

static void rec_data(void *ctx, struct flow_conn *c, int dir, const uint8_t *data,
                     size_t len, uint64_t offset, const struct pkt_info *pkt)
{
    struct flow_events *fe = ctx;
    if (!staged(c)) {
        rec_range(ctx, EV_DATA, c, dir, offset, len, data, pkt);
        return;
    }
    /* The bytes the consumer still wants go first: what the stage makes
     * of them comes after them, as it would on the consumer's thread. */
    struct stage_slot *slot = slot_of(fe, c);
    if (slot->pass_bytes)
        rec_range(ctx, EV_DATA, c, dir, offset, len, data, pkt);
    struct note_to to = {fe, c, pkt};
    slot->pass_bytes = fe->stage.data(state_of(slot), dir, data, len, rec_note, &to);
}

static void rec_gap(void *ctx, struct flow_conn *c, int dir, uint64_t offset,
                    uint64_t len, const struct pkt_info *pkt)
{
    struct flow_events *fe = ctx;
    rec_range(ctx, EV_GAP, c, dir, offset, len, NULL, pkt);
    if (staged(c)) {
        struct note_to to = {fe, c, pkt};
        fe->stage.gap(state_of(slot_of(fe, c)), dir, len, rec_note, &to);
    }
}

static void rec_conflict(void *ctx, struct flow_conn *c, int dir, uint64_t offset,
                         uint64_t len, const struct pkt_info *pkt)
{
    rec_range(ctx, EV_CONFLICT, c, dir, offset, len, NULL, pkt);
}

static void rec_close(void *ctx, struct flow_conn *c, enum flow_close_reason reason,
                      const struct pkt_info *pkt)
{
    if (!c->app)
        return;
    struct flow_events *fe = ctx;
    bool was_staged = staged(c);
    if (was_staged)
        fe->stage.fini(state_of(slot_of(fe, c)));
    struct ev e = event_of(EV_CLOSE, c, pkt);
    e.reason = (uint8_t)reason;
    e.dir = was_staged;
    c->app = NULL; /* the consumer frees the stand-in */
    record(ctx, &e, NULL, 0, NULL, 0);
}

static void rec_udp(void *ctx, const struct pkt_endpoint *src,
                    const struct pkt_endpoint *dst, const uint8_t *data,
                    size_t len, size_t wirelen, const struct pkt_info *pkt)
{
    struct ev e = event_of(EV_UDP, NULL, pkt);
    struct udp_ev u = {*src, *dst, wirelen};
    e.len = len;
    record(ctx, &e, &u, sizeof u, data, len);
}

/* ---- consumer side ---- */

static void replay(const struct flow_sink *s, const struct ev *e, const uint8_t *bytes,
                   size_t staged_prefix)
{
    struct flow_conn *c = e->conn;
    switch (e->kind) {
    case EV_OPEN:
        if (s->on_open)
            s->on_open(s->ctx, c, &e->pkt);
        break;
    case EV_DATA:
        c->holding[1 - e->dir] = e->peer_holding;
        if (s->on_data)
            s->on_data(s->ctx, c, e->dir, bytes, (size_t)e->len, e->offset, &e->pkt);
        break;
    case EV_GAP:
        if (s->on_gap)
            s->on_gap(s->ctx, c, e->dir, e->offset, e->len, &e->pkt);
        break;
    case EV_CONFLICT:
        if (s->on_conflict)
            s->on_conflict(s->ctx, c, e->dir, e->offset, e->len, &e->pkt);
        break;
    case EV_CLOSE:
        c->flags |= FLOW_CLOSED;
        if (s->on_close)
            s->on_close(s->ctx, c, (enum flow_close_reason)e->reason, &e->pkt);
        free((unsigned char *)c - (e->dir ? staged_prefix : 0));
        break;
    case EV_NOTE:
        if (s->on_note)
            s->on_note(s->ctx, c, e->dir, bytes, (size_t)e->len, &e->pkt);
        break;
    case EV_UDP: {
        struct udp_ev u;
        memcpy(&u, bytes, sizeof u);
        if (s->on_udp)
            s->on_udp(s->ctx, &u.src, &u.dst, bytes + sizeof u, (size_t)e->len,
                      (size_t)u.wirelen, &e->pkt);
        break;
    }
    default:
        break;
    }
}

/* Looks PREFETCH_NEAR events ahead to have the consumer prefetch the state
 * of the connection (its on_lookup), and PREFETCH_FAR ahead to bring in the
 * stand-in that on_lookup reads: with thousands of connections, their
 * state is rarely in cache, and here the order of what comes is known. */
#define PREFETCH_NEAR 2
#define PREFETCH_FAR 6

/* The event at k->data + at into *e; false past the last one. */
static bool event_at(const struct chunk *k, size_t at, struct ev *e)
{
    if (at + sizeof *e > k->len)
        return false;
    memcpy(e, k->data + at, sizeof *e);
    return true;
}

/* The offset `count` events after `at` (or the chunk's end). */
static size_t events_after(const struct chunk *k, size_t at, unsigned count)
{
    struct ev e;
    while (count-- > 0 && event_at(k, at, &e))
        at += e.size;
    return at;
}

/* Bytes for a connection: what on_lookup prepares for. */
static bool has_bytes(const struct ev *e)
{
    return e->kind == EV_DATA || e->kind == EV_NOTE;
}

static void replay_chunk(const struct flow_sink *s, const struct chunk *k,
                         size_t staged_prefix)
{
    size_t next = events_after(k, 0, 1);
    size_t near = events_after(k, 0, PREFETCH_NEAR);
    size_t far = events_after(k, 0, PREFETCH_FAR);
    struct ev e;
    for (size_t at = 0; event_at(k, at, &e); at += e.size) {
        struct ev ahead;
        if (event_at(k, far, &ahead)) {
            if (ahead.conn)
                __builtin_prefetch(ahead.conn);
            far += ahead.size;
        }
        if (event_at(k, near, &ahead)) {
            if (s->on_lookup && has_bytes(&ahead) && ahead.conn->app)
                s->on_lookup(s->ctx, ahead.conn, ahead.dir);
            near += ahead.size;
        }
        if (event_at(k, next, &ahead)) {
            if (s->on_lookup_next && has_bytes(&ahead) && ahead.conn->app)
                s->on_lookup_next(s->ctx, ahead.conn, ahead.dir);
            next += ahead.size;
        }
        replay(s, &e, k->data + at + sizeof e, staged_prefix);
    }
}

/* Before sleeping, the consumer watches for the next chunk a little while:
 * it usually comes within microseconds, and a sleep and wake-up per chunk
 * cost more than the wait. 20,000 pauses are 0.5 ms on the benchmark's
 * machine. Reading a file, longer (steady_input): a sleeping thread there
 * took a millisecond or more to wake (an idle virtual CPU), and once one
 * slept the two often fell into turns of sleeping and waking each other
 * (-q on the 50 MB capture: 9 to 16 sleeps of the consumer and 11 to 17
 * of the producer in its slow runs, 0.057 to 0.077 s against 0.042 to
 * 0.049; watching ten times longer, the median of 101 interleaved rounds
 * went down 8 %, 95 % interval 2 to 11 %, for the same CPU time). Live,
 * the short watch: a quiet link must not keep a CPU busy. */
#define SPIN_LIMIT 20000
#define SPIN_LIMIT_STEADY 200000

static void spin_for_chunk(struct flow_events *fe)
{
    unsigned delivered = fe->delivered; /* only the consumer changes it */
    for (int i = 0; i < fe->spin_limit; i++) {
        if (__atomic_load_n(&fe->filled, __ATOMIC_ACQUIRE) != delivered ||
            __atomic_load_n(&fe->quit, __ATOMIC_ACQUIRE))
            return;
        relax();
    }
}

static void *consumer_main(void *arg)
{
    struct flow_events *fe = arg;
    /* The connections' state (the decoders', the analysis', TLS's) lives
     * in this thread's heap; 16 MiB covers 2000 TLS connections. */
    thread_heap_reserve((size_t)16 << 20);
    pthread_mutex_lock(&fe->mu);
    for (;;) {
        if (fe->filled == fe->delivered) {
            if (fe->quit)
                break;
            pthread_mutex_unlock(&fe->mu);
            spin_for_chunk(fe);
            pthread_mutex_lock(&fe->mu);
            if (fe->filled == fe->delivered && !fe->quit)
                pthread_cond_wait(&fe->handed, &fe->mu);
            continue;
        }
        struct chunk *k = &fe->chunk[fe->delivered % NCHUNKS];
        pthread_mutex_unlock(&fe->mu);
        replay_chunk(&fe->consumer, k, fe->staged_prefix);
        pthread_mutex_lock(&fe->mu);
        __atomic_store_n(&fe->delivered, fe->delivered + 1, __ATOMIC_RELEASE);
        if (fe->producer_waits && fe->filled - fe->delivered <= fe->wake_at)
            pthread_cond_signal(&fe->given_back);
    }
    pthread_mutex_unlock(&fe->mu);
    return NULL;
}

/* ---- the interface ---- */

struct flow_events *flow_events_new(const struct flow_sink *consumer,
                                    size_t app_size, bool steady_input)
{
    struct flow_events *fe = calloc(1, sizeof *fe);
    if (!fe)
        return NULL;
    fe->consumer = *consumer;
    fe->app_size = app_size;
    fe->spin_limit = steady_input ? SPIN_LIMIT_STEADY : SPIN_LIMIT;
    fe->producer = (struct flow_sink){
        .ctx = fe,
        .on_open = rec_open,
        .on_data = rec_data,
        .on_lookup = rec_lookup,
        .on_gap = rec_gap,
        .on_conflict = rec_conflict,
        .on_close = rec_close,
        .on_udp = rec_udp,
    };
    pthread_mutex_init(&fe->mu, NULL);
    pthread_cond_init(&fe->handed, NULL);
    pthread_cond_init(&fe->given_back, NULL);
    if (pthread_create(&fe->thread, NULL, consumer_main, fe) != 0) {
        pthread_cond_destroy(&fe->handed);
        pthread_cond_destroy(&fe->given_back);
        pthread_mutex_destroy(&fe->mu);
        free(fe);
        return NULL;
    }
    return fe;
}

void flow_events_set_stage(struct flow_events *fe, const struct flow_stage *stage)
{
    fe->stage = *stage;
    fe->staged_prefix = LINE + round_line(stage->state_size);
}

const struct flow_sink *flow_events_sink(const struct flow_events *fe)
{
    return &fe->producer;
}

void flow_events_drain(struct flow_events *fe)
{
    hand_over(fe);
    pthread_mutex_lock(&fe->mu);
    wait_for_consumer(fe, 0);
    pthread_mutex_unlock(&fe->mu);
}

void flow_events_free(struct flow_events *fe)
{
    if (!fe)
        return;
    flow_events_drain(fe);
    pthread_mutex_lock(&fe->mu);
    __atomic_store_n(&fe->quit, true, __ATOMIC_RELEASE);
    pthread_cond_signal(&fe->handed);
    pthread_mutex_unlock(&fe->mu);
    pthread_join(fe->thread, NULL);
    for (int i = 0; i < NCHUNKS; i++)
        free(fe->chunk[i].data);
    pthread_cond_destroy(&fe->handed);
    pthread_cond_destroy(&fe->given_back);
    pthread_mutex_destroy(&fe->mu);
    free(fe);
}
