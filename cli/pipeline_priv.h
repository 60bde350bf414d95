/* Private to the pipeline (pipeline.c: set-up, frames, end, summaries;
 * pipeline_tcp.c: the flow table's callbacks and the transport under MQTT;
 * pipeline_mqtt.c: an MQTT byte stream to analysed, printed messages): the
 * state of a run and of one TCP connection. */
#ifndef MQD_CLI_PIPELINE_PRIV_H
#define MQD_CLI_PIPELINE_PRIV_H

#include "pipeline.h"

#include "analysis/select.h"
#include "analysis/session.h"
#include "analysis/spb_state.h"
#include "analysis/stats.h"
#include "flow_events.h"
#include "mqttdissect/mqd.h"
#include "net/capture_save.h"
#include "net/community_id.h"
#include "net/flow_hash.h"
#include "net/flow_table.h"
#include "pipeline_sn.h"
#include "transport/transport.h"

/* Stream decoders together may hold at most --stream-memcap bytes of
 * partial frames (and resynchronisation windows): one pool, one cap. A
 * decoder that needs more first takes it from the oldest holders (their
 * partial frames are given up, each a "stream_memcap" event); when that
 * is not enough its own frame is skipped (a "stream_memcap" event too). */

enum conn_kind { CONN_MQTT, CONN_TLS };

/* What carries a connection's MQTT (its records' "transport"). */
enum conn_transport { CT_TCP, CT_TLS, CT_WEBSOCKET, CT_WSS };

/* -V over decrypted TLS: which record brought which bytes of the MQTT
 * stream (the latest TLS_REC_RING pieces), so that a message can show the
 * records that carried it. */
#define TLS_REC_RING 32

struct tls_rec_piece {
    uint64_t start, serial; /* stream offset of its first byte; the record's
                               number on the connection */
    uint64_t len;
    struct tls_record_meta rec;
};

struct tls_rec_ring {
    struct tls_rec_piece piece[TLS_REC_RING];
    unsigned head, n; /* the oldest piece, how many */
    struct tls_record_meta msg[MSG_TLS_RECORDS_MAX]; /* one message's */
};

/* A direction's MQTT stream decoder, allocated at its first byte or gap
 * (pipeline_tcp_stream). 168 bytes, as malloc rounds them: what else a
 * direction needs lives in struct conn_meta. */
struct dir_state {
    mqd_stream stream;      /* its allocator's context is the pipeline */
    struct conn_state *cs;  /* its direction: cs->dir[1] == this ? 1 : 0 */
};

/* A connection's records' metadata, allocated at its first message or
 * record (pipeline_mqtt_meta): conn_state.meta points to `dir`. */
struct conn_meta {
    struct msg_meta dir[2];
    /* -V with a key log, once TLS brings bytes of that direction */
    struct tls_rec_ring *tls_ring[2];
    struct stats_client_ref stats_ref; /* --stats */
    struct session *sess; /* connection analysis (session.c), from the
                             first message (pipeline_mqtt_session) */
};

/* The pool's bookkeeping in front of each decoder buffer: its size, and
 * the list of holders, oldest first. A multiple of max_align_t. */
struct pool_block {
    struct pool_block *prev, *next;
    struct dir_state *owner;
    size_t size;
};

/* What is needed of a connection only once it has a message or a record
 * is allocated then (a connection that never completes a message, as in a
 * flood of half-open ones, costs little): meta and sess. */
struct conn_state {
    uint8_t kind;                    /* enum conn_kind */
    uint8_t version;
    uint8_t transport_name;          /* meta's transport (enum conn_transport) */
    bool resync_reported[2];
    bool gap_seen[2];                /* for sess: a gap before it existed */
    bool version_inferred : 1;
    bool midstream : 1;
    bool peer_lagging : 1;           /* for sess: the other direction lags */
    bool version_reported : 1;       /* the version_inferred event */
    struct dir_state *dir[2];        /* NULL: nothing in that direction yet */
    struct transport tr;             /* detection, WebSocket, TLS (transport.c) */
    /* [2], one per direction: conn once, src/dst when first printed,
     * frame/ts per message (pipeline_mqtt_meta); NULL: none yet. The `dir`
     * of a struct conn_meta (conn_meta_of). */
    struct msg_meta *meta;
    const struct flow_conn *flow;    /* its addresses, formatted when printed */
};

/* Live, a connection evicted (idle, or the table full) may resume later:
 * picked up mid-stream, it would be decoded without its version (MQTT 5
 * properties shown as payload). The version of each evicted MQTT
 * connection is kept here by its endpoint pair (a slot is overwritten on a
 * collision) and given to the next connection on the same endpoints, and
 * whether its streams stopped between frames (the flow table says whether
 * the next one goes on exactly there). Used on the decoding thread only. */
#define RESUME_SLOTS 4096u

