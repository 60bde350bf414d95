/* The analysis fixes of issue 14, end to end: crafted captures
 * (tests/support/lifecycle.h) run through the mqttdissect binary. Keep-alive
 * monitoring stops at DISCONNECT; mosquitto's bridge protocol levels are
 * an info finding and the connection decodes as the level below; a
 * non-minimal Remaining Length is an error in 5.0, a warning before. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lifecycle.h"

/* ---- keep-alive ---- */

/* CONNECT with keep-alive 10 s; the client then goes quiet for 60 s before
 * the FINs, with or without a DISCONNECT first. */
#define CONNECT_KA10 "\x10\x0e\x00\x04MQTT\x04\x02\x00\x0a\x00\x02" "c1"

static void quiet_minute(struct pktgen *g, struct pktgen_flow *f,
                         bool disconnect)
{
    pktgen_handshake(g, f, 1000, 5000);
    LC_SEND(g, f, PKTGEN_C2S, CONNECT_KA10);                         /* f4 */
    LC_SEND(g, f, PKTGEN_S2C, LC_CONNACK);                           /* f5 */
    if (disconnect)
        LC_SEND(g, f, PKTGEN_C2S, LC_DISCONNECT);                    /* f6 */
    pktgen_set_time(g, 1000000 + (int64_t)60 * 1000000);
    lc_fins(g, f);
}

static void script_quiet_after_disconnect(struct pktgen *g,
                                          struct pktgen_flow *f)
{
    quiet_minute(g, f, true);
}

static void script_quiet_without_disconnect(struct pktgen *g,
                                            struct pktgen_flow *f)
{
    quiet_minute(g, f, false);
}

/* The control: reported at the close (the server's FIN, frame 7), silent
 * from the CONNECT (1.003 s) to it (61.001 s). */
static void check_keep_alive_exceeded(const struct lc_result *r)
{
    json_t *v = lc_record(r, "event", "state_violation", 0);
    assert_int_equal(json_integer_value(lc_get(v, "keep_alive")), 10);
    assert_int_equal(json_integer_value(lc_get(v, "silent_ms")), 59998);
}

/* ---- bridge protocol levels ---- */

/* CONNECT with mosquitto's bridge level 0x84 ("MQTT") or 0x83 ("MQIsdp"),
 * then a QoS 1 PUBLISH, its PUBACK, DISCONNECT. */
#define CONNECT_BRIDGE4 "\x10\x0e\x00\x04MQTT\x84\x02\x00\x3c\x00\x02" "c1"
#define CONNECT_BRIDGE3 "\x10\x10\x00\x06MQIsdp\x83\x02\x00\x3c\x00\x02" "c1"

static void bridge(struct pktgen *g, struct pktgen_flow *f, const char *connect,
                   size_t len)
{
    pktgen_handshake(g, f, 1000, 5000);
    pktgen_data(g, f, PKTGEN_C2S, connect, len);                     /* f4 */
    LC_SEND(g, f, PKTGEN_S2C, LC_CONNACK);                           /* f5 */
    pktgen_data(g, f, PKTGEN_C2S, lc_publish(1), LC_PUBLISH_LEN);    /* f6 */
    pktgen_data(g, f, PKTGEN_S2C, lc_puback(1), 4);                  /* f7 */
    LC_SEND(g, f, PKTGEN_C2S, LC_DISCONNECT);                        /* f8 */
    lc_fins(g, f);
}

static void script_bridge_311(struct pktgen *g, struct pktgen_flow *f)
{
    bridge(g, f, CONNECT_BRIDGE4, LC_LEN(CONNECT_BRIDGE4));
}

static void script_bridge_31(struct pktgen *g, struct pktgen_flow *f)
{
    bridge(g, f, CONNECT_BRIDGE3, LC_LEN(CONNECT_BRIDGE3));
}

/* Every message of the connection is of `version`, none inferred; the
 * CONNECT's protocol level is the byte on the wire. */
static void check_version(const struct lc_result *r, int version, int level)
{
    size_t n = json_array_size(r->recs);
    assert_int_equal(n, 5);
    for (size_t i = 0; i < n; i++) {
        json_t *m = json_array_get(r->recs, i);
        assert_int_equal(json_integer_value(lc_get(m, "version")), version);
        assert_true(json_is_false(lc_get(m, "version_inferred")));
    }
    json_t *c = lc_record(r, "type", "CONNECT", 0);
    assert_int_equal(json_integer_value(lc_get(c, "connect.protocol_level")),
                     level);
}

static void check_bridge_311(const struct lc_result *r)
{
    check_version(r, 4, 0x84);
}

