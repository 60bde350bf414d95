/* Per-connection MQTT state. See session.h. Specification references are
 * to MQTT 5.0 (OASIS, 2019) unless they say 3.1.1. */
#include "analysis/session.h"

#include <stdlib.h>
#include <string.h>

#include "analysis/alias.h"
#include "analysis/inflight.h"
#include "analysis/sub_slots.h"
#include "mqttdissect/props.h"

/* The tables' own bounds are the ones session.h promises. */
_Static_assert(INFLIGHT_MAX == SESSION_MAX_IN_FLIGHT, "in-flight bound");
_Static_assert(TOPIC_ALIAS_MAX == SESSION_MAX_ALIASES, "topic alias bound");

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

/* What is known of a connection before its CONNECT or CONNACK, by whether
 * its start was captured. */
static const struct session_info idle_info[2] = {{.midstream = false},
                                                 {.midstream = true}};

struct session *session_new(const struct session_cfg *cfg, bool midstream)
{
    struct session *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    if (cfg)
        s->cfg = *cfg;
    s->alias_bytes.max = SESSION_ALIAS_BYTES;
    s->info = &idle_info[midstream];
    s->midstream = midstream;
    s->unsure[0] = s->unsure[1] = midstream;
    return s;
}

/* The info to write into, allocated on first use; NULL when memory ran
 * out (what the packet tells is then not kept). */
static struct session_info *info_mut(struct session *s)
{
    if (!s->own_info) {
        s->own_info = malloc(sizeof *s->own_info);
        if (!s->own_info)
            return NULL;
        *s->own_info = *s->info;
        s->info = s->own_info;
    }
    return s->own_info;
}

/* The rarely used tables, allocated on first use; NULL when memory ran
 * out. */
static struct session_rare *rare_mut(struct session *s)
{
    if (!s->rare)
        s->rare = calloc(1, sizeof *s->rare);
    return s->rare;
}

void session_free(struct session *s)
{
    if (!s)
        return;
    for (int d = 0; d < 2; d++) {
        inflight_free(&s->flights[d]);
        if (s->aliases[d])
            topic_alias_free(s->aliases[d]);
        free(s->aliases[d]);
    }
    if (s->rare)
        sub_slots_free(&s->rare->subs);
    free(s->rare);
    free(s->own_info);
    free(s);
}

const struct session_info *session_info(const struct session *s)
{
    return s->info;
}

uint64_t session_overflow(const struct session *s)
{
    return s->overflow;
}

void session_peer_lagging(struct session *s, bool lagging)
{
    if (s)
        s->peer_lagging = lagging;
}

static void forget_pings(struct session *s);

void session_gap(struct session *s, int dir)
{
    if (!s || (dir != 0 && dir != 1))
        return;
    s->unsure[dir] = true;
    /* The PINGRESPs of the pending PINGREQs may be in the gap. */
    if (dir == SESSION_TO_CLIENT)
        forget_pings(s);
}

const char *session_pair_name(int pair)
{
    static const char *const names[PAIR_COUNT] = {
        [PAIR_NONE] = "none",
        [PAIR_CONNECT_CONNACK] = "CONNECT->CONNACK",
        [PAIR_PUBLISH_PUBACK] = "PUBLISH->PUBACK",
        [PAIR_PUBLISH_PUBREC] = "PUBLISH->PUBREC",
        [PAIR_PUBREC_PUBREL] = "PUBREC->PUBREL",
        [PAIR_PUBREL_PUBCOMP] = "PUBREL->PUBCOMP",
        [PAIR_PUBLISH_PUBCOMP] = "PUBLISH->PUBCOMP",
        [PAIR_SUBSCRIBE_SUBACK] = "SUBSCRIBE->SUBACK",
        [PAIR_UNSUBSCRIBE_UNSUBACK] = "UNSUBSCRIBE->UNSUBACK",
        [PAIR_PINGREQ_PINGRESP] = "PINGREQ->PINGRESP",
    };
    return pair >= 0 && pair < PAIR_COUNT ? names[pair] : "?";
}

/* ---- helpers ---- */

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

static void violation(struct pkt *p, uint16_t rule, uint32_t off, uint32_t value)
{
    (void)mqd_frame_add_violation(p->f, rule, off, value);
}

