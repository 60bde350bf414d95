/* What is printed: the selection options --type and --client, applied to
 * a message after the connection analysis (analysis/session.h) has seen it
 * (the analysis itself always sees everything). */
#ifndef MQD_CLI_SELECT_H
#define MQD_CLI_SELECT_H

#include <stdbool.h>
#include <stdint.h>

#include "analysis/session.h"
#include "analysis/spb_rules.h"
#include "mqttdissect/frame.h"
#include "mqttdissect/rules.h"

/* --client PATTERN, repeatable: a client id matches when it matches any
 * of them; in a pattern '*' stands for any run of characters (possibly
 * none), '+' for a run of at least one, every other byte for itself. */
#define SELECT_MAX_CLIENTS 16

struct client_sel {
    const char *pat[SELECT_MAX_CLIENTS];
    size_t n; /* 0: every client */
};

/* False when the list is full. */
bool client_sel_add(struct client_sel *cs, const char *pattern);

/* Whether the id (len bytes) matches one of the patterns (or there are
 * none). */
bool client_sel_match(const struct client_sel *cs, const uint8_t *id, size_t len);

/* --violation[=RULE,...]: messages carrying a violation (any, or one of
 * the rules named), and state-violation events of those rules. */
struct violation_sel {
    bool on;   /* --violation given */
    bool any;  /* without a list: every rule */
    uint8_t rules[(MQD_RULE_COUNT + 7) / 8]; /* bit per enum mqd_rule */
    uint8_t spb_rules[(SPB_RULE_COUNT + 7) / 8]; /* bit per enum spb_rule */
};

/* Whether a packet is printed: step->selected (--topic), its type in
 * type_mask (0: any), and the connection's client id (its CONNECT's, or
 * the CONNACK's Assigned Client Identifier) matching `clients` (NULL or
 * empty: any; s may be NULL, then only an empty selection matches). */
bool select_message(const struct session *s, const struct session_step *step,
                    uint8_t type, uint16_t type_mask, const struct client_sel *clients);

/* "PUBLISH,puback" → bits (1 << type) added to *mask; false on an unknown
 * name. For --type. */
bool select_type_mask_parse(const char *list, uint16_t *mask);

/* Adds the rules of a comma-separated list of rule ids ("MQTT-3.3.1-4":
 * every rule of that normative statement) and names ("PUBLISH_QOS_3"), of
 * the library's catalogue or the Sparkplug B one (spb_rules.def), to *vs, or, for NULL, selects every rule. False on an empty or unknown
 * item: *bad and *badlen then point at it within list. */
bool violation_sel_parse(struct violation_sel *vs, const char *list,
                         const char **bad, size_t *badlen);

/* Whether a message with these violations is chosen (true when --violation
 * is not given). `dropped`: violations past those listed, of unknown rule
 * (they count for "any"). `an`: what the connection analysis found in it
 * (the Sparkplug B rules' hits); NULL: nothing. */
bool violation_sel_message(const struct violation_sel *vs, const mqd_violation *v,
                           size_t n, uint32_t dropped, const struct msg_analysis *an);

/* Whether a state-violation event of `rule` is chosen (true when
 * --violation is not given). */
bool violation_sel_rule(const struct violation_sel *vs, uint16_t rule);

#endif
