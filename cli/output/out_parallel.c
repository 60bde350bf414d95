/* Formatting on several threads; see out_parallel.h.
 *
 * A batch goes FREE -> FILLING (the calling thread records into it) ->
 * PENDING -> WORKING (a thread formats it into the batch's text) -> DONE ->
 * written in sequence order -> FREE. One mutex guards the states; the
 * formatting and the writing happen outside it. Only one thread writes at
 * a time (`writing`), and always the batch whose turn it is. */
#include "output/out_parallel.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/json_writer.h"

#define NBATCHES 6
/* A batch is handed over once its records reach this size (one frame can
 * make it larger; such a record buffer is given back afterwards). */
#define BATCH_FILL ((size_t)128 << 10)
#define KEEP_REC_CAP (4 * BATCH_FILL)
#define KEEP_TEXT_CAP ((size_t)4 << 20)
/* Frames larger than this are not copied into a batch (op_frame), so the
 * batches hold at most about NBATCHES * (BATCH_FILL + BIG_FRAME) whatever
 * --max-frame lets through. */
#define BIG_FRAME ((size_t)256 << 10)
#define MAX_THREADS 8

enum batch_state { B_FREE, B_FILLING, B_PENDING, B_WORKING, B_DONE };

struct batch {
    enum batch_state state;
    uint64_t seq;
    uint8_t *rec; /* records, see below */
    size_t rec_len, rec_cap;
    struct obuf text; /* what its records print as (memory mode) */
};

struct out_parallel {
    struct output base;
    FILE *out;
    unsigned nprinters;
    struct output *printer[MAX_THREADS]; /* [0]: the calling thread's */
    pthread_t worker[MAX_THREADS];
    unsigned nworkers;
    pthread_mutex_t mu;
    pthread_cond_t work_cv; /* workers: a batch is PENDING, or quit */
    pthread_cond_t done_cv; /* caller: a batch was formatted or freed */
    struct batch batch[NBATCHES];
    struct batch *cur;      /* being filled by the caller; NULL: none */
    uint64_t next_seq, next_write;
    bool writing, quit, failed;
    bool event_open;        /* between event_begin and event_end */
};

struct worker_arg {
    struct out_parallel *p;
    unsigned index;
};

/* ---- records ----
 * Each record: a header, then its parts, padded to 8 bytes. Strings and
 * byte runs are copied, so nothing refers to the caller's memory. */

enum rec_kind { R_FRAME, R_EVENT_BEGIN, R_EVENT_U64, R_EVENT_STR, R_EVENT_BOOL,
                R_EVENT_END, R_SN, R_CAPTURE };

struct rec_head {
    uint32_t kind;
    uint32_t size; /* of the whole record, a multiple of 8 */
};

/* msg_meta without its pointers and fixed-size strings. */
struct rec_meta {
    uint64_t frame, conn, stream_off;
    int64_t ts_us;
    const char *transport; /* a string literal (output.h) */
    struct msg_analysis an; /* pointers cleared; their bytes follow */
    char community_id[32];  /* as in msg_meta */
    uint16_t src_len, dst_len;
    uint16_t proxied_len; /* with its NUL; 0: no proxied_src */
    uint16_t tls_nrec;    /* frames only: TLS records (msg_meta.tls_rec) */
    uint16_t client_id_len; /* with its NUL; 0: no client_id */
};

struct rec_frame {
    struct rec_meta meta;
    uint32_t size;          /* frame bytes */
    uint8_t version;
    bool version_inferred;
    uint16_t nviolations, violations_dropped;
    /* then: violations, src, dst, effective topic, granted, Sparkplug
     * names, frame bytes */
};

/* An MQTT-SN message: the datagram is parsed again when formatted; the
 * topic view's name (from the registry, or the datagram) is copied. */
struct rec_sn {
    struct rec_meta meta;
    uint32_t size; /* datagram bytes */
    int32_t dir;
    uint32_t topic_kind; /* enum sn_topic_kind */
    uint32_t topic_len;
    bool topic_named;    /* the view has a name (else NULL) */
    /* then: src, dst, proxied source, client id, topic name, datagram bytes */
};

struct rec_event {
    struct rec_meta meta;
    uint64_t u64;
    uint32_t key_len, str_len; /* key and string bytes follow */
    /* R_EVENT_BEGIN: key is the event name */
};

static size_t pad8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

