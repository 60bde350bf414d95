/* Topic Aliases of one direction. See alias.h. */
#include "analysis/alias.h"

#include <stdlib.h>
#include <string.h>

#define TOPIC_ALLOC_STEP 64u

/* Makes room for entry `alias` (1..TOPIC_ALIAS_MAX); false when memory ran
 * out. */
static bool reserve(struct topic_alias_table *t, uint32_t alias)
{
    if (alias < t->n)
        return true;
    if (t->n == 0 && alias < TOPIC_ALIAS_INLINE) {
        t->a = t->inline_a;
        t->n = TOPIC_ALIAS_INLINE;
        return true;
    }
    uint32_t n = t->n ? t->n : TOPIC_ALIAS_INLINE;
    while (n <= alias)
        n *= 2;
    if (n > TOPIC_ALIAS_MAX + 1)
        n = TOPIC_ALIAS_MAX + 1;
    struct topic_alias *a = t->a == t->inline_a ? malloc(n * sizeof *a)
                                                : realloc(t->a, n * sizeof *a);
    if (!a)
        return false;
    if (t->a == t->inline_a)
        memcpy(a, t->inline_a, sizeof t->inline_a);
    memset(a + t->n, 0, (n - t->n) * sizeof *a);
    t->a = a;
    t->n = n;
    return true;
}

/* Room for a topic of len bytes: in the entry when short, else on the heap,
 * rounded up so that a mapping whose topics vary a little in length settles
 * at one size instead of growing by a few bytes whenever a longer topic
 * comes. */
static bool reserve_topic(struct topic_alias *a, uint16_t len)
{
    if (a->topic ? len <= a->size : len <= TOPIC_ALIAS_SMALL)
        return true;
    uint32_t size = ((uint32_t)len + TOPIC_ALLOC_STEP - 1) / TOPIC_ALLOC_STEP * TOPIC_ALLOC_STEP;
    uint8_t *buf = realloc(a->topic, size); /* the old bytes are not needed */
    if (!buf)
        return false;
    a->topic = buf;
    a->size = size;
    return true;
}

/* Copies the topic into the entry's buffer, growing it within the byte
 * bound; marks the entry dropped when that cannot be done. */
static void keep_topic(struct topic_alias *a, const uint8_t *topic, uint16_t len,
                       struct topic_alias_bytes *bytes)
{
    if (len > a->cap) {
        size_t more = (size_t)len - a->cap;
        if (bytes->kept + more > bytes->max || !reserve_topic(a, len)) {
            a->dropped = true;
            a->len = 0;
            return;
        }
        bytes->kept += more;
        a->cap = len;
    }
    memcpy(a->topic ? a->topic : a->small, topic, len);
    a->len = len;
    a->dropped = false;
}

bool topic_alias_set(struct topic_alias_table *t, uint32_t alias, const uint8_t *topic,
                     uint16_t len, struct topic_alias_bytes *bytes)
{
    if (alias == 0 || alias > TOPIC_ALIAS_MAX || !reserve(t, alias))
        return false;
    struct topic_alias *a = &t->a[alias];
    a->set = true;
    keep_topic(a, topic, len, bytes);
    return true;
}

enum topic_alias_state topic_alias_get(const struct topic_alias_table *t, uint32_t alias,
                                       const uint8_t **topic, uint16_t *len)
{
    if (alias == 0 || alias >= t->n || !t->a[alias].set)
        return TOPIC_ALIAS_UNKNOWN;
    const struct topic_alias *a = &t->a[alias];
    if (a->dropped)
        return TOPIC_ALIAS_DROPPED;
    *topic = a->topic ? a->topic : a->small;
    *len = a->len;
    return TOPIC_ALIAS_KNOWN;
}

void topic_alias_free(struct topic_alias_table *t)
{
    for (uint32_t i = 0; i < t->n; i++)
        free(t->a[i].topic);
    if (t->a != t->inline_a)
        free(t->a);
    memset(t, 0, sizeof *t);
}
