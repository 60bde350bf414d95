/* The violation catalogue: one entry per MQD_RULE line of rules.def, in
 * enum order, so mqd_rule_get is one array read. */
#include "mqttdissect/rules.h"

#include <stddef.h>
#include <string.h>

static const mqd_rule_info rule_table[MQD_RULE_COUNT] = {
#define MQD_RULE(name, id, sev, msg) [MQD_R_##name] = {id, #name, (uint8_t)(sev), msg},
#include "mqttdissect/rules.def"
#undef MQD_RULE
};

/* rules_doc.def: one entry per rule name. A rule without one is left
 * zeroed (tests/test_rules.c fails on it); a name given twice is an
 * initializer overridden (-Woverride-init, an error with -Wextra -Werror). */
static const mqd_rule_doc doc_table[MQD_RULE_COUNT] = {
#define MQD_RULE_DOC(name, versions, section, statement) \
    [MQD_R_##name] = {(uint8_t)(versions), section, statement},
#include "rules_doc.def"
#undef MQD_RULE_DOC
};

const mqd_rule_doc *mqd_rule_doc_get(uint16_t rule)
{
    if (rule >= MQD_RULE_COUNT)
        return NULL;
    return &doc_table[rule];
}

const char *mqd_rule_version_name(unsigned version_bit)
{
    switch (version_bit) {
    case MQD_RULE_V31:
        return "3.1";
    case MQD_RULE_V311:
        return "3.1.1";
    case MQD_RULE_V5:
        return "5.0";
    case MQD_RULE_SN12:
        return "sn1.2";
    default:
        return NULL;
    }
}

const mqd_rule_info *mqd_rule_get(uint16_t rule)
{
    if (rule >= MQD_RULE_COUNT)
        return NULL;
    return &rule_table[rule];
}

const mqd_rule_info *mqd_rule_find(const char *id_or_name)
{
    if (!id_or_name)
        return NULL;
    for (size_t i = 0; i < MQD_RULE_COUNT; i++)
        if (strcmp(rule_table[i].name, id_or_name) == 0)
            return &rule_table[i];
    for (size_t i = 0; i < MQD_RULE_COUNT; i++)
        if (strcmp(rule_table[i].id, id_or_name) == 0)
            return &rule_table[i];
    return NULL;
}

const char *mqd_severity_name(uint8_t severity)
{
    switch (severity) {
    case MQD_SEV_ERROR:
        return "error";
    case MQD_SEV_WARNING:
        return "warning";
    case MQD_SEV_INFO:
        return "info";
    default:
        return "unknown";
    }
}
