/* lifecycle: crafted captures (pktgen) run through the mqttdissect binary
 * with -T json, and what came out of it sorted per direction; the table
 * runner of tests/test_tcp_lifecycle*.c.
 *
 * A case's script writes the capture over one flow: client 10.0.0.1:50000
 * (2001:db8::1 with family 6), server 10.0.0.2 on the case's port (1883
 * unless set). A record is the client's when its src ends in ":50000" (a
 * second connection in a script keeps that port on another address). */
#ifndef MQD_TEST_LIFECYCLE_H
#define MQD_TEST_LIFECYCLE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>

#include "pktgen.h"

/* MQTT 3.1.1 packets: CONNECT (keep-alive 60 s, client id "c1"), CONNACK,
 * DISCONNECT, and a QoS 1 PUBLISH to "t" of "hi" and its PUBACK. */
#define LC_CONNECT "\x10\x0e\x00\x04MQTT\x04\x02\x00\x3c\x00\x02" "c1"
#define LC_CONNACK "\x20\x02\x00\x00"
#define LC_DISCONNECT "\xe0\x00"
#define LC_PUBLISH_LEN 9
/* Both in a static buffer: write it before the next call. */
const char *lc_publish(int id);
const char *lc_puback(int id); /* 4 bytes */

/* MQTT 5.0: CONNECT with Topic Alias Maximum 10 (keep-alive 0, client id
 * "c1"), CONNACK, a QoS 1 PUBLISH #1 to "t" of "hi" and its PUBACK. */
#define LC_V5_CONNECT \
    "\x10\x12\x00\x04MQTT\x05\x02\x00\x00\x03\x22\x00\x0a\x00\x02" "c1"
#define LC_V5_CONNACK "\x20\x03\x00\x00\x00"
#define LC_V5_PUBLISH "\x32\x08\x00\x01t\x00\x01\x00hi"
#define LC_V5_PUBACK "\x40\x02\x00\x01"
/* The length of a string literal's packet; sending one as data. */
#define LC_LEN(s) (sizeof s - 1)
#define LC_SEND(g, f, dir, lit) pktgen_data(g, f, dir, lit, LC_LEN(lit))

/* Handshake (client ISN `isn`, server 5000), CONNECT, CONNACK: frames 1-5. */
void lc_connect_flow(struct pktgen *g, struct pktgen_flow *f, uint32_t isn);
/* The same with LC_V5_CONNECT and LC_V5_CONNACK (client ISN 1000). */
void lc_v5_connect_flow(struct pktgen *g, struct pktgen_flow *f);
/* FIN from the client, then from the server. */
void lc_fins(struct pktgen *g, struct pktgen_flow *f);
/* A UDP datagram between other hosts (port 9999, not decoded): capture
 * time moves on, nothing else. */
void lc_other_traffic(struct pktgen *g);

struct lc_result {
    char dir[2][1024]; /* "conn:TYPE[#id]@frame " per message */
    char events[1024]; /* "conn:c|s:event " */
    char rules[1024];  /* "conn@frame:rule/severity " per violation, of a
                          message or a state_violation event */
    int violations;
    int records, proxied; /* records; those with proxied_src as below */
    char proxied_src[64];
    json_t *recs;      /* every record, in output order */
};

/* Runs mqttdissect -r pcap -T json with `extra` options; r is filled (free
 * it with lc_result_free). */
void lc_run(const char *pcap, const char *extra, struct lc_result *r);
void lc_result_free(struct lc_result *r);

/* The nth (0-based) record whose string member `key` is `value`; fails the
 * test when there is none. */
json_t *lc_record(const struct lc_result *r, const char *key,
                  const char *value, size_t nth);
/* Member `path` of a record, "a.b" descending into objects; NULL if none. */
json_t *lc_get(json_t *rec, const char *path);

/* A case: its script and what must come out of it: the client's and the
 * server's messages, the events, the violations (NULL: none), with
 * proxied_src every record offering that address, then `check` (optional)
 * on the records. */
struct lifecycle_case {
    const char *tag;
    void (*script)(struct pktgen *g, struct pktgen_flow *f);
    uint16_t port;   /* the server's; 0: 1883 */
    int family;      /* 4 or 6 */
    bool raw;        /* raw IP frames, else Ethernet */
    const char *client, *server, *events, *proxied_src;
    const char *options; /* more mqttdissect options; NULL: none */
    const char *rules;
    void (*check)(const struct lc_result *r);
};

/* Runs the table as the cmocka group `name` (one test a case), then the
 * `nextra` tests of `extra`. */
int lifecycle_run_cases(const char *name, const struct lifecycle_case *cases,
                        size_t n, const struct CMUnitTest *extra,
                        size_t nextra);

#endif
