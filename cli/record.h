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

#include "mqttdissect/sn.h"

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
};

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

#endif
