/* The --stats summary. See stats.h. */
#include "analysis/stats.h"

#include <stdlib.h>
#include <string.h>

#include "util/json_writer.h"
#include "mqttdissect/names.h"
#include "mqttdissect/rules.h"
#include "analysis/stats_priv.h"

/* ---- latency histogram: log-linear buckets ---- */

#define HIST_LIMIT ((int64_t)1 << (HIST_MAX_EXP + HIST_SUB_BITS))

static unsigned msb64(uint64_t v)
{
    unsigned n = 0;
    while (v >>= 1)
        n++;
    return n;
}

/* Values below HIST_SUB have a bucket each; above, each power of two is
 * split into HIST_SUB equal buckets. */
static size_t hist_index(int64_t us)
{
    if (us < 0)
        us = 0;
    if (us >= HIST_LIMIT)
        us = HIST_LIMIT - 1;
    uint64_t v = (uint64_t)us;
    if (v < HIST_SUB)
        return (size_t)v;
    unsigned shift = msb64(v) - HIST_SUB_BITS;
    return (size_t)HIST_SUB * (shift + 1) + (size_t)((v >> shift) - HIST_SUB);
}

static int64_t hist_bucket_mid(size_t idx)
{
    if (idx < HIST_SUB)
        return (int64_t)idx;
    size_t group = idx / HIST_SUB; /* >= 1 */
    uint64_t shift = group - 1;
    uint64_t low = (uint64_t)(HIST_SUB + idx % HIST_SUB) << shift;
    uint64_t width = (uint64_t)1 << shift;
    return (int64_t)(low + (width - 1) / 2);
}

void hist_add(struct latency_hist *h, int64_t us)
{
    if (us < 0)
        us = 0; /* capture timestamps can go backwards */
    if (h->count == 0 || us < h->min)
        h->min = us;
    if (h->count == 0 || us > h->max)
        h->max = us;
    h->count++;
    h->sum += (uint64_t)us;
    h->buckets[hist_index(us)]++;
}

int64_t hist_percentile(const struct latency_hist *h, double p)
{
    if (h->count == 0)
        return 0;
    uint64_t rank = (uint64_t)(p / 100.0 * (double)h->count);
    if ((double)rank < p / 100.0 * (double)h->count)
        rank++;
    if (rank < 1)
        rank = 1;
    if (rank >= h->count)
        return h->max; /* the largest sample is known exactly */
    uint64_t seen = 0;
    for (size_t i = 0; i < HIST_BUCKETS; i++) {
        seen += h->buckets[i];
        if (seen >= rank) {
            int64_t v = hist_bucket_mid(i);
            return v < h->min ? h->min : v > h->max ? h->max : v;
        }
    }
    return h->max;
}

/* ---- a bounded table of names (topics, client ids) with counters ---- */

static uint32_t fnv1a(const uint8_t *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ s[i]) * 16777619u;
    return h;
}

static bool names_rehash(struct name_table *t, uint32_t cap)
{
    uint32_t *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return false;
    for (uint32_t i = 0; i < t->n; i++) {
        uint32_t j = t->e[i].hash & (cap - 1);
        while (slots[j])
            j = (j + 1) & (cap - 1);
        slots[j] = i + 1;
    }
    free(t->slots);
    t->slots = slots;
    t->cap = cap;
    return true;
}

static bool names_reserve(struct name_table *t, size_t len)
{
    if ((t->n + 1) * 2 > t->cap && !names_rehash(t, t->cap ? t->cap * 2 : 64))
        return false;
    if (t->n == t->e_cap) {
        uint32_t cap = t->e_cap ? t->e_cap * 2 : 32;
        struct name_entry *e = realloc(t->e, cap * sizeof *e);
        if (!e)
            return false;
        t->e = e;
        t->e_cap = cap;
    }
    if (t->arena_len + len > t->arena_cap) {
        size_t cap = t->arena_cap ? t->arena_cap : 4096;
        while (cap < t->arena_len + len)
            cap *= 2;
        char *a = realloc(t->arena, cap);
        if (!a)
            return false;
        t->arena = a;
        t->arena_cap = cap;
    }
    return true;
}

