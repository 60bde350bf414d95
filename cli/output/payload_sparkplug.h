/* The Sparkplug B display (output/payload.c uses it): the "sparkplug" JSON
 * object of a PUBLISH whose payload was chosen for Sparkplug, and its text
 * summary. Reads the views of decode/sparkplug.h; keys are a public
 * contract (README, "Sparkplug B"). */
#ifndef MQD_CLI_PAYLOAD_SPARKPLUG_H
#define MQD_CLI_PAYLOAD_SPARKPLUG_H

#include "util/json_writer.h"
#include "output/payload.h"

/* "sparkplug": {group_id, message_type, edge_node_id, device_id | host_id,
 * topic_error, timestamp, seq, uuid, body, metrics}: the topic's fields
 * always, the payload's when it was decoded. */
void spb_json_write(struct json_writer *w, const struct payload_view *v);

/* The object alone (the value of "sparkplug"). */
void spb_json_payload(struct json_writer *w, const struct payload_view *v);

/* " spb=DDATA group="g" edge="e" device="d" seq=5 metrics=3", or
 * " spb=STATE host="h"", or " spb=? topic_error=..." */
void spb_text_summary(struct obuf *b, const struct payload_view *v);

#endif