struct resume_slot {
    struct pkt_endpoint ep[2]; /* in canonical order (resume_order) */
    uint8_t version;
    bool inferred;
    bool used;
    /* MQTT over TCP, each direction's stream at a frame boundary: a
     * connection resuming exactly there (FLOW_RESUMED) is decoded in
     * order from its first byte, not searched for a frame. */
    bool boundary;
};

struct pipeline {
    /* Set up once; read by the reading thread too (flow_events.h). */
    const struct options *opts;
    struct output *out;
    struct flow_table *flows;
    struct stats *st;           /* --stats (stats.c); NULL without */
    struct flow_events *events; /* the flow table on another thread; NULL: same */
    /* -c N reached: written on the decoding thread, read on the reading
     * thread too; each on a cache line of its own, apart from what the
     * decoding thread writes all the time (below). */
    _Alignas(64) bool done;
    _Alignas(64) struct pipeline_stats stats;
    const struct pkt_info *pkt; /* the packet being processed */
    uint64_t stream_bytes;      /* held by all stream decoders */
    uint64_t stream_memcap;     /* the most they may hold */
    struct pool_block *pool_oldest, *pool_newest; /* their buffers */
    /* The decoder being used (pipeline_tcp_stream, and before its
     * mqd_stream_finish): a buffer it takes from the pool is its own. */
    struct dir_state *pool_user;
    int64_t stats_next_us;      /* --stats-interval: next live summary */
    int64_t stats_first_us;     /* the first packet's time (--time rel) */
    int64_t stats_last_us;      /* the latest packet's time */
    int64_t stats_prev_us;      /* the previous summary's (--time delta) */
    bool stats_have_first, stats_have_prev;
    struct resume_slot *resume; /* RESUME_SLOTS, allocated at the first
                                   eviction; NULL: none yet */
    uint64_t selected;          /* messages that passed the selection */
    bool write_failed;          /* a --stats summary could not be written */
    struct pipeline_sn *sn;     /* MQTT-SN over UDP (pipeline_sn.c) */
    struct tls_keylog *keylog;  /* --tls-keylog; NULL without */
    uint64_t tls_decrypted, tls_no_key, tls_auth_failures; /* with it */
    struct spb_state *spb;      /* Sparkplug B state (analysis/spb_state.h),
                                   made at the first spBv1.0 topic */
    struct capture_save *save;  /* -w FILE; NULL without */
    uint32_t frame_sn_tag;      /* -w: the MQTT-SN flow of the frame */
};

/* The struct conn_meta whose `dir` cs->meta is (cs->meta not NULL). */
static inline struct conn_meta *conn_meta_of(const struct conn_state *cs)
{
    return (struct conn_meta *)(void *)cs->meta; /* dir is its first member */
}

/* The connection's analysis; NULL: none yet. */
static inline struct session *conn_sess(const struct conn_state *cs)
{
    return cs->meta ? conn_meta_of(cs)->sess : NULL;
}

/* What a stream event callback needs to know. */
struct dir_ctx {
    struct pipeline *p;
    struct conn_state *cs;
    int dir;
};

/* -c N reached. */
static inline void pipeline_set_done(struct pipeline *p)
{
    __atomic_store_n(&p->done, true, __ATOMIC_RELAXED);
}

/* -w: a selected message of flow `tag` is printed (or would be, but for
 * -q): its packets are written. */
static inline void pipeline_save_mark(struct pipeline *p, uint32_t tag)
{
    if (p->save && !pipeline_done(p))
        capture_save_mark(p->save, tag);
}

/* Whether records are printed now (not -q, -c N not reached). */
bool pipeline_printing(const struct pipeline *p);

/* pipeline_mqtt.c */
void *pipeline_mqtt_realloc(void *ctx, void *ptr, size_t size);
/* The stream offset where direction dir is (0 before its first byte). */
uint64_t pipeline_mqtt_offset(const struct conn_state *cs, int dir);
struct msg_meta *pipeline_mqtt_meta(struct conn_state *cs, int dir);
struct session *pipeline_mqtt_session(struct pipeline *p, struct conn_state *cs);
void pipeline_mqtt_set_transport(struct conn_state *cs, enum conn_transport t);
bool pipeline_mqtt_meta_stamp(const struct pipeline *p, struct conn_state *cs, int dir, const struct pkt_info *pkt, uint64_t stream_off);
bool pipeline_mqtt_event_begin(struct pipeline *p, struct conn_state *cs, int dir, uint64_t stream_off, const char *name);
void pipeline_mqtt_stream_event(void *ctx, const mqd_stream_event *ev);

/* pipeline_tcp.c: direction dir's stream decoder, made on first use; NULL
 * when memory ran out. */
mqd_stream *pipeline_tcp_stream(struct pipeline *p, struct conn_state *cs, int dir);

/* pipeline_tcp.c: the flow table's TCP callbacks into cfg and sink. */
void pipeline_tcp_callbacks(struct pipeline *p, struct flow_config *cfg,
                            struct flow_sink *sink);

#endif
