/* Private to net/flow_table.c and net/flow_index.c: the table's memory
 * layout, shared by the table (life cycle, segments, caps) and its index
 * (the hash of endpoint pairs and the LRU list of activity). */
#ifndef MQD_CLI_FLOW_TABLE_PRIV_H
#define MQD_CLI_FLOW_TABLE_PRIV_H

#include "net/flow_table.h"
#include "net/ipfrag.h"

#define NIL UINT32_MAX

/* A hash slot: the connection's LRU node plus one (its entry is
 * nodes[node1 - 1].c), 0 when empty. 8 bytes: the table keeps at least
 * twice as many slots as connections. */
struct flow_slot {
    uint32_t node1;
    uint32_t hash;
};

/* An LRU list node, indexed by the entry's `node`. Free nodes are chained
 * through `next`. */
struct lru_node {
    uint32_t prev, next;
    int64_t last_ts_us;
    struct flow_conn *c;
};

enum flow_hs {
    HS_SYN = 1u << 0,    /* the client's SYN */
    HS_SYNACK = 1u << 1, /* the server's SYN-ACK */
    HS_WS0 = 1u << 2,    /* Window Scale in the SYN */
    HS_WS1 = 1u << 3     /* Window Scale in the SYN-ACK */
};

/* What the table allocates per connection: the caller sees `conn`. */
struct conn_entry {
    struct flow_conn conn; /* first: a flow_conn pointer is an entry pointer */
    struct tcp_reasm dir[2]; /* 0: client -> server */
    uint32_t hash;
    uint32_t node;
    /* RFC 5961's window: the receive window each side last advertised, in
     * bytes (scaled once both SYNs offered Window Scale, RFC 7323), and
     * what of the handshake was seen (enum flow_hs). */
    uint32_t win[2];
    uint8_t wscale[2];
    uint8_t hs;
    /* A RST was accepted from direction rst_dir while data before it was
     * missing: the entry is on the table's rst_waits list until that
     * direction is delivered up to the RST or the deadline passes. */
    bool rst_pending;
    uint8_t rst_dir;
};

/* A connection waiting after a RST (conn_entry.rst_pending), in the
 * table's list, soonest deadline first; made only then, so that an entry
 * does not carry it. */
struct rst_wait {
    struct conn_entry *e;
    int64_t deadline_us;
    struct rst_wait *next;
};

/* Where the streams of an evicted connection stopped, by endpoint pair (a
 * slot is overwritten on a collision), so that one resuming exactly there
 * goes on in order (FLOW_RESUMED). */
#define FLOW_RESUME_SLOTS 4096u

struct flow_resume {
    struct flow_key key;  /* oriented as the evicted connection was */
    uint32_t next_seq[2];
    uint8_t started;      /* bit d: direction d's stream had started */
    bool used;
};

struct flow_table {
    struct flow_config cfg;
    struct flow_sink sink;
    struct flow_slot *slots;
    size_t nslots;        /* a power of two, at least twice count */
    size_t count;
    struct lru_node *nodes;
    uint32_t nnodes, nodes_used, free_node;
    uint32_t lru_head, lru_tail; /* least recently active first; NIL: none */
    struct flow_stats stats;
    int64_t now_us;       /* latest packet timestamp seen */
    struct rst_wait *rst_waits; /* see conn_entry; usually empty */
    struct ipfrag *frag;  /* IP defragmentation in front of TCP and UDP */
    struct flow_resume *resume; /* FLOW_RESUME_SLOTS from the first
                                   eviction; NULL: none yet */
    struct pkt_info last_pkt;
    uint64_t frame_conn;  /* flow_table_frame_conn */
    uint32_t frame_fragment; /* flow_table_frame_fragment */
};

static inline struct conn_entry *entry_of(struct flow_conn *c)
{
    return (struct conn_entry *)c; /* conn is the entry's first member */
}

static inline const struct conn_entry *centry_of(const struct flow_conn *c)
{
    return (const struct conn_entry *)c;
}

/* Direction d's reassembly. */
static inline struct tcp_reasm *conn_dir(struct flow_conn *c, int d)
{
    return &entry_of(c)->dir[d];
}

static inline const struct tcp_reasm *conn_cdir(const struct flow_conn *c, int d)
{
    return &centry_of(c)->dir[d];
}

/* net/flow_index.c: finding, adding, touching and removing connections. */
uint32_t flow_index_hash(const struct pkt_endpoint *a, const struct pkt_endpoint *b);
struct flow_conn *flow_index_lookup(const struct flow_table *ft, uint32_t hash, const struct pkt_endpoint *src, const struct pkt_endpoint *dst, int *dir);
void flow_index_touch(struct flow_table *ft, struct flow_conn *c);
bool flow_index_insert(struct flow_table *ft, struct flow_conn *c);
void flow_index_remove(struct flow_table *ft, struct flow_conn *c);
void flow_index_free_conn(struct flow_table *ft, struct flow_conn *c);
struct flow_conn *flow_index_lru_first(const struct flow_table *ft);
struct flow_conn *flow_index_lru_after(const struct flow_table *ft, struct flow_conn *c);

#endif
