/* gen_mqtt: the PRNG, the byte builder and the MQTT messages of
 * gen_capture. See gen_mqtt.h. */
#include "gen_mqtt.h"
#include "gen_sparkplug.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- PRNG: splitmix64, two streams (gen_mqtt.h) -------------------------- */

static uint64_t rng_state, wire_rng_state;

void rng_seed(uint64_t seed)
{
    rng_state = seed;
    wire_rng_state = seed ^ 0x5bd1e9955bd1e995u;
}

static uint64_t splitmix(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

uint64_t rng_next(void)
{
    return splitmix(&rng_state);
}

uint32_t rng_below(uint32_t n)
{
    return (uint32_t)(rng_next() % n);
}

uint32_t rng_range(uint32_t lo, uint32_t hi) /* inclusive */
{
    return lo + rng_below(hi - lo + 1);
}

bool chance(uint32_t per_mille)
{
    return rng_below(1000) < per_mille;
}

uint32_t wire_below(uint32_t n)
{
    return (uint32_t)(splitmix(&wire_rng_state) % n);
}

/* ---- a bounded byte builder ----------------------------------------------- */

size_t guard_start[GUARDS_MAX], guard_len[GUARDS_MAX];
size_t nguards;
uint64_t msg_count[16];
bool sparkplug;

static void need(struct buf *b, size_t n)
{
    if (n > b->cap - b->len) {
        fprintf(stderr, "gen_capture: internal buffer overflow\n");
        abort();
    }
}

void put_u8(struct buf *b, uint32_t v)
{
    need(b, 1);
    b->data[b->len++] = (uint8_t)v;
}

static void put_u16(struct buf *b, uint32_t v)
{
    put_u8(b, v >> 8);
    put_u8(b, v & 0xff);
}

static void put_u32(struct buf *b, uint32_t v)
{
    put_u16(b, v >> 16);
    put_u16(b, v & 0xffff);
}

static void put_raw(struct buf *b, const void *p, size_t n)
{
    need(b, n);
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

/* Variable Byte Integer (MQTT 5.0 1.5.5; Remaining Length in 3.1.1 2.2.3). */
static void put_varint(struct buf *b, uint32_t v)
{
    do {
        uint32_t digit = v & 0x7f;
        v >>= 7;
        put_u8(b, v ? digit | 0x80 : digit);
    } while (v);
}

/* UTF-8 Encoded String (MQTT 5.0 1.5.4): two-byte length, then the bytes. */
static void put_str(struct buf *b, const char *s)
{
    size_t n = strlen(s);
    put_u16(b, (uint32_t)n);
    put_raw(b, s, n);
}

static void put_str_pair(struct buf *b, const char *k, const char *v)
{
    put_str(b, k);
    put_str(b, v);
}

static void fill_payload(struct buf *b, size_t n, bool text, uint64_t seqno)
{
    need(b, n);
    uint8_t *p = b->data + b->len;
    if (text) {
        char head[64];
        int h = snprintf(head, sizeof head, "{\"seq\":%" PRIu64 ",\"v\":%u.%u,\"pad\":\"", seqno,
                         rng_below(100), rng_below(10));
        size_t i = 0;
        for (; i < n && i < (size_t)h; i++)
            p[i] = (uint8_t)head[i];
        for (; i < n; i++)
            p[i] = (uint8_t)('a' + (i % 26));
        if (n >= (size_t)h + 2) {
            p[n - 2] = '"';
            p[n - 1] = '}';
        }
    } else {
        for (size_t i = 0; i < n; i += 8) {
            uint64_t r = rng_next();
            size_t k = n - i < 8 ? n - i : 8;
            memcpy(p + i, &r, k);
        }
    }
    b->len += n;
}

/* ---- MQTT messages -------------------------------------------------------- */

static uint8_t body_store[BODY_MAX];
static uint8_t props_store[1024];
static uint64_t publish_seqno;

struct buf new_body(void)
{
    return (struct buf){ body_store, 0, sizeof body_store, false };
}

static struct buf new_props(void)
{
    return (struct buf){ props_store, 0, sizeof props_store, false };
}

/* Fixed header (MQTT 5.0 2.1.1): type and flags, Remaining Length, body. */
void put_message(struct buf *b, enum mqtt_type type, uint32_t flags,
                 const struct buf *body)
{
    put_u8(b, ((uint32_t)type << 4) | flags);
    size_t varint_at = b->len;
    put_varint(b, (uint32_t)body->len);
    if (b->is_stream && nguards < GUARDS_MAX) {
        guard_start[nguards] = varint_at;
        guard_len[nguards++] = b->len - varint_at;
    }
    put_raw(b, body->data, body->len);
    msg_count[type]++;
}

static void put_props(struct buf *b, const struct buf *props)
{
    put_varint(b, (uint32_t)props->len);
    put_raw(b, props->data, props->len);
}

uint16_t next_packet_id(struct conn *c, enum dir d)
{
    uint16_t pid = c->next_pid[d];
    c->next_pid[d] = (uint16_t)(pid == 0xffff ? 1 : pid + 1); /* 0 is not allowed */
    return pid;
}

void build_connect(struct buf *b, const struct conn *c)
{
    struct buf body = new_body();
    bool will = chance(200), user = chance(500);
    uint32_t will_qos = rng_below(3);
    uint32_t flags = 0x02; /* Clean Session / Clean Start */
    if (will)
        flags |= 0x04 | (will_qos << 3) | (chance(300) ? 0x20u : 0);
    if (user)
        flags |= 0x80 | 0x40;
    put_str(&body, c->level == 3 ? "MQIsdp" : "MQTT"); /* 3.1 used "MQIsdp" */
    put_u8(&body, c->level);
    put_u8(&body, flags);
    put_u16(&body, 60); /* Keep Alive */
    if (c->level == 5) { /* CONNECT properties, MQTT 5.0 3.1.2.11 */
        struct buf p = new_props();
        put_u8(&p, 0x11); put_u32(&p, 3600); /* Session Expiry Interval */
        put_u8(&p, 0x21); put_u16(&p, 32);   /* Receive Maximum */
        put_u8(&p, 0x22); put_u16(&p, 10);   /* Topic Alias Maximum */
        if (chance(300)) {
            put_u8(&p, 0x26); put_str_pair(&p, "fleet", "bench"); /* User Property */
        }
        put_props(&body, &p);
    }
    put_str(&body, c->client_id);
    if (will) {
        char topic[64];
        if (sparkplug)
            snprintf(topic, sizeof topic, "spBv1.0/site%u/NDEATH/%s", c->site, c->client_id);
        else
            snprintf(topic, sizeof topic, "status/%s", c->client_id);
        if (c->level == 5) {
            struct buf p = new_props();
            put_u8(&p, 0x18); put_u32(&p, 5); /* Will Delay Interval */
            put_u8(&p, 0x01); put_u8(&p, 1);  /* Payload Format Indicator: UTF-8 */
            put_props(&body, &p);
        }
        put_str(&body, topic);
        if (sparkplug) { /* Will Payload: two-byte length + bytes */
            uint8_t store[64];
            size_t n = spb_payload(store, sizeof store, SPB_NDEATH, 0, 0, capture_time_ms());
            put_u16(&body, (uint32_t)n);
            put_raw(&body, store, n);
        } else {
            put_str(&body, "offline");
        }
    }
    if (user) {
        char name[24];
        snprintf(name, sizeof name, "user%" PRIu32, c->index);
        put_str(&body, name);
        put_str(&body, "s3cret-pw");
    }
    put_message(b, CONNECT, 0, &body);
}

void build_connack(struct buf *b, const struct conn *c)
{
    struct buf body = new_body();
    put_u8(&body, 0); /* Connect Acknowledge Flags: no session present */
    put_u8(&body, 0); /* return code / reason code: accepted, Success */
    if (c->level == 5) {
        struct buf p = new_props();
        put_u8(&p, 0x22); put_u16(&p, 10);  /* Topic Alias Maximum */
        put_u8(&p, 0x21); put_u16(&p, 100); /* Receive Maximum */
        put_props(&body, &p);
    }
    put_message(b, CONNACK, 0, &body);
}

void build_subscribe(struct buf *b, struct conn *c, uint16_t pid)
{
    struct buf body = new_body();
    char filter[48];
    put_u16(&body, pid);
    if (c->level == 5) {
        struct buf p = new_props();
        if (c->sub_id) {
            put_u8(&p, 0x0b); put_varint(&p, c->sub_id); /* Subscription Identifier */
        }
        put_props(&body, &p);
    }
    if (sparkplug)
        snprintf(filter, sizeof filter, "spBv1.0/site%u/NDATA/#", c->site);
    else
        snprintf(filter, sizeof filter, "sensors/site%u/#", c->site);
    put_str(&body, filter);
    put_u8(&body, 1); /* maximum QoS 1 */
    if (sparkplug)
        snprintf(filter, sizeof filter, "spBv1.0/site%u/NCMD/%s", c->site, c->client_id);
    else
        snprintf(filter, sizeof filter, "cmd/%s", c->client_id);
    put_str(&body, filter);
    put_u8(&body, 2); /* maximum QoS 2 */
    put_message(b, SUBSCRIBE, 0x2, &body); /* flags 0010 are required */
}

void build_suback(struct buf *b, const struct conn *c, uint16_t pid)
{
    struct buf body = new_body();
    put_u16(&body, pid);
    if (c->level == 5)
        put_varint(&body, 0); /* no properties */
    put_u8(&body, 1);
    put_u8(&body, 2);
    put_message(b, SUBACK, 0, &body);
}

/* A PUBLISH from side d. Server-to-client messages match one of the two
 * subscriptions and never exceed the QoS granted for it. */
void build_publish(struct buf *b, struct conn *c, enum dir d, uint32_t qos,
                   uint16_t pid, size_t payload_len)
{
    struct buf body = new_body();
    char topic[64];
    bool text = payload_len < 4096 && chance(700);
    enum spb_kind kind = SPB_NDATA; /* -P: the same draws choose the Sparkplug topic */
    if (d == S2C && qos == 2) {
        snprintf(topic, sizeof topic, "cmd/%s", c->client_id);
        kind = SPB_NCMD;
    } else if (d == S2C && chance(300)) {
        snprintf(topic, sizeof topic, "cmd/%s", c->client_id);
        kind = SPB_NCMD;
    } else {
        static const char *const leaf[] = { "temp", "humidity", "status", "battery" };
        uint32_t dev = d == C2S ? c->index : rng_below(5000);
        snprintf(topic, sizeof topic, "sensors/site%u/dev%" PRIu32 "/%s", c->site, dev,
                 leaf[rng_below(4)]);
        if (sparkplug) /* another node's NDATA, forwarded: dev-NNNNN like client ids */
            snprintf(topic, sizeof topic, "spBv1.0/site%u/NDATA/dev-%05" PRIu32, c->site,
                     dev);
    }
    if (sparkplug && kind == SPB_NCMD)
        snprintf(topic, sizeof topic, "spBv1.0/site%u/NCMD/%s", c->site, c->client_id);
    if (sparkplug && d == C2S && !c->spb_born) {
        kind = SPB_NBIRTH;
        snprintf(topic, sizeof topic, "spBv1.0/site%u/NBIRTH/%s", c->site, c->client_id);
    }
    put_str(&body, topic);
    if (qos)
        put_u16(&body, pid);
    if (c->level == 5) { /* PUBLISH properties, MQTT 5.0 3.3.2.3 */
        struct buf p = new_props();
        if (text && payload_len >= 64 && chance(300) && !sparkplug) { /* complete JSON only */
            put_u8(&p, 0x01); put_u8(&p, 1); /* Payload Format Indicator: UTF-8 */
            put_u8(&p, 0x03); put_str(&p, "application/json"); /* Content Type */
        }
        if (chance(200)) {
            put_u8(&p, 0x02); put_u32(&p, 3600); /* Message Expiry Interval */
        }
        if (chance(100)) {
            put_u8(&p, 0x23); put_u16(&p, rng_range(1, 10)); /* Topic Alias (with the name) */
        }
        if (chance(100)) {
            put_u8(&p, 0x26); put_str_pair(&p, "src", "gen"); /* User Property */
        }
        if (d == S2C && c->sub_id) {
            put_u8(&p, 0x0b); put_varint(&p, c->sub_id); /* Subscription Identifier */
        }
        put_props(&body, &p);
    }
    if (sparkplug) {
        /* the JSON variant's draws, made and dropped, keep both in step */
        static uint8_t drop_store[BODY_MAX];
        struct buf drop = { drop_store, 0, sizeof drop_store, false };
        fill_payload(&drop, payload_len, text, ++publish_seqno);
        uint8_t seq = 0;
        if (kind == SPB_NBIRTH) {
            c->spb_born = true;
            c->spb_seq = 1;
        } else if (d == C2S) {
            seq = c->spb_seq++; /* wraps 255 -> 0 */
        } else {
            seq = (uint8_t)publish_seqno;
        }
        need(&body, 512);
        body.len += spb_payload(body.data + body.len, body.cap - body.len, kind,
                                publish_seqno, seq, capture_time_ms());
    } else {
        fill_payload(&body, payload_len, text, ++publish_seqno);
    }
    uint32_t retain = d == C2S && chance(50) ? 1u : 0u;
    put_message(b, PUBLISH, (qos << 1) | retain, &body);
}

/* PUBACK, PUBREC, PUBREL, PUBCOMP (MQTT 5.0 3.4-3.7): a packet identifier; in
 * 5.0 optionally a reason code and a property length (3.4.2.1). */
void build_pub_ack(struct buf *b, const struct conn *c, enum mqtt_type type, uint16_t pid)
{
    struct buf body = new_body();
    put_u16(&body, pid);
    if (c->level == 5 && chance(100)) {
        bool may_say_no_subscribers = type == PUBACK || type == PUBREC;
        put_u8(&body, may_say_no_subscribers && chance(500) ? 0x10 : 0x00);
        if (chance(500))
            put_varint(&body, 0);
    }
    put_message(b, type, type == PUBREL ? 0x2 : 0, &body); /* PUBREL flags 0010 */
}

void build_empty(struct buf *b, enum mqtt_type type)
{
    struct buf body = new_body();
    put_message(b, type, 0, &body);
}
