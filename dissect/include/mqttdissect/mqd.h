/* mqttdissect: the whole public API. */
#ifndef MQTTDISSECT_MQD_H
#define MQTTDISSECT_MQD_H

#include "mqttdissect/frame.h"
#include "mqttdissect/names.h"
#include "mqttdissect/props.h"
#include "mqttdissect/rules.h"
#include "mqttdissect/sn.h"
#include "mqttdissect/stream.h"
#include "mqttdissect/utf8.h"
#include "mqttdissect/version.h"

#endif