static void answer(struct pkt *p, uint64_t req_frame, int64_t req_ts, int pair)
{
    p->an->reply_to = req_frame;
    p->an->latency_us = p->ts_us - req_ts;
    if (p->step->nsamples < 2) {
        p->step->samples[p->step->nsamples].pair = (uint8_t)pair;
        p->step->samples[p->step->nsamples].latency_us = p->ts_us - req_ts;
        p->step->nsamples++;
    }
}

static void keep_str(struct session_str *dst, const mqd_frame *f, const mqd_str *src)
{
    const uint8_t *data;
    size_t len;
    memset(dst, 0, sizeof *dst);
    if (!mqd_frame_str(f, src, &data, &len))
        return;
    dst->present = true;
    dst->cut = len > SESSION_STR_MAX;
    dst->len = (uint16_t)(dst->cut ? SESSION_STR_MAX : len);
    memcpy(dst->s, data, dst->len);
    dst->s[dst->len] = '\0';
}

static bool find_prop(const mqd_frame *f, const mqd_props *block, uint8_t id,
                      mqd_prop *out)
{
    return f->version == MQD_V5 && block->present && mqd_prop_find(f, block, id, out);
}

/* Limits a CONNECT or CONNACK declares (s3.1.2.11.3-5, s3.2.2.3.3-8). */
static void read_limits(const mqd_frame *f, const mqd_props *block,
                        struct session_limits *l)
{
    mqd_prop pr;
    l->known = f->version == MQD_V5;
    l->receive_maximum = find_prop(f, block, MQD_P_RECEIVE_MAXIMUM, &pr) ? pr.value : 65535u;
    l->max_packet_size = find_prop(f, block, MQD_P_MAXIMUM_PACKET_SIZE, &pr) ? pr.value : 0;
    l->topic_alias_maximum = find_prop(f, block, MQD_P_TOPIC_ALIAS_MAXIMUM, &pr)
                                 ? (uint16_t)pr.value : 0;
}

/* The limits that bind packets sent in `dir`: the other side's. */
static const struct session_limits *limits_for(const struct session *s, int dir)
{
    return dir == SESSION_TO_SERVER ? &s->info->server_limits : &s->info->client_limits;
}

/* ---- CONNECT / CONNACK (s3.1, s3.2) ---- */

static void on_connect(struct pkt *p)
{
    struct session *s = p->s;
    const mqd_frame *f = p->f;
    const mqd_connect *c = &f->connect;
    if (s->info->connect_seen) {
        /* s3.1.0: a second CONNECT is a Protocol Error. */
        violation(p, MQD_R_SESSION_SECOND_CONNECT, 0, 0);
        return;
    }
    struct session_info *in = info_mut(s);
    if (!in)
        return;
    in->connect_seen = true;
    in->version = mqd_connect_version(f);
    keep_str(&in->client_id, f, &c->client_id);
    keep_str(&in->username, f, &c->username);
    in->password_present = c->password.present;
    in->clean_start = c->clean_start;
    in->keep_alive = (uint16_t)c->keep_alive.value;
    in->will = c->will_flag;
    in->will_qos = c->will_qos;
    in->will_retain = c->will_retain;
    if (c->will_flag)
        keep_str(&in->will_topic, f, &c->will_topic);
    mqd_prop pr;
    in->session_expiry_present =
        find_prop(f, &c->props, MQD_P_SESSION_EXPIRY_INTERVAL, &pr);
    in->session_expiry = in->session_expiry_present ? pr.value : 0;
    read_limits(f, &c->props, &in->client_limits);
    s->connect_pending = true;
    s->connect_frame = p->frame;
    s->connect_ts_us = p->ts_us;
    /* The start is seen after all: the tables are complete from here. */
    s->unsure[0] = s->unsure[1] = false;
}

static void on_connack(struct pkt *p)
{
    struct session *s = p->s;
    const mqd_frame *f = p->f;
    if (s->connect_pending) {
        answer(p, s->connect_frame, s->connect_ts_us, PAIR_CONNECT_CONNACK);
        s->connect_pending = false;
    }
    if (s->info->connack_seen)
        return;
    struct session_info *in = info_mut(s);
    if (!in)
        return;
    in->connack_seen = true;
    in->connack_code = (uint8_t)f->reason.value;
    in->session_present = (f->ack_flags.value & 1u) != 0;
    mqd_prop pr;
    if (find_prop(f, &f->props, MQD_P_SERVER_KEEP_ALIVE, &pr)) {
        in->server_keep_alive_present = true;
        in->server_keep_alive = (uint16_t)pr.value;
    }
    read_limits(f, &f->props, &in->server_limits);
    /* A resumed session may finish QoS 2 flows begun on an earlier
     * connection (s4.4): their PUBRELs have no PUBREC here. */
    if (in->session_present)
        s->unsure[0] = s->unsure[1] = true;
}

