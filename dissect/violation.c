/* Recording violations in a frame: a fixed array, no allocation. */
#include "violation.h"

void mqd_violation_add(mqd_frame *f, uint16_t rule, uint32_t off,
                       uint32_t value)
{
    if (f->nviolations >= MQD_MAX_VIOLATIONS) {
        if (f->violations_dropped < UINT16_MAX)
            f->violations_dropped++;
        return;
    }
    mqd_violation *v = &f->violations[f->nviolations++];
    v->rule = rule;
    v->off = off;
    v->value = value;
}

unsigned mqd_violation_errors(const mqd_frame *f)
{
    unsigned n = f->violations_dropped;
    for (uint16_t i = 0; i < f->nviolations; i++) {
        const mqd_rule_info *r = mqd_rule_get(f->violations[i].rule);
        if (r == NULL || r->severity == MQD_SEV_ERROR)
            n++;
    }
    return n;
}