static void check_bridge_31(const struct lc_result *r)
{
    check_version(r, 3, 0x83);
}

/* ---- a Remaining Length not in its shortest form ---- */

/* A QoS 1 PUBLISH #1 to "t" whose Remaining Length takes two bytes
 * (0x88 0x00: 8; 0x87 0x00: 7), then its PUBACK and DISCONNECT, on a 5.0
 * or a 3.1.1 connection. */
#define PUBLISH_RL2_V5 "\x32\x88\x00\x00\x01t\x00\x01\x00hi"
#define PUBLISH_RL2_V311 "\x32\x87\x00\x00\x01t\x00\x01hi"

static void script_rl_not_minimal_v5(struct pktgen *g, struct pktgen_flow *f)
{
    lc_v5_connect_flow(g, f);
    LC_SEND(g, f, PKTGEN_C2S, PUBLISH_RL2_V5);                       /* f6 */
    LC_SEND(g, f, PKTGEN_S2C, LC_V5_PUBACK);                         /* f7 */
    LC_SEND(g, f, PKTGEN_C2S, LC_DISCONNECT);                        /* f8 */
    lc_fins(g, f);
}

static void script_rl_not_minimal_v311(struct pktgen *g,
                                       struct pktgen_flow *f)
{
    lc_connect_flow(g, f, 1000);
    LC_SEND(g, f, PKTGEN_C2S, PUBLISH_RL2_V311);                     /* f6 */
    pktgen_data(g, f, PKTGEN_S2C, lc_puback(1), 4);                  /* f7 */
    LC_SEND(g, f, PKTGEN_C2S, LC_DISCONNECT);                        /* f8 */
    lc_fins(g, f);
}

/* The PUBLISH says how its length was encoded and is decoded whole. */
static void check_rl_two_bytes(const struct lc_result *r)
{
    json_t *p = lc_record(r, "type", "PUBLISH", 0);
    assert_true(json_is_false(lc_get(p, "remaining_length.minimal")));
    assert_int_equal(json_integer_value(lc_get(p, "remaining_length.bytes")), 2);
    assert_string_equal(json_string_value(lc_get(p, "topic")), "t");
    assert_int_equal(json_integer_value(lc_get(p, "payload.length")), 2);
}

static const struct lifecycle_case cases[] = {
    {.tag = "keepalive_disconnect", .script = script_quiet_after_disconnect,
     .family = 4,
     .client = "1:CONNECT@4 1:DISCONNECT@6 ",
     .server = "1:CONNACK@5 ",
     .events = ""},
    {.tag = "keepalive_control", .script = script_quiet_without_disconnect,
     .family = 4,
     .client = "1:CONNECT@4 ",
     .server = "1:CONNACK@5 ",
     .events = "1:c:state_violation ",
     .rules = "1@7:MQTT-3.1.2-22/warning ",
     .check = check_keep_alive_exceeded},
    {.tag = "bridge_0x84", .script = script_bridge_311, .family = 4,
     .client = "1:CONNECT@4 1:PUBLISH#1@6 1:DISCONNECT@8 ",
     .server = "1:CONNACK@5 1:PUBACK#1@7 ",
     .events = "",
     .rules = "1@4:MQD-3.1.2-bridge/info ",
     .check = check_bridge_311},
    {.tag = "bridge_0x83", .script = script_bridge_31, .family = 4,
     .client = "1:CONNECT@4 1:PUBLISH#1@6 1:DISCONNECT@8 ",
     .server = "1:CONNACK@5 1:PUBACK#1@7 ",
     .events = "",
     .rules = "1@4:MQD-3.1.2-bridge/info ",
     .check = check_bridge_31},
    {.tag = "rl_v5", .script = script_rl_not_minimal_v5, .family = 4,
     .client = "1:CONNECT@4 1:PUBLISH#1@6 1:DISCONNECT@8 ",
     .server = "1:CONNACK@5 1:PUBACK#1@7 ",
     .events = "",
     .rules = "1@6:MQTT-1.5.5-1/error ",
     .check = check_rl_two_bytes},
    {.tag = "rl_v311", .script = script_rl_not_minimal_v311, .family = 4,
     .client = "1:CONNECT@4 1:PUBLISH#1@6 1:DISCONNECT@8 ",
     .server = "1:CONNACK@5 1:PUBACK#1@7 ",
     .events = "",
     .rules = "1@6:MQD-2.2.3-rl-not-minimal/warning ",
     .check = check_rl_two_bytes},
};

int main(void)
{
    return lifecycle_run_cases("test_tcp_lifecycle_analysis", cases,
                               sizeof cases / sizeof cases[0], NULL, 0);
}
