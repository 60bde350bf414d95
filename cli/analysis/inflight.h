/* Packet identifiers in flight, for one sending direction of a connection
 * (MQTT 5.0 s2.2.1: an identifier stays in use until its acknowledgement
 * completes the exchange; s4.3 QoS 1 and QoS 2 flows).
 *
 * An open-addressing hash table keyed by packet identifier, linear
 * probing, deletion by backward shift (no tombstones). It holds at most
 * INFLIGHT_MAX entries (inflight_add says when one does not fit). The first
 * INFLIGHT_INLINE slots live inside the table itself (no allocation, and no
 * pointer to chase on every acknowledgement; few, as every open connection
 * holds two tables); past half of them it moves to the heap and grows by
 * doubling up to twice INFLIGHT_MAX slots. When it empties it moves back
 * in, so what a connection holds follows its current load, not the largest
 * it ever had: the memory of a long capture is that of a short one.
 *
 * Entry pointers stay valid until the next inflight_add or inflight_remove
 * on the same table.
 */
#ifndef MQD_CLI_INFLIGHT_H
#define MQD_CLI_INFLIGHT_H

#include <stdbool.h>
#include <stdint.h>

#define INFLIGHT_MAX 1024u

/* Where an exchange stands. The PUBLISH kinds come first (inflight_is_pub). */
enum flight_kind {
    FLIGHT_PUB_QOS1,     /* PUBLISH QoS 1, awaiting PUBACK */
    FLIGHT_PUB_QOS2,     /* PUBLISH QoS 2, awaiting PUBREC */
    FLIGHT_PUB_RECEIVED, /* PUBREC seen, awaiting PUBREL */
    FLIGHT_PUB_RELEASED, /* PUBREL seen, awaiting PUBCOMP */
    FLIGHT_SUBSCRIBE,
    FLIGHT_UNSUBSCRIBE
};

struct flight {
    uint16_t id;        /* 0: empty slot (0 is never a valid identifier) */
    uint8_t kind;       /* enum flight_kind */
    bool selected;      /* the request was selected by --topic */
    int16_t sub_slot;   /* SUBSCRIBE: index of its kept filters; -1 none */
    uint64_t frame;     /* the packet that last moved the flow */
    int64_t ts_us;
    uint64_t pub_frame; /* the packet that began it */
    int64_t pub_ts_us;
};

#define INFLIGHT_INLINE 4u

/* Zero-initialised means empty; release with inflight_free. Not to be
 * copied or moved while in use (slots may point into it). */
struct flight_table {
    struct flight *slots; /* `inline_slots` or the heap; NULL before use */
    uint32_t cap;  /* power of two, or 0 before the first insert */
    uint32_t count;
    uint32_t pubs; /* entries that are PUBLISH flows (for Receive Maximum) */
    struct flight inline_slots[INFLIGHT_INLINE];
};

/* Whether an entry of this kind is a QoS 1/2 PUBLISH exchange. */
bool inflight_is_pub(uint8_t kind);

/* The entry for identifier id, or NULL (also for id 0). */
struct flight *inflight_find(struct flight_table *t, uint16_t id);

/* Adds a copy of *e, whose id (not 0) must not be in the table. Returns the
 * stored entry, or NULL when the table is full (INFLIGHT_MAX) or memory ran
 * out. */
struct flight *inflight_add(struct flight_table *t, const struct flight *e);

/* Removes e, an entry of t. */
void inflight_remove(struct flight_table *t, struct flight *e);

/* The smallest pub_frame of the entries, folded into `first` (0: none yet):
 * returns `first` when no entry is older. */
uint64_t inflight_oldest_frame(const struct flight_table *t, uint64_t first);

void inflight_free(struct flight_table *t);

#endif