/* The entry for a name, added when new: its index, or -1 past the bounds
 * (count into t->other). */
static int names_get(struct name_table *t, const uint8_t *s, size_t len)
{
    uint32_t h = fnv1a(s, len);
    if (t->cap) {
        for (uint32_t j = h & (t->cap - 1); t->slots[j]; j = (j + 1) & (t->cap - 1)) {
            struct name_entry *e = &t->e[t->slots[j] - 1];
            if (e->hash == h && e->len == len && memcmp(t->arena + e->off, s, len) == 0)
                return (int)(t->slots[j] - 1);
        }
    }
    if (t->n >= t->max || t->arena_len + len > t->arena_max || !names_reserve(t, len)) {
        t->other_names++;
        return -1;
    }
    struct name_entry *e = &t->e[t->n];
    memset(e, 0, sizeof *e);
    e->off = t->arena_len;
    e->len = (uint32_t)len;
    e->hash = h;
    if (len)
        memcpy(t->arena + t->arena_len, s, len);
    t->arena_len += len;
    uint32_t j = h & (t->cap - 1);
    while (t->slots[j])
        j = (j + 1) & (t->cap - 1);
    t->slots[j] = t->n + 1;
    return (int)t->n++;
}

static uint64_t *names_counters(struct name_table *t, int idx)
{
    return idx >= 0 && (uint32_t)idx < t->n ? t->e[idx].c : t->other;
}

static void names_free(struct name_table *t)
{
    free(t->slots);
    free(t->e);
    free(t->arena);
}

/* ---- the statistics ---- */

#define UNKNOWN_CLIENT "(no CONNECT seen)"

struct stats *stats_new(void)
{
    struct stats *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    st->topics.max = STATS_MAX_TOPICS;
    st->topics.arena_max = STATS_TOPIC_BYTES;
    st->clients.max = STATS_MAX_CLIENTS;
    st->clients.arena_max = (size_t)STATS_MAX_CLIENTS * 64;
    return st;
}

void stats_free(struct stats *st)
{
    if (!st)
        return;
    names_free(&st->topics);
    names_free(&st->clients);
    free(st->conns);
    free(st);
}

void stats_set_sparkplug(struct stats *st, const struct spb_state *spb)
{
    st->spb = spb;
}

uint64_t stats_messages(const struct stats *st)
{
    return st->messages;
}

/* 5.0: the server assigned an id to a client that gave an empty one: what
 * was counted under the empty id moves to the assigned one. */
static void move_to_assigned(struct stats *st, struct stats_client_ref *ref,
                             const struct session_info *info)
{
    int idx = names_get(&st->clients, (const uint8_t *)info->client_id.s, info->client_id.len);
    ref->assigned = true;
    uint64_t *o = names_counters(&st->clients, ref->idx); /* after names_get:
                                                              it may move */
    uint64_t *n = names_counters(&st->clients, idx);
    o[C_CONNS]--;
    o[C_SENT] -= ref->held_sent;
    o[C_PUB_SENT] -= ref->held_pub_sent;
    o[C_BYTES] -= ref->held_bytes;
    n[C_CONNS]++;
    n[C_SENT] += ref->held_sent;
    n[C_PUB_SENT] += ref->held_pub_sent;
    n[C_BYTES] += ref->held_bytes;
    ref->idx = idx < 0 ? -2 : idx;
}

static int client_index(struct stats *st, struct stats_client_ref *ref,
                        const struct session_info *info)
{
    bool named = info && info->connect_seen && info->client_id.present;
    if (named && ref->named && ref->idx >= 0 && info->client_id_assigned && !ref->assigned)
        move_to_assigned(st, ref, info);
    if (ref->idx >= 0 || (ref->idx == -2 && ref->named == named)) {
        if (ref->named == named)
            return ref->idx;
    }
    int idx;
    if (named)
        idx = names_get(&st->clients, (const uint8_t *)info->client_id.s, info->client_id.len);
    else
        idx = names_get(&st->clients, (const uint8_t *)UNKNOWN_CLIENT, strlen(UNKNOWN_CLIENT));
    ref->idx = idx < 0 ? -2 : idx;
    ref->named = named;
    names_counters(&st->clients, idx)[C_CONNS]++;
    return idx;
}

