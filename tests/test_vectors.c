/* Table-driven vectors for the whole parser: every packet type in MQTT 3.1,
 * 3.1.1 and 5.0, the remaining-length boundaries, and one failing and one
 * passing vector for every rule in rules.def.
 *
 * Expectations come from the OASIS texts (MQTT 3.1.1 and MQTT 5.0, chapters
 * 2 and 3), not from the parser's behaviour. Each expectation is a line of
 * key=value words, e.g. "type=PUBLISH qos=1 pid=10 topic=a/b payload=5";
 * a valid vector must decode without any violation.
 *
 * For every vector: every proper prefix gives MQD_NEED_MORE with need >
 * prefix length, and every two-way split fed to the stream decoder gives the
 * same single frame. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hexvec.h"
#include "mqttdissect/mqd.h"

/* Failures are collected, so one run lists every disagreement. */
static unsigned g_failures;

#define REPORT(...)                                                            \
    do {                                                                       \
        print_error(__VA_ARGS__);                                              \
        print_error("\n");                                                     \
        g_failures++;                                                          \
    } while (0)

/* ---- hex ----------------------------------------------------------------- */

#define MAX_VEC 512

/* ---- the vectors ----------------------------------------------------------- */

typedef struct vector {
    const char *name;
    uint8_t version; /* passed to mqd_parse */
    const char *hex;
    const char *expect;
} vector;

#define V31 MQD_V31
#define V311 MQD_V311
#define V5 MQD_V5

