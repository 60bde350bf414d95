/* The records every layer of cli/ shares: what is known of one message
 * (msg_meta, msg_analysis), one event (event_record), and the run's
 * counters (pipeline_stats). The layers below produce them, analysis/ adds
 * to them, output/ prints them; analysis/ and output/ meet only here.
 * Nothing in this header includes anything else of cli/. */
#ifndef MQD_CLI_RECORD_H
#define MQD_CLI_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mqttdissect/sn.h"

/* One rule of a catalogue of checks: everything --list-rules and --explain
 * show of it. The library's rules (rules.def with rules_doc.def) are given
 * this shape by the wiring (pipeline_rules.c); a layer with checks of its
 * own keeps its catalogue in it (analysis/spb_rules.def). severity is an
 * enum mqd_severity. Entries are static: a pointer to one stays valid. */
struct rule_entry {
    const char *id;        /* "tck-id-topics-nbirth-seq-num", "MQD-SPB-..." */
    const char *name;      /* "SPB_NBIRTH_SEQ_NOT_ZERO": stable */
    uint8_t severity;
    const char *message;   /* one line, no trailing period */
    const char *versions;  /* what it applies to, space-separated:
                              "3.1 3.1.1 5.0", "sn1.2", "sparkplug3.0" */
    const char *section;   /* of the specification */
    const char *statement; /* what the specification requires, our words */
};

/* A violation of such a rule found in one message: printed with the
 * frame's own violations, in the same list. */
struct msg_rule_hit {
    const struct rule_entry *rule;
    uint32_t off;   /* offset within the frame (the payload's, for payload rules) */
    uint32_t value; /* context: the seq found, the alias, ... (rule says) */
};

#define MSG_MAX_RULE_HITS 8

/* Sparkplug metrics referred to by alias alone in NDATA, DDATA, NCMD or
 * DCMD, with the name and datatype their Edge Node's births gave
 * (analysis/spb_state.h): `count` entries packed in `data`, each a 4-byte
 * big endian metric index (in the payload's metrics list), a 4-byte big
 * endian datatype, a 2-byte big endian name length and the name; in
 * increasing metric index. See msg_spb_name_next. */
struct msg_spb_names {
    uint32_t count;
    uint32_t len;
    const uint8_t *data;
};

/* Walks names->data: true with the next entry. */
static inline bool msg_spb_name_next(const struct msg_spb_names *n, uint32_t *pos,
                                     uint32_t *metric, uint32_t *datatype,
                                     const uint8_t **name, uint16_t *name_len)
{
    if (!n->data || *pos > n->len || n->len - *pos < 10)
        return false;
    const uint8_t *p = n->data + *pos;
    uint16_t len = (uint16_t)((p[8] << 8) | p[9]);
    if (n->len - *pos - 10 < len)
        return false;
    *metric = ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
    *datatype = ((uint32_t)p[4] << 24) | ((uint32_t)p[5] << 16) | ((uint32_t)p[6] << 8) | p[7];
    *name = p + 10;
    *name_len = len;
    *pos += 10u + len;
    return true;
}

/* What connection-level analysis (cli/session.c) adds to one message.
 * All zero: nothing to add. Pointers stay valid until the next message of
 * the same connection. */
struct msg_analysis {
    uint64_t reply_to;       /* capture frame of the packet this one answers
                                (CONNACK, PUBACK, PUBREC, PUBREL, PUBCOMP,
                                SUBACK, UNSUBACK, PINGRESP); 0: none */
    int64_t latency_us;      /* time since that packet; valid when reply_to */
    uint64_t flow_start;     /* PUBREL, PUBCOMP: frame of the QoS 2 PUBLISH
                                that began the flow; 0: none */
    int64_t flow_latency_us; /* time since that PUBLISH */
    bool has_effective_topic; /* PUBLISH: effective_topic is set */
    bool topic_from_alias;    /* the topic came from a Topic Alias mapping */
    uint16_t effective_topic_len;
    const uint8_t *effective_topic;
    uint16_t granted_count;   /* SUBACK: filters of the SUBSCRIBE it answers, */
    uint32_t granted_len;     /* granted_count strings, each a 2-byte big */
    const uint8_t *granted;   /* endian length then the bytes; see msg_granted_next */
    /* Violations of the rules kept above dissect/ (the Sparkplug state,
     * analysis/spb_state.h), printed after the frame's own. */
    uint8_t nhits;
    uint16_t hits_dropped;   /* found past MSG_MAX_RULE_HITS */
    struct msg_rule_hit hits[MSG_MAX_RULE_HITS];
    struct msg_spb_names spb_names; /* count 0: none */
};