static void count_violations(struct stats *st, const mqd_frame *f)
{
    uint16_t n = f->nviolations < MQD_MAX_VIOLATIONS ? f->nviolations : MQD_MAX_VIOLATIONS;
    for (uint16_t i = 0; i < n; i++)
        if (f->violations[i].rule < MQD_RULE_COUNT)
            st->by_rule[f->violations[i].rule]++;
    st->violations += n + f->violations_dropped;
    st->violations_dropped += f->violations_dropped;
}

static void count_topic(struct stats *st, const mqd_frame *f, const struct msg_analysis *an)
{
    if (!an->has_effective_topic)
        return;
    int idx = names_get(&st->topics, an->effective_topic, an->effective_topic_len);
    uint64_t *c = names_counters(&st->topics, idx);
    c[C_MSGS]++;
    c[C_BYTES] += f->payload.present ? f->payload.len : 0;
}

void stats_message(struct stats *st, struct stats_client_ref *ref,
                   const struct session_info *info, int dir, const mqd_frame *f,
                   const struct msg_analysis *an, const struct session_step *step)
{
    st->messages++;
    st->by_type[f->type & 0x0F]++;
    if (f->type == MQD_PUBLISH) {
        st->qos[f->qos & 3]++;
        count_topic(st, f, an);
    }
    count_violations(st, f);
    for (uint8_t i = 0; step && i < step->nsamples && i < 2; i++)
        if (step->samples[i].pair < PAIR_COUNT)
            hist_add(&st->lat[step->samples[i].pair], step->samples[i].latency_us);
    uint64_t *c = names_counters(&st->clients, client_index(st, ref, info));
    bool sent = dir == SESSION_TO_SERVER;
    c[sent ? C_SENT : C_RECV]++;
    c[sent ? C_BYTES : C_BYTES_RECV] += f->size;
    if (f->type == MQD_PUBLISH)
        c[sent ? C_PUB_SENT : C_PUB_RECV]++;
    /* Under an empty 5.0 id, the server may still assign one. */
    if (sent && ref->named && !ref->assigned && info && info->client_id.len == 0 &&
        info->version == MQD_V5 && !info->connack_seen && ref->held_sent < UINT16_MAX &&
        f->size <= UINT32_MAX - ref->held_bytes) {
        ref->held_sent++;
        ref->held_bytes += f->size;
        if (f->type == MQD_PUBLISH)
            ref->held_pub_sent++;
    }
}

void stats_event_violation(struct stats *st, uint16_t rule)
{
    if (rule < MQD_RULE_COUNT)
        st->by_rule[rule]++;
    st->violations++;
}

void stats_connection(struct stats *st, uint64_t conn, const struct session_info *info,
                      const struct session_close_report *r)
{
    if (st->nconns >= STATS_MAX_CONNS) {
        st->conns_unlisted++;
        return;
    }
    if (st->nconns == st->conns_cap) {
        uint32_t cap = st->conns_cap ? st->conns_cap * 2 : 16;
        struct conn_rec *c = realloc(st->conns, cap * sizeof *c);
        if (!c) {
            st->conns_unlisted++;
            return;
        }
        st->conns = c;
        st->conns_cap = cap;
    }
    struct conn_rec *rec = &st->conns[st->nconns++];
    rec->conn = conn;
    rec->info = *info;
    if (r)
        rec->close = *r;
    else
        memset(&rec->close, 0, sizeof rec->close);
}

/* ---- top N ---- */

struct rank_ctx {
    const struct name_table *t;
    int key;
};
static struct rank_ctx rank_sort_ctx; /* qsort has no context argument */

