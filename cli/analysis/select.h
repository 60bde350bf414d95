/* What is printed: the selection options --type and --client, applied to
 * a message after the connection analysis (analysis/session.h) has seen it
 * (the analysis itself always sees everything). */
#ifndef MQD_CLI_SELECT_H
#define MQD_CLI_SELECT_H

#include <stdbool.h>
#include <stdint.h>

#include "analysis/session.h"
#include "mqttdissect/frame.h"
#include "mqttdissect/rules.h"

/* --violation[=RULE,...]: messages carrying a violation (any, or one of
 * the rules named), and state-violation events of those rules. */
struct violation_sel {
    bool on;   /* --violation given */
    bool any;  /* without a list: every rule */
    uint8_t rules[(MQD_RULE_COUNT + 7) / 8]; /* bit per enum mqd_rule */
};

/* Whether a packet is printed: step->selected (--topic), its type in
 * type_mask (0: any), and the connection's client id equal to `client`
 * (NULL: any; s may be NULL, then only a NULL client matches). */
bool select_message(const struct session *s, const struct session_step *step,
                    uint8_t type, uint16_t type_mask, const char *client);

/* "PUBLISH,puback" → bits (1 << type) added to *mask; false on an unknown
 * name. For --type. */
bool select_type_mask_parse(const char *list, uint16_t *mask);

/* Adds the rules of a comma-separated list of rule ids ("MQTT-3.3.1-4":
 * every rule of that normative statement) and names ("PUBLISH_QOS_3") to
 * *vs, or, for NULL, selects every rule. False on an empty or unknown
 * item: *bad and *badlen then point at it within list. */
bool violation_sel_parse(struct violation_sel *vs, const char *list,
                         const char **bad, size_t *badlen);

/* Whether a message with these violations is chosen (true when --violation
 * is not given). `dropped`: violations past those listed, of unknown rule
 * (they count for "any"). */
bool violation_sel_message(const struct violation_sel *vs, const mqd_violation *v,
                           size_t n, uint32_t dropped);

/* Whether a state-violation event of `rule` is chosen (true when
 * --violation is not given). */
bool violation_sel_rule(const struct violation_sel *vs, uint16_t rule);

#endif
