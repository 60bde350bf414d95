/* --list-rules and --explain (pipeline_rules.h). */
#include "pipeline_rules.h"

#include <stdio.h>
#include <string.h>

#include "analysis/spb_rules.h"
#include "mqttdissect/rules.h"
#include "options.h"
#include "output/out_rules.h"

/* The library's catalogue (rules.def with rules_doc.def) as rule entries;
 * versions spelled out from the doc's bit set. */
static struct rule_entry mqtt_rules[MQD_RULE_COUNT];
static char mqtt_versions[MQD_RULE_COUNT][32];

static struct rule_catalogue mqtt_catalogue(void)
{
    for (uint16_t i = 0; i < MQD_RULE_COUNT; i++) {
        const mqd_rule_info *info = mqd_rule_get(i);
        const mqd_rule_doc *doc = mqd_rule_doc_get(i);
        char *v = mqtt_versions[i];
        size_t used = 0;
        v[0] = '\0';
        for (unsigned bit = 1; bit <= MQD_RULE_SN12; bit <<= 1) {
            const char *name = (doc->versions & bit) ? mqd_rule_version_name(bit) : NULL;
            if (!name)
                continue;
            int n = snprintf(v + used, sizeof mqtt_versions[i] - used, "%s%s",
                             used ? " " : "", name);
            if (n > 0 && (size_t)n < sizeof mqtt_versions[i] - used)
                used += (size_t)n;
        }
        mqtt_rules[i] = (struct rule_entry){
            .id = info->id,
            .name = info->name,
            .severity = info->severity,
            .message = info->message,
            .versions = v,
            .section = doc->section ? doc->section : "",
            .statement = doc->statement ? doc->statement : "",
        };
    }
    return (struct rule_catalogue){.name = "mqtt", .rules = mqtt_rules, .n = MQD_RULE_COUNT};
}

int pipeline_rules_run(const struct options *o)
{
    /* Every catalogue of checks, in the order they are listed. */
    struct rule_catalogue cats[] = {
        mqtt_catalogue(),
        {.name = "sparkplug", .rules = spb_rules(), .n = SPB_RULE_COUNT},
    };
    size_t ncats = sizeof cats / sizeof cats[0];
    bool json = o->format != OUT_TEXT;
    if (o->explain) {
        const char *catalogue = NULL;
        const struct rule_entry *r = out_rules_find(cats, ncats, o->explain, &catalogue);
        if (!r) {
            fprintf(stderr, "mqttdissect: --explain: no rule has the id or name '%s' "
                            "(--list-rules lists them)\n", o->explain);
            return 2;
        }
        return out_rules_explain(stdout, r, catalogue, json) == 0 ? 0 : 1;
    }
    return out_rules_list(stdout, cats, ncats, json) == 0 ? 0 : 1;
}