static const vector VECTORS[] = {
    /* CONNECT (3.1.1 s3.1; 3.1 "MQIsdp" level 3; 5.0 s3.1). */
    {"connect 3.1.1 minimal", V311,
     "10 0E 00 04 4D 51 54 54 04 02 00 3C 00 02 63 31",
     "type=CONNECT v=4 level=4 cid=c1 ka=60 clean=1 will=0 props=none"},
    {"connect 3.1.1 empty client id, clean session", V311,
     "10 0C 00 04 4D 51 54 54 04 02 00 3C 00 00", "type=CONNECT cid= clean=1"},
    {"connect 3.1.1 will qos1 retain, user, password", V311,
     "10 1F 00 04 4D 51 54 54 04 EE 00 3C 00 02 63 31 00 03 77 2F 74"
     " 00 03 62 79 65 00 01 75 00 02 70 77",
     "type=CONNECT v=4 will=1 wqos=1 wretain=1 wtopic=w/t wpayload=3 user=u "
     "pass=2 clean=1 rl=31"},
    {"connect 3.1.1 user name only", V311,
     "10 11 00 04 4D 51 54 54 04 82 00 3C 00 02 63 31 00 01 75",
     "type=CONNECT user=u pass=none will=0"},
    {"connect 3.1.1 will qos2, persistent session", V311,
     "10 13 00 04 4D 51 54 54 04 14 00 0A 00 02 63 31 00 01 74 00 00",
     "type=CONNECT clean=0 will=1 wqos=2 wretain=0 wtopic=t wpayload=0 ka=10"},
    {"connect 3.1 minimal", V31,
     "10 10 00 06 4D 51 49 73 64 70 03 02 00 3C 00 02 63 31",
     "type=CONNECT v=3 level=3 cid=c1 ka=60"},
    {"connect 3.1 will, user, password", V31,
     "10 21 00 06 4D 51 49 73 64 70 03 EE 00 3C 00 02 63 31 00 03 77 2F 74"
     " 00 03 62 79 65 00 01 75 00 02 70 77",
     "type=CONNECT v=3 will=1 wqos=1 wretain=1 wtopic=w/t user=u pass=2"},
    {"connect 3.1 decoded by its own level whatever the caller says", V5,
     "10 10 00 06 4D 51 49 73 64 70 03 02 00 3C 00 02 63 31",
     "type=CONNECT v=3 level=3"},
    {"connect 5.0 minimal", V5,
     "10 0F 00 04 4D 51 54 54 05 02 00 3C 00 00 02 63 31",
     "type=CONNECT v=5 level=5 cid=c1 props=0"},
    {"connect 5.0 session expiry, receive maximum", V5,
     "10 17 00 04 4D 51 54 54 05 02 00 3C 08 11 00 00 00 78 21 00 0A"
     " 00 02 63 31",
     "type=CONNECT v=5 props=2 cid=c1"},
    {"connect 5.0 will properties, user, password", V5,
     "10 26 00 04 4D 51 54 54 05 CE 00 3C 00 00 02 63 31 05 18 00 00 00 0A"
     " 00 03 77 2F 74 00 03 62 79 65 00 01 75 00 02 70 77",
     "type=CONNECT v=5 will=1 wqos=1 wretain=0 wprops=1 wtopic=w/t "
     "wpayload=3 user=u pass=2"},
    /* 5.0 s3.1.2.9: a password without a user name is allowed in 5.0. */
    {"connect 5.0 password without user name", V5,
     "10 13 00 04 4D 51 54 54 05 42 00 3C 00 00 02 63 31 00 02 70 77",
     "type=CONNECT user=none pass=2"},
    /* 5.0 s3.1.3.1: a zero-length client id is allowed with any Clean Start
     * (MQTT-3.1.3-7 of 3.1.1 is gone). */
    {"connect 5.0 empty client id, clean start 0", V5,
     "10 0D 00 04 4D 51 54 54 05 00 00 3C 00 00 00",
     "type=CONNECT cid= clean=0"},
    {"connect read as version unknown", MQD_VERSION_UNKNOWN,
     "10 0F 00 04 4D 51 54 54 05 02 00 3C 00 00 02 63 31", "type=CONNECT v=5"},

    /* CONNACK (s3.2). */
    {"connack 3.1.1", V311, "20 02 00 00", "type=CONNACK sp=0 reason=0"},
    {"connack 3.1.1 session present", V311, "20 02 01 00", "sp=1 reason=0"},
    {"connack 3.1.1 not authorized", V311, "20 02 00 05", "sp=0 reason=5"},
    {"connack 3.1", V31, "20 02 00 00", "type=CONNACK v=3 reason=0"},
    {"connack 3.1 refused: identifier rejected", V31, "20 02 00 02",
     "reason=2"},
    {"connack 5.0", V5, "20 03 00 00 00", "type=CONNACK v=5 props=0 reason=0"},
    {"connack 5.0 assigned client id, topic alias maximum", V5,
     "20 0C 00 00 09 12 00 03 61 62 63 22 00 0A", "props=2 reason=0"},
    {"connack 5.0 not authorized", V5, "20 03 00 87 00", "reason=0x87 sp=0"},

    /* PUBLISH (s3.3). */
    {"publish 3.1.1 qos0", V311, "30 0A 00 03 61 2F 62 68 65 6C 6C 6F",
     "type=PUBLISH qos=0 dup=0 retain=0 topic=a/b payload=5 pid=none "
     "props=none"},
    {"publish 3.1.1 qos1", V311, "32 0C 00 03 61 2F 62 00 0A 68 65 6C 6C 6F",
     "qos=1 pid=10 topic=a/b payload=5"},
    {"publish 3.1.1 qos2 dup retain", V311,
     "3D 0C 00 03 61 2F 62 00 0B 68 65 6C 6C 6F",
     "qos=2 dup=1 retain=1 pid=11 payload=5"},
    {"publish 3.1.1 empty payload", V311, "30 05 00 03 61 2F 62",
     "payload=0 topic=a/b"},
    {"publish 3.1 qos1", V31, "32 0C 00 03 61 2F 62 00 0A 68 65 6C 6C 6F",
     "v=3 qos=1 pid=10"},
    {"publish 5.0 qos0, no properties", V5,
     "30 0B 00 03 61 2F 62 00 68 65 6C 6C 6F",
     "v=5 qos=0 props=0 payload=5 pid=none"},
    {"publish 5.0 qos1, format, expiry, content type", V5,
     "32 1B 00 03 61 2F 62 00 01 0E 01 01 02 00 00 00 3C 03 00 04 74 65 78 74"
     " 68 65 6C 6C 6F",
     "qos=1 pid=1 props=3 payload=5 topic=a/b"},
    {"publish 5.0 qos2, empty topic with a topic alias", V5,
     "34 09 00 00 00 02 03 23 00 05 78", "qos=2 pid=2 topic= props=1 payload=1"},
    {"publish 5.0 user property, correlation data, response topic", V5,
     "30 18 00 03 61 2F 62 12 26 00 01 6B 00 01 76 09 00 02 01 02 08 00 03"
     " 72 2F 31",
     "props=3 payload=0"},

    /* PUBACK, PUBREC, PUBREL, PUBCOMP (s3.4 .. s3.7). */
    {"puback 3.1.1", V311, "40 02 00 01", "type=PUBACK pid=1 reason=none"},
    {"pubrec 3.1.1", V311, "50 02 00 02", "type=PUBREC pid=2"},
    {"pubrel 3.1.1", V311, "62 02 00 03", "type=PUBREL pid=3"},
    {"pubcomp 3.1.1", V311, "70 02 00 04", "type=PUBCOMP pid=4"},
    {"puback 3.1", V31, "40 02 00 01", "type=PUBACK v=3 pid=1"},
    {"pubrec 3.1", V31, "50 02 00 02", "type=PUBREC v=3 pid=2"},
    {"pubrel 3.1", V31, "62 02 00 03", "type=PUBREL v=3 pid=3"},
    {"pubcomp 3.1", V31, "70 02 00 04", "type=PUBCOMP v=3 pid=4"},
    /* 5.0 s3.4.2.1: remaining length 2 means reason 0x00, no properties. */
    {"puback 5.0 short form", V5, "40 02 00 01",
     "type=PUBACK v=5 pid=1 reason=none props=none"},
    {"puback 5.0 reason only", V5, "40 03 00 01 10",
     "pid=1 reason=0x10 props=none"},
    {"pubrec 5.0 long form with reason string", V5,
     "50 09 00 02 80 05 1F 00 02 6E 6F", "type=PUBREC pid=2 reason=0x80 props=1"},
    {"pubrel 5.0 packet identifier not found", V5, "62 03 00 03 92",
     "type=PUBREL pid=3 reason=0x92"},
    {"pubcomp 5.0 reason and empty properties", V5, "70 04 00 04 00 00",
     "type=PUBCOMP pid=4 reason=0 props=0"},
    {"pubcomp 5.0 short form", V5, "70 02 00 04", "type=PUBCOMP reason=none"},

    /* SUBSCRIBE, SUBACK (s3.8, s3.9). */
    {"subscribe 3.1.1 two filters", V311,
     "82 0E 00 0A 00 03 61 2F 62 01 00 03 63 2F 23 02",
     "type=SUBSCRIBE pid=10 count=2 props=none"},
    {"subscribe 3.1", V31, "82 0E 00 0A 00 03 61 2F 62 01 00 03 63 2F 23 02",
     "type=SUBSCRIBE v=3 pid=10 count=2"},
    {"subscribe 5.0 no local, retain as published, retain handling 1", V5,
     "82 09 00 0A 00 00 03 61 2F 2B 1D", "pid=10 count=1 props=0"},
    {"subscribe 5.0 subscription identifier", V5,
     "82 0B 00 0B 02 0B 05 00 03 61 2F 62 00", "pid=11 count=1 props=1"},
    {"subscribe 5.0 shared subscription", V5,
     "82 12 00 0C 00 00 0C 24 73 68 61 72 65 2F 67 2F 61 2F 62 01",
     "pid=12 count=1"},
    {"suback 3.1.1 granted 1 and failure", V311, "90 04 00 0A 01 80",
     "type=SUBACK pid=10 count=2"},
    {"suback 3.1", V31, "90 03 00 0A 00", "type=SUBACK v=3 count=1"},
    {"suback 5.0", V5, "90 05 00 0A 00 01 87",
     "type=SUBACK pid=10 count=2 props=0"},
    {"suback 5.0 with reason string", V5, "90 09 00 0A 05 1F 00 02 6F 6B 00",
     "props=1 count=1"},

    /* UNSUBSCRIBE, UNSUBACK (s3.10, s3.11). */
    {"unsubscribe 3.1.1", V311, "A2 07 00 0B 00 03 61 2F 62",
     "type=UNSUBSCRIBE pid=11 count=1"},
    {"unsubscribe 3.1", V31, "A2 07 00 0B 00 03 61 2F 62",
     "type=UNSUBSCRIBE v=3 pid=11 count=1"},
    {"unsubscribe 5.0", V5, "A2 08 00 0B 00 00 03 61 2F 62",
     "pid=11 props=0 count=1"},
    {"unsubscribe 5.0 user property", V5,
     "A2 0F 00 0B 07 26 00 01 6B 00 01 76 00 03 61 2F 62", "props=1 count=1"},
    {"unsubscribe 5.0 two filters", V5,
     "A2 0D 00 0C 00 00 03 61 2F 62 00 03 63 2F 64", "pid=12 count=2"},
    {"unsuback 3.1.1", V311, "B0 02 00 0B", "type=UNSUBACK pid=11 props=none"},
    {"unsuback 3.1", V31, "B0 02 00 0B", "type=UNSUBACK v=3 pid=11"},
    {"unsuback 5.0", V5, "B0 04 00 0B 00 00",
     "type=UNSUBACK pid=11 props=0 count=1"},
    {"unsuback 5.0 no subscription existed", V5, "B0 05 00 0B 00 00 11",
     "count=2"},

    /* PINGREQ, PINGRESP (s3.12, s3.13). */
    {"pingreq 3.1", V31, "C0 00", "type=PINGREQ v=3 rl=0"},
    {"pingreq 3.1.1", V311, "C0 00", "type=PINGREQ v=4 rl=0"},
    {"pingreq 5.0", V5, "C0 00", "type=PINGREQ v=5 rl=0"},
    {"pingresp 3.1", V31, "D0 00", "type=PINGRESP v=3"},
    {"pingresp 3.1.1", V311, "D0 00", "type=PINGRESP v=4"},
    {"pingresp 5.0", V5, "D0 00", "type=PINGRESP v=5"},

    /* DISCONNECT (s3.14). */
    {"disconnect 3.1", V31, "E0 00", "type=DISCONNECT v=3"},
    {"disconnect 3.1.1", V311, "E0 00", "type=DISCONNECT v=4"},
    /* 5.0 s3.14.2.1: remaining length 0 means reason 0x00. */
    {"disconnect 5.0 short form", V5, "E0 00",
     "type=DISCONNECT v=5 reason=none props=none"},
    {"disconnect 5.0 with will message", V5, "E0 01 04",
     "reason=4 props=none"},
    {"disconnect 5.0 reason string", V5, "E0 07 00 05 1F 00 02 6F 6B",
     "reason=0 props=1"},
    {"disconnect 5.0 use another server", V5, "E0 06 9C 04 1C 00 01 78",
     "reason=0x9C props=1"},

    /* AUTH (5.0 s3.15). */
    {"auth 5.0 continue authentication", V5,
     "F0 0F 18 0D 15 00 05 53 43 52 41 4D 16 00 02 01 02",
     "type=AUTH v=5 reason=0x18 props=2"},
    /* s3.15.2.1: reason 0x00 with no properties may be left out. */
    {"auth 5.0 short form", V5, "F0 00", "type=AUTH reason=none props=none"},
    {"auth 5.0 re-authenticate", V5, "F0 0A 19 08 15 00 05 53 43 52 41 4D",
     "type=AUTH reason=0x19 props=1"},
};