/* Empties a message's analysis: cleared up to the hits, which past nhits
 * are never read (most of the struct's bytes), and the alias names. */
static inline void msg_analysis_clear(struct msg_analysis *a)
{
    memset(a, 0, offsetof(struct msg_analysis, hits));
    a->spb_names = (struct msg_spb_names){0};
}

/* Adds a rule hit to a message's analysis (false: full, counted). */
static inline bool msg_add_hit(struct msg_analysis *a, const struct rule_entry *r,
                               uint32_t off, uint32_t value)
{
    if (a->nhits >= MSG_MAX_RULE_HITS) {
        if (a->hits_dropped < UINT16_MAX)
            a->hits_dropped++;
        return false;
    }
    a->hits[a->nhits].rule = r;
    a->hits[a->nhits].off = off;
    a->hits[a->nhits].value = value;
    a->nhits++;
    return true;
}

/* Walks analysis->granted: true with the next filter in *s, *len. */
static inline bool msg_granted_next(const struct msg_analysis *a, uint32_t *pos,
                                    const uint8_t **s, uint16_t *len)
{
    if (!a->granted || *pos > a->granted_len || a->granted_len - *pos < 2)
        return false;
    uint16_t n = (uint16_t)((a->granted[*pos] << 8) | a->granted[*pos + 1]);
    if (a->granted_len - *pos - 2 < n)
        return false;
    *s = a->granted + *pos + 2;
    *len = n;
    *pos += 2u + n;
    return true;
}

/* A decrypted TLS record that carried bytes of one message (-V shows
 * them above the message's tree). */
struct tls_record_meta {
    uint64_t seq;       /* record sequence number (per direction and epoch) */
    uint32_t msg_off;   /* the first byte of the message it carried ... */
    uint32_t msg_len;   /* ... and how many (offsets in the message) */
    uint16_t length;    /* the record header's length (protected body) */
    uint8_t type;       /* the record header's content type */
    uint8_t inner_type; /* TLS 1.3: the inner content type; 0: TLS 1.2 */
    uint8_t epoch;      /* TLS 1.3: 2 the first application keys, +1 per
                           KeyUpdate (1: handshake keys); TLS 1.2: 1 */
};

#define MSG_TLS_RECORDS_MAX 16 /* records kept per message */

/* Where and when a message was seen. */
struct msg_meta {
    uint64_t frame;        /* 1-based capture frame that completed the message */
    int64_t ts_us;         /* capture timestamp, microseconds since the epoch (UTC) */
    char src[64], dst[64]; /* "ip:port", IPv6 as "[addr]:port" */
    uint64_t conn;         /* connection number, 1-based */
    char community_id[32]; /* the flow's Community ID ("1:..." as
                              net/community_id.h makes it); "": none */
    const char *transport; /* "tcp" (later "websocket", "udp"); NULL: "tcp" */
    uint64_t stream_off;   /* offset of the message in its direction's byte stream */
    struct msg_analysis an; /* connection-level analysis (cli/session.c) */
    /* "ip:port" of the original client, as a PROXY protocol header gave it
     * (transport/proxy.h); NULL when the connection had none. */
    const char *proxied_src;
    /* -V, decrypted TLS: the records that carried the message, in order
     * (tls_nrec of them; the last MSG_TLS_RECORDS_MAX when more did:
     * bytes before tls_rec[0].msg_off came in earlier ones). NULL: none
     * known. Valid until the call that hands the message over returns. */
    const struct tls_record_meta *tls_rec;
    uint16_t tls_nrec;
    /* The connection's client id: its CONNECT's, or (an MQTT 5 client that
     * sent an empty one) the CONNACK's Assigned Client Identifier; up to
     * its first NUL (a NUL is not allowed in an MQTT string), valid as
     * `an`'s pointers. NULL: not known (no CONNECT seen, MQTT-SN). */
    const char *client_id;
};

/* ---- MQTT-SN (analysis/sn_registry.h learns topics, output/out_sn.h
 * prints) ---- */

