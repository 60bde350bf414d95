/* Printing one MQTT-SN message: a JSON Lines object or a text line (and,
 * verbose, a tree of every byte). The records sit among the MQTT records:
 *
 * JSON keys (a contract: add freely, never rename):
 *   frame, ts, src, dst, conn (the client number), transport ("udp"),
 *   version ("sn1.2"), type ("PUBLISH", "SEARCHGW", ...; the inner type of
 *   an encapsulated message), msg_type (the number), direction
 *   ("to_gateway" | "to_client"), length {value, bytes, encoded}, size,
 *   encapsulated {length, ctrl, radius, wireless_node_id} (forwarded only),
 *   flags {byte, dup, qos, retain, will, clean_session, topic_id_type},
 *   qos (-1..2: PUBLISH, SUBSCRIBE, SUBACK, WILLTOPIC, WILLTOPICUPD),
 *   dup, retain (PUBLISH), topic_id, topic_id_type ("normal",
 *   "predefined", "short", "reserved"), topic (when known), topic_source
 *   ("registry", "message", "short", "predefined", "unknown"),
 *   msg_id, return_code + return_code_name, gw_id, gw_addr (hex),
 *   duration, radius, protocol_id, client_id, will_topic,
 *   will_msg {length, text | hex}, payload {length, text | hex},
 *   violations [{rule, name, severity, offset, message, value}] (always).
 *
 * Text: FRAME TIME SRC → DST sn1.2 TYPE fields [n violations: ids]
 *
 * The record types (sn_record, sn_topic_view) are in record.h; every
 * printer (text, JSON, the parallel formatter) prints them through
 * output_sn (output.h).
 */
#ifndef MQD_CLI_OUT_SN_H
#define MQD_CLI_OUT_SN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mqttdissect/sn.h"
#include "output/output.h"
#include "util/json_writer.h"

/* "registry", "message", "short", "predefined", "unknown", or NULL. */
const char *sn_topic_kind_name(enum sn_topic_kind k);

/* The whole object (no newline) into w. The payload (PUBLISH Data) follows
 * o->payload_mode and o->max_payload as an MQTT payload does; WillMsg
 * o->max_payload, as an MQTT will payload. */
struct payload_scratch;
void out_sn_write_json(struct json_writer *w, const struct output_opts *o,
                       struct payload_scratch *ps, const struct msg_meta *m,
                       const struct sn_record *r);

/* The summary line (with newline) and, when o->verbose, the tree. The
 * payload is written by the MQTT printer's writer (--payload,
 * --max-payload), the tree lines by the MQTT tree's. */
struct tree_memo;
void out_sn_write_text(struct obuf *b, const struct output_opts *o,
                       struct tree_memo *memo, const struct msg_meta *meta,
                       const struct sn_record *r);

#endif