/* ---- PUBLISH (s3.3) and the QoS 1 / QoS 2 flows (s4.3) ---- */

/* The alias table of direction dir, allocated on its first alias; NULL
 * when memory ran out. */
static struct topic_alias_table *alias_table_mut(struct session *s, int dir)
{
    if (!s->aliases[dir])
        s->aliases[dir] = calloc(1, sizeof *s->aliases[dir]);
    return s->aliases[dir];
}

static enum topic_alias_state alias_get(const struct session *s, int dir, uint32_t alias,
                                        const uint8_t **topic, uint16_t *len)
{
    if (!s->aliases[dir])
        return TOPIC_ALIAS_UNKNOWN;
    return topic_alias_get(s->aliases[dir], alias, topic, len);
}

/* Topic Alias (s3.3.2.3.4): a non-empty topic sets the mapping, an empty
 * one uses it. */
static void resolve_topic(struct pkt *p, const uint8_t *topic, size_t tlen)
{
    struct session *s = p->s;
    mqd_frame *f = p->f;
    struct msg_analysis *an = p->an;
    mqd_prop pr;
    an->has_effective_topic = true;
    an->effective_topic = topic;
    an->effective_topic_len = (uint16_t)tlen;
    if (!find_prop(f, &f->props, MQD_P_TOPIC_ALIAS, &pr) || pr.value == 0)
        return; /* alias 0 is reported by the parser */
    const struct session_limits *lim = limits_for(s, p->dir);
    if (lim->known && pr.value > lim->topic_alias_maximum)
        violation(p, p->dir == SESSION_TO_SERVER
                         ? MQD_R_SESSION_CLIENT_TOPIC_ALIAS_TOO_LARGE
                         : MQD_R_SESSION_SERVER_TOPIC_ALIAS_TOO_LARGE,
                  pr.off, pr.value);
    if (tlen > 0) {
        struct topic_alias_table *t = alias_table_mut(s, p->dir);
        if (!t || !topic_alias_set(t, pr.value, topic, (uint16_t)tlen, &s->alias_bytes))
            s->overflow++;
        return;
    }
    switch (alias_get(s, p->dir, pr.value, &an->effective_topic,
                      &an->effective_topic_len)) {
    case TOPIC_ALIAS_KNOWN:
        an->topic_from_alias = true;
        break;
    case TOPIC_ALIAS_UNKNOWN:
        if (!s->unsure[p->dir])
            violation(p, MQD_R_SESSION_TOPIC_ALIAS_UNKNOWN, pr.off, pr.value);
        break;
    case TOPIC_ALIAS_DROPPED:
        break; /* set, but not kept: the topic stays unknown */
    }
}

static bool topics_active(const struct session *s)
{
    return s->cfg.topics && s->cfg.topics->n > 0;
}

static void publish_topic(struct pkt *p)
{
    const uint8_t *topic = NULL;
    size_t tlen = 0;
    if (!mqd_frame_str(p->f, &p->f->topic, &topic, &tlen))
        return;
    resolve_topic(p, topic, tlen);
    if (topics_active(p->s))
        p->step->selected = (p->an->effective_topic_len > 0 || p->an->topic_from_alias) &&
                            topic_sel_match_topic(p->s->cfg.topics, p->an->effective_topic,
                                                  p->an->effective_topic_len);
}

/* s3.3.4: Subscription Identifiers go from server to client only. */
static void check_subscription_id(struct pkt *p)
{
    mqd_prop pr;
    if (p->dir == SESSION_TO_SERVER &&
        find_prop(p->f, &p->f->props, MQD_P_SUBSCRIPTION_IDENTIFIER, &pr))
        violation(p, MQD_R_PUBLISH_SUBSCRIPTION_ID_FROM_CLIENT, pr.off, pr.id);
}

static void id_in_use(struct pkt *p)
{
    violation(p, p->dir == SESSION_TO_SERVER ? MQD_R_SESSION_CLIENT_PACKET_ID_IN_USE
                                             : MQD_R_SESSION_SERVER_PACKET_ID_IN_USE,
              p->f->packet_id.off, p->f->packet_id.value);
}

