/* The Sparkplug B state rules as data (spb_rules.def): one struct
 * rule_entry (record.h) per rule, in catalogue order. */
#ifndef MQD_CLI_ANALYSIS_SPB_RULES_H
#define MQD_CLI_ANALYSIS_SPB_RULES_H

#include <stddef.h>

#include "mqttdissect/rules.h"
#include "record.h"

enum spb_rule {
#define SPB_RULE(name, id, sev, msg, versions, section, statement) SPB_R_##name,
#include "analysis/spb_rules.def"
#undef SPB_RULE
    SPB_RULE_COUNT
};

/* The entry of a rule; NULL when out of range. */
const struct rule_entry *spb_rule_get(unsigned rule);

/* The whole catalogue: SPB_RULE_COUNT entries. */
const struct rule_entry *spb_rules(void);

#endif
