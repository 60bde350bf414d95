/* MQTT topic filters for selecting what is printed (--topic): a selection
 * of filters, matched against topic names and subscription filters by the
 * pure matcher of util/topic_match.h. No allocation. */
#ifndef MQD_CLI_TOPIC_FILTER_H
#define MQD_CLI_TOPIC_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/topic_match.h"

/* A selection: up to TOPIC_SEL_MAX filters; a topic is selected when it
 * matches any of them. An empty selection selects everything. */
#define TOPIC_SEL_MAX 16
struct topic_sel {
    size_t n;
    const char *filters[TOPIC_SEL_MAX]; /* NUL-terminated, caller-owned */
};

/* Adds a filter; false when full. */
bool topic_sel_add(struct topic_sel *sel, const char *filter);
/* A PUBLISH topic name. */
bool topic_sel_match_topic(const struct topic_sel *sel, const uint8_t *t,
                           size_t tn);
/* A SUBSCRIBE/UNSUBSCRIBE filter (shared prefix stripped here). */
bool topic_sel_match_filter(const struct topic_sel *sel, const uint8_t *f,
                            size_t fn);

#endif
