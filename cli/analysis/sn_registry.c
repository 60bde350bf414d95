/* MQTT-SN over UDP: the per-client registry of topic ids and client ids.
 * See sn_registry.h. Section numbers are those of the MQTT-SN Protocol
 * Specification 1.2. */
#include "analysis/sn_registry.h"

#include "net/community_id.h"

#include <stdlib.h>
#include <string.h>

#define SN_HASH_BUCKETS 4096u /* a power of two */

struct sn_topic {
    uint16_t id;
    uint16_t len;
    uint32_t last_used; /* the client's clock when last looked up or set */
    char *name;
};

enum pending_kind { PEND_NONE, PEND_REGISTER, PEND_SUBSCRIBE };

/* A request whose answer will carry the topic id of `name`. */
struct sn_pending {
    uint8_t kind;
    uint16_t msg_id;
    uint16_t len;
    char *name;
};

struct sn_client {
    struct pkt_endpoint ep[2]; /* 0: the client, 1: the gateway */
    char addr[2][64];          /* ep formatted once: "ip:port" */
    char community_id[COMMUNITY_ID_SIZE]; /* of the flow, computed once */
    uint64_t number;
    struct sn_topic *topics;
    uint32_t ntopics, cap_topics;
    uint32_t clock;
    struct sn_pending pending[SN_PENDING_MAX];
    uint32_t next_pending;
    char *client_id; /* the last CONNECT's; NULL: none */
    uint16_t client_id_len;
    uint32_t hash;
    struct sn_client *hash_next, *lru_prev, *lru_next;
};

struct sn_registry {
    struct sn_registry_config cfg;
    struct sn_registry_stats stats;
    struct sn_client *buckets[SN_HASH_BUCKETS];
    struct sn_client *lru_head, *lru_tail; /* head: most recently used */
    size_t nclients;
    size_t name_bytes; /* held by topics and pending requests */
    uint64_t next_number;
};

/* ---- configuration ---- */

bool sn_registry_is_port(const struct sn_registry *sn, uint16_t port)
{
    for (size_t i = 0; i < sn->cfg.nports; i++)
        if (sn->cfg.ports[i] == port)
            return true;
    return false;
}

struct sn_registry *sn_registry_new(const struct sn_registry_config *cfg)
{
    struct sn_registry *sn = calloc(1, sizeof *sn);
    if (!sn)
        return NULL;
    sn->cfg = *cfg;
    if (sn->cfg.nports == 0) {
        sn->cfg.ports[0] = 1883;
        sn->cfg.ports[1] = 1884;
        sn->cfg.nports = 2;
    }
    if (sn->cfg.max_clients == 0)
        sn->cfg.max_clients = SN_DEFAULT_MAX_CLIENTS;
    if (sn->cfg.max_topics == 0)
        sn->cfg.max_topics = SN_DEFAULT_MAX_TOPICS;
    if (sn->cfg.max_topics > UINT16_MAX + 1u)
        sn->cfg.max_topics = UINT16_MAX + 1u;
    return sn;
}

/* ---- memory of one client ---- */

static void pending_clear(struct sn_registry *sn, struct sn_pending *p)
{
    sn->name_bytes -= p->name ? p->len : 0;
    free(p->name);
    memset(p, 0, sizeof *p);
}

static void client_free(struct sn_registry *sn, struct sn_client *c)
{
    for (uint32_t i = 0; i < c->ntopics; i++) {
        sn->name_bytes -= c->topics[i].len;
        free(c->topics[i].name);
    }
    for (int i = 0; i < SN_PENDING_MAX; i++)
        pending_clear(sn, &c->pending[i]);
    free(c->client_id);
    free(c->topics);
    free(c);
}

/* ---- the client table: hash chains and an LRU list ---- */

static uint32_t hash_bytes(uint32_t h, const void *data, size_t n)
{
    const uint8_t *p = data;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u; /* FNV-1a */
    return h;
}

static uint32_t hash_endpoint(uint32_t h, const struct pkt_endpoint *ep)
{
    uint8_t port[2] = {(uint8_t)(ep->port >> 8), (uint8_t)ep->port};
    h = hash_bytes(h, &ep->family, 1);
    h = hash_bytes(h, ep->addr, sizeof ep->addr);
    return hash_bytes(h, port, sizeof port);
}

static bool same_endpoint(const struct pkt_endpoint *a,
                          const struct pkt_endpoint *b)
{
    return a->family == b->family && a->port == b->port &&
           memcmp(a->addr, b->addr, sizeof a->addr) == 0;
}

static void lru_unlink(struct sn_registry *sn, struct sn_client *c)
{
    if (c->lru_prev)
        c->lru_prev->lru_next = c->lru_next;
    else
        sn->lru_head = c->lru_next;
    if (c->lru_next)
        c->lru_next->lru_prev = c->lru_prev;
    else
        sn->lru_tail = c->lru_prev;
    c->lru_prev = c->lru_next = NULL;
}