static int rank_cmp(const void *a, const void *b)
{
    const struct name_entry *x = &rank_sort_ctx.t->e[*(const uint32_t *)a];
    const struct name_entry *y = &rank_sort_ctx.t->e[*(const uint32_t *)b];
    uint64_t vx = x->c[rank_sort_ctx.key], vy = y->c[rank_sort_ctx.key];
    if (vx != vy)
        return vx > vy ? -1 : 1;
    if (x->len != y->len) /* ties: by name, for stable output */
        return x->len < y->len ? -1 : 1;
    return memcmp(rank_sort_ctx.t->arena + x->off, rank_sort_ctx.t->arena + y->off, x->len);
}

/* See stats_priv.h. */
uint32_t *stats_rank(const struct name_table *t, int key, uint32_t limit, uint32_t *n)
{
    *n = 0;
    if (t->n == 0)
        return NULL;
    uint32_t *idx = malloc(t->n * sizeof *idx);
    if (!idx)
        return NULL;
    /* An entry whose counts all moved away (a client's empty id, once the
     * server assigned one) is not listed. */
    uint32_t m = 0;
    for (uint32_t i = 0; i < t->n; i++) {
        bool any = false;
        for (int k = 0; k < C_COUNT && !any; k++)
            any = t->e[i].c[k] != 0;
        if (any)
            idx[m++] = i;
    }
    rank_sort_ctx.t = t;
    rank_sort_ctx.key = key;
    qsort(idx, m, sizeof *idx, rank_cmp);
    *n = limit && m > limit ? limit : m;
    return idx;
}

const uint8_t *stats_entry_name(const struct name_table *t, uint32_t i, size_t *len)
{
    *len = t->e[i].len;
    return (const uint8_t *)t->arena + t->e[i].off;
}

/* ---- JSON ---- */

static void json_u64_map_types(struct json_writer *w, const uint64_t *by_type)
{
    jw_key(w, "by_type");
    jw_object_begin(w);
    for (int t = 0; t < 16; t++)
        if (by_type[t])
            jw_kv_u64(w, mqd_type_name((uint8_t)t), by_type[t]);
    jw_object_end(w);
}

static void json_topics(struct json_writer *w, const struct stats *st, const char *key,
                        int by)
{
    uint32_t n;
    uint32_t *idx = stats_rank(&st->topics, by, STATS_TOP_N, &n);
    jw_key(w, key);
    jw_array_begin(w);
    for (uint32_t i = 0; i < n; i++) {
        size_t len;
        const uint8_t *name = stats_entry_name(&st->topics, idx[i], &len);
        jw_object_begin(w);
        jw_kv_strn(w, "topic", name, len);
        jw_kv_u64(w, "messages", st->topics.e[idx[i]].c[C_MSGS]);
        jw_kv_u64(w, "payload_bytes", st->topics.e[idx[i]].c[C_BYTES]);
        jw_object_end(w);
    }
    jw_array_end(w);
    free(idx);
}

static void json_clients(struct json_writer *w, const struct stats *st)
{
    uint32_t n;
    uint32_t *idx = stats_rank(&st->clients, C_SENT, STATS_MAX_CLIENTS, &n);
    jw_key(w, "clients");
    jw_array_begin(w);
    for (uint32_t i = 0; i < n; i++) {
        size_t len;
        const uint64_t *c = st->clients.e[idx[i]].c;
        const uint8_t *name = stats_entry_name(&st->clients, idx[i], &len);
        jw_object_begin(w);
        jw_kv_strn(w, "client_id", name, len);
        jw_kv_u64(w, "connections", c[C_CONNS]);
        jw_kv_u64(w, "messages_sent", c[C_SENT]);
        jw_kv_u64(w, "messages_received", c[C_RECV]);
        jw_kv_u64(w, "publish_sent", c[C_PUB_SENT]);
        jw_kv_u64(w, "publish_received", c[C_PUB_RECV]);
        jw_kv_u64(w, "bytes_sent", c[C_BYTES]);
        jw_kv_u64(w, "bytes_received", c[C_BYTES_RECV]);
        jw_object_end(w);
    }
    jw_array_end(w);
    free(idx);
}

