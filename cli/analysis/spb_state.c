/* Sparkplug B state (spb_state.h): Edge Nodes, devices and their aliases,
 * kept by topic, and the rules of spb_rules.def checked against them. */
#include "analysis/spb_state.h"

#include <stdlib.h>
#include <string.h>

#include "analysis/spb_state_priv.h"
#include "decode/sparkplug.h"

#define NODE_SLOTS (2u * SPB_MAX_NODES)     /* a power of two */
#define DEVICE_SLOTS (2u * SPB_MAX_DEVICES) /* a power of two */
#define NAMES_OUT_MAX (256u * 1024u)        /* spb_names bytes per message */
#define NAMES_CACHE_SLOTS 256u             /* a power of two */
#define NAMES_CACHE_MAX 1024u              /* names bytes of one slot */

/* The names of a recent data or command payload a client published: the
 * broker's copies of it get them without a second decoding. Direct mapped
 * by the payload's hash; a slot holds its node, the node's alias table
 * generation, the payload's length and hash, and the names. */
struct names_slot {
    bool used;
    uint32_t node, gen, len, names_len;
    uint64_t hash;
    uint8_t names[NAMES_CACHE_MAX];
};

/* One alias of an Edge Node's births (its NBIRTH's or a DBIRTH's). */
struct spb_alias {
    uint64_t alias;
    uint32_t name_off; /* in the node's names */
    uint16_t name_len;
    bool used;
    uint32_t datatype;
    uint32_t owner; /* 0: the node; else the device index + 1 */
    uint32_t gen;   /* the birth message that defined it */
};

struct spb_node {
    uint8_t *key; /* group, '/', edge node id */
    uint32_t key_len;
    uint64_t born_conn;    /* connection of the last NBIRTH; 0: none */
    uint64_t will_conn;    /* connection whose CONNECT will is the NDEATH */
    bool will_bdseq_known;
    uint64_t will_bdseq;
    bool birth_bdseq_known;
    uint64_t birth_bdseq, birth_bdseq_conn;
    bool dead;             /* NDEATH since the last NBIRTH */
    bool seq_known;
    uint8_t last_seq;
    uint32_t births;       /* NBIRTHs seen */
    uint32_t gen;          /* birth messages seen (NBIRTH and DBIRTH) */
    /* Aliases: open addressing, alias_cap a power of two (0: none yet). */
    struct spb_alias *aliases;
    uint32_t alias_cap, alias_n;
    uint8_t *names;
    uint32_t names_len, names_cap;
};

struct spb_device {
    uint8_t *key; /* the device id */
    uint32_t key_len;
    uint32_t node;     /* index */
    uint32_t born_in;  /* the node's births count at its DBIRTH; 0: never */
    bool dead;         /* DDEATH since its DBIRTH */
};

struct spb_state {
    struct spb_decoder *dec;
    struct spb_counts counts;
    uint32_t *node_slots, *device_slots; /* index + 1; 0: empty */
    struct spb_node *nodes;
    struct spb_device *devices;
    uint32_t nnodes, node_cap, ndevices, device_cap;
    uint64_t aliases_total, name_bytes_total;
    uint8_t *names_out; /* the message's msg_spb_names */
    uint32_t names_out_len, names_out_cap;
    struct names_slot *cache; /* NAMES_CACHE_SLOTS, made at first use */
    struct json_embed json;   /* STATE payloads' check (~200 KiB, touched when used) */
};

struct spb_state *spb_state_new(void)
{
    struct spb_state *s = calloc(1, sizeof *s);
    return s;
}

void spb_state_free(struct spb_state *s)
{
    if (!s)
        return;
    for (uint32_t i = 0; i < s->nnodes; i++) {
        free(s->nodes[i].key);
        free(s->nodes[i].aliases);
        free(s->nodes[i].names);
    }
    for (uint32_t i = 0; i < s->ndevices; i++)
        free(s->devices[i].key);
    free(s->nodes);
    free(s->devices);
    free(s->node_slots);
    free(s->device_slots);
    free(s->names_out);
    free(s->cache);
    spb_decoder_free(s->dec);
    free(s);
}

