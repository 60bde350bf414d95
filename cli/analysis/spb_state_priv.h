/* Inside the Sparkplug B state (spb_state.c): what its files share. */
#ifndef MQD_CLI_ANALYSIS_SPB_STATE_PRIV_H
#define MQD_CLI_ANALYSIS_SPB_STATE_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/json_embed.h"

/* A STATE payload (spb_state_json.c): true when p[0..len) is one JSON
 * object that util/json_embed.h's strict check accepts (je: its working
 * memory); *online is 1 or 0 when the object's "online" member is true or
 * false, -1 when absent or not a Boolean; *timestamp says whether its
 * "timestamp" member is a number. Member names are compared after their
 * escapes are decoded. */
bool spb_state_payload(struct json_embed *je, const uint8_t *p, size_t len, int *online,
                       bool *timestamp);

#endif
