/* MQTT 5.0 Topic Aliases of one sending direction (s3.3.2.3.4): a PUBLISH
 * with a Topic Alias and a non-empty topic sets the mapping, one with an
 * empty topic uses it. The mapping lives as long as the network connection.
 *
 * The table is indexed by alias number. Its first TOPIC_ALIAS_INLINE
 * entries live inside it (aliases are small numbers in practice, and a
 * connection's memory is then fixed when it opens); larger numbers move it
 * to the heap, growing by doubling up to TOPIC_ALIAS_MAX + 1 entries. Topic bytes kept are counted into a figure
 * the caller shares between the tables of a connection and bounds: past
 * the bound a mapping is known to exist but its topic is not kept.
 */
#ifndef MQD_CLI_ALIAS_H
#define MQD_CLI_ALIAS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TOPIC_ALIAS_MAX 1024u

/* Topics up to this long are kept in the entry itself. */
#define TOPIC_ALIAS_SMALL 32u

struct topic_alias {
    bool set;      /* a mapping was established */
    bool dropped;  /* established but its topic not kept (byte bound) */
    uint16_t len, cap; /* cap: bytes counted against the byte bound */
    uint32_t size;     /* bytes allocated at `topic` (cap rounded up) */
    uint8_t *topic;    /* NULL: the topic is in `small` */
    uint8_t small[TOPIC_ALIAS_SMALL];
};

#define TOPIC_ALIAS_INLINE 16u

/* Zero-initialised means empty; release with topic_alias_free. Not to be
 * copied or moved while in use (a may point into it). */
struct topic_alias_table {
    struct topic_alias *a; /* indexed by alias number, [0] unused */
    uint32_t n;            /* entries allocated */
    struct topic_alias inline_a[TOPIC_ALIAS_INLINE];
};

/* Where the topic bytes of a connection's aliases are counted. */
struct topic_alias_bytes {
    size_t kept;
    size_t max;
};

/* Maps `alias` to topic[0..len). False when alias is 0 or above
 * TOPIC_ALIAS_MAX, or memory ran out: nothing is recorded. When the topic
 * would take bytes->kept past bytes->max the mapping is recorded as set but
 * dropped. */
bool topic_alias_set(struct topic_alias_table *t, uint32_t alias, const uint8_t *topic,
                     uint16_t len, struct topic_alias_bytes *bytes);

enum topic_alias_state {
    TOPIC_ALIAS_UNKNOWN, /* never set (or out of range) */
    TOPIC_ALIAS_DROPPED, /* set, but its topic was not kept */
    TOPIC_ALIAS_KNOWN    /* *topic, *len filled; valid until the next set */
};

enum topic_alias_state topic_alias_get(const struct topic_alias_table *t, uint32_t alias,
                                       const uint8_t **topic, uint16_t *len);

void topic_alias_free(struct topic_alias_table *t);

#endif