static void release_sub_slot(struct session *s, struct flight *e)
{
    if (s->rare)
        sub_slots_release(&s->rare->subs, e->sub_slot);
    e->sub_slot = -1;
}

static void remember_orphan(struct session *s, int req_dir, uint16_t id, uint8_t type)
{
    struct session_rare *r = rare_mut(s);
    if (!r)
        return;
    uint8_t i = s->norphans[req_dir] < ORPHAN_MAX ? s->norphans[req_dir]++
                                                  : s->orphan_next[req_dir]++ % ORPHAN_MAX;
    r->orphans[req_dir][i].id = id;
    r->orphans[req_dir][i].type = type;
}

/* Takes an early ack of `type` for request `id` of direction req_dir. */
static bool take_orphan(struct session *s, int req_dir, uint16_t id, uint8_t type)
{
    for (uint8_t i = 0; i < s->norphans[req_dir]; i++) {
        struct orphan *o = &s->rare->orphans[req_dir][i];
        if (o->id == id && o->type == type) {
            *o = s->rare->orphans[req_dir][--s->norphans[req_dir]];
            return true;
        }
    }
    return false;
}

/* A request that takes a packet identifier (s2.2.1): PUBLISH QoS 1/2,
 * SUBSCRIBE, UNSUBSCRIBE. NULL when not stored. */
static struct flight *start_flight(struct pkt *p, uint8_t kind)
{
    struct flight_table *t = &p->s->flights[p->dir];
    uint16_t id = (uint16_t)p->f->packet_id.value;
    if (!p->f->packet_id.present || id == 0)
        return NULL;
    struct flight *e = inflight_find(t, id);
    if (e) {
        /* A PUBLISH sent again with DUP set is a retransmission (s4.4);
         * anything else reuses an identifier still in flight. */
        bool resend = p->f->type == MQD_PUBLISH && p->f->dup && inflight_is_pub(e->kind);
        if (!resend)
            id_in_use(p);
        release_sub_slot(p->s, e);
        inflight_remove(t, e);
    }
    struct flight n = {
        .id = id, .kind = kind, .selected = p->step->selected, .sub_slot = -1,
        .frame = p->frame, .ts_us = p->ts_us, .pub_frame = p->frame, .pub_ts_us = p->ts_us,
    };
    /* Acknowledged already (decoded out of order): done, or further on. */
    static const uint8_t ack_of[] = {
        [FLIGHT_PUB_QOS1] = MQD_PUBACK, [FLIGHT_PUB_QOS2] = MQD_PUBREC,
        [FLIGHT_SUBSCRIBE] = MQD_SUBACK, [FLIGHT_UNSUBSCRIBE] = MQD_UNSUBACK,
    };
    if (take_orphan(p->s, p->dir, id, ack_of[kind])) {
        if (kind != FLIGHT_PUB_QOS2)
            return NULL;
        n.kind = FLIGHT_PUB_RECEIVED;
    }
    e = inflight_add(t, &n);
    if (!e)
        p->s->overflow++;
    return e;
}

/* s3.3.4, s4.9: at most Receive Maximum QoS 1/2 PUBLISH unacknowledged. */
static void check_receive_maximum(struct pkt *p)
{
    const struct session_limits *lim = limits_for(p->s, p->dir);
    uint32_t in_flight = p->s->flights[p->dir].pubs;
    if (lim->known && in_flight > lim->receive_maximum)
        violation(p, p->dir == SESSION_TO_SERVER
                         ? MQD_R_SESSION_CLIENT_RECEIVE_MAXIMUM_EXCEEDED
                         : MQD_R_SESSION_SERVER_RECEIVE_MAXIMUM_EXCEEDED,
                  p->f->packet_id.off, in_flight);
}

static void on_publish(struct pkt *p)
{
    publish_topic(p);
    check_subscription_id(p);
    if (p->f->qos != 1 && p->f->qos != 2)
        return;
    if (start_flight(p, p->f->qos == 1 ? FLIGHT_PUB_QOS1 : FLIGHT_PUB_QOS2))
        check_receive_maximum(p);
}

/* The in-flight entry an acknowledgement from `dir` refers to: the other
 * direction's request. */
static struct flight *acked_flight(struct pkt *p)
{
    if (!p->f->packet_id.present)
        return NULL;
    return inflight_find(&p->s->flights[1 - p->dir], (uint16_t)p->f->packet_id.value);
}

