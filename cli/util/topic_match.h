/* MQTT topic filter matching (MQTT 5.0 s4.7, 3.1.1 s4.7): wildcard
 * matching of topic names and of filters against filters. Pure functions on
 * byte slices; no allocation. Used by the selection (analysis/topic_filter.h)
 * and by the payload decoder choice (--decode, output/payload.c). */
#ifndef MQD_CLI_TOPIC_MATCH_H
#define MQD_CLI_TOPIC_MATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True when topic name t[0..tn) matches filter f[0..fn): '+' matches one
 * whole level, '#' (last) matches the parent level and every level below
 * it, and a filter that starts with a wildcard does not match a topic that
 * starts with '$' (s4.7.2). Wildcards in the topic are taken literally. */
bool topic_filter_match(const uint8_t *f, size_t fn, const uint8_t *t,
                        size_t tn);


/* True when some topic name matches both filters a and b: how a
 * SUBSCRIBE/UNSUBSCRIBE filter is selected by --topic. A shared
 * subscription's "$share/{ShareName}/" prefix is not part of the filter
 * (s4.8.2): strip it first with topic_filter_unshare. */
bool topic_filter_overlap(const uint8_t *a, size_t an, const uint8_t *b,
                          size_t bn);

/* The filter inside a shared subscription "$share/name/filter" (s4.8.2);
 * the input itself when it is not one. */
void topic_filter_unshare(const uint8_t **s, size_t *n);

#endif