/* Room for n more bytes in the record buffer (false: out of memory). */
static bool rec_room(struct out_parallel *p, struct batch *b, size_t n)
{
    if (b->rec_cap - b->rec_len >= n)
        return true;
    size_t cap = b->rec_cap ? b->rec_cap : BATCH_FILL + BATCH_FILL / 2;
    while (cap - b->rec_len < n)
        cap *= 2;
    uint8_t *r = realloc(b->rec, cap);
    if (!r) {
        p->failed = true;
        return false;
    }
    b->rec = r;
    b->rec_cap = cap;
    return true;
}

/* Appends the parts of one record; the header's size is filled in. */
struct part {
    const void *data;
    size_t len;
};

static void rec_append(struct out_parallel *p, uint32_t kind,
                       const struct part *parts, size_t nparts)
{
    struct batch *b = p->cur;
    size_t size = sizeof(struct rec_head);
    for (size_t i = 0; i < nparts; i++)
        size += parts[i].len;
    size = pad8(size);
    if (size > UINT32_MAX || !rec_room(p, b, size))
        return;
    uint8_t *w = b->rec + b->rec_len;
    struct rec_head h = {kind, (uint32_t)size};
    memcpy(w, &h, sizeof h);
    size_t at = sizeof h;
    for (size_t i = 0; i < nparts; i++) {
        if (parts[i].len)
            memcpy(w + at, parts[i].data, parts[i].len);
        at += parts[i].len;
    }
    b->rec_len += size;
}

/* Events carry no analysis (their meta's may be a previous message's,
 * pointing to memory that has moved on): with_analysis false. */
static void meta_pack(struct rec_meta *r, const struct msg_meta *m,
                      bool with_analysis)
{
    r->frame = m->frame;
    r->conn = m->conn;
    r->stream_off = m->stream_off;
    r->ts_us = m->ts_us;
    r->transport = m->transport;
    if (!with_analysis) {
        memset(&r->an, 0, sizeof r->an);
    } else {
        r->an = m->an;
        r->an.effective_topic = NULL;
        r->an.granted = NULL;
        if (!m->an.has_effective_topic || !m->an.effective_topic)
            r->an.effective_topic_len = 0;
        if (!m->an.granted)
            r->an.granted_len = 0;
        r->an.spb_names.data = NULL;
        if (!m->an.spb_names.data)
            r->an.spb_names.len = 0;
    }
    memcpy(r->community_id, m->community_id, sizeof r->community_id);
    r->src_len = (uint16_t)strnlen(m->src, sizeof m->src - 1);
    r->dst_len = (uint16_t)strnlen(m->dst, sizeof m->dst - 1);
    r->proxied_len = m->proxied_src
        ? (uint16_t)(strnlen(m->proxied_src, 63) + 1) : 0;
    r->tls_nrec = with_analysis && m->tls_rec ? m->tls_nrec : 0;
    r->client_id_len = m->client_id
        ? (uint16_t)(strnlen(m->client_id, UINT16_MAX - 1) + 1) : 0;
}

/* Rebuilds a msg_meta; `tail` holds src, dst, the proxied source, the
 * client id, effective topic, granted. */
static const uint8_t *meta_unpack(struct msg_meta *m, const struct rec_meta *r,
                                  const uint8_t *tail)
{
    m->frame = r->frame;
    m->conn = r->conn;
    m->stream_off = r->stream_off;
    m->ts_us = r->ts_us;
    m->transport = r->transport;
    memcpy(m->community_id, r->community_id, sizeof m->community_id);
    memcpy(m->src, tail, r->src_len); /* src_len < sizeof m->src */
    m->src[r->src_len] = '\0';
    tail += r->src_len;
    memcpy(m->dst, tail, r->dst_len);
    m->dst[r->dst_len] = '\0';
    tail += r->dst_len;
    m->proxied_src = r->proxied_len ? (const char *)tail : NULL;
    tail += r->proxied_len;
    m->tls_rec = NULL; /* format_frame sets them */
    m->tls_nrec = 0;
    m->client_id = r->client_id_len ? (const char *)tail : NULL;
    tail += r->client_id_len;
    m->an = r->an;
    if (r->an.effective_topic_len)
        m->an.effective_topic = tail;
    tail += r->an.effective_topic_len;
    if (r->an.granted_len)
        m->an.granted = tail;
    tail += r->an.granted_len;
    if (r->an.spb_names.len)
        m->an.spb_names.data = tail;
    return tail + r->an.spb_names.len;
}