/* One vector that breaks a rule and a near-identical one that does not. */
typedef struct conformance {
    const char *rule; /* enum name, as mqd_rule_get()->name */
    uint8_t bad_version;
    const char *bad;
    uint8_t good_version;
    const char *good;
} conformance;

#define C311_MIN "10 0E 00 04 4D 51 54 54 04 02 00 3C 00 02 63 31"

static const conformance RULES[] = {
    /* Fixed header (3.1.1 s2.2, 5.0 s2.1). */
    {"TYPE_RESERVED", V311, "00 00", V311, "C0 00"},
    {"FLAGS_RESERVED", V311, "C1 00", V311, "C0 00"},
    {"FLAGS_RESERVED", V311, "80 08 00 01 00 03 61 2F 62 00", V311,
     "82 08 00 01 00 03 61 2F 62 00"},
    {"FLAGS_RESERVED", V5, "60 02 00 01", V5, "62 02 00 01"},
    {"PUBLISH_QOS_3", V311, "36 0C 00 03 61 2F 62 00 0A 68 65 6C 6C 6F", V311,
     "34 0C 00 03 61 2F 62 00 0A 68 65 6C 6C 6F"},
    {"PUBLISH_DUP_QOS0", V311, "38 0A 00 03 61 2F 62 68 65 6C 6C 6F", V311,
     "30 0A 00 03 61 2F 62 68 65 6C 6C 6F"},
    {"RL_NOT_MINIMAL", V5, "C0 80 00", V5, "C0 00"},
    {"RL_NOT_MINIMAL", V5, "30 86 00 00 03 61 2F 62 00", V5,
     "30 06 00 03 61 2F 62 00"},
    /* 3.1 and 3.1.1 do not require the shortest encoding: a warning. */
    {"RL_NOT_MINIMAL_V3", V311, "C0 80 00", V311, "C0 00"},
    {"RL_NOT_MINIMAL_V3", V311, "30 85 00 00 03 61 2F 62", V311,
     "30 05 00 03 61 2F 62"},
    {"RL_NOT_MINIMAL_V3", V31, "C0 80 00", V31, "C0 00"},
    /* RL_TOO_LONG is a framing error: see remaining_length_too_long. */
    {"AUTH_BEFORE_V5", V311, "F0 0A 19 08 15 00 05 53 43 52 41 4D", V5,
     "F0 0A 19 08 15 00 05 53 43 52 41 4D"},
    {"BODY_NOT_ALLOWED", V311, "C0 01 00", V311, "C0 00"},
    {"BODY_NOT_ALLOWED", V5, "D0 01 00", V5, "D0 00"},
    {"TRAILING_BYTES", V311, "10 0F 00 04 4D 51 54 54 04 02 00 3C 00 02 63 31 00",
     V311, C311_MIN},
    {"TRAILING_BYTES", V5, "40 05 00 01 00 00 FF", V5, "40 04 00 01 00 00"},
    {"FIELD_TRUNCATED", V311, "30 05 00 05 61 2F 62", V311,
     "30 05 00 03 61 2F 62"},
    /* 3.1.1 s3.4.1: PUBACK's remaining length is 2. */
    {"LENGTH_MISMATCH", V311, "40 03 00 01 00", V311, "40 02 00 01"},
    {"LENGTH_MISMATCH", V311, "20 03 00 00 00", V311, "20 02 00 00"},
    {"LENGTH_MISMATCH", V311, "B0 03 00 0B 00", V311, "B0 02 00 0B"},
    /* 5.0 s3.2.2.3: CONNACK always carries a property length. */
    {"FIELD_TRUNCATED", V5, "20 02 00 00", V5, "20 03 00 00 00"},

    /* Data representation (5.0 s1.5.4, s1.5.5). */
    {"UTF8_ILL_FORMED", V311, "30 05 00 03 61 FF 62", V311,
     "30 05 00 03 61 2F 62"},
    {"UTF8_ILL_FORMED", V311, "30 05 00 03 C0 AF 62", V311, /* overlong '/' */
     "30 05 00 03 61 2F 62"},
    {"UTF8_SURROGATE", V311, "30 05 00 03 ED A0 80", V311,
     "30 05 00 03 E2 82 AC"},
    {"UTF8_NUL", V311, "30 05 00 03 61 00 62", V311, "30 05 00 03 61 2F 62"},
    {"UTF8_DISCOURAGED", V311, "30 05 00 03 61 01 62", V311,
     "30 05 00 03 61 2F 62"},
    {"VARINT_NOT_MINIMAL", V5, "40 05 00 01 00 80 00", V5, "40 04 00 01 00 00"},
    {"VARINT_TOO_LONG", V5, "40 08 00 01 00 80 80 80 80 01", V5,
     "40 04 00 01 00 00"},

    /* Packet identifiers (5.0 s2.2.1, MQTT-2.2.1-3). */
    {"PACKET_ID_ZERO", V311, "32 0C 00 03 61 2F 62 00 00 68 65 6C 6C 6F", V311,
     "32 0C 00 03 61 2F 62 00 0A 68 65 6C 6C 6F"},
    {"PACKET_ID_ZERO", V311, "82 08 00 00 00 03 61 2F 62 00", V311,
     "82 08 00 01 00 03 61 2F 62 00"},

    /* CONNECT (s3.1). */
    {"CONNECT_PROTOCOL_NAME", V311,
     "10 0E 00 04 4D 51 54 58 04 02 00 3C 00 02 63 31", V311, C311_MIN},
    {"CONNECT_PROTOCOL_LEVEL", V311,
     "10 0E 00 04 4D 51 54 54 06 02 00 3C 00 02 63 31", V311, C311_MIN},
    /* A mosquitto bridge: level 0x84 (and 0x83 with MQIsdp) is 3.1.1 (3.1)
     * with the bridge bit, information only; 0x85 is no bridge level. */
    {"CONNECT_BRIDGE_LEVEL", V311,
     "10 0E 00 04 4D 51 54 54 84 02 00 3C 00 02 63 31", V311, C311_MIN},
    {"CONNECT_BRIDGE_LEVEL", V311,
     "10 10 00 06 4D 51 49 73 64 70 83 02 00 3C 00 02 63 31", V31,
     "10 10 00 06 4D 51 49 73 64 70 03 02 00 3C 00 02 63 31"},
    {"CONNECT_PROTOCOL_LEVEL", V311,
     "10 0E 00 04 4D 51 54 54 85 02 00 3C 00 02 63 31", V311, C311_MIN},
    {"CONNECT_NAME_LEVEL_MISMATCH", V311,
     "10 0E 00 04 4D 51 54 54 03 02 00 3C 00 02 63 31", V311, C311_MIN},
    {"CONNECT_NAME_LEVEL_MISMATCH", V311,
     "10 10 00 06 4D 51 49 73 64 70 04 02 00 3C 00 02 63 31", V31,
     "10 10 00 06 4D 51 49 73 64 70 03 02 00 3C 00 02 63 31"},
    {"CONNECT_RESERVED_FLAG", V311,
     "10 0E 00 04 4D 51 54 54 04 03 00 3C 00 02 63 31", V311, C311_MIN},
    {"CONNECT_WILL_QOS_NO_WILL", V311,
     "10 0E 00 04 4D 51 54 54 04 0A 00 3C 00 02 63 31", V311, C311_MIN},
    {"CONNECT_WILL_QOS_3", V311,
     "10 13 00 04 4D 51 54 54 04 1E 00 0A 00 02 63 31 00 01 74 00 00", V311,
     "10 13 00 04 4D 51 54 54 04 16 00 0A 00 02 63 31 00 01 74 00 00"},
    {"CONNECT_WILL_RETAIN_NO_WILL", V311,
     "10 0E 00 04 4D 51 54 54 04 22 00 3C 00 02 63 31", V311, C311_MIN},
    {"CONNECT_PASSWORD_NO_USERNAME", V311,
     "10 12 00 04 4D 51 54 54 04 42 00 3C 00 02 63 31 00 02 70 77", V311,
     "10 15 00 04 4D 51 54 54 04 C2 00 3C 00 02 63 31 00 01 75 00 02 70 77"},
    {"CONNECT_PASSWORD_NO_USERNAME", V31,
     "10 14 00 06 4D 51 49 73 64 70 03 42 00 3C 00 02 63 31 00 02 70 77", V5,
     "10 13 00 04 4D 51 54 54 05 42 00 3C 00 00 02 63 31 00 02 70 77"},
    {"CONNECT_CLIENT_ID_EMPTY_SESSION", V311,
     "10 0C 00 04 4D 51 54 54 04 00 00 3C 00 00", V311,
     "10 0C 00 04 4D 51 54 54 04 02 00 3C 00 00"},
    {"CONNECT_CLIENT_ID_31_LENGTH", V31,
     "10 26 00 06 4D 51 49 73 64 70 03 02 00 3C 00 18 61 62 63 64 65 66 67 68"
     " 69 6A 6B 6C 6D 6E 6F 70 71 72 73 74 75 76 77 78",
     V31,
     "10 25 00 06 4D 51 49 73 64 70 03 02 00 3C 00 17 61 62 63 64 65 66 67 68"
     " 69 6A 6B 6C 6D 6E 6F 70 71 72 73 74 75 76 77"},
    {"CONNECT_CLIENT_ID_31_LENGTH", V31,
     "10 0E 00 06 4D 51 49 73 64 70 03 02 00 3C 00 00", V31,
     "10 10 00 06 4D 51 49 73 64 70 03 02 00 3C 00 02 63 31"},
    {"CONNECT_CLIENT_ID_UNUSUAL", V311,
     "10 24 00 04 4D 51 54 54 04 02 00 3C 00 18 61 62 63 64 65 66 67 68"
     " 69 6A 6B 6C 6D 6E 6F 70 71 72 73 74 75 2D 77 78", V311,
     "10 23 00 04 4D 51 54 54 04 02 00 3C 00 17 61 62 63 64 65 66 67 68"
     " 69 6A 6B 6C 6D 6E 6F 70 71 72 73 74 75 2D 77"},
    {"CONNECT_WILL_TOPIC_WILDCARD", V311,
     "10 15 00 04 4D 51 54 54 04 06 00 3C 00 02 63 31 00 03 61 2F 23 00 00",
     V311,
     "10 15 00 04 4D 51 54 54 04 06 00 3C 00 02 63 31 00 03 61 2F 62 00 00"},
    /* CONNECT_MISSING_FIELD is superseded by the CONNECT_*_MISSING rules. */
    {"CONNECT_CLIENT_ID_MISSING", V311, "10 0A 00 04 4D 51 54 54 04 02 00 3C",
     V311, C311_MIN},
    {"CONNECT_WILL_MISSING", V311,
     "10 0E 00 04 4D 51 54 54 04 06 00 3C 00 02 63 31", V311, C311_MIN},
    {"CONNECT_USERNAME_MISSING", V311,
     "10 0E 00 04 4D 51 54 54 04 82 00 3C 00 02 63 31", V311, C311_MIN},
    {"CONNECT_PASSWORD_MISSING", V311,
     "10 11 00 04 4D 51 54 54 04 C2 00 3C 00 02 63 31 00 01 75", V311,
     "10 11 00 04 4D 51 54 54 04 82 00 3C 00 02 63 31 00 01 75"},
    {"CONNECT_WILL_PAYLOAD_NOT_UTF8", V5,
     "10 18 00 04 4D 51 54 54 05 06 00 3C 00 00 02 63 31 02 01 01 00 01 74"
     " 00 01 FF",
     V5,
     "10 18 00 04 4D 51 54 54 05 06 00 3C 00 00 02 63 31 02 01 01 00 01 74"
     " 00 01 41"},

    /* CONNACK (s3.2). */
    {"CONNACK_RESERVED_FLAGS", V311, "20 02 02 00", V311, "20 02 00 00"},
    {"CONNACK_RESERVED_FLAGS", V5, "20 03 80 00 00", V5, "20 03 00 00 00"},
    {"CONNACK_SESSION_PRESENT_ON_ERROR", V311, "20 02 01 05", V311,
     "20 02 00 05"},
    {"CONNACK_SESSION_PRESENT_ON_ERROR", V5, "20 03 01 87 00", V5,
     "20 03 00 87 00"},
    {"REASON_CODE_INVALID", V311, "20 02 00 06", V311, "20 02 00 05"},
    {"CONNACK_REASON_INVALID", V5, "20 03 00 01 00", V5, "20 03 00 80 00"},

    /* PUBLISH (s3.3). */
    {"PUBLISH_TOPIC_WILDCARD", V311, "30 05 00 03 61 2F 2B", V311,
     "30 05 00 03 61 2F 62"},
    {"PUBLISH_TOPIC_WILDCARD", V311, "30 05 00 03 61 2F 23", V311,
     "30 05 00 03 61 2F 62"},
    {"PUBLISH_TOPIC_EMPTY", V5, "30 08 00 00 00 68 65 6C 6C 6F", V5,
     "30 0B 00 00 03 23 00 01 68 65 6C 6C 6F"},
    {"PUBLISH_TOPIC_EMPTY", V311, "30 07 00 00 68 65 6C 6C 6F", V311,
     "30 08 00 01 74 68 65 6C 6C 6F"},
    {"PUBLISH_PAYLOAD_NOT_UTF8", V5, "30 09 00 03 61 2F 62 02 01 01 FF", V5,
     "30 09 00 03 61 2F 62 02 01 01 41"},

    /* Topic filters (s4.7, s4.8). */
    {"FILTER_EMPTY", V311, "82 05 00 01 00 00 00", V311,
     "82 06 00 01 00 01 61 00"},
    {"FILTER_EMPTY", V311, "A2 04 00 01 00 00", V311, "A2 05 00 01 00 01 61"},
    {"FILTER_MULTI_LEVEL_MISPLACED", V311, "82 0A 00 01 00 05 61 2F 23 2F 62 00",
     V311, "82 0A 00 01 00 05 61 2F 62 2F 23 00"},
    {"FILTER_MULTI_LEVEL_MISPLACED", V311, "82 09 00 01 00 04 61 2F 62 23 00",
     V311, "82 08 00 01 00 03 61 2F 23 00"},
    {"FILTER_SINGLE_LEVEL_MISPLACED", V311, "82 09 00 01 00 04 61 2F 62 2B 00",
     V311, "82 0A 00 01 00 05 61 2F 2B 2F 62 00"},
    {"FILTER_SHARED_INVALID", V5,
     "82 0F 00 01 00 00 09 24 73 68 61 72 65 2F 2F 61 00", V5,
     "82 10 00 01 00 00 0A 24 73 68 61 72 65 2F 67 2F 61 00"},
    {"FILTER_SHARED_NO_LOCAL", V5,
     "82 10 00 01 00 00 0A 24 73 68 61 72 65 2F 67 2F 61 05", V5,
     "82 10 00 01 00 00 0A 24 73 68 61 72 65 2F 67 2F 61 01"},
    {"FILTER_SHARED_NAME_CHARS", V5,
     "82 11 00 01 00 00 0B 24 73 68 61 72 65 2F 67 2B 2F 61 00", V5,
     "82 11 00 01 00 00 0B 24 73 68 61 72 65 2F 67 67 2F 61 00"},

    /* SUBSCRIBE .. UNSUBACK (s3.8 .. s3.11). */
    {"SUBSCRIBE_NO_FILTERS", V311, "82 02 00 01", V311,
     "82 08 00 01 00 03 61 2F 62 00"},
    {"SUBSCRIBE_NO_FILTERS", V5, "82 03 00 01 00", V5,
     "82 09 00 01 00 00 03 61 2F 62 00"},
    {"SUBSCRIBE_OPTIONS_RESERVED", V5, "82 09 00 01 00 00 03 61 2F 62 C1", V5,
     "82 09 00 01 00 00 03 61 2F 62 01"},
    {"SUBSCRIBE_OPTIONS_RESERVED", V311, "82 08 00 01 00 03 61 2F 62 04", V311,
     "82 08 00 01 00 03 61 2F 62 00"},
    {"SUBSCRIBE_QOS_3", V311, "82 08 00 01 00 03 61 2F 62 03", V311,
     "82 08 00 01 00 03 61 2F 62 02"},
    {"SUBSCRIBE_RETAIN_HANDLING_3", V5, "82 09 00 01 00 00 03 61 2F 62 30", V5,
     "82 09 00 01 00 00 03 61 2F 62 20"},
    {"SUBACK_NO_CODES", V311, "90 02 00 01", V311, "90 03 00 01 00"},
    {"UNSUBSCRIBE_NO_FILTERS", V311, "A2 02 00 01", V311,
     "A2 07 00 01 00 03 61 2F 62"},
    {"UNSUBACK_NO_CODES", V5, "B0 03 00 01 00", V5, "B0 04 00 01 00 00"},
    {"RETURN_CODE_RESERVED", V311, "90 03 00 01 03", V311, "90 03 00 01 02"},
    {"RETURN_CODE_RESERVED", V5, "90 04 00 01 00 10", V5, "90 04 00 01 00 97"},
    {"UNSUBACK_REASON_INVALID", V5, "B0 04 00 01 00 01", V5,
     "B0 04 00 01 00 11"},

    /* Reason codes of the acks, DISCONNECT, AUTH (5.0 s2.4, s3.4 .. s3.15). */
    {"PUBACK_REASON_INVALID", V5, "40 03 00 01 01", V5, "40 03 00 01 10"},
    {"PUBREC_REASON_INVALID", V5, "50 03 00 01 01", V5, "50 03 00 01 10"},
    {"PUBREL_REASON_INVALID", V5, "62 03 00 01 10", V5, "62 03 00 01 92"},
    {"PUBCOMP_REASON_INVALID", V5, "70 03 00 01 10", V5, "70 03 00 01 92"},
    {"DISCONNECT_REASON_INVALID", V5, "E0 01 01", V5, "E0 01 04"},
    {"AUTH_REASON_INVALID", V5, "F0 06 01 04 15 00 01 58", V5,
     "F0 06 18 04 15 00 01 58"},

    /* Properties (5.0 s2.2.2, s3.x.2.2). */
    {"PROPERTY_UNKNOWN", V5, "40 07 00 01 00 03 05 00 00", V5,
     "40 07 00 01 00 03 1F 00 00"},
    {"PROPERTY_NOT_ALLOWED", V5, "40 09 00 01 00 05 11 00 00 00 00", V5,
     "40 09 00 01 00 05 1F 00 02 6F 6B"},
    {"PROPERTY_NOT_ALLOWED", V5, "30 0A 00 03 61 2F 62 03 21 00 0A 41", V5,
     "30 0A 00 03 61 2F 62 03 23 00 0A 41"},
    {"PROPERTY_DUPLICATE", V5, "40 0A 00 01 00 06 1F 00 00 1F 00 00", V5,
     "40 0C 00 01 00 08 1F 00 00 26 00 00 00 00"},
    {"PROPERTY_LENGTH_OVERRUN", V5, "40 07 00 01 00 0A 1F 00 00", V5,
     "40 07 00 01 00 03 1F 00 00"},
    {"PROPERTY_VALUE_TRUNCATED", V5, "40 07 00 01 00 03 1F 00 05", V5,
     "40 07 00 01 00 03 1F 00 00"},
    {"PROPERTY_VALUE_INVALID", V5, "30 09 00 03 61 2F 62 02 01 02 41", V5,
     "30 09 00 03 61 2F 62 02 01 00 41"},
    {"PROPERTY_VALUE_INVALID", V5, "20 05 00 00 02 24 02", V5,
     "20 05 00 00 02 24 01"},
    {"PROPERTY_TOPIC_ALIAS_ZERO", V5, "30 0A 00 03 61 2F 62 03 23 00 00 41", V5,
     "30 0A 00 03 61 2F 62 03 23 00 01 41"},
    {"PROPERTY_RECEIVE_MAXIMUM_ZERO", V5,
     "10 12 00 04 4D 51 54 54 05 02 00 3C 03 21 00 00 00 02 63 31", V5,
     "10 12 00 04 4D 51 54 54 05 02 00 3C 03 21 00 0A 00 02 63 31"},
    {"PROPERTY_MAXIMUM_PACKET_SIZE_ZERO", V5,
     "10 14 00 04 4D 51 54 54 05 02 00 3C 05 27 00 00 00 00 00 02 63 31", V5,
     "10 14 00 04 4D 51 54 54 05 02 00 3C 05 27 00 00 10 00 00 02 63 31"},
    {"PROPERTY_SUBSCRIPTION_ID_ZERO", V5,
     "82 0B 00 01 02 0B 00 00 03 61 2F 62 00", V5,
     "82 0B 00 01 02 0B 01 00 03 61 2F 62 00"},
    {"PROPERTY_RESPONSE_TOPIC_WILDCARD", V5,
     "30 0D 00 03 61 2F 62 06 08 00 03 72 2F 23 41", V5,
     "30 0D 00 03 61 2F 62 06 08 00 03 72 2F 31 41"},
    {"PROPERTY_AUTH_DATA_NO_METHOD", V5,
     "10 13 00 04 4D 51 54 54 05 02 00 3C 04 16 00 01 AA 00 02 63 31", V5,
     "10 17 00 04 4D 51 54 54 05 02 00 3C 08 15 00 01 58 16 00 01 AA"
     " 00 02 63 31"},
    {"AUTH_NO_METHOD", V5, "F0 02 18 00", V5, "F0 06 18 04 15 00 01 58"},

    /* DISCONNECT (s3.14). */
    {"DISCONNECT_BODY_BEFORE_V5", V311, "E0 01 00", V311, "E0 00"},
    {"DISCONNECT_BODY_BEFORE_V5", V31, "E0 01 00", V31, "E0 00"},
};

