/* One direction of a TCP connection, reassembled into a byte stream.
 *
 * Stream offsets are 64-bit and start at 0 with the first byte after the SYN
 * (ISN + 1), or with the first data byte seen for a stream picked up
 * mid-stream. Sequence numbers are compared with 32-bit serial arithmetic
 * (RFC 1982 style), so wraparound past 2^32 is invisible to the caller.
 *
 * Delivery is in stream order through `struct reasm_emit`:
 *  - in-order data is passed straight from the packet (no copy);
 *  - out-of-order data is copied into a sorted hole list and delivered when
 *    the hole before it fills;
 *  - bytes already delivered or already held are dropped (first copy wins);
 *    held bytes that differ from the new copy are reported as a conflict;
 *  - bytes known to exist but not captured (snaplen cut) and holes that are
 *    given up on are reported as gaps;
 *  - the peer's acknowledgments (tcp_reasm_ack) tell which bytes were sent:
 *    bytes the peer acknowledged are reported as a gap when two data
 *    segments of this direction came after the ACK and delivered nothing, or at
 *    once when the peer acknowledged the FIN: they were lost by the
 *    capture, not captured late (captures put ACKs ahead of the data they
 *    acknowledge, and swap neighbouring segments);
 *  - a FIN is queued like data: the direction ends when delivery reaches it.
 * Callbacks must not call back into the same tcp_reasm. */
#ifndef MQD_CLI_TCP_REASM_H
#define MQD_CLI_TCP_REASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct reasm_seg; /* a held out-of-order range (private) */

/* What a held range costs against the caps beyond its data bytes, so that
 * many tiny ranges cannot exceed them (bounds memory and list walks). */
#define REASM_SEG_COST 64

/* Counters shared by every direction of a table. */
struct reasm_stats {
    uint64_t ooo_segments;  /* segments that arrived ahead of a hole */
    uint64_t dup_bytes;     /* retransmitted / overlapping bytes dropped */
    uint64_t conflicts;     /* overlaps whose bytes differed */
    uint64_t gaps;          /* gap reports (holes given up, snaplen cuts) */
    uint64_t gap_bytes;     /* bytes reported lost */
    uint64_t alloc_failures;/* held ranges dropped for lack of memory */
    size_t held_now;        /* held cost (data + REASM_SEG_COST each) */
    size_t held_peak;
};

struct reasm_emit {
    void *ctx;
    void (*data)(void *ctx, const uint8_t *data, size_t len, uint64_t off);
    void (*gap)(void *ctx, uint64_t off, uint64_t len);
    void (*conflict)(void *ctx, uint64_t off, uint64_t len);
    struct reasm_stats *stats; /* required */
};

/* Out-of-order ranges a direction holds, allocated with the first. */
struct reasm_held {
    struct reasm_seg *head; /* sorted, disjoint, all at or after next_off */
    struct reasm_seg *tail; /* the last (appending is O(1)) */
    /* cost of the ranges: data + REASM_SEG_COST each; 32 bits, as the flow
     * table caps what a connection holds (flow_config.conn_cap) far below */
    uint32_t bytes;
};

/* 56 bytes: one per direction of every connection. */
struct tcp_reasm {
    uint32_t base_seq;   /* sequence number of stream offset 0 */
    bool started : 1;    /* base_seq is known */
    bool syn_seen : 1;
    bool fin_seen : 1;
    bool ack_seen : 1;
    bool ack_waited : 1;
    bool done : 1;       /* delivered up to the FIN; later data ignored */
    uint64_t next_off;   /* next stream offset to deliver */
    uint64_t fin_off;    /* stream offset of the FIN (if fin_seen) */
    uint64_t acked_off;  /* the peer acknowledged all below (if ack_seen) */
    uint64_t ack_wait_off; /* next_off when a data segment came after an
                              ACK of bytes not delivered (if ack_waited) */
    int64_t ack_ahead_us;  /* when the ACK got ahead of delivery */
    struct reasm_held *held; /* NULL: nothing held */
};

