/* A bounded queue of captured packets between the thread that reads a live
 * capture (the producer: it only copies) and the thread that processes
 * them (the consumer). Packets are copied into large blocks; a block goes
 * over whole, when it is full or when the producer is told to hand it over
 * (the consumer waits, or the capture paused). When every block is in use
 * the producer either waits for the consumer to release one
 * (back-pressure: the producer stops reading, the kernel's capture buffer
 * fills behind it and the kernel drops and counts what does not fit), or
 * drops the packet and counts it.
 *
 * Usage:
 *   producer                                consumer
 *   capture_queue_push(q, h, bytes, n)      b = capture_queue_take(q, ms, &end)
 *   capture_queue_publish(q, false)         for each record of b ...
 *   capture_queue_end(q)                    capture_queue_release(q)
 */
#ifndef MQD_CLI_CAPTURE_QUEUE_H
#define MQD_CLI_CAPTURE_QUEUE_H

#include <pcap/pcap.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CAPTURE_QUEUE_BLOCK_BYTES ((size_t)1 << 20)
#define CAPTURE_QUEUE_BLOCKS 64 /* default: at most 64 MiB queued, allocated on use */

struct capture_queue;

/* One packet in a block: its header, then caplen bytes, padded to 8. */
struct capture_record {
    struct pcap_pkthdr h;
    uint64_t frame;
    uint32_t size; /* the whole record */
};

struct capture_block {
    uint8_t *data;
    size_t len;
};

/* `blocks` blocks of CAPTURE_QUEUE_BLOCK_BYTES (0: CAPTURE_QUEUE_BLOCKS),
 * allocated as they are first used; wait_when_full: back-pressure instead
 * of drops. NULL when out of memory. */
struct capture_queue *capture_queue_new(size_t blocks, bool wait_when_full);
void capture_queue_free(struct capture_queue *q);

/* Producer: copies one packet into the current block; false when it was
 * dropped (every block in use, or no memory). */
bool capture_queue_push(struct capture_queue *q, const struct pcap_pkthdr *h,
                        const uint8_t *bytes, uint64_t frame);

/* Producer: hands the current block over if it holds anything and `force`
 * or the consumer is waiting. */
void capture_queue_publish(struct capture_queue *q, bool force);

/* Producer: no more packets (hands over what is left). */
void capture_queue_end(struct capture_queue *q);

/* Consumer: the next block, waiting up to timeout_ms; NULL on timeout, or
 * (with *ended set) when the producer has ended and all was taken. */
const struct capture_block *capture_queue_take(struct capture_queue *q,
                                               int timeout_ms, bool *ended);

/* Consumer: the block taken last is done with. */
void capture_queue_release(struct capture_queue *q);

/* The record at offset `at` of a block, or NULL past the last one. */
const struct capture_record *capture_block_record(const struct capture_block *b,
                                                  size_t at);

/* Packets dropped because the queue was full; any thread. */
uint64_t capture_queue_dropped(const struct capture_queue *q);

#endif