static void json_latency(struct json_writer *w, const struct stats *st)
{
    jw_key(w, "latency_us");
    jw_object_begin(w);
    for (int p = PAIR_NONE + 1; p < PAIR_COUNT; p++) {
        const struct latency_hist *h = &st->lat[p];
        if (h->count == 0)
            continue;
        jw_key(w, session_pair_name(p));
        jw_object_begin(w);
        jw_kv_u64(w, "count", h->count);
        jw_kv_i64(w, "min", h->min);
        jw_kv_i64(w, "p50", hist_percentile(h, 50));
        jw_kv_i64(w, "p90", hist_percentile(h, 90));
        jw_kv_i64(w, "p99", hist_percentile(h, 99));
        jw_kv_i64(w, "max", h->max);
        jw_kv_u64(w, "mean", h->sum / h->count);
        jw_object_end(w);
    }
    jw_object_end(w);
    jw_kv_str(w, "latency_precision",
              "percentiles from a log-linear histogram, within 0.8%; min and max exact");
}

void stats_json_rule_count(struct json_writer *w, const char *id, const char *name,
                           uint8_t severity, uint64_t count)
{
    jw_object_begin(w);
    jw_kv_str(w, "rule", id);
    jw_kv_str(w, "name", name);
    jw_kv_str(w, "severity", mqd_severity_name(severity));
    jw_kv_u64(w, "count", count);
    jw_object_end(w);
}

static void json_violations(struct json_writer *w, const struct stats *st)
{
    jw_key(w, "violations");
    jw_object_begin(w);
    jw_kv_u64(w, "total", st->violations);
    jw_kv_u64(w, "dropped", st->violations_dropped);
    jw_key(w, "by_rule");
    jw_array_begin(w);
    for (uint16_t r = 0; r < MQD_RULE_COUNT; r++) {
        if (!st->by_rule[r])
            continue;
        const mqd_rule_info *ri = mqd_rule_get(r);
        stats_json_rule_count(w, ri->id, ri->name, ri->severity, st->by_rule[r]);
    }
    jw_array_end(w);
    jw_object_end(w);
}

static void json_kv_sstr(struct json_writer *w, const char *key, const struct session_str *s)
{
    if (s->present)
        jw_kv_strn(w, key, (const uint8_t *)s->s, s->len);
}

static void json_limits(struct json_writer *w, const char *key, const struct session_limits *l)
{
    if (!l->known)
        return;
    jw_key(w, key);
    jw_object_begin(w);
    jw_kv_u64(w, "receive_maximum", l->receive_maximum);
    jw_kv_u64(w, "maximum_packet_size", l->max_packet_size);
    jw_kv_u64(w, "topic_alias_maximum", l->topic_alias_maximum);
    jw_object_end(w);
}

static void json_conn(struct json_writer *w, const struct conn_rec *c)
{
    const struct session_info *in = &c->info;
    jw_object_begin(w);
    jw_kv_u64(w, "conn", c->conn);
    if (in->connect_seen) {
        jw_kv_u64(w, "version", in->version);
        json_kv_sstr(w, "client_id", &in->client_id);
        jw_kv_u64(w, "keep_alive", in->keep_alive);
        jw_kv_bool(w, "clean_start", in->clean_start);
        if (in->session_expiry_present)
            jw_kv_u64(w, "session_expiry", in->session_expiry);
        json_kv_sstr(w, "username", &in->username);
        if (in->password_present)
            jw_kv_str(w, "password", "<redacted>");
        if (in->will) {
            jw_key(w, "will");
            jw_object_begin(w);
            json_kv_sstr(w, "topic", &in->will_topic);
            jw_kv_u64(w, "qos", in->will_qos);
            jw_kv_bool(w, "retain", in->will_retain);
            jw_object_end(w);
        }
        json_limits(w, "client_limits", &in->client_limits);
    }
    if (in->connack_seen) {
        jw_kv_u64(w, "connack_code", in->connack_code);
        jw_kv_bool(w, "session_present", in->session_present);
        if (in->server_keep_alive_present)
            jw_kv_u64(w, "server_keep_alive", in->server_keep_alive);
        json_limits(w, "server_limits", &in->server_limits);
    }
    jw_kv_bool(w, "midstream", in->midstream);
    jw_kv_u64(w, "unacked_client", c->close.unacked[0]);
    jw_kv_u64(w, "unacked_server", c->close.unacked[1]);
    jw_object_end(w);
}