/* What direction r holds out of order costs (see reasm_held.bytes). */
static inline size_t tcp_reasm_held_bytes(const struct tcp_reasm *r)
{
    return r->held ? r->held->bytes : 0;
}

/* One TCP segment as the reassembler needs it. */
struct reasm_input {
    uint32_t seq;
    bool syn, fin;
    const uint8_t *data;
    size_t caplen;  /* payload bytes captured */
    size_t wirelen; /* payload bytes on the wire (>= caplen) */
    int64_t ts_us;  /* capture time */
};

void tcp_reasm_init(struct tcp_reasm *r);

/* Starts the stream at `next_seq` without a SYN (e.g. from the peer's
 * SYN-ACK acknowledgment number). No-op if already started. */
void tcp_reasm_start(struct tcp_reasm *r, uint32_t next_seq);

/* Feeds one segment. A segment with no payload, SYN or FIN does nothing. */
void tcp_reasm_segment(struct tcp_reasm *r, const struct reasm_input *in,
                       const struct reasm_emit *emit);

/* The peer acknowledged every sequence number before `ack` (the segment
 * carried ACK). Ignored before the stream started, when older than what is
 * known, or more than REASM_ACK_AHEAD ahead of delivery (bogus). The bytes
 * acknowledged and not delivered become a gap at this direction's second
 * data segment that delivers nothing, at its first segment a second after
 * `ts_us` (capture time), or now, if the FIN is acknowledged). */
#define REASM_ACK_AHEAD ((uint64_t)1 << 30)
#define REASM_ACK_GRACE_US ((int64_t)1000000)
void tcp_reasm_ack(struct tcp_reasm *r, uint32_t ack, int64_t ts_us,
                   const struct reasm_emit *emit);

/* Is a RST at `seq` acceptable (RFC 5961 s3.2: within the receiver's
 * window)? True when seq lies from what the peer acknowledged (or the next
 * byte to deliver, whichever is lower) to `window` bytes past the highest
 * byte known; true too before the stream started (nothing to check). */
bool tcp_reasm_rst_acceptable(const struct tcp_reasm *r, uint32_t seq,
                              uint64_t window);

/* How many bytes of a segment [seq, seq + len) lie past what r delivered
 * (all of them when the stream never started): for data that arrives after
 * its connection ended, which is lost unless it is only a retransmission. */
uint64_t tcp_reasm_undelivered(const struct tcp_reasm *r, uint32_t seq, size_t len);

/* The sender reset the stream at `seq` (a RST occupies no sequence number):
 * the stream ends there as at a FIN: the data before it is still delivered
 * as it comes, data past it is ignored. Returns r->done (true when nothing
 * before `seq` is missing). */
bool tcp_reasm_reset(struct tcp_reasm *r, uint32_t seq,
                     const struct reasm_emit *emit);

/* Does this direction lag: bytes held back, or bytes acknowledged by the
 * peer that were not delivered yet (captured out of order)? */
bool tcp_reasm_lagging(const struct tcp_reasm *r);

/* Gives up the first hole: reports it as a gap and delivers the held data
 * after it up to the next hole. Returns false when nothing is held. */
bool tcp_reasm_skip_hole(struct tcp_reasm *r, const struct reasm_emit *emit);

/* Skips holes until at most `cap` bytes are held. */
void tcp_reasm_limit(struct tcp_reasm *r, size_t cap,
                     const struct reasm_emit *emit);

/* End of this direction (RST, timeout, end of capture): delivers everything
 * held with gaps for the holes, and a gap up to the FIN if one was seen, else
 * up to what the peer acknowledged (less one sequence number: a FIN the
 * capture missed). */
void tcp_reasm_flush(struct tcp_reasm *r, const struct reasm_emit *emit);

/* Frees held data without delivering it. */
void tcp_reasm_release(struct tcp_reasm *r, struct reasm_stats *stats);

#endif