static void not_in_flight(struct pkt *p)
{
    if (!p->f->packet_id.present)
        return;
    remember_orphan(p->s, 1 - p->dir, (uint16_t)p->f->packet_id.value, p->f->type);
    if (!p->s->unsure[1 - p->dir] && !p->s->peer_lagging)
        violation(p, MQD_R_SESSION_ACK_NOT_IN_FLIGHT, p->f->packet_id.off,
                  p->f->packet_id.value);
}

static void finish_flight(struct pkt *p, struct flight *e)
{
    inflight_remove(&p->s->flights[1 - p->dir], e);
}

/* The request an acknowledgement answers, when one of `kind` is in flight:
 * the response is paired with it (`pair`) and inherits its selection. Else
 * the acknowledgement is reported as answering nothing, and NULL. */
static struct flight *answered_flight(struct pkt *p, uint8_t kind, int pair)
{
    struct flight *e = acked_flight(p);
    if (!e || e->kind != kind) {
        not_in_flight(p);
        return NULL;
    }
    p->step->selected = e->selected;
    answer(p, e->frame, e->ts_us, pair);
    return e;
}

/* A flow moves on: `kind` now, last moved by this packet. */
static void advance_flight(struct pkt *p, struct flight *e, uint8_t kind)
{
    e->kind = kind;
    e->frame = p->frame;
    e->ts_us = p->ts_us;
}

static void on_puback(struct pkt *p)
{
    struct flight *e = answered_flight(p, FLIGHT_PUB_QOS1, PAIR_PUBLISH_PUBACK);
    if (e)
        finish_flight(p, e);
}

static void on_pubrec(struct pkt *p)
{
    struct flight *e = answered_flight(p, FLIGHT_PUB_QOS2, PAIR_PUBLISH_PUBREC);
    if (!e)
        return;
    /* s4.3.3: a PUBREC with a Reason Code of 0x80 or above ends the flow. */
    if (p->f->reason.present && p->f->reason.value >= 0x80) {
        finish_flight(p, e);
        return;
    }
    advance_flight(p, e, FLIGHT_PUB_RECEIVED);
}

/* PUBREL goes the way of the PUBLISH: it moves the sender's own entry. */
static void on_pubrel(struct pkt *p)
{
    struct flight_table *t = &p->s->flights[p->dir];
    struct flight *e = p->f->packet_id.present
                           ? inflight_find(t, (uint16_t)p->f->packet_id.value) : NULL;
    if (!e || e->kind != FLIGHT_PUB_RECEIVED) {
        /* s4.3.3: PUBREL only after PUBREC. A retransmitted PUBREL (entry
         * already released) is fine. */
        bool resend = e && e->kind == FLIGHT_PUB_RELEASED;
        if (!resend && (e || !p->s->unsure[p->dir]) && !p->s->peer_lagging &&
            p->f->packet_id.present)
            violation(p, MQD_R_SESSION_PUBREL_WITHOUT_PUBREC, p->f->packet_id.off,
                      p->f->packet_id.value);
        if (!resend)
            return;
    }
    p->step->selected = e->selected;
    p->an->flow_start = e->pub_frame;
    p->an->flow_latency_us = p->ts_us - e->pub_ts_us;
    if (e->kind == FLIGHT_PUB_RECEIVED)
        answer(p, e->frame, e->ts_us, PAIR_PUBREC_PUBREL);
    if (take_orphan(p->s, p->dir, e->id, MQD_PUBCOMP)) {
        inflight_remove(t, e); /* its PUBCOMP was decoded first */
        return;
    }
    advance_flight(p, e, FLIGHT_PUB_RELEASED);
}

static void on_pubcomp(struct pkt *p)
{
    struct flight *e = answered_flight(p, FLIGHT_PUB_RELEASED, PAIR_PUBREL_PUBCOMP);
    if (!e)
        return;
    p->an->flow_start = e->pub_frame;
    p->an->flow_latency_us = p->ts_us - e->pub_ts_us;
    if (p->step->nsamples < 2) {
        p->step->samples[p->step->nsamples].pair = PAIR_PUBLISH_PUBCOMP;
        p->step->samples[p->step->nsamples].latency_us = p->an->flow_latency_us;
        p->step->nsamples++;
    }
    finish_flight(p, e);
}

/* ---- SUBSCRIBE / UNSUBSCRIBE (s3.8, s3.10) ---- */

