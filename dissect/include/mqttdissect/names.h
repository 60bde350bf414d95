/* mqttdissect: names of packet types, reason codes and return codes.
 * All names live in tables in dissect/names.c; nothing else spells them. */
#ifndef MQTTDISSECT_NAMES_H
#define MQTTDISSECT_NAMES_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* "CONNECT", "PUBLISH", ... upper case as in the specification; "RESERVED"
 * for type 0. */
const char *mqd_type_name(uint8_t type);

/* The name of reason code `code` in packet type `type` for protocol level
 * `version`: MQTT 5.0 reason codes (s2.4), MQTT 3.x CONNACK return codes and
 * SUBACK return codes. NULL when the code is not valid for that packet type
 * in that version. */
const char *mqd_reason_name(uint8_t type, uint8_t version, uint8_t code);

/* True when `code` is a valid reason code for `type` in `version`. */
bool mqd_reason_valid(uint8_t type, uint8_t version, uint8_t code);

/* "3.1", "3.1.1", "5.0", or "unknown". */
const char *mqd_version_name(uint8_t version);

#ifdef __cplusplus
}
#endif

#endif
