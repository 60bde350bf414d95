/* Private: checks on topic names and topic filters (MQTT 5.0 s4.7, s4.8;
 * 3.1.1 s4.7). Offsets in violations point at the offending character. */
#ifndef MQD_TOPIC_H
#define MQD_TOPIC_H

#include <stdbool.h>
#include <stdint.h>

#include "mqttdissect/frame.h"

/* Records `rule` at the first wildcard character ('+' or '#') of a topic
 * name, if any (s4.7.1: wildcards belong in filters only). True when one
 * was found. */
bool mqd_check_topic_name(mqd_frame *f, const mqd_str *topic, uint16_t rule);

/* Checks a topic filter of SUBSCRIBE or UNSUBSCRIBE: not empty, wildcards
 * in place, and for 5.0 the shape of a shared subscription. Returns true
 * when the filter is a shared subscription ($share/..., 5.0 only). */
bool mqd_check_topic_filter(mqd_frame *f, const mqd_str *filter,
                            uint8_t version);

#endif
