/* Changing a decoded frame after mqd_parse: violations found by callers
 * that see more than one packet (connection state). */
#include "mqttdissect/frame.h"
#include "violation.h"

bool mqd_frame_add_violation(mqd_frame *f, uint16_t rule, uint32_t off,
                             uint32_t value)
{
    if (f == NULL || rule >= MQD_RULE_COUNT)
        return false;
    bool room = f->nviolations < MQD_MAX_VIOLATIONS;
    mqd_violation_add(f, rule, off, value);
    return room;
}