/* ---- formatting one batch ---- */

static void format_frame(struct output *pr, const uint8_t *body)
{
    struct rec_frame rf;
    memcpy(&rf, body, sizeof rf);
    const uint8_t *tail = body + sizeof rf;
    mqd_violation viol[MQD_MAX_VIOLATIONS];
    memcpy(viol, tail, rf.nviolations * sizeof *viol);
    tail += rf.nviolations * sizeof *viol;
    struct msg_meta m;
    const uint8_t *bytes = meta_unpack(&m, &rf.meta, tail);
    struct tls_record_meta tls_rec[MSG_TLS_RECORDS_MAX];
    if (rf.meta.tls_nrec) { /* copied out: the record bytes are unaligned */
        memcpy(tls_rec, bytes, rf.meta.tls_nrec * sizeof tls_rec[0]);
        bytes += rf.meta.tls_nrec * sizeof tls_rec[0];
        m.tls_rec = tls_rec;
        m.tls_nrec = rf.meta.tls_nrec;
    }
    mqd_frame f;
    /* The same bytes and version give the same frame the caller had; what
     * the connection analysis added to it (version_inferred, violations)
     * is carried over. */
    if (mqd_parse(bytes, rf.size, rf.version, &f).status != MQD_OK)
        return; /* cannot happen: it parsed before */
    f.version_inferred = rf.version_inferred;
    f.nviolations = rf.nviolations;
    f.violations_dropped = rf.violations_dropped;
    memcpy(f.violations, viol, rf.nviolations * sizeof *viol);
    output_frame(pr, &m, &f);
}

static void format_sn(struct output *pr, const uint8_t *body)
{
    struct rec_sn rs;
    memcpy(&rs, body, sizeof rs);
    struct msg_meta m;
    const uint8_t *tail = meta_unpack(&m, &rs.meta, body + sizeof rs);
    mqd_sn_msg msg;
    struct sn_record r = {&msg, rs.dir,
                          {(enum sn_topic_kind)rs.topic_kind,
                           rs.topic_named ? tail : NULL, rs.topic_len}};
    /* The same datagram gives the same message the caller had. */
    if (mqd_sn_parse(tail + rs.topic_len, rs.size, &msg).status != MQD_OK)
        return; /* cannot happen: it parsed before */
    output_sn(pr, &m, &r);
}

static void format_capture(struct output *pr, const uint8_t *body)
{
    struct capture_stats_record r;
    memcpy(&r, body, sizeof r);
    output_capture(pr, &r);
}

static void format_event(struct output *pr, uint32_t kind, const uint8_t *body)
{
    struct rec_event re;
    memcpy(&re, body, sizeof re);
    const uint8_t *tail = body + sizeof re;
    struct msg_meta m;
    const char *key = NULL, *str = NULL;
    if (kind == R_EVENT_BEGIN)
        tail = meta_unpack(&m, &re.meta, tail);
    key = (const char *)tail; /* NUL-terminated when recorded */
    str = key + re.key_len + 1;
    switch (kind) {
    case R_EVENT_BEGIN: output_event_begin(pr, &m, key); break;
    case R_EVENT_U64: output_event_u64(pr, key, re.u64); break;
    case R_EVENT_STR: output_event_str(pr, key, str); break;
    case R_EVENT_BOOL: output_event_bool(pr, key, re.u64 != 0); break;
    default: output_event_end(pr); break;
    }
}

/* Formats b's records with printer pr; the text ends up in b->text. */
static void format_batch(struct output *pr, struct batch *b)
{
    size_t at = 0;
    while (at + sizeof(struct rec_head) <= b->rec_len) {
        struct rec_head h;
        memcpy(&h, b->rec + at, sizeof h);
        const uint8_t *body = b->rec + at + sizeof h;
        if (h.kind == R_FRAME)
            format_frame(pr, body);
        else if (h.kind == R_SN)
            format_sn(pr, body);
        else if (h.kind == R_CAPTURE)
            format_capture(pr, body);
        else
            format_event(pr, h.kind, body);
        at += h.size;
    }
    /* The printer's buffer now holds the text: swap it with the batch's
     * (emptied) one, which the printer fills next. */
    struct obuf *pb = output_buffer(pr);
    struct obuf t = *pb;
    *pb = b->text;
    b->text = t;
}

/* ---- the batch pipeline (p->mu held unless said) ---- */