/* Rules no vector triggers, with the reason. */
static const char *const RULES_WITHOUT_VECTOR[] = {
    "RL_TOO_LONG",           /* framing error: remaining_length_too_long */
    "CONNECT_MISSING_FIELD", /* superseded by CONNECT_*_MISSING (rules.def) */
    /* MQTT-3.3.4-6 depends on the direction (client to server), which a
     * frame alone does not tell: a check for the session layer. */
    "PUBLISH_SUBSCRIPTION_ID_FROM_CLIENT",
};

/* ---- checking a decoded frame against an expectation ---------------------- */

static const char *rule_name(uint16_t rule)
{
    const mqd_rule_info *info = mqd_rule_get(rule);
    return info != NULL ? info->name : "?";
}

static bool has_rule(const mqd_frame *f, uint16_t rule)
{
    for (uint16_t i = 0; i < f->nviolations; i++)
        if (f->violations[i].rule == rule)
            return true;
    return false;
}

static int rule_by_name(const char *name)
{
    for (uint16_t r = 0; r < MQD_RULE_COUNT; r++)
        if (strcmp(rule_name(r), name) == 0)
            return r;
    return -1;
}

static void list_violations(const mqd_frame *f, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (uint16_t i = 0; i < f->nviolations && n < cap; i++)
        n += (size_t)snprintf(out + n, cap - n, "%s@%u ",
                              rule_name(f->violations[i].rule),
                              f->violations[i].off);
}

