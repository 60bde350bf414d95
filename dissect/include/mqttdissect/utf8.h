/* mqttdissect: UTF-8 validation as MQTT defines it (MQTT 5.0 s1.5.4,
 * MQTT 3.1.1 s1.5.3). */
#ifndef MQTTDISSECT_UTF8_H
#define MQTTDISSECT_UTF8_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum mqd_utf8_status {
    MQD_UTF8_OK = 0,
    MQD_UTF8_ILL_FORMED,   /* not well-formed UTF-8 (overlong, bad continuation, > U+10FFFF, cut) */
    MQD_UTF8_SURROGATE,    /* encodes U+D800..U+DFFF */
    MQD_UTF8_NUL,          /* contains U+0000 */
    MQD_UTF8_DISCOURAGED   /* well-formed, but has control characters or non-characters */
};

/* Checks s[0..len). Returns the first problem found (worst first is not
 * promised: the first by position) and, when not OK, sets *bad_off to the
 * offset of the offending sequence within s. */
int mqd_utf8_check(const uint8_t *s, size_t len, size_t *bad_off);

#ifdef __cplusplus
}
#endif

#endif