static struct batch *oldest(struct out_parallel *p, enum batch_state s)
{
    struct batch *best = NULL;
    for (int i = 0; i < NBATCHES; i++)
        if (p->batch[i].state == s && (!best || p->batch[i].seq < best->seq))
            best = &p->batch[i];
    return best;
}

static struct batch *by_seq(struct out_parallel *p, uint64_t seq)
{
    for (int i = 0; i < NBATCHES; i++)
        if (p->batch[i].state == B_DONE && p->batch[i].seq == seq)
            return &p->batch[i];
    return NULL;
}

/* Writes the text t holds to `out` and empties t (smaller again if one
 * frame grew it); false when it could not all be written. */
static bool write_text(FILE *out, struct obuf *t)
{
    bool ok = !t->failed && (t->len == 0 || fwrite(t->buf, 1, t->len, out) == t->len);
    t->failed = false;
    t->len = 0;
    if (t->cap > KEEP_TEXT_CAP) {
        char *small = malloc(OBUF_DEFAULT_CAP);
        if (small) {
            free(t->buf);
            t->buf = small;
            t->cap = OBUF_DEFAULT_CAP;
        }
    }
    return ok;
}

/* Gives a written batch's record buffer back, smaller if one frame grew it. */
static void batch_reset(struct batch *b)
{
    b->rec_len = 0;
    if (b->rec_cap > KEEP_REC_CAP) {
        free(b->rec);
        b->rec = NULL;
        b->rec_cap = 0;
    }
    b->state = B_FREE;
}

/* Writes the DONE batches whose turn it is, unless another thread is. */
static void write_in_order(struct out_parallel *p)
{
    if (p->writing)
        return;
    p->writing = true;
    struct batch *b;
    while ((b = by_seq(p, p->next_write)) != NULL) {
        pthread_mutex_unlock(&p->mu);
        bool ok = write_text(p->out, &b->text);
        pthread_mutex_lock(&p->mu);
        p->failed |= !ok;
        batch_reset(b);
        p->next_write++;
    }
    p->writing = false;
    pthread_cond_broadcast(&p->done_cv);
}

/* Formats b (taken as WORKING) with printer pr, the lock released meanwhile. */
static void work_on(struct out_parallel *p, struct output *pr, struct batch *b)
{
    b->state = B_WORKING;
    pthread_mutex_unlock(&p->mu);
    format_batch(pr, b);
    pthread_mutex_lock(&p->mu);
    b->state = B_DONE;
    write_in_order(p);
}