static void json_transport(struct json_writer *w, const struct pipeline_stats *ps,
                           const struct flow_stats *fs)
{
    if (fs) {
        jw_key(w, "reassembly");
        jw_object_begin(w);
        jw_kv_u64(w, "frames", fs->frames);
        jw_kv_u64(w, "connections", fs->connections);
        jw_kv_u64(w, "out_of_order_segments", fs->reasm.ooo_segments);
        jw_kv_u64(w, "duplicate_bytes", fs->reasm.dup_bytes);
        jw_kv_u64(w, "conflicts", fs->reasm.conflicts);
        jw_kv_u64(w, "gaps", fs->reasm.gaps);
        jw_kv_u64(w, "gap_bytes", fs->reasm.gap_bytes);
        jw_kv_u64(w, "evicted_idle", fs->evicted_idle);
        jw_kv_u64(w, "evicted_full", fs->evicted_full);
        jw_kv_u64(w, "bad_checksum", fs->bad_checksum);
        jw_kv_u64(w, "ip_fragments", fs->fragments);
        jw_kv_u64(w, "fragments_reassembled", fs->frag_reassembled);
        jw_kv_u64(w, "fragment_conflicts", fs->frag_conflicts);
        jw_kv_u64(w, "fragments_discarded", fs->frag_discarded);
        jw_kv_u64(w, "connections_reused", fs->reused);
        jw_kv_u64(w, "rst_ignored", fs->rst_ignored);
        jw_kv_u64(w, "after_close_segments", fs->after_close_segments);
        jw_kv_u64(w, "after_close_bytes", fs->after_close_bytes);
        jw_object_end(w);
    }
    if (ps) {
        jw_key(w, "framing");
        jw_object_begin(w);
        jw_kv_u64(w, "mqtt_connections", ps->mqtt_conns);
        jw_kv_u64(w, "tls_connections", ps->tls_conns);
        jw_kv_u64(w, "oversize_frames", ps->oversize_frames);
        jw_kv_u64(w, "framing_errors", ps->framing_errors);
        jw_kv_u64(w, "resyncs", ps->resyncs);
        jw_kv_u64(w, "truncated_at_end", ps->truncated_at_end);
        jw_object_end(w);
    }
}

int stats_write_json(const struct stats *st, const struct pipeline_stats *ps,
                     const struct flow_stats *fs, FILE *out)
{
    struct obuf b;
    struct json_writer w;
    if (obuf_init(&b, out, 0) != 0)
        return -1;
    jw_init(&w, &b);
    jw_object_begin(&w);
    jw_key(&w, "stats");
    jw_object_begin(&w);
    jw_kv_u64(&w, "messages", st->messages);
    json_u64_map_types(&w, st->by_type);
    jw_key(&w, "qos");
    jw_object_begin(&w);
    for (int q = 0; q < 4; q++) {
        char k[2] = {(char)('0' + q), 0};
        jw_kv_u64(&w, k, st->qos[q]);
    }
    jw_object_end(&w);
    jw_kv_u64(&w, "topics", st->topics.n);
    jw_kv_u64(&w, "topics_uncounted", st->topics.other[C_MSGS]);
    json_topics(&w, st, "top_topics_by_messages", C_MSGS);
    json_topics(&w, st, "top_topics_by_bytes", C_BYTES);
    json_clients(&w, st);
    json_latency(&w, st);
    json_violations(&w, st);
    stats_spb_json(&w, st);
    jw_key(&w, "connections");
    jw_array_begin(&w);
    for (uint32_t i = 0; i < st->nconns; i++)
        json_conn(&w, &st->conns[i]);
    jw_array_end(&w);
    jw_kv_u64(&w, "connections_unlisted", st->conns_unlisted);
    json_transport(&w, ps, fs);
    jw_object_end(&w);
    jw_object_end(&w);
    jw_line_end(&w);
    int rc = obuf_flush(&b);
    obuf_free(&b);
    return rc;
}