static bool str_is(const mqd_str *s, const char *want)
{
    size_t n = strlen(want);
    return s->present && s->len == n && memcmp(s->data, want, n) == 0;
}

static long num_value(const char *v)
{
    return strtol(v, NULL, 0);
}

/* `none`: the field must be absent; else it must be present with value v. */
static bool num_is(const mqd_num *n, const char *v)
{
    if (strcmp(v, "none") == 0)
        return !n->present;
    return n->present && (long)n->value == num_value(v);
}

static bool bool_is(bool b, const char *v)
{
    return b == (num_value(v) != 0);
}

static bool props_is(const mqd_props *p, const char *v)
{
    if (strcmp(v, "none") == 0)
        return !p->present;
    return p->present && (long)p->count == num_value(v);
}

static bool str_field_is(const mqd_str *s, const char *v)
{
    if (strcmp(v, "none") == 0)
        return !s->present;
    return str_is(s, v);
}

static bool check_key(const mqd_frame *f, const char *k, const char *v)
{
    const mqd_connect *c = &f->connect;
    if (!strcmp(k, "type"))
        return strcmp(mqd_type_name(f->type), v) == 0;
    if (!strcmp(k, "v"))
        return f->version == num_value(v);
    if (!strcmp(k, "rl"))
        return f->remaining.value == (uint32_t)num_value(v);
    if (!strcmp(k, "qos"))
        return f->qos == num_value(v);
    if (!strcmp(k, "dup"))
        return bool_is(f->dup, v);
    if (!strcmp(k, "retain"))
        return bool_is(f->retain, v);
    if (!strcmp(k, "pid"))
        return num_is(&f->packet_id, v);
    if (!strcmp(k, "reason"))
        return num_is(&f->reason, v);
    if (!strcmp(k, "sp"))
        return f->ack_flags.present && (long)(f->ack_flags.value & 1u) == num_value(v);
    if (!strcmp(k, "props")) /* CONNECT keeps its own in connect.props */
        return props_is(f->type == MQD_CONNECT ? &c->props : &f->props, v);
    if (!strcmp(k, "topic"))
        return str_is(&f->topic, v);
    if (!strcmp(k, "payload"))
        return f->payload.present && (long)f->payload.len == num_value(v);
    if (!strcmp(k, "count"))
        return f->list.present && (long)f->list.count == num_value(v);
    if (!strcmp(k, "level"))
        return num_is(&c->level, v);
    if (!strcmp(k, "cid"))
        return str_is(&c->client_id, v);
    if (!strcmp(k, "ka"))
        return num_is(&c->keep_alive, v);
    if (!strcmp(k, "clean"))
        return bool_is(c->clean_start, v);
    if (!strcmp(k, "will"))
        return bool_is(c->will_flag, v);
    if (!strcmp(k, "wqos"))
        return c->will_qos == num_value(v);
    if (!strcmp(k, "wretain"))
        return bool_is(c->will_retain, v);
    if (!strcmp(k, "wtopic"))
        return str_field_is(&c->will_topic, v);
    if (!strcmp(k, "wpayload"))
        return c->will_payload.present && (long)c->will_payload.len == num_value(v);
    if (!strcmp(k, "wprops"))
        return props_is(&c->will_props, v);
    if (!strcmp(k, "user"))
        return str_field_is(&c->username, v);
    if (!strcmp(k, "pass"))
        return strcmp(v, "none") == 0 ? !c->password.present
                                      : c->password.present &&
                                            (long)c->password.len == num_value(v);
    fail_msg("unknown expectation key %s", k);
    return false;
}