static void *worker_main(void *arg)
{
    struct worker_arg *wa = arg;
    struct out_parallel *p = wa->p;
    struct output *pr = p->printer[wa->index];
    free(wa);
    pthread_mutex_lock(&p->mu);
    for (;;) {
        struct batch *b = oldest(p, B_PENDING);
        if (b) {
            work_on(p, pr, b);
            continue;
        }
        if (p->quit)
            break;
        pthread_cond_wait(&p->work_cv, &p->mu);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* Hands the batch being filled over to the formatters. */
static void submit(struct out_parallel *p)
{
    if (!p->cur)
        return;
    pthread_mutex_lock(&p->mu);
    if (p->cur->rec_len == 0) {
        p->cur->state = B_FREE;
    } else {
        p->cur->seq = p->next_seq++;
        p->cur->state = B_PENDING;
        pthread_cond_signal(&p->work_cv);
    }
    pthread_mutex_unlock(&p->mu);
    p->cur = NULL;
}

/* A batch to fill: a free one, or else the caller formats pending ones
 * (or waits for the workers) until one is free. */
static struct batch *acquire(struct out_parallel *p)
{
    pthread_mutex_lock(&p->mu);
    struct batch *b;
    while ((b = oldest(p, B_FREE)) == NULL) {
        struct batch *w = oldest(p, B_PENDING);
        if (w)
            work_on(p, p->printer[0], w);
        else
            pthread_cond_wait(&p->done_cv, &p->mu);
    }
    b->state = B_FILLING;
    pthread_mutex_unlock(&p->mu);
    return b;
}

/* Everything recorded is formatted and written when it returns. */
static void drain(struct out_parallel *p)
{
    submit(p);
    pthread_mutex_lock(&p->mu);
    while (p->next_write < p->next_seq) {
        struct batch *w = oldest(p, B_PENDING);
        if (w)
            work_on(p, p->printer[0], w);
        else
            pthread_cond_wait(&p->done_cv, &p->mu);
    }
    pthread_mutex_unlock(&p->mu);
}

/* A batch to record into (acquire waits for one). */
static void start_record(struct out_parallel *p)
{
    if (!p->cur)
        p->cur = acquire(p);
}

/* After a whole record (not inside an event): hand a full batch over. */
static void record_done(struct out_parallel *p)
{
    if (p->cur && !p->event_open && p->cur->rec_len >= BATCH_FILL)
        submit(p);
}

/* ---- output_ops ---- */

static struct out_parallel *as_par(struct output *o)
{
    return (struct out_parallel *)o;
}

static void op_frame(struct output *o, const struct msg_meta *m,
                     const mqd_frame *f)
{
    struct out_parallel *p = as_par(o);
    if (!f->base)
        return;
    if (f->size > BIG_FRAME && !p->event_open) {
        /* Not copied: formatted here, straight from the caller's bytes,
         * after everything before it is written. */
        drain(p);
        output_frame(p->printer[0], m, f);
        p->failed |= !write_text(p->out, output_buffer(p->printer[0]));
        return;
    }
    start_record(p);
    struct rec_frame rf = {
        .size = f->size,
        .version = f->version,
        .version_inferred = f->version_inferred,
        .nviolations = f->nviolations < MQD_MAX_VIOLATIONS ? f->nviolations
                                                            : MQD_MAX_VIOLATIONS,
        .violations_dropped = f->violations_dropped,
    };
    meta_pack(&rf.meta, m, true);
    struct part parts[] = {
        {&rf, sizeof rf},
        {f->violations, rf.nviolations * sizeof f->violations[0]},
        {m->src, rf.meta.src_len},
        {m->dst, rf.meta.dst_len},
        {m->proxied_src, rf.meta.proxied_len},
        {m->client_id, rf.meta.client_id_len},
        {m->an.effective_topic, rf.meta.an.effective_topic_len},
        {m->an.granted, rf.meta.an.granted_len},
        {m->an.spb_names.data, rf.meta.an.spb_names.len},
        {m->tls_rec, rf.meta.tls_nrec * sizeof m->tls_rec[0]},
        {f->base, f->size},
    };
    rec_append(p, R_FRAME, parts, sizeof parts / sizeof parts[0]);
    record_done(p);
}

static void op_sn(struct output *o, const struct msg_meta *m,
                  const struct sn_record *r)
{
    struct out_parallel *p = as_par(o);
    const mqd_sn_msg *msg = r->msg;
    if (!msg->base || r->topic.len > UINT32_MAX)
        return;
    start_record(p);
    struct rec_sn rs = {
        .size = msg->datagram_len,
        .dir = r->dir,
        .topic_kind = (uint32_t)r->topic.kind,
        .topic_len = r->topic.name ? (uint32_t)r->topic.len : 0,
        .topic_named = r->topic.name != NULL,
    };
    meta_pack(&rs.meta, m, false);
    struct part parts[] = {
        {&rs, sizeof rs},
        {m->src, rs.meta.src_len},
        {m->dst, rs.meta.dst_len},
        {m->proxied_src, rs.meta.proxied_len},
        {m->client_id, rs.meta.client_id_len},
        {r->topic.name, rs.topic_len},
        {msg->base, msg->datagram_len},
    };
    rec_append(p, R_SN, parts, sizeof parts / sizeof parts[0]);
    record_done(p);
}

static void op_capture(struct output *o, const struct capture_stats_record *r)
{
    struct out_parallel *p = as_par(o);
    start_record(p);
    struct part parts[] = {{r, sizeof *r}};
    rec_append(p, R_CAPTURE, parts, 1);
    record_done(p);
}

static void event_record(struct out_parallel *p, uint32_t kind,
                         const struct msg_meta *m, const char *key,
                         const char *str, uint64_t v)
{
    start_record(p);
    struct rec_event re = {.u64 = v};
    size_t key_len = key ? strlen(key) : 0, str_len = str ? strlen(str) : 0;
    if (key_len > UINT32_MAX - 1 || str_len > UINT32_MAX - 1)
        return;
    re.key_len = (uint32_t)key_len;
    re.str_len = (uint32_t)str_len;
    if (m)
        meta_pack(&re.meta, m, false);
    struct part parts[] = {
        {&re, sizeof re},
        {m ? m->src : NULL, m ? re.meta.src_len : 0},
        {m ? m->dst : NULL, m ? re.meta.dst_len : 0},
        {m ? m->proxied_src : NULL, m ? re.meta.proxied_len : 0},
        {m ? m->client_id : NULL, m ? re.meta.client_id_len : 0},
        {key ? key : "", key_len + 1},
        {str ? str : "", str_len + 1},
    };
    rec_append(p, kind, parts, sizeof parts / sizeof parts[0]);
}

static void op_event_begin(struct output *o, const struct msg_meta *m,
                           const char *name)
{
    struct out_parallel *p = as_par(o);
    event_record(p, R_EVENT_BEGIN, m, name, NULL, 0);
    p->event_open = true;
}

static void op_event_u64(struct output *o, const char *key, uint64_t v)
{
    event_record(as_par(o), R_EVENT_U64, NULL, key, NULL, v);
}

static void op_event_str(struct output *o, const char *key, const char *s)
{
    event_record(as_par(o), R_EVENT_STR, NULL, key, s ? s : "", 0);
}

static void op_event_bool(struct output *o, const char *key, bool v)
{
    event_record(as_par(o), R_EVENT_BOOL, NULL, key, NULL, v);
}

static void op_event_end(struct output *o)
{
    struct out_parallel *p = as_par(o);
    event_record(p, R_EVENT_END, NULL, NULL, NULL, 0);
    p->event_open = false;
    record_done(p);
}

static int op_flush(struct output *o)
{
    struct out_parallel *p = as_par(o);
    drain(p);
    if (fflush(p->out) != 0)
        p->failed = true;
    return p->failed ? -1 : 0;
}

static void stop_workers(struct out_parallel *p)
{
    pthread_mutex_lock(&p->mu);
    p->quit = true;
    pthread_cond_broadcast(&p->work_cv);
    pthread_mutex_unlock(&p->mu);
    for (unsigned i = 0; i < p->nworkers; i++)
        pthread_join(p->worker[i], NULL);
    p->nworkers = 0;
}

static void destroy(struct out_parallel *p)
{
    for (unsigned i = 0; i < p->nprinters; i++)
        (void)output_close(p->printer[i]);
    for (int i = 0; i < NBATCHES; i++) {
        free(p->batch[i].rec);
        obuf_free(&p->batch[i].text);
    }
    pthread_cond_destroy(&p->done_cv);
    pthread_cond_destroy(&p->work_cv);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

static int op_close(struct output *o)
{
    struct out_parallel *p = as_par(o);
    int rc = op_flush(o);
    stop_workers(p);
    destroy(p);
    return rc;
}

static const struct output_ops out_parallel_ops = {
    .frame = op_frame,
    .sn = op_sn,
    .event_begin = op_event_begin,
    .event_u64 = op_event_u64,
    .event_str = op_event_str,
    .event_bool = op_event_bool,
    .event_end = op_event_end,
    .flush = op_flush,
    .close = op_close,
    .capture = op_capture,
};

static bool start_worker(struct out_parallel *p, unsigned index)
{
    struct worker_arg *wa = malloc(sizeof *wa);
    if (!wa)
        return false;
    wa->p = p;
    wa->index = index;
    if (pthread_create(&p->worker[p->nworkers], NULL, worker_main, wa) != 0) {
        free(wa);
        return false;
    }
    p->nworkers++;
    return true;
}

struct output *out_parallel_open(enum output_format fmt,
                                 const struct output_opts *opts,
                                 unsigned threads)
{
    if (threads < 2 || threads > MAX_THREADS)
        return NULL;
    struct out_parallel *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->base.ops = &out_parallel_ops;
    p->out = opts->out ? opts->out : stdout;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->work_cv, NULL);
    pthread_cond_init(&p->done_cv, NULL);
    struct output_opts popts = *opts;
    popts.in_memory = true;
    bool ok = true;
    for (unsigned i = 0; i < threads && ok; i++) {
        p->printer[i] = output_open(fmt, &popts);
        ok = p->printer[i] && output_buffer(p->printer[i]);
        p->nprinters += p->printer[i] != NULL;
    }
    for (int i = 0; i < NBATCHES && ok; i++)
        ok = obuf_init(&p->batch[i].text, NULL, 0) == 0;
    for (unsigned i = 1; i < threads && ok; i++)
        ok = start_worker(p, i);
    if (!ok) {
        stop_workers(p);
        destroy(p);
        return NULL;
    }
    return &p->base;
}
