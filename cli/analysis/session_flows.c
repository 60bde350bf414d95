/* Per-connection MQTT state: PUBLISH and the QoS 1 / QoS 2 flows (s4.3),
 * topic aliases, SUBSCRIBE and UNSUBSCRIBE with their acknowledgements.
 * See session.h. Specification references are to MQTT 5.0 (OASIS, 2019)
 * unless they say 3.1.1. */
#include "analysis/session_priv.h"

#include <stdlib.h>
#include <string.h>

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
    if (!session_find_prop(f, &f->props, MQD_P_TOPIC_ALIAS, &pr) || pr.value == 0)
        return; /* alias 0 is reported by the parser */
    const struct session_limits *lim = session_limits_for(s, p->dir);
    if (lim->known && pr.value > lim->topic_alias_maximum)
        session_violation(p, p->dir == SESSION_TO_SERVER
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
            session_violation(p, MQD_R_SESSION_TOPIC_ALIAS_UNKNOWN, pr.off, pr.value);
        break;
    case TOPIC_ALIAS_DROPPED:
        break; /* set, but not kept: the topic stays unknown */
    }
}

static void publish_topic(struct pkt *p)
{
    const uint8_t *topic = NULL;
    size_t tlen = 0;
    if (!mqd_frame_str(p->f, &p->f->topic, &topic, &tlen))
        return;
    resolve_topic(p, topic, tlen);
    if (session_topics_active(p->s))
        p->step->selected = (p->an->effective_topic_len > 0 || p->an->topic_from_alias) &&
                            topic_sel_match_topic(p->s->cfg.topics, p->an->effective_topic,
                                                  p->an->effective_topic_len);
}

/* s3.3.4: Subscription Identifiers go from server to client only. */
static void check_subscription_id(struct pkt *p)
{
    mqd_prop pr;
    if (p->dir == SESSION_TO_SERVER &&
        session_find_prop(p->f, &p->f->props, MQD_P_SUBSCRIPTION_IDENTIFIER, &pr))
        session_violation(p, MQD_R_PUBLISH_SUBSCRIPTION_ID_FROM_CLIENT, pr.off, pr.id);
}

static void id_in_use(struct pkt *p)
{
    session_violation(p, p->dir == SESSION_TO_SERVER ? MQD_R_SESSION_CLIENT_PACKET_ID_IN_USE
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
    struct session_rare *r = session_rare_mut(s);
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
    const struct session_limits *lim = session_limits_for(p->s, p->dir);
    uint32_t in_flight = p->s->flights[p->dir].pubs;
    if (lim->known && in_flight > lim->receive_maximum)
        session_violation(p, p->dir == SESSION_TO_SERVER
                         ? MQD_R_SESSION_CLIENT_RECEIVE_MAXIMUM_EXCEEDED
                         : MQD_R_SESSION_SERVER_RECEIVE_MAXIMUM_EXCEEDED,
                  p->f->packet_id.off, in_flight);
}

void session_flows_publish(struct pkt *p)
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
        session_violation(p, MQD_R_SESSION_ACK_NOT_IN_FLIGHT, p->f->packet_id.off,
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
    session_answer(p, e->frame, e->ts_us, pair);
    return e;
}

/* A flow moves on: `kind` now, last moved by this packet. */
static void advance_flight(struct pkt *p, struct flight *e, uint8_t kind)
{
    e->kind = kind;
    e->frame = p->frame;
    e->ts_us = p->ts_us;
}

void session_flows_puback(struct pkt *p)
{
    struct flight *e = answered_flight(p, FLIGHT_PUB_QOS1, PAIR_PUBLISH_PUBACK);
    if (e)
        finish_flight(p, e);
}

void session_flows_pubrec(struct pkt *p)
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
void session_flows_pubrel(struct pkt *p)
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
            session_violation(p, MQD_R_SESSION_PUBREL_WITHOUT_PUBREC, p->f->packet_id.off,
                      p->f->packet_id.value);
        if (!resend)
            return;
    }
    p->step->selected = e->selected;
    p->an->flow_start = e->pub_frame;
    p->an->flow_latency_us = p->ts_us - e->pub_ts_us;
    if (e->kind == FLIGHT_PUB_RECEIVED)
        session_answer(p, e->frame, e->ts_us, PAIR_PUBREC_PUBREL);
    if (take_orphan(p->s, p->dir, e->id, MQD_PUBCOMP)) {
        inflight_remove(t, e); /* its PUBCOMP was decoded first */
        return;
    }
    advance_flight(p, e, FLIGHT_PUB_RELEASED);
}

void session_flows_pubcomp(struct pkt *p)
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

void session_flows_subscribe(struct pkt *p, uint8_t kind)
{
    if (session_topics_active(p->s))
        p->step->selected = filters_selected(p->s, p->f);
    struct flight *e = start_flight(p, kind);
    if (e && kind == FLIGHT_SUBSCRIBE) {
        struct session_rare *r = session_rare_mut(p->s);
        e->sub_slot = r ? sub_slots_keep(&r->subs, p->f) : -1;
    }
}

void session_flows_suback(struct pkt *p, uint8_t kind, int pair)
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
