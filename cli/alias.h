/* MQTT 5.0 Topic Aliases of one sending direction (s3.3.2.3.4): a PUBLISH
 * with a Topic Alias and a non-empty topic sets the mapping, one with an
 * empty topic uses it. The mapping lives as long as the network connection.
 *
 * The table is indexed by alias number and grows by doubling up to
 * TOPIC_ALIAS_MAX + 1 entries. Topic bytes kept are counted into a figure
 * the caller shares between the tables of a connection and bounds: past
 * the bound a mapping is known to exist but its topic is not kept.
 */
#ifndef MQD_CLI_ALIAS_H
#define MQD_CLI_ALIAS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TOPIC_ALIAS_MAX 1024u

struct topic_alias {
    bool set;      /* a mapping was established */
    bool dropped;  /* established but its topic not kept (byte bound) */
    uint16_t len, cap;
    uint8_t *topic;
};

/* Zero-initialised means empty; release with topic_alias_free. */
struct topic_alias_table {
    struct topic_alias *a; /* indexed by alias number, [0] unused */
    uint32_t n;            /* entries allocated */
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