static void lru_push_front(struct sn_registry *sn, struct sn_client *c)
{
    c->lru_prev = NULL;
    c->lru_next = sn->lru_head;
    if (sn->lru_head)
        sn->lru_head->lru_prev = c;
    sn->lru_head = c;
    if (!sn->lru_tail)
        sn->lru_tail = c;
}

static void client_remove(struct sn_registry *sn, struct sn_client *c)
{
    struct sn_client **pp = &sn->buckets[c->hash & (SN_HASH_BUCKETS - 1)];
    while (*pp && *pp != c)
        pp = &(*pp)->hash_next;
    if (*pp)
        *pp = c->hash_next;
    lru_unlink(sn, c);
    sn->nclients--;
    client_free(sn, c);
}

/* Evicts least recently used clients (never `keep`) while the table or the
 * name memory is over its bound. */
static void evict_over_bounds(struct sn_registry *sn, const struct sn_client *keep,
                              size_t extra_clients)
{
    while (sn->lru_tail && sn->lru_tail != keep &&
           (sn->nclients + extra_clients > sn->cfg.max_clients ||
            sn->name_bytes > SN_MEMORY_CAP)) {
        client_remove(sn, sn->lru_tail);
        sn->stats.clients_evicted++;
    }
}

struct sn_client *sn_registry_client(struct sn_registry *sn,
                                 const struct pkt_endpoint *client,
                                 const struct pkt_endpoint *gateway)
{
    uint32_t h = hash_endpoint(hash_endpoint(2166136261u, client), gateway);
    struct sn_client **bucket = &sn->buckets[h & (SN_HASH_BUCKETS - 1)];
    for (struct sn_client *c = *bucket; c; c = c->hash_next) {
        if (c->hash == h && same_endpoint(&c->ep[0], client) &&
            same_endpoint(&c->ep[1], gateway)) {
            lru_unlink(sn, c);
            lru_push_front(sn, c);
            return c;
        }
    }
    evict_over_bounds(sn, NULL, 1);
    struct sn_client *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->ep[0] = *client;
    c->ep[1] = *gateway;
    pkt_endpoint_format(client, c->addr[0], sizeof c->addr[0]);
    pkt_endpoint_format(gateway, c->addr[1], sizeof c->addr[1]);
    community_id_v1(sn->cfg.community_id_seed, COMMUNITY_ID_UDP, client, gateway,
                    c->community_id);
    c->number = ++sn->next_number;
    c->hash = h;
    c->hash_next = *bucket;
    *bucket = c;
    lru_push_front(sn, c);
    sn->nclients++;
    sn->stats.clients++;
    return c;
}

uint64_t sn_client_number(const struct sn_client *c)
{
    return c->number;
}

const char *sn_client_addr(const struct sn_client *c, int side)
{
    return c->addr[side ? 1 : 0];
}

const char *sn_client_community_id(const struct sn_client *c)
{
    return c->community_id;
}

bool sn_client_id(const struct sn_client *c, const uint8_t **id, size_t *len)
{
    if (!c->client_id)
        return false;
    *id = (const uint8_t *)c->client_id;
    *len = c->client_id_len;
    return true;
}

size_t sn_client_topic_count(const struct sn_client *c)
{
    return c->ntopics;
}

/* ---- topics of one client ---- */

static struct sn_topic *topic_find(struct sn_client *c, uint16_t id)
{
    for (uint32_t i = 0; i < c->ntopics; i++)
        if (c->topics[i].id == id)
            return &c->topics[i];
    return NULL;
}

bool sn_client_topic(struct sn_client *c, uint16_t id, const uint8_t **name,
                     size_t *len)
{
    struct sn_topic *t = topic_find(c, id);
    if (!t)
        return false;
    t->last_used = ++c->clock;
    *name = (const uint8_t *)t->name;
    *len = t->len;
    return true;
}

/* The slot for a new topic: a free one, or the least recently used. */
static struct sn_topic *topic_slot(struct sn_registry *sn, struct sn_client *c)
{
    if (c->ntopics < c->cap_topics)
        return &c->topics[c->ntopics++];
    if (c->cap_topics < sn->cfg.max_topics) {
        uint32_t cap = c->cap_topics ? c->cap_topics * 2 : 8;
        if (cap > sn->cfg.max_topics)
            cap = (uint32_t)sn->cfg.max_topics;
        struct sn_topic *t = realloc(c->topics, cap * sizeof *t);
        if (t) {
            c->topics = t;
            c->cap_topics = cap;
            return &c->topics[c->ntopics++];
        }
        if (c->ntopics == 0)
            return NULL;
    }
    struct sn_topic *lru = &c->topics[0];
    for (uint32_t i = 1; i < c->ntopics; i++)
        if (c->topics[i].last_used < lru->last_used)
            lru = &c->topics[i];
    sn->name_bytes -= lru->len;
    free(lru->name);
    lru->name = NULL;
    lru->len = 0;
    sn->stats.topics_evicted++;
    return lru;
}

