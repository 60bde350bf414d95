/* mqttdissect: the catalogue of specification violations.
 * The rules themselves are data, listed once in rules.def. */
#ifndef MQTTDISSECT_RULES_H
#define MQTTDISSECT_RULES_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum mqd_severity {
    MQD_SEV_ERROR,   /* breaks a MUST of the specification */
    MQD_SEV_WARNING, /* breaks a SHOULD, or is legal but suspect */
    MQD_SEV_INFO     /* worth knowing, not wrong */
};

enum mqd_rule {
#define MQD_RULE(name, id, sev, msg) MQD_R_##name,
#include "mqttdissect/rules.def"
#undef MQD_RULE
    MQD_RULE_COUNT
};

typedef struct mqd_rule_info {
    const char *id;      /* "MQTT-3.3.1-4" (the specification's normative
                            statement), or "MQD-..." where the spec has none */
    const char *name;    /* "PUBLISH_QOS_3": the enum name, stable */
    uint8_t severity;    /* enum mqd_severity */
    const char *message; /* one line, no trailing period */
} mqd_rule_info;

/* The catalogue entry for a rule; NULL when out of range. */
const mqd_rule_info *mqd_rule_get(uint16_t rule);

/* The catalogue entry whose name ("PUBLISH_QOS_3") or rule id
 * ("MQTT-3.3.1-4", "MQD-...") is exactly `id_or_name`; NULL when none is
 * (or for NULL). Names are unique; a few rules share one normative
 * statement, so an id gives the first of them in catalogue order. The
 * rule's number (enum mqd_rule) is the result minus mqd_rule_get(0). */
const mqd_rule_info *mqd_rule_find(const char *id_or_name);

/* The protocol versions a rule applies to, as bits of mqd_rule_doc.versions. */
enum mqd_rule_version {
    MQD_RULE_V31 = 1u,  /* MQTT 3.1 (protocol level 3) */
    MQD_RULE_V311 = 2u, /* MQTT 3.1.1 (level 4) */
    MQD_RULE_V5 = 4u,   /* MQTT 5.0 (level 5) */
    MQD_RULE_SN12 = 8u  /* MQTT-SN 1.2 */
};

/* What the specification says behind a rule: kept apart from
 * mqd_rule_info so that struct keeps its layout. */
typedef struct mqd_rule_doc {
    uint8_t versions;      /* enum mqd_rule_version bits: where it is checked */
    const char *section;   /* "5.0 §3.3.1.2; 3.1.1 §3.3.1.2" (UTF-8) */
    const char *statement; /* the requirement and its reason, in one to three
                              sentences of the project's own words */
} mqd_rule_doc;

/* The documentation of a rule; NULL when out of range. */
const mqd_rule_doc *mqd_rule_doc_get(uint16_t rule);

/* "3.1", "3.1.1", "5.0", "sn1.2" for one enum mqd_rule_version bit;
 * NULL for anything else. */
const char *mqd_rule_version_name(unsigned version_bit);

/* "error", "warning", "info". */
const char *mqd_severity_name(uint8_t severity);

#ifdef __cplusplus
}
#endif

#endif
