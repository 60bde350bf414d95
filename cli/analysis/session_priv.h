/* Private to analysis/session*.c: the state of one connection and the
 * context of one packet, shared by session.c (life cycle, CONNECT and
 * CONNACK, PINGs, the checks on every packet) and session_flows.c
 * (PUBLISH and its QoS flows, SUBSCRIBE and UNSUBSCRIBE). */
#ifndef MQD_CLI_SESSION_PRIV_H
#define MQD_CLI_SESSION_PRIV_H

#include "analysis/alias.h"
#include "analysis/inflight.h"
#include "analysis/session.h"
#include "analysis/sub_slots.h"
#include "mqttdissect/props.h"

/* Acknowledgements that came before their request: TCP reassembly may hold
 * one direction (a hole) while the other goes on, so an ack can be decoded
 * before the packet it answers. Kept per requesting direction, a few. */
#define ORPHAN_MAX 32
struct orphan {
    uint16_t id;
    uint8_t type; /* the ack's packet type */
};

/* What few connections use, allocated on first use and freed at close
 * (session_rare): acknowledgements decoded before their requests, the
 * filters of SUBSCRIBEs awaiting their SUBACK, PINGREQs beyond the first
 * PINGS_INLINE unanswered ones. */
#define PINGS_MAX 8u
#define PINGS_INLINE 2u
struct ping { uint64_t frame; int64_t ts_us; };
struct session_rare {
    struct orphan orphans[2][ORPHAN_MAX];
    struct sub_slots subs;
    struct ping pings[PINGS_MAX - PINGS_INLINE];
};

/* What every packet reads comes first, what few packets read last: with
 * thousands of connections, each packet's session is a cache miss per line
 * it touches. A fresh connection holds only this (a few hundred bytes):
 * what CONNECT and CONNACK tell (session_info, its strings large) is
 * allocated when one of them comes, the topic alias tables on the first
 * alias, the rest (struct session_rare) when first needed. */
struct session {
    struct session_cfg cfg;
    bool peer_lagging;  /* the other direction has data held back */
    bool unsure[2];        /* a gap or a missed start: requests may be unseen */
    bool client_seen;
    bool midstream;        /* the capture began inside the connection */
    bool dir_seen[2];      /* a frame decoded in that direction */
    bool connect_pending;
    bool client_disconnected; /* the client sent DISCONNECT: silence is fine */
    uint8_t norphans[2], orphan_next[2];
    uint8_t ping_head, ping_count; /* a ring of PINGS_MAX (ping_slot) */
    int64_t last_client_ts_us;
    int64_t last_ts_us;
    /* The default info (idle_info) until a CONNECT or CONNACK: then
     * own_info, allocated. */
    const struct session_info *info;
    struct session_info *own_info;
    struct flight_table flights[2]; /* by the direction that sent the request */
    struct topic_alias_table *aliases[2]; /* by the direction that sends PUBLISH */
    struct topic_alias_bytes alias_bytes; /* topic bytes kept, both directions */
    uint64_t overflow;
    uint64_t connect_frame;
    int64_t connect_ts_us;
    /* PINGREQs awaiting PINGRESP, oldest first; the rest in rare. */
    struct ping pings[PINGS_INLINE];
    struct session_rare *rare;
};

/* The context of one packet being analysed. */
struct pkt {
    struct session *s;
    int dir;
    mqd_frame *f;
    uint64_t frame;
    int64_t ts_us;
    struct msg_analysis *an;
    struct session_step *step;
};

static inline bool session_topics_active(const struct session *s)
{
    return s->cfg.topics && s->cfg.topics->n > 0;
}

/* Helpers of session.c. */
struct session_rare *session_rare_mut(struct session *s);
void session_violation(struct pkt *p, uint16_t rule, uint32_t off, uint32_t value);
void session_answer(struct pkt *p, uint64_t req_frame, int64_t req_ts, int pair);
bool session_find_prop(const mqd_frame *f, const mqd_props *block, uint8_t id,
                      mqd_prop *out);
const struct session_limits *session_limits_for(const struct session *s, int dir);

/* session_flows.c: what each packet type of the flows does. */
void session_flows_publish(struct pkt *p);
void session_flows_puback(struct pkt *p);
void session_flows_pubrec(struct pkt *p);
void session_flows_pubrel(struct pkt *p);
void session_flows_pubcomp(struct pkt *p);
void session_flows_subscribe(struct pkt *p, uint8_t kind);
void session_flows_suback(struct pkt *p, uint8_t kind, int pair);

#endif
