/* The queue between the capture thread and the rest; see capture_queue.h.
 *
 * A ring of N blocks: the producer fills block filled % N, the consumer
 * reads block released % N; `filled` and `released` only grow. The
 * producer may fill a block while fewer than N are handed over and not yet
 * released; else it waits for one (back-pressure) or drops. */
#include "net/capture_queue.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct capture_queue {
    pthread_mutex_t mu;
    pthread_cond_t cv;          /* a block was handed over, or the end */
    pthread_cond_t room_cv;     /* a block was released */
    bool producer_waiting;      /* the producer waits on room_cv */
    bool wait_when_full;        /* back-pressure: wait, do not drop */
    size_t nblocks;
    uint64_t filled;            /* blocks handed over */
    uint64_t released;          /* blocks the consumer is done with */
    bool taken;                 /* the consumer holds block released % N */
    bool waiting;               /* the consumer waits for a block */
    bool ended;
    uint64_t dropped;           /* atomic: any thread reads it */
    /* The producer's. */
    struct capture_block *cur;  /* being filled; NULL: none */
    struct capture_block *block; /* nblocks */
};

static size_t pad8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

struct capture_queue *capture_queue_new(size_t blocks, bool wait_when_full)
{
    if (blocks == 0)
        blocks = CAPTURE_QUEUE_BLOCKS;
    struct capture_queue *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    q->block = calloc(blocks, sizeof *q->block);
    if (!q->block) {
        free(q);
        return NULL;
    }
    q->nblocks = blocks;
    q->wait_when_full = wait_when_full;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->cv, &ca);
    pthread_cond_init(&q->room_cv, &ca);
    pthread_condattr_destroy(&ca);
    return q;
}

void capture_queue_free(struct capture_queue *q)
{
    if (!q)
        return;
    for (size_t i = 0; i < q->nblocks; i++)
        free(q->block[i].data);
    free(q->block);
    pthread_cond_destroy(&q->room_cv);
    pthread_cond_destroy(&q->cv);
    pthread_mutex_destroy(&q->mu);
    free(q);
}

/* ---- producer ---- */

static void hand_over(struct capture_queue *q)
{
    pthread_mutex_lock(&q->mu);
    q->filled++;
    pthread_cond_signal(&q->cv);
    pthread_mutex_unlock(&q->mu);
    q->cur = NULL;
}

/* The next free block; when all are in use, waits for one with
 * back-pressure, else NULL. The consumer always releases what it took
 * until the end, so the wait ends. */
static struct capture_block *next_block(struct capture_queue *q)
{
    pthread_mutex_lock(&q->mu);
    while (q->filled - q->released >= q->nblocks && q->wait_when_full) {
        q->producer_waiting = true;
        pthread_cond_wait(&q->room_cv, &q->mu);
    }
    q->producer_waiting = false;
    bool room = q->filled - q->released < q->nblocks;
    pthread_mutex_unlock(&q->mu);
    if (!room)
        return NULL;
    struct capture_block *b = &q->block[q->filled % q->nblocks];
    if (!b->data) {
        b->data = malloc(CAPTURE_QUEUE_BLOCK_BYTES);
        if (!b->data)
            return NULL;
    }
    b->len = 0;
    return b;
}

static void count_drop(struct capture_queue *q)
{
    __atomic_add_fetch(&q->dropped, 1, __ATOMIC_RELAXED);
}

bool capture_queue_push(struct capture_queue *q, const struct pcap_pkthdr *h,
                        const uint8_t *bytes, uint64_t frame)
{
    size_t size = pad8(sizeof(struct capture_record) + h->caplen);
    if (size > CAPTURE_QUEUE_BLOCK_BYTES) {
        count_drop(q);
        return false;
    }
    if (q->cur && CAPTURE_QUEUE_BLOCK_BYTES - q->cur->len < size)
        hand_over(q);
    if (!q->cur)
        q->cur = next_block(q);
    if (!q->cur) {
        count_drop(q);
        return false;
    }
    struct capture_record r;
    memset(&r, 0, sizeof r);
    r.h = *h;
    r.frame = frame;
    r.size = (uint32_t)size;
    uint8_t *w = q->cur->data + q->cur->len;
    memcpy(w, &r, sizeof r);
    memcpy(w + sizeof r, bytes, h->caplen);
    q->cur->len += size;
    return true;
}

void capture_queue_publish(struct capture_queue *q, bool force)
{
    if (!q->cur || q->cur->len == 0)
        return;
    if (force || __atomic_load_n(&q->waiting, __ATOMIC_RELAXED))
        hand_over(q);
}

void capture_queue_end(struct capture_queue *q)
{
    capture_queue_publish(q, true);
    pthread_mutex_lock(&q->mu);
    q->ended = true;
    pthread_cond_signal(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

/* ---- consumer ---- */

static struct timespec deadline_after(int ms)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    t.tv_sec += ms / 1000;
    t.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}

const struct capture_block *capture_queue_take(struct capture_queue *q,
                                               int timeout_ms, bool *ended)
{
    *ended = false;
    pthread_mutex_lock(&q->mu);
    if (q->filled == q->released && !q->ended && timeout_ms > 0) {
        struct timespec until = deadline_after(timeout_ms);
        __atomic_store_n(&q->waiting, true, __ATOMIC_RELAXED);
        while (q->filled == q->released && !q->ended)
            if (pthread_cond_timedwait(&q->cv, &q->mu, &until) == ETIMEDOUT)
                break;
        __atomic_store_n(&q->waiting, false, __ATOMIC_RELAXED);
    }
    const struct capture_block *b = NULL;
    if (q->filled != q->released) {
        b = &q->block[q->released % q->nblocks];
        q->taken = true;
    } else if (q->ended) {
        *ended = true;
    }
    pthread_mutex_unlock(&q->mu);
    return b;
}

void capture_queue_release(struct capture_queue *q)
{
    pthread_mutex_lock(&q->mu);
    if (q->taken) {
        q->taken = false;
        q->released++;
        if (q->producer_waiting)
            pthread_cond_signal(&q->room_cv);
    }
    pthread_mutex_unlock(&q->mu);
}

const struct capture_record *capture_block_record(const struct capture_block *b,
                                                  size_t at)
{
    if (at + sizeof(struct capture_record) > b->len)
        return NULL;
    return (const struct capture_record *)(const void *)(b->data + at);
}

uint64_t capture_queue_dropped(const struct capture_queue *q)
{
    return __atomic_load_n(&q->dropped, __ATOMIC_RELAXED);
}
