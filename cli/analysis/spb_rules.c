/* The Sparkplug B rule catalogue: one entry per SPB_RULE line of
 * spb_rules.def, in enum order. Names carry the prefix "SPB_". */
#include "analysis/spb_rules.h"

static const struct rule_entry spb_rule_table[SPB_RULE_COUNT] = {
#define SPB_RULE(name, id, sev, msg, versions, section, statement) \
    [SPB_R_##name] = {id, "SPB_" #name, (unsigned char)(sev), msg, versions, section, statement},
#include "analysis/spb_rules.def"
#undef SPB_RULE
};

const struct rule_entry *spb_rule_get(unsigned rule)
{
    return rule < SPB_RULE_COUNT ? &spb_rule_table[rule] : 0;
}

const struct rule_entry *spb_rules(void)
{
    return spb_rule_table;
}
