/* Sparkplug B state: what the Edge Nodes, their devices and the host
 * applications of a capture did, message after message, checked against
 * the Sparkplug 3.0 rules of spb_rules.def.
 *
 * The state is keyed by topic (group and Edge Node id; device id), not by
 * connection: an Edge Node's session is the MQTT connection its NBIRTH (or
 * the CONNECT whose will is its NDEATH) came on. Rules are checked on what
 * clients publish (direction client -> server, where QoS and retain are the
 * publisher's); a broker's copies to subscribers are only given the alias
 * names. Order rules (birth before data) are skipped on a connection whose
 * CONNECT was not captured: its birth may be before the capture.
 *
 * Per message, spb_state_on_publish / spb_state_on_connect add violations
 * to the message's msg_analysis (hits) and, for metrics that data or
 * commands name by alias alone, the name and datatype the births gave
 * (msg_analysis.spb_names, valid until the next call).
 *
 * Memory is bounded whatever the traffic: at most SPB_MAX_NODES Edge Nodes,
 * SPB_MAX_DEVICES devices, SPB_MAX_ALIASES aliases and SPB_NAME_BYTES of
 * metric names in all; ids longer than SPB_KEY_MAX bytes and names longer
 * than SPB_NAME_MAX are not kept. What does not fit is counted (overflow)
 * and its checks skipped; nothing grows with a count read from the wire.
 * The names of the last 256 data payloads clients published (by hash, at
 * most 1 KiB each) are kept so that the broker's copies are not decoded
 * again.
 */
#ifndef MQD_CLI_ANALYSIS_SPB_STATE_H
#define MQD_CLI_ANALYSIS_SPB_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analysis/spb_rules.h"
#include "mqttdissect/frame.h"
#include "record.h"

#define SPB_MAX_NODES 1024u
#define SPB_MAX_DEVICES 8192u
#define SPB_MAX_ALIASES 65536u
#define SPB_NAME_BYTES (4u << 20)
#define SPB_KEY_MAX 512u
#define SPB_NAME_MAX 1024u

/* What --stats shows. */
struct spb_counts {
    uint64_t messages;  /* PUBLISH on spBv1.0/ from clients */
    uint64_t edge_nodes, devices; /* distinct, as kept */
    uint64_t nbirths, dbirths, rebirths; /* rebirths: NBIRTHs of a node born before */
    uint64_t ndeaths, ddeaths;    /* published by the Edge Node */
    uint64_t seq_gaps;  /* seq not one more than the previous message's */
    uint64_t metrics;   /* metrics in the payloads */
    uint64_t states;    /* STATE messages */
    uint64_t violations;
    uint64_t by_rule[SPB_RULE_COUNT];
    uint64_t overflow;  /* nodes, devices, aliases or names not kept */
};

struct spb_state;

/* NULL when out of memory. */
struct spb_state *spb_state_new(void);
void spb_state_free(struct spb_state *s);

/* A PUBLISH sent in direction dir (0: client -> server) on connection
 * conn, whose topic (the effective one, after a topic alias) is
 * topic[0..topic_len): nothing happens unless it is in the spBv1.0
 * namespace. connect_seen: the connection's CONNECT was captured. */
void spb_state_on_publish(struct spb_state *s, uint64_t conn, int dir,
                          bool connect_seen, const mqd_frame *f,
                          const uint8_t *topic, size_t topic_len,
                          struct msg_analysis *an);

/* A CONNECT: its will, when on an NDEATH topic, opens the Edge Node's
 * session (bdSeq, will QoS and retain). */
void spb_state_on_connect(struct spb_state *s, uint64_t conn, const mqd_frame *f,
                          struct msg_analysis *an);

/* True once any Sparkplug traffic was seen. */
const struct spb_counts *spb_state_counts(const struct spb_state *s);

#endif
