/* Private: recording a violation of the specification in a frame.
 *
 * Conventions for the context value (mqd_violation.value), so that printers
 * and the "every byte explained" check can rely on them:
 *  - span rules (TRAILING_BYTES, FIELD_TRUNCATED, BODY_NOT_ALLOWED,
 *    DISCONNECT_BODY_BEFORE_V5): value is the number of bytes from `off`
 *    that no field explains (0 when a required field is simply absent);
 *  - property rules: value is the property identifier, except
 *    PROPERTY_VALUE_INVALID and the *_ZERO rules, where it is the value;
 *  - UTF-8 rules: value is the offset of the string's length prefix;
 *  - header rules: value is the flags nibble, QoS, remaining length ...;
 *  - reason code rules: value is the code. */
#ifndef MQD_VIOLATION_H
#define MQD_VIOLATION_H

#include <stdint.h>

#include "mqttdissect/frame.h"
#include "mqttdissect/rules.h"

/* Appends a violation; past MQD_MAX_VIOLATIONS it is only counted in
 * violations_dropped. */
void mqd_violation_add(mqd_frame *f, uint16_t rule, uint32_t off,
                       uint32_t value);

/* Number of violations of severity MQD_SEV_ERROR (dropped ones included). */
unsigned mqd_violation_errors(const mqd_frame *f);

#endif