const struct spb_counts *spb_state_counts(const struct spb_state *s)
{
    return &s->counts;
}

/* ---- tables ---- */

static uint64_t fnv1a(uint64_t h, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

#define FNV_BASIS 0xcbf29ce484222325ull

static bool grow(void **arr, uint32_t *cap, uint32_t need, size_t elem, uint32_t max)
{
    if (need <= *cap)
        return true;
    uint32_t n = *cap ? *cap * 2 : 16;
    if (n > max)
        n = max;
    if (n < need)
        return false;
    void *p = realloc(*arr, (size_t)n * elem);
    if (!p)
        return false;
    *arr = p;
    *cap = n;
    return true;
}

/* The node of group/edge: its index, or -1 when it cannot be kept. */
static int64_t node_find(struct spb_state *s, const struct spb_topic *t)
{
    size_t klen = t->group_len + 1 + t->edge_len;
    if (klen > SPB_KEY_MAX) {
        s->counts.overflow++;
        return -1;
    }
    uint8_t key[SPB_KEY_MAX];
    memcpy(key, t->group, t->group_len);
    key[t->group_len] = '/';
    memcpy(key + t->group_len + 1, t->edge, t->edge_len);
    if (!s->node_slots && !(s->node_slots = calloc(NODE_SLOTS, sizeof *s->node_slots))) {
        s->counts.overflow++;
        return -1;
    }
    uint32_t i = (uint32_t)fnv1a(FNV_BASIS, key, klen) & (NODE_SLOTS - 1);
    for (;; i = (i + 1) & (NODE_SLOTS - 1)) {
        uint32_t v = s->node_slots[i];
        if (!v)
            break;
        struct spb_node *n = &s->nodes[v - 1];
        if (n->key_len == klen && memcmp(n->key, key, klen) == 0)
            return v - 1;
    }
    if (s->nnodes >= SPB_MAX_NODES ||
        !grow((void **)&s->nodes, &s->node_cap, s->nnodes + 1, sizeof *s->nodes, SPB_MAX_NODES)) {
        s->counts.overflow++;
        return -1;
    }
    struct spb_node *n = &s->nodes[s->nnodes];
    memset(n, 0, sizeof *n);
    if (!(n->key = malloc(klen ? klen : 1))) {
        s->counts.overflow++;
        return -1;
    }
    memcpy(n->key, key, klen);
    n->key_len = (uint32_t)klen;
    s->node_slots[i] = ++s->nnodes;
    s->counts.edge_nodes++;
    return s->nnodes - 1;
}

static int64_t device_find(struct spb_state *s, uint32_t node, const struct spb_topic *t)
{
    if (t->device_len > SPB_KEY_MAX) {
        s->counts.overflow++;
        return -1;
    }
    if (!s->device_slots &&
        !(s->device_slots = calloc(DEVICE_SLOTS, sizeof *s->device_slots))) {
        s->counts.overflow++;
        return -1;
    }
    uint8_t nb[4] = {(uint8_t)(node >> 24), (uint8_t)(node >> 16), (uint8_t)(node >> 8), (uint8_t)node};
    uint32_t i = (uint32_t)fnv1a(fnv1a(FNV_BASIS, nb, 4), t->device, t->device_len) &
                 (DEVICE_SLOTS - 1);
    for (;; i = (i + 1) & (DEVICE_SLOTS - 1)) {
        uint32_t v = s->device_slots[i];
        if (!v)
            break;
        struct spb_device *d = &s->devices[v - 1];
        if (d->node == node && d->key_len == t->device_len &&
            memcmp(d->key, t->device, t->device_len) == 0)
            return v - 1;
    }
    if (s->ndevices >= SPB_MAX_DEVICES ||
        !grow((void **)&s->devices, &s->device_cap, s->ndevices + 1, sizeof *s->devices,
              SPB_MAX_DEVICES)) {
        s->counts.overflow++;
        return -1;
    }
    struct spb_device *d = &s->devices[s->ndevices];
    memset(d, 0, sizeof *d);
    if (!(d->key = malloc(t->device_len ? t->device_len : 1))) {
        s->counts.overflow++;
        return -1;
    }
    memcpy(d->key, t->device, t->device_len);
    d->key_len = (uint32_t)t->device_len;
    d->node = node;
    s->device_slots[i] = ++s->ndevices;
    s->counts.devices++;
    return s->ndevices - 1;
}

/* ---- aliases ---- */

static void aliases_clear(struct spb_state *s, struct spb_node *n)
{
    s->aliases_total -= n->alias_n;
    s->name_bytes_total -= n->names_len;
    if (n->aliases)
        memset(n->aliases, 0, (size_t)n->alias_cap * sizeof *n->aliases);
    n->alias_n = 0;
    n->names_len = 0;
}

static struct spb_alias *alias_slot(const struct spb_node *n, uint64_t alias)
{
    if (!n->alias_cap)
        return NULL;
    uint8_t b[8];
    for (int k = 0; k < 8; k++)
        b[k] = (uint8_t)(alias >> (8 * k));
    uint32_t mask = n->alias_cap - 1;
    for (uint32_t i = (uint32_t)fnv1a(FNV_BASIS, b, 8) & mask;; i = (i + 1) & mask) {
        struct spb_alias *a = &n->aliases[i];
        if (!a->used || a->alias == alias)
            return a;
    }
}

static const struct spb_alias *alias_get(const struct spb_node *n, uint64_t alias)
{
    const struct spb_alias *a = alias_slot(n, alias);
    return a && a->used ? a : NULL;
}

/* Room for one more alias (the table at most half full). */
static bool alias_room(struct spb_state *s, struct spb_node *n)
{
    if (s->aliases_total >= SPB_MAX_ALIASES)
        return false;
    if ((n->alias_n + 1) * 2 <= n->alias_cap)
        return true;
    uint32_t cap = n->alias_cap ? n->alias_cap * 2 : 64;
    struct spb_alias *old = n->aliases;
    uint32_t old_cap = n->alias_cap;
    struct spb_alias *na = calloc(cap, sizeof *na);
    if (!na)
        return false;
    n->aliases = na;
    n->alias_cap = cap;
    for (uint32_t i = 0; i < old_cap; i++)
        if (old[i].used)
            *alias_slot(n, old[i].alias) = old[i];
    free(old);
    return true;
}

/* Defines an alias in a birth; false when another metric (of another
 * owner, or of this same birth) holds it already. */
static bool alias_define(struct spb_state *s, struct spb_node *n, uint32_t owner,
                         const struct spb_metric *m)
{
    struct spb_alias *a = alias_slot(n, m->alias);
    if (a && a->used) {
        if (a->owner != owner || a->gen == n->gen)
            return false;
    } else {
        if (!alias_room(s, n)) {
            s->counts.overflow++;
            return true;
        }
        a = alias_slot(n, m->alias);
        a->used = true;
        a->alias = m->alias;
        n->alias_n++;
        s->aliases_total++;
    }
    a->owner = owner;
    a->gen = n->gen;
    a->datatype = m->has_datatype ? m->datatype : 0;
    a->name_len = 0;
    size_t len = m->name ? strlen(m->name) : 0;
    if (len == 0 || len > SPB_NAME_MAX || s->name_bytes_total + len > SPB_NAME_BYTES) {
        if (len)
            s->counts.overflow++;
        return true;
    }
    if (n->names_cap - n->names_len < len) {
        uint32_t cap = n->names_cap ? n->names_cap : 1024;
        while (cap - n->names_len < len)
            cap *= 2;
        uint8_t *p = realloc(n->names, cap);
        if (!p) {
            s->counts.overflow++;
            return true;
        }
        n->names = p;
        n->names_cap = cap;
    }
    memcpy(n->names + n->names_len, m->name, len);
    a->name_off = n->names_len;
    a->name_len = (uint16_t)len;
    n->names_len += (uint32_t)len;
    s->name_bytes_total += len;
    return true;
}

/* Appends (metric index, datatype, name) to the message's spb_names. */
static void names_out_add(struct spb_state *s, size_t metric, const struct spb_node *n,
                          const struct spb_alias *a)
{
    uint32_t need = 10u + a->name_len;
    if (s->names_out_cap - s->names_out_len < need) {
        uint32_t cap = s->names_out_cap ? s->names_out_cap : 1024;
        while (cap - s->names_out_len < need)
            cap *= 2;
        if (cap > NAMES_OUT_MAX)
            return;
        uint8_t *p = realloc(s->names_out, cap);
        if (!p)
            return;
        s->names_out = p;
        s->names_out_cap = cap;
    }
    uint8_t *w = s->names_out + s->names_out_len;
    uint32_t mi = (uint32_t)metric, dt = a->datatype;
    w[0] = (uint8_t)(mi >> 24); w[1] = (uint8_t)(mi >> 16); w[2] = (uint8_t)(mi >> 8); w[3] = (uint8_t)mi;
    w[4] = (uint8_t)(dt >> 24); w[5] = (uint8_t)(dt >> 16); w[6] = (uint8_t)(dt >> 8); w[7] = (uint8_t)dt;
    w[8] = (uint8_t)(a->name_len >> 8); w[9] = (uint8_t)a->name_len;
    if (a->name_len)
        memcpy(w + 10, n->names + a->name_off, a->name_len);
    s->names_out_len += need;
}

/* ---- rules ---- */

static void hit(struct spb_state *s, struct msg_analysis *an, enum spb_rule r,
                uint32_t off, uint32_t value)
{
    s->counts.violations++;
    s->counts.by_rule[r]++;
    (void)msg_add_hit(an, spb_rule_get(r), off, value);
}

/* The value of the metric called `name` as an unsigned number. */
static bool metric_uint(const struct spb_payload *p, const char *name, uint64_t *v)
{
    for (size_t i = 0; i < p->metrics.n; i++) {
        struct spb_metric m;
        spb_metric_get(&p->metrics, i, &m);
        if (!m.name || strcmp(m.name, name) != 0)
            continue;
        if (m.value.kind == SPB_V_UINT)
            *v = m.value.v.u;
        else if (m.value.kind == SPB_V_INT)
            *v = (uint64_t)m.value.v.i;
        else
            return false;
        return true;
    }
    return false;
}

static bool has_rebirth_metric(const struct spb_payload *p)
{
    for (size_t i = 0; i < p->metrics.n; i++) {
        struct spb_metric m;
        spb_metric_get(&p->metrics, i, &m);
        if (m.name && strcmp(m.name, "Node Control/Rebirth") == 0 && m.has_datatype &&
            m.datatype == SPB_DT_BOOLEAN && m.value.kind == SPB_V_BOOL && !m.value.v.b)
            return true;
    }
    return false;
}

static const enum spb_rule qos_rule[] = {
    [SPB_NBIRTH] = SPB_R_NBIRTH_QOS_RETAIN, [SPB_NDATA] = SPB_R_NDATA_QOS_RETAIN,
    [SPB_NCMD] = SPB_R_NCMD_QOS_RETAIN,     [SPB_DBIRTH] = SPB_R_DBIRTH_QOS_RETAIN,
    [SPB_DDATA] = SPB_R_DDATA_QOS_RETAIN,   [SPB_DDEATH] = SPB_R_DDEATH_QOS_RETAIN,
    [SPB_DCMD] = SPB_R_DCMD_QOS_RETAIN,
};

/* Births: names required, aliases unique across the node. */
static void birth_metrics(struct spb_state *s, struct spb_node *n, uint32_t owner,
                          const struct spb_payload *p, const mqd_frame *f,
                          struct msg_analysis *an)
{
    bool unnamed = false;
    for (size_t i = 0; i < p->metrics.n; i++) {
        struct spb_metric m;
        spb_metric_get(&p->metrics, i, &m);
        if (!m.name && !unnamed) {
            unnamed = true;
            hit(s, an, SPB_R_BIRTH_METRIC_NO_NAME, f->payload.off, (uint32_t)i);
        }
        if (n && m.has_alias && !alias_define(s, n, owner, &m))
            hit(s, an, SPB_R_ALIAS_NOT_UNIQUE, f->payload.off, (uint32_t)m.alias);
    }
}

/* Data and commands: alias alone; its name from the births. */
static void data_metrics(struct spb_state *s, const struct spb_node *n, bool check,
                         const struct spb_payload *p, const mqd_frame *f,
                         struct msg_analysis *an)
{
    for (size_t i = 0; i < p->metrics.n; i++) {
        struct spb_metric m;
        spb_metric_get(&p->metrics, i, &m);
        if (!m.has_alias)
            continue;
        if (m.name) {
            if (check)
                hit(s, an, SPB_R_DATA_METRIC_NAME_AND_ALIAS, f->payload.off, (uint32_t)m.alias);
            continue;
        }
        const struct spb_alias *a = n ? alias_get(n, m.alias) : NULL;
        if (a)
            names_out_add(s, i, n, a);
        else if (check && n && n->births)
            hit(s, an, SPB_R_ALIAS_UNKNOWN, f->payload.off, (uint32_t)m.alias);
    }
}

/* ---- STATE (3.0) ---- */

static void on_state(struct spb_state *s, const mqd_frame *f, struct msg_analysis *an)
{
    s->counts.states++;
    int online;
    bool ts;
    bool ok = spb_state_payload(&s->json, f->payload.data, f->payload.len, &online, &ts);
    uint32_t off = f->payload.off;
    if (!ok || online < 0 || (online == 1 && !ts)) {
        hit(s, an, SPB_R_STATE_PAYLOAD, off, 0);
    } else if (online == 0 && !ts) {
        hit(s, an, SPB_R_STATE_DEATH_PAYLOAD, off, 0);
    }
    if (online == 1) {
        if (f->qos != 1)
            hit(s, an, SPB_R_STATE_BIRTH_QOS, 0, f->qos);
        if (!f->retain)
            hit(s, an, SPB_R_STATE_BIRTH_RETAIN, 0, 0);
    } else if (online == 0) {
        if (f->qos != 1)
            hit(s, an, SPB_R_STATE_DEATH_QOS, 0, f->qos);
        if (!f->retain)
            hit(s, an, SPB_R_STATE_DEATH_RETAIN, 0, 0);
    }
}

/* ---- messages ---- */

/* seq of a node message after its NBIRTH (NDATA, DBIRTH, DDATA, DDEATH). */
static void check_seq(struct spb_state *s, struct spb_node *n, bool in_session,
                      const struct spb_payload *p, const mqd_frame *f,
                      struct msg_analysis *an)
{
    if (!p->has_seq) {
        hit(s, an, SPB_R_SEQ_MISSING, f->payload.off, 0);
        return;
    }
    if (!n)
        return;
    uint8_t want = (uint8_t)(n->last_seq + 1);
    if (in_session && n->seq_known && p->seq != want) {
        s->counts.seq_gaps++;
        hit(s, an, SPB_R_SEQ_NOT_INCREMENTING, f->payload.off, (uint32_t)p->seq);
    }
    n->seq_known = p->seq <= 255;
    n->last_seq = (uint8_t)p->seq;
}

static void on_nbirth(struct spb_state *s, struct spb_node *n, uint64_t conn,
                      const struct spb_payload *p, const mqd_frame *f,
                      struct msg_analysis *an)
{
    s->counts.nbirths++;
    if (!p->has_seq || p->seq != 0)
        hit(s, an, SPB_R_NBIRTH_SEQ_NOT_ZERO, f->payload.off, p->has_seq ? (uint32_t)p->seq : 0);
    uint64_t bd = 0;
    bool has_bd = metric_uint(p, "bdSeq", &bd);
    if (!has_bd)
        hit(s, an, SPB_R_NBIRTH_BDSEQ_MISSING, f->payload.off, 0);
    if (!has_rebirth_metric(p))
        hit(s, an, SPB_R_NBIRTH_NO_REBIRTH_METRIC, f->payload.off, 0);
    if (n) {
        if (has_bd && n->will_bdseq_known && n->will_conn == conn && bd != n->will_bdseq)
            hit(s, an, SPB_R_NBIRTH_BDSEQ_NOT_WILL, f->payload.off, (uint32_t)bd);
        if (has_bd && n->birth_bdseq_known && n->birth_bdseq_conn != conn &&
            bd != (n->birth_bdseq + 1) % 256)
            hit(s, an, SPB_R_BDSEQ_NOT_INCREMENTING, f->payload.off, (uint32_t)bd);
        if (has_bd) {
            n->birth_bdseq_known = true;
            n->birth_bdseq = bd;
            n->birth_bdseq_conn = conn;
        }
        if (n->births)
            s->counts.rebirths++;
        n->births++;
        n->born_conn = conn;
        n->dead = false;
        n->seq_known = p->has_seq && p->seq <= 255;
        n->last_seq = (uint8_t)p->seq;
        aliases_clear(s, n);
        n->gen++;
    }
    birth_metrics(s, n, 0, p, f, an);
}

static void on_node_message(struct spb_state *s, struct spb_node *n, int64_t ni,
                            const struct spb_topic *t, uint64_t conn, bool connect_seen,
                            const struct spb_payload *p, const mqd_frame *f,
                            struct msg_analysis *an)
{
    bool born = n && n->born_conn == conn && n->births;
    check_seq(s, n, born, p, f, an);
    if (!n)
        return;
    struct spb_device *d = NULL;
    if (t->type != SPB_NDATA) {
        int64_t di = device_find(s, (uint32_t)ni, t);
        d = di >= 0 ? &s->devices[di] : NULL;
    }
    /* Order: births before data, nothing after death. */
    if (n->dead && n->born_conn == conn) {
        hit(s, an, SPB_R_DATA_AFTER_DEATH, 0, 0);
    } else if (!born) {
        if (connect_seen && t->type == SPB_DBIRTH)
            hit(s, an, SPB_R_DBIRTH_BEFORE_NBIRTH, 0, 0);
        else if (connect_seen && t->type == SPB_NDATA)
            hit(s, an, SPB_R_NDATA_BEFORE_NBIRTH, 0, 0);
        else if (connect_seen && t->type == SPB_DDATA)
            hit(s, an, SPB_R_DDATA_BEFORE_DBIRTH, 0, 0);
    } else if (d && t->type == SPB_DDATA) {
        if (d->born_in == n->births && d->dead)
            hit(s, an, SPB_R_DATA_AFTER_DEATH, 0, 0);
        else if (d->born_in != n->births)
            hit(s, an, SPB_R_DDATA_BEFORE_DBIRTH, 0, 0);
    }
    switch (t->type) {
    case SPB_DBIRTH:
        s->counts.dbirths++;
        if (born && d) {
            d->born_in = n->births;
            d->dead = false;
        }
        n->gen++;
        birth_metrics(s, n, d ? (uint32_t)(d - s->devices) + 1 : UINT32_MAX, p, f, an);
        break;
    case SPB_DDEATH:
        s->counts.ddeaths++;
        if (d)
            d->dead = true;
        break;
    default: /* NDATA, DDATA */
        data_metrics(s, n, true, p, f, an);
        break;
    }
}

static bool decode(struct spb_state *s, const uint8_t *data, size_t len,
                   struct spb_payload *p, enum spb_status *st)
{
    if (!s->dec && !(s->dec = spb_decoder_new())) {
        *st = SPB_ERR_NOMEM;
        return false;
    }
    *st = spb_decode(s->dec, data, len, p);
    return *st == SPB_OK;
}

static void names_publish(struct spb_state *s, struct msg_analysis *an);

static void names_to_cache(struct spb_state *s, uint32_t node, uint32_t gen,
                           uint64_t h, uint32_t len)
{
    if (s->names_out_len > NAMES_CACHE_MAX)
        return;
    if (!s->cache && !(s->cache = calloc(NAMES_CACHE_SLOTS, sizeof *s->cache)))
        return;
    struct names_slot *c = &s->cache[h & (NAMES_CACHE_SLOTS - 1)];
    c->used = true;
    c->node = node;
    c->gen = gen;
    c->len = len;
    c->hash = h;
    c->names_len = s->names_out_len;
    if (s->names_out_len)
        memcpy(c->names, s->names_out, s->names_out_len);
}

/* True when the cache had the names of this payload of node n. */
static bool names_from_cache(struct spb_state *s, uint32_t node, const struct spb_node *n,
                             uint64_t h, uint32_t len, struct msg_analysis *an)
{
    const struct names_slot *c = s->cache ? &s->cache[h & (NAMES_CACHE_SLOTS - 1)] : NULL;
    if (!c || !c->used || c->hash != h || c->len != len || c->node != node || c->gen != n->gen)
        return false;
    if (s->names_out_cap < c->names_len) {
        uint8_t *p = realloc(s->names_out, NAMES_CACHE_MAX);
        if (!p)
            return false;
        s->names_out = p;
        s->names_out_cap = NAMES_CACHE_MAX;
    }
    if (c->names_len)
        memcpy(s->names_out, c->names, c->names_len);
    s->names_out_len = c->names_len;
    names_publish(s, an);
    return true;
}

void spb_state_on_publish(struct spb_state *s, uint64_t conn, int dir,
                          bool connect_seen, const mqd_frame *f,
                          const uint8_t *topic, size_t topic_len,
                          struct msg_analysis *an)
{
    if (!topic || !spb_topic_is_sparkplug(topic, topic_len))
        return;
    struct spb_topic t;
    const char *why;
    if (spb_topic_parse(topic, topic_len, &t, &why) != SPB_TOPIC_OK)
        return;
    s->names_out_len = 0;
    bool client = dir == 0;
    if (t.type == SPB_STATE) {
        if (client) {
            s->counts.messages++;
            on_state(s, f, an);
        }
        return;
    }
    /* The broker's copies: only the names, for data and commands. */
    bool data = t.type == SPB_NDATA || t.type == SPB_DDATA || t.type == SPB_NCMD ||
                t.type == SPB_DCMD;
    if (!client && !data)
        return;
    uint64_t h = data ? fnv1a(FNV_BASIS, f->payload.data, f->payload.len) : 0;
    if (!client) {
        /* Usually the copy of what a client just published. */
        int64_t ci = node_find(s, &t);
        if (ci >= 0 && names_from_cache(s, (uint32_t)ci, &s->nodes[ci], h,
                                        (uint32_t)f->payload.len, an))
            return;
    }
    struct spb_payload p;
    enum spb_status st;
    bool ok = decode(s, f->payload.data, f->payload.len, &p, &st);
    if (client) {
        s->counts.messages++;
        if (t.type != SPB_NDEATH && (f->qos != 0 || f->retain))
            hit(s, an, qos_rule[t.type], 0, f->qos);
        if (!ok) {
            if (st == SPB_ERR_PROTOBUF)
                hit(s, an, SPB_R_PAYLOAD_NOT_PROTOBUF, f->payload.off, 0);
            return;
        }
        s->counts.metrics += p.metrics.n;
    } else if (!ok) {
        return;
    }
    int64_t ni = node_find(s, &t);
    struct spb_node *n = ni >= 0 ? &s->nodes[ni] : NULL;
    if (!client) {
        if (n)
            data_metrics(s, n, false, &p, f, an);
    } else {
        switch (t.type) {
        case SPB_NBIRTH:
            on_nbirth(s, n, conn, &p, f, an);
            break;
        case SPB_NDEATH: {
            s->counts.ndeaths++;
            uint64_t bd;
            if (!metric_uint(&p, "bdSeq", &bd))
                hit(s, an, SPB_R_NDEATH_BDSEQ_MISSING, f->payload.off, 0);
            if (p.has_seq)
                hit(s, an, SPB_R_NDEATH_SEQ, f->payload.off, (uint32_t)p.seq);
            if (n)
                n->dead = true;
            break;
        }
        case SPB_NCMD:
        case SPB_DCMD:
            if (p.has_seq)
                hit(s, an, t.type == SPB_NCMD ? SPB_R_NCMD_SEQ : SPB_R_DCMD_SEQ,
                    f->payload.off, (uint32_t)p.seq);
            data_metrics(s, n, true, &p, f, an);
            break;
        default:
            on_node_message(s, n, ni, &t, conn, connect_seen, &p, f, an);
            break;
        }
    }
    if (data && client && n)
        names_to_cache(s, (uint32_t)ni, n->gen, h, (uint32_t)f->payload.len);
    names_publish(s, an);
}

/* The message's names (s->names_out) into its analysis. */
static void names_publish(struct spb_state *s, struct msg_analysis *an)
{
    if (s->names_out_len) {
        uint32_t count = 0, pos = 0, mi, dt;
        const uint8_t *nm;
        uint16_t nl;
        struct msg_spb_names v = {0, s->names_out_len, s->names_out};
        while (msg_spb_name_next(&v, &pos, &mi, &dt, &nm, &nl))
            count++;
        v.count = count;
        an->spb_names = v;
    }
}

void spb_state_on_connect(struct spb_state *s, uint64_t conn, const mqd_frame *f,
                          struct msg_analysis *an)
{
    const mqd_connect *c = &f->connect;
    if (!c->will_flag || !c->will_topic.present ||
        !spb_topic_is_sparkplug(c->will_topic.data, c->will_topic.len))
        return;
    struct spb_topic t;
    const char *why;
    if (spb_topic_parse(c->will_topic.data, c->will_topic.len, &t, &why) != SPB_TOPIC_OK)
        return;
    if (t.type == SPB_STATE) {
        /* A host application's death certificate. */
        int online;
        bool ts;
        if (c->will_qos != 1)
            hit(s, an, SPB_R_STATE_WILL_QOS, c->flags.off, c->will_qos);
        if (!c->will_retain)
            hit(s, an, SPB_R_STATE_WILL_RETAIN, c->flags.off, 0);
        if (!spb_state_payload(&s->json, c->will_payload.data, c->will_payload.len, &online, &ts) ||
            online != 0 || !ts)
            hit(s, an, SPB_R_STATE_WILL_PAYLOAD, c->will_payload.off, 0);
        return;
    }
    if (t.type != SPB_NDEATH)
        return;
    if (c->will_qos != 1)
        hit(s, an, SPB_R_NDEATH_WILL_QOS, c->flags.off, c->will_qos);
    if (c->will_retain)
        hit(s, an, SPB_R_NDEATH_WILL_RETAIN, c->flags.off, 1);
    int64_t ni = node_find(s, &t);
    struct spb_node *n = ni >= 0 ? &s->nodes[ni] : NULL;
    struct spb_payload p;
    enum spb_status st;
    uint32_t off = c->will_payload.off;
    if (!decode(s, c->will_payload.data, c->will_payload.len, &p, &st)) {
        if (st == SPB_ERR_PROTOBUF)
            hit(s, an, SPB_R_PAYLOAD_NOT_PROTOBUF, off, 0);
        return;
    }
    uint64_t bd = 0;
    bool has = metric_uint(&p, "bdSeq", &bd);
    if (!has)
        hit(s, an, SPB_R_NDEATH_BDSEQ_MISSING, off, 0);
    if (p.has_seq)
        hit(s, an, SPB_R_NDEATH_SEQ, off, (uint32_t)p.seq);
    if (n) {
        n->will_conn = conn;
        n->will_bdseq_known = has;
        n->will_bdseq = bd;
    }
}