/* id -> name (a copy of name[0..len)). */
static void topic_set(struct sn_registry *sn, struct sn_client *c, uint16_t id,
                      const char *name, uint16_t len)
{
    struct sn_topic *t = topic_find(c, id);
    if (t) {
        if (t->len == len && memcmp(t->name, name, len) == 0) {
            t->last_used = ++c->clock;
            return;
        }
        sn->name_bytes -= t->len;
        free(t->name);
        t->name = NULL;
        t->len = 0;
    } else {
        t = topic_slot(sn, c);
        if (!t)
            return;
    }
    char *copy = malloc(len ? len : 1);
    if (!copy) { /* drop the slot: keep the table dense */
        *t = c->topics[--c->ntopics];
        return;
    }
    memcpy(copy, name, len);
    t->id = id;
    t->len = len;
    t->name = copy;
    t->last_used = ++c->clock;
    sn->name_bytes += len;
    sn->stats.topics_learned++;
    evict_over_bounds(sn, c, 0);
}

/* ---- requests awaiting the topic id (s6.5 REGISTER, s6.9 SUBSCRIBE) ---- */

static void pending_add(struct sn_registry *sn, struct sn_client *c, uint8_t kind,
                        uint16_t msg_id, const mqd_bytes *name)
{
    if (name->len > UINT16_MAX)
        return;
    struct sn_pending *p = &c->pending[c->next_pending++ % SN_PENDING_MAX];
    pending_clear(sn, p);
    p->name = malloc(name->len ? name->len : 1);
    if (!p->name)
        return;
    memcpy(p->name, name->data, name->len);
    p->kind = kind;
    p->msg_id = msg_id;
    p->len = (uint16_t)name->len;
    sn->name_bytes += p->len;
}

/* The answer (REGACK, SUBACK) to a pending request: learns its topic id
 * when accepted, and forgets the request either way. */
static void pending_answer(struct sn_registry *sn, struct sn_client *c,
                           uint8_t kind, const mqd_sn_msg *m)
{
    for (int i = 0; i < SN_PENDING_MAX; i++) {
        struct sn_pending *p = &c->pending[i];
        if (p->kind != kind || p->msg_id != m->msg_id.value)
            continue;
        /* A SUBACK for a name with wildcards carries id 0x0000 (s5.4.16). */
        if (m->return_code.value == MQD_SN_RC_ACCEPTED &&
            m->topic_id.value != 0x0000 && m->topic_id.value != 0xFFFF)
            topic_set(sn, c, (uint16_t)m->topic_id.value, p->name, p->len);
        pending_clear(sn, p);
        return;
    }
}

static bool has_wildcard(const mqd_bytes *b)
{
    return memchr(b->data, '+', b->len) || memchr(b->data, '#', b->len);
}

/* s5.4.4: the client id of a CONNECT (sent by the client). */
static void learn_client_id(struct sn_client *c, const mqd_sn_msg *m)
{
    const uint8_t *id;
    if (!m->client_id.present || m->client_id.len > SN_CLIENT_ID_MAX ||
        !mqd_sn_bytes(m, m->client_id.off, m->client_id.len, &id))
        return;
    char *copy = malloc(m->client_id.len ? m->client_id.len : 1);
    if (!copy)
        return;
    memcpy(copy, id, m->client_id.len);
    free(c->client_id);
    c->client_id = copy;
    c->client_id_len = (uint16_t)m->client_id.len;
}

void sn_registry_learn(struct sn_registry *sn, struct sn_client *c,
                       const mqd_sn_msg *m, int dir)
{
    switch (m->type) { /* either side may register (s6.5) */
    case MQD_SN_CONNECT:
        if (dir == 0)
            learn_client_id(c, m);
        break;
    case MQD_SN_REGISTER:
        if (!m->topic_id.present || !m->msg_id.present || !m->topic_name.present ||
            m->topic_name.len > UINT16_MAX)
            break;
        if (m->topic_id.value != 0x0000) /* the gateway names the id */
            topic_set(sn, c, (uint16_t)m->topic_id.value,
                      (const char *)m->topic_name.data,
                      (uint16_t)m->topic_name.len);
        else /* the client asks: the REGACK will say */
            pending_add(sn, c, PEND_REGISTER, (uint16_t)m->msg_id.value,
                        &m->topic_name);
        break;
    case MQD_SN_REGACK:
        if (m->return_code.present)
            pending_answer(sn, c, PEND_REGISTER, m);
        break;
    case MQD_SN_SUBSCRIBE:
        if (m->flags.topic_id_type == MQD_SN_TOPIC_NORMAL &&
            m->msg_id.present && m->topic_name.present &&
            m->topic_name.len > 0 && !has_wildcard(&m->topic_name))
            pending_add(sn, c, PEND_SUBSCRIBE, (uint16_t)m->msg_id.value,
                        &m->topic_name);
        break;
    case MQD_SN_SUBACK:
        if (m->return_code.present)
            pending_answer(sn, c, PEND_SUBSCRIBE, m);
        break;
    default:
        break;
    }
}

