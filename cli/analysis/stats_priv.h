/* Inside the --stats summary: what stats.c (counting, JSON) and
 * stats_text.c (the text tables) share. Not for other modules: see
 * stats.h. */
#ifndef MQD_CLI_STATS_PRIV_H
#define MQD_CLI_STATS_PRIV_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mqttdissect/rules.h"
#include "analysis/session.h"
#include "analysis/spb_state.h"
#include "analysis/stats.h"

/* ---- a bounded table of names (topics, client ids) with counters ---- */

/* The counters of a name: C_MSGS, C_BYTES for topics (messages, payload
 * bytes); the others for clients (C_BYTES then being the bytes sent). */
enum { C_MSGS, C_BYTES, C_SENT, C_RECV, C_PUB_SENT, C_PUB_RECV, C_BYTES_RECV,
       C_CONNS, C_COUNT };

struct name_entry {
    size_t off;    /* name in the arena */
    uint32_t len;
    uint32_t hash;
    uint64_t c[C_COUNT];
};

struct name_table {
    uint32_t *slots; /* entry index + 1; 0 empty */
    uint32_t cap;
    struct name_entry *e;
    uint32_t n, e_cap, max;
    char *arena;
    size_t arena_len, arena_cap, arena_max;
    uint64_t other[C_COUNT]; /* names past the bounds */
    uint64_t other_names;
};

/* ---- the statistics ---- */

struct conn_rec {
    uint64_t conn;
    struct session_info info;
    struct session_close_report close;
};

struct stats {
    uint64_t messages;
    uint64_t by_type[16];
    uint64_t qos[4];
    uint64_t by_rule[MQD_RULE_COUNT];
    uint64_t violations, violations_dropped;
    struct latency_hist lat[PAIR_COUNT];
    struct name_table topics, clients;
    struct conn_rec *conns;
    uint32_t nconns, conns_cap;
    uint64_t conns_unlisted;
    const struct spb_state *spb; /* the Sparkplug section; NULL: none */
};

/* stats_spb.c: the Sparkplug section, written only when st->spb saw
 * Sparkplug traffic. */
struct json_writer;
/* One row of a violations "by_rule" array: rule id, name, severity, count
 * (the library's rules in stats.c, Sparkplug's in stats_spb.c). */
void stats_json_rule_count(struct json_writer *w, const char *id, const char *name,
                           uint8_t severity, uint64_t count);
void stats_spb_json(struct json_writer *w, const struct stats *st);
void stats_spb_text(FILE *out, const struct stats *st);

/* Indices of the first `limit` entries of t by counter `key`, largest
 * first, ties by name (all entries when limit is 0). *n set to how many;
 * the caller frees the array (NULL when t is empty or memory ran out). */
uint32_t *stats_rank(const struct name_table *t, int key, uint32_t limit, uint32_t *n);

/* The name of entry i (not NUL-terminated), its length in *len. */
const uint8_t *stats_entry_name(const struct name_table *t, uint32_t i, size_t *len);

#endif
