/* The version of the library linked (version.h). */
#include "mqttdissect/version.h"

const char *mqd_version(void)
{
    return MQD_VERSION_STRING;
}
