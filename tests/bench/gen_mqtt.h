/* gen_mqtt: the MQTT side of gen_capture: the seeded PRNG, a bounded byte
 * builder and the builders of every message the synthetic traffic sends
 * (gen_mqtt.c; with -P their Sparkplug B topics and payloads, written by
 * gen_sparkplug.h); what gen_capture.c (TCP, the conversations, the file)
 * shares with it. */
#ifndef GEN_MQTT_H
#define GEN_MQTT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    MSS = 1460,
    SERVER_PORT = 1883,
    LARGE_PAYLOAD = 64 * 1024,
    STREAM_MAX = 256 * 1024,   /* one write of one side: a batch or a message */
    BODY_MAX = 80 * 1024,      /* one MQTT message without its fixed header */
    START_TIME = 1704067200,   /* 2024-01-01T00:00:00Z */
    TEARDOWN_BYTES = 4 * (16 + 54) + 3,
};

/* MQTT control packet types (MQTT 5.0 2.1.2, the same in 3.1.1 2.2.1). */
enum mqtt_type {
    CONNECT = 1, CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP,
    SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK, PINGREQ, PINGRESP, DISCONNECT,
    AUTH
};

enum dir { C2S = 0, S2C = 1 };

struct conn {
    uint32_t index;
    uint32_t client_ip;
    uint16_t client_port;
    uint8_t level;                /* protocol level: 3 (3.1), 4 (3.1.1), 5 */
    uint8_t site;
    uint32_t seq[2];              /* next sequence number each side sends */
    uint32_t unacked[2];          /* bytes each side sent since the peer's ACK */
    uint16_t ip_id[2];
    uint16_t next_pid[2];
    uint32_t sub_id;              /* 5.0 Subscription Identifier, 0 = none */
    char client_id[16];
    bool spb_born;                /* -P: the NBIRTH was sent */
    uint8_t spb_seq;              /* -P: the next NDATA's seq */
};

/* ---- output ------------------------------------------------------------ */

/* A bounded byte builder over caller storage. */
struct buf {
    uint8_t *data;
    size_t len, cap;
    bool is_stream;   /* a TCP write: put_message records where its fields are */
};

/* Where each message's Remaining Length sits in the stream buffer, so that
 * segment boundaries can avoid it: tshark 4.0 misparses a Remaining Length
 * that is split across segments (it does not wait for the rest), so the
 * default capture never does that; -X allows it. */
enum { GUARDS_MAX = 64 };
extern size_t guard_start[GUARDS_MAX], guard_len[GUARDS_MAX];
extern size_t nguards;

extern uint64_t msg_count[16]; /* messages built, by type */

extern bool sparkplug;          /* -P: Sparkplug B topics and payloads */

/* Exits with the cause (gen_capture.c). */
void die(const char *what);

/* The capture's current time in milliseconds (gen_capture.c): Sparkplug
 * payloads carry it as their timestamp. */
uint64_t capture_time_ms(void);

/* The PRNG: splitmix64, deterministic for a seed. Two streams: rng_* draws
 * what is sent (connections, messages, QoS, payload sizes), wire_* what
 * depends on the bytes on the wire (the time between segments, delayed
 * ACKs), so that -P, whose payloads differ in size, still draws the same
 * messages as the JSON variant. rng_seed sets both. */
void rng_seed(uint64_t seed);
uint64_t rng_next(void);
uint32_t rng_below(uint32_t n);
uint32_t rng_range(uint32_t lo, uint32_t hi); /* inclusive */
bool chance(uint32_t per_mille);
uint32_t wire_below(uint32_t n);

void put_u8(struct buf *b, uint32_t v);
struct buf new_body(void);
void put_message(struct buf *b, enum mqtt_type type, uint32_t flags,
                 const struct buf *body);
uint16_t next_packet_id(struct conn *c, enum dir d);

/* The messages, appended to b. */
void build_connect(struct buf *b, const struct conn *c);
void build_connack(struct buf *b, const struct conn *c);
void build_subscribe(struct buf *b, struct conn *c, uint16_t pid);
void build_suback(struct buf *b, const struct conn *c, uint16_t pid);
void build_publish(struct buf *b, struct conn *c, enum dir d, uint32_t qos,
                   uint16_t pid, size_t payload_len);
void build_pub_ack(struct buf *b, const struct conn *c, enum mqtt_type type, uint16_t pid);
void build_empty(struct buf *b, enum mqtt_type type);

#endif