static void check_expectation(const char *name, const mqd_frame *f,
                              const char *expect)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", expect);
    for (char *w = buf; *w;) {
        while (*w == ' ')
            w++;
        if (!*w)
            break;
        char *end = w;
        while (*end && *end != ' ')
            end++;
        bool last = *end == '\0';
        *end = '\0';
        char *eq = strchr(w, '=');
        if (eq == NULL)
            fail_msg("%s: bad expectation word %s", name, w);
        *eq = '\0';
        if (!check_key(f, w, eq + 1))
            REPORT("%s: expected %s=%s", name, w, eq + 1);
        if (last)
            break;
        w = end + 1;
    }
}

/* ---- prefix and split properties -------------------------------------------- */

/* Every proper prefix is NEED_MORE, and asks for more than it has. */
static void check_prefixes(const char *name, const uint8_t *p, size_t n,
                           uint8_t version)
{
    for (size_t k = 0; k < n; k++) {
        mqd_frame f;
        mqd_result r = mqd_parse(p, k, version, &f);
        if (r.status != MQD_NEED_MORE || r.need <= k) {
            REPORT("%s: prefix of %zu bytes gave status %d need %zu", name, k,
                   r.status, r.need);
            return;
        }
    }
}

typedef struct frames_seen {
    size_t frames, others;
    uint32_t len;
    uint8_t copy[MAX_VEC];
} frames_seen;