static bool filters_selected(const struct session *s, const mqd_frame *f)
{
    mqd_filter_iter it;
    mqd_filter flt;
    mqd_filter_iter_init(&it, f);
    while (mqd_filter_next(&it, &flt)) {
        const uint8_t *data;
        size_t len;
        if (mqd_frame_str(f, &flt.filter, &data, &len) &&
            topic_sel_match_filter(s->cfg.topics, data, len))
            return true;
    }
    return false;
}

static void on_subscribe(struct pkt *p, uint8_t kind)
{
    if (topics_active(p->s))
        p->step->selected = filters_selected(p->s, p->f);
    struct flight *e = start_flight(p, kind);
    if (e && kind == FLIGHT_SUBSCRIBE) {
        struct session_rare *r = rare_mut(p->s);
        e->sub_slot = r ? sub_slots_keep(&r->subs, p->f) : -1;
    }
}

static void on_suback(struct pkt *p, uint8_t kind, int pair)
{
    struct flight *e = answered_flight(p, kind, pair);
    if (!e)
        return;
    const struct sub_slot *ss = p->s->rare ? sub_slots_get(&p->s->rare->subs, e->sub_slot)
                                           : NULL;
    if (ss) {
        /* Valid until the next message: the slot is only reused by a later
         * SUBSCRIBE. */
        p->an->granted = ss->buf;
        p->an->granted_len = ss->len;
        p->an->granted_count = ss->count;
    }
    release_sub_slot(p->s, e);
    finish_flight(p, e);
}

/* ---- PINGREQ / PINGRESP (s3.12, s3.13) ---- */

/* Slot i of the ring of unanswered PINGREQs: the first PINGS_INLINE in the
 * session, the others in its rare part (allocated here when `make`). NULL
 * when not there. */
static struct ping *ping_slot(struct session *s, unsigned i, bool make)
{
    if (i < PINGS_INLINE)
        return &s->pings[i];
    struct session_rare *r = make ? rare_mut(s) : s->rare;
    return r ? &r->pings[i - PINGS_INLINE] : NULL;
}

static void on_pingreq(struct pkt *p)
{
    struct session *s = p->s;
    if (s->ping_count == PINGS_MAX) { /* forget the oldest */
        s->ping_head = (uint8_t)((s->ping_head + 1) % PINGS_MAX);
        s->ping_count--;
    }
    struct ping *slot = ping_slot(s, (s->ping_head + s->ping_count) % PINGS_MAX, true);
    if (!slot) {
        s->overflow++;
        return;
    }
    slot->frame = p->frame;
    slot->ts_us = p->ts_us;
    s->ping_count++;
}

/* The pending PINGREQs may have been answered in bytes never decoded: a
 * later PINGRESP is not paired with any of them (it would be with the
 * oldest, however old: a PINGRESP answers no PINGREQ by number). */
static void forget_pings(struct session *s)
{
    s->ping_head = 0;
    s->ping_count = 0;
}

static void on_pingresp(struct pkt *p)
{
    struct session *s = p->s;
    if (s->ping_count == 0)
        return;
    const struct ping *oldest = ping_slot(s, s->ping_head, false);
    if (oldest)
        answer(p, oldest->frame, oldest->ts_us, PAIR_PINGREQ_PINGRESP);
    s->ping_head = (uint8_t)((s->ping_head + 1) % PINGS_MAX);
    s->ping_count--;
    /* Answered: the ring starts over in the inline slots. */
    if (s->ping_count == 0)
        s->ping_head = 0;
}

/* ---- checks on every packet ---- */

static uint32_t effective_keep_alive(const struct session_info *in)
{
    /* s3.2.2.3.14: the Server Keep Alive replaces the client's value. */
    return in->server_keep_alive_present ? in->server_keep_alive : in->keep_alive;
}

/* s3.1.2.10: a client silent for more than 1.5 × Keep Alive. */
static bool keep_alive_exceeded(const struct session *s, int64_t now, int64_t *silent)
{
    uint32_t ka = effective_keep_alive(s->info);
    if (!s->info->connect_seen || ka == 0 || !s->client_seen || s->client_disconnected)
        return false;
    *silent = now - s->last_client_ts_us;
    return *silent > (int64_t)ka * 1500000;
}

