/* Per-connection MQTT state: life cycle, CONNECT and CONNACK, PINGs and
 * the checks on every packet (the flows are in session_flows.c). See
 * session.h. Specification references are
 * to MQTT 5.0 (OASIS, 2019) unless they say 3.1.1. */
#include "analysis/session.h"

#include <stdlib.h>
#include <string.h>

#include "analysis/session_priv.h"

/* The tables' own bounds are the ones session.h promises. */
_Static_assert(INFLIGHT_MAX == SESSION_MAX_IN_FLIGHT, "in-flight bound");
_Static_assert(TOPIC_ALIAS_MAX == SESSION_MAX_ALIASES, "topic alias bound");

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
struct session_rare *session_rare_mut(struct session *s)
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

void session_violation(struct pkt *p, uint16_t rule, uint32_t off, uint32_t value)
{
    (void)mqd_frame_add_violation(p->f, rule, off, value);
}

void session_answer(struct pkt *p, uint64_t req_frame, int64_t req_ts, int pair)
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

bool session_find_prop(const mqd_frame *f, const mqd_props *block, uint8_t id,
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
    l->receive_maximum = session_find_prop(f, block, MQD_P_RECEIVE_MAXIMUM, &pr) ? pr.value : 65535u;
    l->max_packet_size = session_find_prop(f, block, MQD_P_MAXIMUM_PACKET_SIZE, &pr) ? pr.value : 0;
    l->topic_alias_maximum = session_find_prop(f, block, MQD_P_TOPIC_ALIAS_MAXIMUM, &pr)
                                 ? (uint16_t)pr.value : 0;
}

/* The limits that bind packets sent in `dir`: the other side's. */
const struct session_limits *session_limits_for(const struct session *s, int dir)
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
        session_violation(p, MQD_R_SESSION_SECOND_CONNECT, 0, 0);
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
        session_find_prop(f, &c->props, MQD_P_SESSION_EXPIRY_INTERVAL, &pr);
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
        session_answer(p, s->connect_frame, s->connect_ts_us, PAIR_CONNECT_CONNACK);
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
    if (session_find_prop(f, &f->props, MQD_P_SERVER_KEEP_ALIVE, &pr)) {
        in->server_keep_alive_present = true;
        in->server_keep_alive = (uint16_t)pr.value;
    }
    read_limits(f, &f->props, &in->server_limits);
    /* 5.0 s3.2.2.3.7: a client that connected with an empty id is known by
     * the one the server assigns. */
    if (in->connect_seen && in->client_id.present && in->client_id.len == 0 &&
        session_find_prop(f, &f->props, MQD_P_ASSIGNED_CLIENT_IDENTIFIER, &pr)) {
        keep_str(&in->client_id, f, &pr.str);
        in->client_id_assigned = in->client_id.present;
    }
    /* A resumed session may finish QoS 2 flows begun on an earlier
     * connection (s4.4): their PUBRELs have no PUBREC here. */
    if (in->session_present)
        s->unsure[0] = s->unsure[1] = true;
}

/* ---- PINGREQ / PINGRESP (s3.12, s3.13) ---- */

/* Slot i of the ring of unanswered PINGREQs: the first PINGS_INLINE in the
 * session, the others in its rare part (allocated here when `make`). NULL
 * when not there. */
static struct ping *ping_slot(struct session *s, unsigned i, bool make)
{
    if (i < PINGS_INLINE)
        return &s->pings[i];
    struct session_rare *r = make ? session_rare_mut(s) : s->rare;
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
        session_answer(p, oldest->frame, oldest->ts_us, PAIR_PINGREQ_PINGRESP);
    s->ping_head = (uint8_t)((s->ping_head + 1) % PINGS_MAX);
    s->ping_count--;
    /* Answered: the ring starts over in the inline slots. */
    if (s->ping_count == 0)
        s->ping_head = 0;
}

void session_prefetch(const struct session *s, int dir)
{
    const char *flags = (const char *)s; /* with the info pointer */
    const char *flights = (const char *)&s->flights[dir & 1];
    __builtin_prefetch(flags);
    __builtin_prefetch(flights);
    __builtin_prefetch(flights + 64);
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
        session_violation(p, MQD_R_SESSION_KEEP_ALIVE_EXCEEDED, 0,
                  silent / 1000 > UINT32_MAX ? UINT32_MAX : (uint32_t)(silent / 1000));
}

/* s3.1.2.11.4, s3.2.2.3.6: no packet above the receiver's Maximum Packet Size. */
static void check_packet_size(struct pkt *p)
{
    const struct session_limits *lim = session_limits_for(p->s, p->dir);
    if (lim->known && lim->max_packet_size != 0 && p->f->size > lim->max_packet_size)
        session_violation(p, p->dir == SESSION_TO_SERVER ? MQD_R_SESSION_CLIENT_PACKET_TOO_LARGE
                                                 : MQD_R_SESSION_SERVER_PACKET_TOO_LARGE,
                  0, p->f->size);
}

static void dispatch(struct pkt *p)
{
    switch (p->f->type) {
    case MQD_CONNECT: on_connect(p); break;
    case MQD_CONNACK: on_connack(p); break;
    case MQD_PUBLISH: session_flows_publish(p); break;
    case MQD_PUBACK: session_flows_puback(p); break;
    case MQD_PUBREC: session_flows_pubrec(p); break;
    case MQD_PUBREL: session_flows_pubrel(p); break;
    case MQD_PUBCOMP: session_flows_pubcomp(p); break;
    case MQD_SUBSCRIBE: session_flows_subscribe(p, FLIGHT_SUBSCRIBE); break;
    case MQD_SUBACK: session_flows_suback(p, FLIGHT_SUBSCRIBE, PAIR_SUBSCRIBE_SUBACK); break;
    case MQD_UNSUBSCRIBE: session_flows_subscribe(p, FLIGHT_UNSUBSCRIBE); break;
    case MQD_UNSUBACK: session_flows_suback(p, FLIGHT_UNSUBSCRIBE, PAIR_UNSUBSCRIBE_UNSUBACK); break;
    case MQD_PINGREQ: on_pingreq(p); break;
    case MQD_PINGRESP: on_pingresp(p); break;
    default: break;
    }
}

void session_on_frame(struct session *s, int dir, mqd_frame *f, uint64_t frame,
                      int64_t ts_us, struct msg_analysis *an,
                      struct session_step *step)
{
    msg_analysis_clear(an);
    memset(step, 0, sizeof *step);
    step->selected = !session_topics_active(s);
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