static void on_event(void *ctx, const mqd_stream_event *ev)
{
    frames_seen *s = ctx;
    if (ev->kind != MQD_SE_FRAME) {
        s->others++;
        return;
    }
    s->frames++;
    s->len = ev->len;
    if (ev->len <= sizeof s->copy)
        memcpy(s->copy, ev->data, ev->len);
}

/* Every two-way split through the stream decoder gives the one frame. */
static void check_splits(const char *name, const uint8_t *p, size_t n)
{
    for (size_t at = 0; at <= n; at++) {
        frames_seen seen;
        memset(&seen, 0, sizeof seen);
        mqd_stream s;
        mqd_stream_init(&s, NULL);
        (void)mqd_stream_feed(&s, p, at, on_event, &seen);
        (void)mqd_stream_feed(&s, p + at, n - at, on_event, &seen);
        size_t pending = mqd_stream_pending(&s);
        mqd_stream_free(&s);
        if (seen.frames != 1 || seen.others != 0 || seen.len != n ||
            memcmp(seen.copy, p, n) != 0 || pending != 0) {
            REPORT("%s: split at %zu gave %zu frames, %zu other events", name,
                   at, seen.frames, seen.others);
            return;
        }
    }
}

/* Parses a whole vector: MQD_OK, the right size, all properties above.
 * False (reported) when it does not even frame. */
static bool parse_vector(const char *name, const char *hex, uint8_t version,
                         mqd_frame *f, uint8_t *bytes, size_t *n)
{
    *n = hexvec_decode(hex, bytes, MAX_VEC);
    mqd_result r = mqd_parse(bytes, *n, version, f);
    if (r.status != MQD_OK) {
        REPORT("%s: status %d (need %zu, err rule %u)", name, r.status, r.need,
               r.err_rule);
        return false;
    }
    if (r.size != *n || f->size != *n) {
        REPORT("%s: size %u, frame size %u, vector %zu bytes", name, r.size,
               f->size, *n);
        return false;
    }
    check_prefixes(name, bytes, *n, version);
    check_splits(name, bytes, *n);
    return true;
}

static void expect_clean(const char *name, const mqd_frame *f)
{
    if (f->nviolations != 0) {
        char list[512];
        list_violations(f, list, sizeof list);
        REPORT("%s: unexpected violations: %s", name, list);
    }
}

/* ---- tests --------------------------------------------------------------------- */

static void every_packet_type_every_version(void **state)
{
    (void)state;
    g_failures = 0;
    for (size_t i = 0; i < sizeof VECTORS / sizeof VECTORS[0]; i++) {
        const vector *v = &VECTORS[i];
        uint8_t bytes[MAX_VEC];
        size_t n;
        mqd_frame f;
        if (!parse_vector(v->name, v->hex, v->version, &f, bytes, &n))
            continue;
        expect_clean(v->name, &f);
        check_expectation(v->name, &f, v->expect);
    }
    assert_int_equal(g_failures, 0);
}

static void every_rule_has_a_failing_and_a_passing_vector(void **state)
{
    (void)state;
    g_failures = 0;
    bool covered[MQD_RULE_COUNT] = {false};
    for (size_t i = 0; i < sizeof RULES / sizeof RULES[0]; i++) {
        const conformance *c = &RULES[i];
        int rule = rule_by_name(c->rule);
        if (rule < 0)
            fail_msg("conformance vector for unknown rule %s", c->rule);
        char name[128];
        uint8_t bytes[MAX_VEC];
        size_t n;
        mqd_frame f;

        covered[rule] = true;
        snprintf(name, sizeof name, "%s (bad #%zu)", c->rule, i);
        if (parse_vector(name, c->bad, c->bad_version, &f, bytes, &n) &&
            !has_rule(&f, (uint16_t)rule)) {
            char list[512];
            list_violations(&f, list, sizeof list);
            REPORT("%s: rule not reported; got: %s", name, list);
        }
        snprintf(name, sizeof name, "%s (good #%zu)", c->rule, i);
        if (parse_vector(name, c->good, c->good_version, &f, bytes, &n))
            expect_clean(name, &f);
    }
    for (size_t i = 0;
         i < sizeof RULES_WITHOUT_VECTOR / sizeof RULES_WITHOUT_VECTOR[0]; i++) {
        int rule = rule_by_name(RULES_WITHOUT_VECTOR[i]);
        assert_true(rule >= 0);
        covered[rule] = true;
    }
    /* MQTT-SN rules have their vectors in test_sn.c; the SESSION_ rules are
     * about a connection's history, not one frame, and are tested in
     * test_session.c and on the crafted state capture. */
    for (uint16_t r = 0; r < MQD_RULE_COUNT; r++)
        if (!covered[r] && strncmp(rule_name(r), "SN_", 3) != 0 &&
            strncmp(rule_name(r), "SESSION_", 8) != 0)
            REPORT("rule %s has no conformance vector", rule_name(r));
    assert_int_equal(g_failures, 0);
}

/* A remaining length with a fifth byte is a framing error (s1.5.5: at most
 * four bytes); four bytes ending in 0x7F are fine. */