static void check_keep_alive(struct pkt *p)
{
    int64_t silent;
    if (p->dir == SESSION_TO_SERVER && p->f->type != MQD_CONNECT &&
        keep_alive_exceeded(p->s, p->ts_us, &silent))
        violation(p, MQD_R_SESSION_KEEP_ALIVE_EXCEEDED, 0,
                  silent / 1000 > UINT32_MAX ? UINT32_MAX : (uint32_t)(silent / 1000));
}

/* s3.1.2.11.4, s3.2.2.3.6: no packet above the receiver's Maximum Packet Size. */
static void check_packet_size(struct pkt *p)
{
    const struct session_limits *lim = limits_for(p->s, p->dir);
    if (lim->known && lim->max_packet_size != 0 && p->f->size > lim->max_packet_size)
        violation(p, p->dir == SESSION_TO_SERVER ? MQD_R_SESSION_CLIENT_PACKET_TOO_LARGE
                                                 : MQD_R_SESSION_SERVER_PACKET_TOO_LARGE,
                  0, p->f->size);
}

static void dispatch(struct pkt *p)
{
    switch (p->f->type) {
    case MQD_CONNECT: on_connect(p); break;
    case MQD_CONNACK: on_connack(p); break;
    case MQD_PUBLISH: on_publish(p); break;
    case MQD_PUBACK: on_puback(p); break;
    case MQD_PUBREC: on_pubrec(p); break;
    case MQD_PUBREL: on_pubrel(p); break;
    case MQD_PUBCOMP: on_pubcomp(p); break;
    case MQD_SUBSCRIBE: on_subscribe(p, FLIGHT_SUBSCRIBE); break;
    case MQD_SUBACK: on_suback(p, FLIGHT_SUBSCRIBE, PAIR_SUBSCRIBE_SUBACK); break;
    case MQD_UNSUBSCRIBE: on_subscribe(p, FLIGHT_UNSUBSCRIBE); break;
    case MQD_UNSUBACK: on_suback(p, FLIGHT_UNSUBSCRIBE, PAIR_UNSUBSCRIBE_UNSUBACK); break;
    case MQD_PINGREQ: on_pingreq(p); break;
    case MQD_PINGRESP: on_pingresp(p); break;
    default: break;
    }
}

void session_on_frame(struct session *s, int dir, mqd_frame *f, uint64_t frame,
                      int64_t ts_us, struct msg_analysis *an,
                      struct session_step *step)
{
    memset(an, 0, sizeof *an);
    memset(step, 0, sizeof *step);
    step->selected = !topics_active(s);
    if (dir != 0 && dir != 1)
        return;
    struct pkt p = {s, dir, f, frame, ts_us, an, step};
    /* Mid-stream, a direction's bytes before its first frame were skipped
     * (the first plausible boundary): the answers to what the other side
     * asked before may be among them. */
    if (!s->dir_seen[dir]) {
        s->dir_seen[dir] = true;
        if (s->midstream && dir == SESSION_TO_CLIENT)
            forget_pings(s);
    }
    check_keep_alive(&p);
    check_packet_size(&p);
    dispatch(&p);
    if (dir == SESSION_TO_SERVER) {
        s->client_seen = true;
        s->last_client_ts_us = ts_us;
        /* s3.14: after DISCONNECT the client sends nothing more; the
         * keep-alive clock has stopped (until a new CONNECT). */
        if (f->type == MQD_DISCONNECT)
            s->client_disconnected = true;
        else if (f->type == MQD_CONNECT)
            s->client_disconnected = false;
    }
    s->last_ts_us = ts_us;
}

bool session_close(struct session *s, int64_t close_ts_us,
                   struct session_close_report *r)
{
    memset(r, 0, sizeof *r);
    if (close_ts_us < s->last_ts_us)
        close_ts_us = s->last_ts_us;
    uint64_t first = 0;
    for (int d = 0; d < 2; d++) {
        r->unacked[d] = s->flights[d].count;
        first = inflight_oldest_frame(&s->flights[d], first);
    }
    r->unacked_first_frame = first;
    /* With part of the conversation unseen, acknowledgements may have been
     * missed or seen before their requests: nothing to report. */
    if (s->unsure[0] || s->unsure[1])
        r->unacked[0] = r->unacked[1] = 0;
    r->keep_alive = effective_keep_alive(s->info);
    r->keep_alive_exceeded = keep_alive_exceeded(s, close_ts_us, &r->client_silent_us);
    return r->unacked[0] || r->unacked[1] || r->keep_alive_exceeded;
}
