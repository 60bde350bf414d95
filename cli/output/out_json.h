/* JSON Lines printer: one JSON object per control packet or event.
 *
 * The keys are a contract (add freely, never rename). Per packet:
 *   frame, ts (RFC 3339 UTC, microseconds), src, dst, conn, transport,
 *   stream_off, version (3, 4, 5 or null), version_inferred, type,
 *   header {byte, hex, type, flags[, dup, qos, retain]},
 *   remaining_length {value, encoded, bytes, minimal}, size,
 *   PUBLISH: qos, dup, retain, topic, payload {length, text | hex
 *            [, truncated, shown]},
 *   packet_id, reason_code + reason, session_present (CONNACK),
 *   connect {protocol_name, protocol_level, flags {...}, keep_alive,
 *            client_id, will {qos, retain, topic, payload, properties},
 *            username, password ("<redacted>") | password_hex},
 *   properties [{id, name, key, offset, value | value_hex}],
 *   filters [{topic, qos, no_local, retain_as_published, retain_handling}],
 *   reason_codes [{code, name}],
 *   violations [{rule, name, severity, offset, message, value}] (always).
 * Per event: the meta keys above and "event": name, then the caller's keys.
 */
#ifndef MQD_CLI_OUT_JSON_H
#define MQD_CLI_OUT_JSON_H

#include "util/json_writer.h"
#include "output/output.h"

/* The whole object for one frame (no trailing newline), written into w.
 * Used by the printer; usable alone (fuzzers, tests). */

/* The "violations" array (and "violations_dropped" when some were), for
 * MQTT frames and MQTT-SN messages alike. */
void out_json_violations(struct json_writer *w, const mqd_violation *list,
                         uint16_t count, uint16_t dropped);

/* The keys every record starts with: frame, ts, src, dst, conn,
 * community_id (when known), transport, and stream_off when `stream` (a
 * byte stream: TCP, WebSocket). */
void out_json_meta(struct json_writer *w, const struct msg_meta *m, bool stream);

/* One frame's object (no newline); `ps` is the printer's payload scratch
 * (output/payload.h). */
struct payload_scratch;
void out_json_write_frame(struct json_writer *w, const struct output_opts *o,
                          struct payload_scratch *ps, const struct msg_meta *m,
                          const mqd_frame *f);

#endif