static void remaining_length_too_long(void **state)
{
    (void)state;
    static const uint8_t bad[] = {0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01};
    static const uint8_t good[] = {0x30, 0xFF, 0xFF, 0xFF, 0x7F};
    mqd_frame f;
    mqd_result r = mqd_parse(bad, sizeof bad, MQD_V311, &f);
    assert_int_equal(r.status, MQD_ERROR);
    assert_int_equal(r.err_rule, MQD_R_RL_TOO_LONG);
    mqd_fixed_header h;
    r = mqd_fixed_header_read(bad, sizeof bad, &h);
    assert_int_equal(r.status, MQD_ERROR);
    /* Four continuation bytes already decide it: no fifth byte needed. */
    r = mqd_fixed_header_read(bad, 5, &h);
    assert_int_equal(r.status, MQD_ERROR);
    r = mqd_parse(good, sizeof good, MQD_V311, &f);
    assert_int_equal(r.status, MQD_NEED_MORE);
    assert_int_equal(r.need, 1u + 4u + 268435455u);
}

/* ---- remaining length boundaries (3.1.1 s2.2.3 table 2.4, 5.0 s1.5.5) ----- */

typedef struct boundary {
    uint32_t rl;
    uint8_t nbytes;
    uint8_t enc[4];
} boundary;

static const boundary BOUNDARIES[] = {
    {0, 1, {0x00}},
    {127, 1, {0x7F}},
    {128, 2, {0x80, 0x01}},
    {16383, 2, {0xFF, 0x7F}},
    {16384, 3, {0x80, 0x80, 0x01}},
    {2097151, 3, {0xFF, 0xFF, 0x7F}},
    {2097152, 4, {0x80, 0x80, 0x80, 0x01}},
    {268435455, 4, {0xFF, 0xFF, 0xFF, 0x7F}},
};

/* A PUBLISH QoS 0 on topic "t" with remaining length rl (>= 3), or PINGREQ
 * for 0. Returns a calloc'd buffer. */
static uint8_t *boundary_frame(const boundary *b, size_t *n)
{
    *n = 1u + b->nbytes + b->rl;
    uint8_t *p = calloc(1, *n);
    assert_non_null(p);
    p[0] = b->rl == 0 ? 0xC0 : 0x30;
    memcpy(p + 1, b->enc, b->nbytes);
    if (b->rl >= 3) {
        uint8_t *vh = p + 1 + b->nbytes;
        vh[0] = 0x00;
        vh[1] = 0x01;
        vh[2] = 't';
        memset(vh + 3, 'x', b->rl - 3u);
    }
    return p;
}

static void check_boundary_splits(const uint8_t *p, size_t n, size_t at)
{
    mqd_stream_cfg cfg = {.max_frame = (uint32_t)n};
    frames_seen seen;
    memset(&seen, 0, sizeof seen);
    mqd_stream s;
    mqd_stream_init(&s, &cfg);
    (void)mqd_stream_feed(&s, p, at, on_event, &seen);
    (void)mqd_stream_feed(&s, p + at, n - at, on_event, &seen);
    mqd_stream_free(&s);
    assert_int_equal(seen.frames, 1);
    assert_int_equal(seen.others, 0);
    assert_int_equal(seen.len, n);
}

static void remaining_length_boundaries(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof BOUNDARIES / sizeof BOUNDARIES[0]; i++) {
        const boundary *b = &BOUNDARIES[i];
        size_t size = 1u + b->nbytes + b->rl;
        uint8_t hdr[5] = {0x30};
        memcpy(hdr + 1, b->enc, b->nbytes);
        mqd_fixed_header h;
        mqd_result r = mqd_fixed_header_read(hdr, 1u + b->nbytes, &h);
        assert_int_equal(r.status, MQD_OK);
        assert_int_equal(r.size, size);
        assert_int_equal(h.remaining.value, b->rl);
        assert_int_equal(h.remaining.nbytes, b->nbytes);
        assert_true(h.remaining.minimal);
        /* A cut length is NEED_MORE, never a guess. */
        for (size_t k = 0; k <= b->nbytes; k++) {
            r = mqd_fixed_header_read(hdr, k, &h);
            assert_int_equal(r.status, MQD_NEED_MORE);
            assert_true(r.need > k);
        }
        if (b->rl == MQD_MAX_REMAINING_LENGTH) {
            /* No 256 MiB allocation: the header and a short body. */
            uint8_t shortbuf[64] = {0x30, 0xFF, 0xFF, 0xFF, 0x7F, 0x00, 0x01, 't'};
            mqd_frame f;
            r = mqd_parse(shortbuf, sizeof shortbuf, MQD_V311, &f);
            assert_int_equal(r.status, MQD_NEED_MORE);
            assert_int_equal(r.need, size);
            continue;
        }
        size_t n;
        uint8_t *p = boundary_frame(b, &n);
        mqd_frame f;
        r = mqd_parse(p, n, MQD_V311, &f);
        assert_int_equal(r.status, MQD_OK);
        assert_int_equal(r.size, n);
        assert_int_equal(f.remaining.value, b->rl);
        assert_int_equal(f.remaining.nbytes, b->nbytes);
        if (f.nviolations != 0) {
            char list[512];
            list_violations(&f, list, sizeof list);
            fail_msg("rl %u: unexpected violations: %s", b->rl, list);
        }
        if (b->rl >= 3) {
            assert_int_equal(f.type, MQD_PUBLISH);
            assert_int_equal(f.payload.len, b->rl - 3u);
        } else {
            assert_int_equal(f.type, MQD_PINGREQ);
        }
        /* Prefixes: all of the header and body start, and the last ones. */
        size_t probes[] = {0, 1, 2, 3, 4, 5, 6, 7, n / 2, n - 2, n - 1};
        for (size_t k = 0; k < sizeof probes / sizeof probes[0]; k++) {
            if (probes[k] >= n)
                continue;
            r = mqd_parse(p, probes[k], MQD_V311, &f);
            assert_int_equal(r.status, MQD_NEED_MORE);
            assert_true(r.need > probes[k]);
        }
        size_t splits[] = {0, 1, 2, 3, 4, 5, n / 2, n - 1, n};
        for (size_t k = 0; k < sizeof splits / sizeof splits[0]; k++)
            if (splits[k] <= n)
                check_boundary_splits(p, n, splits[k]);
        free(p);
    }
    /* The encodings are minimal; a longer encoding of the same value is
     * flagged (MQTT-1.5.5-1). */
    static const uint8_t long127[] = {0x30, 0xFF, 0x00};
    mqd_fixed_header h;
    mqd_result r = mqd_fixed_header_read(long127, sizeof long127, &h);
    assert_int_equal(r.status, MQD_OK);
    assert_false(h.remaining.minimal);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_packet_type_every_version),
        cmocka_unit_test(every_rule_has_a_failing_and_a_passing_vector),
        cmocka_unit_test(remaining_length_too_long),
        cmocka_unit_test(remaining_length_boundaries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