/* Where the topic of an MQTT-SN message is known from. */
enum sn_topic_kind {
    SN_TOPIC_NONE,       /* the message has no topic, or it is not known */
    SN_TOPIC_REGISTERED, /* a normal id found in the client's registry */
    SN_TOPIC_UNKNOWN,    /* a normal id the registry does not know */
    SN_TOPIC_MESSAGE,    /* the name is in the message (REGISTER, SUBSCRIBE) */
    SN_TOPIC_SHORT,      /* a two-character short topic name */
    SN_TOPIC_PREDEFINED  /* a predefined id: its name is not on the wire */
};

struct sn_topic_view {
    enum sn_topic_kind kind;
    const uint8_t *name; /* REGISTERED, MESSAGE, SHORT */
    size_t len;
};

/* Everything printed about one MQTT-SN message besides its msg_meta. The
 * pointers stay valid until the call that hands the record over returns. */
struct sn_record {
    const mqd_sn_msg *msg;
    int dir; /* 0: client -> gateway, 1: gateway -> client */
    struct sn_topic_view topic;
};

/* Counters of one run, kept by the pipeline and read by --stats. */
struct pipeline_stats {
    uint64_t messages;      /* MQTT control packets decoded */
    uint64_t messages_with_violations;
    uint64_t violations;
    uint64_t events;        /* gap, resync, oversize, tls, ... records */
    uint64_t by_type[16];   /* messages per packet type */
    uint64_t mqtt_conns, tls_conns;
    uint64_t oversize_frames, framing_errors, resyncs, truncated_at_end;
    uint64_t stream_buffer_peak; /* bytes held by stream decoders at most */
    uint64_t memcap_drops;  /* partial frames given up at --stream-memcap */
};

/* An event record (a gap, a resync, a TLS connection, a WebSocket frame,
 * ...): a name and up to EVENT_MAX_FIELDS fields. Keys and names are the
 * producer's ASCII literals; string values are escaped by the printer.
 * Strings must stay valid until the record is printed (the call that
 * hands it over). */
#define EVENT_MAX_FIELDS 16

enum event_field_kind { EVENT_U64, EVENT_STR, EVENT_BOOL };

struct event_field {
    const char *key;
    uint8_t kind; /* enum event_field_kind */
    union {
        uint64_t u64;
        const char *str;
        bool b;
    } v;
};

struct event_record {
    const char *name;
    uint8_t nfields;
    struct event_field fields[EVENT_MAX_FIELDS];
};

static inline void event_init(struct event_record *e, const char *name)
{
    e->name = name;
    e->nfields = 0;
}

/* Adds a field; fields past EVENT_MAX_FIELDS are a programming error and
 * are dropped (the tests fill every event the code produces). */
static inline struct event_field *event_field_add(struct event_record *e,
                                                  const char *key, uint8_t kind)
{
    if (e->nfields >= EVENT_MAX_FIELDS)
        return NULL;
    struct event_field *f = &e->fields[e->nfields++];
    f->key = key;
    f->kind = kind;
    return f;
}

static inline void event_u64(struct event_record *e, const char *key, uint64_t v)
{
    struct event_field *f = event_field_add(e, key, EVENT_U64);
    if (f)
        f->v.u64 = v;
}

static inline void event_str(struct event_record *e, const char *key, const char *s)
{
    struct event_field *f = event_field_add(e, key, EVENT_STR);
    if (f)
        f->v.str = s;
}

static inline void event_bool(struct event_record *e, const char *key, bool v)
{
    struct event_field *f = event_field_add(e, key, EVENT_BOOL);
    if (f)
        f->v.b = v;
}

/* The catalogues --list-rules and --explain show (output/out_rules.h): the
 * library's MQTT and MQTT-SN rules are one, the Sparkplug B state rules
 * (analysis/spb_rules.def) another, both as struct rule_entry (above). */
struct rule_catalogue {
    const char *name; /* "mqtt": the "catalogue" member of the JSON */
    const struct rule_entry *rules;
    size_t n;
};

/* ---- live capture counts (net/capture.h counts them, the output prints
 * them: a capture_stats record) ---- */
struct capture_stats_record {
    uint64_t received, dropped, if_dropped, queue_dropped;
    unsigned worker; /* --fanout GROUP,N: the worker, 1..N; 0: none */
};

#endif
