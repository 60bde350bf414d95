/* Printing a message's connection analysis (struct msg_analysis in
 * record.h), for the JSON and text printers.
 * JSON keys: reply_to, latency_us; flow_start, flow_latency_us (PUBREL,
 * PUBCOMP); effective_topic, topic_from_alias (PUBLISH); granted
 * [{topic, code, reason}] (SUBACK). Text: alias_topic, granted, reply_to,
 * latency_us, flow_start as " key=value". */
#ifndef MQD_CLI_OUT_ANALYSIS_H
#define MQD_CLI_OUT_ANALYSIS_H

#include "mqttdissect/frame.h"
#include "record.h"
#include "util/json_writer.h"

void out_analysis_json(struct json_writer *w, const struct msg_meta *m,
                       const mqd_frame *f);
void out_analysis_text(struct obuf *b, const struct msg_meta *m,
                       const mqd_frame *f);

#endif