/* ---- resolving the topic of a message ---- */

static void view_bytes(struct sn_topic_view *v, enum sn_topic_kind kind,
                       const mqd_bytes *b)
{
    v->kind = kind;
    v->name = b->data;
    v->len = b->len;
}

static void resolve_id(struct sn_client *c, const mqd_sn_msg *m,
                       struct sn_topic_view *out, bool say_unknown)
{
    if (!m->topic_id.present)
        return;
    if (c && sn_client_topic(c, (uint16_t)m->topic_id.value, &out->name,
                             &out->len))
        out->kind = SN_TOPIC_REGISTERED;
    else if (say_unknown)
        out->kind = SN_TOPIC_UNKNOWN;
}

/* A topic named by the flags' TopicIdType (PUBLISH, (UN)SUBSCRIBE). */
static void resolve_typed(struct sn_client *c, const mqd_sn_msg *m,
                          struct sn_topic_view *out)
{
    switch (m->flags.topic_id_type) {
    case MQD_SN_TOPIC_NORMAL:
        if (m->topic_name.present)
            view_bytes(out, SN_TOPIC_MESSAGE, &m->topic_name);
        else
            resolve_id(c, m, out, true);
        break;
    case MQD_SN_TOPIC_SHORT:
        if (m->short_topic.present)
            view_bytes(out, SN_TOPIC_SHORT, &m->short_topic);
        break;
    case MQD_SN_TOPIC_PREDEFINED:
        if (m->topic_id.present)
            out->kind = SN_TOPIC_PREDEFINED;
        break;
    default:
        break;
    }
}

void sn_registry_resolve(struct sn_registry *sn, struct sn_client *c,
                         const mqd_sn_msg *m, struct sn_topic_view *out)
{
    memset(out, 0, sizeof *out);
    switch (m->type) {
    case MQD_SN_PUBLISH:
    case MQD_SN_SUBSCRIBE:
    case MQD_SN_UNSUBSCRIBE:
        if (m->flags.byte.present)
            resolve_typed(c, m, out);
        break;
    case MQD_SN_REGISTER:
        if (m->topic_name.present)
            view_bytes(out, SN_TOPIC_MESSAGE, &m->topic_name);
        break;
    case MQD_SN_REGACK:
    case MQD_SN_PUBACK:
    case MQD_SN_SUBACK:
        resolve_id(c, m, out, false);
        break;
    default:
        break;
    }
    if (out->kind == SN_TOPIC_UNKNOWN)
        sn->stats.topics_unknown++;
}

/* ---- what the pipeline finds ---- */

struct sn_client *sn_registry_datagram(struct sn_registry *sn,
                                       const struct pkt_endpoint *src,
                                       const struct pkt_endpoint *dst,
                                       int *dir)
{
    if (sn_registry_is_port(sn, dst->port))
        *dir = 0; /* to the gateway */
    else if (sn_registry_is_port(sn, src->port))
        *dir = 1;
    else
        return NULL;
    sn->stats.datagrams++;
    return *dir == 0 ? sn_registry_client(sn, src, dst)
                     : sn_registry_client(sn, dst, src);
}

void sn_registry_count_cut(struct sn_registry *sn)
{
    sn->stats.cut++;
}

void sn_registry_count_undecodable(struct sn_registry *sn)
{
    sn->stats.undecodable++;
}

void sn_registry_count_message(struct sn_registry *sn, const mqd_sn_msg *m)
{
    sn->stats.messages++;
    sn->stats.by_type[m->type]++;
    if (m->nviolations) {
        sn->stats.messages_with_violations++;
        sn->stats.violations += m->nviolations + m->violations_dropped;
    }
}

/* ---- the rest ---- */

const struct sn_registry_stats *sn_registry_stats(const struct sn_registry *sn)
{
    return &sn->stats;
}

void sn_registry_free(struct sn_registry *sn)
{
    if (!sn)
        return;
    while (sn->lru_head)
        client_remove(sn, sn->lru_head);
    free(sn);
}
