/* Suricata EVE JSON printer (-T eve): one line per MQTT control packet with
 * the common EVE keys (timestamp, flow_id, pcap_cnt, event_type "mqtt",
 * src_ip, src_port, dest_ip, dest_port, proto, community_id) and an "mqtt"
 * object with the keys and types Suricata's MQTT logger writes for that
 * packet type. What Suricata's schema has no key for inside "mqtt" goes
 * where the schema allows it:
 *   - each violation of a packet, and each event (gap, resync, tls, ...),
 *     is an "event_type":"anomaly" record after it (anomaly.type "applayer",
 *     or "stream" for lost bytes), with its details in "metadata";
 *   - pairing (reply_to, latency_us, flow_start, flow_latency_us) and a
 *     topic learnt from a Topic Alias go in the record's "metadata":
 *     numbers in "flowints", strings in "flowvars", every name "mqtt.*";
 *   - a frame skipped as too large (the "oversize" event) is an "mqtt"
 *     record of its type with "truncated" and "skipped_length", as
 *     Suricata writes one.
 * MQTT-SN messages are not printed: Suricata has no MQTT-SN event type.
 * tests/eve/mqtt-eve.schema.json is the schema every line meets. */
#ifndef MQD_CLI_OUT_EVE_H
#define MQD_CLI_OUT_EVE_H

#include "output/output.h"

struct output *out_eve_open(const struct output_opts *opts);

#endif
